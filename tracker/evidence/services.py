"""Evidence workflows: a learner hands work in against criteria, or withdraws it.

Each runs in one transaction and raises AssessmentError, which views show as a message.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from criteria.models import Criterion, TopicItem
from tracker.assessment.deadlines import criterion_due, late_by
from tracker.assessment.services import (
    AssessmentError,
    change_status,
    decision_for,
    refuse_if_left,
)
from tracker.models import (
    Decision,
    Enrolment,
    Evidence,
    EvidenceLink,
    Status,
    User,
)
from tracker.notifications import services as notifications


@dataclass(frozen=True)
class Claim:
    """Evidence claimed against one criterion or topic item, at a location."""

    item: Criterion | TopicItem
    location: str = ""


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
    form_token: str = "",
) -> Evidence:
    """Store evidence against criteria or topics and mark them submitted for assessment.

    Each claimed criterion records its deadline and how late the work came in
    (`tracker.assessment.deadlines`); topics have no deadline, and an assessor's observation
    or witness statement is never late.

    `form_token` is the one-time token of the form it came from: a second hand-in with the
    same token raises IntegrityError (the database's unique constraint decides a race), and
    nothing of it is left behind, neither rows nor the stored file.
    """
    refuse_if_left(enrolment.learner)
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
                form_token=form_token or None,
            )
            if upload is not None:
                evidence.file.save(original_name or "evidence", upload, save=False)
            evidence.save()
            due = criterion_due(
                enrolment.learner,
                enrolment.unit_id,
                [c.item.pk for c in claims if isinstance(c.item, Criterion)],
            )
            links = []
            for claim in claims:
                is_criterion = isinstance(claim.item, Criterion)
                due_at = due.get(claim.item.pk) if is_criterion else None
                links.append(
                    EvidenceLink(
                        evidence=evidence,
                        location=claim.location,
                        due_at=due_at,
                        # Observation and witness statements are the assessor's, not a hand-in.
                        late_by=late_by(evidence.uploaded_at, due_at)
                        if kind == Evidence.Kind.UPLOAD
                        else None,
                        **{"criterion" if is_criterion else "topic": claim.item},
                    )
                )
            EvidenceLink.objects.bulk_create(links)
            for claim in claims:
                decision = decision_for(enrolment, claim.item)
                if decision.status in (Status.NOT_STARTED, Status.NOT_YET):
                    # Only a hand-in after an assessed submission is a resubmission.
                    resubmission = decision.status == Status.NOT_YET and decision.attempts
                    note = "resubmission" if resubmission else ""
                    change_status(decision, uploader, Status.SUBMITTED, note)
                    decision.submitted_at = now
                    decision.save()
    except BaseException:
        # The rows were rolled back; the stored file must not outlive them.
        if evidence is not None and evidence.file.name:
            evidence.file.storage.delete(evidence.file.name)
        raise
    notifications.evidence_handed_in(evidence)
    return evidence


def assessed_since(evidence: Evidence) -> list[Decision]:
    """Return the decisions that make this evidence part of the record: decisions on the
    criteria it covers, assessed (achieved or not yet achieved) after it arrived, and any
    assessed decision linked to it."""
    covered = Q()
    for link in evidence.links.all():
        covered |= Q(criterion_id=link.criterion_id, topic_id=link.topic_id)
    if not covered:
        return []
    return list(
        Decision.objects.filter(enrolment_id=evidence.enrolment_id)
        .filter(status__in=[Status.ACHIEVED, Status.NOT_YET])
        .filter(covered)
        .filter(Q(decided_at__gte=evidence.uploaded_at) | Q(evidence=evidence))
        .distinct()
    )


def withdraw_evidence(evidence: Evidence, user: User) -> None:
    """Hide unassessed evidence from assessment; it stays in the record.

    Evidence that covers a criterion assessed after it arrived cannot be withdrawn: the
    decision (and the Unit Recording Sheet) rests on it. A criterion left with no evidence
    waiting for assessment (none, or only evidence assessed already) returns to where it was
    before the evidence was handed in.
    """
    if evidence.withdrawn_at:
        raise AssessmentError("This evidence is already withdrawn.")
    assessed = assessed_since(evidence)
    if assessed:
        codes = ", ".join(sorted({decision.item_code for decision in assessed}))
        raise AssessmentError(
            f"This evidence cannot be withdrawn: your teacher has assessed {codes} on it."
        )
    with transaction.atomic():
        evidence.withdrawn_at = timezone.now()
        evidence.save(update_fields=["withdrawn_at"])
        for link in evidence.links.select_related("criterion", "topic"):
            item = link.criterion or link.topic
            decision = decision_for(evidence.enrolment, item)
            # Other evidence still waiting for this item: handed in since it was last
            # assessed (evidence already assessed keeps nothing waiting).
            others = (
                Evidence.objects.current()
                .filter(enrolment=evidence.enrolment)
                .filter(links__criterion=link.criterion, links__topic=link.topic)
                .exclude(pk=evidence.pk)
            )
            if decision.decided_at:
                others = others.filter(uploaded_at__gt=decision.decided_at).exclude(
                    pk__in=decision.evidence.values("pk")
                )
            if decision.status == Status.SUBMITTED and not others.exists():
                handed_in = decision.changes.filter(new_status=Status.SUBMITTED).first()
                back = handed_in.old_status if handed_in else Status.NOT_STARTED
                change_status(decision, user, back, "evidence withdrawn")
                decision.save()
