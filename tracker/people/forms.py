from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone

from criteria.models import Unit
from tracker import access
from tracker.lib.forms import CleansText, IdsModelMultipleChoiceField
from tracker.models import TARGET_GRADES, GcseTargetRange, Learner, TeachingGroup, User


class TargetForm(CleansText, forms.Form):
    target_grade = forms.ChoiceField(
        label="Target grade", choices=[("", "No target"), *TARGET_GRADES], required=False
    )


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
        widget=forms.DateInput(attrs={"type": "date"}),
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
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        # Roles the admin cannot hand out keep their stored value whatever is posted.
        self.grantable = access.grantable_rights(admin)
        for role, field in access.ROLES.items():
            if role not in self.grantable:
                self.fields[field].disabled = True
                self.fields[field].help_text = "Only someone holding this role can change it."

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        clash = User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk)
        if clash.exists():
            # Sign-in ignores letter case, so names differing only by case would clash.
            raise forms.ValidationError("Another account already uses this username.")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        clash = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another account already uses this email address.")
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
