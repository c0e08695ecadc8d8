"""Qualification grades: from each unit of a learner's qualification to the grade and UCAS
points a department reports and sends to UCAS.

`qualification_progress_for(learners)` is the one service every surface uses (learner home,
planner, dashboards, exports); it runs a fixed number of queries whatever the number of
learners and reuses `progress_for` for the fully tracked units. `what_if` and `advice` are
pure: they work on a `QualificationProgress` already loaded and never save anything.

Rules and their sources (see the points notes, `../shared/specs/points.md`):

- A qualification belongs to one suite; only its suite's units count. A tracked unit of
  another suite (Unit 30 for a 2016 learner) is listed as outside the qualification.
- Unit points come from the suite's points table (`criteria.grading.unit_points`): by GLH in
  the 2016 suite, per credit in the 2012 suite.
- The qualification grade is the sum of the counted units' points against the
  qualification's point ranges; mandatory units always count, and of the optional units only
  the strongest fill the qualification's optional size (OCR, "Cambridge Technicals —
  calculating grades"; `criteria.grading.qualification_grade`).
- Point ranges: a centre's own figures (entered by its admin from the handbook) replace the
  shipped ones; shipped ranges are unverified except where marked.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import combinations

from criteria import grading
from criteria.grading import Grade
from criteria.models import (
    PointsValue,
    Qualification,
    QualificationGradeRange,
    QualificationUnit,
    UcasTariff,
)
from tracker.assessment.progress import UnitProgress, progress_for
from tracker.models import (
    CentreGradeRange,
    Enrolment,
    GradeOnlyResult,
    Learner,
    Status,
)

TRACKED = "tracked"
GRADE_ONLY = "grade_only"
OUTSIDE = "outside"

UNIT_GRADES = (Grade.U, Grade.R, Grade.P, Grade.M, Grade.D)


class QualificationError(ValueError):
    """A what-if choice that cannot apply (unknown or finished unit, grade not allowed)."""


@dataclass(frozen=True)
class Figure:
    """One qualification figure (achieved, projected, predicted, target or a what-if).

    `points`: sum of the counted units' points; `grade`: the qualification grade label
    ("DM", "D*") or None for Unclassified; `ucas`: UCAS tariff points for that grade, None when
    no tariff is known; `counted`: unit numbers counted; `verified`: every figure used (unit
    points, point ranges, UCAS points) is verified or entered by the centre.
    """

    points: int
    grade: str | None
    ucas: int | None
    counted: tuple[int, ...]
    verified: bool

    @property
    def words(self) -> str:
        """The grade in words: 'Distinction Merit (DM)', or 'Unclassified'."""
        return grading.qualification_grade_words(self.grade)


@dataclass
class UnitRow:
    """One unit as the qualification sees it.

    `kind`: "tracked" (a unit tracked in full here, `progress` set), "grade_only" (entered as
    grades, `result` set when anything was entered) or "outside" (a tracked unit that does
    not count towards this qualification, `reason` says why). `size` is GLH, or credits where
    the suite counts points per credit. Grades are None where nothing is known yet.
    `achieved` is set only once the unit is finished.
    """

    number: int
    title: str
    glh: int
    size: int
    mandatory: bool
    kind: str
    qualification_unit: QualificationUnit | None = None
    progress: UnitProgress | None = None
    result: GradeOnlyResult | None = None
    finished: bool = False
    achieved: Grade | None = None
    projected: Grade | None = None
    predicted: Grade | None = None
    target: Grade | None = None
    prediction_note: str = ""
    near_pass: bool = False
    reason: str = ""

    @property
    def allowed_grades(self) -> list[Grade]:
        """Grades the unit can be given (Near Pass only where the unit awards it)."""
        return [grade for grade in UNIT_GRADES if grade is not Grade.R or self.near_pass]


@dataclass
class QualificationProgress:
    """Where a learner stands on their qualification.

    `rows`: the qualification's units the learner takes (every mandatory unit, and the
    optional units with a tracked enrolment or an entered grade), in unit order; `available`:
    optional units not taken yet (the planner may add them); `outside`: tracked units that do
    not count. Figures: see `Figure`; `target` is None when no unit has a target.
    `ranges` are (label, minimum points), lowest first; `ranges_by_centre` is True when the
    centre entered them. `unverified` lists, in plain words, what rests on unverified figures.
    """

    learner: Learner
    qualification: Qualification
    rows: list[UnitRow]
    available: list[UnitRow]
    outside: list[UnitRow]
    ranges: list[tuple[str, int]]
    ranges_by_centre: bool
    ranges_verified: bool
    ucas: dict[str, int]
    ucas_verified: bool
    table: grading.PointsTable
    points_verified: dict[tuple[int, str], bool]
    achieved: Figure | None = None
    projected: Figure | None = None
    predicted: Figure | None = None
    target: Figure | None = None
    unverified: list[str] = field(default_factory=list)

    @property
    def suite(self):
        return self.qualification.suite

    @property
    def size(self) -> int:
        return self.qualification.size

    @property
    def size_unit(self) -> str:
        return self.qualification.size_unit

    @property
    def per_credit(self) -> bool:
        return self.table.basis == "credit"


def qualification_progress_for(
    learners: Iterable[Learner], *, progress: Iterable[UnitProgress] | None = None
) -> dict[int, QualificationProgress]:
    """Return {learner id: QualificationProgress} for the learners registered on a
    qualification (learners without one are left out).

    Pass `progress` (from `progress_for`) when the page already has it, to reuse it; it must
    cover the learners' enrolments. Otherwise the learners' enrolments are loaded and
    `progress_for` is called once. Queries: a fixed number (about eight plus `progress_for`'s),
    whatever the number of learners. Where a learner has several enrolments on one unit
    (several academic years), the latest year's counts.
    """
    learners = [learner for learner in learners if learner.qualification_id]
    if not learners:
        return {}
    learner_ids = [learner.pk for learner in learners]
    qualifications = Qualification.objects.select_related("suite").in_bulk(
        {learner.qualification_id for learner in learners}
    )
    units = defaultdict(list)
    for unit in QualificationUnit.objects.filter(qualification__in=qualifications).select_related(
        "unit"
    ):
        units[unit.qualification_id].append(unit)
    shipped = defaultdict(list)
    for row in QualificationGradeRange.objects.filter(qualification__in=qualifications):
        shipped[row.qualification_id].append(row)
    centre_ranges = defaultdict(list)
    for row in CentreGradeRange.objects.filter(
        qualification__in=qualifications, centre_id__in={learner.centre_id for learner in learners}
    ):
        centre_ranges[row.centre_id, row.qualification_id].append(row)
    tariffs = defaultdict(list)
    for row in UcasTariff.objects.filter(qualification__in=qualifications):
        tariffs[row.qualification_id].append(row)
    suite_ids = {q.suite_id for q in qualifications.values()}
    values = defaultdict(list)
    for value in PointsValue.objects.filter(suite_id__in=suite_ids):
        values[value.suite_id].append(value)
    results = defaultdict(dict)
    for result in GradeOnlyResult.objects.filter(learner_id__in=learner_ids):
        results[result.learner_id][result.qualification_unit_id] = result
    if progress is None:
        enrolments = (
            Enrolment.objects.filter(learner_id__in=learner_ids)
            .select_related("unit__suite", "learner", "academic_year")
            .order_by("academic_year__starts_on", "pk")
        )
        progress = progress_for(enrolments, with_assessors=False)
    latest: dict[tuple[int, int], UnitProgress] = {}
    for entry in progress:
        key = (entry.enrolment.learner_id, entry.unit.pk)
        earlier = latest.get(key)
        if earlier is None or _year_key(entry) >= _year_key(earlier):
            latest[key] = entry
    tracked_by_learner = defaultdict(list)
    for (learner_id, _), entry in latest.items():
        tracked_by_learner[learner_id].append(entry)

    answer = {}
    for learner in learners:
        qualification = qualifications[learner.qualification_id]
        suite = qualification.suite
        table = grading.PointsTable(
            suite=suite.code,
            basis=suite.points_basis,
            values={(v.size, Grade(v.grade)): v.points for v in values[suite.pk]},
        )
        own = centre_ranges.get((learner.centre_id, qualification.pk))
        if own:
            ranges = [(row.label, row.minimum_points) for row in own]
            ranges_verified = True
        else:
            ranges = [(row.label, row.minimum_points) for row in shipped[qualification.pk]]
            ranges_verified = all(row.verified for row in shipped[qualification.pk])
        state = QualificationProgress(
            learner=learner,
            qualification=qualification,
            rows=[],
            available=[],
            outside=[],
            ranges=grading.ordered_ranges(ranges),
            ranges_by_centre=bool(own),
            ranges_verified=ranges_verified,
            ucas={row.label: row.points for row in tariffs[qualification.pk]},
            ucas_verified=bool(tariffs[qualification.pk])
            and all(row.verified for row in tariffs[qualification.pk]),
            table=table,
            points_verified={(v.size, v.grade): v.verified for v in values[suite.pk]},
        )
        _fill_rows(
            state,
            units[qualification.pk],
            tracked_by_learner[learner.pk],
            results[learner.pk],
        )
        _fill_figures(state)
        answer[learner.pk] = state
    return answer


def _year_key(entry: UnitProgress) -> tuple:
    year = entry.enrolment.academic_year
    return (year.starts_on, entry.enrolment.pk)


def _fill_rows(
    state: QualificationProgress,
    units: list[QualificationUnit],
    tracked: list[UnitProgress],
    results: dict[int, GradeOnlyResult],
) -> None:
    qualification = state.qualification
    per_credit = state.per_credit
    tracked_by_unit = {entry.unit.pk: entry for entry in tracked}
    used = set()
    for qunit in sorted(units, key=lambda unit: unit.number):
        size = (qunit.credits or 0) if per_credit else qunit.glh
        row = UnitRow(
            number=qunit.number,
            title=qunit.title,
            glh=qunit.glh,
            size=size,
            mandatory=qunit.mandatory,
            kind=GRADE_ONLY,
            qualification_unit=qunit,
            near_pass=qunit.examined and _suite_awards_near_pass(state.table),
        )
        entry = tracked_by_unit.get(qunit.unit_id) if qunit.unit_id else None
        if entry is not None:
            used.add(entry.unit.pk)
            _tracked_row(row, entry)
            state.rows.append(row)
            continue
        result = results.get(qunit.pk)
        if result is not None:
            _grade_only_row(row, result)
        if qunit.mandatory or (result is not None and (result.achieved or result.predicted)):
            _fill_defaults(row)
            state.rows.append(row)
        else:
            _fill_defaults(row)
            state.available.append(row)
    for entry in sorted(tracked, key=lambda e: e.unit.number):
        if entry.unit.pk in used:
            continue
        unit = entry.unit
        if unit.suite_id != qualification.suite_id:
            reason = (
                f"Unit {unit.number} belongs to the {unit.suite.name}; it does not count "
                f"towards the {qualification.name}."
            )
        else:
            reason = f"Unit {unit.number} is not a unit of the {qualification.name}."
        row = UnitRow(
            number=unit.number,
            title=unit.title,
            glh=unit.glh,
            size=(unit.credits or 0) if per_credit else unit.glh,
            mandatory=False,
            kind=OUTSIDE,
            reason=reason,
        )
        _tracked_row(row, entry)
        state.outside.append(row)


def _suite_awards_near_pass(table: grading.PointsTable) -> bool:
    return any(grade is Grade.R for _, grade in table.values)


def _tracked_row(row: UnitRow, entry: UnitProgress) -> None:
    """Set a row's grades from `progress_for`: finished when an OCR result counts (examined)
    or every criterion is assessed (centre-assessed); predicted is the teacher's prediction,
    else the grade achieved so far."""
    unit = entry.unit
    row.kind = TRACKED if row.kind != OUTSIDE else OUTSIDE
    row.progress = entry
    row.near_pass = unit.near_pass
    if unit.is_examined:
        row.finished = any(
            result.grade is not None and result.mark.kind == result.mark.Kind.REAL
            for result in entry.exam_results
        )
    else:
        row.finished = bool(entry.items) and all(
            Status(item.status).is_assessed for item in entry.items
        )
    row.achieved = entry.achieved if row.finished else None
    row.projected = entry.projected
    if row.finished:
        row.predicted = entry.achieved
    elif entry.prediction is not None:
        row.predicted = Grade(entry.prediction.grade)
        row.prediction_note = entry.prediction.note
    else:
        row.predicted = entry.achieved
    row.target = Grade(entry.target) if entry.target else None


def _grade_only_row(row: UnitRow, result: GradeOnlyResult) -> None:
    row.result = result
    if result.achieved:
        row.finished = True
        row.achieved = Grade(result.achieved)
    if result.predicted and not row.finished:
        row.predicted = Grade(result.predicted)


def _fill_defaults(row: UnitRow) -> None:
    """A grade-only unit is projected at its achieved grade, else its prediction; predicted
    at its achieved grade once finished."""
    if row.kind != GRADE_ONLY:
        return
    if row.finished:
        row.predicted = row.achieved
    row.projected = row.achieved or row.predicted


def _fill_figures(state: QualificationProgress) -> None:
    state.achieved = figure(state, {row.number: row.achieved for row in state.rows})
    state.projected = figure(state, {row.number: row.projected for row in state.rows})
    state.predicted = figure(state, {row.number: row.predicted for row in state.rows})
    if any(row.target for row in state.rows):
        state.target = figure(
            state, {row.number: row.target or row.predicted for row in state.rows}
        )
    unverified = []
    if not state.ranges_verified:
        # Where the tables live: Section 10 of the 2016 centre handbooks, Section 6 of the
        # 2012 (QCF) ones, whose suite counts points per credit (points notes, "Verified").
        section = 6 if state.per_credit else 10
        unverified.append(
            f"The qualification's point ranges are unverified defaults: check Section {section} "
            "of the handbook (your centre admin can enter them)."
        )
    if not state.ucas:
        unverified.append(
            "No UCAS points are known for this qualification: check UCAS's published tariff tables."
        )
    elif not state.ucas_verified:
        unverified.append("UCAS points are unverified: check UCAS's published tariff tables.")
    if not all(state.points_verified.values()):
        unverified.append("Some unit points are unverified: check the handbook.")
    if not state.qualification.verified:
        unverified.append("The qualification's size and unit rules are unverified.")
    state.unverified = unverified


def _unit_points(state: QualificationProgress, row: UnitRow, grade: Grade | None) -> tuple:
    """Return (points, verified) for a unit grade; a grade the suite's table has no points
    for counts 0 and is unverified."""
    if grade is None or grade is Grade.U:
        return 0, True
    try:
        points = grading.unit_points(grade, state.table, glh=row.glh, credits=row.size or None)
    except grading.GradingError:
        return 0, False
    size = 1 if state.per_credit else row.glh
    return points, state.points_verified.get((size, grade.value), False)


def figure(state: QualificationProgress, grades: Mapping[int, Grade | None]) -> Figure:
    """Return the qualification figure for a grade per unit number (None or U: 0 points).

    Units in `grades` that are neither rows nor available optional units are ignored; an
    available optional unit given a grade counts as taken. Pure: nothing is read or saved.
    """
    candidates = state.rows + [row for row in state.available if grades.get(row.number)]
    results = []
    verified = state.ranges_verified
    for row in candidates:
        points, ok = _unit_points(state, row, grades.get(row.number))
        verified = verified and ok
        results.append(
            grading.UnitResult(str(row.number), points, optional=not row.mandatory, size=row.size)
        )
    outcome = grading.qualification_grade(
        results, state.ranges, optional_size=state.qualification.optional_size
    )
    ucas = state.ucas.get(outcome.grade) if outcome.grade else (0 if state.ucas else None)
    return Figure(
        points=outcome.points,
        grade=outcome.grade,
        ucas=ucas,
        counted=tuple(int(number) for number in outcome.counted),
        verified=verified and state.ucas_verified,
    )


def what_if(state: QualificationProgress, choices: Mapping[int, Grade]) -> Figure:
    """Return the predicted figure with some units' grades replaced (the planner).

    `choices`: {unit number: Grade} for units not finished (a row or an optional unit not
    taken yet). Raises `QualificationError` for an unknown or finished unit, or a grade the
    unit cannot be given (Near Pass where the unit does not award it). Nothing is saved.
    """
    by_number = {row.number: row for row in state.rows + state.available}
    grades = {row.number: row.predicted for row in state.rows}
    for number, grade in choices.items():
        row = by_number.get(number)
        if row is None:
            raise QualificationError(f"Unit {number} is not a unit of this qualification")
        if row.finished:
            raise QualificationError(f"Unit {number} is finished: its grade cannot change")
        if grade not in row.allowed_grades:
            raise QualificationError(f"Unit {number} cannot be given {grade.label}")
        grades[number] = grade
    return figure(state, grades)


def below_target(state: QualificationProgress) -> bool:
    """Return True when the predicted qualification grade is a lower grade than the target
    one, grades ranked in the order of the point ranges (Unclassified lowest); points inside
    one grade do not count, so 199 and 200 points are both on a Distinction Distinction
    target. False when the learner has no target."""
    if state.target is None:
        return False
    rank = {label: index for index, (label, _) in enumerate(state.ranges)}
    return rank.get(state.predicted.grade, -1) < rank.get(state.target.grade, -1)


def _size_words(state: QualificationProgress, row: UnitRow) -> str:
    return f"{row.size}-credit" if state.per_credit else f"{row.glh}-hour"


def advice(state: QualificationProgress, which: str = "predicted") -> str | None:
    """Return plain words for the smallest change that reaches the next qualification grade
    from a figure ("predicted", "projected" or "target"), e.g. "For Distinction Distinction
    (DD) you need one more Distinction on a 60-hour unit: Distinction instead of Merit on
    Unit 8 (Promote positive behaviour)."

    Only units not yet finished can change. One change is tried first (the one adding the
    fewest points), then two. Returns None at the top grade or without ranges, and says so
    when no change of one or two units is enough.
    """
    current: Figure | None = getattr(state, which)
    if current is None or not state.ranges:
        return None
    labels = [label for label, _ in state.ranges]
    index = labels.index(current.grade) + 1 if current.grade else 0
    if index >= len(labels):
        return None
    goal = labels[index]
    goal_words = grading.qualification_grade_words(goal)
    base = {row.number: getattr(row, which) or row.predicted for row in state.rows}
    open_rows = [row for row in state.rows + state.available if not row.finished]
    moves = []
    for row in open_rows:
        now = base.get(row.number) or Grade.U
        moves.extend((row, grade) for grade in row.allowed_grades if grade > now)

    def reaches(chosen) -> int | None:
        grades = dict(base)
        for row, grade in chosen:
            grades[row.number] = grade
        result = figure(state, grades)
        target_rank = index
        reached = labels.index(result.grade) if result.grade else -1
        return result.points if reached >= target_rank else None

    for size in (1, 2):
        found = []
        for chosen in combinations(moves, size):
            if len({row.number for row, _ in chosen}) < size:
                continue
            points = reaches(chosen)
            if points is not None:
                steps = sum(
                    grade.rank - (base.get(row.number) or Grade.U).rank for row, grade in chosen
                )
                found.append((steps, points, [row.number for row, _ in chosen], chosen))
        if found:
            _, _, _, chosen = min(found, key=lambda item: item[:3])
            parts = []
            for row, grade in chosen:
                now = base.get(row.number)
                was = f" instead of {now.label}" if now and now is not Grade.U else ""
                parts.append(f"{grade.label}{was} on Unit {row.number} ({row.title})")
            if size == 1:
                row, grade = chosen[0]
                return (
                    f"For {goal_words} you need one more {grade.label} on a "
                    f"{_size_words(state, row)} unit: {parts[0]}."
                )
            (first, one), (second, other) = chosen
            if one is other and _size_words(state, first) == _size_words(state, second):
                return (
                    f"For {goal_words} you need two more {one.label}s on "
                    f"{_size_words(state, first)} units: {' and '.join(parts)}."
                )
            return f"For {goal_words} you need two changes: {' and '.join(parts)}."
    return f"{goal_words} needs more than two units to change: talk to your teacher about a plan."


def with_ranges(
    state: QualificationProgress, ranges: list[tuple[str, int]]
) -> QualificationProgress:
    """Return a copy of `state` using other point ranges (e.g. to preview a centre's
    figures); figures are recomputed, nothing is saved."""
    copy = replace(state, ranges=grading.ordered_ranges(ranges))
    _fill_figures(copy)
    return copy
