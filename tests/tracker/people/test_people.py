"""Sign-in, role homes, staff and group management, targets and moving learners."""

import pytest
from django.urls import reverse

from tracker.models import Learner, StaffMembership, TargetChange, TeachingGroup, User
from tracker.people.targets import aspirational_grade, target_from_gcse


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("learner", "learner_home"),
        ("teacher", "teacher_home"),
        ("iv", "iv_home"),
        ("admin", "centre:home"),
    ],
)
def test_each_role_lands_on_its_own_home(role, home, client_for):
    response = client_for(role).get(reverse("home"))
    assert response.url == reverse(home)


def test_signing_in_with_email_works(cast, client):
    response = client.post(
        reverse("login"), {"username": "teacher@centre.example.org", "password": "pw"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).url == reverse("teacher_home")


def test_sign_out_is_a_post(client_for):
    client = client_for("teacher")
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("teacher_home")).status_code == 302


def test_failed_sign_ins_are_throttled_with_a_clear_message(cast, client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "teacher", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "teacher", "password": "pw"})
    assert response.status_code == 429
    assert "Try again after" in response.content.decode()


def test_learner_home_shows_units_and_targets(cast, client_for):
    enrolment = cast.learner.enrolments.get(unit=cast.unit30)
    enrolment.target_grade = "M"
    enrolment.save()
    page = client_for("learner").get(reverse("learner_home")).content.decode()
    assert "Unit 30: Personalisation in health and social care" in page
    assert "Unit 6: Personalisation and a person-centred approach to care" in page
    assert "Merit" in page and "Distinction" in page  # target and aspirational grade
    assert "0 of 10 Pass criteria achieved" in page
    assert "0 of 3 Merit criteria achieved" in page
    assert "0 of 63 topics achieved" in page


def test_teacher_home_lists_only_their_groups(cast, client_for):
    page = client_for("teacher").get(reverse("teacher_home")).content.decode()
    assert cast.group.name in page
    assert cast.other_group.name not in page


def test_iv_home_lists_the_groups_they_verify(cast, client_for):
    page = client_for("iv").get(reverse("iv_home")).content.decode()
    assert cast.group.name in page and cast.other_group.name not in page


def test_learner_typing_another_learners_url_gets_404(cast, client_for):
    response = client_for("learner").get(reverse("learner", args=[cast.other_learner.pk]))
    assert response.status_code == 404


def test_teacher_sets_a_target_and_history_keeps_it(cast, client_for):
    enrolment = cast.learner.enrolments.get(unit=cast.unit30)
    client = client_for("teacher")
    url = reverse("learner_target", args=[cast.learner.pk, enrolment.pk])
    client.post(url, {f"e{enrolment.pk}-target_grade": "M"})
    client.post(url, {f"e{enrolment.pk}-target_grade": "D"})
    enrolment.refresh_from_db()
    assert enrolment.target_grade == "D"
    history = list(
        TargetChange.objects.filter(enrolment=enrolment)
        .order_by("pk")
        .values_list("old_grade", "new_grade", "changed_by__username", "source")
    )
    assert history == [("", "M", "teacher", "teacher"), ("M", "D", "teacher", "teacher")]
    page = client.get(reverse("learner", args=[cast.learner.pk])).content.decode()
    assert "Merit → Distinction" in page


def test_teacher_cannot_set_a_target_for_another_groups_learner(cast, client_for):
    enrolment = cast.other_learner.enrolments.first()
    url = reverse("learner_target", args=[cast.other_learner.pk, enrolment.pk])
    response = client_for("teacher").post(url, {f"e{enrolment.pk}-target_grade": "M"})
    assert response.status_code == 404


def test_enrolment_of_another_learner_is_404_even_through_a_visible_learner(cast, client_for):
    enrolment = cast.other_learner.enrolments.first()
    url = reverse("learner_target", args=[cast.learner.pk, enrolment.pk])
    response = client_for("teacher").post(url, {f"e{enrolment.pk}-target_grade": "M"})
    assert response.status_code == 404


def test_admin_moves_a_learner_and_their_records_stay_with_them(cast, client_for):
    enrolment = cast.learner.enrolments.get(unit=cast.unit30)
    enrolment.target_grade = "P"
    enrolment.save()
    response = client_for("admin").post(
        reverse("learner_move", args=[cast.learner.pk]), {"group": cast.other_group.pk}
    )
    assert response.status_code == 302
    learner = Learner.objects.get(pk=cast.learner.pk)
    assert learner.group == cast.other_group
    assert learner.enrolments.get(unit=cast.unit30).target_grade == "P"
    # The new group's teacher now sees the learner; the old one no longer does.
    assert client_for("other_teacher").get(reverse("learner", args=[learner.pk])).status_code == 200
    assert client_for("teacher").get(reverse("learner", args=[learner.pk])).status_code == 404


def test_admin_adds_staff_with_roles(cast, client_for):
    client = client_for("admin")
    response = client.post(
        reverse("centre:staff_add"),
        {
            "username": "newbie",
            "first_name": "Nia",
            "last_name": "Newbie",
            "email": "nia@centre.example.org",
            "is_teacher": "on",
            "is_internal_verifier": "on",
            "is_active": "on",
            "password": "a-long-enough-password-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.is_teacher and user.is_internal_verifier and not user.is_centre_admin
    assert user.check_password("a-long-enough-password-42")
    assert StaffMembership.objects.get(user=user).centre == cast.centre


def test_staff_need_a_role_and_a_valid_password(cast, client_for):
    response = client_for("admin").post(
        reverse("centre:staff_add"),
        {
            "username": "norole",
            "first_name": "No",
            "last_name": "Role",
            "email": "no@centre.example.org",
            "is_active": "on",
            "password": "123",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "Give the member of staff at least one role." in form.non_field_errors()
    assert form.errors["password"]
    assert not User.objects.filter(username="norole").exists()


def test_admin_cannot_edit_staff_of_another_centre(cast, client_for):
    from tracker.models import Centre

    other = Centre.objects.create(name="Elsewhere", ocr_number="54321")
    outsider = User.objects.create_user("outsider", is_teacher=True)
    StaffMembership.objects.create(user=outsider, centre=other)
    response = client_for("admin").get(reverse("centre:staff_edit", args=[outsider.pk]))
    assert response.status_code == 404


def test_admin_creates_a_group_with_teachers_units_and_iv(cast, client_for):
    response = client_for("admin").post(
        reverse("centre:group_add"),
        {
            "name": "12HSC",
            "academic_year": cast.year.pk,
            "units": [cast.unit30.pk],
            "teachers": [cast.teacher.pk],
            "internal_verifiers": [cast.iv.pk],
        },
    )
    group = TeachingGroup.objects.get(name="12HSC")
    assert response.url == reverse("group", args=[group.pk])
    assert list(group.teachers.all()) == [cast.teacher]
    assert list(group.units.all()) == [cast.unit30]


def test_group_names_are_unique_per_year(cast, client_for):
    response = client_for("admin").post(
        reverse("centre:group_add"), {"name": "13a", "academic_year": cast.year.pk}
    )
    assert "There is already a group 13a in 2026/27." in response.content.decode()


def test_aspirational_grade_steps_up_and_caps_at_distinction():
    assert aspirational_grade("P", 1) == "M"
    assert aspirational_grade("M", 2) == "D"
    assert aspirational_grade("D", 1) == "D"
    assert aspirational_grade("", 1) == ""
    assert aspirational_grade("P", 0) == ""


def test_target_from_gcse_uses_the_centres_ranges(cast):
    from decimal import Decimal

    from tracker.models import GcseTargetRange

    ranges = [
        GcseTargetRange(centre=cast.centre, minimum_score=Decimal("4.0"), grade="P"),
        GcseTargetRange(centre=cast.centre, minimum_score=Decimal("5.5"), grade="M"),
        GcseTargetRange(centre=cast.centre, minimum_score=Decimal("6.5"), grade="D"),
    ]
    assert target_from_gcse(Decimal("5.5"), ranges) == "M"
    assert target_from_gcse(Decimal("5.49"), ranges) == "P"
    assert target_from_gcse(Decimal("3.9"), ranges) == ""
    assert target_from_gcse(None, ranges) == ""


def test_admin_sets_gcse_ranges_and_fills_empty_targets_only(cast, client_for):
    from decimal import Decimal

    cast.learner.average_gcse = Decimal("5.8")
    cast.learner.save()
    kept = cast.learner.enrolments.get(unit=cast.unit6)
    kept.target_grade = "D"
    kept.save()
    client = client_for("admin")
    response = client.post(
        reverse("centre:targets"),
        {
            "ranges-TOTAL_FORMS": "2",
            "ranges-INITIAL_FORMS": "0",
            "ranges-0-minimum_score": "4.0",
            "ranges-0-grade": "P",
            "ranges-1-minimum_score": "5.5",
            "ranges-1-grade": "M",
            "aspiration_step": "1",
        },
    )
    assert response.status_code == 302
    client.post(reverse("centre:targets"), {"apply": "1"})
    assert cast.learner.enrolments.get(unit=cast.unit30).target_grade == "M"
    assert cast.learner.enrolments.get(unit=cast.unit6).target_grade == "D"
    change = TargetChange.objects.get(enrolment__unit=cast.unit30, enrolment__learner=cast.learner)
    assert (change.source, change.changed_by) == ("gcse", cast.admin)


def test_a_post_without_the_target_field_leaves_the_target_alone(cast, client_for):
    enrolment = cast.learner.enrolments.get(unit=cast.unit30)
    enrolment.target_grade = "P"
    enrolment.save(update_fields=["target_grade"])
    url = reverse("learner_target", args=[cast.learner.pk, enrolment.pk])
    client_for("admin").post(url, {"grade": "ZZ"})
    client_for("admin").post(url, {f"e{enrolment.pk}-target_grade": "ZZ"})
    enrolment.refresh_from_db()
    assert enrolment.target_grade == "P"
    client_for("admin").post(url, {f"e{enrolment.pk}-target_grade": ""})  # "No target"
    enrolment.refresh_from_db()
    assert enrolment.target_grade == ""
