"""Cleaning text that arrives from outside (MIS exports, pasted feedback) before it is stored.

Control characters reach us from Word (U+001E, a non-breaking hyphen), PowerPoint (U+000B, a
soft line break) and MIS exports. Stored, they break every workbook that contains them (XML
cannot hold them) and confuse sorting and matching. These functions take them out:

* ``clean_line`` for one-line values such as names: line breaks and tabs become a space,
  other control characters are dropped, and runs of whitespace collapse to one space.
* ``clean_text`` for multi-line text such as feedback: line breaks are kept (and normalised
  to ``\\n``), tabs become a space, other control characters are dropped.

Both are pure functions of a string, usable from forms, imports and management commands.
"""

import re

# What the control characters Office leaves in text most likely meant: U+001E is Word's
# non-breaking hyphen, U+001F its optional (soft) hyphen. Line breaks are handled apart.
HYPHENS = {ord("\x1e"): "-", ord("\x1f"): ""}

# Characters that break a line (turned into a space in a line, into "\n" in text).
_LINE_BREAKS = "\n\r\x0b\x0c\x85\u2028\u2029"
_BREAKS_IN_TEXT = "\n\x0b\x0c\x85\u2028\u2029"
# C0 controls except tab and line breaks, DEL, C1 controls, and what XML cannot hold.
_DROPPED = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_line(value: str) -> str:
    """Return a one-line value without control characters and with single spaces.

    Tabs, vertical tabs, form feeds and line breaks become a space; every other control
    character is dropped (Word's non-breaking hyphen U+001E becomes "-"); leading, trailing
    and repeated whitespace is removed.
    """
    if not value:
        return ""
    value = value.translate(_SPACE_FOR_BREAK).translate(HYPHENS)
    value = _DROPPED.sub("", value)
    return " ".join(value.split())


def clean_text(value: str) -> str:
    """Return multi-line text without control characters, keeping its line breaks.

    Windows (CR LF) and old Mac (CR) line ends become ``\\n``, as do vertical tabs, form
    feeds and Unicode line and paragraph separators; tabs become a space; every other
    control character is dropped. Trailing spaces on each line and blank lines at the start
    and end are removed.
    """
    if not value:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = value.translate(_NEWLINE_FOR_BREAK).translate(HYPHENS).replace("\t", " ")
    value = _DROPPED.sub("", value)
    lines = [line.rstrip() for line in value.split("\n")]
    return "\n".join(lines).strip("\n")


def is_clean_line(value: str) -> bool:
    """Return whether ``clean_line`` would leave the value as it is."""
    return clean_line(value) == value


_SPACE_FOR_BREAK = {ord(char): " " for char in _LINE_BREAKS + "\t"}
_NEWLINE_FOR_BREAK = {ord(char): "\n" for char in _BREAKS_IN_TEXT}


def as_unit_number(value: str) -> int | None:
    """Read a unit number typed in an imported file: plain ASCII digits, at most 6 of them,
    optionally after the word "Unit" in any letter case ("6", "030", "Unit 5", "unit 05",
    "Unit5"), as an int; anything else (empty, "6a", "²", "Unit", a 5,000-digit number that
    Python refuses to convert) is None, so the caller reports it as an unknown unit instead
    of failing."""
    value = value.strip()
    if value[:4].lower() == "unit":
        value = value[4:].strip()
    if value.isascii() and value.isdigit() and len(value) <= 6:
        return int(value)
    return None
