"""An action raised once stays one action: saving the verification again (the overall
judgement after the action) neither asks for the action again nor raises a second one."""

from datetime import date

import pytest
from django.urls import reverse

from tracker.assessment.services import decision_for, record_decision
from tracker.models import Action
from tracker.verification.services import VerificationError, close_action, respond, verify

DUE = date(2027, 1, 15)


@pytest.fixture
def disagreed(cast):
    """The teacher achieved P1 and P2; the IV agreed with P1 and raised an action on P2."""
    for code in ("P1", "P2"):
        decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code=code))
        record_decision(decision, cast.teacher, "achieved", "", decision.revision)
    p1 = cast.enrolment.decisions.get(criterion__code="P1")
    p2 = cast.enrolment.decisions.get(criterion__code="P2")
    raised = verify(
        cast.sample_item,
        cast.iv,
        {p1.pk: (True, ""), p2.pk: (False, "Not linked")},
        "",
        "",
        {p2.pk: ("Reassess P2", DUE)},
    )
    assert raised == 1
    return p1, p2


def test_the_verify_page_shows_the_open_action_instead_of_asking_again(cast, client_for, disagreed):
    p1, p2 = disagreed
    html = client_for("iv").get(reverse("iv_verify", args=[cast.sample_item.pk])).content.decode()
    assert f'name="action-{p2.pk}"' not in html and f'name="due-{p2.pk}"' not in html
    assert "Reassess P2" in html.split("Overall judgement")[0]
    assert f'name="action-{p1.pk}"' in html  # an agreed decision may still be questioned


def test_recording_the_judgement_after_the_action_raises_nothing_new(cast, client_for, disagreed):
    p1, p2 = disagreed
    iv = client_for("iv")
    response = iv.post(
        reverse("iv_verify", args=[cast.sample_item.pk]),
        # What the page sends now: the checks as they were, and the overall judgement.
        {
            f"agree-{p1.pk}": "yes",
            f"agree-{p2.pk}": "no",
            f"comment-{p2.pk}": "Not linked",
            "judgement": "disagree",
            "overall": "P2 over-generous.",
        },
        follow=True,
    )
    assert "Verification saved; 0 action(s) raised." in response.content.decode()
    cast.sample_item.refresh_from_db()
    assert cast.sample_item.judgement == "disagree"
    assert Action.objects.filter(decision=p2).count() == 1


def test_the_same_action_posted_again_is_still_one_action(cast, client_for, disagreed):
    """A page opened before the action was raised sends it again."""
    p1, p2 = disagreed
    data = {
        f"agree-{p2.pk}": "no",
        f"action-{p2.pk}": "Reassess P2",
        f"due-{p2.pk}": "2027-01-15",
        "judgement": "disagree",
    }
    client_for("iv").post(reverse("iv_verify", args=[cast.sample_item.pk]), data)
    assert Action.objects.filter(decision=p2).count() == 1


def test_the_service_never_raises_a_second_open_action(cast, disagreed):
    p1, p2 = disagreed
    again = verify(cast.sample_item, cast.iv, {p2.pk: (False, "")}, "", "", {})
    same = verify(
        cast.sample_item, cast.iv, {p2.pk: (False, "")}, "", "", {p2.pk: ("Reassess P2", DUE)}
    )
    assert again == same == 0
    changed = verify(
        cast.sample_item,
        cast.iv,
        {p2.pk: (False, "")},
        "disagree",
        "",
        {p2.pk: ("Reassess P2 with the mark scheme", date(2027, 2, 1))},
    )
    assert changed == 0
    (action,) = Action.objects.filter(decision=p2)
    assert (action.what, action.due_on, action.state) == (
        "Reassess P2 with the mark scheme",
        date(2027, 2, 1),
        "open",
    )
    assert "1 changed" in cast.sample.records.last().what


def test_an_action_awaiting_review_is_closed_before_another_is_raised(cast, disagreed):
    p1, p2 = disagreed
    action = Action.objects.get(decision=p2)
    respond(action, cast.teacher, "Done")
    with pytest.raises(VerificationError, match="awaiting your review: close it"):
        verify(cast.sample_item, cast.iv, {p2.pk: (False, "")}, "", "", {p2.pk: ("More", DUE)})
    assert Action.objects.filter(decision=p2).count() == 1
    close_action(action, cast.iv)
    assert (
        verify(cast.sample_item, cast.iv, {p2.pk: (False, "")}, "", "", {p2.pk: ("More", DUE)}) == 1
    )
    assert Action.objects.filter(decision=p2, state="open").count() == 1


def test_a_disagreement_with_no_action_at_all_still_needs_one(cast, disagreed):
    p1, p2 = disagreed
    with pytest.raises(VerificationError, match="Say what the assessor must do about P1"):
        verify(cast.sample_item, cast.iv, {p1.pk: (False, "")}, "", "", {})
