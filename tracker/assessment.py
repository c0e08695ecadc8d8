"""Workflows that span several models: submitting evidence and recording decisions.

Each runs in one transaction and raises AssessmentError, which views show as a message.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from criteria.models import Criterion, TopicItem
from tracker.models import (
    Decision,
    DecisionChange,
    Enrolment,
    Evidence,
    EvidenceLink,
    LeadAssessor,
    Status,
    User,
)


class AssessmentError(Exception):
    """A workflow step cannot be done; the message says why."""


class DecisionConflict(AssessmentError):
    """Someone else changed the decision since it was loaded."""


@dataclass(frozen=True)
class Claim:
    """Evidence claimed against one criterion or topic item, at a location."""

    item: Criterion | TopicItem
    location: str = ""


def decision_for(enrolment: Enrolment, item: Criterion | TopicItem) -> Decision:
    field = "criterion" if isinstance(item, Criterion) else "topic"
    decision, _ = Decision.objects.get_or_create(enrolment=enrolment, **{field: item})
    return decision


def _change(decision: Decision, user: User, new_status: str, note: str = "") -> None:
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


def submit_evidence(
    enrolment: Enrolment,
    uploader: User,
    claims: list[Claim],
    *,
    upload=None,
    original_name: str = "",
    content_type: str = "",
    sha256: str = "",
    kind: str = Evidence.Kind.UPLOAD,
    note: str = "",
    statement: str = "",
    declared: bool = False,
    replaces: Evidence | None = None,
) -> Evidence:
    """Store evidence against criteria or topics and mark them submitted for assessment."""
    if not claims:
        raise AssessmentError("Tick at least one criterion or topic this evidence covers.")
    if kind == Evidence.Kind.UPLOAD and not declared:
        raise AssessmentError("Confirm that the work is your own before uploading it.")
    for claim in claims:
        if claim.item.learning_outcome.unit_id != enrolment.unit_id:
            raise AssessmentError(f"{claim.item.code} is not part of unit {enrolment.unit.number}.")
    now = timezone.now()
    evidence = None
    try:
        with transaction.atomic():
            evidence = Evidence(
                enrolment=enrolment,
                kind=kind,
                original_name=original_name,
                content_type=content_type,
                size=upload.size if upload is not None else 0,
                sha256=sha256,
                note=note,
                statement=statement,
                declared_at=now if declared else None,
                uploaded_by=uploader,
                replaces=replaces,
                version=replaces.version + 1 if replaces else 1,
            )
            if upload is not None:
                evidence.file.save(original_name or "evidence", upload, save=False)
            evidence.save()
            EvidenceLink.objects.bulk_create(
                EvidenceLink(
                    evidence=evidence,
                    location=claim.location,
                    **{"criterion" if isinstance(claim.item, Criterion) else "topic": claim.item},
                )
                for claim in claims
            )
            for claim in claims:
                decision = decision_for(enrolment, claim.item)
                if decision.status in (Status.NOT_STARTED, Status.NOT_YET):
                    note = "resubmission" if decision.status == Status.NOT_YET else ""
                    _change(decision, uploader, Status.SUBMITTED, note)
                    decision.submitted_at = now
                    decision.save()
    except BaseException:
        # The rows were rolled back; the stored file must not outlive them.
        if evidence is not None and evidence.file.name:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence


def withdraw_evidence(evidence: Evidence, user: User) -> None:
    """Hide unassessed evidence from assessment; it stays in the record."""
    if evidence.withdrawn_at:
        raise AssessmentError("This evidence is already withdrawn.")
    if evidence.decisions.filter(status__in=[Status.ACHIEVED, Status.NOT_YET]).exists():
        raise AssessmentError("Evidence that has been assessed cannot be withdrawn.")
    with transaction.atomic():
        evidence.withdrawn_at = timezone.now()
        evidence.save(update_fields=["withdrawn_at"])
        for link in evidence.links.select_related("criterion", "topic"):
            item = link.criterion or link.topic
            decision = decision_for(evidence.enrolment, item)
            others = (
                Evidence.objects.current()
                .filter(enrolment=evidence.enrolment)
                .filter(links__criterion=link.criterion, links__topic=link.topic)
                .exclude(pk=evidence.pk)
            )
            if decision.status == Status.SUBMITTED and not others.exists():
                back = Status.NOT_YET if decision.attempts else Status.NOT_STARTED
                _change(decision, user, back, "evidence withdrawn")
                decision.save()


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
    """
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
                f"This decision was changed by {who} at {when}: reload to see it, "
                "then decide again."
            )
        if current.status == status and current.feedback == feedback.strip():
            return warnings
        assessing = current.status in (Status.SUBMITTED, Status.NOT_STARTED)
        if assessing:
            current.attempts += 1
        warnings = policy_warnings(current)
        current.feedback = feedback.strip()
        current.assessor = assessor
        current.decided_at = timezone.now()
        _change(current, assessor, status, "; ".join(part for part in [note, *warnings] if part))
        current.save()
        if evidence_ids is not None:
            current.evidence.set(
                Evidence.objects.filter(pk__in=evidence_ids, enrolment=current.enrolment)
            )
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
