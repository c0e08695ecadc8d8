"""Per-enrolment summaries the centre dashboard counts, so its cost does not grow with the
centre (issue #18; the design is in docs/performance.md, *Centre dashboard*).

A summary holds what the centre dashboard shows of one learner-unit, taken from one
`progress_for(with_items=False)` call. Database triggers (migration
``0018_enrolment_summaries``) delete the summaries a write affects and leave a
`SummaryMarker` for the centre; the dashboard recomputes the missing ones when it finds a
marker (`tracker.reports.summaries.refresh_summaries`). Both tables are derived data: they
are left out of backups and refilled after a restore.
"""

from django.db import models

from criteria.models import Unit
from tracker.models.people import Centre, Enrolment, TeachingGroup

# An examined unit with no graded result: its own row on the dashboard, never Unclassified.
NOT_SAT = "not_sat"


class EnrolmentSummary(models.Model):
    """One current learner-unit of a teaching group, as the centre dashboard counts it.

    ``achieved`` and ``projected`` are a grade letter (U, R, P, M, D) or ``not_sat``;
    ``predicted`` is the newest prediction's letter and ``target`` the target's (blank when
    there is none); ``done`` counts the criteria (or, for an examined unit, the topics)
    achieved; ``waiting`` counts the decisions handed in and not yet marked, the oldest
    handed in at ``waiting_since`` (the marking backlog, added up per group in
    `GroupSummary`). ``rule`` is the ``EXAM_RESULT_RULE`` the row was worked out under: a row of
    another rule counts as missing. No database foreign keys: the rows are written while
    other writes wait, and must never wait for a row lock themselves.
    """

    # Removed by the triggers, which copy it into a marker first (never by Django's cascade).
    enrolment = models.OneToOneField(
        Enrolment,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        related_name="summary",
        db_constraint=False,
    )
    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    group = models.ForeignKey(
        TeachingGroup,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    rule = models.CharField(max_length=20)
    achieved = models.CharField(max_length=8)
    projected = models.CharField(max_length=8)
    predicted = models.CharField(max_length=1, blank=True)
    target = models.CharField(max_length=1, blank=True)
    done = models.PositiveIntegerField()
    waiting = models.PositiveIntegerField()
    waiting_since = models.DateTimeField(null=True)

    class Meta:
        indexes = [
            # The dashboard's one grouped query reads only this index, and only the rows of
            # its centre: other centres' rows are never touched.
            models.Index(
                fields=[
                    "centre",
                    "rule",
                    "unit",
                    "achieved",
                    "projected",
                    "predicted",
                    "target",
                    "done",
                ],
                name="summary_centre_figures",
            ),
            models.Index(fields=["unit"], name="summary_unit"),
            models.Index(fields=["group", "rule", "waiting"], name="summary_group"),
        ]

    def __str__(self) -> str:
        return f"Summary of enrolment {self.enrolment_id}"


class GroupSummary(models.Model):
    """A teaching group's marking backlog: the decisions handed in and not yet marked of its
    current learners, and when the oldest came in (the sum of its `EnrolmentSummary` rows).
    Groups with nothing waiting have no row."""

    group = models.OneToOneField(
        TeachingGroup,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="summary",
        db_constraint=False,
    )
    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    waiting = models.PositiveIntegerField()
    waiting_since = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"Marking backlog of group {self.group_id}"


class CentreSummary(models.Model):
    """What the centre overview shows of the whole centre, added up from its summaries when
    they were last brought up to date, so that a load with nothing changed reads one row.

    ``figures``: one list per distinct (unit id, achieved, projected, predicted, target)
    of the centre's `EnrolmentSummary` rows, with how many learner-units have it and their
    criteria or topics done added up: ``[unit_id, achieved, projected, predicted, target,
    learners, done]``. ``without_target``: learners on roll with a unit enrolment that has
    no target. ``rule`` as on `EnrolmentSummary`.
    """

    centre = models.OneToOneField(
        Centre,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="summary",
        db_constraint=False,
    )
    rule = models.CharField(max_length=20)
    figures = models.JSONField(default=list)
    without_target = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Overview figures of centre {self.centre_id}"


class SummaryMarker(models.Model):
    """Left by the triggers for the next refresh of a centre: with ``enrolment``, that
    learner-unit's summary is missing (or it was removed); with ``group``, that group's
    backlog lost a learner-unit with work waiting; with neither, any of the centre's
    learner-units may be missing (a catalogue change, a learner or group moved).

    Not unique on purpose: writers never wait for each other to add one.
    """

    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    group = models.ForeignKey(
        TeachingGroup, on_delete=models.CASCADE, related_name="+", db_constraint=False, null=True
    )
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, null=True
    )
    # With ``enrolment``: the figures of the summary that went (``unit`` is null when there
    # was none), and whether its target may have changed.
    unit = models.ForeignKey(
        Unit, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, null=True
    )
    # (Database defaults: the triggers insert markers with only some columns.)
    achieved = models.CharField(max_length=8, blank=True, db_default="")
    projected = models.CharField(max_length=8, blank=True, db_default="")
    predicted = models.CharField(max_length=1, blank=True, db_default="")
    target = models.CharField(max_length=1, blank=True, db_default="")
    done = models.PositiveIntegerField(null=True)
    targets = models.BooleanField(db_default=False)

    def __str__(self) -> str:
        return f"Summaries to refresh in centre {self.centre_id}"
