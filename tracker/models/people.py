"""Centre, years, teaching groups, learners and their enrolments on units."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from criteria.models import Unit

candidate_number_validator = RegexValidator(
    r"^\d{4}$", "An OCR candidate number is exactly 4 digits, e.g. 0042."
)
centre_number_validator = RegexValidator(
    r"^\d{5}$", "An OCR centre number is exactly 5 digits, e.g. 12345."
)
uln_validator = RegexValidator(r"^\d{10}$", "A unique learner number (ULN) is 10 digits.")

TARGET_GRADES = [("P", "Pass"), ("M", "Merit"), ("D", "Distinction")]


class Centre(models.Model):
    name = models.CharField(max_length=200)
    ocr_number = models.CharField(
        "OCR centre number", max_length=5, unique=True, validators=[centre_number_validator]
    )
    aspiration_step = models.PositiveSmallIntegerField(
        default=1,
        help_text="Grades above the target for the aspirational grade (0 to show none)",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ocr_number})"

    def current_year(self) -> "AcademicYear":
        """Return the centre's current academic year (or its first, when none is marked
        current). Raises PermissionDenied, shown as a page, when the centre has none yet."""
        year = self.years.filter(is_current=True).first() or self.years.first()
        if year is None:
            raise PermissionDenied(
                "Set up an academic year first: a centre admin adds one on the Years page "
                f"of the centre pages ({reverse('centre:years')})."
            )
        return year


class AcademicYear(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="years")
    name = models.CharField(max_length=20, help_text="e.g. 2026/27")
    starts_on = models.DateField()
    ends_on = models.DateField()
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "name"], name="year_name_once"),
            models.UniqueConstraint(
                fields=["centre"], condition=Q(is_current=True), name="one_current_year"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StaffMembership(models.Model):
    """Which centre a member of staff works for (a trust may run several centres)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_membership"
    )
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="staff")

    def __str__(self) -> str:
        return f"{self.user} at {self.centre}"


class TeachingGroupQuerySet(models.QuerySet):
    def for_user(self, user) -> "TeachingGroupQuerySet":
        """Return the groups this user may see: admins their centre, staff their groups."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        rules = Q(pk__in=[])
        centre_id = staff_centre_id(user)
        if user.is_centre_admin and centre_id:
            rules |= Q(centre_id=centre_id)
        if user.is_teacher:
            rules |= Q(teachers=user)
        if user.is_internal_verifier:
            rules |= Q(internal_verifiers=user)
        return self.filter(rules).distinct()

    def taught_by(self, user) -> "TeachingGroupQuerySet":
        return self.filter(teachers=user)

    def for_listing(self) -> "TeachingGroupQuerySet":
        """Return groups with what group tables show: year, units, staff, learner count."""
        return (
            self.select_related("academic_year")
            .prefetch_related("units", "teachers", "internal_verifiers")
            .annotate(
                # A subquery per group listed (not a join over every learner of every
                # group): a page of groups counts the learners of its groups only.
                learner_count=Coalesce(
                    models.Subquery(
                        Learner.objects.filter(group=models.OuterRef("pk"), left_on__isnull=True)
                        .order_by()
                        .values("group")
                        .annotate(count=models.Count("pk"))
                        .values("count")
                    ),
                    0,
                )
            )
        )


class TeachingGroup(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="groups")
    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="groups")
    name = models.CharField(max_length=60, help_text="e.g. 13HSC1")
    units = models.ManyToManyField(Unit, related_name="teaching_groups", blank=True)
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teaching_groups", blank=True
    )
    internal_verifiers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="verified_groups", blank=True
    )

    objects = TeachingGroupQuerySet.as_manager()

    class Meta:
        ordering = ["academic_year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "academic_year", "name"], name="group_name_once"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("group", args=[self.pk])


class LearnerQuerySet(models.QuerySet):
    def for_user(self, user) -> "LearnerQuerySet":
        """Return the learners this user may see.

        A learner sees only themselves; a teacher the learners of the groups they teach;
        an internal verifier the learners of the groups they verify; a centre admin every
        learner of their centre.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        rules = Q(user=user)
        centre_id = staff_centre_id(user)
        if user.is_centre_admin and centre_id:
            rules |= Q(centre_id=centre_id)
        if user.is_teacher:
            rules |= Q(group__teachers=user)
        if user.is_internal_verifier:
            rules |= Q(group__internal_verifiers=user)
        return self.filter(rules).distinct()

    def current(self) -> "LearnerQuerySet":
        """Return the learners still on roll: a leaver (``left_on`` set) is left out.

        The one rule for who appears in grids, at-risk lists, deadline flags, sampling
        proposals and the grades export (DESIGN: leavers keep their records, read-only).
        """
        return self.filter(left_on__isnull=True)

    def leavers(self) -> "LearnerQuerySet":
        """Return the learners marked as left, newest leaver first."""
        return self.filter(left_on__isnull=False).order_by("-left_on", "last_name", "first_name")


class Learner(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="learners")
    candidate_number = models.CharField(max_length=4, validators=[candidate_number_validator])
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    uln = models.CharField("ULN", max_length=10, blank=True, validators=[uln_validator])
    average_gcse = models.DecimalField(
        "average GCSE score", max_digits=4, decimal_places=2, null=True, blank=True
    )
    group = models.ForeignKey(
        TeachingGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="learners"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="learner",
    )
    # The legal names an MIS holds beside the preferred ones (blank: the same as preferred).
    # Pages show the preferred name; outputs for OCR use the legal one.
    legal_first_name = models.CharField(max_length=100, blank=True)
    legal_last_name = models.CharField(max_length=100, blank=True)
    left_on = models.DateField(
        "left on", null=True, blank=True, help_text="The day the learner left the centre."
    )
    leaving_reason = models.CharField(max_length=200, blank=True)
    qualification = models.ForeignKey(
        "criteria.Qualification",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="learners",
        help_text="The qualification the learner is registered on",
    )
    joined_at = models.DateTimeField(
        "joined", default=timezone.now, help_text="When the learner was added to the centre."
    )

    objects = LearnerQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "candidate_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "candidate_number"], name="candidate_number_once"
            ),
        ]
        # The centre overview counts learners on roll and in no group from this index alone.
        indexes = [
            models.Index(fields=["centre", "left_on", "group"], name="learner_roll"),
            # A centre's learners in name order, for lists paged by name.
            models.Index(
                fields=["centre", "last_name", "first_name", "candidate_number"],
                name="learner_by_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.candidate_number})"

    def get_absolute_url(self) -> str:
        return reverse("learner", args=[self.pk])

    @property
    def full_name(self) -> str:
        """The preferred name, shown on every page."""
        return f"{self.first_name} {self.last_name}"

    @property
    def legal_full_name(self) -> str:
        """The legal name for outputs to OCR (recording sheets, moderation samples); the
        preferred name stands in for a part the MIS gave no legal form of."""
        return (
            f"{self.legal_first_name or self.first_name} {self.legal_last_name or self.last_name}"
        )

    @property
    def has_left(self) -> bool:
        return self.left_on is not None


class EnrolmentQuerySet(models.QuerySet):
    def for_user(self, user) -> "EnrolmentQuerySet":
        return self.filter(learner__in=Learner.objects.for_user(user))

    def current(self) -> "EnrolmentQuerySet":
        """Return the enrolments of learners still on roll (see ``LearnerQuerySet.current``)."""
        return self.filter(learner__left_on__isnull=True)


class Enrolment(models.Model):
    """A learner taking a unit in an academic year, with their target grade."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="enrolments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="enrolments")
    academic_year = models.ForeignKey(
        AcademicYear, on_delete=models.PROTECT, related_name="enrolments"
    )
    target_grade = models.CharField(max_length=1, choices=TARGET_GRADES, blank=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["learner", "unit"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "unit", "academic_year"], name="enrolment_once"
            ),
        ]
        # "Learners without a target" finds the few enrolments with none, not every one.
        indexes = [
            models.Index(
                fields=["learner"], condition=Q(target_grade=""), name="enrolment_without_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} on unit {self.unit.number}"


class TargetChange(models.Model):
    """Every change of a target grade: who, when, from, to and how."""

    class Source(models.TextChoices):
        IMPORT = "import", "MIS import"
        TEACHER = "teacher", "entered by staff"
        GCSE = "gcse", "from average GCSE score"

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="target_changes"
    )
    old_grade = models.CharField(max_length=1, choices=TARGET_GRADES, blank=True)
    new_grade = models.CharField(max_length=1, choices=TARGET_GRADES, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.enrolment}: {self.old_grade or '—'} → {self.new_grade or '—'}"


class GcseTargetRange(models.Model):
    """The centre's own mapping from average GCSE score to a minimum target grade."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="gcse_ranges")
    minimum_score = models.DecimalField(max_digits=4, decimal_places=2)
    grade = models.CharField(max_length=1, choices=TARGET_GRADES)

    class Meta:
        ordering = ["centre", "minimum_score"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "minimum_score"], name="gcse_range_once"),
        ]

    def __str__(self) -> str:
        return f"{self.minimum_score}+ → {self.grade}"


class LeadAssessor(models.Model):
    """The lead assessor of a unit at a centre (authorises resubmissions)."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="lead_assessors")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="lead_assessors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lead_units"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["centre", "unit"], name="one_lead_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.user} leads unit {self.unit.number}"


def staff_centre_id(user) -> int | None:
    """Return the id of the centre a member of staff works for, or None."""
    membership = getattr(user, "staff_membership", None)
    return membership.centre_id if membership else None
