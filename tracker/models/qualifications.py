"""A centre's qualification records: its own point ranges and its grade-only unit results."""

from django.conf import settings
from django.db import models

from criteria.models import Qualification, QualificationUnit
from tracker.models.people import Centre, Learner

UNIT_GRADES = [
    ("U", "Unclassified"),
    ("R", "Near Pass"),
    ("P", "Pass"),
    ("M", "Merit"),
    ("D", "Distinction"),
]


class CentreGradeRange(models.Model):
    """A qualification grade's minimum points as the centre's handbook gives them.

    When a centre has entered ranges for a qualification, they replace the shipped
    (unverified) ranges for that centre's learners, and are shown as "entered by your centre".
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="grade_ranges")
    qualification = models.ForeignKey(Qualification, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=6)
    minimum_points = models.PositiveIntegerField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["centre", "qualification", "minimum_points"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "qualification", "label"], name="centre_range_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre}: {self.qualification.code} {self.label} from {self.minimum_points}"


class GradeOnlyResult(models.Model):
    """A learner's result on a unit of their qualification the site does not track in full:
    the grade achieved (blank while not finished) and the teacher's predicted grade.

    Every change is kept in `GradeOnlyChange`, like predictions and decisions.
    """

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="grade_only")
    qualification_unit = models.ForeignKey(
        QualificationUnit, on_delete=models.PROTECT, related_name="results"
    )
    achieved = models.CharField(max_length=1, choices=UNIT_GRADES, blank=True)
    predicted = models.CharField(max_length=1, choices=UNIT_GRADES, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["learner", "qualification_unit"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "qualification_unit"], name="grade_only_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} unit {self.qualification_unit.number}"


class GradeOnlyChange(models.Model):
    """One change to a grade-only result: who, when, from where, old and new grades."""

    class Source(models.TextChoices):
        APP = "app", "entered on the site"
        IMPORT = "import", "imported from a file"

    result = models.ForeignKey(GradeOnlyResult, on_delete=models.CASCADE, related_name="changes")
    old_achieved = models.CharField(max_length=1, choices=UNIT_GRADES, blank=True)
    new_achieved = models.CharField(max_length=1, choices=UNIT_GRADES, blank=True)
    old_predicted = models.CharField(max_length=1, choices=UNIT_GRADES, blank=True)
    new_predicted = models.CharField(max_length=1, choices=UNIT_GRADES, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.APP)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["result", "-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.result} {self.changed_at:%Y-%m-%d}"
