"""The qualification prediction in Chromium: a learner plans grades, a teacher predicts R."""

import pytest

from tests.browser.conftest import SHOTS
from tests.tracker.assessment.test_qualifications import diploma_on_200_points
from tracker.models import GradeOnlyResult, Prediction

pytestmark = pytest.mark.browser


def test_a_diploma_learner_plans_grades_and_sees_the_grade_change_without_saving(
    catalogue, cast, visitor
):
    diploma_on_200_points(cast)
    learner = visitor("learner-planner", 390, 844)
    learner.sign_in("lara.learner")
    page = learner.page
    prediction = " ".join(page.inner_text("#qualification-prediction").split())
    assert prediction.startswith(
        "If you keep your current predictions you will get Distinction Distinction (DD), "
        "worth 96 UCAS points."
    )
    learner.shot("qualification")
    page.click("text=Try the what-if planner")
    page.wait_for_load_state()
    learner.check()
    assert page.inner_text("#plan-grade") == "Distinction Distinction (DD)"
    page.evaluate("() => { window.stillHere = true; }")  # gone if the page reloads
    for unit in ("u1", "u2", "u3"):
        page.select_option(f"#id_{unit}", "D")
    page.locator("#id_u3").scroll_into_view_if_needed()
    assert page.locator("#plan-grade").is_visible()
    # Each change asks again and a newer answer replaces an older one still on its way, so
    # the result settles on the last choice made.
    page.wait_for_function(
        "() => document.querySelector('#plan-points').textContent.trim() === '206 points'"
    )
    assert page.inner_text("#plan-grade") == "Distinction* Distinction (D*D)"
    assert page.inner_text("#plan-points") == "206 points"
    assert page.evaluate("() => window.stillHere === true")
    learner.check()
    page.screenshot(path=str(SHOTS / "learner-planner-scrolled.png"))
    learner.shot("planner")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the planner needs horizontal scrolling at 390px"
    assert (
        GradeOnlyResult.objects.get(learner=cast.learner, qualification_unit__number=1).predicted
        == "M"
    )


def test_a_teacher_predicts_near_pass_for_unit_6_and_sees_the_note(catalogue, cast, visitor):
    unit6 = cast.learner.enrolments.get(unit=cast.unit6)
    teacher = visitor("teacher-near-pass", 390, 844)
    teacher.sign_in("teacher")
    teacher.go(f"/learners/{cast.learner.pk}/units/{unit6.pk}/")
    page = teacher.page
    page.select_option("#id_grade", "R")
    page.fill("#id_note", "Near Pass on the mock: revise topic 3")
    page.click("text=Save prediction")
    page.wait_for_load_state()
    teacher.check()
    summary = page.inner_text("#unit-summary")
    assert "Near Pass" in summary
    assert "Note: Near Pass on the mock: revise topic 3" in summary
    assert Prediction.objects.get(enrolment=unit6).grade == "R"
    teacher.shot("near-pass")


def test_a_teacher_sees_the_group_distribution_and_saves_a_plan(catalogue, cast, visitor):
    diploma_on_200_points(cast)
    teacher = visitor("teacher-planner", 390, 844)
    teacher.sign_in("teacher")
    page = teacher.page
    summary = " ".join(page.inner_text("main").split())
    assert "Distinction Distinction (DD): 1" in summary
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the teacher's home needs horizontal scrolling at 390px"
    teacher.go(f"/learners/{cast.learner.pk}/planner/")
    page.select_option("#id_u1", "D")
    page.wait_for_selector("button:has-text('Save as my prediction')")
    teacher.check()
    page.click("button:has-text('Save as my prediction')")
    page.wait_for_load_state()
    teacher.check()
    assert "Saved as your prediction: Unit 1." in page.inner_text("main")
    unit1 = GradeOnlyResult.objects.get(learner=cast.learner, qualification_unit__number=1)
    assert unit1.predicted == "D"
    teacher.shot("planner-saved")
