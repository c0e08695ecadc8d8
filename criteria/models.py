"""The unit catalogue: reference data loaded from the spec files in criteria/specs/."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from criteria import grading


class Suite(models.Model):
    """A Cambridge Technicals suite: how its unit grades turn into points."""

    class Basis(models.TextChoices):
        GLH = "glh", "by guided learning hours"
        CREDIT = "credit", "per credit"

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    points_basis = models.CharField(max_length=10, choices=Basis.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def points_table(self) -> grading.PointsTable:
        """Return this suite's points as the grading module's table."""
        values = {
            (value.size, grading.Grade(value.grade)): value.points
            for value in self.points_values.all()
        }
        return grading.PointsTable(suite=self.code, basis=self.points_basis, values=values)


class PointsValue(models.Model):
    """Points for one grade at one unit size (GLH), or per credit (size 1)."""

    GRADES = [("R", "Near Pass"), ("P", "Pass"), ("M", "Merit"), ("D", "Distinction")]

    suite = models.ForeignKey(Suite, on_delete=models.CASCADE, related_name="points_values")
    size = models.PositiveIntegerField(help_text="GLH of the unit, or 1 for points per credit")
    grade = models.CharField(max_length=1, choices=GRADES)
    points = models.PositiveIntegerField()
    verified = models.BooleanField(default=False)
    source = models.TextField()

    class Meta:
        ordering = ["suite", "size", "points"]
        constraints = [
            models.UniqueConstraint(fields=["suite", "size", "grade"], name="points_once"),
        ]

    def __str__(self) -> str:
        return f"{self.suite.code} {self.size} {self.grade} = {self.points}"


class UnitQuerySet(models.QuerySet):
    def for_catalogue(self) -> "UnitQuerySet":
        """Return units with what the unit list shows, counted in the same query."""
        return self.select_related("suite").annotate(
            criterion_count=models.Count("criteria", distinct=True),
            topic_count=models.Count("learning_outcomes__topics", distinct=True),
        )


class Unit(models.Model):
    class Mode(models.TextChoices):
        CENTRE_ASSESSED = "centre_assessed", "Centre-assessed"
        EXAMINED = "examined", "Externally examined"

    suite = models.ForeignKey(Suite, on_delete=models.PROTECT, related_name="units")
    slug = models.SlugField(max_length=40, unique=True, help_text="Spec file name, e.g. unit-30")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    reference = models.CharField(max_length=20, blank=True)
    level = models.PositiveSmallIntegerField()
    glh = models.PositiveIntegerField("guided learning hours")
    credits = models.PositiveIntegerField(null=True, blank=True)
    assessment_mode = models.CharField(max_length=20, choices=Mode.choices)
    aim = models.TextField(blank=True)
    source = models.TextField()
    exam_duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    exam_max_mark = models.PositiveIntegerField(null=True, blank=True)
    near_pass = models.BooleanField(default=False, help_text="Near Pass (R) can be awarded")
    exam_source = models.TextField(blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["number", "suite"]
        constraints = [
            models.UniqueConstraint(fields=["suite", "number"], name="unit_number_once"),
        ]

    def __str__(self) -> str:
        return f"Unit {self.number}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("criteria:unit", args=[self.slug])

    @property
    def is_examined(self) -> bool:
        return self.assessment_mode == self.Mode.EXAMINED


class LearningOutcome(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="learning_outcomes")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)

    class Meta:
        ordering = ["unit", "number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="lo_number_once"),
        ]

    def __str__(self) -> str:
        return f"LO{self.number} {self.title}"


def item_key(*, criterion_id: int | None = None, topic_id: int | None = None) -> str:
    """Return the key that names a criterion ("c:<id>") or a topic item ("t:<id>") in forms,
    pages and evidence lists: the one place the key is built."""
    if criterion_id is not None:
        return f"c:{criterion_id}"
    if topic_id is not None:
        return f"t:{topic_id}"
    raise ValueError("An item key needs a criterion or a topic item.")


class TopicItem(models.Model):
    """One item of teaching content: for an examined unit, a checklist item for learners."""

    learning_outcome = models.ForeignKey(
        LearningOutcome, on_delete=models.CASCADE, related_name="topics"
    )
    code = models.CharField(max_length=20)
    heading = models.CharField(max_length=300)
    text = models.TextField()
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["learning_outcome", "order"]
        constraints = [
            models.UniqueConstraint(fields=["learning_outcome", "code"], name="topic_code_once"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.heading}"

    @property
    def key(self) -> str:
        return item_key(topic_id=self.pk)


class Criterion(models.Model):
    """A P/M/D assessment criterion of a centre-assessed unit."""

    BANDS = [("P", "Pass"), ("M", "Merit"), ("D", "Distinction")]

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="criteria")
    learning_outcome = models.ForeignKey(
        LearningOutcome, on_delete=models.CASCADE, related_name="criteria"
    )
    code = models.CharField(max_length=5)
    band = models.CharField(max_length=1, choices=BANDS)
    wording = models.TextField()
    teaching_content = models.TextField(blank=True)
    suggested_evidence = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["unit", "order"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], name="criterion_code_once"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.wording}"

    @property
    def key(self) -> str:
        return item_key(criterion_id=self.pk)


class SuggestedAssignment(models.Model):
    """A piece of evidence the assessment guidance suggests, covering some criteria."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="suggested_assignments")
    title = models.CharField(max_length=200)
    evidence_form = models.CharField(max_length=100)
    guidance = models.TextField(blank=True)
    criteria = models.ManyToManyField(Criterion, related_name="suggested_assignments")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["unit", "order"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "title"], name="assignment_title_once"),
        ]

    def __str__(self) -> str:
        return self.title


class GlossaryTerm(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="glossary")
    term = models.CharField(max_length=200)
    definition = models.TextField()

    class Meta:
        ordering = ["unit", "term"]
        constraints = [models.UniqueConstraint(fields=["unit", "term"], name="term_once")]

    def __str__(self) -> str:
        return self.term


class Resource(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(max_length=20)
    text = models.TextField()
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["unit", "order"]

    def __str__(self) -> str:
        return self.text[:80]


class ExamSeriesQuerySet(models.QuerySet):
    def for_centre(self, centre_id: int | None) -> "ExamSeriesQuerySet":
        """The series a centre may use: every shared OCR series plus its own mocks."""
        return self.filter(models.Q(centre__isnull=True) | models.Q(centre_id=centre_id))


class ExamSeries(models.Model):
    """One sitting of an examined unit's paper: a real OCR series or a centre's mock.

    A real OCR series is shared by every centre on the instance (OCR publishes one set of
    boundaries for everyone), so it has no centre. A mock belongs to the centre that sets it,
    and no other centre sees it. Marks are entered against a series; its boundaries, once
    entered, turn each mark into a grade.
    """

    class Kind(models.TextChoices):
        MOCK = "mock", "Mock"
        REAL = "real", "OCR exam"

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="exam_series")
    name = models.CharField(max_length=60, help_text="e.g. January 2026, or Mock 1 2026")
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.REAL)
    centre = models.ForeignKey(
        "tracker.Centre",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mock_series",
        help_text="The centre that sets a mock; empty for a real OCR series shared by all",
    )
    sat_on = models.DateField(
        null=True,
        blank=True,
        help_text="When the paper was sat (any day of the series' month): orders resits",
    )

    objects = ExamSeriesQuerySet.as_manager()

    class Meta:
        ordering = ["unit", "-kind", "name"]
        verbose_name_plural = "exam series"
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "name"],
                condition=models.Q(centre__isnull=True),
                name="shared_series_once",
            ),
            models.UniqueConstraint(
                fields=["unit", "name", "centre"],
                condition=models.Q(centre__isnull=False),
                name="centre_series_once",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="real", centre__isnull=True)
                | models.Q(kind="mock", centre__isnull=False),
                name="mocks_belong_to_a_centre",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.centre_id is None

    @property
    def label(self) -> str:
        """The series as every page names it, its kind said once in plain words: "Mock 1",
        "Practice paper (mock)", "January 2026 (OCR exam)". A name that already says what it
        is (a mock named "Mock …", an OCR series named "OCR …") gets nothing added."""
        mock = self.kind == self.Kind.MOCK
        if re.search(r"\bmock\b" if mock else r"\bOCR\b", self.name, re.IGNORECASE):
            return self.name
        return f"{self.name} ({'mock' if mock else 'OCR exam'})"


class BoundarySet(models.Model):
    """Raw-mark grade boundaries of one exam series for an examined unit.

    Entered in the app from OCR's published document (or by the centre for its mocks); the
    product ships no official boundaries. Illustrative sets (demo data) are labelled so
    wherever they are used. Every change is kept in `BoundaryChange`.
    """

    series = models.OneToOneField(ExamSeries, on_delete=models.CASCADE, related_name="boundary_set")
    max_mark = models.PositiveIntegerField()
    distinction = models.PositiveIntegerField()
    merit = models.PositiveIntegerField()
    pass_mark = models.PositiveIntegerField("pass")
    near_pass = models.PositiveIntegerField(null=True, blank=True)
    source = models.TextField(help_text="Where these boundaries come from")
    illustrative = models.BooleanField(
        default=False, help_text="Not official: made up for demonstration or practice"
    )

    class Meta:
        ordering = ["series__unit", "series__name"]

    def __str__(self) -> str:
        label = " (illustrative)" if self.illustrative else ""
        return f"{self.series.unit} — {self.series.name}{label}"

    @property
    def unit(self) -> Unit:
        return self.series.unit

    def boundaries(self) -> grading.Boundaries:
        """Return the boundaries for the grading module (validated there)."""
        return grading.Boundaries(
            max_mark=self.max_mark,
            distinction=self.distinction,
            merit=self.merit,
            pass_mark=self.pass_mark,
            near_pass=self.near_pass,
        )

    def clean(self) -> None:
        """Refuse boundaries the grading rules refuse (`criteria.grading.Boundaries`), a
        maximum that differs from the unit's paper, and Near Pass on a unit without it."""
        try:
            self.boundaries()
        except grading.GradingError as error:
            raise ValidationError(str(error)) from None
        if not self.series_id:
            return
        unit = self.series.unit
        if unit.exam_max_mark and self.max_mark != unit.exam_max_mark:
            raise ValidationError(
                f"The maximum mark {self.max_mark} differs from the unit's {unit.exam_max_mark}"
            )
        if self.near_pass is not None and not unit.near_pass:
            raise ValidationError("This unit does not award Near Pass: leave it empty.")

    def grade_for(self, mark: int) -> grading.Grade:
        return grading.examined_grade(mark, self.boundaries(), self.series.unit.near_pass)


class BoundaryChange(models.Model):
    """One change to a series' boundaries: who made it, when, and what changed."""

    series = models.ForeignKey(ExamSeries, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    summary = models.TextField()

    class Meta:
        ordering = ["series", "-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.series} {self.changed_at:%Y-%m-%d}: {self.summary}"


class Qualification(models.Model):
    """A qualification size of one suite (e.g. the 2016 Level 3 Diploma in Health and Social
    Care): shared by every centre, loaded from criteria/specs/qualifications.toml and edited
    only by the site administrator.

    `size` is in GLH for a suite with points by GLH, in credits for a suite with points per
    credit; `optional_size` is how much of it optional units fill (the strongest count).
    `letters` is 1 for single grades (D*…P), 2 for double (D*D*…PP), 3 for triple.
    """

    suite = models.ForeignKey(Suite, on_delete=models.PROTECT, related_name="qualifications")
    code = models.CharField(max_length=20, unique=True, help_text="OCR's entry code, e.g. 05833")
    code_verified = models.BooleanField(default=False)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=60, help_text="e.g. Diploma")
    size = models.PositiveIntegerField(
        help_text="GLH, or credits for a suite with points per credit"
    )
    optional_size = models.PositiveIntegerField(
        help_text="GLH or credits of optional units that count (the strongest ones)"
    )
    letters = models.PositiveSmallIntegerField(
        choices=[(1, "single grade"), (2, "double grade"), (3, "triple grade")]
    )
    verified = models.BooleanField(default=False, help_text="Size and unit rules confirmed")
    source = models.TextField()

    class Meta:
        ordering = ["suite", "size", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def size_unit(self) -> str:
        """'GLH' or 'credits', the unit `size` is counted in."""
        return "credits" if self.suite.points_basis == Suite.Basis.CREDIT else "GLH"


class QualificationUnit(models.Model):
    """A unit of a qualification's structure. `unit` links the fully tracked catalogue unit
    of the same suite and number when one exists; every other unit is tracked grade-only.
    """

    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="units")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    glh = models.PositiveIntegerField("guided learning hours")
    credits = models.PositiveIntegerField(null=True, blank=True)
    mandatory = models.BooleanField(default=False)
    examined = models.BooleanField(
        default=False,
        help_text="Externally examined: only such units of a suite with Near Pass award it (R)",
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="qualification_units",
        help_text="The tracked unit (same suite and number), set by load_specs",
    )
    verified = models.BooleanField(default=False)
    source = models.TextField()

    class Meta:
        ordering = ["qualification", "number"]
        constraints = [
            models.UniqueConstraint(fields=["qualification", "number"], name="qual_unit_once"),
        ]

    def __str__(self) -> str:
        return f"Unit {self.number}: {self.title}"

    @property
    def size(self) -> int:
        """The unit's size in the qualification's terms: credits where points are per credit."""
        if self.qualification.suite.points_basis == Suite.Basis.CREDIT:
            return self.credits or 0
        return self.glh


class QualificationAnchor(models.Model):
    """A worked example from the awarding body that every set of point ranges of a
    qualification must reproduce: `points` (in the qualification's unit points) give the grade
    `label` (e.g. OCR's "Diploma: 200 points = DD"). Loaded from the `anchors` of
    criteria/specs/qualifications.toml; the loader and the centre's own ranges are checked
    against the verified ones."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="anchors"
    )
    points = models.PositiveIntegerField()
    label = models.CharField(max_length=6, help_text="The qualification grade, e.g. DD")
    verified = models.BooleanField(default=False)
    source = models.TextField()

    class Meta:
        ordering = ["qualification", "points"]

    def __str__(self) -> str:
        return f"{self.qualification.short_name}: {self.points} points = {self.label}"


class QualificationGradeRange(models.Model):
    """The minimum points for one qualification grade (shared default; a centre can enter
    its handbook's figures, which then replace these for that centre)."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="grade_ranges"
    )
    label = models.CharField(max_length=6, help_text="e.g. DD or D*D*D*")
    minimum_points = models.PositiveIntegerField()
    verified = models.BooleanField(default=False)
    source = models.TextField()

    class Meta:
        ordering = ["qualification", "minimum_points"]
        constraints = [
            models.UniqueConstraint(fields=["qualification", "label"], name="qual_range_once"),
            models.UniqueConstraint(
                fields=["qualification", "minimum_points"], name="qual_range_minimum_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.qualification.code} {self.label} from {self.minimum_points}"

    def clean(self) -> None:
        """Refuse a label that is not a grade of the qualification's size (the admin)."""
        _check_label(self.label, self.qualification if self.qualification_id else None)


class UcasTariff(models.Model):
    """UCAS tariff points for one qualification grade."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="ucas_tariffs"
    )
    label = models.CharField(max_length=6)
    points = models.PositiveIntegerField()
    verified = models.BooleanField(default=False)
    source = models.TextField()

    class Meta:
        ordering = ["qualification", "-points"]
        constraints = [
            models.UniqueConstraint(fields=["qualification", "label"], name="ucas_label_once"),
        ]

    def __str__(self) -> str:
        return f"{self.qualification.code} {self.label} = {self.points} UCAS points"

    def clean(self) -> None:
        _check_label(self.label, self.qualification if self.qualification_id else None)


def _check_label(label: str, qualification: Qualification | None) -> None:
    try:
        letters = grading.qualification_letters(label)
    except grading.GradingError as error:
        raise ValidationError({"label": str(error)}) from None
    if qualification is not None and len(letters) != qualification.letters:
        raise ValidationError(
            {
                "label": f"The {qualification.short_name} is graded with {qualification.letters} "
                "letter(s), e.g. DM for a double grade"
            }
        )
