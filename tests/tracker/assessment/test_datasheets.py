"""Data sheets: download, edit offline, import with a three-way comparison."""

import io
import string

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tests.conftest import make_learner
from tracker.assessment.datasheets import apply_plan, build_datasheet, plan_import
from tracker.assessment.services import decision_for, record_decision
from tracker.models import Decision, DecisionChange, Enrolment, Status


def download(client, cast):
    response = client.get(reverse("datasheet", args=[cast.group.pk, cast.unit30.pk]))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def column_of(book, code: str) -> int:
    header = [c.value for c in book["Data sheet"][5]]
    return header.index(f"{code} status") + 1


def edit(book, code: str, status: str, feedback: str = "") -> bytes:
    sheet = book["Data sheet"]
    column = column_of(book, code)
    sheet.cell(6, column, status)
    sheet.cell(6, column + 1, feedback)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, cast, content: bytes):
    url = reverse("datasheet_import", args=[cast.group.pk, cast.unit30.pk])
    return client.post(url, {"file": SimpleUploadedFile("sheet.xlsx", content)})


def confirm(client, cast, **choices):
    url = reverse("datasheet_import", args=[cast.group.pk, cast.unit30.pk])
    data = {"confirm": "1", **{f"conflict-{key}": value for key, value in choices.items()}}
    return client.post(url, data)


def test_download_has_todays_statuses_and_a_hidden_record(cast, client_for):
    book = download(client_for("teacher"), cast)
    sheet = book["Data sheet"]
    assert sheet["A6"].value == "0001" and sheet["B6"].value == "Lara Learner"
    assert sheet.cell(6, column_of(book, "P1")).value == "Submitted"
    assert book["Downloaded"].sheet_state == "hidden"


def test_a_sheet_change_is_applied_with_history_and_a_second_import_changes_nothing(
    cast, client_for
):
    teacher = client_for("teacher")
    content = edit(download(teacher, cast), "P1", "Achieved", "Good definition.")
    preview = upload(teacher, cast, content)
    assert [c.criterion.code for c in preview.context["plan"].to_apply] == ["P1"]
    assert confirm(teacher, cast).status_code == 302
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    assert (decision.status, decision.feedback) == (Status.ACHIEVED, "Good definition.")
    assert decision.changes.first().note == "via data sheet"
    again = upload(teacher, cast, content).context["plan"]
    assert again.changes == [] and again.errors == []


def test_a_change_made_on_the_site_since_the_download_is_kept(cast, client_for):
    teacher = client_for("teacher")
    book = download(teacher, cast)
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code="P1"))
    record_decision(decision, cast.teacher, "achieved", "Marked online.", decision.revision)
    content = edit(book, "P2", "Not yet achieved", "Add an example.")
    plan = upload(teacher, cast, content).context["plan"]
    assert [c.criterion.code for c in plan.site_only] == ["P1"]
    assert [c.criterion.code for c in plan.to_apply] == ["P2"]
    confirm(teacher, cast)
    decision.refresh_from_db()
    assert decision.feedback == "Marked online."


def test_a_conflict_waits_for_the_teachers_choice(cast, client_for):
    teacher = client_for("teacher")
    book = download(teacher, cast)
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code="P1"))
    record_decision(decision, cast.teacher, "not_yet", "Online: needs a source.", decision.revision)
    plan = upload(teacher, cast, edit(book, "P1", "Achieved", "Offline: fine.")).context["plan"]
    (conflict,) = plan.conflicts
    response = confirm(teacher, cast)
    assert "Choose the sheet or the site for 1 conflict(s)." in response.content.decode()
    decision.refresh_from_db()
    assert decision.status == Status.NOT_YET
    confirm(teacher, cast, **{conflict.key: "sheet"})
    decision.refresh_from_db()
    assert (decision.status, decision.feedback) == (Status.ACHIEVED, "Offline: fine.")


def test_invalid_values_are_named_by_sheet_and_cell_and_nothing_is_applied(cast, client_for):
    teacher = client_for("teacher")
    book = download(teacher, cast)
    content = edit(book, "P2", "Done!")
    plan = upload(teacher, cast, content).context["plan"]
    column = column_of(book, "P2")
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[column - 1]
    assert plan.errors == [
        f"Data sheet!{letter}6: 'Done!' is not a status (use Achieved or Not yet achieved)"
    ]
    before = DecisionChange.objects.count()
    confirm(teacher, cast)
    assert DecisionChange.objects.count() == before


def test_a_sheet_from_another_group_is_refused(cast, client_for):
    content = download(client_for("teacher"), cast)
    buffer = io.BytesIO()
    content["Downloaded"]["B1"] = cast.other_group.pk
    content.save(buffer)
    response = upload(client_for("teacher"), cast, buffer.getvalue())
    assert "This data sheet belongs to another group or unit." in response.content.decode()


# --- Rows are found by candidate number, not by position -------------------------------------

PEOPLE = [("0003", "Bob", "Adams"), ("0004", "Keira", "Doyle"), ("0005", "Amy", "Young")]


def rows_of(sheet) -> list[list]:
    return [
        [sheet.cell(row, column).value for column in range(1, sheet.max_column + 1)]
        for row in range(6, sheet.max_row + 1)
    ]


def put_rows(sheet, rows: list[list], clear_to: int) -> None:
    """Write the learner rows from row 6 as Excel does after a sort (values move, as text)."""
    for offset in range(clear_to):
        for column in range(1, sheet.max_column + 1):
            sheet.cell(6 + offset, column).value = None
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            target = sheet.cell(6 + offset, column)
            target.value = value
            if isinstance(value, str):
                target.data_type = "s"


def saved(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_sheet_sorted_by_learner_name_marks_the_right_learner(cast, client_for):
    """The field case: sort the rows by the Learner column, then mark Keira Doyle's P1."""
    for number, first, last in PEOPLE:
        make_learner(cast.centre, cast.group, number, first, last)
    teacher = client_for("teacher")
    book = download(teacher, cast)
    sheet = book["Data sheet"]
    assert [sheet.cell(5, c).value for c in (1, 2, 3, 4)] == [
        "Candidate number",
        "Learner",
        "P1 status",
        "P1 feedback",
    ]
    rows = rows_of(sheet)
    keira_at = [row[1] for row in rows].index("Keira Doyle")
    rows.sort(key=lambda row: row[1].lower())
    assert [row[1] for row in rows].index("Keira Doyle") != keira_at  # the row moved
    put_rows(sheet, rows, len(rows))
    for row in range(6, sheet.max_row + 1):
        if sheet.cell(row, 2).value == "Keira Doyle":
            sheet.cell(row, 3).value = "Achieved"
            sheet.cell(row, 4).value = "P1: leaflet on person-centred values seen."
    before = {d.pk: (d.status, d.feedback) for d in Decision.objects.all()}
    plan = upload(teacher, cast, saved(book)).context["plan"]
    assert plan.errors == []
    assert [(c.enrolment.learner.full_name, c.criterion.code) for c in plan.to_apply] == [
        ("Keira Doyle", "P1")
    ]
    assert confirm(teacher, cast).status_code == 302
    keira = Decision.objects.get(enrolment__learner__candidate_number="0004", criterion__code="P1")
    assert (keira.status, keira.feedback) == (
        Status.ACHIEVED,
        "P1: leaflet on person-centred values seen.",
    )
    after = {d.pk: (d.status, d.feedback) for d in Decision.objects.exclude(pk=keira.pk)}
    assert after == {pk: value for pk, value in before.items() if pk != keira.pk}
    lara = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    assert lara.status == Status.SUBMITTED


def test_the_sheet_keeps_a_candidate_number_column_and_the_hidden_record_is_keyed_by_it(
    cast, client_for
):
    book = download(client_for("teacher"), cast)
    hidden = book["Downloaded"]
    assert [c.value for c in hidden[2]][:3] == ["candidate number", "learner", "criterion"]
    assert {hidden.cell(row, 1).value for row in range(3, hidden.max_row + 1)} == {"0001"}
    assert hidden["B3"].value == "Lara Learner" and hidden["C3"].value == "P1"


def bad_rows(cast, client_for, change) -> list[str]:
    make_learner(cast.centre, cast.group, "0004", "Keira", "Doyle")
    teacher = client_for("teacher")
    book = download(teacher, cast)
    sheet = book["Data sheet"]
    sheet.cell(6, 3).value = "Achieved"  # a valid change that must not be applied
    change(sheet)
    before = DecisionChange.objects.count()
    plan = upload(teacher, cast, saved(book)).context["plan"]
    confirm(teacher, cast)
    assert DecisionChange.objects.count() == before
    return plan.errors


def test_an_unknown_candidate_number_is_an_error_naming_the_row(cast, client_for):
    def change(sheet):
        sheet["A7"].value = "0999"

    (error,) = bad_rows(cast, client_for, change)
    assert error.startswith("Data sheet!A7: candidate 0999 was not in this data sheet")


def test_a_duplicated_learner_is_an_error_naming_the_row(cast, client_for):
    def change(sheet):
        for column in range(1, sheet.max_column + 1):
            sheet.cell(8, column).value = sheet.cell(6, column).value

    (error,) = bad_rows(cast, client_for, change)
    assert error.startswith("Data sheet!A8: candidate 0004 is also on row 6")  # Keira Doyle


def test_a_name_that_does_not_match_the_candidate_number_is_an_error(cast, client_for):
    def change(sheet):  # the names were sorted on their own, without their rows
        sheet["B6"].value, sheet["B7"].value = sheet["B7"].value, sheet["B6"].value

    errors = bad_rows(cast, client_for, change)
    assert [error.split(":")[0] for error in errors] == ["Data sheet!B6", "Data sheet!B7"]
    assert "is not the name of candidate" in errors[0]


def test_a_row_without_a_candidate_number_is_an_error(cast, client_for):
    def change(sheet):
        sheet["A7"].value = None

    (error,) = bad_rows(cast, client_for, change)
    assert error.startswith("Data sheet!A7: the row has no candidate number")


def test_a_candidate_number_excel_turned_into_a_number_still_matches(cast, client_for):
    teacher = client_for("teacher")
    book = download(teacher, cast)
    book["Data sheet"]["A6"].value = 1  # 0001 retyped: Excel drops the zeros
    plan = upload(teacher, cast, edit(book, "P1", "Achieved", "Fine.")).context["plan"]
    assert plan.errors == [] and [c.criterion.code for c in plan.to_apply] == ["P1"]


FEEDBACK = st.sampled_from(
    ["", "Good.", "- needs a conclusion", "+ cite sources", "@ the end", "One\nTwo"]
) | st.text(alphabet=string.ascii_letters + " .,;'", max_size=12)
EDIT = st.tuples(st.sampled_from([None, "Achieved", "Not yet achieved"]), st.none() | FEEDBACK)
LABEL_TO_STATUS = {"Achieved": Status.ACHIEVED, "Not yet achieved": Status.NOT_YET}


@pytest.fixture
def five(cast):
    """The group with five learners on unit 30 and some decisions already made."""
    for number, first, last in [*PEOPLE, ("0006", "Cara", "Moss")]:
        make_learner(cast.centre, cast.group, number, first, last)
    enrolments = list(
        Enrolment.objects.filter(learner__group=cast.group, unit=cast.unit30).order_by("pk")
    )
    codes = list(cast.unit30.criteria.order_by("order").values_list("code", flat=True))[:4]
    for index, enrolment in enumerate(enrolments):
        for code, status, feedback in [
            ("P2", "achieved", "Seen."),
            ("P3", "not_yet", "- needs a conclusion"),
        ][: index % 3]:
            decision = decision_for(enrolment, cast.unit30.criteria.get(code=code))
            record_decision(decision, cast.teacher, status, feedback, decision.revision)
    return enrolments, codes


def state(cast) -> dict[tuple[str, str], tuple[str, str]]:
    """Every unit 30 criterion decision of the group, by candidate number and code."""
    enrolments = Enrolment.objects.filter(learner__group=cast.group, unit=cast.unit30)
    found = {
        (d.enrolment.learner.candidate_number, d.criterion.code): (d.status, d.feedback)
        for d in Decision.objects.filter(
            enrolment__in=enrolments, criterion__isnull=False
        ).select_related("enrolment__learner", "criterion")
    }
    return {
        (enrolment.learner.candidate_number, criterion.code): found.get(
            (enrolment.learner.candidate_number, criterion.code), (Status.NOT_STARTED, "")
        )
        for enrolment in enrolments.select_related("learner")
        for criterion in cast.unit30.criteria.all()
    }


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_sort_filter_and_edits_apply_exactly_the_edits(cast, five, data):
    enrolments, codes = five
    numbers = sorted(e.learner.candidate_number for e in enrolments)
    order = data.draw(st.permutations(numbers), label="order")
    kept = data.draw(st.lists(st.sampled_from(numbers), unique=True), label="removed")
    kept = [number for number in order if number not in kept]
    blank_at = data.draw(st.none() | st.integers(0, len(kept)), label="blank row at")
    edits = data.draw(
        st.dictionaries(st.tuples(st.sampled_from(kept or ["-"]), st.sampled_from(codes)), EDIT)
        if kept
        else st.just({}),
        label="edits",
    )
    with transaction.atomic():
        before = state(cast)
        book = load_workbook(io.BytesIO(build_datasheet(cast.group, cast.unit30, cast.teacher)))
        sheet = book["Data sheet"]
        header = [c.value for c in sheet[5]]
        rows = {row[0]: row for row in rows_of(sheet)}
        expected = dict(before)
        for (number, code), (label, feedback) in edits.items():
            status, old_feedback = before[(number, code)]
            if label is None:
                label = "Achieved" if status not in LABEL_TO_STATUS.values() else None
            column = header.index(f"{code} status")
            if label is not None:
                rows[number][column] = label
                status = LABEL_TO_STATUS[label]
            if feedback is not None:
                rows[number][column + 1] = feedback
                old_feedback = feedback.strip()
            expected[(number, code)] = (status, old_feedback)
        new_rows = [rows[number] for number in kept]
        if blank_at is not None:
            new_rows.insert(blank_at, [None] * len(header))
        put_rows(sheet, new_rows, len(rows))
        plan = plan_import(saved(book), cast.group, cast.unit30)
        assert plan.errors == [] and plan.conflicts == [] and plan.site_only == []
        apply_plan(plan, cast.teacher, {})
        assert state(cast) == expected
        transaction.set_rollback(True)


# --- Formulas: user text is always text; only a formula the teacher typed is refused ----------


def all_cells(book):
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def test_site_text_that_looks_like_a_formula_is_text_in_every_cell(cast, client_for):
    cast.group.name = '=HYPERLINK("http://x","group")'
    cast.group.save()
    cast.learner.first_name = "=1+1"
    cast.learner.save()
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code="P2"))
    record_decision(decision, cast.teacher, "achieved", '=HYPERLINK("http://x","y")', 0)
    book = download(client_for("teacher"), cast)
    formulas = [c.coordinate for c in all_cells(book) if c.data_type == "f"]
    assert formulas == []
    texts = {c.value for c in all_cells(book)}
    assert '=HYPERLINK("http://x","y")' in texts and "=1+1 Learner" in texts


def test_untouched_text_starting_with_a_dash_does_not_block_an_import(cast, client_for):
    teacher = client_for("teacher")
    for code, feedback in [("P2", "- needs a conclusion"), ("P3", '=HYPERLINK("http://x","y")')]:
        decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code=code))
        record_decision(decision, cast.teacher, "not_yet", feedback, decision.revision)
    book = download(teacher, cast)
    plan = upload(teacher, cast, edit(book, "P1", "Achieved", "+ good use of sources")).context[
        "plan"
    ]
    assert plan.errors == []
    assert [c.sheet for c in plan.to_apply] == [(Status.ACHIEVED, "+ good use of sources")]
    confirm(teacher, cast)
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    assert decision.feedback == "+ good use of sources"


def test_a_formula_the_teacher_typed_is_refused_naming_the_cell(cast, client_for):
    teacher = client_for("teacher")
    book = download(teacher, cast)
    column = column_of(book, "P1")
    content = edit(book, "P1", "Achieved", '=HYPERLINK("http://evil","click")')
    plan = upload(teacher, cast, content).context["plan"]
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[column]
    assert len(plan.errors) == 1
    assert plan.errors[0].startswith(f"Data sheet!{letter}6: the cell holds a formula")


# --- Control characters -----------------------------------------------------------------------

CONTROLS = "".join(chr(code) for code in range(1, 32))  # NUL cannot be stored in a database


def test_names_and_feedback_with_control_characters_download_and_reimport_unchanged(
    cast, client_for
):
    cast.learner.first_name = f"La{CONTROLS}ra"
    cast.learner.save()
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code="P2"))
    record_decision(decision, cast.teacher, "not_yet", f"Line one\x0bline two {CONTROLS} end", 0)
    teacher = client_for("teacher")
    book = download(teacher, cast)
    sheet = book["Data sheet"]
    assert " ".join(sheet["B6"].value.split()) == "La -ra Learner"  # U+001E: a hyphen
    feedback = sheet.cell(6, column_of(book, "P2") + 1).value
    assert feedback.startswith("Line one\nline two")
    assert not ILLEGAL_CHARACTERS_RE.search(feedback)
    untouched = upload(teacher, cast, saved(book)).context["plan"]
    assert untouched.errors == [] and untouched.changes == []
    plan = upload(teacher, cast, edit(book, "P1", "Achieved", "Fine.")).context["plan"]
    assert plan.errors == [] and [c.criterion.code for c in plan.to_apply] == ["P1"]
    confirm(teacher, cast)
    decision.refresh_from_db()
    assert decision.feedback == f"Line one\x0bline two {CONTROLS} end".strip()


def test_a_sheet_downloaded_before_the_record_held_candidate_numbers_still_imports(
    cast, client_for
):
    """The hidden record used to key decisions by enrolment; such sheets are still in use."""
    make_learner(cast.centre, cast.group, "0004", "Keira", "Doyle")
    teacher = client_for("teacher")
    book = download(teacher, cast)
    hidden = book["Downloaded"]
    enrolments = {
        e.learner.candidate_number: e.pk
        for e in Enrolment.objects.filter(learner__group=cast.group, unit=cast.unit30)
    }
    criteria = dict(cast.unit30.criteria.values_list("code", "pk"))
    rows = [[c.value for c in row] for row in hidden.iter_rows(min_row=3, max_col=6)]
    hidden.delete_rows(2, hidden.max_row)
    hidden.append(["enrolment", "criterion", "revision", "status", "feedback"])
    for number, _name, code, revision, status, feedback in rows:
        hidden.append([enrolments[number], criteria[code], revision, status, feedback])
    sheet = book["Data sheet"]
    assert sheet["B6"].value == "Keira Doyle"
    put_rows(sheet, sorted(rows_of(sheet), key=lambda row: row[1], reverse=True), 2)
    assert sheet["B6"].value == "Lara Learner"
    sheet["C6"].value = "Achieved"  # Lara's P1, moved up to row 6
    plan = upload(teacher, cast, saved(book)).context["plan"]
    assert plan.errors == []
    assert [(c.enrolment, c.criterion.code) for c in plan.to_apply] == [(cast.enrolment, "P1")]


@pytest.mark.parametrize("declared", [True, False])
def test_a_huge_sheet_is_refused_before_it_is_loaded(cast, monkeypatch, declared):
    """A million-row workbook costs a minute and gigabytes to load in full: the bounds are
    checked first, streaming (the limit is lowered here to keep the test small)."""
    from openpyxl import Workbook

    from tracker.assessment import datasheets

    monkeypatch.setattr(datasheets, "MAX_SHEET_ROWS", 40)
    book = Workbook(write_only=not declared)
    sheet = book.create_sheet(datasheets.SHEET)
    book.create_sheet(datasheets.HIDDEN)
    for number in range(60):
        sheet.append([f"{number:04d}", "Someone", "Achieved", ""])
    if declared:
        del book["Sheet"]
    buffer = io.BytesIO()
    book.save(buffer)
    loaded = []
    monkeypatch.setattr(datasheets, "load_workbook", _spy(datasheets.load_workbook, loaded))
    with pytest.raises(datasheets.DataSheetError, match="more than 45 rows"):
        datasheets.plan_import(buffer.getvalue(), cast.group, cast.unit30)
    assert loaded == [True]  # only the streaming read-only pass ran


def _spy(load, calls):
    def spy(*args, **kwargs):
        calls.append(kwargs.get("read_only", False))
        return load(*args, **kwargs)

    return spy


def test_a_file_too_large_to_be_a_data_sheet_is_refused_unread(cast, monkeypatch):
    from tracker.assessment import datasheets

    monkeypatch.setattr(datasheets, "MAX_FILE_BYTES", 1000)
    with pytest.raises(datasheets.DataSheetError, match="far larger than a data sheet"):
        datasheets.plan_import(b"PK" + b"\0" * 2000, cast.group, cast.unit30)


def waiting_sheets() -> list[str]:
    from django.core.files.storage import default_storage

    try:
        return sorted(default_storage.listdir("datasheets")[1])
    except FileNotFoundError:
        return []


def test_a_sheet_refused_with_errors_is_not_kept(cast, client_for):
    teacher = client_for("teacher")
    content = edit(download(teacher, cast), "P2", "Done!")
    response = upload(teacher, cast, content)
    assert response.context["plan"].errors
    assert waiting_sheets() == []
    assert "datasheet_import" not in teacher.session


def test_a_cancelled_preview_deletes_the_sheet(cast, client_for):
    teacher = client_for("teacher")
    preview = upload(teacher, cast, edit(download(teacher, cast), "P1", "Achieved"))
    token = preview.context["token"]
    assert waiting_sheets() == [f"{token}.xlsx"]
    cancel_url = reverse("datasheet_cancel", args=[cast.group.pk, cast.unit30.pk])
    assert cancel_url in preview.content.decode()
    response = teacher.post(cancel_url, {"token": token})
    assert response.url == reverse("grid", args=[cast.group.pk, cast.unit30.pk])
    assert waiting_sheets() == []
    before = DecisionChange.objects.count()
    confirm(teacher, cast)
    assert DecisionChange.objects.count() == before


def test_a_second_upload_deletes_the_first_sheet(cast, client_for):
    teacher = client_for("teacher")
    content = edit(download(teacher, cast), "P1", "Achieved")
    first = upload(teacher, cast, content).context["token"]
    second = upload(teacher, cast, content).context["token"]
    assert waiting_sheets() == [f"{second}.xlsx"]
    # A cancel from the first preview's page leaves the newer upload alone.
    cancel_url = reverse("datasheet_cancel", args=[cast.group.pk, cast.unit30.pk])
    teacher.post(cancel_url, {"token": first})
    assert waiting_sheets() == [f"{second}.xlsx"]
    # A refused sheet replaces it too: nothing of either is left.
    upload(teacher, cast, edit(download(teacher, cast), "P2", "Done!"))
    assert waiting_sheets() == []


def test_a_leaver_leaves_the_data_sheet_and_an_edit_to_their_row_is_ignored(cast, client_for):
    """A learner who left is not on a new data sheet; one who leaves after the download has
    their row ignored on import, never written to."""
    from datetime import date

    from tracker.people.leavers import mark_left

    teacher = client_for("teacher")
    book = download(teacher, cast)  # the cast's learner is on row 6
    mark_left(cast.learner, date(2026, 11, 1), "Moved school")
    before = DecisionChange.objects.count()
    upload(teacher, cast, edit(book, "P2", "Achieved", "after leaving"))
    confirm(teacher, cast)
    assert DecisionChange.objects.count() == before
    names = [row[1] for row in download(teacher, cast)["Data sheet"].iter_rows(6, values_only=True)]
    assert cast.learner.full_name not in names


def test_the_preview_names_statuses_in_words(cast, client_for):
    teacher = client_for("teacher")
    preview = upload(teacher, cast, edit(download(teacher, cast), "P2", "Achieved"))
    html = preview.content.decode()
    assert "Not started → <strong>Achieved</strong>" in html
    assert "not_started" not in html


def test_the_preview_says_nothing_is_applied_until_the_teacher_applies_it(cast, client_for):
    teacher = client_for("teacher")
    preview = upload(teacher, cast, edit(download(teacher, cast), "P2", "Not yet achieved"))
    html = preview.content.decode()
    assert "Nothing has changed yet" in html
    assert "Changed in the sheet, to be applied: 1" in html and "applied (" not in html
    assert "not_yet" not in html.replace('value="not_yet"', "")
    assert Decision.objects.filter(criterion__code="P2", status=Status.NOT_YET).count() == 0
