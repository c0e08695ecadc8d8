"""Grading rules for Cambridge Technicals units: pure functions, no database.

Centre-assessed units are graded from the P/M/D criteria achieved; examined units from a
raw mark against a series' grade boundaries. Unit grades turn into points by suite, and
unit points into a qualification grade through the qualification's point ranges.
"""

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

CODE_PATTERN = re.compile(r"^[PMD][1-9][0-9]*$")
BANDS = ("P", "M", "D")


# The one vocabulary for unit grades: pages, exports, data sheets and dashboards take their
# words from here (OCR's grade names; R is OCR's letter for Near Pass on examined units).
GRADE_LABELS = {
    "U": "Unclassified",
    "R": "Near Pass",
    "P": "Pass",
    "M": "Merit",
    "D": "Distinction",
}
GRADE_CLASSES = {
    "U": "text-bg-secondary",
    "R": "text-bg-warning",
    "P": "text-bg-info",
    "M": "text-bg-primary",
    "D": "text-bg-success",
}


class GradingError(ValueError):
    """A domain error with a clear, human message."""


class Grade(enum.Enum):
    U = "U"
    R = "R"
    P = "P"
    M = "M"
    D = "D"

    @property
    def rank(self) -> int:
        return "URPMD".index(self.value)

    @property
    def label(self) -> str:
        """Return the full name OCR uses ("Near Pass"): the label wherever there is room."""
        return GRADE_LABELS[self.value]

    @property
    def short(self) -> str:
        """Return the one-letter form for tight spaces (R is Near Pass, as OCR writes it)."""
        return self.value

    @property
    def css_class(self) -> str:
        """Return the badge class pages colour this grade with."""
        return GRADE_CLASSES[self.value]

    def __lt__(self, other: "Grade") -> bool:
        if not isinstance(other, Grade):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: "Grade") -> bool:
        if not isinstance(other, Grade):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: "Grade") -> bool:
        if not isinstance(other, Grade):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: "Grade") -> bool:
        if not isinstance(other, Grade):
            return NotImplemented
        return self.rank >= other.rank

    @classmethod
    def parse(cls, text: str) -> "Grade":
        """Return the grade a person typed: a letter or its name, in any case."""
        word = " ".join(str(text).split()).lower()
        for grade in cls:
            if word in (grade.value.lower(), grade.label.lower()):
                return grade
        if word in ("near-pass", "nearpass"):
            return cls.R
        raise GradingError(f"Unknown grade '{text}': use U, R (Near Pass), P, M or D")


def band_of(code: str) -> str:
    """Return the band (P, M or D) of a criterion code such as 'M2'."""
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        raise GradingError(f"'{code}' is not a criterion code (P1, M2, D1 …)")
    return code[0]


def sort_codes(codes: Iterable[str]) -> list[str]:
    """Return codes in grading order: P before M before D, then by number (P2 before P10)."""
    return sorted(codes, key=lambda code: (BANDS.index(band_of(code)), int(code[1:])))


def _checked(criteria: Iterable[str], achieved: Iterable[str]) -> tuple[list[str], set[str]]:
    codes: list[str] = []
    for code in criteria:
        band_of(code)
        if code in codes:
            raise GradingError(f"Criterion '{code}' is listed twice")
        codes.append(code)
    if not codes:
        raise GradingError("A centre-assessed unit needs at least one criterion")
    done = set(achieved)
    for code in done:
        if code not in codes:
            raise GradingError(f"'{code}' is not a criterion of this unit")
    return codes, done


def _missing_for(grade: Grade, codes: list[str], done: set[str]) -> list[str]:
    bands = BANDS[: BANDS.index(grade.value) + 1]
    return sort_codes(code for code in codes if code[0] in bands and code not in done)


def centre_assessed_grade(criteria: Iterable[str], achieved: Iterable[str]) -> Grade:
    """Return the unit grade: D if every criterion is achieved, M if every P and M, P if
    every P, else U. Higher criteria never make up for a missing lower one."""
    codes, done = _checked(criteria, achieved)
    grade = Grade.U
    for candidate in (Grade.P, Grade.M, Grade.D):
        if _missing_for(candidate, codes, done):
            break
        grade = candidate
    return grade


def what_next(criteria: Iterable[str], achieved: Iterable[str]) -> dict[Grade, list[str]]:
    """Return, for each grade above the current one, the criteria still missing for it."""
    codes, done = _checked(criteria, achieved)
    current = centre_assessed_grade(codes, done)
    return {
        grade: _missing_for(grade, codes, done)
        for grade in (Grade.P, Grade.M, Grade.D)
        if grade > current
    }


@dataclass(frozen=True)
class Step:
    """One grade of a learner's plan: what it adds to the grade below it.

    `to_do` are the codes of this grade's own band still to hand in (not started, or not yet
    achieved); `waiting` are those handed in and waiting for the teacher's marking.
    """

    grade: Grade
    to_do: list[str]
    waiting: list[str]


def plan_steps(
    criteria: Iterable[str], achieved: Iterable[str], handed_in: Iterable[str] = ()
) -> list[Step]:
    """Return, for each grade above the one achieved, only what it adds to the grade below.

    Grades are nested (OCR's rule, `centre_assessed_grade`): Merit needs every P and M, so
    its step lists the missing M codes only, the missing P codes being under Pass. Codes in
    `handed_in` (submitted, not yet marked) go to `waiting`, never to `to_do`. A step with
    nothing missing (its band all achieved while a lower band is not) is left out.
    Raises GradingError for an unknown or repeated code, as `what_next`.
    """
    codes, done = _checked(criteria, achieved)
    waiting = set(handed_in) - done
    current = centre_assessed_grade(codes, done)
    steps = []
    for grade in (Grade.P, Grade.M, Grade.D):
        if grade <= current:
            continue
        missing = [code for code in _missing_for(grade, codes, done) if code[0] == grade.value]
        if missing:
            steps.append(
                Step(
                    grade=grade,
                    to_do=[code for code in missing if code not in waiting],
                    waiting=[code for code in missing if code in waiting],
                )
            )
    return steps


@dataclass(frozen=True)
class Boundaries:
    """Raw-mark grade boundaries: each is the minimum mark for its grade."""

    max_mark: int
    distinction: int
    merit: int
    pass_mark: int
    near_pass: int | None = None

    def __post_init__(self) -> None:
        named = [
            ("Near Pass", self.near_pass),
            ("Pass", self.pass_mark),
            ("Merit", self.merit),
            ("Distinction", self.distinction),
        ]
        for name, value in [("the maximum mark", self.max_mark), *named]:
            if value is None and name == "Near Pass":
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise GradingError(f"Boundary for {name} must be a whole number, not {value!r}")
        if self.max_mark <= 0:
            raise GradingError(f"The maximum mark must be positive, not {self.max_mark}")
        present = [(name, value) for name, value in named if value is not None]
        for name, value in present:
            if value < 0:
                raise GradingError(f"Boundary for {name} ({value}) cannot be negative")
            if value > self.max_mark:
                raise GradingError(
                    f"Boundary for {name} ({value}) is above the maximum mark {self.max_mark}"
                )
        for (lower, low), (upper, high) in zip(present, present[1:], strict=False):
            if low > high:
                raise GradingError(
                    f"Boundaries out of order: {lower} {low} is above {upper} {high} "
                    "(each boundary must be at least the one below it)"
                )


def examined_grade(mark: int, boundaries: Boundaries, near_pass_allowed: bool = True) -> Grade:
    """Return the highest grade whose boundary the raw mark reaches."""
    if not isinstance(mark, int) or isinstance(mark, bool):
        raise GradingError(f"Mark {mark!r} must be a whole number")
    if mark < 0:
        raise GradingError(f"Mark {mark} cannot be negative")
    if mark > boundaries.max_mark:
        raise GradingError(f"Mark {mark} is above the maximum mark {boundaries.max_mark}")
    if mark >= boundaries.distinction:
        return Grade.D
    if mark >= boundaries.merit:
        return Grade.M
    if mark >= boundaries.pass_mark:
        return Grade.P
    if near_pass_allowed and boundaries.near_pass is not None and mark >= boundaries.near_pass:
        return Grade.R
    return Grade.U


@dataclass(frozen=True)
class PointsTable:
    """Points by grade: by (GLH, grade) for basis 'glh', per credit as (1, grade) for 'credit'."""

    suite: str
    basis: str
    values: Mapping[tuple[int, Grade], int]

    def __post_init__(self) -> None:
        if self.basis not in ("glh", "credit"):
            raise GradingError(f"Points basis must be 'glh' or 'credit', not '{self.basis}'")


def unit_points(grade: Grade, table: PointsTable, *, glh: int, credits: int | None = None) -> int:
    """Return the points a unit grade earns under the suite's table."""
    if grade is Grade.U:
        return 0
    if table.basis == "glh":
        try:
            return table.values[(glh, grade)]
        except KeyError:
            raise GradingError(
                f"No points for {grade.label} at {glh} GLH in the {table.suite} table"
            ) from None
    if not credits or credits <= 0:
        raise GradingError(f"The {table.suite} table awards points per credit: give the credits")
    try:
        return table.values[(1, grade)] * credits
    except KeyError:
        raise GradingError(
            f"No points per credit for {grade.label} in the {table.suite} table"
        ) from None


@dataclass(frozen=True)
class UnitResult:
    unit: str
    points: int
    optional: bool = False


@dataclass(frozen=True)
class QualificationResult:
    points: int
    grade: str | None
    counted: tuple[str, ...]


def qualification_grade(
    units: Sequence[UnitResult],
    ranges: Sequence[tuple[str, int]],
    optional_needed: int | None = None,
) -> QualificationResult:
    """Return the qualification grade from unit points, counting the strongest optional units."""
    labels = [label for label, _ in ranges]
    if len(set(labels)) != len(labels):
        raise GradingError("A qualification grade is listed twice in its point ranges")
    if any(minimum < 0 for _, minimum in ranges):
        raise GradingError("Point ranges cannot start below zero")
    optional = [unit for unit in units if unit.optional]
    if optional_needed is not None:
        # Stable sort: among equal points the earlier unit counts, so results are repeatable.
        optional = sorted(optional, key=lambda unit: -unit.points)[:optional_needed]
    counted = [unit for unit in units if not unit.optional or unit in optional]
    total = sum(unit.points for unit in counted)
    reached = [(minimum, label) for label, minimum in ranges if total >= minimum]
    grade = max(reached)[1] if reached else None
    return QualificationResult(
        points=total, grade=grade, counted=tuple(unit.unit for unit in counted)
    )
