"""A real centre's first run: `create_centre` by flags and by questions, and the page a
fresh instance shows before any centre exists."""

from datetime import date
from io import StringIO

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import make_staff
from tracker.models import AcademicYear, Centre, StaffMembership, User

FLAGS = {
    "name": "Riverside College",
    "ocr_number": "54321",
    "year": "2026/27",
    "admin_username": "k.ahmed",
    "admin_email": "K.Ahmed@Riverside.example.org",
    "admin_first_name": "Kamran",
    "admin_last_name": "Ahmed",
    "password": "a-long-exams-password",
    "interactive": False,
}
SETUP = "No centre is set up yet. On the server, run: python manage.py create_centre"


def run(**options) -> str:
    out = StringIO()
    call_command("create_centre", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = "https://tracker.school.org"


def test_flags_create_the_centre_its_year_and_a_centre_admin(db, site_url):
    out = run(**FLAGS)
    centre = Centre.objects.get(ocr_number="54321")
    assert centre.name == "Riverside College"
    year = centre.years.get()
    assert (year.name, year.starts_on, year.ends_on, year.is_current) == (
        "2026/27",
        date(2026, 9, 1),
        date(2027, 7, 31),
        True,
    )
    admin = User.objects.get(username="k.ahmed")
    assert admin.is_centre_admin and not admin.is_superuser and not admin.is_staff
    assert not admin.is_teacher and not admin.is_internal_verifier
    assert admin.email == "k.ahmed@riverside.example.org"
    assert admin.check_password("a-long-exams-password")
    assert StaffMembership.objects.get(user=admin).centre == centre
    assert centre.current_year() == year
    assert "Sign in at https://tracker.school.org/accounts/login/" in out


def test_the_new_admin_signs_in_and_reaches_the_centre_pages(db):
    run(**FLAGS)
    client = Client()
    response = client.post(
        reverse("login"), {"username": "k.ahmed", "password": "a-long-exams-password"}
    )
    assert response.status_code == 302
    assert client.get(reverse("centre:home")).status_code == 200
    assert client.get(reverse("centre:years")).status_code == 200


def test_dates_can_be_given(db):
    run(**FLAGS | {"year": "Year 1", "starts_on": "2026-08-24", "ends_on": "2027-07-16"})
    year = AcademicYear.objects.get()
    assert (year.name, year.starts_on, year.ends_on) == (
        "Year 1",
        date(2026, 8, 24),
        date(2027, 7, 16),
    )


def test_a_year_name_without_dates_is_refused(db):
    with pytest.raises(CommandError, match="Cannot tell the dates of the year 'Year 1'"):
        run(**FLAGS | {"year": "Year 1"})
    assert not Centre.objects.exists()


def test_no_password_prints_a_one_time_set_password_link(db, site_url):
    options = {key: value for key, value in FLAGS.items() if key != "password"}
    out = run(**options, no_password=True)
    admin = User.objects.get(username="k.ahmed")
    assert not admin.has_usable_password()
    link = next(line for line in out.splitlines() if "/accounts/reset/" in line)
    assert link.startswith("https://tracker.school.org/accounts/reset/")
    uidb64, token = link.rstrip("/").split("/")[-2:]
    assert default_token_generator.check_token(admin, token)
    # The link opens the form where the admin chooses a password.
    response = Client().get(link.removeprefix("https://tracker.school.org"), follow=True)
    assert b"new_password1" in response.content


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ocr_number": "1234"}, "exactly 5 digits"),
        ({"ocr_number": "12a45"}, "exactly 5 digits"),
        ({"admin_email": "not-an-email"}, "valid email"),
        ({"admin_username": "has spaces"}, "Enter a valid username"),
        ({"password": "short"}, "too short"),
        ({"starts_on": "2027-07-31", "ends_on": "2026-09-01"}, "must end after"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_created(db, change, message):
    with pytest.raises(CommandError, match=message):
        run(**FLAGS | change)
    assert not Centre.objects.exists()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ocr_number": "12345"}, "OCR centre number 12345 exists already"),
        ({"admin_username": "ADMIN"}, "An account called ADMIN exists already"),
        ({"admin_email": "Admin@Centre.Example.org"}, "email admin@centre.example.org exists"),
    ],
)
def test_a_duplicate_centre_number_username_or_email_is_refused(cast, change, message):
    with pytest.raises(CommandError, match=message):
        run(**FLAGS | change)
    assert Centre.objects.count() == 1
    assert not User.objects.filter(username="k.ahmed").exists()


def test_without_input_a_missing_value_is_named(db):
    options = {key: value for key, value in FLAGS.items() if key != "admin_email"}
    with pytest.raises(CommandError, match="Give --admin-email"):
        run(**options)
    options = {key: value for key, value in FLAGS.items() if key != "password"}
    with pytest.raises(CommandError, match="Give --password, or --no-password"):
        run(**options)


def test_questions_ask_for_everything_and_ask_again_after_a_refusal(db, monkeypatch):
    answers = iter(
        [
            "Hillside School",  # name
            "999",  # centre number: refused, asked again below
            "",  # year: the default, this academic year
            "j.smith",
            "j.smith@hillside.example.org",
            "Jo",
            "Smith",
            "99999",  # the centre number asked again
        ]
    )
    prompts = []

    def fake_input(prompt):
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", fake_input)
    monkeypatch.setattr("getpass.getpass", lambda prompt: "a-long-exams-password")
    monkeypatch.setattr(
        "tracker.management.commands.create_centre.timezone.localdate", lambda: date(2027, 2, 3)
    )
    err = StringIO()
    out = StringIO()
    call_command("create_centre", stdout=out, stderr=err)
    assert "exactly 5 digits" in err.getvalue()
    assert prompts[2] == "Current academic year [2026/27]: "
    assert prompts[-1].startswith("OCR centre number")
    centre = Centre.objects.get(ocr_number="99999")
    assert centre.current_year().name == "2026/27"
    admin = User.objects.get(username="j.smith")
    assert admin.is_centre_admin and admin.check_password("a-long-exams-password")
    assert "Sign in at" in out.getvalue()


def test_questions_read_from_standard_input(db, monkeypatch):
    lines = "\n".join(["Brook Academy", "11111", "2026/27", "b.lee", "b@brook.example.org"])
    monkeypatch.setattr("sys.stdin", StringIO(lines + "\nBo\nLee\n"))
    run(no_password=True)
    assert User.objects.get(username="b.lee").staff_membership.centre.name == "Brook Academy"


def test_the_end_of_input_stops_with_a_clear_message(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", StringIO("Brook Academy\n"))
    with pytest.raises(CommandError, match="No answer for ocr centre number"):
        run()
    assert not Centre.objects.exists()


def test_differing_passwords_are_asked_again(db, monkeypatch):
    typed = iter(["first-long-password", "other-long-password", "same-long-pass", "same-long-pass"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    options = {key: value for key, value in FLAGS.items() if key not in ("password", "interactive")}
    run(**options)
    assert User.objects.get(username="k.ahmed").check_password("same-long-pass")


# A fresh instance


def test_a_fresh_instance_says_what_to_run_at_the_home_page(db):
    response = Client().get(reverse("home"))
    assert response.status_code == 200
    assert SETUP in " ".join(response.content.decode().replace("<code>", "").split())


def test_a_fresh_instance_says_what_to_run_on_the_sign_in_page(db):
    page = Client().get(reverse("login")).content.decode()
    assert SETUP in " ".join(page.replace("<code>", "").replace("</code>", "").split())
    assert 'name="password"' not in page


def test_once_a_centre_exists_the_sign_in_page_is_back(db):
    run(**FLAGS)
    page = Client().get(reverse("login")).content.decode()
    assert 'name="password"' in page
    assert "No centre is set up yet" not in page
    assert Client().get(reverse("home")).status_code == 302


def test_a_centre_without_a_year_points_to_the_years_page(db):
    centre = Centre.objects.create(name="Yearless", ocr_number="22222")
    admin = make_staff(centre, "yearless_admin", is_centre_admin=True)
    client = Client()
    client.force_login(admin)
    response = client.get(reverse("centre:group_add"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Django admin" not in page
    assert reverse("centre:years") in page
