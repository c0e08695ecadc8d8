"""Spreadsheet helpers: user-supplied text never becomes a formula in Excel or LibreOffice."""

from collections.abc import Callable
from copy import copy
from datetime import date, datetime, time, timedelta

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from tracker.lib.text import HYPHENS

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
# Cell colours by criterion status value (the same colours as the site's status badges).
STATUS_FILLS = {
    "achieved": PatternFill("solid", fgColor="D1E7DD"),
    "not_yet": PatternFill("solid", fgColor="F8D7DA"),
    "submitted": PatternFill("solid", fgColor="FFF3CD"),
}


# Control characters a workbook cannot hold, and what they most likely meant: a vertical tab
# is PowerPoint's (and Word's) soft line break, a form feed a page break, and the hyphens of
# `tracker.lib.text`. Any other is dropped.
_CONTROL_MEANINGS = {"\x0b": "\n", "\x0c": "\n", **{chr(k): v for k, v in HYPHENS.items()}}


def workbook_text(value: str) -> str:
    """Return the text with the control characters a workbook cannot hold replaced or removed.

    openpyxl refuses (IllegalCharacterError) any C0 control character but tab, line feed and
    carriage return; names and feedback pasted from Office or an MIS can hold them.
    """
    return ILLEGAL_CHARACTERS_RE.sub(lambda found: _CONTROL_MEANINGS.get(found.group(), ""), value)


# Excel refuses these in a sheet name (a Windows-1252 CSV turns unencodable letters into "?").
_TITLE_REFUSED = str.maketrans(dict.fromkeys("\\/?*[]:", " "))
TITLE_LENGTH = 31  # Excel's limit for a sheet name


def sheet_title(text: str, taken: set[str]) -> str:
    """Return a sheet name Excel accepts for `text`, unique among `taken` (which it joins).

    Excel refuses \\ / ? * [ ] :, control characters, a leading or trailing apostrophe, an
    empty name, the reserved name "History" and names over 31 characters; it compares names
    without regard to letter case. A clash gets " (2)", " (3)"… within the 31 characters.
    """
    name = " ".join(workbook_text(text).translate(_TITLE_REFUSED).split()).strip("'").strip()
    if not name or name.lower() == "history":
        name = f"{name or 'Sheet'} sheet".strip()
    name = name[:TITLE_LENGTH].rstrip().strip("'")
    lowered = {title.lower() for title in taken}
    candidate, number = name, 1
    while candidate.lower() in lowered:
        number += 1
        suffix = f" ({number})"
        candidate = name[: TITLE_LENGTH - len(suffix)].rstrip() + suffix
    taken.add(candidate)
    return candidate


# Day 0 of Excel's (and openpyxl's default) 1900 date system.
EXCEL_EPOCH = datetime(1899, 12, 30)
EXCEL_EPOCH_ORDINAL = EXCEL_EPOCH.toordinal()
SECONDS_PER_DAY = 86400


def excel_serial(value: datetime) -> float:
    """Return the number a workbook stores for a date and time as it reads (its tzinfo, if
    any, is not looked at: pass the local time): whole days since 30 December 1899 plus the
    time of day as a fraction of a day (the 1900 date system).

    A cell holding it with a date number format is the same, in the file, as the cell
    openpyxl writes for the naive datetime itself, and costs openpyxl less. Before 1 March
    1900 one day is taken off, as Excel (and openpyxl) count a 29 February 1900 that never
    was.
    """
    days = value.toordinal() - EXCEL_EPOCH_ORDINAL
    if 0 < days <= 60:
        days -= 1
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 10**6
    return days + seconds / SECONDS_PER_DAY


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def plain_text(value: str) -> str | None:
    """Return the text cleaned for a workbook when it can be appended bare to any sheet
    (it cannot be read as a formula or an error code), else None: then make its cell in
    each sheet with that sheet's `CellMaker`, which keeps it text."""
    text = workbook_text(value)
    if looks_like_formula(text) or text in ERROR_CODES:
        return None
    return text


def put(sheet: Worksheet, row: int, column: int, value: object, *, font=None) -> Cell:
    """Write a value into a cell of an ordinary (not write-only) sheet and return the cell.

    Text is cleaned of control characters and always stored as text, never as a formula or
    an error code, with the quote prefix that keeps formula-like text text in Excel when
    the cell is edited.
    """
    target = sheet.cell(row, column)
    if isinstance(value, str):
        text = workbook_text(value)
        target.value = text
        target.data_type = "s"  # openpyxl would otherwise take "=…" as a formula
        if looks_like_formula(text):
            target.quotePrefix = True
    else:
        target.value = value
    if font is not None:
        target.font = font
    return target


def cell(
    sheet: WriteOnlyWorksheet,
    value: object,
    *,
    bold: bool = False,
    fill=None,
    number_format: str | None = None,
) -> WriteOnlyCell:
    """Return a write-only cell; text is cleaned of what a workbook cannot hold and always
    stored as text, never as a formula."""
    if isinstance(value, str):
        value = workbook_text(value)
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


class CellMaker:
    """Make the cells of one write-only sheet, as `cell()` does, for large sheets.

    A plain value (a number, or text that cannot be read as a formula or an error code) is
    appended as it is, which openpyxl writes without a cell object of ours; a styled cell
    copies the style of the first cell made with the same font, fill and number format,
    instead of looking each style up in the workbook again.
    """

    def __init__(self, sheet: WriteOnlyWorksheet):
        self.sheet = sheet
        self._styles: dict[tuple, object] = {}
        self._repeated: dict[tuple, object] = {}

    def __call__(
        self, value: object, *, bold: bool = False, fill=None, number_format: str | None = None
    ):
        text = isinstance(value, str)
        if text:
            value = workbook_text(value)  # no stored value may break the workbook
        if not (bold or fill is not None or number_format) and (
            not text or not (looks_like_formula(value) or value in ERROR_CODES)
        ):
            return value
        # openpyxl gives a date or time without a number format one of its own.
        temporal = number_format is None and isinstance(value, (date, time, timedelta))
        key = (bold, id(fill), number_format, text and looks_like_formula(value), temporal)
        style = self._styles.get(key)
        if style is None:
            model = cell(self.sheet, value, bold=bold, fill=fill, number_format=number_format)
            # Keep the fill alive with its id in the key; copy the settled style array.
            style = self._styles[key] = (copy(model._style), fill)
            return model
        result = WriteOnlyCell(self.sheet)
        result._style = copy(style[0])
        result.value = value
        if text:
            result.data_type = "s"  # as in cell(): text, never a formula
        return result

    def numbers(self, number_format: str) -> Callable[[int | float], WriteOnlyCell]:
        """Return a function making a cell with this number format for a number (a date as
        `excel_serial`, say): for a column of many, the style is looked up once and a number
        needs no cleaning. The first cell is made as `__call__` makes it, so the workbook's
        styles come in the same order. Only for int and float values (TypeError otherwise).
        """
        sheet = self.sheet
        style = None

        def make(value: int | float) -> WriteOnlyCell:
            nonlocal style
            if type(value) not in (int, float):
                raise TypeError(f"numbers() makes cells for numbers, not {type(value).__name__}")
            if style is None:
                made = self(value, number_format=number_format)
                style = made._style
                return made
            # A write-only cell (row and column 1) given a copy of the style array.
            return Cell(sheet, 1, 1, value, style_array=style)

        return make

    def repeated(
        self, value: object, *, bold: bool = False, fill=None, number_format: str | None = None
    ):
        """Return the same cell for every use of a styled value (a status, an empty date).

        A write-only sheet writes a row's cells as the row is appended, moving each cell to
        its place as it goes, so one styled cell can be appended again and again. An
        unstyled cell object is not reused: openpyxl writes the next plain value into it.
        """
        key = (value, bold, id(fill), number_format)
        found = self._repeated.get(key)
        if found is None:
            found = self(value, bold=bold, fill=fill, number_format=number_format)
            if not isinstance(found, Cell) or found.has_style:
                self._repeated[key] = found
        return found


def header_block(sheet: WriteOnlyWorksheet, title: str, lines: list, *, note: str = "") -> int:
    """Write a title and lines above a table; return how many rows were written.

    A line is text, or a (label, value, number format) triple for a real date or number.
    The block ends with an empty row, or with `note` (one line of text) in that row.
    """
    first = WriteOnlyCell(sheet, value=workbook_text(title))
    first.font = TITLE
    sheet.append([first])
    for line in lines:
        if isinstance(line, tuple):
            label, value, number_format = line
            sheet.append([cell(sheet, label), cell(sheet, value, number_format=number_format)])
        else:
            sheet.append([cell(sheet, line)])
    sheet.append([cell(sheet, note)] if note else [])
    return len(lines) + 2


def set_widths(sheet: WriteOnlyWorksheet, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


WRAP = Alignment(wrap_text=True, vertical="top")


def csv_cell(value: object) -> object:
    """Return a value safe to write into a CSV cell that Excel or LibreOffice will open.

    Text is cleaned of the control characters `workbook_text` removes, and text that a
    spreadsheet would read as a formula (starting with =, +, -, @, tab or carriage return)
    gets a leading apostrophe, which shows it as text (OWASP "CSV Injection"); a CSV has no
    cell types, so this prefix is the only defence. Numbers, dates and None pass unchanged
    (None as an empty cell).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        text = workbook_text(value)
        return f"'{text}" if looks_like_formula(text) else text
    return value
