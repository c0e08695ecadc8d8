"""Importing learners from MIS exports: whole-file validation, all or nothing, idempotent."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from tests.conftest import import_token
from tracker.models import Enrolment, Learner, TargetChange, TeachingGroup
from tracker.people.importing import (
    ImportFileError,
    build_plan,
    match_headers,
    read_table,
    unused_columns,
)

GOOD = (
    "Candidate No,Forename,Legal Surname,Email,Teaching Group,Unit,Target Grade\n"
    "0101,Hannah,Baker,hannah.baker@example.org,13A,30,M\n"
    "0101,Hannah,Baker,hannah.baker@example.org,13A,6,P\n"
    "0102,Ibrahim,Diallo,ibrahim.diallo@example.org,13C,30,Distinction\n"
)


def upload(client, text: str | bytes, name: str = "learners.csv"):
    content = text.encode() if isinstance(text, str) else text
    return client.post(reverse("centre:import"), {"file": SimpleUploadedFile(name, content)})


def test_aliases_match_case_insensitively():
    columns, errors = match_headers(
        ["CANDIDATE NO.", "forename", "Legal Surname", "E-mail", "Teaching-Group"]
    )
    assert not errors
    # A legal surname stands in for the missing preferred one.
    assert {name: columns[name] for name in ("candidate_number", "first_name", "last_name")} == {
        "candidate_number": 0,
        "first_name": 1,
        "last_name": 2,
    }
    assert columns["legal_last_name"] == 2 and columns["email"] == 3 and columns["group"] == 4


@pytest.mark.parametrize(
    "header", ["Reg Group", "Registration group", "Form", "Form Group", "Tutor group", "REG"]
)
def test_a_pastoral_group_is_never_the_teaching_group(header):
    headers = ["Candidate No", "Forename", "Surname", "Email", header, "Adno"]
    columns, errors = match_headers(headers)
    assert not errors and "group" not in columns
    assert unused_columns(headers, columns) == [
        f"{header} (a pastoral group, not a teaching group)",
        "Adno",
    ]


def test_missing_column_is_named():
    _, errors = match_headers(["Candidate No", "Forename", "Surname", "Group"])
    assert [str(e) for e in errors] == [
        'Row 1, Email: column missing (a header such as "email", "e mail", "email address")'
    ]


def test_a_good_file_imports_and_a_second_import_changes_nothing(cast, client_for):
    client = client_for("admin")
    preview = upload(client, GOOD)
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.ok and len(plan.to_add) == 2 and plan.new_groups == ["13C"]
    done = client.post(reverse("centre:import_confirm"), {"token": import_token(client)})
    assert done.status_code == 302
    hannah = Learner.objects.get(candidate_number="0101")
    assert hannah.group == cast.group
    assert dict(hannah.enrolments.values_list("unit__number", "target_grade")) == {30: "M", 6: "P"}
    assert TeachingGroup.objects.get(name="13C").units.filter(number=30).exists()
    assert TargetChange.objects.filter(enrolment__learner=hannah, source="import").count() == 2
    again = upload(client, GOOD).context["plan"]
    assert (len(again.to_add), len(again.to_update), len(again.unchanged)) == (0, 0, 2)
    client.post(reverse("centre:import_confirm"), {"token": import_token(client)})
    assert TargetChange.objects.filter(enrolment__learner=hannah).count() == 2


def test_one_bad_row_changes_nothing_and_names_row_and_column(cast, client_for):
    client = client_for("admin")
    bad = GOOD + "12345,Zoe,Ng,zoe@example.org,13A,30,M\n"
    response = upload(client, bad)
    plan = response.context["plan"]
    assert [str(e) for e in plan.errors] == [
        "Row 5, Candidate number: '12345' is not a 4-digit candidate number"
    ]
    assert b"nothing has been imported" in response.content
    confirm = client.post(reverse("centre:import_confirm"), {"token": import_token(client)})
    assert confirm.status_code == 302
    assert not Learner.objects.filter(candidate_number__in=["0101", "0102"]).exists()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("0103,,Ng,zoe@example.org,13A,30,M", "Row 5, First name: empty"),
        (
            "0103,Zoe,Ng,not-an-email,13A,30,M",
            "Row 5, Email: 'not-an-email' is not an email address",
        ),
        (
            "0103,Zoe,Ng,zoe@example.org,13A,99,M",
            "Row 5, Unit: unknown unit '99' (the catalogue has units 6, 30)",
        ),
        (
            "0103,Zoe,Ng,zoe@example.org,13A,\u00b2,M",
            "Row 5, Unit: unknown unit '\u00b2' (the catalogue has units 6, 30)",
        ),
        (
            "0103,Zoe,Ng,zoe@example.org,13A," + "9" * 5000 + ",M",
            "Row 5, Unit: unknown unit '" + "9" * 5000 + "' (the catalogue has units 6, 30)",
        ),
        (
            "0103,Zoe,Ng,zoe@example.org,13A,30,A*",
            "Row 5, Target grade: 'A*' is not a target grade (use P, M or D)",
        ),
        (
            '0103,=HYPERLINK("x"),Ng,zoe@example.org,13A,30,M',
            "Row 5, First name: '=HYPERLINK(\"x\")' looks like a spreadsheet formula; remove it",
        ),
        (
            "0101,Hannah,Baker,hannah.baker@example.org,13A,30,M",
            "Row 5, Candidate number: duplicate of row 2 (candidate 0101)",
        ),
        (
            "0101,Hannah,Smith,hannah.baker@example.org,13A,30,M",
            "Row 5, Last name: candidate 0101 is also on row 2 with a different last name",
        ),
    ],
)
def test_each_kind_of_bad_row_is_reported(cast, line, expected):
    rows = read_table((GOOD + line + "\n").encode(), "x.csv")
    plan = build_plan(rows, cast.centre, cast.year)
    assert [str(e) for e in plan.errors] == [expected]


def test_a_changed_name_updates_in_place(cast):
    plan = build_plan(read_table(GOOD.encode(), "x.csv"), cast.centre, cast.year)
    from tracker.people.importing import apply_plan

    apply_plan(plan, cast.admin)
    pk = Learner.objects.get(candidate_number="0102").pk
    changed = GOOD.replace("Ibrahim,Diallo", "Ibrahim,Diallo-Smith")
    plan = build_plan(read_table(changed.encode(), "x.csv"), cast.centre, cast.year)
    assert [row.changes for row in plan.to_update] == [["Last name: Diallo → Diallo-Smith"]]
    apply_plan(plan, cast.admin)
    learner = Learner.objects.get(pk=pk)
    assert learner.last_name == "Diallo-Smith"
    assert learner.user.last_name == "Diallo-Smith"


def test_windows_1252_semicolons_and_bom_are_read(cast):
    text = GOOD.replace(",", ";").replace("Hannah", "Zoë")
    for content in (text.encode("cp1252"), b"\xef\xbb\xbf" + text.encode()):
        plan = build_plan(read_table(content, "x.csv"), cast.centre, cast.year)
        assert plan.ok
        assert plan.learners[0].first_name == "Zoë"


def test_tab_separated_with_leading_zeros_lost(cast):
    text = "Candidate Number\tFirst Name\tSurname\tEmail\tGroup\n42\tAmy\tLee\t\t13A\n"
    plan = build_plan(read_table(text.encode(), "x.txt"), cast.centre, cast.year)
    assert plan.ok
    assert plan.learners[0].candidate_number == "0042"


def test_xlsx_files_import(cast):
    book = Workbook()
    sheet = book.active
    sheet.append(["Candidate No", "Forename", "Surname", "Email", "Class", "Unit", "Target"])
    sheet.append([101, "Hannah", "Baker", "hb@example.org", "13A", 30, "M"])
    buffer = io.BytesIO()
    book.save(buffer)
    plan = build_plan(read_table(buffer.getvalue(), "x.xlsx"), cast.centre, cast.year)
    assert plan.ok
    assert (plan.learners[0].candidate_number, plan.learners[0].targets) == ("0101", {30: "M"})


def test_command_reports_errors_with_a_non_zero_exit(cast, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(GOOD + "0103,Zoe,Ng,zoe@example.org,13A,30,A*\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_learners", str(path))
    assert "Row 5, Target grade: 'A*' is not a target grade (use P, M or D)" in str(caught.value)
    assert not Learner.objects.filter(candidate_number="0101").exists()


def test_command_dry_run_writes_nothing_then_imports(cast, tmp_path, capsys):
    path = tmp_path / "good.csv"
    path.write_text(GOOD)
    call_command("import_learners", str(path), "--dry-run")
    assert "2 to add" in capsys.readouterr().out
    assert not Learner.objects.filter(candidate_number="0101").exists()
    call_command("import_learners", str(path))
    assert Enrolment.objects.filter(learner__candidate_number="0101").count() == 2


def test_an_excel_file_named_csv_gets_a_clear_error(cast, client_for):
    response = upload(client_for("admin"), b"PK\x03\x04rest", "learners.csv")
    assert "give it the .xlsx extension" in response.content.decode()


def test_a_quote_never_closed_is_a_clear_error_not_a_server_error(cast, client_for):
    """The rest of the file after a stray quote is one cell, over the CSV reader's limit."""
    text = 'Candidate No,Forename\n0101,"Hannah\n' + "0102,Ibrahim\n" * 12000
    with pytest.raises(ImportFileError, match="quote mark"):
        read_table(text.encode(), "learners.csv")
    response = upload(client_for("admin"), text)
    assert response.status_code == 200
    assert "a quote mark (&quot;) is never closed" in response.content.decode()


def waiting_files() -> list[str]:
    from django.core.files.storage import default_storage

    try:
        return sorted(default_storage.listdir("imports")[1])
    except FileNotFoundError:
        return []


def test_a_cancelled_preview_deletes_the_uploaded_file(cast, client_for):
    client = client_for("admin")
    preview = upload(client, GOOD)
    token = preview.context["token"]
    assert waiting_files() == [f"{token}.csv"]
    assert reverse("centre:import_cancel") in preview.content.decode()
    cancelled = client.post(reverse("centre:import_cancel"), {"token": token})
    assert cancelled.url == reverse("centre:import")
    assert waiting_files() == []
    client.post(reverse("centre:import_confirm"), {"token": import_token(client)})
    assert not Learner.objects.filter(candidate_number="0101").exists()


def test_a_second_upload_deletes_the_first_ones_file(cast, client_for):
    client = client_for("admin")
    first = upload(client, GOOD).context["token"]
    second = upload(client, GOOD).context["token"]
    assert first != second
    assert waiting_files() == [f"{second}.csv"]
    # A cancel from the first preview's page (another tab) leaves the newer upload alone.
    client.post(reverse("centre:import_cancel"), {"token": first})
    assert waiting_files() == [f"{second}.csv"]
    assert (
        client.post(reverse("centre:import_confirm"), {"token": import_token(client)}).status_code
        == 302
    )
    assert waiting_files() == []
    assert Learner.objects.filter(candidate_number="0101").exists()


def test_a_garbled_cancel_is_a_bad_request_and_deletes_nothing(cast, client_for):
    client = client_for("admin")
    upload(client, GOOD)
    response = client.post(reverse("centre:import_cancel"), {"token": "../../settings.py"})
    assert response.status_code == 400
    assert len(waiting_files()) == 1


def test_confirming_an_older_preview_imports_nothing(cast, client_for):
    """Two tabs: a preview confirmed after another file was previewed must not import the
    other file (the confirmation carries its preview's token)."""
    client = client_for("admin")
    upload(client, GOOD)
    first = import_token(client)
    other = (
        "Candidate No,Forename,Surname,Email,Teaching group,Units\n0777,Tab,Two,tab@x.org,13A,30\n"
    )
    upload(client, other, name="tab2.csv")
    response = client.post(reverse("centre:import_confirm"), {"token": first}, follow=True)
    assert (
        "This preview is out of date: tab2.csv was uploaded after it" in response.content.decode()
    )
    assert not Learner.objects.filter(candidate_number="0777").exists()
    # The newer preview can still be confirmed from its own page.
    client.post(reverse("centre:import_confirm"), {"token": import_token(client)})
    assert Learner.objects.filter(candidate_number="0777").exists()


def test_a_teaching_group_in_another_letter_case_is_the_same_group(cast, client_for):
    client = client_for("admin")
    lower = cast.group.name.lower()
    text = (
        "Candidate No,Forename,Surname,Email,Teaching group,Units\n"
        f"0778,Cara,New,cara@x.org,{lower},30\n"
    )
    preview = upload(client, text)
    assert preview.context["plan"].new_groups == []
    client.post(reverse("centre:import_confirm"), {"token": import_token(client)})
    assert Learner.objects.get(candidate_number="0778").group == cast.group
    assert TeachingGroup.objects.filter(name__iexact=lower).count() == 1
