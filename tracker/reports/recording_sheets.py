"""OCR Unit Recording Sheets: per learner and unit, as a printable page or a workbook."""

import io
from collections import defaultdict
from dataclasses import dataclass

from openpyxl import Workbook

from tracker.assessment.progress import progress_for
from tracker.lib.spreadsheets import WRAP, cell, header_block, set_widths, sheet_title
from tracker.models import Enrolment, EvidenceLink, Status

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class SheetRow:
    """One criterion or topic of a sheet. `heading` is a topic's heading from the catalogue
    (`TopicItem.heading`, e.g. "Holistic overview"), which tells apart topics with the same
    text (Unit 6's 2.9 and 2.12); it is blank for a criterion."""

    code: str
    wording: str
    achieved: bool
    comment: str
    locations: list[str]
    heading: str = ""


EXAM_NOT_SAT = "Exam not sat yet"


@dataclass
class RecordingSheet:
    enrolment: Enrolment
    grade: str
    rows: list[SheetRow]


def recording_sheets(enrolments: list[Enrolment]) -> list[RecordingSheet]:
    """Return a Unit Recording Sheet per enrolment in a fixed number of queries."""
    progress = {p.enrolment.pk: p for p in progress_for(enrolments)}
    locations: dict[tuple[int, int], list[str]] = defaultdict(list)
    for link in EvidenceLink.objects.filter(
        evidence__enrolment__in=enrolments, evidence__withdrawn_at__isnull=True
    ).select_related("evidence"):
        item = link.criterion_id or link.topic_id
        name = link.evidence.original_name or link.evidence.get_kind_display()
        locations[(link.evidence.enrolment_id, item)].append(
            f"{name}, {link.location}" if link.location else name
        )
    sheets = []
    for enrolment in enrolments:
        entry = progress[enrolment.pk]
        rows = [
            SheetRow(
                code=item.code,
                wording=getattr(item.item, "wording", "") or item.item.text,
                achieved=item.status == Status.ACHIEVED,
                comment=item.decision.feedback if item.decision else "",
                locations=locations[(enrolment.pk, item.item.pk)],
                heading=getattr(item.item, "heading", ""),
            )
            for item in entry.items
        ]
        # An examined unit has no grade until its exam is sat: a mock or nothing yet is not
        # an "Unclassified" result (the learner's pages say the same).
        grade = (
            EXAM_NOT_SAT
            if enrolment.unit.is_examined and not entry.exam_sat
            else entry.achieved.label
        )
        sheets.append(RecordingSheet(enrolment, grade, rows))
    return sheets


def sheets_workbook(sheets: list[RecordingSheet]) -> bytes:
    """Return a workbook with one Unit Recording Sheet per worksheet."""
    book = Workbook(write_only=True)
    titles: set[str] = set()
    for sheet_data in sheets:
        enrolment = sheet_data.enrolment
        learner, unit = enrolment.learner, enrolment.unit
        sheet = book.create_sheet(
            sheet_title(f"{learner.candidate_number} {learner.last_name}", titles)
        )
        set_widths(sheet, [8, 60, 10, 50, 40])
        reference = f" ({unit.reference})" if unit.reference else ""
        header_block(
            sheet,
            "Unit Recording Sheet",
            [
                f"Unit {unit.number}: {unit.title}{reference}",
                f"Year: {enrolment.academic_year}",
                f"Centre: {learner.centre.name}, centre number {learner.centre.ocr_number}",
                f"Candidate: {learner.legal_full_name}, "
                f"candidate number {learner.candidate_number}",
                f"Unit grade: {sheet_data.grade}",
            ],
        )
        sheet.append(
            [
                cell(sheet, h, bold=True)
                for h in (
                    "Topic" if unit.is_examined else "Criterion",
                    "Wording",
                    "Achieved",
                    "Teacher comment",
                    "Evidence location",
                )
            ]
        )
        for row in sheet_data.rows:
            comment = cell(sheet, row.comment)
            comment.alignment = WRAP
            sheet.append(
                [
                    cell(sheet, row.code),
                    cell(sheet, f"{row.heading}: {row.wording}" if row.heading else row.wording),
                    cell(sheet, "Yes" if row.achieved else "No"),
                    comment,
                    cell(sheet, "; ".join(row.locations)),
                ]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
