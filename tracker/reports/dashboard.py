"""Dashboard figures for groups and the centre, from the one progress service."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Value,
    When,
)
from django.utils import timezone

from criteria import grading
from criteria.grading import Grade
from criteria.models import BoundarySet, ExamSeries, Unit
from tracker.assessment.progress import (
    UnitProgress,
    counting_index,
    progress_for,
    series_order,
)
from tracker.models import (
    Assignment,
    Decision,
    Enrolment,
    Evidence,
    ExamMark,
    Learner,
    Prediction,
    Status,
)

GRADES = ["U", "R", "P", "M", "D"]
# An examined unit with no graded result is counted on its own row, never as Unclassified.
NOT_SAT = "not_sat"
GRADE_LABELS = {grade: Grade(grade).label for grade in GRADES} | {NOT_SAT: "Not sat yet"}
SERIES = ["achieved", "projected", "predicted", "target"]
CLAIMED = [Status.ACHIEVED, Status.SUBMITTED]


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


def centre_figures(centre) -> list[UnitFigures]:
    """Return the figures per unit for every learner in the centre's groups.

    The numbers are those of adding up `progress_for` over every learner, as the group
    figures do, but the database does the counting and the grading in at most seven
    queries, none of them per learner: building every learner's progress in Python took
    seconds at 2,000 learners.
    """
    # Leavers are left out (``current``), as everywhere progress is counted.
    # The rule is applied through the same join as the centre (not as `enrolment IN (…)`),
    # which PostgreSQL otherwise plans as a scan of every decision per enrolment.
    current = Enrolment.objects.current().filter(learner__group__centre=centre)
    in_centre = {
        "enrolment__learner__group__centre": centre,
        "enrolment__learner__left_on__isnull": True,
    }
    enrolments = current
    units = list(
        Unit.objects.filter(pk__in=enrolments.values("unit_id")).annotate(
            **{
                f"band_{band}": Count("criteria", filter=Q(criteria__band=band), distinct=True)
                for band in "PMD"
            },
            criterion_total=Count("criteria", distinct=True),
            topic_total=Count("learning_outcomes__topics", distinct=True),
        )
    )
    figures = {
        unit.pk: UnitFigures(unit, f"chart-centre-u{unit.pk}")
        for unit in sorted(units, key=lambda u: u.number)
    }
    if not units:
        return []
    for row in (
        enrolments.values("unit_id", "target_grade").annotate(learners=Count("pk")).order_by()
    ):
        unit = figures[row["unit_id"]]
        unit.learners += row["learners"]
        if row["target_grade"]:
            unit.distribution["target"][row["target_grade"]] += row["learners"]
    for row in (
        _newest(Prediction.objects.filter(**in_centre), "predicted_at")
        .values("enrolment__unit_id", "grade")
        .annotate(learners=Count("pk"))
        .order_by()
    ):
        figures[row["enrolment__unit_id"]].distribution["predicted"][row["grade"]] += row[
            "learners"
        ]
    for row in (
        Decision.objects.filter(status=Status.ACHIEVED, **in_centre)
        .values("enrolment__unit_id")
        .annotate(
            criteria=Count("pk", filter=Q(criterion__isnull=False)),
            topics=Count("pk", filter=Q(topic__isnull=False)),
        )
        .order_by()
    ):
        unit = figures[row["enrolment__unit_id"]]
        unit.done = row["topics"] if unit.unit.is_examined else row["criteria"]
    _add_exam_grades(figures, centre)
    _add_criteria_grades(figures, centre)
    for unit in figures.values():
        items = unit.unit.topic_total if unit.unit.is_examined else unit.unit.criterion_total
        unit.total = unit.learners * items
        # Learner-units with nothing graded yet: U, or "not sat yet" for an examined unit.
        nothing = NOT_SAT if unit.unit.is_examined else "U"
        for series in ("achieved", "projected"):
            unit.distribution[series][nothing] += unit.learners - sum(
                unit.distribution[series].values()
            )
    return list(figures.values())


def _newest(rows, at: str):
    """Return the rows with no newer row for the same enrolment (ties go to the higher pk),
    as the last of a list ordered by (`at`, pk)."""
    newer = rows.model.objects.filter(enrolment=OuterRef("enrolment")).filter(
        Q(**{f"{at}__gt": OuterRef(at)}) | Q(**{at: OuterRef(at), "pk__gt": OuterRef("pk")})
    )
    return rows.exclude(Exists(newer))


def _add_exam_grades(figures: dict[int, UnitFigures], centre) -> None:
    """Count examined units' grades as `progress_for` does: the achieved grade is the real
    OCR result that counts (`progress.counting_index`, the `EXAM_RESULT_RULE` setting),
    the projected grade that one, else the latest graded mock by `progress.series_order`
    (never by when a mark was typed in). Learner-units with no graded result are left for
    the caller to count as "not sat yet"."""
    examined = {pk: f.unit for pk, f in figures.items() if f.unit.is_examined}
    sets = {
        boundary.series_id: boundary
        for boundary in BoundarySet.objects.filter(
            series__in=ExamSeries.objects.filter(unit__in=examined).for_centre(centre.pk)
        )
        .select_related("series")
        .order_by()
    }
    if not sets:
        return
    # Plain values, no model instances: one row per graded mark of a current learner.
    results: dict[int, list] = defaultdict(list)
    for enrolment_id, unit_id, series_id, kind, mark in (
        ExamMark.objects.filter(
            series_id__in=sets,
            enrolment__learner__group__centre=centre,
            enrolment__learner__left_on__isnull=True,
        )
        .order_by()
        .values_list("enrolment_id", "enrolment__unit_id", "series_id", "series__kind", "mark")
    ):
        results[enrolment_id].append((unit_id, series_id, kind, mark))
    order = {pk: series_order(boundary.series) for pk, boundary in sets.items()}
    scales = {pk: boundary.boundaries() for pk, boundary in sets.items()}
    real_kind = ExamMark.Kind.REAL
    grades: dict[tuple[int, int], Grade] = {}  # (series, mark): a few hundred at most

    def grade_of(unit, series_id: int, mark: int) -> Grade:
        key = (series_id, mark)
        if key not in grades:
            grades[key] = grading.examined_grade(mark, scales[series_id], unit.near_pass)
        return grades[key]

    for marks in results.values():
        unit = examined[marks[0][0]]
        graded = sorted(
            (order[series_id], kind, grade_of(unit, series_id, mark), mark)
            for _, series_id, kind, mark in marks
        )
        real = [(grade, mark) for _, kind, grade, mark in graded if kind == real_kind]
        index = counting_index(real)
        distribution = figures[unit.pk].distribution
        if index is None:
            distribution["projected"][graded[-1][2].value] += 1
        else:
            distribution["achieved"][real[index][0].value] += 1
            distribution["projected"][real[index][0].value] += 1


def _add_criteria_grades(figures: dict[int, UnitFigures], centre) -> None:
    """Count centre-assessed grades, achieved and projected (submitted counted as achieved),
    from each learner-unit's criteria counted per band: the grade is the one below the
    first band with a criterion missing, as in `grading.centre_assessed_grade`. Learner-
    units with no criterion achieved or submitted are left for the caller to count as U."""
    assessed = [
        f.unit for f in figures.values() if not f.unit.is_examined and f.unit.criterion_total
    ]
    if not assessed:
        return
    grades = {}
    for name in ("achieved", "projected"):
        whens = []
        for unit in assessed:
            mine = Q(enrolment__unit_id=unit.pk)
            for band, below in (("P", "U"), ("M", "P"), ("D", "M")):
                done = f"{name}_{band}__lt"
                whens.append(
                    When(mine & Q(**{done: getattr(unit, f"band_{band}")}), then=Value(below))
                )
            whens.append(When(mine, then=Value("D")))
        grades[f"{name}_grade"] = Case(*whens, default=Value("U"), output_field=CharField())
    per_learner = (
        Decision.objects.filter(
            criterion__isnull=False,
            status__in=CLAIMED,
            enrolment__unit__in=assessed,
            enrolment__learner__group__centre=centre,
            enrolment__learner__left_on__isnull=True,
        )
        .values("enrolment_id", "enrolment__unit_id")
        .annotate(
            **{
                f"{name}_{band}": Count("pk", filter=Q(status__in=statuses, criterion__band=band))
                for name, statuses in (("achieved", [Status.ACHIEVED]), ("projected", CLAIMED))
                for band in "PMD"
            }
        )
        .annotate(**grades, unit_key=F("enrolment__unit_id"))
    )
    totals = per_learner.aggregate(
        **{
            f"{name}:{grade}:{unit.pk}": Count(
                "enrolment_id", filter=Q(unit_key=unit.pk, **{f"{name}_grade": grade})
            )
            for unit in assessed
            for name in ("achieved", "projected")
            for grade in GRADES
        }
    )
    for key, count in totals.items():
        name, grade, unit_id = key.split(":")
        if count:
            figures[int(unit_id)].distribution[name][grade] += count
