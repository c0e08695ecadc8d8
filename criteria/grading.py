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
    every P, else U. Higher criteria never make up for a missing lower one.

    A band with no criteria is never awarded (points notes, "Rules the grading code must
    follow"): a unit whose spec lists no M criteria stops at Pass, one without D criteria at
    Merit, so a spec missing its higher bands cannot hand out Distinctions for passes. The
    catalogue loader also refuses such a spec.
    """
    codes, done = _checked(criteria, achieved)
    present = {code[0] for code in codes}
    grade = Grade.U
    for candidate in (Grade.P, Grade.M, Grade.D):
        if candidate.value not in present or _missing_for(candidate, codes, done):
            break
        grade = candidate
    return grade


def what_next(criteria: Iterable[str], achieved: Iterable[str]) -> dict[Grade, list[str]]:
    """Return, for each grade above the current one that the unit can award, the criteria
    still missing for it."""
    codes, done = _checked(criteria, achieved)
    current = centre_assessed_grade(codes, done)
    present = {code[0] for code in codes}
    reachable = []
    for grade in (Grade.P, Grade.M, Grade.D):
        if grade.value not in present:
            break
        reachable.append(grade)
    return {grade: _missing_for(grade, codes, done) for grade in reachable if grade > current}


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
    """One unit's contribution: its name, points, whether it is optional and its size (GLH
    or credits, used only when the optional units are limited by size)."""

    unit: str
    points: int
    optional: bool = False
    size: int = 0


@dataclass(frozen=True)
class QualificationResult:
    points: int
    grade: str | None
    counted: tuple[str, ...]


def ordered_ranges(ranges: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Return point ranges (label, minimum points) checked and ordered by points, lowest first.

    Refused with a `GradingError`: an empty label, a label listed twice, a minimum that is not
    a whole number or is below zero, and two labels with the same minimum (which grade a learner
    on that many points gets would otherwise be decided by spelling).
    """
    seen: dict[str, int] = {}
    by_points: dict[int, str] = {}
    for label, minimum in ranges:
        if not isinstance(label, str) or not label.strip():
            raise GradingError("A qualification grade in the point ranges has no label")
        if label in seen:
            raise GradingError(
                f"The qualification grade {label} is listed twice in its point ranges"
            )
        if not isinstance(minimum, int) or isinstance(minimum, bool):
            raise GradingError(f"The minimum points for {label} must be a whole number")
        if minimum < 0:
            raise GradingError(f"Point ranges cannot start below zero ({label}: {minimum})")
        if minimum in by_points:
            raise GradingError(
                f"{by_points[minimum]} and {label} both start at {minimum} points: "
                "each grade needs its own minimum"
            )
        seen[label] = minimum
        by_points[minimum] = label
    return sorted(seen.items(), key=lambda pair: pair[1])


def grade_for_points(total: int, ranges: Sequence[tuple[str, int]]) -> str | None:
    """Return the label of the highest range whose minimum `total` reaches, or None (U)."""
    grade = None
    for label, minimum in ordered_ranges(ranges):
        if total >= minimum:
            grade = label
    return grade


def qualification_grade(
    units: Sequence[UnitResult],
    ranges: Sequence[tuple[str, int]],
    optional_needed: int | None = None,
    *,
    optional_size: int | None = None,
) -> QualificationResult:
    """Return the qualification grade from unit points, counting the strongest optional units.

    `ranges` are (label, minimum points) in any order (see `ordered_ranges` for what is
    refused). Mandatory units always count. Optional units are limited either by number
    (`optional_needed`: the strongest N count) or by size (`optional_size`, GLH or credits:
    the optional units whose sizes fit within it with the most points between them);
    with neither, every unit counts. Rule: OCR, "Cambridge Technicals — calculating grades":
    where extra units are taken only the strongest optional units count. Among equal points the
    earlier row counts, so results repeat. Rows are counted by position: two identical rows
    are two units. Refused: a negative limit, negative unit points or sizes.
    """
    ordered = ordered_ranges(ranges)
    if optional_needed is not None and optional_size is not None:
        raise GradingError("Limit optional units by number or by size, not both")
    for limit, name in (
        (optional_needed, "optional units needed"),
        (optional_size, "optional size"),
    ):
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 0
        ):
            raise GradingError(f"The {name} must be a whole number of at least zero, not {limit!r}")
    for unit in units:
        if not isinstance(unit.points, int) or unit.points < 0:
            raise GradingError(f"{unit.unit}: points must be a whole number of at least zero")
        if not isinstance(unit.size, int) or unit.size < 0:
            raise GradingError(f"{unit.unit}: size must be a whole number of at least zero")
    optional = [index for index, unit in enumerate(units) if unit.optional]
    strongest = sorted(optional, key=lambda index: (-units[index].points, index))
    if optional_needed is not None:
        chosen = set(strongest[:optional_needed])
    elif optional_size is not None:
        chosen = set(_strongest_within(units, optional, optional_size))
    else:
        chosen = set(optional)
    counted = [unit for index, unit in enumerate(units) if not unit.optional or index in chosen]
    total = sum(unit.points for unit in counted)
    grade = None
    for label, minimum in ordered:
        if total >= minimum:
            grade = label
    return QualificationResult(
        points=total, grade=grade, counted=tuple(unit.unit for unit in counted)
    )


def _strongest_within(units: Sequence[UnitResult], optional: list[int], limit: int) -> tuple:
    """Return the indexes of the optional units that fit within `limit` (sum of sizes) with
    the most points; among equal totals, the earlier rows. Exact (sizes are whole GLH or
    credits, so the possible totals are few), which keeps "a better unit grade never lowers
    the qualification grade" true, unlike taking the strongest unit first."""
    best: dict[int, tuple[int, tuple[int, ...]]] = {0: (0, ())}
    for index in optional:
        unit = units[index]
        for used, (points, chosen) in list(best.items()):
            size = used + unit.size
            if size > limit:
                continue
            candidate = (points + unit.points, (*chosen, index))
            if size not in best or candidate[0] > best[size][0]:
                best[size] = candidate
    top = max(points for points, _ in best.values())
    return min(chosen for points, chosen in best.values() if points == top)


# Qualification grade letters, highest first: a double or triple grade is a run of these.
QUALIFICATION_LETTERS = ("D*", "D", "M", "P")
QUALIFICATION_WORDS = {"D*": "Distinction*", "D": "Distinction", "M": "Merit", "P": "Pass"}


def qualification_letters(label: str) -> list[str]:
    """Split a qualification grade such as 'D*D' into its letters ['D*', 'D'].

    Raises `GradingError` for anything that is not a run of D*, D, M, P, highest first
    (OCR writes double and triple grades highest first: D*D, DMM).
    """
    letters: list[str] = []
    rest = label
    while rest:
        for letter in QUALIFICATION_LETTERS:
            if rest.startswith(letter):
                letters.append(letter)
                rest = rest[len(letter) :]
                break
        else:
            raise GradingError(f"'{label}' is not a qualification grade (D*, D, M, P; DM; DMM …)")
    if not letters:
        raise GradingError("A qualification grade cannot be empty")
    ranks = [QUALIFICATION_LETTERS.index(letter) for letter in letters]
    if ranks != sorted(ranks):
        raise GradingError(f"'{label}' must list its letters highest first")
    return letters


def qualification_grade_words(label: str | None) -> str:
    """Return a qualification grade in words: 'DM' -> 'Distinction Merit (DM)', None ->
    'Unclassified'."""
    if not label:
        return GRADE_LABELS["U"]
    words = " ".join(QUALIFICATION_WORDS[letter] for letter in qualification_letters(label))
    return words if len(qualification_letters(label)) == 1 else f"{words} ({label})"
