"""Qualification journeys in Chromium: registering a learner, entering grade-only units on
a phone, and a centre admin entering the handbook's point ranges."""

import pytest

from criteria.models import Qualification, QualificationUnit

pytestmark = pytest.mark.browser


def test_teacher_registers_a_learner_and_enters_unit_grades_on_a_phone(catalogue, cast, visitor):
    diploma = Qualification.objects.get(code="05833")
    unit1 = QualificationUnit.objects.get(qualification=diploma, number=1)
    teacher = visitor("teacher-qualification", 390, 844)
    teacher.sign_in("teacher")
    page = teacher.page
    teacher.go(f"/learners/{cast.learner.pk}/")
    page.select_option("#id_qualification", str(diploma.pk))
    page.click("button:has-text('Save qualification')")
    page.wait_for_load_state()
    teacher.check()
    assert f"registered on the {diploma.name}" in page.inner_text("main")
    page.click("a:has-text('Qualification units and grades')")
    page.wait_for_load_state()
    teacher.check()
    page.select_option(f"#id_a{unit1.pk}", "D")
    page.click("button:has-text('Save grades')")
    page.wait_for_load_state()
    teacher.check()
    main = page.inner_text("main")
    assert "1 unit changed" in main
    assert "18 points" in main
    assert "Unverified figures" in main
    assert "Unit 30 belongs to the Cambridge Technicals (2012 suite, QCF)" in main
    teacher.shot("qualification-units")


def test_admin_enters_the_handbooks_point_ranges(catalogue, cast, visitor):
    admin = visitor("admin-ranges")
    admin.sign_in("admin")
    page = admin.page
    admin.go("/centre/qualifications/")
    page.click("a:has-text('Shipped (unverified) for the OCR Level 3 Cambridge Technical Diploma')")
    page.wait_for_load_state()
    admin.check()
    for index, value in enumerate([170, 178, 186, 192, 199, 205, 211]):
        page.fill(f"#id_r{index}", str(value))
    page.fill("#id_r1", "160")
    page.click("button:has-text('Save point ranges')")
    page.wait_for_load_state()
    admin.check()
    assert "must rise with the grade" in page.inner_text("main")
    page.fill("#id_r1", "178")
    page.click("button:has-text('Save point ranges')")
    page.wait_for_load_state()
    admin.check()
    assert "Entered by your centre" in page.inner_text("main")
    admin.shot("qualification-ranges")
