"""Data sheets: download, edit offline, import with a three-way comparison."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tracker.assessment.services import decision_for, record_decision
from tracker.models import Decision, DecisionChange, Status


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
