"""Academic years in the centre admin area: list, add the next one, choose the current one.
Changing the current year moves and deletes nothing."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.conftest import make_learner
from tracker.models import AcademicYear, Enrolment, TeachingGroup
from tracker.people.forms import current_year_name, default_year_dates
from tracker.people.services import make_current

NEXT = {"name": "2027/28", "starts_on": "2027-09-01", "ends_on": "2028-07-31"}


def test_the_years_page_lists_the_centres_years_and_the_current_one(cast, client_for):
    page = client_for("admin").get(reverse("centre:years")).content.decode()
    assert "2026/27" in page
    assert "Current year" in page
    assert 'href="/centre/years/"' in page  # in the centre admin nav


def test_an_admin_adds_the_next_year_which_is_not_current_yet(cast, client_for):
    response = client_for("admin").post(reverse("centre:year_add"), NEXT)
    assert response.status_code == 302
    year = AcademicYear.objects.get(centre=cast.centre, name="2027/28")
    assert (year.starts_on, year.ends_on, year.is_current) == (
        date(2027, 9, 1),
        date(2028, 7, 31),
        False,
    )
    assert cast.centre.current_year() == cast.year


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (NEXT | {"name": "2026/27"}, "There is already a year called 2026/27."),
        (NEXT | {"starts_on": "2028-07-31", "ends_on": "2027-09-01"}, "must end after the day"),
        (NEXT | {"starts_on": "2027-09-01", "ends_on": "2027-09-01"}, "must end after the day"),
        (NEXT | {"starts_on": "2027-07-01"}, "These dates overlap 2026/27"),
        (NEXT | {"starts_on": "2025-09-01", "ends_on": "2028-07-31"}, "lasts about ten months"),
        (NEXT | {"starts_on": "2027-08-01", "ends_on": "9999-12-31"}, "lasts about ten months"),
        (
            NEXT | {"name": "2031/32"},
            "2031/32 should start in 2031: check the name or the dates.",
        ),
        (NEXT | {"starts_on": "not a date"}, "Enter a valid date."),
        (NEXT | {"name": ""}, "This field is required."),
    ],
)
def test_a_bad_year_is_a_form_error(cast, client_for, data, message):
    response = client_for("admin").post(reverse("centre:year_add"), data)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert AcademicYear.objects.filter(centre=cast.centre).count() == 1


def test_another_centres_years_do_not_clash(cast, client_for):
    from tracker.models import Centre

    other = Centre.objects.create(name="Elsewhere", ocr_number="67890")
    AcademicYear.objects.create(
        centre=other, name="2027/28", starts_on=date(2027, 9, 1), ends_on=date(2028, 7, 31)
    )
    response = client_for("admin").post(reverse("centre:year_add"), NEXT)
    assert response.status_code == 302


def test_making_a_year_current_switches_and_keeps_every_record(cast, client_for):
    client = client_for("admin")
    client.post(reverse("centre:year_add"), NEXT)
    new = AcademicYear.objects.get(name="2027/28")
    enrolments = set(Enrolment.objects.values_list("pk", "learner_id", "academic_year_id"))
    groups = set(TeachingGroup.objects.values_list("pk", "academic_year_id"))
    decisions = cast.enrolment.decisions.count()

    response = client.post(reverse("centre:year_current", args=[new.pk]))
    assert response.status_code == 302
    assert cast.centre.current_year() == new
    assert list(AcademicYear.objects.filter(is_current=True)) == [new]
    # Nothing was moved or deleted: two-year courses carry on.
    assert set(Enrolment.objects.values_list("pk", "learner_id", "academic_year_id")) == enrolments
    assert set(TeachingGroup.objects.values_list("pk", "academic_year_id")) == groups
    assert cast.enrolment.decisions.count() == decisions
    # Earlier years' records stay readable.
    group_page = client.get(reverse("group", args=[cast.group.pk]))
    assert group_page.status_code == 200
    assert cast.learner.first_name in group_page.content.decode()
    learner_page = client.get(reverse("learner", args=[cast.learner.pk]))
    assert learner_page.status_code == 200
    assert cast.unit30.title in learner_page.content.decode().replace("&#x27;", "'")
    teacher_page = client_for("teacher").get(reverse("group", args=[cast.group.pk]))
    assert teacher_page.status_code == 200
    # New groups now default to the new year.
    form = client.get(reverse("centre:group_add")).context["form"]
    assert form.initial["academic_year"] == new


def test_a_second_year_group_and_new_learners_coexist(cast, client_for):
    new = AcademicYear.objects.create(
        centre=cast.centre, name="2027/28", starts_on=date(2027, 9, 1), ends_on=date(2028, 7, 31)
    )
    make_current(new)
    group = TeachingGroup.objects.create(centre=cast.centre, academic_year=new, name="12A")
    group.units.add(cast.unit30)
    make_learner(cast.centre, group, "0100", "Nia", "New")
    page = client_for("admin").get(reverse("centre:years")).content.decode()
    assert "2026/27" in page and "2027/28" in page
    assert client_for("admin").get(reverse("centre:home")).status_code == 200


def test_the_current_year_again_changes_nothing(cast, client_for):
    response = client_for("admin").post(reverse("centre:year_current", args=[cast.year.pk]))
    assert response.status_code == 302
    cast.year.refresh_from_db()
    assert cast.year.is_current


def test_the_database_allows_one_current_year_per_centre(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        AcademicYear.objects.create(
            centre=cast.centre,
            name="2027/28",
            starts_on=date(2027, 9, 1),
            ends_on=date(2028, 7, 31),
            is_current=True,
        )


def test_another_centres_admin_cannot_switch_this_centres_year(cast):
    from django.test import Client

    from tests.conftest import make_staff
    from tracker.models import Centre

    other = Centre.objects.create(name="Elsewhere", ocr_number="67890")
    client = Client()
    client.force_login(make_staff(other, "far_admin", is_centre_admin=True))
    response = client.post(reverse("centre:year_current", args=[cast.year.pk]))
    assert response.status_code == 404


def test_year_names_and_dates():
    assert default_year_dates("2026/27") == (date(2026, 9, 1), date(2027, 7, 31))
    assert default_year_dates("2099/00") == (date(2099, 9, 1), date(2100, 7, 31))
    assert default_year_dates("2026/28") is None
    assert default_year_dates("Year 1") is None
    assert current_year_name(date(2026, 8, 31)) == "2025/26"
    assert current_year_name(date(2026, 9, 1)) == "2026/27"


def test_the_years_page_lists_the_newest_year_first(cast, client_for):
    client = client_for("admin")
    client.post(reverse("centre:year_add"), NEXT)
    page = client.get(reverse("centre:years")).content.decode()
    assert page.index(NEXT["name"]) < page.index(cast.year.name)
