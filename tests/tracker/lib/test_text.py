"""Cleaning text from outside: no control character survives, meaning is kept."""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from tracker.lib.text import clean_line, clean_text, is_clean_line

CONTROL = "".join(chr(code) for code in range(32)) + "\x7f"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Gallagher\x1eMurphy", "Gallagher-Murphy"),  # Word's non-breaking hyphen via an MIS
        ("Ann\tMarie", "Ann Marie"),
        ("Ann\x0bMarie", "Ann Marie"),
        ("Ann\r\nMarie", "Ann Marie"),
        ("  Ann   Marie  ", "Ann Marie"),
        ("O\x00'Neil\x07", "O'Neil"),
        ("Zoë Ðặng-Smith", "Zoë Ðặng-Smith"),
        ("Ann\u2028Marie", "Ann Marie"),
        ("Ann\x9bMarie", "AnnMarie"),
        ("", ""),
    ],
)
def test_clean_line(raw, clean):
    assert clean_line(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Good start.\x0bNow add sources.", "Good start.\nNow add sources."),  # PowerPoint
        ("one\r\ntwo\rthree\nfour", "one\ntwo\nthree\nfour"),
        ("a\tb", "a b"),
        ("keep  two spaces\n\nand a blank line", "keep  two spaces\n\nand a blank line"),
        ("\n\ntrailing   \nspace  \n\n", "trailing\nspace"),
        ("bell\x07 gone\x1e", "bell gone-"),
        ("", ""),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_is_clean_line():
    assert is_clean_line("Ann Marie")
    assert not is_clean_line("Ann\x1eMarie")


@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(CONTROL)))
def test_no_control_character_survives_and_cleaning_is_idempotent(value):
    line, text = clean_line(value), clean_text(value)
    assert not any(char in CONTROL for char in line)
    assert not any(char in CONTROL.replace("\n", "") for char in text)
    assert clean_line(line) == line
    assert clean_text(text) == text
    assert line == line.strip() and "  " not in line


@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(CONTROL), max_size=40))
def test_cleaned_values_can_always_be_written_to_a_workbook(value):
    book = Workbook()
    book.active.append([clean_line(value), clean_text(value)])
    book.save(io.BytesIO())
