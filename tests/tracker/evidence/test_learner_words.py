"""The learner's pages in words a 17-year-old understands: what next, Unit 6 before the exam,
the topics by learning outcome, the glossary and the upload form's messages."""

import html
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from criteria.models import BoundarySet, ExamSeries, TopicItem
from tests.conftest import PDF
from tracker.assessment.services import decision_for, record_decision
from tracker.evidence.services import Claim, submit_evidence
from tracker.models import Decision, Evidence, ExamMark, Status

# Words the learner's pages used to show without saying what they mean.
JARGON = [
    "Projected",
    "projected",
    "Still possible",
    "Unclassified to Distinction",
    "topics secure",
    "Aspirational",
    "aspirational",
    "illustrative",
    "submitted for assessment",
    "you still need",
    "This field is required.",
    "outstanding)",
]
BOUNDARIES = {"max_mark": 60, "distinction": 48, "merit": 38, "pass_mark": 28, "near_pass": 22}


def text(response) -> str:
    """Return the page's main content as plain text, spaces collapsed."""
    body = response.content.decode()
    main = body[body.index("<main") : body.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def unit6(cast):
    return cast.learner.enrolments.get(unit=cast.unit6)


def achieve(cast, code: str) -> None:
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code=code))
    record_decision(decision, cast.teacher, Status.ACHIEVED, "", decision.revision)


def hand_in(cast, *codes: str, name: str = "work.pdf") -> Evidence:
    return submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(cast.unit30.criteria.get(code=code)) for code in codes],
        upload=SimpleUploadedFile(name, PDF),
        original_name=name,
        content_type="application/pdf",
        sha256="1" * 64,
        declared=True,
    )


def mark(cast, series: ExamSeries, value: int) -> ExamMark:
    return ExamMark.objects.create(
        enrolment=unit6(cast), series=series, mark=value, entered_by=cast.teacher
    )


def mock(cast, name: str, boundaries: bool = True) -> ExamSeries:
    series = ExamSeries.objects.create(unit=cast.unit6, name=name, kind="mock", centre=cast.centre)
    if boundaries:
        BoundarySet.objects.create(series=series, source="Ours", **BOUNDARIES)
    return series


def make_late(cast, code: str) -> None:
    assignment = cast.assignment
    assignment.deadline = date(2026, 9, 10)
    assignment.save()
    assignment.criteria.add(cast.unit30.criteria.get(code=code))


def learner_pages(cast) -> dict[str, str]:
    return {
        "home": reverse("learner_home"),
        "unit 30": reverse("learner_unit", args=[cast.enrolment.pk]),
        "unit 6": reverse("learner_unit", args=[unit6(cast).pk]),
        "upload": reverse("upload", args=[cast.enrolment.pk]),
        "glossary": reverse("glossary"),
    }


@pytest.mark.parametrize("state", ["new", "under way"])
def test_no_learner_page_uses_jargon(cast, client_for, state):
    if state == "under way":
        cast.enrolment.target_grade = "M"
        cast.enrolment.save()
        exam_unit = unit6(cast)
        exam_unit.target_grade = "D"
        exam_unit.save()
        cast.centre.aspiration_step = 1
        cast.centre.save()
        achieve(cast, "P1")
        hand_in(cast, "P2", "M1")
        mark(cast, mock(cast, "Mock 1"), 30)
        BoundarySet.objects.filter(series__name="Mock 1").update(illustrative=True)
        make_late(cast, "P3")
    client = client_for("learner")
    for name, url in learner_pages(cast).items():
        response = client.get(url)
        assert response.status_code == 200, name
        page = text(response)
        found = [word for word in JARGON if word in page]
        assert not found, f"the {name} page says {found}"
    refused = client.post(reverse("upload", args=[cast.enrolment.pk]), {"declaration": "on"})
    found = [word for word in JARGON if word in text(refused)]
    assert not found, f"the refused upload says {found}"


def test_what_next_lists_each_grade_once_and_handed_in_work_as_waiting(cast, client_for):
    for code in ("P1", "P3", "P4", "P5", "P6", "P7", "P8", "P9"):
        achieve(cast, code)
    hand_in(cast, "P10", "M1")  # P2 not handed in; P10 and M1 wait for the teacher
    page = text(client_for("learner").get(reverse("learner_home")))
    assert "For Pass: P2 . ● P10: waiting for your teacher" in page
    assert "Then for Merit also: M2 , M3 . ● M1: waiting for your teacher" in page
    assert "Then for Distinction also: D1 ." in page
    assert page.count("P2") == 1 and page.count("M2") == 1


def test_what_next_says_when_a_grade_waits_only_on_marking(cast, client_for):
    for code in ("P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10"):
        achieve(cast, code)
    page = text(client_for("learner").get(reverse("learner_home")))
    # P1 is handed in by the cast and waits for marking.
    assert "For Pass: nothing more to hand in. ● P1: waiting for your teacher" in page
    assert "If everything you've handed in is passed Pass" in page


def test_unit6_before_the_exam_shows_the_latest_mock_not_below_target(cast, client_for):
    enrolment = unit6(cast)
    enrolment.target_grade = "M"
    enrolment.save()
    page = text(client_for("learner").get(reverse("learner_unit", args=[enrolment.pk])))
    assert "Exam Not sat yet" in page and "No mock marks yet" in page
    assert "Below" not in page and "Unclassified" not in page
    mark(cast, mock(cast, "Mock 1"), 40)
    page = text(client_for("learner").get(reverse("learner_unit", args=[enrolment.pk])))
    assert "Latest mock Merit Mock 1: 40 out of 60. A guide only" in page
    assert "Below" not in page and "Unclassified" not in page


def test_unit6_says_when_its_grade_comes_from_an_older_mock(cast, client_for):
    enrolment = unit6(cast)
    mark(cast, mock(cast, "Mock 1"), 30)
    mark(cast, mock(cast, "Mock 2", boundaries=False), 50)
    page = text(client_for("learner").get(reverse("learner_unit", args=[enrolment.pk])))
    assert (
        "Latest mock Pass Mock 1: 30 out of 60. Mock 2 (50 out of 60) is newer but has no"
        " grade boundaries yet, so this grade comes from an older mock." in page
    )


def test_unit6_says_when_no_mock_has_a_grade_yet(cast, client_for):
    enrolment = unit6(cast)
    mark(cast, mock(cast, "Mock 1", boundaries=False), 30)
    page = text(client_for("learner").get(reverse("learner_unit", args=[enrolment.pk])))
    assert "Latest mock Mock 1: 30 out of 60 · no grade yet" in page


def test_unit6_after_the_exam_shows_the_exam_result(cast, client_for):
    enrolment = unit6(cast)
    mark(cast, mock(cast, "Mock 1"), 50)
    real = ExamSeries.objects.create(unit=cast.unit6, name="June 2027", kind="real")
    BoundarySet.objects.create(series=real, source="OCR", **BOUNDARIES)
    mark(cast, real, 29)
    page = text(client_for("learner").get(reverse("learner_unit", args=[enrolment.pk])))
    assert "Exam June 2027: 29 out of 60 · Pass" in page
    assert "From the exam June 2027." in page


def test_unit6_topics_are_grouped_by_outcome_in_closed_sections(cast, client_for):
    enrolment = unit6(cast)
    topic = cast.unit6.learning_outcomes.order_by("number").first().topics.first()
    decision = decision_for(enrolment, topic)
    record_decision(decision, cast.teacher, Status.ACHIEVED, "", decision.revision)
    response = client_for("learner").get(reverse("learner_unit", args=[enrolment.pk]))
    body = response.content.decode()
    outcomes = cast.unit6.learning_outcomes.count()
    assert body.count('<details class="outcome') == outcomes
    assert "<details open" not in body
    first = cast.unit6.learning_outcomes.order_by("number").first()
    assert f"1 of {first.topics.count()} topics achieved" in text(response)


def test_the_glossary_explains_the_words_pages_link_to(cast, client_for):
    page = client_for("learner").get(reverse("glossary")).content.decode()
    for anchor in (
        "criterion",
        "merit",
        "distinction",
        "near-pass",
        "internal-verification",
        "resubmission",
        "evidence",
        "target-grade",
        "glh",
        "points",
    ):
        assert f'id="{anchor}"' in page, anchor
    home = client_for("learner").get(reverse("learner_home")).content.decode()
    assert reverse("glossary") + "#target-grade" in home
    assert reverse("glossary") + "#criterion" in home


def upload_data(cast, name="booklet.pdf", content=PDF, codes=("P2",), declared=True) -> dict:
    data = {
        "file": SimpleUploadedFile(name, content),
        "items": [f"c:{cast.unit30.criteria.get(code=code).pk}" for code in codes],
    }
    if declared:
        data["declaration"] = "on"
    return data


def test_an_oversized_file_gets_one_message_and_is_asked_for_again(cast, client_for, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    response = client_for("learner").post(
        reverse("upload", args=[cast.enrolment.pk]),
        upload_data(cast, "video.pdf", PDF + b"0" * 5000),
    )
    page = text(response)
    assert "This field is required." not in page
    assert page.count("video.pdf is larger than the 1000 bytes limit") == 2  # summary, field
    assert "choose the file again" in page
    assert 'href="#id_file"' in response.content.decode()


def test_the_error_summary_links_to_each_field_with_a_problem(cast, client_for):
    response = client_for("learner").post(
        reverse("upload", args=[cast.enrolment.pk]), upload_data(cast, codes=(), declared=False)
    )
    body = response.content.decode()
    assert "there are 2 problems" in text(response)
    assert 'href="#id_items_0"' in body and 'href="#id_declaration"' in body
    assert "data-error-summary" in body


def test_the_file_input_carries_the_size_limit_for_the_browser(cast, client_for, settings):
    settings.EVIDENCE_MAX_BYTES = 50 * 1024 * 1024
    body = client_for("learner").get(reverse("upload", args=[cast.enrolment.pk])).content
    assert b'data-max-bytes="52428800"' in body and b'data-max-size="50.0 MB"' in body


def test_a_new_version_does_not_tick_again_or_resubmit_what_is_achieved(cast, client_for):
    first = hand_in(cast, "P2", name="booklet.pdf")
    achieve(cast, "P1")
    client = client_for("learner")
    url = reverse("upload", args=[cast.enrolment.pk]) + f"?replaces={first.pk}"
    form = client.get(url).context["form"]
    assert form.initial["items"] == [f"c:{cast.unit30.criteria.get(code='P2').pk}"]
    p1_before = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    data = upload_data(cast, "booklet-v2.pdf", codes=("P1", "P2"))
    response = client.post(url, data, follow=True)
    page = text(response)
    assert "Handed in booklet-v2.pdf." in page
    assert "P2: still waiting for your teacher, with this file added." in page
    assert "P1: already achieved, and stays achieved." in page
    assert "submitted" not in page.split("My uploads")[0].lower().replace("● submitted", "")
    p1 = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    assert (p1.status, p1.revision) == (Status.ACHIEVED, p1_before.revision)


def test_a_hand_in_says_what_now_waits_for_the_teacher(cast, client_for):
    url = reverse("upload", args=[cast.enrolment.pk])
    response = client_for("learner").post(url, upload_data(cast, codes=("P2", "M1")), follow=True)
    assert "Handed in booklet.pdf. P2, M1: waiting for your teacher to mark." in text(response)


def test_late_work_is_named_in_plain_words(cast, client_for):
    make_late(cast, "P3")
    client = client_for("learner")
    for url in (reverse("learner_home"), reverse("learner_unit", args=[cast.enrolment.pk])):
        assert '⚠ Late: P3 for "Handout" (the deadline has passed)' in text(client.get(url))


def test_aim_higher_is_left_out_when_it_is_the_target(cast, client_for):
    cast.centre.aspiration_step = 1
    cast.centre.save()
    cast.enrolment.target_grade = "D"
    cast.enrolment.save()
    exam_unit = unit6(cast)
    exam_unit.target_grade = "P"
    exam_unit.save()
    page = text(client_for("learner").get(reverse("learner_home")))
    assert page.count("Aim higher") == 1
    assert "Aim higher: Merit, one step above your target" in page


def unit6_upload_url(cast) -> str:
    return reverse("upload", args=[unit6(cast).pk])


def test_unit6_upload_topics_come_folded_by_learning_outcome(cast, client_for):
    topics = list(
        TopicItem.objects.filter(learning_outcome__unit=cast.unit6).order_by(
            "learning_outcome__number", "order"
        )
    )
    outcomes = cast.unit6.learning_outcomes.order_by("number")
    body = client_for("learner").get(unit6_upload_url(cast)).content.decode()
    groups = re.findall(r"<details class=\"item-group[^\"]*\"( open)?>", body)
    assert len(groups) == outcomes.count() and not any(groups)
    for outcome in outcomes:
        assert f"LO{outcome.number}: {outcome.title}" in body
        assert f'<legend class="visually-hidden">LO{outcome.number}: {outcome.title}' in body
    # One field, one box per topic, each with the id it always had.
    assert body.count('name="items"') == len(topics)
    assert f'value="{topics[0].key}" id="id_items_0"' in body
    assert f'id="id_items_{len(topics) - 1}"' in body
    # Unit 30's few criteria stay one plain list.
    plain = client_for("learner").get(reverse("upload", args=[cast.enrolment.pk])).content
    assert b"item-group" not in plain and b'id="id_items_0"' in plain


def test_a_refused_unit6_upload_opens_the_sections_with_ticked_topics(cast, client_for):
    topics = list(
        TopicItem.objects.filter(learning_outcome__unit=cast.unit6).select_related(
            "learning_outcome"
        )
    )
    last = max(topics, key=lambda topic: (topic.learning_outcome.number, topic.pk))
    response = client_for("learner").post(unit6_upload_url(cast), {"items": [last.key]})
    body = response.content.decode()
    opened = re.findall(r"<details class=\"item-group[^\"]*\"( open)?>", body)
    assert opened.count(" open") == 1 and opened[-1] == " open"
    assert f'value="{last.key}" id="id_items_{len(topics) - 1}" checked' in body
    assert "· 1 ticked" in body
    assert "Choose the file to hand in." in text(response)


def test_nothing_ticked_on_unit6_opens_the_first_section_where_the_error_links(cast, client_for):
    response = client_for("learner").post(unit6_upload_url(cast), {"declaration": "on"})
    body = response.content.decode()
    opened = re.findall(r"<details class=\"item-group[^\"]*\"( open)?>", body)
    assert opened[0] == " open" and opened.count(" open") == 1
    assert 'href="#id_items_0"' in body
    assert 'aria-describedby="id_items_error"' in body and 'id="id_items_error"' in body
    assert text(response).count("Tick at least one thing this work covers.") == 2
    # A topic that is not one of the unit's is refused as before, never a 500.
    response = client_for("learner").post(unit6_upload_url(cast), {"items": ["t:999999"]})
    assert response.status_code == 200 and "not one of the available choices" in text(response)


def test_a_unit6_upload_through_the_folded_form_hands_in(cast, client_for):
    topic = TopicItem.objects.filter(learning_outcome__unit=cast.unit6).first()
    response = client_for("learner").post(
        unit6_upload_url(cast),
        {"file": SimpleUploadedFile("notes.pdf", PDF), "items": [topic.key], "declaration": "on"},
        follow=True,
    )
    assert "Handed in notes.pdf." in text(response)
    assert unit6(cast).evidence.get().links.get().topic == topic
