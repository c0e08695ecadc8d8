"""No stored value can break a workbook: names and feedback with control characters, sheet
names built from names with the characters Excel refuses, text that looks like a formula.

The values are written straight to the database, as an older version, an MIS or Django admin
may have left them, so these tests hold whatever the forms let in.
"""

import io
import zipfile

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tracker.assessment.services import decision_for, record_decision
from tracker.lib.spreadsheets import TITLE_LENGTH, sheet_title
from tracker.models import ExportJob, Learner, User
from tracker.reports.tasks import build_centre_export

CONTROLS = "".join(chr(code) for code in range(1, 32))
HOSTILE_NAMES = [
    ("Siobhán", "Gallagher\x1eMurphy"),  # Word's non-breaking hyphen via an MIS
    ("Zoë", "O'Brien/Smith"),  # a character Excel refuses in a sheet name
    ("J?rgen", "M?ller [sic]: *x*"),  # a Windows-1252 CSV's replacement characters
    ('=HYPERLINK("http://127.0.0.1","x")', "-Dash"),
    (f"Ctrl{CONTROLS}", "History"),  # a name Excel reserves for a sheet
]
HOSTILE_FEEDBACK = ["One\x0btwo", f"all {CONTROLS} of them", '=HYPERLINK("http://127.0.0.1")']


def _hostile(cast, first: str, last: str, feedback: str) -> None:
    Learner.objects.filter(pk=cast.learner.pk).update(first_name=first, last_name=last)
    User.objects.filter(pk=cast.learner.user_id).update(first_name=first, last_name=last)
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code="P1"))
    record_decision(decision, cast.teacher, "achieved", "ok", decision.revision)
    type(decision).objects.filter(pk=decision.pk).update(feedback=feedback)


def _every_text_cell(book) -> list[str]:
    return [
        value
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]


def _workbook(response) -> Workbook:
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return load_workbook(io.BytesIO(content))


@pytest.mark.parametrize("first, last", HOSTILE_NAMES)
@pytest.mark.parametrize("feedback", HOSTILE_FEEDBACK)
def test_every_workbook_opens_whatever_the_names_and_feedback_hold(
    cast, client_for, first, last, feedback
):
    _hostile(cast, first, last, feedback)
    teacher, admin = client_for("teacher"), client_for("admin")
    group, unit = cast.group.pk, cast.unit30.pk
    books = [
        _workbook(teacher.get(reverse("export_grades") + f"?group={group}")),
        _workbook(teacher.get(reverse("datasheet", args=[group, unit]))),
        _workbook(
            teacher.get(
                reverse("urs", args=[cast.learner.pk, cast.enrolment.pk]), {"format": "xlsx"}
            )
        ),
        _workbook(teacher.get(reverse("group_urs", args=[group, unit]), {"format": "xlsx"})),
    ]
    job = ExportJob.objects.create(centre=cast.centre, requested_by=cast.admin)
    build_centre_export.call(job.pk)
    job.refresh_from_db()
    assert (job.state, job.progress) == ("done", 100)
    books.append(_workbook(admin.get(reverse("export_download", args=[job.pk]))))
    for book in books:
        for text in _every_text_cell(book):
            assert not ILLEGAL_CHARACTERS_RE.search(text)
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    archive = admin.get(reverse("moderation_zip", args=[group, unit]))
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))) as members:
        load_workbook(io.BytesIO(members.read("unit-recording-sheets.xlsx")))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=60), min_size=1, max_size=8))
def test_sheet_titles_are_ones_excel_accepts_and_unique(names):
    taken: set[str] = set()
    titles = [sheet_title(name, taken) for name in names]
    assert len({title.lower() for title in titles}) == len(titles)
    book = Workbook(write_only=True)
    for title in titles:
        assert 0 < len(title) <= TITLE_LENGTH
        assert not set(title) & set("\\/?*[]:")
        assert not title.startswith("'") and not title.endswith("'")
        assert title.lower() != "history"
        book.create_sheet(title)
    buffer = io.BytesIO()
    book.save(buffer)
    assert load_workbook(io.BytesIO(buffer.getvalue())).sheetnames == titles


def test_feedback_pasted_from_powerpoint_is_cleaned_on_save(cast, client_for):
    """Case 07b: a vertical tab (PowerPoint's soft line break) in feedback becomes a line
    break when the decision is saved; the workbooks open."""
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code="P1"))
    client_for("teacher").post(
        reverse("decide", args=[cast.learner.pk, cast.enrolment.pk]),
        {
            "item": decision.criterion.key,
            "revision": decision.revision,
            "status": "achieved",
            "feedback": "Good start.\x0bNow add a source.\x07",
        },
    )
    decision.refresh_from_db()
    assert decision.feedback == "Good start.\nNow add a source."
    _workbook(client_for("teacher").get(reverse("datasheet", args=[cast.group.pk, cast.unit30.pk])))


def test_names_typed_into_staff_forms_are_cleaned(cast, client_for):
    client_for("admin").post(
        reverse("centre:staff_edit", args=[cast.teacher.pk]),
        {
            "username": cast.teacher.username,
            "first_name": "Ann\x1eMarie",
            "last_name": "  Smith\tJones ",
            "email": cast.teacher.email,
            "is_teacher": "on",
            "is_active": "on",
        },
    )
    cast.teacher.refresh_from_db()
    assert (cast.teacher.first_name, cast.teacher.last_name) == ("Ann-Marie", "Smith Jones")
