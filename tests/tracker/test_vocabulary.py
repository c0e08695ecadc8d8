"""One vocabulary: every grade and status on staff pages and workbooks comes from one definition.

Grades are `criteria.grading.Grade` (full label, short letter, badge class); criterion statuses
are `tracker.models.Status` (full label, symbol, class). These tests render the marking page,
the group grid, the teacher and centre dashboards and the export, and check that each shows
the defined words and no other spelling.
"""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from criteria.grading import Grade
from criteria.models import item_key
from tests.conftest import PDF
from tracker.assessment.services import decision_for, record_decision
from tracker.evidence.services import Claim, submit_evidence
from tracker.models import Prediction, Status

# Spellings that used to appear somewhere and must not come back.
RETIRED = [">U<", ">✗ Not yet<", ">Not yet<"]


def _decide(cast, code: str, status: str) -> None:
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code=code))
    record_decision(decision, cast.teacher, status, "", decision.revision)


@pytest.fixture
def decided(cast):
    """P1 achieved, P2 not yet achieved, P3 submitted, the rest not started; a prediction of
    Unclassified and a target of Merit."""
    submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(cast.unit30.criteria.get(code="P3"))],
        upload=SimpleUploadedFile("essay.pdf", PDF),
        original_name="essay.pdf",
        content_type="application/pdf",
        sha256="1" * 64,
        declared=True,
    )
    _decide(cast, "P1", Status.ACHIEVED)
    _decide(cast, "P2", Status.NOT_YET)
    Prediction.objects.create(enrolment=cast.enrolment, grade="U", predicted_by=cast.teacher)
    enrolment = cast.enrolment
    enrolment.target_grade = "M"
    enrolment.save(update_fields=["target_grade"])
    return cast


def test_every_grade_has_a_full_label_a_short_form_and_a_class():
    assert [(g.short, g.label) for g in Grade] == [
        ("U", "Unclassified"),
        ("R", "Near Pass"),
        ("P", "Pass"),
        ("M", "Merit"),
        ("D", "Distinction"),
    ]
    assert len({g.css_class for g in Grade}) == len(Grade)


def test_every_status_has_a_full_label_a_symbol_and_a_class():
    assert [(s.short, s.label, s.css_class) for s in Status] == [
        ("○", "Not started", "status-not_started"),
        ("●", "Submitted", "status-submitted"),
        ("✓", "Achieved", "status-achieved"),
        ("✗", "Not yet achieved", "status-not_yet"),
    ]
    assert [s for s in Status if s.is_assessed] == [Status.ACHIEVED, Status.NOT_YET]


def test_item_keys_are_built_in_one_place(cast):
    criterion = cast.unit30.criteria.get(code="P1")
    topic = cast.unit6.learning_outcomes.first().topics.first()
    assert criterion.key == item_key(criterion_id=criterion.pk) == f"c:{criterion.pk}"
    assert topic.key == item_key(topic_id=topic.pk) == f"t:{topic.pk}"
    link = cast.evidence.links.first()
    assert link.item_key == link.criterion.key


def _badges(html: str) -> set[str]:
    return set(re.findall(r'<span class="badge status (status-\w+)">([^<]+)</span>', html))


def test_the_marking_page_uses_the_status_and_grade_definitions(decided, client_for):
    page = client_for("teacher").get(
        reverse("mark", args=[decided.learner.pk, decided.enrolment.pk])
    )
    html = page.content.decode()
    expected = {(s.css_class, s.badge) for s in Status}
    assert _badges(html) == expected
    assert f'<span class="badge {Grade.U.css_class}">Unclassified</span>' in html
    for retired in RETIRED:
        assert retired not in html


def test_the_grid_uses_the_status_and_grade_definitions(decided, client_for):
    page = client_for("teacher").get(reverse("grid", args=[decided.group.pk, decided.unit30.pk]))
    html = page.content.decode()
    # The status filter names every status; the legend gives each one's symbol and words.
    options = set(re.findall(r"<option[^>]*>([^<]+)</option>", html))
    assert {s.label for s in Status} <= options
    for status in Status:
        assert (
            f'<span class="lg g-{status.value}" aria-hidden="true">{status.short}</span> '
            + (status.label)
            in html
        )
    # Each cell: the symbol, then the words for screen readers, from the one definition.
    cells = set(
        re.findall(r'<td class="g-(\w+)[^"]*"[^>]*>(.)<span class="vh"> ([^<]+)</span>', html)
    )
    assert cells and cells <= {(s.value, s.short, s.label) for s in Status}
    assert f'<span class="badge {Grade.U.css_class}">Unclassified</span>' in html
    for retired in RETIRED:
        assert retired not in html


@pytest.mark.parametrize("role, page", [("teacher", "teacher_home"), ("admin", "centre:home")])
def test_dashboards_name_grades_by_their_full_label(decided, client_for, role, page):
    html = client_for(role).get(reverse(page)).content.decode()
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>', html)
    grade_rows = [row for row in rows if row in {g.label for g in Grade} or len(row) == 1]
    assert grade_rows, "the dashboard shows its grades table"
    assert set(grade_rows) <= {g.label for g in Grade}
    assert "Unclassified" in grade_rows


def test_the_export_uses_the_defined_labels(decided, client_for):
    response = client_for("teacher").get(reverse("export_grades") + f"?group={decided.group.pk}")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    summary = book["Summary"]
    header = [c.value for c in summary[6]]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in summary.iter_rows(7)]
    mine = next(row for row in rows if row["Last name"] == decided.learner.last_name)
    assert mine["Unit 30 predicted"] == Grade.U.label
    assert mine["Unit 30 achieved"] == Grade.U.label
    assert mine["Unit 30 target"] == Grade.M.label
    unit = book["Unit 30"]
    unit_header = [c.value for c in unit[6]]
    values = dict(zip(unit_header, [c.value for c in unit[7]], strict=True))
    assert values["P1"] == Status.ACHIEVED.label
    assert values["P2"] == Status.NOT_YET.label
    assert values["M1"] == Status.NOT_STARTED.label
    statuses = {
        cell.value
        for row in unit.iter_rows(7)
        for cell in row
        if cell.value in {s.label for s in Status} or cell.value in ("Not yet", "✗", "✓")
    }
    assert statuses <= {s.label for s in Status}
