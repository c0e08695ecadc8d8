"""Evidence pages: learners' unit pages and uploads, staff evidence, checked downloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from tracker import access
from tracker.assessment.progress import progress_for
from tracker.assessment.services import AssessmentError
from tracker.evidence.forms import (
    EvidenceForm,
    OneTimeTokenForm,
    ReplacesForm,
    StaffEvidenceForm,
    WithdrawForm,
)
from tracker.evidence.items import (
    annotate_links,
    claims_from,
    item_choices,
    topics_by_outcome,
)
from tracker.evidence.services import assessed_since, submit_evidence, withdraw_evidence
from tracker.lib.forms import valid_or_400
from tracker.lib.uploads import HashingUploadHandler, extension_of, served_type, sha256_of
from tracker.models import Enrolment, Evidence, Status
from tracker.models.assessment import LINK_ORDER


def with_handler(view):
    """Stream uploads through the hashing, size-limited handler (CSRF checked after)."""

    @csrf_exempt
    def wrapped(request, *args, **kwargs):
        handler = HashingUploadHandler(request)
        request.upload_handlers = [handler]
        try:
            return csrf_protect(view)(request, *args, **kwargs)
        finally:
            # A connection dropped mid-upload leaves a half temporary file: remove it now.
            handler.discard_unfinished()

    wrapped.__name__ = view.__name__
    return wrapped


def already_handed_in(token: str, enrolment: Enrolment) -> Evidence | None:
    """Return the evidence a form with this one-time token already made (None for no token).

    A token found on another learner-unit's evidence (no page ever shows one) answers an
    unsaved Evidence, so the hand-in is refused without naming anything of it.
    """
    if not token:
        return None
    found = Evidence.objects.filter(form_token=token).first()
    if found is not None and found.enrolment_id != enrolment.pk:
        return Evidence(enrolment=enrolment)
    return found


def _answer_handed_in(request: HttpRequest, evidence: Evidence, what: str):
    name = f": {evidence.original_name}" if evidence.pk and evidence.original_name else ""
    messages.info(request, f"{what}{name}. Nothing new was stored.")


def handed_in_message(evidence: Evidence, status_before: dict[str, str]) -> str:
    """Return what a hand-in did, by the status each covered item had before it: newly
    handed in (now waiting for the teacher), already waiting, or already achieved (it stays
    achieved; evidence never un-ticks or re-ticks it)."""
    by_status: dict[str, list[str]] = {}
    for link in evidence.links.select_related("criterion", "topic").order_by(*LINK_ORDER):
        status = status_before.get(link.item_key, Status.NOT_STARTED)
        by_status.setdefault(status, []).append((link.criterion or link.topic).code)
    fresh = by_status.get(Status.NOT_STARTED, []) + by_status.get(Status.NOT_YET, [])
    parts = [f"Handed in {evidence.original_name}."]
    if fresh:
        parts.append(f"{', '.join(fresh)}: waiting for your teacher to mark.")
    if waiting := by_status.get(Status.SUBMITTED):
        parts.append(f"{', '.join(waiting)}: still waiting for your teacher, with this file added.")
    if achieved := by_status.get(Status.ACHIEVED):
        parts.append(f"{', '.join(achieved)}: already achieved, and stays achieved.")
    return " ".join(parts)


@require_safe
@login_required
def learner_unit(request: HttpRequest, pk: int) -> HttpResponse:
    """A learner's unit: progress, what next, every criterion with feedback and evidence,
    each piece of evidence handed in late saying so ("Handed in 3 days late (deadline 12
    March)", as stored at hand-in)."""
    enrolment = access.get_own_enrolment(request.user, pk)
    (progress,) = progress_for([enrolment])
    annotate_links(progress, enrolment)
    uploads = (
        enrolment.evidence.select_related("uploaded_by")
        .prefetch_related("links__criterion", "links__topic", "decisions")
        .order_by("-uploaded_at")
    )
    context = {
        "progress": progress,
        "enrolment": enrolment,
        "uploads": uploads,
        "outcomes": topics_by_outcome(progress),
    }
    return render(request, "tracker/evidence/learner_unit.html", context)


@with_handler
@login_required
def upload_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a file against criteria (or topics), with the authenticity declaration."""
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    enrolment = access.get_own_enrolment(request.user, pk)
    (progress,) = progress_for([enrolment])
    replaces = None
    replaces_pk = valid_or_400(ReplacesForm(request.GET))["replaces"]
    if replaces_pk:
        replaces = access.get_evidence_for_user(request.user, replaces_pk)
        if replaces.enrolment_id != enrolment.pk:
            raise PermissionDenied
    status_of = {entry.key: entry.status for entry in progress.items}
    # A new version covers what the old one did, except what is already achieved: that stays
    # achieved whatever is handed in, so it is not ticked again.
    initial = (
        {
            "items": [
                key
                for link in replaces.links.all()
                if status_of.get(key := link.item_key) != Status.ACHIEVED
            ]
        }
        if replaces
        else {}
    )
    form = EvidenceForm(
        request.POST or None,
        request.FILES or None,
        items=item_choices(progress),
        too_large=getattr(request, "upload_too_large", None),
        # Unit 6's 63 topics come folded by learning outcome, so a phone shows a short page.
        outcomes=[
            (f"LO{group.number}: {group.title}", [entry.key for entry in group.entries])
            for group in topics_by_outcome(progress)
        ],
        initial=initial,
    )
    if request.method == "POST":
        # The same form sent again (a double tap, a refresh): nothing new, the same answer.
        token = OneTimeTokenForm(request.POST).cleaned_token()
        if done := already_handed_in(token, enrolment):
            _answer_handed_in(request, done, "Already handed in")
            return redirect("learner_unit", pk=enrolment.pk)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            evidence = submit_evidence(
                enrolment,
                request.user,
                claims_from(progress, form.cleaned_data["items"], form.cleaned_data["location"]),
                upload=upload,
                original_name=upload.name,
                content_type=form.checked.content_type,
                sha256=getattr(upload, "sha256", "") or sha256_of(upload),
                note=form.cleaned_data["note"],
                declared=form.cleaned_data["declaration"],
                replaces=replaces if replaces and not hasattr(replaces, "replaced_by") else None,
                form_token=token,
            )
        except IntegrityError:
            # Lost a race with the same form sent at the same moment: the other one stored it.
            done = already_handed_in(token, enrolment)
            if done is None:
                raise
            _answer_handed_in(request, done, "Already handed in")
            return redirect("learner_unit", pk=enrolment.pk)
        except AssessmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, handed_in_message(evidence, status_of))
            return redirect("learner_unit", pk=enrolment.pk)
    return render(
        request,
        "tracker/evidence/upload.html",
        {"form": form, "enrolment": enrolment, "replaces": replaces},
    )


@require_http_methods(["GET", "POST"])
@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw unassessed evidence (it stays in the record, hidden from assessment).

    GET asks first: what is withdrawn and what it means; only the confirming POST withdraws.
    """
    evidence = access.get_evidence_for_user(request.user, pk)
    if evidence.enrolment.learner.user_id != request.user.pk:
        raise PermissionDenied("Only the learner can withdraw their evidence.")
    if request.method == "GET":
        if evidence.withdrawn_at:
            messages.info(request, f"{evidence.title} is already withdrawn.")
            return redirect("learner_unit", pk=evidence.enrolment_id)
        links = evidence.links.select_related("criterion", "topic").order_by(*LINK_ORDER)
        codes = [(link.criterion or link.topic).code for link in links]
        assessed = sorted({decision.item_code for decision in assessed_since(evidence)})
        return render(
            request,
            "tracker/evidence/withdraw.html",
            {
                "evidence": evidence,
                "enrolment": evidence.enrolment,
                "codes": ", ".join(codes),
                "assessed": ", ".join(assessed),
                "form": WithdrawForm(),
            },
        )
    valid_or_400(WithdrawForm(request.POST))
    try:
        withdraw_evidence(evidence, request.user)
    except AssessmentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{evidence.title} withdrawn. It stays in your record.")
    return redirect("learner_unit", pk=evidence.enrolment_id)


@require_safe
@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    """Send evidence as an attachment to someone allowed to see it; never a public URL."""
    evidence = access.get_evidence_for_user(request.user, pk)
    if not evidence.file:
        raise access.Http404("This evidence has no file.")
    inline = request.GET.get("preview") == "1" and evidence.is_previewable
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=not inline,
        filename=evidence.original_name or "evidence",
        # The type comes from the allow-list by extension, never from what was stored or sniffed,
        # so a file with markup inside is never sent as a page.
        content_type=served_type(evidence.original_name),
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Nothing in the file may run or load anything. Chrome will not open its PDF viewer in a
    # sandboxed document, so a PDF preview goes without `sandbox` (scripts stay blocked).
    pdf_preview = inline and extension_of(evidence.original_name) == "pdf"
    response["Content-Security-Policy"] = "default-src 'none'" + (
        "" if pdf_preview else "; sandbox"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@with_handler
@login_required
def staff_evidence(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """A teacher adds an observation, witness testimony or recording for a learner."""
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405)
    enrolment = access.get_enrolment_for_user(request.user, pk, enrolment_pk)
    if not access.can_assess(request.user, enrolment.learner):
        raise PermissionDenied("Only the learner's teachers add evidence for them.")
    (progress,) = progress_for([enrolment])
    form = StaffEvidenceForm(
        request.POST or None,
        request.FILES or None,
        items=item_choices(progress),
        too_large=getattr(request, "upload_too_large", None),
    )
    if request.method == "POST":
        token = OneTimeTokenForm(request.POST).cleaned_token()
        if done := already_handed_in(token, enrolment):
            _answer_handed_in(request, done, "Already added")
            return redirect("mark", pk=enrolment.learner_id, enrolment_pk=enrolment.pk)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        kind = form.cleaned_data["kind"]
        try:
            submit_evidence(
                enrolment,
                request.user,
                claims_from(progress, form.cleaned_data["items"], form.cleaned_data["location"]),
                upload=upload,
                original_name=upload.name if upload else "",
                content_type=form.checked.content_type if upload else "",
                sha256=(getattr(upload, "sha256", "") or sha256_of(upload)) if upload else "",
                kind=kind,
                statement=form.cleaned_data["statement"],
                form_token=token,
            )
        except IntegrityError:
            done = already_handed_in(token, enrolment)
            if done is None:
                raise
            _answer_handed_in(request, done, "Already added")
            return redirect("mark", pk=enrolment.learner_id, enrolment_pk=enrolment.pk)
        messages.success(request, "Evidence added.")
        return redirect("mark", pk=enrolment.learner_id, enrolment_pk=enrolment.pk)
    return render(
        request, "tracker/evidence/staff_evidence.html", {"form": form, "enrolment": enrolment}
    )
