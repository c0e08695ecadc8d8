"""Internal verification: samples, checks, actions, sign-off, and never one's own decisions."""

from django.urls import reverse

from tests.conftest import make_learner
from tracker.assessment.services import decision_for, record_decision
from tracker.models import Action, Record, Sample, SampleItem


def assess(enrolment, unit, codes, assessor, status="achieved"):
    for code in codes:
        decision = decision_for(enrolment, unit.criteria.get(code=code))
        record_decision(decision, assessor, status, "", decision.revision)


def test_the_iv_journey_sample_disagree_action_respond_sign_off(cast, client_for):
    assess(cast.enrolment, cast.unit30, ["P1", "P2"], cast.teacher)
    iv = client_for("iv")
    response = iv.post(
        reverse("iv_start"), {"group": cast.group.pk, "unit": cast.unit30.pk, "kind": "interim"}
    )
    sample = Sample.objects.get()
    assert response.url == reverse("iv_sample", args=[sample.pk])
    item = sample.items.get(enrolment=cast.enrolment)
    assert "checks Teacher Staff's marking at Unclassified" in item.reason
    p1 = cast.enrolment.decisions.get(criterion__code="P1")
    p2 = cast.enrolment.decisions.get(criterion__code="P2")
    iv.post(
        reverse("iv_verify", args=[item.pk]),
        {
            f"agree-{p1.pk}": "yes",
            f"agree-{p2.pk}": "no",
            f"comment-{p2.pk}": "Rights are not linked to choice.",
            f"action-{p2.pk}": "Reassess P2 against the rights-choice link.",
            f"due-{p2.pk}": "2027-01-15",
            "judgement": "disagree",
            "overall": "P2 over-generous.",
        },
    )
    action = Action.objects.get()
    assert (action.assessor, action.decision, action.state) == (cast.teacher, p2, "open")
    teacher_page = client_for("teacher").get(reverse("teacher_home")).content.decode()
    assert "Reassess P2 against the rights-choice link." in teacher_page
    refused = iv.post(reverse("iv_sign_off", args=[item.pk]), follow=True)
    assert "Sign-off refused: 1 action(s) are not closed yet." in refused.content.decode()
    client_for("teacher").post(
        reverse("iv_action", args=[action.pk]), {"response": "Changed P2 to not yet achieved."}
    )
    assess(cast.enrolment, cast.unit30, ["P2"], cast.teacher, status="not_yet")
    iv.post(reverse("iv_action", args=[action.pk]), {"close": "1"})
    iv.post(reverse("iv_sign_off", args=[item.pk]))
    item.refresh_from_db()
    assert item.signed_off_by == cast.iv
    steps = list(Record.objects.filter(sample=sample).values_list("what", flat=True))
    assert steps[0].startswith("Sample proposed") and steps[-1] == "Signed off Lara Learner"
    assert any("Assessor responded on P2" in step for step in steps)
    record = iv.get(reverse("iv_record", args=[item.pk])).content.decode()
    assert "Internal verification record" in record and "Disagree" in record


def test_reopening_a_signed_off_sample_needs_a_reason(cast, client_for):
    item = cast.sample_item
    item.judgement = "agree"
    item.save()
    iv = client_for("iv")
    iv.post(reverse("iv_sign_off", args=[item.pk]))
    page = iv.post(
        reverse("iv_sign_off", args=[item.pk]), {"reopen": "1", "reason": ""}, follow=True
    )
    assert "Give the reason for reopening a signed-off sample." in page.content.decode()
    iv.post(reverse("iv_sign_off", args=[item.pk]), {"reopen": "1", "reason": "New evidence"})
    item.refresh_from_db()
    assert item.signed_off_at is None
    assert Record.objects.filter(what__contains="Reopened Lara Learner: New evidence").exists()


def test_an_iv_never_verifies_their_own_decisions(cast, client_for):
    """A teacher who is also an IV: their own learner-units are left out and refused by URL."""
    cast.teacher.is_internal_verifier = True
    cast.teacher.save()
    cast.group.internal_verifiers.add(cast.teacher)
    assess(cast.enrolment, cast.unit30, ["P1"], cast.teacher)
    other = make_learner(cast.centre, cast.group, "0099", "Ola", "Other")
    assess(other.enrolments.get(unit=cast.unit30), cast.unit30, ["P1"], cast.other_teacher)
    client = client_for("teacher")
    client.post(reverse("iv_start"), {"group": cast.group.pk, "unit": cast.unit30.pk})
    sample = Sample.objects.get(verifier=cast.teacher)
    assert list(sample.items.values_list("enrolment__learner__last_name", flat=True)) == ["Other"]
    assert (
        "left out as the verifier&#x27;s own decisions"
        in client.get(reverse("iv_sample", args=[sample.pk])).content.decode()
    )
    # Adding the learner by hand is refused, and so is opening it by URL.
    page = client.post(
        reverse("iv_include", args=[sample.pk]),
        {"enrolment": cast.enrolment.pk, "include": "1", "note": "try"},
        follow=True,
    )
    assert "another internal verifier must verify it" in page.content.decode()
    forced = SampleItem.objects.create(sample=sample, enrolment=cast.enrolment, reason="forced")
    response = client.get(reverse("iv_verify", args=[forced.pk]))
    assert response.status_code == 403
    assert "another internal verifier must verify it" in response.content.decode()


def test_new_assessors_have_every_learner_sampled(cast):
    from tracker.verification.services import create_sample

    cast.other_teacher.is_new_assessor = True
    cast.other_teacher.save()
    cast.group.teachers.add(cast.other_teacher)
    learners = [
        make_learner(cast.centre, cast.group, f"{50 + n:04d}", "N", f"L{n}") for n in range(10)
    ]
    for learner in learners:
        assess(learner.enrolments.get(unit=cast.unit30), cast.unit30, ["P1"], cast.other_teacher)
    sample = create_sample(cast.group, cast.unit30, cast.iv, "summative")
    sampled = set(sample.items.values_list("enrolment__learner__last_name", flat=True))
    assert {learner.last_name for learner in learners} <= sampled


def test_the_report_counts_per_assessor_and_unit(cast, client_for):
    action = cast.action  # the teacher achieved P1; the IV disagreed and raised an action
    item = action.item
    from tracker.models import Check

    Check.objects.create(item=item, decision=action.decision, agrees=False, comment="No.")
    page = client_for("admin").get(reverse("iv_report"))
    (row,) = [r for r in page.context["rows"] if r["assessor"] == "Teacher Staff"]
    assert row == {
        "assessor": "Teacher Staff",
        "unit": 30,
        "assessed": 1,
        "sampled": 1,
        "agreed": 0,
        "disagreed": 1,
        "open": 1,
        "closed": 0,
        "signed": 0,
    }
    assert "Show where the definition is" in page.content.decode()


def test_an_interim_sample_checks_only_the_chosen_criteria(cast, client_for):
    assess(cast.enrolment, cast.unit30, ["P1", "P2"], cast.teacher)
    iv = client_for("iv")
    iv.post(
        reverse("iv_start"),
        {
            "group": cast.group.pk,
            "unit": cast.unit30.pk,
            "kind": "interim",
            "criteria": [cast.unit30.criteria.get(code="P2").pk],
        },
    )
    item = Sample.objects.get().items.get()
    page = iv.get(reverse("iv_verify", args=[item.pk]))
    assert [entry.code for entry in page.context["decided"]] == ["P2"]
