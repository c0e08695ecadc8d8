"""Loose ends from the walkthrough: the staff form keeps other centres' accounts to itself,
sign-in letters for the whole centre or chosen learners, and the group page's export."""

import re

from django.urls import reverse

from tests.conftest import make_learner, make_staff
from tracker.models import Centre, User


def _add_staff(client, username: str, email: str):
    return client.post(
        reverse("centre:staff_add"),
        {
            "username": username,
            "first_name": "Nina",
            "last_name": "New",
            "email": email,
            "is_teacher": "on",
            "is_active": "on",
        },
    )


def test_the_staff_form_says_nothing_about_accounts_of_another_centre(cast, client_for):
    other = Centre.objects.create(name="Elsewhere", ocr_number="54321")
    make_staff(other, "far.away", is_teacher=True)
    User.objects.filter(username="far.away").update(email="shared@example.org")
    admin = client_for("admin")
    # An email used only in another centre is not looked at: the account is made.
    assert _add_staff(admin, "nina.new", "shared@example.org").status_code == 302
    assert User.objects.filter(email__iexact="shared@example.org").count() == 2
    # A username is refused with the same words wherever the taken one is.
    elsewhere = _add_staff(admin, "far.away", "nina2@example.org").content.decode()
    here = _add_staff(admin, cast.teacher.username, "nina3@example.org").content.decode()
    refusal = "This username cannot be used. Choose another"
    assert refusal in elsewhere and refusal in here
    for page in (elsewhere, here):
        assert "Another account" not in page and "another centre" not in page.lower()


def test_an_email_used_in_the_admins_own_centre_is_refused(cast, client_for):
    page = _add_staff(client_for("admin"), "nina.new", cast.learner.user.email.upper())
    assert "Someone in your centre already uses this email address" in page.content.decode()


def _codes(response) -> dict[str, str]:
    return dict(re.findall(r'data-code-for="([^"]+)">([A-Z0-9-]+)<', response.content.decode()))


def test_letters_can_be_printed_for_the_whole_centre_or_chosen_learners(cast, client_for):
    other = make_learner(cast.centre, cast.other_group, "0003", "Ola", "Otherton")
    admin = client_for("admin")
    page = admin.get(reverse("centre:letters")).content.decode()
    assert "Omar" in page and "Ola" in page and "Lara" in page
    everyone = admin.post(reverse("centre:letters_print"), {"who": "everyone"})
    assert set(_codes(everyone)) == {
        cast.learner.user.username,
        cast.other_learner.user.username,
        other.user.username,
    }
    chosen = admin.post(reverse("centre:letters_print"), {"who": "chosen", "chosen": [other.pk]})
    assert set(_codes(chosen)) == {other.user.username}
    User.objects.filter(pk=other.user_id).update(email="")
    no_email = admin.post(reverse("centre:letters_print"), {"who": "no_email"})
    assert set(_codes(no_email)) == {other.user.username}


def test_choosing_nobody_or_another_centres_learner_is_a_clear_error(cast, client_for):
    admin = client_for("admin")
    empty = admin.post(reverse("centre:letters_print"), {"who": "chosen"})
    assert empty.status_code == 400
    assert "Tick at least one learner" in empty.content.decode()
    far = Centre.objects.create(name="Elsewhere", ocr_number="54321")
    from tracker.models import AcademicYear, TeachingGroup

    year = AcademicYear.objects.create(
        centre=far, name="2026/27", starts_on=cast.year.starts_on, ends_on=cast.year.ends_on
    )
    outsider = make_learner(
        far,
        TeachingGroup.objects.create(centre=far, academic_year=year, name="X"),
        "0009",
        "F",
        "A",
    )
    stranger = admin.post(
        reverse("centre:letters_print"), {"who": "chosen", "chosen": [outsider.pk]}
    )
    assert stranger.status_code == 400 and not _codes(stranger)


def test_the_group_page_offers_its_export(cast, client_for):
    page = client_for("teacher").get(reverse("group", args=[cast.group.pk])).content.decode()
    export = reverse("export_grades")
    assert f'href="{export}?group={cast.group.pk}"' in page
    assert f"{export}?group={cast.group.pk}&amp;unit={cast.unit30.pk}" in page


def test_the_centre_letters_page_costs_the_same_queries_as_the_centre_grows(
    cast, client_for, django_assert_num_queries
):
    admin = client_for("admin")
    url = reverse("centre:letters")
    admin.get(url)  # the session is read once before counting
    # session, user, staff membership, centre, the learners who may get a letter (with
    # account and group), the navigation's learner record
    with django_assert_num_queries(6):
        assert admin.get(url).status_code == 200
    for n in range(5):
        make_learner(cast.centre, cast.group, f"{200 + n:04d}", "Extra", f"L{n}")
    with django_assert_num_queries(6):
        assert admin.get(url).status_code == 200
