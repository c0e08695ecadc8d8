"""Assessment workflows: recording decisions, their history, and authorising resubmissions.

Each runs in one transaction and raises AssessmentError, which views show as a message."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from criteria.models import Criterion, TopicItem
from tracker.models import (
    Decision,
    DecisionChange,
    Enrolment,
    Evidence,
    LeadAssessor,
    Status,
    User,
)
from tracker.notifications import services as notifications


class AssessmentError(Exception):
    """A workflow step cannot be done; the message says why."""


class DecisionConflict(AssessmentError):
    """Someone else changed the decision since it was loaded.

    `stored` is the decision as it now stands; `changed_by` and `changed_at` (local time,
    "HH:MM") say who made its last change and when, for pages that show the stored version.
    """

    def __init__(self, message: str, stored: Decision, changed_by: str, changed_at: str):
        super().__init__(message)
        self.stored = stored
        self.changed_by = changed_by
        self.changed_at = changed_at

    @property
    def by_whom(self) -> str:
        """ " by Priya Shah at 10:42" for a sentence, or "" when the change left no history
        (nothing is then said rather than "by someone at ")."""
        return f" by {self.changed_by} at {self.changed_at}" if self.changed_at else ""


def refuse_if_left(learner) -> None:
    """Raise AssessmentError when the learner has left the centre.

    A leaver's records are kept read-only (DESIGN, leavers): nothing new is decided,
    handed in or predicted for them until a centre admin reinstates them.
    """
    if learner.left_on is not None:
        raise AssessmentError(
            f"{learner.full_name} left on {learner.left_on:%d/%m/%Y}: their record is read-only. "
            "A centre admin can reinstate them from their learner page."
        )


def decision_for(enrolment: Enrolment, item: Criterion | TopicItem) -> Decision:
    field = "criterion" if isinstance(item, Criterion) else "topic"
    decision, _ = Decision.objects.get_or_create(enrolment=enrolment, **{field: item})
    return decision


def change_status(decision: Decision, user: User, new_status: str, note: str = "") -> None:
    DecisionChange.objects.create(
        decision=decision,
        changed_by=user,
        old_status=decision.status,
        new_status=new_status,
        feedback=decision.feedback if new_status in (Status.ACHIEVED, Status.NOT_YET) else "",
        attempt=decision.attempts,
        note=note,
    )
    decision.status = new_status
    decision.revision += 1


def record_decision(
    decision: Decision,
    assessor: User,
    status: str,
    feedback: str,
    revision: int,
    evidence_ids: list[int] | None = None,
    note: str = "",
) -> list[str]:
    """Record an assessment decision and return warnings (resubmission policy).

    The decision must still be at `revision`: otherwise someone else saved it since the
    assessor loaded it, and the save is refused rather than overwriting their work.

    The decision links the evidence it was made on: `evidence_ids` when the page listed them
    (the marking page), otherwise the learner's current evidence for the criterion (the grid,
    data sheets), so that evidence behind a decision can never be withdrawn. Only an assessed
    submission counts as an attempt: deciding a criterion nothing was handed in for (e.g. "not
    yet achieved: nothing handed in") is not one, so the first hand-in is not a resubmission.
    """
    refuse_if_left(decision.enrolment.learner)
    if status not in (Status.ACHIEVED, Status.NOT_YET):
        raise AssessmentError("Choose achieved or not yet achieved.")
    warnings = []
    with transaction.atomic():
        current = Decision.objects.select_for_update().get(pk=decision.pk)
        if current.revision != revision:
            last = current.changes.select_related("changed_by").first()
            who = last.changed_by if last else "someone"
            when = timezone.localtime(last.changed_at).strftime("%H:%M") if last else ""
            raise DecisionConflict(
                f"This decision was changed{f' by {who} at {when}' if last else ''} since you "
                "loaded it: reload to see it, then decide again.",
                stored=current,
                changed_by=str(who),
                changed_at=when,
            )
        if current.status == status and current.feedback == feedback.strip():
            return warnings
        if current.status == Status.SUBMITTED:
            current.attempts += 1
        warnings = policy_warnings(current)
        current.feedback = feedback.strip()
        current.assessor = assessor
        current.decided_at = timezone.now()
        change_status(
            current, assessor, status, "; ".join(part for part in [note, *warnings] if part)
        )
        current.save()
        if evidence_ids is not None:
            current.evidence.set(
                Evidence.objects.filter(pk__in=evidence_ids, enrolment=current.enrolment)
            )
        else:
            current.evidence.set(Evidence.objects.current().covering(current))
    notifications.decision_recorded(current)
    notifications.work_assessed(current)
    decision.refresh_from_db()
    return warnings


def policy_warnings(decision: Decision) -> list[str]:
    """Return the centre resubmission policy's warnings for assessing this attempt."""
    resubmissions = decision.attempts - 1
    warnings = []
    if resubmissions > settings.RESUBMISSIONS_ALLOWED:
        warnings.append(
            f"Attempt {decision.attempts}: beyond the centre's policy of "
            f"{settings.RESUBMISSIONS_ALLOWED} resubmission(s)."
        )
    if resubmissions >= 1 and not decision.resubmission_authorised_by_id:
        warnings.append("Resubmission not authorised by the lead assessor.")
    return warnings


def authorise_resubmission(decision: Decision, user: User) -> None:
    """Record the lead assessor's authorisation of a resubmission."""
    centre_id = decision.enrolment.learner.centre_id
    lead = LeadAssessor.objects.filter(
        centre_id=centre_id, unit_id=decision.enrolment.unit_id, user=user
    ).exists()
    if not lead:
        raise AssessmentError("Only the unit's lead assessor can authorise a resubmission.")
    decision.resubmission_authorised_by = user
    decision.resubmission_authorised_at = timezone.now()
    decision.save(update_fields=["resubmission_authorised_by", "resubmission_authorised_at"])
