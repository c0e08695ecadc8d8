"""Internal verification workflows: samples, checks, actions, sign-off. Each step is recorded."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from tracker.models import (
    Action,
    Check,
    Decision,
    Enrolment,
    Record,
    Sample,
    SampleItem,
    TeachingGroup,
    User,
)
from tracker.notifications import services as notifications
from tracker.verification.sampling import propose_sample


class VerificationError(Exception):
    """A verification step cannot be done; the message says why."""


def own_decisions(enrolment: Enrolment, user: User) -> bool:
    """Return whether the user made any decision on this learner-unit."""
    return Decision.objects.filter(enrolment=enrolment, assessor=user).exists()


def record(sample: Sample, actor: User, what: str, item: SampleItem | None = None) -> None:
    Record.objects.create(sample=sample, item=item, actor=actor, what=what)


def create_sample(group: TeachingGroup, unit, verifier: User, kind: str, criteria=()) -> Sample:
    """Create a sample from the proposal; the verifier's own learner-units are left out.

    An interim sample may name a subset of criteria: only those decisions are checked.
    """
    chosen, _, excluded = propose_sample(group, unit, verifier)
    with transaction.atomic():
        sample = Sample.objects.create(group=group, unit=unit, verifier=verifier, kind=kind)
        if criteria:
            sample.criteria.set(criteria)
        SampleItem.objects.bulk_create(
            SampleItem(
                sample=sample, enrolment=entry.progress.enrolment, reason="; ".join(entry.reasons)
            )
            for entry in chosen
        )
        record(
            sample,
            verifier,
            f"Sample proposed: {len(chosen)} learners"
            + (f", {len(excluded)} left out as the verifier's own decisions" if excluded else ""),
        )
    return sample


def include(sample: Sample, enrolment: Enrolment, actor: User, included: bool, note: str) -> None:
    """Add a learner to the sample or take one out, with the verifier's note."""
    if not note.strip():
        raise VerificationError("Say why the learner is added or removed.")
    if included and own_decisions(enrolment, actor):
        raise VerificationError(
            "You made decisions for this learner's unit: another internal verifier must verify it."
        )
    with transaction.atomic():
        item, created = SampleItem.objects.get_or_create(
            sample=sample,
            enrolment=enrolment,
            defaults={"reason": "added by the verifier", "included": included, "note": note},
        )
        if not created:
            item.included, item.note = included, note
            item.save(update_fields=["included", "note"])
        verb = "added to" if included else "removed from"
        record(sample, actor, f"{enrolment.learner.full_name} {verb} the sample: {note}", item)


def verify(
    item: SampleItem,
    verifier: User,
    checks: dict[int, tuple[bool, str]],
    judgement: str,
    comment: str,
    actions: dict[int, tuple[str, date]],
) -> int:
    """Record agreement per decision, the overall judgement, and actions for disagreements.

    A decision has at most one action not yet closed on a sampled learner-unit: saving again
    (the overall judgement after the action) asks nothing new and raises nothing new. An
    action given again for a decision whose action is still open changes that action (the
    same words and date change nothing); one whose action awaits review is refused until the
    verifier closes it. Return the number of actions raised.
    """
    if item.signed_off_at:
        raise VerificationError("This learner-unit is signed off: reopen it to change it.")
    decisions = {d.pk: d for d in Decision.objects.filter(enrolment=item.enrolment)}
    raised = changed = 0
    with transaction.atomic():
        # One verification of a learner-unit at a time, so two saves cannot both raise.
        SampleItem.objects.select_for_update().filter(pk=item.pk).first()
        existing = item.actions.order_by("pk")
        acted_on = {action.decision_id for action in existing}
        outstanding = {
            action.decision_id: action for action in existing.exclude(state=Action.State.CLOSED)
        }
        for decision_id, (agrees, _) in checks.items():
            if not agrees and decision_id not in actions and decision_id not in acted_on:
                raise VerificationError(
                    f"Say what the assessor must do about {decisions[decision_id].item_code}, "
                    "and by when."
                )
        for decision_id in actions:
            waiting = outstanding.get(decision_id)
            if waiting is not None and waiting.state != Action.State.OPEN:
                raise VerificationError(
                    f"The action on {decisions[decision_id].item_code} is awaiting your review: "
                    "close it before raising another."
                )
        for decision_id, (agrees, note) in checks.items():
            Check.objects.update_or_create(
                item=item, decision_id=decision_id, defaults={"agrees": agrees, "comment": note}
            )
        for decision_id, (what, due_on) in actions.items():
            decision = decisions[decision_id]
            action = outstanding.get(decision_id)
            if action is None:
                action = Action.objects.create(
                    item=item,
                    decision=decision,
                    assessor=decision.assessor,
                    what=what,
                    due_on=due_on,
                )
                notifications.action_raised(action)
                raised += 1
            elif (action.what, action.due_on) != (what, due_on):
                action.what, action.due_on = what, due_on
                action.save(update_fields=["what", "due_on"])
                changed += 1
        item.judgement, item.comment = judgement, comment
        item.save(update_fields=["judgement", "comment"])
        agreed = sum(1 for agrees, _ in checks.values() if agrees)
        record(
            item.sample,
            verifier,
            f"Verified {item.enrolment.learner.full_name}: {agreed} agreed, "
            f"{len(checks) - agreed} disagreed, {raised} action(s)"
            + (f", {changed} changed" if changed else "")
            + f"; judgement: {item.get_judgement_display()}",
            item,
        )
    return raised


def respond(action: Action, assessor: User, response: str) -> None:
    if not response.strip():
        raise VerificationError("Say what you did.")
    if action.state == Action.State.CLOSED:
        raise VerificationError("This action is closed.")
    action.response, action.state = response.strip(), Action.State.RESPONDED
    action.responded_at = timezone.now()
    action.save(update_fields=["response", "state", "responded_at"])
    notifications.action_responded(action)
    record(
        action.item.sample,
        assessor,
        f"Assessor responded on {action.decision.item_code}: {action.response}",
        action.item,
    )


def close_action(action: Action, verifier: User) -> None:
    action.state, action.closed_at = Action.State.CLOSED, timezone.now()
    action.save(update_fields=["state", "closed_at"])
    notifications.action_closed(action)
    record(
        action.item.sample, verifier, f"Action on {action.decision.item_code} closed", action.item
    )


def sign_off(item: SampleItem, verifier: User) -> None:
    """Sign off a learner-unit; refused while any action is not closed."""
    waiting = item.actions.exclude(state=Action.State.CLOSED).count()
    if waiting:
        raise VerificationError(f"Sign-off refused: {waiting} action(s) are not closed yet.")
    if not item.judgement:
        raise VerificationError("Record the overall judgement before signing off.")
    item.signed_off_at, item.signed_off_by = timezone.now(), verifier
    item.save(update_fields=["signed_off_at", "signed_off_by"])
    record(item.sample, verifier, f"Signed off {item.enrolment.learner.full_name}", item)


def reopen(item: SampleItem, verifier: User, reason: str) -> None:
    if not reason.strip():
        raise VerificationError("Give the reason for reopening a signed-off sample.")
    item.signed_off_at, item.signed_off_by = None, None
    item.save(update_fields=["signed_off_at", "signed_off_by"])
    record(item.sample, verifier, f"Reopened {item.enrolment.learner.full_name}: {reason}", item)
