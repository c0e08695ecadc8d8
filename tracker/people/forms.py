import re
from datetime import date

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import SetPasswordForm, SetPasswordMixin
from django.contrib.auth.password_validation import validate_password
from django.db.models import Q
from django.utils import timezone

from criteria import grading
from criteria.models import Qualification, Unit
from tracker import access
from tracker.lib.forms import CleansText, DateInput, IdsModelMultipleChoiceField
from tracker.models import (
    TARGET_GRADES,
    AcademicYear,
    Centre,
    GcseTargetRange,
    Learner,
    TeachingGroup,
    User,
)
from tracker.models.people import centre_number_validator


class TargetForm(CleansText, forms.Form):
    """A unit's target grade; "No target" is a choice the form must send (the empty value),
    so a post that leaves the field out never clears a target."""

    target_grade = forms.ChoiceField(
        label="Target grade", choices=[("", "No target"), *TARGET_GRADES], required=False
    )

    def clean(self):
        cleaned = super().clean()
        if self.add_prefix("target_grade") not in self.data:
            raise forms.ValidationError("Choose Pass, Merit, Distinction or no target.")
        return cleaned


class MoveLearnerForm(CleansText, forms.Form):
    group = forms.ModelChoiceField(queryset=TeachingGroup.objects.none(), label="Move to group")

    def __init__(self, *args, learner: Learner, **kwargs):
        super().__init__(*args, **kwargs)
        self.learner = learner
        self.fields["group"].queryset = TeachingGroup.objects.filter(
            centre_id=learner.centre_id
        ).exclude(pk=learner.group_id)

    def clean_group(self) -> TeachingGroup:
        group = self.cleaned_data["group"]
        if group.pk == self.learner.group_id:
            raise forms.ValidationError("The learner is already in that group.")
        return group


class LeaveForm(CleansText, forms.Form):
    """Mark a learner as left: the day they left and why (for the archive)."""

    left_on = forms.DateField(
        label="Left on",
        widget=DateInput(),
        help_text="The day they left the centre.",
    )
    reason = forms.CharField(
        label="Reason",
        max_length=200,
        help_text="For example: moved school, withdrawn from the course.",
    )

    def clean_left_on(self):
        left_on = self.cleaned_data["left_on"]
        if left_on > timezone.localdate():
            raise forms.ValidationError("A learner cannot have left on a day still to come.")
        return left_on


class ReinstateForm(CleansText, forms.Form):
    """Bring back a learner who has left (the button is the whole form)."""


class StaffForm(CleansText, forms.ModelForm):
    """Add or edit a member of staff and their roles."""

    password = forms.CharField(
        label="Initial password",
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Leave empty to let them set one through 'Forgot your password?'.",
    )

    class Meta:
        model = User
        fields = [
            "username",
            "first_name",
            "last_name",
            "email",
            "is_teacher",
            "is_internal_verifier",
            "is_centre_admin",
            "is_new_assessor",
            "is_active",
        ]
        labels = {"is_active": "Can sign in"}

    def __init__(self, *args, admin: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.admin = admin
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        # Roles the admin cannot hand out keep their stored value whatever is posted.
        self.grantable = access.grantable_rights(admin)
        for role, field in access.ROLES.items():
            if role not in self.grantable:
                self.fields[field].disabled = True
                self.fields[field].help_text = "Only someone holding this role can change it."

    def clean_username(self) -> str:
        """Usernames are one namespace for the whole site (sign-in takes no centre), so a
        taken one is refused, with the same words wherever the account is: the message never
        says whether it belongs to this centre or another."""
        username = self.cleaned_data["username"].strip()
        clash = User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk)
        if clash.exists():
            # Sign-in ignores letter case, so names differing only by case would clash.
            raise forms.ValidationError(
                "This username cannot be used. Choose another, for example with an initial "
                "or a number added."
            )
        return username

    def clean_email(self) -> str:
        """Refuse an email address another account of the admin's own centre (staff or
        learner) uses. Accounts of other centres are never looked at, so the form reveals
        nothing about them; two accounts sharing an address sign in by username, since
        sign-in by email refuses an address that is not unique (`tracker.auth`)."""
        email = self.cleaned_data["email"].strip().lower()
        centre_id = access.staff_centre_id(self.admin)
        clash = (
            User.objects.filter(email__iexact=email)
            .filter(Q(staff_membership__centre_id=centre_id) | Q(learner__centre_id=centre_id))
            .exclude(pk=self.instance.pk)
        )
        if clash.exists():
            raise forms.ValidationError(
                "Someone in your centre already uses this email address: find them in the "
                "staff or learner lists."
            )
        return email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if password:
            validate_password(password, self.instance)
        return password

    def clean(self):
        cleaned = super().clean()
        roles = ("is_teacher", "is_internal_verifier", "is_centre_admin")
        if not any(cleaned.get(role) for role in roles):
            raise forms.ValidationError("Give the member of staff at least one role.")
        given = {role for role, field in access.ROLES.items() if cleaned.get(field)}
        if not given <= self.grantable:
            raise forms.ValidationError("You cannot give a role you do not hold.")
        return cleaned

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        password = self.cleaned_data.get("password")
        if password:
            user.set_password(password)
        elif not user.pk:
            user.set_unusable_password()
        if commit:
            user.save()
        return user


class GroupForm(CleansText, forms.ModelForm):
    class Meta:
        model = TeachingGroup
        fields = ["name", "academic_year", "units", "teachers", "internal_verifiers"]
        field_classes = {
            "units": IdsModelMultipleChoiceField,
            "teachers": IdsModelMultipleChoiceField,
            "internal_verifiers": IdsModelMultipleChoiceField,
        }
        widgets = {
            "units": forms.CheckboxSelectMultiple,
            "teachers": forms.CheckboxSelectMultiple,
            "internal_verifiers": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "internal_verifiers": "Internal verifiers sample this group's assessment decisions; "
            "nobody verifies their own decisions.",
        }

    def __init__(self, *args, centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.centre = centre
        staff = User.objects.filter(staff_membership__centre=centre, is_active=True)
        self.fields["academic_year"].queryset = centre.years.all()
        self.fields["units"].queryset = Unit.objects.all()
        self.fields["teachers"].queryset = staff.filter(is_teacher=True)
        self.fields["internal_verifiers"].queryset = staff.filter(is_internal_verifier=True)

    def clean(self):
        cleaned = super().clean()
        name, year = cleaned.get("name"), cleaned.get("academic_year")
        if name and year:
            clash = TeachingGroup.objects.filter(
                centre=self.centre, academic_year=year, name__iexact=name
            ).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", f"There is already a group {name} in {year}.")
        return cleaned


class ImportForm(CleansText, forms.Form):
    file = forms.FileField(
        label="Learners file (CSV or XLSX)",
        help_text="An export from your MIS (SIMS, Arbor, Bromcom…) with a header row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError("The file is over 10 MB: split it or remove columns.")
        return upload


class PendingImportForm(CleansText, forms.Form):
    """Which previewed upload a cancel is about (the token the preview page carries)."""

    token = forms.RegexField(r"^[0-9a-f]{32}$", widget=forms.HiddenInput)


class ImportConfirmForm(CleansText, forms.Form):
    """The confirmation of a previewed import: whether to move learners between groups and
    whether to mark as left those the file says have left."""

    token = forms.RegexField(r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    move_groups = forms.BooleanField(required=False)
    mark_leavers = forms.BooleanField(required=False)


class AspirationForm(CleansText, forms.Form):
    aspiration_step = forms.IntegerField(
        label="Aspirational grade: grades above the target",
        min_value=0,
        max_value=2,
        help_text="0 shows no aspirational grade; 1 shows Merit for a Pass target.",
    )


GcseRangeFormSet = forms.modelformset_factory(
    GcseTargetRange,
    fields=["minimum_score", "grade"],
    extra=3,
    can_delete=True,
    labels={"minimum_score": "Average GCSE from", "grade": "Minimum target grade"},
)


YEAR_NAME = re.compile(r"^(\d{4})/(\d{2})$")


def default_year_dates(name: str) -> tuple[date, date] | None:
    """Return 1 September to 31 July for a year named like "2026/27" (the second part must
    be the year after the first), or None for any other name."""
    match = YEAR_NAME.match(name.strip())
    if not match:
        return None
    first = int(match.group(1))
    if (first + 1) % 100 != int(match.group(2)):
        return None
    return date(first, 9, 1), date(first + 1, 7, 31)


def current_year_name(today: date) -> str:
    """Return the name of the academic year `today` falls in: from September, e.g. "2026/27"."""
    first = today.year if today.month >= 9 else today.year - 1
    return f"{first}/{(first + 1) % 100:02d}"


def long_date(day: date) -> str:
    """Return a date as people write it, e.g. 1 September 2026."""
    return f"{day.day} {day:%B %Y}"


MAX_YEAR_DAYS = 400  # an academic year runs about ten months; a typo's runs for decades


def check_year_dates(starts_on: date | None, ends_on: date | None, name: str | None = None) -> None:
    """Refuse a year that ends on or before the day it starts, lasts more than
    MAX_YEAR_DAYS, or whose name ("2026/27") says other calendar years than its dates."""
    if not (starts_on and ends_on):
        return
    if ends_on <= starts_on:
        raise forms.ValidationError({"ends_on": "The year must end after the day it starts."})
    if (ends_on - starts_on).days > MAX_YEAR_DAYS:
        raise forms.ValidationError(
            {"ends_on": "An academic year lasts about ten months: check the last day."}
        )
    match = YEAR_NAME.match((name or "").strip())
    if match and (starts_on.year, ends_on.year) not in {
        (int(match.group(1)), int(match.group(1))),
        (int(match.group(1)), int(match.group(1)) + 1),
    }:
        raise forms.ValidationError(
            f"{name.strip()} should start in {match.group(1)}: check the name or the dates."
        )


class AcademicYearForm(CleansText, forms.ModelForm):
    """Add an academic year to a centre: a name used once, an end after the start, and no
    days shared with another year of the centre (every date belongs to at most one year)."""

    class Meta:
        model = AcademicYear
        fields = ["name", "starts_on", "ends_on"]
        labels = {"name": "Name", "starts_on": "First day", "ends_on": "Last day"}
        help_texts = {"name": "For example 2027/28."}
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
        }

    def __init__(self, *args, centre: Centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.centre = centre

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if AcademicYear.objects.filter(centre=self.centre, name__iexact=name).exists():
            raise forms.ValidationError(f"There is already a year called {name}.")
        return name

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        try:
            check_year_dates(starts_on, ends_on, cleaned.get("name"))
        except forms.ValidationError as error:
            self.add_error(None, error)
            return cleaned
        if starts_on and ends_on:
            overlap = AcademicYear.objects.filter(
                centre=self.centre, starts_on__lte=ends_on, ends_on__gte=starts_on
            ).first()
            if overlap:
                self.add_error(
                    None,
                    f"These dates overlap {overlap.name} ({long_date(overlap.starts_on)} to "
                    f"{long_date(overlap.ends_on)}). Choose dates outside it.",
                )
        return cleaned


class MakeCurrentYearForm(CleansText, forms.Form):
    """Make an academic year the centre's current one (the year is the one in the address)."""


class FirstRunForm(CleansText, forms.Form):
    """What `create_centre` needs: the centre, its current academic year and its first centre
    admin. Refuses a centre number, username or email already in use (sign-in ignores case)."""

    name = forms.CharField(label="Centre name", max_length=200)
    ocr_number = forms.CharField(
        label="OCR centre number", max_length=5, validators=[centre_number_validator]
    )
    year = forms.CharField(label="Academic year", max_length=20)
    starts_on = forms.DateField(label="First day of the year")
    ends_on = forms.DateField(label="Last day of the year")
    username = forms.CharField(
        label="Centre admin's username", max_length=150, validators=[User.username_validator]
    )
    email = forms.EmailField(label="Centre admin's email", max_length=254)
    first_name = forms.CharField(label="Centre admin's first name", max_length=150)
    last_name = forms.CharField(label="Centre admin's last name", max_length=150)
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput, required=False, strip=False
    )

    def clean_ocr_number(self) -> str:
        number = self.cleaned_data["ocr_number"].strip()
        if Centre.objects.filter(ocr_number=number).exists():
            raise forms.ValidationError(f"A centre with OCR centre number {number} exists already.")
        return number

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"An account called {username} exists already.")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(f"An account with the email {email} exists already.")
        return email

    def clean(self):
        cleaned = super().clean()
        try:
            check_year_dates(cleaned.get("starts_on"), cleaned.get("ends_on"), cleaned.get("year"))
        except forms.ValidationError as error:
            self.add_error(None, error)
        password = cleaned.get("password")
        if password:
            someone = User(
                username=cleaned.get("username", ""),
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                validate_password(password, someone)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class InviteForm(CleansText, forms.Form):
    """Send (or send again) an invitation: nothing to fill in, the button is the choice."""


class CentreLettersForm(CleansText, forms.Form):
    """Whose sign-in letters to print across the centre: the learners given in `learners`
    (a queryset of those who may get one, `invitations.centre_letter_learners`)."""

    who = forms.ChoiceField(
        label="Print letters for",
        choices=[
            ("no_email", "Every learner with no email address who has not signed in yet"),
            ("everyone", "Every learner in the centre who has not signed in yet"),
            ("chosen", "Only the learners ticked below"),
        ],
        initial="no_email",
        widget=forms.RadioSelect,
    )
    chosen = IdsModelMultipleChoiceField(
        queryset=Learner.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Learners",
    )

    def __init__(self, *args, learners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chosen"].queryset = learners

    def clean(self):
        cleaned = super().clean()
        who, eligible = cleaned.get("who"), self.fields["chosen"].queryset
        if who == "chosen" and not cleaned.get("chosen"):
            self.add_error("chosen", "Tick at least one learner, or choose another option.")
        elif who in ("no_email", "everyone") and not eligible.exists():
            self.add_error("who", "Every learner has signed in already: nobody needs a letter.")
        elif who == "no_email" and not eligible.filter(user__email="").exists():
            self.add_error(
                "who",
                "Every learner who has not signed in yet has an email address: choose "
                "“Every learner in the centre who has not signed in yet” to print "
                "their letters anyway, or send them invitation emails from their group's page.",
            )
        return cleaned

    def learners(self):
        """The learners whose letters to print, as the cleaned choice says."""
        who, eligible = self.cleaned_data["who"], self.fields["chosen"].queryset
        if who == "chosen":
            return eligible.filter(pk__in=[learner.pk for learner in self.cleaned_data["chosen"]])
        return eligible.filter(user__email="") if who == "no_email" else eligible


class LettersForm(CleansText, forms.Form):
    """Whose sign-in letters to print for a group."""

    who = forms.ChoiceField(
        label="Print letters for",
        choices=[
            ("no_email", "Learners with no email address who have not signed in yet"),
            ("everyone", "Everyone in the group who has not signed in yet"),
        ],
        initial="no_email",
        widget=forms.RadioSelect,
    )


class FirstSignInForm(CleansText, SetPasswordMixin, forms.Form):
    """A learner's first sign-in with the code from their letter: username, code, and the
    password they choose (checked by the site's password validators, AUTH_PASSWORD_VALIDATORS).

    The code is checked through `authenticate` (tracker.auth.SignInCodeBackend), so a wrong
    code counts as a failed sign-in of that account and a locked account is refused.
    """

    username = forms.CharField(label="Username", max_length=150)
    code = forms.CharField(
        label="Code from your letter", max_length=20, help_text="For example ABCD-EFGH."
    )
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1="Choose a password", label2="Type the password again"
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = None
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["code"].widget.attrs["autocomplete"] = "one-time-code"

    def clean(self):
        cleaned = super().clean()
        username, code = cleaned.get("username"), cleaned.get("code")
        if not username or not code:
            return cleaned
        self.user = authenticate(self.request, username=username, signin_code=code)
        if self.user is None:
            raise forms.ValidationError(
                "That username and code do not match, or the code has been used or has "
                "expired. Check your letter, or ask your teacher for a new one."
            )
        self.validate_passwords()
        self.validate_password_for_user(self.user)
        return cleaned

    def save(self) -> User:
        self.user.set_password(self.cleaned_data["password1"])
        self.user.save(update_fields=["password"])
        return self.user


class InvitationPasswordForm(CleansText, SetPasswordForm):
    """Django's set-password form for an invitation link, with plain labels."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "Type the password again"


class QualificationForm(CleansText, forms.Form):
    """The qualification a learner is registered on; "Not registered" is a choice the form
    sends, so a post that leaves the field out changes nothing."""

    qualification = forms.ModelChoiceField(
        label="Qualification",
        queryset=Qualification.objects.select_related("suite"),
        required=False,
        empty_label="Not registered",
    )

    def clean(self):
        cleaned = super().clean()
        if self.add_prefix("qualification") not in self.data:
            raise forms.ValidationError("Choose a qualification or Not registered.")
        return cleaned


class CentreRangesForm(CleansText, forms.Form):
    """The minimum points of each grade of a qualification, from the centre's handbook.

    Every grade needs a figure, or every box is left empty to go back to the shipped figures.
    Figures are checked by `criteria.grading.ordered_ranges` and must rise with the grade, and
    they must reproduce every verified worked example (`anchors`: `QualificationAnchor` rows of
    the qualification, loaded from criteria/specs/qualifications.toml), e.g. OCR's "Diploma:
    200 points = DD".
    """

    def __init__(
        self, *args, labels: list[str], anchors=(), qualification_name: str = "", **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.labels = labels
        self.anchors = [anchor for anchor in anchors if anchor.verified]
        self.qualification_name = qualification_name
        for index, label in enumerate(labels):
            self.fields[f"r{index}"] = forms.IntegerField(
                label=f"{grading.qualification_grade_words(label)}: minimum points",
                min_value=0,
                max_value=100000,
                required=False,
            )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        values = [cleaned.get(f"r{index}") for index in range(len(self.labels))]
        if all(value is None for value in values):
            cleaned["ranges"] = []
            return cleaned
        if any(value is None for value in values):
            raise forms.ValidationError(
                "Enter the minimum points of every grade, or leave every box empty to use the "
                "shipped figures."
            )
        ranges = list(zip(self.labels, values, strict=True))
        try:
            grading.ordered_ranges(ranges)
        except grading.GradingError as error:
            raise forms.ValidationError(str(error)) from None
        if values != sorted(values):
            raise forms.ValidationError(
                "The minimum points must rise with the grade, from the lowest grade to the highest."
            )
        for anchor in self.anchors:
            grade = grading.grade_for_points(anchor.points, ranges) or "U"
            if grade != anchor.label:
                raise forms.ValidationError(
                    f"These figures contradict OCR's worked example: {anchor.points} points is "
                    f"{anchor.label} for the {self.qualification_name}, but they give {grade} "
                    f"(source: {anchor.source}). Check the figures against your handbook."
                )
        cleaned["ranges"] = ranges
        return cleaned
