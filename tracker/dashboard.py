"""Dashboard figures for groups and the centre, from the one progress service."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils import timezone

from tracker.models import Assignment, Decision, Enrolment, Evidence, Status
from tracker.progress import UnitProgress, progress_for

GRADES = ["U", "R", "P", "M", "D"]
GRADE_LABELS = {"U": "U", "R": "Near Pass", "P": "Pass", "M": "Merit", "D": "Distinction"}
SERIES = ["achieved", "projected", "predicted", "target"]


@dataclass
class UnitFigures:
    unit: object
    chart_id: str = ""
    done: int = 0
    total: int = 0
    learners: int = 0
    distribution: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def chart(self) -> dict:
        """Return the numbers the chart script draws (the same as the table's)."""
        return {
            "grades": [GRADE_LABELS[grade] for grade in GRADES],
            "series": [name.capitalize() for name in SERIES],
            "counts": [[self.distribution[series][grade] for grade in GRADES] for series in SERIES],
        }

    def rows(self) -> list[tuple[str, list[int]]]:
        """Return (grade label, counts per series) for the accessible table and the chart."""
        return [
            (GRADE_LABELS[grade], [self.distribution[series][grade] for series in SERIES])
            for grade in GRADES
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
    figures.distribution["achieved"][progress.achieved.value] += 1
    figures.distribution["projected"][progress.projected.value] += 1
    if progress.prediction:
        figures.distribution["predicted"][progress.prediction.grade] += 1
    if progress.target:
        figures.distribution["target"][progress.target] += 1


def group_figures(groups) -> list[GroupFigures]:
    """Return figures for each group in a fixed number of queries."""
    groups = list(groups)
    result = {group.pk: GroupFigures(group) for group in groups}
    enrolments = (
        Enrolment.objects.filter(learner__group__in=groups)
        .select_related("unit__suite", "learner__group")
        .order_by("unit__number", "learner__last_name")
    )
    risky: dict[int, dict] = defaultdict(dict)
    progresses = progress_for(enrolments)
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
        if learner.pk in latest and latest[learner.pk] >= quiet_since:
            continue
        flags = risky[learner.group_id].setdefault(learner.pk, (learner, []))[1]
        message = f"No evidence in {settings.AT_RISK_WEEKS_WITHOUT_EVIDENCE} weeks"
        if message not in flags:
            flags.append(message)
    for group_id, learners in risky.items():
        result[group_id].at_risk = sorted(learners.values(), key=lambda pair: pair[0].last_name)
    waiting = (
        Decision.objects.filter(status=Status.SUBMITTED, enrolment__learner__group__in=groups)
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


def centre_units(figures: list[GroupFigures]) -> list[UnitFigures]:
    """Add up the groups' figures per unit, for the centre dashboard."""
    totals: dict[int, UnitFigures] = {}
    for group in figures:
        for unit_id, unit in group.units.items():
            total = totals.setdefault(unit_id, UnitFigures(unit.unit, f"chart-centre-u{unit_id}"))
            total.done += unit.done
            total.total += unit.total
            total.learners += unit.learners
            for series, counter in unit.distribution.items():
                total.distribution[series].update(counter)
    return [totals[key] for key in sorted(totals, key=lambda k: totals[k].unit.number)]
