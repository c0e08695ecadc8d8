"""Every role's main journey, clicked and typed as a person would, in Chromium."""

import pytest
from openpyxl import load_workbook

from tests.conftest import PDF
from tracker.models import Decision, Status

pytestmark = pytest.mark.browser


def test_learner_on_a_phone_uploads_evidence_and_reads_what_next(
    catalogue, cast, visitor, tmp_path
):
    learner = visitor("learner-phone", 390, 844)
    learner.sign_in("lara.learner")
    learner.shot("home")
    page = learner.page
    assert "For Pass you still need" in page.inner_text("main")
    page.click("text=See every criterion")
    learner.check()
    page.click("text=Upload evidence")
    learner.check()
    pdf = tmp_path / "booklet.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("#id_file", str(pdf))
    page.check("text=P2 explain the relationship between rights")
    page.check("text=M1 explain how personalisation can benefit")
    page.fill("#id_location", "pages 2-5")
    page.check("#id_declaration")
    page.click("text=Hand in")
    page.wait_for_load_state()
    learner.check()
    assert "submitted for assessment" in page.inner_text("main")
    assert page.locator("#item-P2 .status").inner_text() == "● Submitted"
    assert page.locator("#item-M1 .status").inner_text() == "● Submitted"
    page.click("text=Upload evidence")
    svg = tmp_path / "drawing.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    page.set_input_files("#id_file", str(svg))
    page.check("text=P3 identify legislation")
    page.check("#id_declaration")
    page.click("text=Hand in")
    page.wait_for_load_state()
    learner.check()
    assert ".svg files are not accepted as evidence" in page.inner_text("main")
    page.click("button.navbar-toggler")
    page.click("text=Sign out")
    page.wait_for_load_state()
    assert page.url.endswith("/accounts/login/")


def test_teacher_marks_uses_the_grid_by_keyboard_and_exports(catalogue, cast, visitor, tmp_path):
    teacher = visitor("teacher-desktop")
    teacher.sign_in("teacher")
    teacher.shot("home")
    page = teacher.page
    page.click("text=Marking queue")
    teacher.check()
    page.click("a:has-text('Assess Lara Learner')")
    page.wait_for_load_state()
    teacher.check()
    row = page.locator("#item-P1")
    row.locator("input[value=achieved]").check()
    row.locator("textarea").fill("Clear definition in your own words.")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#item-P1 .status-achieved")
    row = page.locator("#item-P2")
    row.locator("input[value=not_yet]").check()
    row.locator("textarea").fill("Link rights to choice with an example.")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#item-P2 .status-not_yet")
    teacher.check()
    page.goto(teacher.base_url + f"/groups/{cast.group.pk}/units/{cast.unit30.pk}/")
    teacher.check()
    cell = page.locator("select[id$='-P3']").first
    cell.focus()
    page.keyboard.press("ArrowDown")  # Chromium's select changes value with the arrow keys
    page.wait_for_selector("#grid-status:has-text('Saved P3')")
    assert Decision.objects.get(enrolment=cast.enrolment, criterion__code="P3").status in (
        Status.ACHIEVED,
        Status.NOT_YET,
    )
    with page.expect_download() as download:
        page.click("text=Export to Excel")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    book = load_workbook(saved)
    header = [c.value for c in book["Summary"][6]]
    values = [c.value for c in book["Summary"][7]]
    assert dict(zip(header, values, strict=True))["Last name"] == "Learner"
    teacher.shot("grid")
