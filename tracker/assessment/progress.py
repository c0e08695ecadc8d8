"""Where each learner stands on each unit: one query-planned service for every page.

Pages and exports call `progress_for(enrolments)`; nothing re-derives a grade elsewhere.
The number of queries is fixed, whatever the number of enrolments.
"""

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.db.models import Case, F, TextField, Value, When
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from criteria import grading
from criteria.grading import Grade
from criteria.models import BoundarySet, Criterion, ExamSeries, PointsValue, TopicItem
from tracker.models import (
    Assignment,
    Decision,
    Enrolment,
    Evidence,
    EvidenceLink,
    ExamMark,
    Extension,
    Prediction,
    Status,
)


class DecisionRow:
    """A decision read as plain values, for lists of many learners (`with_assessors=False`).

    It has the attributes of `Decision` those lists use: pk, enrolment_id, criterion_id,
    topic_id, status, revision, attempts and decided_at (an aware datetime when the caller
    asked `with_dates=True`, else None, which saves converting a timestamp per decision).
    """

    __slots__ = (
        "pk",
        "enrolment_id",
        "criterion_id",
        "topic_id",
        "status",
        "revision",
        "attempts",
        "decided_at",
    )

    def __init__(self, pk, enrolment_id, criterion_id, topic_id, status, revision, attempts, at):
        self.pk = pk
        self.enrolment_id = enrolment_id
        self.criterion_id = criterion_id
        self.topic_id = topic_id
        self.status = status
        self.revision = revision
        self.attempts = attempts
        self.decided_at = at

    @property
    def id(self) -> int:
        return self.pk

    def get_status_display(self) -> str:
        return Status(self.status).label


class PredictionRow:
    """A learner-unit's newest prediction as plain values, for `with_items=False`: pk,
    enrolment_id and grade (a `Grade` value), the attributes the dashboards read."""

    __slots__ = ("pk", "enrolment_id", "grade")

    def __init__(self, pk: int, enrolment_id: int, grade: str):
        self.pk = pk
        self.enrolment_id = enrolment_id
        self.grade = grade


class ItemRow:
    """A criterion or topic as its id and code, for `with_items=False`."""

    __slots__ = ("pk", "code")

    def __init__(self, pk: int, code: str):
        self.pk = pk
        self.code = code


class MarkRow:
    """An exam mark as plain values, for `with_items=False` and `plain_items=True`: the
    attributes of `ExamMark` grading and the export read (pk, enrolment_id, series, mark,
    kind)."""

    __slots__ = ("pk", "enrolment_id", "series", "mark")

    def __init__(self, pk: int, enrolment_id: int, series, mark: int):
        self.pk = pk
        self.enrolment_id = enrolment_id
        self.series = series
        self.mark = mark

    @property
    def series_id(self) -> int:
        return self.series.pk

    @property
    def kind(self) -> str:
        return self.series.kind


# An exam series' fields read beside each mark (`plain_items`), and its attributes.
SERIES_FIELDS = [
    "series_id",
    "series__unit_id",
    "series__name",
    "series__kind",
    "series__centre_id",
    "series__sat_on",
]
SERIES_ATTRIBUTES = ["pk", "unit_id", "name", "kind", "centre_id", "sat_on"]


@dataclass
class ItemStatus:
    item: Criterion | TopicItem
    decision: Decision | DecisionRow | None

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
    prediction: "Prediction | PredictionRow | None" = None
    exam_results: list[ExamResult] = field(default_factory=list)
    points: int | None = None
    projected_points: int | None = None
    points_verified: bool = True
    flags: list[str] = field(default_factory=list)
    # What each grade adds to the one below, with handed-in work apart (`grading.plan_steps`).
    steps: list[grading.Step] = field(default_factory=list)
    # Examined units: the result the grade shown comes from (the real exam result that
    # counts, `counting_result`, else the latest graded mock by `series_order`); None when
    # no mark has a grade yet.
    graded_by: ExamResult | None = None
    below_target: bool = False
    # Past-deadline assignments with criteria not handed in: (title, codes outstanding,
    # the words of its flag in `flags`), so a report can word it for the learner's target.
    late_work: list[tuple[str, list[str], str]] = field(default_factory=list)

    # `progress_for(with_items=False)`: (achieved, handed in, items) counted without `items`.
    counts: tuple[int, int, int] | None = None
    # `progress_for(plain_items=True)`: each criterion's or topic's status value, in the
    # unit's order, and when it was decided (an aware datetime for a criterion's decision
    # when the caller asked `with_dates=True`, else None), in place of `items`.
    statuses: list[str] = field(default_factory=list)
    decided: list = field(default_factory=list)

    @property
    def unit(self):
        return self.enrolment.unit

    @property
    def total(self) -> int:
        return self.counts[2] if self.counts else len(self.items)

    @property
    def done(self) -> int:
        if self.counts:
            return self.counts[0]
        return sum(1 for item in self.items if item.status == Status.ACHIEVED)

    @property
    def submitted(self) -> int:
        if self.counts:
            return self.counts[1]
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

    @property
    def exam_sat(self) -> bool:
        """Return whether a mark from a real OCR exam series has been entered."""
        return any(r.mark.kind == ExamMark.Kind.REAL for r in self.exam_results)

    @property
    def not_sat(self) -> bool:
        """Return whether this is an examined unit with no graded OCR exam result yet, so
        its achieved grade is "not sat yet" rather than Unclassified (a sat exam whose grade
        boundaries are not in yet has no result either)."""
        return self.unit.is_examined and not any(
            r.mark.kind == ExamMark.Kind.REAL and r.grade is not None for r in self.exam_results
        )

    @property
    def latest_mock(self) -> "ExamResult | None":
        """Return the most recently entered mock result, graded or not (None for none)."""
        mocks = [r for r in self.exam_results if r.mark.kind == ExamMark.Kind.MOCK]
        return mocks[-1] if mocks else None

    @property
    def newer_ungraded(self) -> list["ExamResult"]:
        """Return the results entered after `graded_by` that have no boundaries yet, so the
        grade shown comes from an older series."""
        if not self.exam_results:
            return []
        start = self.exam_results.index(self.graded_by) + 1 if self.graded_by else 0
        return [r for r in self.exam_results[start:] if r.grade is None]


def progress_for(
    enrolments: Iterable[Enrolment],
    today: date | None = None,
    *,
    with_assessors: bool = True,
    with_dates: bool = False,
    with_items: bool = True,
    plain_items: bool = False,
) -> list[UnitProgress]:
    """Return the progress of each enrolment (with unit and learner selected).

    Each decision comes as a `Decision` with its assessor and who authorised a resubmission,
    for pages that show them. Lists of many learners pass `with_assessors=False`: their
    decisions are then `DecisionRow`s read as plain values (no model instances, no
    timestamp converted unless `with_dates=True` asks for `decided_at`), which is most of
    the time a teacher's dashboard or an export spent here.

    Pages that show only counts, grades and flags (the dashboards) pass `with_items=False`:
    each `UnitProgress` then has no `items` (and no `next_steps` or `steps`), its `done`,
    `submitted` and `total` are counted from the decisions achieved or handed in (the only
    ones read), `exam_results` holds only the graded marks (as `MarkRow`s) and `prediction`
    is a `PredictionRow`; its grades, points and flags are the same as with items. No more
    queries than with items (one fewer when no series has boundaries).

    Exports of many learners pass `plain_items=True` (with `with_assessors=False`): each
    `UnitProgress` then has no `items`, `next_steps` or `steps`; instead `statuses` holds
    every criterion's or topic's status value in the unit's order (`Status.NOT_STARTED`
    where nothing is decided) and `decided` when each was decided (with `with_dates=True`,
    an aware datetime for criteria, never for topics; else None), and `done`, `submitted`
    and `total` are counted. `prediction` is a `PredictionRow` and each exam result's mark
    a `MarkRow` (its series a full `ExamSeries`, one per series); grades, points, exam
    results (graded or not, with their boundaries) and flags are the same as with items.
    The same number of queries as with items. Raises ValueError with `with_assessors=True` or
    `with_items=False`.
    """
    if plain_items and (with_assessors or not with_items):
        raise ValueError("plain_items needs with_assessors=False and with_items=True")
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
        in_order = TopicItem.objects.filter(learning_outcome__unit_id__in=examined).order_by(
            "learning_outcome__number", "order"
        )
        if with_items and not plain_items:
            for topic in in_order.select_related("learning_outcome"):
                topics[topic.learning_outcome.unit_id].append(topic)
        else:  # counts only: each topic's id and code
            for pk, code, unit_id in in_order.values_list(
                "pk", "code", "learning_outcome__unit_id"
            ):
                topics[unit_id].append(ItemRow(pk, code))
    decisions: dict[tuple[int, int, str], Decision | DecisionRow] = {}
    rows = Decision.objects.filter(enrolment_id__in=enrolment_ids).order_by()
    # Counts only: per enrolment, (item id, kind, status) of each decision achieved or
    # handed in; and the (enrolment id, criterion id) pairs among them, for deadlines.
    claimed: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    handed_in: set[tuple[int, int]] = set()
    if not with_items:
        for enrolment_id, criterion_id, topic_id, status in rows.filter(
            status__in=(Status.ACHIEVED, Status.SUBMITTED)
        ).values_list("enrolment_id", "criterion_id", "topic_id", "status"):
            if criterion_id:
                claimed[enrolment_id].append((criterion_id, "c", status))
                handed_in.add((enrolment_id, criterion_id))
            else:
                claimed[enrolment_id].append((topic_id, "t", status))
    elif plain_items:
        slots = _plain_slots(enrolments, criteria, topics, examined)
        zone = connection.timezone if settings.USE_TZ else None  # looked up once
        # A topic's date is never read (no page or sheet shows it): not converting it
        # saves most of the time a timestamp costs. The criteria's come back as the
        # database hands a CASE over a timestamp (no converter: `_stored_datetime`).
        decided = (
            Case(When(criterion_id__isnull=False, then=F("decided_at")), output_field=TextField())
            if with_dates
            else Value(None, output_field=TextField())
        )
        for enrolment_id, criterion_id, topic_id, status, at in rows.annotate(
            plain_decided=decided
        ).values_list("enrolment_id", "criterion_id", "topic_id", "status", "plain_decided"):
            if criterion_id:
                if status in HANDED_IN:
                    handed_in.add((enrolment_id, criterion_id))
                where = slots.criterion_at.get(criterion_id)
                if where is not None:
                    unit_id, statuses, dates = slots.of[enrolment_id]
                    if unit_id == where[0]:
                        statuses[where[1]] = status
                        if at is not None:
                            dates[where[1]] = _stored_datetime(at, zone)
            else:
                where = slots.topic_at.get(topic_id)
                if where is not None:
                    unit_id, statuses, _ = slots.of[enrolment_id]
                    if unit_id == where[0]:
                        statuses[where[1]] = status
    elif with_assessors:
        for decision in rows.select_related("assessor", "resubmission_authorised_by"):
            kind = "c" if decision.criterion_id else "t"
            key = (decision.enrolment_id, decision.criterion_id or decision.topic_id, kind)
            decisions[key] = decision
    else:
        fields = ["pk", "enrolment_id", "criterion_id", "topic_id", "status", "revision"]
        fields += ["attempts", "decided_at" if with_dates else "pk"]
        for values in rows.values_list(*fields):
            decision = DecisionRow(*values)
            if not with_dates:
                decision.decided_at = None
            criterion_id = values[2]
            if criterion_id:
                decisions[(values[1], criterion_id, "c")] = decision
            else:
                decisions[(values[1], values[3], "t")] = decision
    predictions: dict[int, Prediction | PredictionRow] = {}
    newest_first = Prediction.objects.filter(enrolment_id__in=enrolment_ids).order_by(
        "-predicted_at", "-pk"
    )
    if with_items and not plain_items:
        for prediction in newest_first:
            predictions.setdefault(prediction.enrolment_id, prediction)
    else:
        for pk, enrolment_id, grade in newest_first.values_list("pk", "enrolment_id", "grade"):
            if enrolment_id not in predictions:
                predictions[enrolment_id] = PredictionRow(pk, enrolment_id, grade)
    marks = defaultdict(list)
    boundaries = {}
    if examined:
        # Only the boundaries of series these marks were entered against: a mark can only
        # name a shared OCR series or its own centre's mock, so no other centre's show.
        graded = BoundarySet.objects.filter(series__marks__enrolment_id__in=enrolment_ids)
        if plain_items:
            # Every mark as plain values, each series made once and shared by its marks.
            boundaries = {b.series_id: b for b in graded.distinct()}
            series_by_id: dict[int, ExamSeries] = {}
            for pk, enrolment_id, value, *series_fields in (
                ExamMark.objects.filter(enrolment_id__in=enrolment_ids)
                .order_by("pk")
                .values_list("pk", "enrolment_id", "mark", *SERIES_FIELDS)
            ):
                series = series_by_id.get(series_fields[0])
                if series is None:
                    series = series_by_id[series_fields[0]] = ExamSeries(
                        **dict(zip(SERIES_ATTRIBUTES, series_fields, strict=True))
                    )
                marks[enrolment_id].append(MarkRow(pk, enrolment_id, series, value))
        elif with_items:
            boundaries = {b.series_id: b for b in graded.distinct()}
            for mark in (
                ExamMark.objects.filter(enrolment_id__in=enrolment_ids)
                .select_related("series")
                .order_by("pk")
            ):
                marks[mark.enrolment_id].append(mark)
        else:
            # Counts only: the graded marks, each given its series from its boundaries.
            boundaries = {b.series_id: b for b in graded.select_related("series").distinct()}
            for pk, enrolment_id, series_id, value in (
                ExamMark.objects.filter(enrolment_id__in=enrolment_ids, series_id__in=boundaries)
                .order_by("pk")
                .values_list("pk", "enrolment_id", "series_id", "mark")
            ):
                series = boundaries[series_id].series
                marks[enrolment_id].append(MarkRow(pk, enrolment_id, series, value))
    suite_ids = {e.unit.suite_id for e in enrolments}
    points_values = {
        (value.suite_id, value.size, value.grade): value
        for value in PointsValue.objects.filter(suite_id__in=suite_ids).select_related("suite")
    }
    tables = _points_tables(points_values)
    if with_items and not plain_items:
        handed_in = {
            (enrolment_id, item_id)
            for (enrolment_id, item_id, kind), decision in decisions.items()
            if kind == "c" and decision.status in (Status.SUBMITTED, Status.ACHIEVED)
        }
    late = _late_assignments(enrolments, today, handed_in)

    # Each unit's items with their ids, looked up once rather than per learner.
    keyed = {
        unit_id: [(topic, topic.pk, "t") for topic in unit_topics]
        for unit_id, unit_topics in topics.items()
    }
    keyed.update(
        {
            unit_id: [(criterion, criterion.pk, "c") for criterion in unit_criteria]
            for unit_id, unit_criteria in criteria.items()
            if unit_id not in examined
        }
    )
    # Counts only: each unit's item codes, and the code of each (item id, kind).
    codes = {unit_id: tuple(item.code for item, _, _ in items) for unit_id, items in keyed.items()}
    code_of = {
        unit_id: {(item_id, kind): item.code for item, item_id, kind in items}
        for unit_id, items in keyed.items()
    }
    points_memo: dict = {}
    exam_memo: dict = {}
    result = []
    for enrolment in enrolments:
        unit = enrolment.unit
        pk = enrolment.pk
        if plain_items:
            _, statuses, dates = slots.of[pk]
            progress = _plain(
                enrolment,
                codes.get(unit.pk, ()),
                statuses,
                dates,
                marks[pk],
                boundaries,
                exam_memo,
            )
            progress.prediction = predictions.get(pk)
            _add_points(progress, tables.get(unit.suite_id), points_values, points_memo)
            _add_flags(progress, late.get(pk, []))
            result.append(progress)
            continue
        if with_items:
            items = [
                ItemStatus(item, decisions.get((pk, item_id, kind)))
                for item, item_id, kind in keyed.get(unit.pk, ())
            ]
            if unit.is_examined:
                progress = _examined(enrolment, items, marks[pk], boundaries)
            else:
                progress = _centre_assessed(enrolment, items)
        else:
            progress = _counted(
                enrolment,
                codes.get(unit.pk, ()),
                code_of.get(unit.pk, {}),
                claimed.get(pk, ()),
                marks[pk],
                boundaries,
            )
        progress.prediction = predictions.get(pk)
        _add_points(progress, tables.get(unit.suite_id), points_values)
        _add_flags(progress, late.get(pk, []))
        result.append(progress)
    return result


def _counted(
    enrolment, codes: tuple, code_of: dict, claimed, marks: list[ExamMark], boundaries
) -> UnitProgress:
    """Return the progress of `progress_for(with_items=False)`: the grades by the same rules
    as with items, the items only counted (`claimed`: the enrolment's decisions achieved or
    handed in, as (item id, kind, status))."""
    achieved, pending = [], []
    for item_id, kind, status in claimed:
        code = code_of.get((item_id, kind))
        if code is not None:
            (achieved if status == Status.ACHIEVED else pending).append(code)
    if enrolment.unit.is_examined:
        progress = _examined(enrolment, [], marks, boundaries)
    elif not codes:
        progress = UnitProgress(enrolment, [], Grade.U, Grade.U, Grade.U, Grade.U)
    else:
        grade = _grade(codes, frozenset(achieved))
        projected = _grade(codes, frozenset(achieved + pending)) if pending else grade
        progress = UnitProgress(enrolment, [], grade, projected, grade, _highest(codes))
    progress.counts = (len(achieved), len(pending), len(codes))
    return progress


HANDED_IN = frozenset((Status.SUBMITTED, Status.ACHIEVED))


def _stored_datetime(value: "str | datetime", zone) -> datetime:
    """Return a timestamp read without Django's converter as an aware datetime, as the
    converter would: SQLite hands back the text it stores (ISO 8601, in the connection's
    time zone `zone`, UTC unless the database settings say otherwise), PostgreSQL an aware
    datetime. A naive one is made aware in `zone` (None when USE_TZ is off: left naive).

    Reading a CASE over `Decision.decided_at` this way parses only the criteria's dates
    (about a third of an export's decisions), once each.
    """
    if isinstance(value, str):
        value = parse_datetime(value)
    if zone is not None and value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


@dataclass
class _PlainSlots:
    """Where `progress_for(plain_items=True)` puts each decision: every enrolment's
    (unit id, statuses, dates) lists, one place per criterion or topic in the unit's order,
    and the (unit id, place) of each criterion (centre-assessed units) and topic (examined
    units) by id."""

    of: dict[int, tuple[int, list, list]]
    criterion_at: dict[int, tuple[int, int]]
    topic_at: dict[int, tuple[int, int]]


def _plain_slots(enrolments, criteria: dict, topics: dict, examined: set) -> _PlainSlots:
    criterion_at = {
        criterion.pk: (unit_id, index)
        for unit_id, unit_criteria in criteria.items()
        if unit_id not in examined
        for index, criterion in enumerate(unit_criteria)
    }
    topic_at = {
        topic.pk: (unit_id, index)
        for unit_id, unit_topics in topics.items()
        for index, topic in enumerate(unit_topics)
    }
    # As `keyed` in progress_for: an examined unit's topics, another unit's criteria.
    sizes = {
        unit_id: len(topics.get(unit_id, ()) if unit_id in examined else criteria.get(unit_id, ()))
        for unit_id in {enrolment.unit_id for enrolment in enrolments}
    }
    # A topic is never dated: the examined units' learners share one list of no dates.
    undated = {unit_id: [None] * sizes[unit_id] for unit_id in examined}
    of = {}
    for enrolment in enrolments:
        unit_id = enrolment.unit_id
        size = sizes[unit_id]
        of[enrolment.pk] = (
            unit_id,
            [Status.NOT_STARTED] * size,
            undated[unit_id] if unit_id in examined else [None] * size,
        )
    return _PlainSlots(of, criterion_at, topic_at)


def _plain(
    enrolment, codes: tuple, statuses: list, dates: list, marks: list, boundaries, memo: dict
) -> UnitProgress:
    """Return the progress of `progress_for(plain_items=True)`: the grades by the same rules
    as with items, from each item's status (`statuses`, in the order of `codes`) and with
    `dates` as its decision dates. The examined units' `dates` are shared: never change
    them."""
    achieved_count = statuses.count(Status.ACHIEVED)
    pending_count = statuses.count(Status.SUBMITTED)
    if enrolment.unit.is_examined:
        progress = _examined(enrolment, [], marks, boundaries, memo)
    elif not codes:
        progress = UnitProgress(enrolment, [], Grade.U, Grade.U, Grade.U, Grade.U)
    else:
        achieved = frozenset(
            code for code, status in zip(codes, statuses, strict=True) if status == Status.ACHIEVED
        )
        grade = _grade(codes, achieved)
        if pending_count:
            handed_in = frozenset(
                code for code, status in zip(codes, statuses, strict=True) if status in HANDED_IN
            )
            projected = _grade(codes, handed_in)
        else:
            projected = grade
        progress = UnitProgress(enrolment, [], grade, projected, grade, _highest(codes))
    progress.counts = (achieved_count, pending_count, len(codes))
    progress.statuses = statuses
    progress.decided = dates
    return progress


def _centre_assessed(enrolment: Enrolment, items: list[ItemStatus]) -> UnitProgress:
    codes = [item.item.code for item in items]
    if not codes:
        return UnitProgress(enrolment, items, Grade.U, Grade.U, Grade.U, Grade.U)
    achieved, pending = [], []
    for item in items:
        decision = item.decision
        if decision is not None:
            if decision.status == Status.ACHIEVED:
                achieved.append(item.item.code)
            elif decision.status == Status.SUBMITTED:
                pending.append(item.item.code)
    codes = tuple(codes)
    done, waiting = frozenset(achieved), frozenset(pending)
    grade = _grade(codes, done)
    return UnitProgress(
        enrolment=enrolment,
        items=items,
        achieved=grade,
        projected=_grade(codes, done | waiting) if pending else grade,
        lowest=grade,
        highest=_highest(codes),
        next_steps=_what_next(codes, done),
        steps=_plan_steps(codes, done, waiting),
    )


@lru_cache(maxsize=4096)
def _grade(codes: tuple[str, ...], achieved: frozenset[str]) -> Grade:
    """`grading.centre_assessed_grade`, remembered: many learners share a set of criteria."""
    return grading.centre_assessed_grade(list(codes), list(achieved))


@lru_cache(maxsize=4096)
def _what_next(codes: tuple[str, ...], achieved: frozenset[str]) -> dict[Grade, list[str]]:
    """`grading.what_next`, remembered like `_grade`. Shared by every learner with the same
    criteria achieved: read it, never change it."""
    return grading.what_next(list(codes), list(achieved))


@lru_cache(maxsize=4096)
def _plan_steps(
    codes: tuple[str, ...], achieved: frozenset[str], handed_in: frozenset[str]
) -> list[grading.Step]:
    """`grading.plan_steps`, remembered like `_grade` (shared: read it, never change it)."""
    return grading.plan_steps(list(codes), list(achieved), list(handed_in))


@lru_cache(maxsize=64)
def _highest(codes: tuple[str, ...]) -> Grade:
    """The best grade a unit allows (every criterion achieved), the same for every learner."""
    return grading.centre_assessed_grade(list(codes), list(codes))


def _examined(enrolment, items, marks: list[ExamMark], boundaries, memo=None) -> UnitProgress:
    """The progress of an examined unit from its marks. `memo`, a dict kept for one call
    of `progress_for`, remembers each series' sort key and each (series, mark)'s grade."""
    unit = enrolment.unit
    results = []
    for mark in marks:
        series = boundaries.get(mark.series_id)
        if series is None:
            grade = None
        elif memo is None:
            grade = grading.examined_grade(mark.mark, series.boundaries(), unit.near_pass)
        else:
            key = (series.series_id, mark.mark, unit.near_pass)
            grade = memo.get(key)
            if grade is None:
                grade = memo[key] = grading.examined_grade(
                    mark.mark, series.boundaries(), unit.near_pass
                )
        results.append(ExamResult(mark, series, grade))
    if memo is None:
        results.sort(key=lambda result: series_order(result.mark.series))
    else:
        results.sort(key=lambda result: _series_order(result.mark.series, memo))
    real = [r for r in results if r.mark.kind == ExamMark.Kind.REAL and r.grade is not None]
    mocks = [r for r in results if r.grade is not None]
    counting = counting_result(real)
    graded_by = counting or (mocks[-1] if mocks else None)
    achieved = counting.grade if counting else Grade.U
    projected = graded_by.grade if graded_by else Grade.U
    return UnitProgress(
        enrolment=enrolment,
        items=items,
        achieved=achieved,
        projected=projected,
        lowest=achieved,
        highest=achieved if real else Grade.D,
        exam_results=results,
        graded_by=graded_by,
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


def _series_order(series, memo: dict) -> tuple:
    """`series_order`, remembered in `memo` by series id (one call of `progress_for`)."""
    key = ("order", series.pk)
    found = memo.get(key)
    if found is None:
        found = memo[key] = series_order(series)
    return found


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
    index = counting_index([(result.grade, result.mark.mark) for result in real])
    return None if index is None else real[index]


def counting_index(real: list[tuple[Grade, int]]) -> int | None:
    """Return the position of the counting result among (grade, mark) pairs of real exam
    results in sitting order, or None for none: `counting_result`'s rule on plain values,
    for figures counted over a whole centre."""
    if not real:
        return None
    if settings.EXAM_RESULT_RULE == "latest_series":
        return len(real) - 1
    return max(range(len(real)), key=lambda i: (real[i][0].rank, real[i][1], i))


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


def _add_points(
    progress: UnitProgress, table: grading.PointsTable | None, points_values, memo=None
) -> None:
    """Set the unit's points by `grading.unit_points`; a grade with no entry in the suite's
    table gets no points and shows as unverified, never an error. `memo`, a dict kept for
    one call of `progress_for`, remembers each unit's (points, verified) by grade."""
    unit = progress.unit

    def lookup(grade: Grade) -> tuple[int | None, bool]:
        if memo is None:
            return _unit_points(unit, grade, table, points_values)
        found = memo.get((unit.pk, grade))
        if found is None:
            found = memo[unit.pk, grade] = _unit_points(unit, grade, table, points_values)
        return found

    progress.points, verified = lookup(progress.achieved)
    progress.projected_points, projected_verified = lookup(progress.projected)
    progress.points_verified = verified and projected_verified


def _unit_points(
    unit, grade: Grade, table: grading.PointsTable | None, points_values
) -> tuple[int | None, bool]:
    """Return (points, verified) for a unit's grade: (None, False) when the suite's table
    has no entry for it."""
    if grade is Grade.U:
        return 0, True
    size = 1 if unit.suite.points_basis == "credit" else unit.glh
    value = points_values.get((unit.suite_id, size, grade.value))
    if table is None or value is None:
        return None, False
    try:
        points = grading.unit_points(grade, table, glh=unit.glh, credits=unit.credits or 1)
    except grading.GradingError:
        return None, False
    return points, value.verified


def _add_flags(progress: UnitProgress, late: list[tuple[str, list[str]]]) -> None:
    target = progress.target
    if target:
        expected = Grade(progress.prediction.grade) if progress.prediction else progress.projected
        # An examined unit with no OCR result yet is "not sat yet", not Unclassified: only
        # the teacher's prediction can say it is heading below target.
        if progress.not_sat and not progress.prediction:
            expected = None
        if expected is not None and expected < Grade(target):
            progress.below_target = True
            progress.flags.append(f"Below target ({Grade(target).label})")
    for title, outstanding in late:
        flag = f"Deadline passed: {title} ({', '.join(outstanding)} outstanding)"
        progress.flags.append(flag)
        progress.late_work.append((title, outstanding, flag))


def _late_assignments(enrolments: list[Enrolment], today: date, done: set) -> dict[int, list]:
    """Return, per enrolment, past-deadline assignments with criteria still outstanding
    (`done`: the (enrolment id, criterion id) pairs achieved or handed in).

    A learner who has left owes no more work: their deadlines are never flagged.
    """
    enrolments = [e for e in enrolments if e.learner.left_on is None]
    groups = {e.learner.group_id for e in enrolments if e.learner.group_id}
    # Extensions may move a deadline later, so every assignment is read, not only past ones.
    # Plain values, not models: a teacher's dashboard checks every learner against each.
    assignments = list(
        Assignment.objects.filter(
            group_id__in=groups, unit_id__in={e.unit_id for e in enrolments}
        ).values_list("pk", "group_id", "unit_id", "title", "deadline")
    )
    if not assignments:
        return {}
    ids = [row[0] for row in assignments]
    covered = defaultdict(list)
    for assignment_id, criterion_id, code in (
        Assignment.criteria.through.objects.filter(assignment_id__in=ids)
        .order_by("criterion__unit", "criterion__order")  # as Criterion's own ordering
        .values_list("assignment_id", "criterion_id", "criterion__code")
    ):
        covered[assignment_id].append((criterion_id, code))
    extensions = {
        (assignment_id, learner_id): deadline
        for assignment_id, learner_id, deadline in Extension.objects.filter(
            assignment_id__in=ids
        ).values_list("assignment_id", "learner_id", "deadline")
    }
    by_group_unit = defaultdict(list)
    for pk, group_id, unit_id, title, deadline in assignments:
        by_group_unit[group_id, unit_id].append((pk, title, deadline))
    late = defaultdict(list)
    for enrolment in enrolments:
        for pk, title, deadline in by_group_unit[enrolment.learner.group_id, enrolment.unit_id]:
            deadline = extensions.get((pk, enrolment.learner_id), deadline)
            if deadline < today:
                outstanding = [
                    code
                    for criterion_id, code in covered[pk]
                    if (enrolment.pk, criterion_id) not in done
                ]
                if outstanding:
                    late[enrolment.pk].append((title, outstanding))
    return late


@dataclass
class Deadline:
    assignment: Assignment
    deadline: date
    outstanding: list[str]
    extended: bool
    # Criteria of this assignment whose latest hand-in came after its deadline, with the
    # words to show: [("P4", "Handed in 3 days late (deadline 12 March)")].
    late: list[tuple[str, str]] = field(default_factory=list)

    @property
    def state(self) -> str:
        """Return 'done', 'missing' (deadline passed, work outstanding) or 'open'."""
        if not self.outstanding:
            return "done"
        return "missing" if self.deadline < timezone.localdate() else "open"


def deadlines_for(learner, progress: list[UnitProgress]) -> list[Deadline]:
    """Return the learner's assignment deadlines with what is still outstanding for each,
    and (`Deadline.late`) which of its criteria were handed in late."""
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
    late_links = _latest_late_links(learner)
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
        late = [
            (c.code, late_links[assignment.unit_id, c.pk].lateness)
            for c in assignment.criteria.all()
            if (assignment.unit_id, c.pk) in late_links
        ]
        result.append(
            Deadline(assignment, deadline, outstanding, assignment.pk in extensions, late)
        )
    return result


def _latest_late_links(learner) -> dict[tuple[int, int], EvidenceLink]:
    """Return {(unit id, criterion id): link} for criteria whose latest current hand-in by
    the learner came after its deadline (lateness as stored at hand-in). One query."""
    latest = {}
    for link in (
        EvidenceLink.objects.filter(
            evidence__enrolment__learner=learner,
            evidence__withdrawn_at=None,
            evidence__kind=Evidence.Kind.UPLOAD,
            criterion__isnull=False,
        )
        .select_related("evidence__enrolment")
        .order_by("evidence__uploaded_at", "pk")
    ):
        latest[link.evidence.enrolment.unit_id, link.criterion_id] = link
    return {key: link for key, link in latest.items() if link.late_by is not None}
