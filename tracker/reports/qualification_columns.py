"""The grades workbook's qualification columns on the Summary sheet: size, points, grades
and UCAS points per learner, computed in bulk by `qualification_progress_for`.

Kept apart from `exports.py` so the export's speed work and these columns change
independently: the export asks for `HEADERS`/`WIDTHS` once and `cells()` per learner.
"""

from collections.abc import Iterable, Iterator

from openpyxl.styles import PatternFill

from tracker.assessment.qualifications import (
    QualificationProgress,
    below_target,
    qualification_progress_for,
)

HEADERS = [
    "Qualification",
    "Qualification size",
    "Qualification points (achieved)",
    "Qualification points (projected)",
    "Qualification points (predicted)",
    "Qualification grade (achieved)",
    "Qualification grade (projected)",
    "Qualification grade (predicted)",
    "Qualification grade (target)",
    "UCAS points (predicted)",
    "Qualification figures",
]
WIDTHS = [36, 12, 14, 14, 14, 22, 22, 22, 22, 12, 40]
UNVERIFIED = "unverified: check the qualification handbook and UCAS's tariff tables"
# The Summary's grade colours (as the unit grade columns): the predicted qualification grade
# is green when on or above the target grade, red when below (`below_target`).
ON_TARGET = PatternFill("solid", fgColor="D1E7DD")
BELOW_TARGET = PatternFill("solid", fgColor="F8D7DA")
BATCH = 500  # learners per call of the qualification service


def with_qualifications(pairs: Iterable[tuple], batch: int = BATCH) -> Iterator[tuple]:
    """Yield each (learner, …) tuple of `pairs` with the learner's QualificationProgress
    (None when not registered) appended, `batch` learners per service call: a fixed number
    of queries per batch, whatever the number of units."""
    pending: list[tuple] = []
    for pair in pairs:
        pending.append(pair)
        if len(pending) >= batch:
            yield from _flush(pending)
            pending = []
    yield from _flush(pending)


def _flush(pending: list[tuple]) -> Iterator[tuple]:
    states = qualification_progress_for([pair[0] for pair in pending])
    for pair in pending:
        yield (*pair, states.get(pair[0].pk))


def cells(cell, state: QualificationProgress | None) -> list:
    """Return the learner's values under `HEADERS`; text goes through `cell` (the sheet's
    CellMaker) so it is never read as a formula. Grades in words ("Distinction Merit (DM)"),
    points as numbers, one note when any figure rests on unverified data; with a target, the
    predicted grade is coloured as the unit grades are (green on or above, red below)."""
    if state is None:
        return [cell("Not registered on a qualification")] + [""] * (len(HEADERS) - 1)
    figures = (state.achieved, state.projected, state.predicted)
    target = state.target
    verified = all(figure.verified for figure in figures) and (target is None or target.verified)
    return [
        cell(f"{state.qualification.name} ({state.qualification.code})"),
        cell(f"{state.size} {state.size_unit}"),
        *(figure.points for figure in figures),
        cell(state.achieved.words),
        cell(state.projected.words),
        _predicted_cell(cell, state),
        cell(target.words) if target else "",
        state.predicted.ucas if state.predicted.ucas is not None else "",
        "verified" if verified else UNVERIFIED,
    ]


def _predicted_cell(cell, state: QualificationProgress):
    words = state.predicted.words
    if state.target is None:
        return cell(words)
    return cell.repeated(words, fill=BELOW_TARGET if below_target(state) else ON_TARGET)


class QualificationTotals:
    """Learners per qualification grade (achieved, projected, predicted, target) for each
    qualification the Summary's learners are registered on, added up as the rows are written
    and put below the unit totals. Each qualification has its own grades (D for a
    Certificate, DD for a Diploma), so each gets its own heading row, lowest grade first,
    Unclassified before them. Nothing is written when no learner is registered."""

    SERIES = ("achieved", "projected", "predicted", "target")

    def __init__(self):
        self.qualifications: dict[int, QualificationProgress] = {}
        self.counts: dict[int, dict[str, dict[str | None, int]]] = {}
        self.unverified: set[int] = set()

    def add(self, state: QualificationProgress | None) -> None:
        if state is None:
            return
        pk = state.qualification.pk
        if pk not in self.counts:
            self.qualifications[pk] = state
            self.counts[pk] = {series: {} for series in self.SERIES}
        figures = (state.achieved, state.projected, state.predicted, state.target)
        for series, figure in zip(self.SERIES, figures, strict=True):
            if series == "target" and figure is None:
                continue
            counts = self.counts[pk][series]
            counts[figure.grade] = counts.get(figure.grade, 0) + 1
            if not figure.verified:
                self.unverified.add(pk)

    def write(self, sheet, cell) -> None:
        """Append the block: labels in column A, figures from column E (as the unit totals)."""
        if not self.counts:
            return
        gap = ["", "", ""]
        sheet.append([])
        for pk, state in sorted(
            self.qualifications.items(), key=lambda item: item[1].qualification.name
        ):
            labels = [label for label, _ in state.ranges]
            name = f"{state.qualification.name} ({state.qualification.code})"
            heading = ["U", *labels, "Learners"]
            sheet.append(
                [cell(f"Qualification grades: {name}", bold=True), *gap]
                + [cell(text, bold=True) for text in heading]
            )
            for series in self.SERIES:
                counts = self.counts[pk][series]
                figures = [counts.get(None, 0), *(counts.get(label, 0) for label in labels)]
                sheet.append(
                    [cell(f"Qualification {series}"), *gap, *figures, sum(counts.values())]
                )
            if pk in self.unverified:
                sheet.append([cell(f"Grades from {UNVERIFIED}")])
