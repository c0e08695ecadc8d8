import io

import pytest
from openpyxl import Workbook, load_workbook

from tracker.lib.spreadsheets import cell


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
