"""Layout fixes from the walkthrough, checked in Chromium: a Unit Recording Sheet is one A4
page per learner, the IV sample's buttons are whole, Unit 6's boundaries fit a phone."""

import re

import pytest

from criteria.models import TopicItem
from tests.browser.conftest import SHOTS
from tests.conftest import make_learner
from tracker.assessment.services import decision_for, record_decision
from tracker.evidence.services import Claim, submit_evidence

pytestmark = pytest.mark.browser

FEEDBACK = (
    "Clear and accurate: you explain the point with a relevant example from the case study "
    "and link it to the person's wellbeing."
)


def pdf_pages(data: bytes) -> int:
    """Count the pages of a PDF written by Chromium (each page is a /Type /Page object)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def _full_unit30_record(cast, learner) -> None:
    enrolment = learner.enrolments.get(unit=cast.unit30)
    criteria = list(cast.unit30.criteria.all())
    submit_evidence(
        enrolment,
        learner.user,
        [Claim(c, f"pages {n}-{n + 2}") for n, c in enumerate(criteria, start=1)],
        upload=None,
        original_name="",
        kind="observation",
        statement="Observed in the placement.",
    )
    for criterion in criteria:
        decision = decision_for(enrolment, criterion)
        record_decision(decision, cast.teacher, "achieved", FEEDBACK, decision.revision)


def test_a_group_of_recording_sheets_prints_one_a4_page_per_learner(
    catalogue, cast, visitor, tmp_path
):
    learners = [cast.learner, make_learner(cast.centre, cast.group, "0050", "Priya", "Second")]
    for learner in learners:
        _full_unit30_record(cast, learner)
    admin = visitor("admin-urs")
    admin.sign_in("admin")
    admin.go(f"/groups/{cast.group.pk}/units/{cast.unit30.pk}/urs/")
    page = admin.page
    page.emulate_media(media="print")
    # The printable width of A4 with 12 mm margins, at 96 px to the inch: 186 mm.
    page.set_viewport_size({"width": 703, "height": 1032})
    admin.shot("urs-print")
    pdf = tmp_path / "urs.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    assert pdf_pages(pdf.read_bytes()) == len(learners)


def test_a_unit6_recording_sheet_names_each_topic_and_prints_on_two_a4_pages_at_most(
    catalogue, cast, visitor, tmp_path
):
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    topics = list(TopicItem.objects.filter(learning_outcome__unit=cast.unit6))
    submit_evidence(
        enrolment,
        cast.learner.user,
        [Claim(topic, f"page {n}") for n, topic in enumerate(topics, start=1)],
        upload=None,
        original_name="",
        kind="observation",
        statement="Answered in class.",
    )
    for topic in topics:
        decision = decision_for(enrolment, topic)
        record_decision(decision, cast.teacher, "achieved", "Secure.", decision.revision)
    admin = visitor("admin-urs6")
    admin.sign_in("admin")
    admin.go(f"/learners/{cast.learner.pk}/units/{enrolment.pk}/urs/")
    page = admin.page
    body = page.inner_text("main")
    assert "Holistic overview" in body
    assert "Challenges to adopting a person" in body
    assert "—" not in page.inner_text("table >> nth=0")  # no unit code: no dash row
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 703, "height": 1032})
    admin.shot("urs6-print")
    pdf = tmp_path / "urs6.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    # 63 topics under their 19 headings do not fit one legible A4 page: two at most, the
    # signature lines after the last topic (three pages before the headings were added).
    assert pdf_pages(pdf.read_bytes()) <= 2


def _right_edges(page, selector: str) -> list[tuple[float, float]]:
    """Each element's right edge beside the right edge of what clips it (its nearest
    scrolling or clipping ancestor, else the viewport)."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)].map((el) => {
            let box = el.getBoundingClientRect(), clip = document.documentElement.clientWidth;
            for (let p = el.parentElement; p; p = p.parentElement) {
                const style = getComputedStyle(p);
                if (style.overflowX !== 'visible') {
                    clip = Math.min(clip, p.getBoundingClientRect().right);
                    break;
                }
            }
            return [box.right, clip];
        })""",
        selector,
    )


@pytest.mark.parametrize(
    ("label", "width", "height"), [("desktop", 1280, 900), ("phone", 390, 844)]
)
def test_the_iv_sample_shows_each_remove_button_whole(
    catalogue, cast, visitor, label, width, height
):
    sample = cast.sample
    iv = visitor(f"iv-sample-{label}", width, height)
    iv.sign_in("iv")
    iv.go(f"/verification/samples/{sample.pk}/")
    page = iv.page
    iv.shot("sample")
    edges = _right_edges(page, "form[action$='/include/'] button")
    assert edges and all(right <= clip + 0.5 for right, clip in edges)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_unit6_boundaries_fit_a_phone(catalogue, cast, visitor):
    from criteria.models import BoundarySet, ExamSeries

    series = ExamSeries.objects.create(unit=cast.unit6, name="June 2026", kind="real")
    BoundarySet.objects.create(
        series=series,
        max_mark=60,
        distinction=47,
        merit=37,
        pass_mark=27,
        near_pass=21,
        source="OCR Cambridge Technicals grade boundaries, June 2026",
    )
    phone = visitor("boundaries-phone", 390, 844)
    phone.sign_in("teacher")
    phone.go(f"/units/{cast.unit6.slug}/")
    page = phone.page
    section = page.locator("section[aria-labelledby=exam]")
    section.screenshot(path=str(SHOTS / "boundaries-phone-unit6-exam.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The caption and every cell are within the screen, and the table ends where its last
    # row does: no tall blank row made by a squeezed column.
    assert all(
        right <= 390 for right, _ in _right_edges(page, "section[aria-labelledby=exam] caption")
    )
    table = section.locator("table").bounding_box()
    last_cell = section.locator("tbody tr:last-child > :last-child").bounding_box()
    assert table["y"] + table["height"] - (last_cell["y"] + last_cell["height"]) < 24
    # Each value is labelled on the phone (the label is drawn from data-label).
    label = section.locator("td[data-label=Source]").evaluate(
        "(el) => getComputedStyle(el, '::before').content"
    )
    assert label == '"Source: "'
    assert "June 2026" in section.inner_text()


def test_a_teacher_sees_late_work_on_the_queue_and_the_marking_page(catalogue, cast, visitor):
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from tests.conftest import PDF
    from tracker.models import Assignment

    deadline = timezone.localdate() - timedelta(days=3)
    assignment = Assignment.objects.create(
        group=cast.group,
        unit=cast.unit30,
        title="Rights and choice",
        issued_on=deadline - timedelta(weeks=3),
        deadline=deadline,
        created_by=cast.teacher,
    )
    assignment.criteria.set(cast.unit30.criteria.filter(code="P2"))
    submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(cast.unit30.criteria.get(code="P2"), "pages 2-4")],
        upload=SimpleUploadedFile("rights.pdf", PDF),
        original_name="rights.pdf",
        declared=True,
    )
    teacher = visitor("teacher-late", 390, 844)
    teacher.sign_in("teacher")
    teacher.go("/marking/")
    page = teacher.page
    page.check("#late-only")
    page.click("button:has-text('Show')")
    page.wait_for_load_state()
    teacher.check()
    words = f"Handed in 3 days late (deadline {deadline.day} {deadline:%B})"
    assert words in page.inner_text("main")
    teacher.shot("queue")
    page.click("a:has-text('Assess Lara Learner')")
    page.wait_for_load_state()
    teacher.check()
    assert words in page.locator("#item-P2").inner_text()
    page.locator("#item-P2").screenshot(path=str(SHOTS / "teacher-late-marking-P2.png"))


def test_late_work_shows_on_the_grid_and_in_the_learners_deadlines(catalogue, cast, visitor):
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from tests.conftest import PDF
    from tracker.models import Assignment

    deadline = timezone.localdate() - timedelta(days=3)
    assignment = Assignment.objects.create(
        group=cast.group,
        unit=cast.unit30,
        title="Rights and choice",
        issued_on=deadline - timedelta(weeks=3),
        deadline=deadline,
        created_by=cast.teacher,
    )
    assignment.criteria.set(cast.unit30.criteria.filter(code__in=["P2", "P3"]))
    submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(cast.unit30.criteria.get(code="P2"), "pages 2-4")],
        upload=SimpleUploadedFile("rights.pdf", PDF),
        original_name="rights.pdf",
        declared=True,
    )
    make_learner(cast.centre, cast.group, "0003", "Ben", "Bright")
    words = f"Handed in 3 days late (deadline {deadline.day} {deadline:%B})"

    teacher = visitor("teacher-late-grid", 1366, 900)
    teacher.sign_in("teacher")
    teacher.go(f"/groups/{cast.group.pk}/units/{cast.unit30.pk}/")
    page = teacher.page
    row = page.locator("tr", has=page.locator("a", has_text="Learner, Lara"))
    marker = row.locator("td .gl")
    assert marker.count() == 1 and marker.is_visible()
    assert marker.locator("[aria-hidden]").inner_text() == "late"
    assert marker.locator("[aria-hidden]").get_attribute("title") == "Handed in 3 days late"
    # Inside the cell, beside the status symbol (which stays readable), not spilling out.
    cell, tag = marker.locator("xpath=..").bounding_box(), marker.bounding_box()
    assert cell["x"] <= tag["x"] and tag["x"] + tag["width"] <= cell["x"] + cell["width"] + 1
    assert tag["y"] >= cell["y"] and tag["y"] + tag["height"] <= cell["y"] + cell["height"] + 1
    symbol_right = marker.evaluate(
        "(tag) => { const r = document.createRange(); r.selectNodeContents(tag.parentElement);"
        " r.setEnd(tag.parentElement.firstChild, 1); return r.getBoundingClientRect().right; }"
    )
    assert symbol_right <= tag["x"], "the late tag covers the status symbol"
    assert row.bounding_box()["height"] < 40
    teacher.shot("grid")
    page.check("#id_late")
    page.click("button:has-text('Filter')")
    page.wait_for_load_state()
    teacher.check()
    table = page.locator("table[data-grid] tbody").inner_text()
    assert "Learner, Lara" in table and "Bright, Ben" not in table
    # A save keeps the marker: lateness is the hand-in's, not the decision's.
    late_cell = row.locator("td:has(.gl)")
    late_cell.click()
    page.keyboard.press("a")
    page.wait_for_selector("tr td.g-achieved .gl")
    teacher.check()
    row.screenshot(path=str(SHOTS / "teacher-late-grid-row.png"))

    learner = visitor("learner-late", 390, 844)
    learner.sign_in("lara.learner")
    page = learner.page
    line = page.locator("li.list-group-item", has_text="Rights and choice")
    assert f"P2: {words}" in line.inner_text() and "Late: P3 missing" in line.inner_text()
    assert line.locator("strong", has_text=words).is_visible()
    line.screenshot(path=str(SHOTS / "learner-late-deadline.png"))
    learner.shot("home")
    page.click("text=See every criterion")
    page.wait_for_load_state()
    learner.check()
    assert words in page.locator("#item-P2").inner_text()

    # Unit 6's upload form: topics folded by learning outcome, short on a phone.
    learner.go(f"/me/units/{cast.learner.enrolments.get(unit=cast.unit6).pk}/upload/")
    sections = page.locator("details.item-group")
    assert sections.count() == cast.unit6.learning_outcomes.count()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2200, f"the Unit 6 upload page is {height} px tall on a phone"
    assert not page.locator("#id_items_0").is_visible()
    sections.first.locator("summary").click()
    page.check("#id_items_0")
    assert "1 ticked" in sections.first.locator("summary").inner_text()
    learner.check()
    learner.shot("unit6-upload")
    page.click("text=Hand in")
    page.wait_for_load_state()
    learner.check()
    # Refused (no file): the section with the ticked topic comes back open, the box ticked.
    assert page.locator("#id_items_0").is_checked() and page.locator("#id_items_0").is_visible()
    learner.shot("unit6-upload-refused")
