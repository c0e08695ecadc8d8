"""The "UCAS predicted grades" export: one row per learner for the sixth-form team, as CSV
or XLSX, every text cell safe from formula injection (`tracker.lib.spreadsheets`)."""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from django.utils import timezone
from openpyxl import Workbook

from tracker.assessment.qualifications import QualificationProgress, qualification_progress_for
from tracker.lib.spreadsheets import CellMaker, csv_cell, set_widths
from tracker.models import Learner

HEADERS = (
    "Candidate number",
    "Legal name",
    "Qualification",
    "Predicted grade",
    "UCAS tariff points",
    "Teacher",
    "Date",
    "Check",
)
UNVERIFIED_NOTE = "Unverified figure: check OCR's qualification handbook and UCAS's tariff tables"


@dataclass(frozen=True)
class UcasRow:
    """One learner's line: `qualification` is "" when they are registered on none,
    `predicted_grade` the qualification grade's label ("Distinction Distinction (DD)"),
    `tariff_points` UCAS points (None when unknown), `teacher` the teachers of their group,
    `predicted_on` the date of the newest unit prediction behind it (None when none),
    `unverified` whether a point range or tariff figure behind it is not yet verified and
    `unpredicted` the numbers of the units not finished that no teacher has predicted yet
    (they count at the grade so far, often nothing, so the grade may be too low)."""

    candidate_number: str
    legal_name: str
    qualification: str = ""
    predicted_grade: str = ""
    tariff_points: int | None = None
    teacher: str = ""
    predicted_on: date | None = None
    unverified: bool = False
    unpredicted: tuple[int, ...] = ()

    def check(self) -> str:
        """The Check cell: what to look at before sending the grade ("" when nothing)."""
        notes = []
        if self.unpredicted:
            units = ", ".join(str(number) for number in self.unpredicted)
            notes.append(
                f"No prediction yet for Unit{'s' if len(self.unpredicted) > 1 else ''} "
                f"{units}: counted at the grade so far, so this grade may be too low"
            )
        if self.unverified:
            notes.append(UNVERIFIED_NOTE)
        return "; ".join(notes)

    def values(self) -> list:
        return [
            self.candidate_number,
            self.legal_name,
            self.qualification or "Not registered on a qualification",
            self.predicted_grade,
            self.tariff_points,
            self.teacher,
            self.predicted_on,
            self.check(),
        ]


def learners_for_export(learners) -> list[Learner]:
    """Return the learners of a queryset still on roll, ordered by group and name, with
    their group's teachers (two queries, whatever the number of learners)."""
    return list(
        learners.current()
        .select_related("group")
        .prefetch_related("group__teachers")
        .order_by("group__name", "last_name", "first_name", "candidate_number")
    )


def ucas_rows(learners: list[Learner]) -> list[UcasRow]:
    """Return the export's rows for `learners` (from `learners_for_export`): the predicted
    qualification grade, its UCAS points and whether they rest on unverified figures come
    from `qualification_progress_for`; the date is the newest unit prediction behind it (a
    tracked unit's prediction, or a grade-only unit's predicted grade). Queries: those of
    `qualification_progress_for`, whatever the number of learners."""
    states = qualification_progress_for(learners)
    rows = []
    for learner in learners:
        teachers = learner.group.teachers.all() if learner.group_id else []
        teacher = ", ".join(sorted(str(teacher) for teacher in teachers))
        state = states.get(learner.pk)
        if state is None:
            rows.append(UcasRow(learner.candidate_number, learner.legal_full_name, teacher=teacher))
            continue
        predicted = state.predicted
        rows.append(
            UcasRow(
                candidate_number=learner.candidate_number,
                legal_name=learner.legal_full_name,
                qualification=f"{state.qualification.name} ({state.qualification.code})",
                predicted_grade=predicted.words,
                tariff_points=predicted.ucas,
                teacher=teacher,
                predicted_on=newest_prediction_date(state),
                unverified=not predicted.verified,
                unpredicted=unpredicted_units(state),
            )
        )
    return rows


def unpredicted_units(state: QualificationProgress) -> tuple[int, ...]:
    """Return the numbers of the qualification's units not finished that have no teacher
    prediction: a tracked unit without a prediction, a grade-only unit without a predicted
    grade."""
    missing = []
    for row in state.rows:
        if row.finished:
            continue
        if row.progress is not None:
            if row.progress.prediction is None:
                missing.append(row.number)
        elif row.result is None or not row.result.predicted:
            missing.append(row.number)
    return tuple(sorted(missing))


def newest_prediction_date(state: QualificationProgress) -> date | None:
    """Return the local date of the newest prediction among the qualification's units, or
    None when no unit has one."""
    moments = []
    for row in state.rows:
        if row.progress is not None and row.progress.prediction is not None:
            moments.append(row.progress.prediction.predicted_at)
        if row.result is not None and row.result.predicted:
            moments.append(row.result.updated_at)
    return timezone.localdate(max(moments)) if moments else None


class _Line:
    """A file-like object whose write returns the line csv.writer gives it."""

    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterable[UcasRow]) -> Iterator[str]:
    """Yield the CSV file line by line: a UTF-8 byte-order mark (so Excel reads accented
    names), the headers, then a line per row; dates as YYYY-MM-DD and every text cell
    through `csv_cell`."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(HEADERS)
    for row in rows:
        values = [
            value.isoformat() if isinstance(value, date) else csv_cell(value)
            for value in row.values()
        ]
        yield writer.writerow(values)


def write_xlsx(rows: Iterable[UcasRow], handle: BinaryIO) -> None:
    """Write the workbook to `handle`: one sheet, bold frozen headers with a filter, real
    dates, every text cell stored as text (`CellMaker`)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("UCAS predicted grades")
    sheet.freeze_panes = "A2"
    set_widths(sheet, [12, 28, 36, 30, 12, 28, 12, 40])
    make = CellMaker(sheet)
    sheet.append([make(header, bold=True) for header in HEADERS])
    count = 0
    for row in rows:
        values = row.values()
        values[6] = make(values[6], number_format="DD/MM/YYYY") if values[6] else None
        sheet.append([make(value) if i != 6 else value for i, value in enumerate(values)])
        count += 1
    sheet.auto_filter.ref = f"A1:H{count + 1}"
    workbook.save(handle)
