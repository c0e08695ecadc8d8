"""Where each learner stands on each unit: one query-planned service for every page.

Pages and exports call `progress_for(enrolments)`; nothing re-derives a grade elsewhere.
The number of queries is fixed, whatever the number of enrolments.
"""

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import timezone

from criteria import grading
from criteria.grading import Grade
from criteria.models import BoundarySet, Criterion, PointsValue, TopicItem
from tracker.models import (
    Assignment,
    Decision,
    Enrolment,
    ExamMark,
    Extension,
    Prediction,
    Status,
)


@dataclass
class ItemStatus:
    item: Criterion | TopicItem
    decision: Decision | None

    @property
    def code(self) -> str:
        return self.item.code

    @property
    def status(self) -> str:
        return self.decision.status if self.decision else Status.NOT_STARTED

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def is_assessed(self) -> bool:
        return Status(self.status).is_assessed


@dataclass
class ExamResult:
    mark: ExamMark
    boundaries: BoundarySet | None
    grade: Grade | None  # None when the series has no boundaries entered


@dataclass
class UnitProgress:
    enrolment: Enrolment
    items: list[ItemStatus]
    achieved: Grade
    projected: Grade
    lowest: Grade
    highest: Grade
    next_steps: dict[Grade, list[str]] = field(default_factory=dict)
    prediction: Prediction | None = None
    exam_results: list[ExamResult] = field(default_factory=list)
    points: int | None = None
    projected_points: int | None = None
    points_verified: bool = True
    flags: list[str] = field(default_factory=list)

    @property
    def unit(self):
        return self.enrolment.unit

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def done(self) -> int:
        return sum(1 for item in self.items if item.status == Status.ACHIEVED)

    @property
    def submitted(self) -> int:
        return sum(1 for item in self.items if item.status == Status.SUBMITTED)

    @property
    def bands(self) -> list[tuple[str, int, int]]:
        """Return (band label, achieved, total) for each band with criteria."""
        if self.unit.is_examined:
            return []
        counts: dict[str, list[int]] = {}
        for item in self.items:
            pair = counts.setdefault(item.item.band, [0, 0])
            pair[1] += 1
            pair[0] += item.status == Status.ACHIEVED
        return [(Grade(band).label, *counts[band]) for band in "PMD" if band in counts]

    @property
    def target(self) -> str:
        return self.enrolment.target_grade


def progress_for(
    enrolments: Iterable[Enrolment], today: date | None = None, *, with_assessors: bool = True
) -> list[UnitProgress]:
    """Return the progress of each enrolment (with unit and learner selected).

    Each decision comes with its assessor and who authorised a resubmission, for pages
    that show them; lists of many learners pass `with_assessors=False` and skip loading
    those users.
    """
    enrolments = list(enrolments)
    if not enrolments:
        return []
    today = today or timezone.localdate()
    unit_ids = {e.unit_id for e in enrolments}
    enrolment_ids = [e.pk for e in enrolments]
    criteria = defaultdict(list)
    for criterion in Criterion.objects.filter(unit_id__in=unit_ids).order_by("order"):
        criteria[criterion.unit_id].append(criterion)
    topics = defaultdict(list)
    examined = {e.unit_id for e in enrolments if e.unit.is_examined}
    if examined:
        for topic in (
            TopicItem.objects.filter(learning_outcome__unit_id__in=examined)
            .select_related("learning_outcome")
            .order_by("learning_outcome__number", "order")
        ):
            topics[topic.learning_outcome.unit_id].append(topic)
    decisions: dict[tuple[int, int, str], Decision] = {}
    rows = Decision.objects.filter(enrolment_id__in=enrolment_ids).order_by()
    if with_assessors:
        rows = rows.select_related("assessor", "resubmission_authorised_by")
    for decision in rows:
        kind = "c" if decision.criterion_id else "t"
        decisions[(decision.enrolment_id, decision.criterion_id or decision.topic_id, kind)] = (
            decision
        )
    predictions: dict[int, Prediction] = {}
    for prediction in Prediction.objects.filter(enrolment_id__in=enrolment_ids).order_by(
        "-predicted_at", "-pk"
    ):
        predictions.setdefault(prediction.enrolment_id, prediction)
    marks = defaultdict(list)
    boundaries = {}
    if examined:
        for mark in (
            ExamMark.objects.filter(enrolment_id__in=enrolment_ids)
            .select_related("series")
            .order_by("pk")
        ):
            marks[mark.enrolment_id].append(mark)
        # Only the boundaries of series these marks were entered against: a mark can only
        # name a shared OCR series or its own centre's mock, so no other centre's show.
        boundaries = {
            b.series_id: b
            for b in BoundarySet.objects.filter(
                series__marks__enrolment_id__in=enrolment_ids
            ).distinct()
        }
    suite_ids = {e.unit.suite_id for e in enrolments}
    points_values = {
        (value.suite_id, value.size, value.grade): value
        for value in PointsValue.objects.filter(suite_id__in=suite_ids).select_related("suite")
    }
    tables = _points_tables(points_values)
    late = _late_assignments(enrolments, today, decisions)

    result = []
    for enrolment in enrolments:
        unit = enrolment.unit
        if unit.is_examined:
            items = [
                ItemStatus(topic, decisions.get((enrolment.pk, topic.pk, "t")))
                for topic in topics[unit.pk]
            ]
            progress = _examined(enrolment, items, marks[enrolment.pk], boundaries)
        else:
            items = [
                ItemStatus(criterion, decisions.get((enrolment.pk, criterion.pk, "c")))
                for criterion in criteria[unit.pk]
            ]
            progress = _centre_assessed(enrolment, items)
        progress.prediction = predictions.get(enrolment.pk)
        _add_points(progress, tables.get(unit.suite_id), points_values)
        _add_flags(progress, late.get(enrolment.pk, []))
        result.append(progress)
    return result


def _centre_assessed(enrolment: Enrolment, items: list[ItemStatus]) -> UnitProgress:
    codes = [item.code for item in items]
    if not codes:
        return UnitProgress(enrolment, items, Grade.U, Grade.U, Grade.U, Grade.U)
    achieved = [item.code for item in items if item.status == Status.ACHIEVED]
    pending = [item.code for item in items if item.status == Status.SUBMITTED]
    grade = grading.centre_assessed_grade(codes, achieved)
    return UnitProgress(
        enrolment=enrolment,
        items=items,
        achieved=grade,
        projected=grading.centre_assessed_grade(codes, achieved + pending),
        lowest=grade,
        highest=grading.centre_assessed_grade(codes, codes),
        next_steps=grading.what_next(codes, achieved),
    )


def _examined(enrolment, items, marks: list[ExamMark], boundaries) -> UnitProgress:
    unit = enrolment.unit
    results = []
    for mark in marks:
        series = boundaries.get(mark.series_id)
        grade = (
            grading.examined_grade(mark.mark, series.boundaries(), unit.near_pass)
            if series
            else None
        )
        results.append(ExamResult(mark, series, grade))
    results.sort(key=lambda result: series_order(result.mark.series))
    real = [r for r in results if r.mark.kind == ExamMark.Kind.REAL and r.grade is not None]
    mocks = [r for r in results if r.grade is not None]
    counting = counting_result(real)
    achieved = counting.grade if counting else Grade.U
    projected = achieved if real else (mocks[-1].grade if mocks else Grade.U)
    return UnitProgress(
        enrolment=enrolment,
        items=items,
        achieved=achieved,
        projected=projected,
        lowest=achieved,
        highest=achieved if real else Grade.D,
        exam_results=results,
    )


MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTH_YEAR = re.compile(r"\b([A-Za-z]+)\s+(\d{4})\b")


def series_date(series) -> date | None:
    """Return when a series was sat: its `sat_on`, else the first of the month its name gives
    ("January 2026", "Mock June 2026"), else None."""
    if series.sat_on:
        return series.sat_on
    for word, year in MONTH_YEAR.findall(series.name):
        month = MONTHS.get(word.lower())
        if month:
            return date(int(year), month, 1)
    return None


def series_order(series) -> tuple:
    """Sort key for exam series, earliest sitting first: by `series_date`, a series without
    a date before every dated series, then by id. Never by when a mark was saved: re-saving
    an old series' mark must not make it the latest."""
    when = series_date(series)
    return (when is not None, when or date.min, series.pk)


def counting_result(real: list[ExamResult]) -> ExamResult | None:
    """Return the real (OCR) exam result that counts for the unit, from results in sitting
    order, or None.

    `settings.EXAM_RESULT_RULE`: "best" (default) counts the highest grade, the higher mark
    among equal grades, the later sitting among equal marks; "latest_series" counts the most
    recently sat series. Source: OCR's Cambridge Technicals entry rules allow two further
    attempts at a Level 3 examined unit without saying which result counts (OCR takes the
    best for Cambridge Nationals), so "best" is an unverified default (points notes,
    "Examined unit resits").
    """
    if not real:
        return None
    if settings.EXAM_RESULT_RULE == "latest_series":
        return real[-1]
    return max(enumerate(real), key=lambda pair: (pair[1].grade.rank, pair[1].mark.mark, pair[0]))[
        1
    ]


def _points_tables(points_values: dict) -> dict[int, grading.PointsTable]:
    """Return each suite's points as the grading module's table, by suite id."""
    tables: dict[int, grading.PointsTable] = {}
    for (suite_id, size, grade), value in points_values.items():
        table = tables.setdefault(
            suite_id,
            grading.PointsTable(suite=value.suite.code, basis=value.suite.points_basis, values={}),
        )
        table.values[(size, Grade(grade))] = value.points
    return tables


def _add_points(progress: UnitProgress, table: grading.PointsTable | None, points_values) -> None:
    """Set the unit's points by `grading.unit_points`; a grade with no entry in the suite's
    table gets no points and shows as unverified, never an error."""
    unit = progress.unit
    size = 1 if unit.suite.points_basis == "credit" else unit.glh

    def lookup(grade: Grade) -> tuple[int | None, bool]:
        if grade is Grade.U:
            return 0, True
        value = points_values.get((unit.suite_id, size, grade.value))
        if table is None or value is None:
            return None, False
        try:
            points = grading.unit_points(grade, table, glh=unit.glh, credits=unit.credits or 1)
        except grading.GradingError:
            return None, False
        return points, value.verified

    progress.points, verified = lookup(progress.achieved)
    progress.projected_points, projected_verified = lookup(progress.projected)
    progress.points_verified = verified and projected_verified


def _add_flags(progress: UnitProgress, late: list[tuple[str, list[str]]]) -> None:
    target = progress.target
    if target:
        expected = Grade(progress.prediction.grade) if progress.prediction else progress.projected
        if expected < Grade(target):
            progress.flags.append(f"Below target ({Grade(target).label})")
    for title, outstanding in late:
        progress.flags.append(f"Deadline passed: {title} ({', '.join(outstanding)} outstanding)")


def _late_assignments(enrolments: list[Enrolment], today: date, decisions) -> dict[int, list]:
    """Return, per enrolment, past-deadline assignments with criteria still outstanding.

    A learner who has left owes no more work: their deadlines are never flagged.
    """
    enrolments = [e for e in enrolments if e.learner.left_on is None]
    groups = {e.learner.group_id for e in enrolments if e.learner.group_id}
    # Extensions may move a deadline later, so every assignment is read, not only past ones.
    assignments = list(
        Assignment.objects.filter(
            group_id__in=groups, unit_id__in={e.unit_id for e in enrolments}
        ).prefetch_related("criteria")
    )
    if not assignments:
        return {}
    extensions = {
        (ext.assignment_id, ext.learner_id): ext.deadline
        for ext in Extension.objects.filter(assignment__in=assignments)
    }
    done = {
        (enrolment_id, item_id)
        for (enrolment_id, item_id, kind), decision in decisions.items()
        if kind == "c" and decision.status in (Status.SUBMITTED, Status.ACHIEVED)
    }
    by_group_unit = defaultdict(list)
    for assignment in assignments:
        by_group_unit[assignment.group_id, assignment.unit_id].append(assignment)
    late = defaultdict(list)
    for enrolment in enrolments:
        for assignment in by_group_unit[enrolment.learner.group_id, enrolment.unit_id]:
            deadline = extensions.get((assignment.pk, enrolment.learner_id), assignment.deadline)
            if deadline < today:
                outstanding = [
                    c.code for c in assignment.criteria.all() if (enrolment.pk, c.pk) not in done
                ]
                if outstanding:
                    late[enrolment.pk].append((assignment.title, outstanding))
    return late


@dataclass
class Deadline:
    assignment: Assignment
    deadline: date
    outstanding: list[str]
    extended: bool

    @property
    def state(self) -> str:
        """Return 'done', 'missing' (deadline passed, work outstanding) or 'open'."""
        if not self.outstanding:
            return "done"
        return "missing" if self.deadline < timezone.localdate() else "open"


def deadlines_for(learner, progress: list[UnitProgress]) -> list[Deadline]:
    """Return the learner's assignment deadlines with what is still outstanding for each."""
    if not learner.group_id:
        return []
    by_unit = {p.unit.pk: p for p in progress}
    handed_in = {
        (p.unit.pk, entry.item.pk)
        for p in progress
        for entry in p.items
        if entry.status in (Status.SUBMITTED, Status.ACHIEVED)
    }
    extensions = {
        ext.assignment_id: ext.deadline for ext in Extension.objects.filter(learner=learner)
    }
    result = []
    for assignment in (
        Assignment.objects.filter(group_id=learner.group_id, unit_id__in=by_unit)
        .select_related("unit")
        .prefetch_related("criteria")
        .order_by("deadline")
    ):
        outstanding = [
            c.code for c in assignment.criteria.all() if (assignment.unit_id, c.pk) not in handed_in
        ]
        deadline = extensions.get(assignment.pk, assignment.deadline)
        result.append(Deadline(assignment, deadline, outstanding, assignment.pk in extensions))
    return result
