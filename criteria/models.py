"""The unit catalogue: reference data loaded from the spec files in criteria/specs/."""

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


class BoundarySet(models.Model):
    """Raw-mark grade boundaries of one exam series for an examined unit.

    The centre enters them from OCR's published document; the product ships no official
    boundaries. Illustrative sets (demo data) are labelled so wherever they are used.
    """

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="boundary_sets")
    series = models.CharField(max_length=60, help_text="e.g. June 2026, or Mock 1 2026")
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
        ordering = ["unit", "series"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "series"], name="series_once"),
        ]

    def __str__(self) -> str:
        label = " (illustrative)" if self.illustrative else ""
        return f"{self.unit} — {self.series}{label}"

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
        try:
            self.boundaries()
        except grading.GradingError as error:
            raise ValidationError(str(error)) from None
        if self.unit_id and self.unit.exam_max_mark and self.max_mark != self.unit.exam_max_mark:
            raise ValidationError(
                f"The maximum mark {self.max_mark} differs from the unit's "
                f"{self.unit.exam_max_mark}"
            )

    def grade_for(self, mark: int) -> grading.Grade:
        return grading.examined_grade(mark, self.boundaries(), self.unit.near_pass)
