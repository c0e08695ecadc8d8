"""Spreadsheet helpers: user-supplied text never becomes a formula in Excel or LibreOffice."""

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
STATUS_FILLS = {
    "Achieved": PatternFill("solid", fgColor="D1E7DD"),
    "Not yet achieved": PatternFill("solid", fgColor="F8D7DA"),
    "Submitted": PatternFill("solid", fgColor="FFF3CD"),
}


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def cell(
    sheet: WriteOnlyWorksheet,
    value: object,
    *,
    bold: bool = False,
    fill=None,
    number_format: str | None = None,
) -> WriteOnlyCell:
    """Return a write-only cell; text is always stored as text, never as a formula."""
    result = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        result.data_type = "s"  # openpyxl would otherwise take "=…" as a formula
        if looks_like_formula(value):
            result.quotePrefix = True  # and Excel keeps it text when the cell is edited
    if bold:
        result.font = BOLD
    if fill is not None:
        result.fill = fill
    if number_format:
        result.number_format = number_format
    return result


def header_block(sheet: WriteOnlyWorksheet, title: str, lines: list) -> int:
    """Write a title and lines above a table; return how many rows were written.

    A line is text, or a (label, value, number format) triple for a real date or number.
    """
    first = WriteOnlyCell(sheet, value=title)
    first.font = TITLE
    sheet.append([first])
    for line in lines:
        if isinstance(line, tuple):
            label, value, number_format = line
            sheet.append([cell(sheet, label), cell(sheet, value, number_format=number_format)])
        else:
            sheet.append([cell(sheet, line)])
    sheet.append([])
    return len(lines) + 2


def set_widths(sheet: WriteOnlyWorksheet, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


WRAP = Alignment(wrap_text=True, vertical="top")
