"""The preview and the import agree: email clashes, pastoral groups, cleaning, huge files."""

import io
import tempfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tests.conftest import import_token
from tests.tracker.people.test_importing import upload
from tracker.models import Learner, User
from tracker.people import importing
from tracker.people.importing import ImportFileError, apply_plan, build_plan, read_table

CASES = Path("/work/shared/cases")
HEADER = "Candidate Number,First Name,Last Name,Email,Teaching Group,Unit,Target Grade\n"


def plan_for(cast, text: str, **options):
    return build_plan(read_table(text.encode(), "x.csv"), cast.centre, cast.year, **options)


def errors(plan) -> list[str]:
    return [str(error) for error in plan.errors]


# 1. Preview equals result: an email identifies one account.

TWINS = (
    HEADER + "2301,Maisie,Okonkwo,okonkwo.family@mail.invented.example,13A,30,M\n"
    "2302,Reuben,Okonkwo,Okonkwo.Family@Mail.Invented.Example,13A,30,P\n"
)


def test_a_shared_family_email_is_an_error_by_row_and_column(cast, client_for, tmp_path):
    assert errors(plan_for(cast, TWINS)) == [
        "Row 3, Email: 'okonkwo.family@mail.invented.example' is also the email of row 2 "
        "(candidate 2301): each learner needs their own"
    ]
    client = client_for("admin")
    response = upload(client, TWINS)
    assert response.status_code == 200 and not response.context["plan"].ok
    assert (
        client.post(reverse("centre:import_confirm"), {"token": import_token(client)}).status_code
        == 302
    )
    path = tmp_path / "twins.csv"
    path.write_text(TWINS)
    with pytest.raises(CommandError, match="Row 3, Email"):
        call_command("import_learners", str(path), "--dry-run")
    with pytest.raises(CommandError, match="Row 3, Email"):
        call_command("import_learners", str(path))
    assert not Learner.objects.filter(candidate_number__in=["2301", "2302"]).exists()


def test_the_field_case_of_twins_is_refused_in_the_preview(cast):
    text = (CASES / "03-shared-family-email.csv").read_text().replace("13HSC2", "13A")
    assert [(e.row, e.column) for e in plan_for(cast, text).errors] == [(3, "Email")]


@pytest.mark.parametrize("email", ["teacher@centre.example.org", "OMAR.OTHER@learners.example.org"])
def test_an_email_of_another_account_is_an_error(cast, email):
    text = HEADER + f"0101,Nia,New,{email},13A,30,M\n"
    assert [(e.row, e.column) for e in plan_for(cast, text).errors] == [(2, "Email")]
    assert "already belongs to another account" in str(plan_for(cast, text).errors[0])


def test_an_email_freed_in_the_same_file_can_be_taken(cast):
    lara_old = cast.learner.email
    text = (
        HEADER + "0101,Nia,New,LARA.LEARNER@learners.example.org,13A,30,M\n"
        "0001,Lara,Learner,lara.new@learners.example.org,13A,30,\n"
    )
    plan = plan_for(cast, text)
    assert plan.ok and (len(plan.to_add), len(plan.to_update)) == (1, 1)
    apply_plan(plan, cast.admin)
    assert User.objects.filter(email__iexact=lara_old).get().learner.candidate_number == "0101"
    assert User.objects.filter(email__iexact="lara.new@learners.example.org").count() == 1


def test_an_email_that_used_to_belong_to_another_learner_imports(cast, client_for):
    """A learner imported with their email as username changes address; another takes it."""
    client = client_for("admin")
    first = HEADER + "0101,Ann,Ash,ann@example.org,13A,30,M\n"
    upload(client, first)
    client.post(reverse("centre:import_confirm"), {"token": import_token(client)})
    upload(client, first.replace("ann@example.org", "ann.ash@example.org"))
    client.post(reverse("centre:import_confirm"), {"token": import_token(client)})
    taker = HEADER + "0102,Ben,Birch,ANN@example.org,13A,30,P\n"
    assert upload(client, taker).context["plan"].ok
    assert (
        client.post(reverse("centre:import_confirm"), {"token": import_token(client)}).status_code
        == 302
    )
    assert Learner.objects.get(candidate_number="0102").user.email == "ann@example.org"
    assert User.objects.filter(email__iexact="ann@example.org").count() == 1


def test_two_learners_can_swap_emails(cast):
    text = HEADER + "0101,Ann,Ash,ann@example.org,13A,,\n0102,Ben,Birch,ben@example.org,13A,,\n"
    apply_plan(plan_for(cast, text), None)
    swapped = text.replace("ann@", "tmp@").replace("ben@", "ann@").replace("tmp@", "ben@")
    plan = plan_for(cast, swapped)
    assert plan.ok and len(plan.to_update) == 2
    apply_plan(plan, None)
    assert Learner.objects.get(candidate_number="0101").user.email == "ben@example.org"


NAMES = st.sampled_from(["Ann", "Ben", "Cy", "Di"])
EMAILS = st.sampled_from(
    ["a@x.org", "b@x.org", "c@x.org", "lara.learner@learners.example.org", "iv@centre.example.org"]
).flatmap(lambda email: st.sampled_from([email, email.upper(), email.title(), ""]))
CANDIDATES = st.sampled_from(["0001", "0002", "0101", "0102", "0103"])
ROWS = st.lists(
    st.tuples(CANDIDATES, NAMES, NAMES, EMAILS, st.sampled_from(["13A", "13B", "13C", ""])),
    min_size=1,
    max_size=5,
)
EXISTING = st.lists(
    st.tuples(st.sampled_from(["0101", "0102"]), EMAILS, st.booleans()),
    max_size=2,
    unique_by=lambda existing: existing[0],
)


class Rollback(Exception):
    pass


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(existing=EXISTING, rows=ROWS, move=st.booleans())
def test_preview_equals_result(cast, existing, rows, move):
    try:
        with transaction.atomic():
            _check_preview_equals_result(cast, existing, rows, move)
            raise Rollback
    except Rollback:
        pass


def _check_preview_equals_result(cast, existing, rows, move):
    for number, email, username_is_email in existing:
        account = User.objects.create(
            username=email.lower()
            if username_is_email and email and not User.objects.filter(username=email.lower())
            else f"old-{number}",
            email=email.lower(),
        )
        Learner.objects.create(
            centre=cast.centre,
            candidate_number=number,
            first_name="Old",
            last_name=number,
            email=email.lower(),
            group=cast.other_group,
            user=account,
        )
    text = HEADER + "".join(
        f"{n},{first},{last},{email},{group},,\n" for n, first, last, email, group in rows
    )
    table = read_table(text.encode(), "x.csv")
    preview = build_plan(table, cast.centre, cast.year, move_groups=move)
    before = (Learner.objects.count(), User.objects.count(), list(Learner.objects.values()))
    with tempfile.NamedTemporaryFile("w", suffix=".csv") as handle:
        handle.write(text)
        handle.flush()
        args = ["import_learners", handle.name] + (["--move-groups"] if move else [])
        if preview.errors:
            with pytest.raises(CommandError):
                call_command(*args, stdout=io.StringIO())
            after = (Learner.objects.count(), User.objects.count(), list(Learner.objects.values()))
            assert after == before
            return
        call_command(*args, stdout=io.StringIO())
    assert Learner.objects.count() == before[0] + len(preview.to_add)
    moved = {move.candidate_number for move in preview.moves}
    for row in preview.learners:
        learner = Learner.objects.select_related("user", "group").get(
            centre=cast.centre, candidate_number=row.candidate_number
        )
        assert (learner.first_name, learner.last_name) == (row.first_name, row.last_name)
        if row.email:
            assert learner.email == learner.user.email == row.email
            assert User.objects.filter(email__iexact=row.email).count() == 1
        if row.action == "add" or (row.group and (move or row.candidate_number not in moved)):
            assert learner.group.name == row.group
    again = build_plan(table, cast.centre, cast.year, move_groups=move)
    assert again.ok and again.to_write == 0


# 2. Pastoral groups are not teaching groups.

SIMS = (
    "Adno,Candidate No,Legal Forename,Legal Surname,Email,Reg Group,Year\n"
    "001001,0001,Lara,Learner,lara.learner@learners.example.org,13W,13\n"
    "001002,0002,Omar,Other,omar.other@learners.example.org,13E,13\n"
)


def test_a_reg_group_leaves_existing_learners_in_their_groups(cast, client_for):
    client = client_for("admin")
    response = upload(client, SIMS)
    plan = response.context["plan"]
    assert plan.ok and plan.to_write == 0 and not plan.moves and not plan.new_groups
    assert plan.unused_columns == [
        "Adno",
        "Reg Group (a pastoral group, not a teaching group)",
        "Year",
    ]
    assert "Reg Group (a pastoral group, not a teaching group)" in response.content.decode()
    client.post(reverse("centre:import_confirm"), {"token": import_token(client)})
    assert Learner.objects.get(candidate_number="0001").group == cast.group


def test_a_new_learner_without_a_teaching_group_column_is_an_error(cast):
    text = SIMS + "001003,0003,Nia,New,nia@learners.example.org,13W,13\n"
    assert errors(plan_for(cast, text)) == [
        'Row 4, Teaching group: a new learner needs a teaching group: add a "Teaching group" '
        "column to the file (a registration, form or tutor group is not one)"
    ]


def test_the_field_case_of_a_sims_export_moves_nobody(cast):
    text = (CASES / "18-sims-export-reg-group.csv").read_text()
    plan = plan_for(cast, text)
    assert "Teaching group" not in plan.columns and not plan.new_groups
    assert {e.column for e in plan.errors} == {"Teaching group"}  # new learners here


MOVE = HEADER + "0001,Lara,Learner,lara.learner@learners.example.org,13B,30,M\n"


def test_moving_a_learner_needs_the_box_ticked(cast, client_for):
    client = client_for("admin")
    response = upload(client, MOVE)
    plan = response.context["plan"]
    assert [str(move) for move in plan.moves] == ["Lara Learner (0001): 13A → 13B"]
    assert "Move this learner" in response.content.decode()
    client.post(reverse("centre:import_confirm"), {"token": import_token(client)})
    learner = Learner.objects.get(candidate_number="0001")
    assert learner.group == cast.group
    assert learner.enrolments.get(unit=cast.unit30).target_grade == "M"  # the rest imported
    upload(client, MOVE)
    client.post(
        reverse("centre:import_confirm"), {"move_groups": "on", "token": import_token(client)}
    )
    assert Learner.objects.get(candidate_number="0001").group == cast.other_group


def test_the_command_moves_learners_only_with_move_groups(cast, tmp_path):
    path = tmp_path / "move.csv"
    path.write_text(MOVE)
    out = io.StringIO()
    call_command("import_learners", str(path), stdout=out)
    assert "Row 2: Lara Learner (0001): 13A → 13B" in out.getvalue()
    assert Learner.objects.get(candidate_number="0001").group == cast.group
    call_command("import_learners", str(path), "--move-groups", stdout=io.StringIO())
    assert Learner.objects.get(candidate_number="0001").group == cast.other_group


# 3. Control characters are cleaned at the door.


def test_a_control_character_in_a_surname_is_cleaned_and_reported(cast, client_for):
    text = (CASES / "07-control-char-in-name.csv").read_text().replace("Reg Group", "Group")
    plan = plan_for(cast, text)
    assert plan.ok and plan.to_add[0].last_name == "Gallagher-Murphy"
    assert [str(note) for note in plan.cleaned] == [
        "Row 2, Last name: cleaned: removed a control character from the surname"
        " (now “Gallagher-Murphy”)"
    ]
    response = upload(client_for("admin"), text)
    assert "removed a control character from the surname" in response.content.decode()


def test_tabs_and_line_breaks_in_names_become_one_space(cast):
    text = HEADER + '0101,"Ann\tMarie","Le\x0b\x0bGrand ",ann@example.org,13A,30,M\n'
    plan = plan_for(cast, text)
    assert (plan.to_add[0].first_name, plan.to_add[0].last_name) == ("Ann Marie", "Le Grand")
    assert len(plan.cleaned) == 2


def test_a_control_character_cannot_hide_a_formula(cast):
    text = HEADER + '0101,"\x01=HYPERLINK(1)",Ash,ann@example.org,13A,30,M\n'
    assert [(e.row, e.column) for e in plan_for(cast, text).errors] == [(2, "First name")]


# 4. Huge spreadsheets are refused early.


def xlsx(rows: int, *, write_only: bool) -> bytes:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet() if write_only else book.active
    sheet.append(["Candidate No", "Forename", "Surname", "Email", "Group"])
    for n in range(rows):
        sheet.append([n % 10000, "A", "B", "", "13A"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def cells_read(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 50)
    count = [0]
    real = importing._cell_text

    def counting(value):
        count[0] += 1
        return real(value)

    monkeypatch.setattr(importing, "_cell_text", counting)
    return count


def test_an_undeclared_sheet_stops_at_the_row_limit(cells_read):
    with pytest.raises(ImportFileError, match="more than 50 rows"):
        read_table(xlsx(5000, write_only=True), "big.xlsx")
    assert cells_read[0] <= 5 * 53  # the header and 51 rows, not 5000


def test_a_declared_sheet_is_refused_before_reading(cells_read):
    with pytest.raises(ImportFileError, match="more than 50 rows"):
        read_table(xlsx(500, write_only=False), "big.xlsx")
    assert cells_read[0] == 0


def test_exactly_the_row_limit_is_accepted(cells_read):
    assert len(read_table(xlsx(50, write_only=True), "ok.xlsx")) == 51
    with pytest.raises(ImportFileError, match="more than 50 rows"):
        read_table(xlsx(51, write_only=True), "big.xlsx")


def test_a_long_csv_is_refused(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 50)
    with pytest.raises(ImportFileError, match="more than 50 rows"):
        read_table((HEADER + "0101,A,B,,13A,,\n" * 51).encode(), "x.csv")


def test_a_file_over_the_size_limit_is_refused_unread(monkeypatch, client_for):
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ImportFileError, match="over"):
        read_table(b"x" * 1001, "x.xlsx")
