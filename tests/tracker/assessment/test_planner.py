"""The learner's qualification block and the what-if planner: figures, htmx, saving."""

from django.urls import reverse

from tests.tracker.assessment.test_qualifications import diploma_on_200_points, grade_only
from tracker.models import GradeOnlyChange, GradeOnlyResult, Prediction


def test_learner_home_shows_the_200_points_diploma_as_dd_in_plain_words(cast, client_for):
    diploma_on_200_points(cast)
    page = client_for("learner").get(reverse("learner_home")).content.decode()
    assert "Your qualification: " in page
    assert (
        "If you keep your current predictions you will get "
        "<strong>Distinction Distinction (DD)</strong>, worth 96 UCAS points." in page
    )
    assert "For Distinction* Distinction (D*D) you need two more Distinctions" in page
    assert "Achieved so far</dt><dd" in page and "nothing finished yet" in page
    assert 'href="#qualification-unverified"' in page and 'id="qualification-unverified"' in page
    assert "Unit 30 belongs to the" in page  # shown as outside the qualification
    assert reverse("my_planner") in page


def test_learner_home_without_a_qualification_has_no_block(cast, client_for):
    page = client_for("learner").get(reverse("learner_home")).content.decode()
    assert "Your qualification" not in page


def test_the_planner_shows_the_change_at_once_and_saves_nothing(cast, client_for):
    diploma_on_200_points(cast)
    learner = client_for("learner")
    page = learner.get(reverse("my_planner")).content.decode()
    assert "Distinction Distinction (DD)" in page and "200 points" in page
    assert 'hx-get="/me/planner/"' in page and 'aria-live="polite"' in page
    assert '<option value="R"' in page  # Unit 6 awards Near Pass
    plan = {"u1": "D", "u2": "D", "u3": "D"}
    response = learner.get(reverse("my_planner"), plan, headers={"HX-Request": "true"})
    partial = response.content.decode()
    assert "<html" not in partial
    assert "Distinction* Distinction (D*D)" in partial and "206 points" in partial
    assert "Save as my prediction" not in partial  # learners plan, never save
    assert "In this plan: Unit 1 Distinction, Unit 2 Distinction, Unit 3 Distinction." in partial
    # The whole form comes back with every unit: only the changed ones are the plan.
    everything = {f"u{n}": "M" for n in (5, 7, 8, 9)} | plan
    partial = learner.get(reverse("my_planner"), everything, headers={"HX-Request": "true"})
    assert "In this plan: Unit 1 Distinction, Unit 2 Distinction, Unit 3 Distinction." in (
        partial.content.decode()
    )
    # Without JavaScript the same query reloads the whole page.
    page = learner.get(reverse("my_planner"), plan).content.decode()
    assert "<html" in page and "206 points" in page
    assert GradeOnlyResult.objects.get(qualification_unit__number=1).predicted == "M"


def test_a_grade_a_unit_cannot_be_given_is_a_form_error(cast, client_for):
    qualification = diploma_on_200_points(cast)
    grade_only(cast.learner, qualification, 4, achieved="P")
    learner = client_for("learner")
    for query in ({"u30": "D"}, {"u1": "X"}, {"u4": "D"}):
        response = learner.get(reverse("my_planner"), query)
        if "u30" in query or "u4" in query:
            # Units outside the qualification or finished have no field: ignored.
            assert response.status_code == 200
        else:
            assert response.status_code == 400
            assert "Select a valid choice" in response.content.decode()


def test_teacher_saves_the_plan_as_their_predictions(cast, client_for):
    diploma_on_200_points(cast)
    teacher = client_for("teacher")
    url = reverse("learner_planner", args=[cast.learner.pk])
    partial = teacher.get(url, {"u1": "D", "u6": "R"}, headers={"HX-Request": "true"})
    assert "Save as my prediction" in partial.content.decode()
    response = teacher.post(
        reverse("planner_save", args=[cast.learner.pk]), {"u1": "D", "u6": "R"}, follow=True
    )
    assert "Saved as your prediction: Unit 1, Unit 6." in response.content.decode()
    assert GradeOnlyResult.objects.get(qualification_unit__number=1).predicted == "D"
    assert GradeOnlyChange.objects.get().new_predicted == "D"
    unit6 = cast.learner.enrolments.get(unit=cast.unit6)
    assert Prediction.objects.filter(enrolment=unit6).first().grade == "R"


def test_only_the_learners_teachers_save_a_plan(cast, client_for):
    diploma_on_200_points(cast)
    url = reverse("planner_save", args=[cast.learner.pk])
    assert client_for("iv").post(url, {"u1": "D"}).status_code == 403
    assert client_for("other_teacher").post(url, {"u1": "D"}).status_code == 404
    iv_page = client_for("iv").get(reverse("learner_planner", args=[cast.learner.pk]))
    assert "Save as my prediction" not in iv_page.content.decode()
    assert GradeOnlyResult.objects.get(qualification_unit__number=1).predicted == "M"


def test_the_planner_takes_the_same_queries_however_many_units_are_planned(
    cast, client_for, django_assert_max_num_queries
):
    diploma_on_200_points(cast)
    learner = client_for("learner")
    with django_assert_max_num_queries(20):
        learner.get(reverse("my_planner"), {"u1": "D", "u2": "D", "u3": "D", "u5": "D"})
