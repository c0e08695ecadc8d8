"""Dashboard figures for groups and the centre, from the one progress service."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import (
    Count,
    Max,
    Min,
)
from django.utils import timezone

from criteria.grading import Grade
from criteria.models import Unit
from tracker.assessment.progress import (
    UnitProgress,
    progress_for,
)
from tracker.models import (
    Assignment,
    CentreSummary,
    Decision,
    Enrolment,
    Evidence,
    Learner,
    Status,
)
from tracker.models.summaries import NOT_SAT
from tracker.reports.summaries import SERIES, centre_summary

GRADES = ["U", "R", "P", "M", "D"]
GRADE_LABELS = {grade: Grade(grade).label for grade in GRADES} | {NOT_SAT: "Not sat yet"}


@dataclass
class UnitFigures:
    unit: object
    chart_id: str = ""
    done: int = 0
    total: int = 0
    learners: int = 0
    distribution: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    @property
    def grades(self) -> list[str]:
        """Return the rows shown: an examined unit's "not sat yet" first, then U to D."""
        return [NOT_SAT, *GRADES] if self.unit.is_examined else GRADES

    def chart(self) -> dict:
        """Return the numbers the chart script draws (the same as the table's)."""
        return {
            "grades": [GRADE_LABELS[grade] for grade in self.grades],
            "series": [name.capitalize() for name in SERIES],
            "counts": [
                [self.distribution[series][grade] for grade in self.grades] for series in SERIES
            ],
        }

    def rows(self) -> list[tuple[str, list[int]]]:
        """Return (grade label, counts per series) for the accessible table and the chart."""
        return [
            (GRADE_LABELS[grade], [self.distribution[series][grade] for series in SERIES])
            for grade in self.grades
        ]


@dataclass
class GroupFigures:
    group: object
    units: dict[int, UnitFigures] = field(default_factory=dict)
    at_risk: list[tuple[object, list[str]]] = field(default_factory=list)
    awaiting: int = 0
    oldest: object = None
    deadlines: list[Assignment] = field(default_factory=list)


def _add(figures: UnitFigures, progress: UnitProgress) -> None:
    figures.learners += 1
    figures.done += progress.done
    figures.total += progress.total
    # An examined unit with no graded OCR result is "not sat yet" (as the learner's page
    # says), and projected from the latest graded mock if there is one.
    achieved = NOT_SAT if progress.not_sat else progress.achieved.value
    examined = progress.unit.is_examined
    projected = NOT_SAT if examined and progress.graded_by is None else progress.projected.value
    figures.distribution["achieved"][achieved] += 1
    figures.distribution["projected"][projected] += 1
    if progress.prediction:
        figures.distribution["predicted"][progress.prediction.grade] += 1
    if progress.target:
        figures.distribution["target"][progress.target] += 1


def current_learners(groups) -> list[Learner]:
    """Return the groups' learners on roll (`Learner.objects.current`), by name, each given
    its group from `groups` (one query), for `group_figures` and the qualification
    summaries to share."""
    by_pk = {group.pk: group for group in groups}
    learners = list(
        Learner.objects.current()
        .filter(group__in=list(by_pk))
        .order_by("last_name", "first_name", "pk")
    )
    for learner in learners:
        learner.group = by_pk[learner.group_id]
    return learners


def group_figures(groups, learners: list[Learner] | None = None) -> list[GroupFigures]:
    """Return figures for each group in a fixed number of queries; `learners` are the
    groups' `current_learners` when the caller has them already."""
    groups = list(groups)
    result = {group.pk: GroupFigures(group) for group in groups}
    if learners is None:
        learners = current_learners(groups)
    # Each enrolment shares its learner, unit and group with the others instead of a copy
    # per row: model instances were most of this page's time.
    by_pk = {learner.pk: learner for learner in learners}
    enrolments = list(
        Enrolment.objects.filter(learner_id__in=list(by_pk)).order_by(
            "unit__number", "learner__last_name"
        )
    )
    units = Unit.objects.select_related("suite").in_bulk({e.unit_id for e in enrolments})
    for enrolment in enrolments:
        enrolment.unit = units[enrolment.unit_id]
        enrolment.learner = by_pk[enrolment.learner_id]
    risky: dict[int, dict] = defaultdict(dict)
    progresses = progress_for(enrolments, with_assessors=False, with_items=False)
    for progress in progresses:
        group_id = progress.enrolment.learner.group_id
        figures = result[group_id].units.setdefault(
            progress.unit.pk, UnitFigures(progress.unit, f"chart-g{group_id}-u{progress.unit.pk}")
        )
        _add(figures, progress)
        if progress.flags:
            learner = progress.enrolment.learner
            risky[group_id].setdefault(learner.pk, (learner, []))[1].extend(
                f"Unit {progress.unit.number}: {flag}" for flag in progress.flags
            )
    quiet_since = timezone.now() - timedelta(weeks=settings.AT_RISK_WEEKS_WITHOUT_EVIDENCE)
    latest = dict(
        Evidence.objects.filter(enrolment__learner__group__in=groups)
        .values("enrolment__learner")
        .annotate(latest=Max("uploaded_at"))
        .values_list("enrolment__learner", "latest")
    )
    for progress in progresses:
        learner = progress.enrolment.learner
        # A learner who joined recently has not had the weeks to hand anything in yet.
        if max(latest.get(learner.pk, learner.joined_at), learner.joined_at) >= quiet_since:
            continue
        flags = risky[learner.group_id].setdefault(learner.pk, (learner, []))[1]
        message = f"No evidence in {settings.AT_RISK_WEEKS_WITHOUT_EVIDENCE} weeks"
        if message not in flags:
            flags.append(message)
    for group_id, learners in risky.items():
        result[group_id].at_risk = sorted(learners.values(), key=lambda pair: pair[0].last_name)
    waiting = (
        Decision.objects.filter(
            status=Status.SUBMITTED,
            enrolment__learner__group__in=groups,
            enrolment__learner__left_on__isnull=True,
        )
        .values("enrolment__learner__group")
        .annotate(oldest=Min("submitted_at"), count=Count("pk"))
    )
    for row in waiting:
        figures = result[row["enrolment__learner__group"]]
        figures.oldest = row["oldest"]
        figures.awaiting = row["count"]
    today = timezone.localdate()
    for assignment in Assignment.objects.filter(
        group__in=groups, deadline__gte=today, deadline__lte=today + timedelta(weeks=3)
    ).select_related("unit"):
        result[assignment.group_id].deadlines.append(assignment)
    return [result[group.pk] for group in groups]


def centre_figures(centre, summary: CentreSummary | None = None) -> list[UnitFigures]:
    """Return the figures per unit for every current learner in the centre's groups.

    The numbers are those of adding up `progress_for` over every learner, as the group
    figures do: each learner-unit's summary is worked out by `progress_for` once, kept
    until a write changes what it summarises, and added up for the centre when any
    changed (`tracker.reports.summaries`). Three queries when nothing changed since the
    last load, whatever the centre's size or the other centres'. ``summary``: the centre's
    `CentreSummary` when the caller has it already.
    """
    summary = summary or centre_summary(centre)
    if not summary.figures:
        return []
    units = Unit.objects.filter(pk__in={row[0] for row in summary.figures}).annotate(
        criterion_total=Count("criteria", distinct=True),
        topic_total=Count("learning_outcomes__topics", distinct=True),
    )
    figures = {
        unit.pk: UnitFigures(unit, f"chart-centre-u{unit.pk}")
        for unit in sorted(units, key=lambda u: u.number)
    }
    for unit_id, *grades, learners, done in summary.figures:
        unit = figures[unit_id]
        unit.learners += learners
        unit.done += done
        for series, grade in zip(SERIES, grades, strict=True):
            if grade:
                unit.distribution[series][grade] += learners
    for unit in figures.values():
        items = unit.unit.topic_total if unit.unit.is_examined else unit.unit.criterion_total
        unit.total = unit.learners * items
    return list(figures.values())
