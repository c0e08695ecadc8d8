import io
import zipfile
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.datetime import to_excel

from tracker.lib.spreadsheets import (
    CellMaker,
    cell,
    csv_cell,
    excel_serial,
    plain_text,
    put,
    workbook_text,
)


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "=1+1"]
)
def test_formula_like_text_is_written_as_literal_text(value):
    book = Workbook(write_only=True)
    sheet = book.create_sheet("S")
    sheet.append([cell(sheet, value)])
    buffer = io.BytesIO()
    book.save(buffer)
    read = load_workbook(io.BytesIO(buffer.getvalue()))["S"]["A1"]
    assert read.value == value
    assert read.data_type == "s"


def test_numbers_stay_numbers():
    book = Workbook(write_only=True)
    sheet = book.create_sheet("S")
    sheet.append([cell(sheet, 42)])
    buffer = io.BytesIO()
    book.save(buffer)
    assert load_workbook(io.BytesIO(buffer.getvalue()))["S"]["A1"].value == 42


CONTROLS = "".join(chr(code) for code in range(32))


def test_workbook_text_keeps_what_a_workbook_can_hold_and_says_what_office_meant():
    assert workbook_text(f"a{CONTROLS}b") == "a\t\n\n\n\r-b"
    assert workbook_text("One\x0btwo") == "One\ntwo"  # PowerPoint's soft line break
    assert workbook_text("Smith\x1eJones") == "Smith-Jones"  # Word's non-breaking hyphen
    assert workbook_text("plain text, é and ✓") == "plain text, é and ✓"
    assert not ILLEGAL_CHARACTERS_RE.search(workbook_text(CONTROLS * 3))


@given(st.text())
def test_any_cleaned_text_can_be_written(value):
    book = Workbook()
    put(book.active, 1, 1, value)  # raises IllegalCharacterError for a character it refuses


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://x","y")', "- needs a conclusion", "@SUM(A1)", "#N/A", "=1+1"]
)
def test_put_writes_text_as_text_in_an_ordinary_sheet(value):
    book = Workbook()
    put(book.active, 1, 1, value)
    put(book.active, 1, 2, 42)
    buffer = io.BytesIO()
    book.save(buffer)
    read = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert (read["A1"].value, read["A1"].data_type) == (value, "s")
    assert read["B1"].value == 42


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 1234", "'+44 1234"),
        ("-Smith", "'-Smith"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("Soft\x0bbreak", "Soft\nbreak"),
        ("Bell\x07", "Bell"),
        ("Plain", "Plain"),
        (None, ""),
        (12, 12),
        (-3, -3),
    ],
)
def test_csv_cells_never_start_a_formula(value, written):
    assert csv_cell(value) == written


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31), timezones=st.none()
    )
)
def test_excel_serial_is_the_number_openpyxl_writes_for_the_datetime(value):
    assert excel_serial(value) == to_excel(value)
    # The time as it reads, whatever the zone: the caller passes local time.
    assert excel_serial(value.replace(tzinfo=ZoneInfo("Europe/London"))) == to_excel(value)


def test_plain_text_is_cleaned_text_that_may_go_bare_into_a_sheet():
    assert plain_text("13HSC1\x0b") == "13HSC1\n"
    assert plain_text("=1+1") is None
    assert plain_text("-Smith") is None
    assert plain_text("#N/A") is None


def saved_sheet_xml(values: list, *, as_numbers: bool) -> bytes:
    """The sheet XML of a write-only workbook with one dated cell per value."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Dates")
    make = CellMaker(sheet)
    dated = make.numbers("dd/mm/yyyy")
    for value in values:
        if as_numbers:
            sheet.append([dated(excel_serial(value))])
        else:
            sheet.append([make(value, number_format="dd/mm/yyyy")])
    handle = io.BytesIO()
    book.save(handle)
    return handle.getvalue()


def test_a_date_written_as_a_number_is_the_same_in_the_file_as_the_datetime():
    values = [datetime(2026, 3, 29, 0, 59, 59, 999999), datetime(2026, 11, 30, 6, 15, 4)]
    numbers = saved_sheet_xml(values, as_numbers=True)
    datetimes = saved_sheet_xml(values, as_numbers=False)
    sheet = "xl/worksheets/sheet1.xml"
    assert zipfile.ZipFile(io.BytesIO(numbers)).read(sheet) == (
        zipfile.ZipFile(io.BytesIO(datetimes)).read(sheet)
    )
    read = load_workbook(io.BytesIO(numbers))["Dates"]
    assert read["A1"].number_format == "dd/mm/yyyy"
    assert read["A2"].value == datetime(2026, 11, 30, 6, 15, 4)


def test_numbers_refuses_what_is_not_a_number():
    make = CellMaker(Workbook(write_only=True).create_sheet("Dates"))
    with pytest.raises(TypeError):
        make.numbers("dd/mm/yyyy")(datetime(2026, 1, 1))
