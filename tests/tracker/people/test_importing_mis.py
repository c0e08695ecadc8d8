"""MIS files as MIS systems write them: encodings, delimiters, legal and preferred names,
status columns with leavers, Excel's "?" for letters it could not save, non-ASCII emails."""

import contextlib
import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import import_token, make_learner
from tracker.models import Learner
from tracker.people.importing import apply_plan, build_plan, read_table

# The field case "MIS export with a leaver" (an enrolment status and a leaving date), as received.
CASE_TEXT = (
    "Adno,Candidate No,Legal Forename,Legal Surname,Email,Reg Group,Enrolment Status,"
    "Date of Leaving\n"
    "001002,1002,Oliver,Bennett,oliver.bennett@students.riverside.example.org,13HSC2,Leaver,"
    "20/11/2026\n"
    "001004,1004,Noah,Adeyemi,noah.adeyemi@students.riverside.example.org,13HSC2,Current,\n"
)


@pytest.fixture
def on_roll(cast):
    """Oliver and Noah of the field case, on roll in the cast's group."""
    people = {}
    for number, first, last in (("1002", "Oliver", "Bennett"), ("1004", "Noah", "Adeyemi")):
        learner = make_learner(cast.centre, cast.group, number, first, last)
        learner.email = f"{first}.{last}@students.riverside.example.org".lower()
        learner.save()
        learner.user.email = learner.email
        learner.user.save()
        people[first] = learner
    return people


def plan_of(content: bytes, cast, name="learners.csv", **options):
    return build_plan(read_table(content, name), cast.centre, cast.year, **options)


def case_bytes() -> bytes:
    return CASE_TEXT.encode()


def test_the_field_case_offers_the_leaver_and_lists_unused_columns(cast, on_roll):
    plan = plan_of(case_bytes(), cast)
    assert plan.ok, plan.errors
    assert [(leaving.candidate_number, leaving.left_on) for leaving in plan.leavers] == [
        ("1002", date(2026, 11, 20))
    ]
    assert "Adno" in plan.unused_columns
    assert any("Reg Group" in text and "pastoral" in text for text in plan.unused_columns)
    # Without confirmation nobody is marked; with it Oliver is, and cannot sign in.
    apply_plan(plan, cast.admin)
    assert Learner.objects.get(pk=on_roll["Oliver"].pk).left_on is None
    counts = apply_plan(plan_of(case_bytes(), cast, mark_leavers=True), cast.admin)
    assert counts["left"] == 1
    oliver = Learner.objects.select_related("user").get(pk=on_roll["Oliver"].pk)
    assert oliver.left_on == date(2026, 11, 20) and oliver.leaving_reason == "Leaver"
    assert not oliver.user.is_active
    assert Learner.objects.get(pk=on_roll["Noah"].pk).left_on is None
    # Importing again changes nothing.
    assert plan_of(case_bytes(), cast).leavers == []


def test_the_web_preview_needs_the_leavers_confirmed(cast, on_roll, client_for):
    client = client_for("admin")
    page = client.post(
        reverse("centre:import"), {"file": SimpleUploadedFile("mis.csv", case_bytes())}
    )
    html = page.content.decode()
    assert "the file says has left" in html and "Oliver Bennett (1002)" in html
    assert "Adno" in html
    client.post(
        reverse("centre:import_confirm"), {"mark_leavers": "on", "token": import_token(client)}
    )
    assert Learner.objects.get(pk=on_roll["Oliver"].pk).left_on == date(2026, 11, 20)


def test_the_command_marks_leavers_only_when_asked(cast, on_roll, tmp_path):
    path = tmp_path / "mis.csv"
    path.write_bytes(case_bytes())
    out = io.StringIO()
    call_command("import_learners", str(path), stdout=out)
    assert "not marked (--mark-leavers marks)" in out.getvalue()
    assert Learner.objects.get(pk=on_roll["Oliver"].pk).left_on is None
    call_command("import_learners", str(path), "--mark-leavers", stdout=out)
    assert Learner.objects.get(pk=on_roll["Oliver"].pk).left_on is not None


@pytest.mark.parametrize(
    ("status", "when", "message"),
    [
        ("Leaver", "", "needs the date they left"),
        ("Withdrawn", "31/02/2026", "is not a date"),
        ("Left", "01/01/2999", "still to come"),
        ("Expelled?", "01/01/2026", "not a status this import knows"),
    ],
)
def test_a_leaver_without_a_good_date_or_status_is_an_error(cast, on_roll, status, when, message):
    text = CASE_TEXT.replace("Leaver,20/11/2026", f"{status},{when}")
    plan = plan_of(text.encode(), cast)
    assert not plan.ok
    assert message in plan.errors[0].message and plan.errors[0].row == 2


def test_a_new_learner_who_already_left_is_not_added(cast):
    plan = plan_of(CASE_TEXT.replace("Noah", "Nadia").encode(), cast)
    assert [row.candidate_number for row in plan.not_added] == ["1002"]
    assert all(row.candidate_number != "1002" for row in plan.to_add)


SIMS = (
    "Candidate No,Legal Forename,Legal Surname,Preferred Forename,Preferred Surname,Email,"
    "Teaching Group\n"
    "0301,Aleksandra,Nowak-Smith,Ola,Smith,ola.smith@example.org,13A\n"
    "0302,Peter,Jones,Peter,Jones,peter.jones@example.org,13A\n"
)


def test_sims_legal_and_preferred_names(cast, client_for):
    plan = plan_of(SIMS.encode(), cast)
    assert plan.ok, plan.errors
    apply_plan(plan, cast.admin)
    ola = Learner.objects.get(candidate_number="0301")
    assert ola.full_name == "Ola Smith"
    assert ola.legal_full_name == "Aleksandra Nowak-Smith"
    peter = Learner.objects.get(candidate_number="0302")
    assert peter.legal_first_name == "" and peter.legal_full_name == "Peter Jones"
    assert plan_of(SIMS.encode(), cast).to_write == 0  # the same file again: nothing to do
    page = client_for("admin").get(reverse("learner", args=[ola.pk])).content.decode()
    assert "Ola Smith" in page and "Aleksandra Nowak-Smith" in page


def test_a_question_mark_in_a_name_is_a_warning_not_an_error(cast):
    text = SIMS.replace("Ola,Smith", "Zo?,Smith")
    plan = plan_of(text.encode("cp1252"), cast)
    assert plan.ok
    assert plan.warnings[0].row == 2 and "CSV UTF-8" in plan.warnings[0].message


@pytest.mark.parametrize("address", ["zoë.smith@school.org", "ŁUKASZ@school.org", "小明@x.org"])
def test_a_non_ascii_email_is_refused_by_row_and_column(cast, address, client_for):
    text = SIMS.replace("ola.smith@example.org", address)
    plan = plan_of(text.encode("utf-8"), cast)
    assert not plan.ok
    error = plan.errors[0]
    assert (error.row, error.column) == (2, "Email")
    assert "before the @" in error.message
    page = client_for("admin").post(
        reverse("centre:import"), {"file": SimpleUploadedFile("x.csv", text.encode())}
    )
    assert "before the @" in page.content.decode()
    assert not Learner.objects.filter(candidate_number="0302").exists()


def encodings(text: str) -> dict[str, bytes]:
    """The same table as Excel and MIS systems save it."""
    return {
        "utf-8": text.encode("utf-8"),
        "utf-8-sig": text.encode("utf-8-sig"),
        "cp1252": text.encode("cp1252"),
        "utf-16 tab": text.replace(",", "\t").encode("utf-16"),
        "semicolon": text.replace(",", ";").encode("utf-8-sig"),
        "crlf": text.replace("\n", "\r\n").encode("cp1252"),
    }


@pytest.mark.parametrize("kind", list(encodings("x")))
def test_each_encoding_and_delimiter_reads_the_same(cast, kind):
    text = SIMS.replace("Ola", "Zoë").replace("Nowak-Smith", "Brontë")
    rows = read_table(encodings(text)[kind], "learners.csv")
    assert rows == read_table(text.encode(), "learners.csv")
    assert rows[1][3] == "Zoë"


# Letters Windows-1252 can hold, so every encoding round-trips.
NAME = (
    st.text(
        alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzéëèöüçñåøÆŒšž' -ÀÉ")),
        min_size=1,
        max_size=20,
    )
    .map(lambda name: " ".join(name.split()))  # names as the importer keeps them: single spaces
    .filter(lambda name: name and name[0] not in "-'")
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=NAME, last=NAME, kind=st.sampled_from(list(encodings("x"))))
def test_generated_names_survive_every_encoding(cast, first, last, kind):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Candidate No", "Preferred Forename", "Legal Surname", "Email", "Group"])
    writer.writerow(["0401", first, last, "someone@example.org", "13A"])
    text = buffer.getvalue()
    if kind in ("utf-16 tab", "semicolon"):
        # The other separators are written by their own writer, quoting as Excel does.
        buffer = io.StringIO()
        delimiter = "\t" if kind == "utf-16 tab" else ";"
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
        writer.writerow(["Candidate No", "Preferred Forename", "Legal Surname", "Email", "Group"])
        writer.writerow(["0401", first, last, "someone@example.org", "13A"])
        content = buffer.getvalue().encode("utf-16" if kind == "utf-16 tab" else "utf-8-sig")
    else:
        content = encodings(text)[kind]
    if kind in ("cp1252", "crlf"):
        # Windows-1252 bytes that also happen to be valid UTF-8 ("ÆŒ" is the bytes of "ƌ")
        # cannot be told apart by any reader: UTF-8 is tried first, and the preview shows the
        # names for the admin to check. Such inputs say nothing about the importer.
        with contextlib.suppress(UnicodeDecodeError):
            assume(content.decode("utf-8") == content.decode("cp1252"))
    plan = plan_of(content, cast)
    assert plan.ok, plan.errors
    (row,) = plan.to_add
    assert (row.first_name, row.last_name) == (first, last)
    assert plan.warnings == []
