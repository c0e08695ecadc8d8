"""Internal verifiers' pages and the assessor's side of actions."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker import access
from tracker.assessment.progress import progress_for
from tracker.evidence.items import annotate_items, evidence_by_item
from tracker.models import (
    Action,
    Enrolment,
    Sample,
    SampleItem,
    staff_centre_id,
)
from tracker.verification.services import (
    VerificationError,
    close_action,
    create_sample,
    include,
    own_decisions,
    reopen,
    respond,
    sign_off,
    verify,
)


def _samples(user):
    rules = Q(verifier=user)
    if access.has_role(user, "centre_admin"):
        rules |= Q(group__centre_id=staff_centre_id(user))
    return Sample.objects.filter(rules)


def get_sample(user, pk: int) -> Sample:
    return get_object_or_404(_samples(user).select_related("group", "unit", "verifier"), pk=pk)


def get_item(user, pk: int) -> SampleItem:
    return get_object_or_404(
        SampleItem.objects.filter(sample__in=_samples(user)).select_related(
            "sample__group",
            "sample__unit",
            "sample__verifier",
            "enrolment__learner",
            "enrolment__unit__suite",
            "enrolment__learner__group",
        ),
        pk=pk,
    )


def _verifier_only(user, item: SampleItem) -> None:
    if item.sample.verifier_id != user.pk:
        raise PermissionDenied("Only the sample's internal verifier can do this.")
    if own_decisions(item.enrolment, user):
        raise PermissionDenied(
            "You made decisions for this learner's unit: another internal verifier must verify it."
        )


@require_POST
@access.role_required("internal_verifier")
def start_sample(request: HttpRequest) -> HttpResponse:
    """Create a proposed sample for a group and unit the user verifies."""
    group = get_object_or_404(request.user.verified_groups.all(), pk=request.POST.get("group") or 0)
    unit = get_object_or_404(group.units.all(), pk=request.POST.get("unit") or 0)
    kind = (
        request.POST.get("kind")
        if request.POST.get("kind") in Sample.Kind.values
        else (Sample.Kind.INTERIM)
    )
    criteria = unit.criteria.filter(pk__in=request.POST.getlist("criteria"))
    sample = create_sample(group, unit, request.user, kind, list(criteria))
    return redirect("iv_sample", pk=sample.pk)


@require_safe
@login_required
def sample_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sample = get_sample(request.user, pk)
    items = sample.items.select_related("enrolment__learner", "signed_off_by").prefetch_related(
        "actions"
    )
    in_sample = {item.enrolment_id for item in items if item.included}
    others = [
        e
        for e in Enrolment.objects.filter(learner__group=sample.group, unit=sample.unit)
        .select_related("learner")
        .order_by("learner__last_name")
        if e.pk not in in_sample
    ]
    return render(
        request,
        "tracker/verification/iv_sample.html",
        {
            "sample": sample,
            "items": items,
            "others": others,
            "records": sample.records.select_related("actor"),
            "is_verifier": sample.verifier_id == request.user.pk,
        },
    )


@require_POST
@login_required
def sample_include(request: HttpRequest, pk: int) -> HttpResponse:
    sample = get_sample(request.user, pk)
    if sample.verifier_id != request.user.pk:
        raise PermissionDenied("Only the sample's internal verifier changes it.")
    enrolment = get_object_or_404(
        Enrolment.objects.filter(learner__group=sample.group, unit=sample.unit),
        pk=request.POST.get("enrolment") or 0,
    )
    try:
        include(
            sample,
            enrolment,
            request.user,
            request.POST.get("include") == "1",
            request.POST.get("note", ""),
        )
    except VerificationError as error:
        messages.error(request, str(error))
    return redirect("iv_sample", pk=sample.pk)


@require_http_methods(["GET", "POST"])
@login_required
def verify_item(request: HttpRequest, pk: int) -> HttpResponse:
    """The verifier checks each decision of a sampled learner-unit against its evidence."""
    item = get_item(request.user, pk)
    _verifier_only(request.user, item)
    (progress,) = progress_for([item.enrolment])
    annotate_items(progress, evidence_by_item(item.enrolment))
    subset = set(item.sample.criteria.values_list("pk", flat=True))
    decided = [
        e
        for e in progress.items
        if e.decision and e.decision.assessor_id and (not subset or e.item.pk in subset)
    ]
    if request.method == "POST":
        checks, actions = {}, {}
        for entry in decided:
            answer = request.POST.get(f"agree-{entry.decision.pk}")
            if answer not in ("yes", "no"):
                continue
            checks[entry.decision.pk] = (
                answer == "yes",
                request.POST.get(f"comment-{entry.decision.pk}", ""),
            )
            what = request.POST.get(f"action-{entry.decision.pk}", "").strip()
            due = request.POST.get(f"due-{entry.decision.pk}", "")
            if answer == "no" and what:
                try:
                    actions[entry.decision.pk] = (what, date.fromisoformat(due))
                except ValueError:
                    messages.error(request, f"Give a due date for the action on {entry.code}.")
                    return redirect("iv_verify", pk=item.pk)
        judgement = request.POST.get("judgement", "")
        if judgement not in SampleItem.Judgement.values:
            judgement = ""
        try:
            raised = verify(
                item, request.user, checks, judgement, request.POST.get("overall", ""), actions
            )
        except VerificationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Verification saved; {raised} action(s) raised.")
        return redirect("iv_verify", pk=item.pk)
    checks = {check.decision_id: check for check in item.checks.all()}
    for entry in decided:
        entry.check = checks.get(entry.decision.pk)
    return render(
        request,
        "tracker/verification/iv_verify.html",
        {
            "item": item,
            "progress": progress,
            "decided": decided,
            "actions": item.actions.select_related(
                "decision__criterion", "decision__topic", "assessor"
            ),
            "today": timezone.localdate(),
        },
    )


@require_POST
@login_required
def item_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_item(request.user, pk)
    _verifier_only(request.user, item)
    try:
        if request.POST.get("reopen"):
            reopen(item, request.user, request.POST.get("reason", ""))
            messages.success(request, "Reopened.")
        else:
            sign_off(item, request.user)
            messages.success(request, "Signed off.")
    except VerificationError as error:
        messages.error(request, str(error))
    return redirect("iv_verify", pk=item.pk)


@require_POST
@login_required
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    """The assessor responds to an action; the verifier closes it."""
    action = get_object_or_404(
        Action.objects.filter(
            Q(assessor=request.user) | Q(item__sample__verifier=request.user)
        ).select_related("item__sample", "decision__criterion", "decision__topic"),
        pk=pk,
    )
    try:
        if request.POST.get("close") and action.item.sample.verifier_id == request.user.pk:
            close_action(action, request.user)
            messages.success(request, "Action closed.")
            return redirect("iv_verify", pk=action.item_id)
        if action.assessor_id != request.user.pk:
            raise PermissionDenied("Only the assessor responds to an action.")
        respond(action, request.user, request.POST.get("response", ""))
        messages.success(request, "Response sent to the internal verifier.")
    except VerificationError as error:
        messages.error(request, str(error))
    return redirect("teacher_home")


@require_safe
@login_required
def item_record(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable internal verification record of one sampled learner-unit."""
    item = get_item(request.user, pk)
    return render(
        request,
        "tracker/verification/iv_record.html",
        {
            "item": item,
            "checks": item.checks.select_related(
                "decision__criterion", "decision__topic", "decision__assessor"
            ),
            "actions": item.actions.select_related("decision__criterion", "decision__topic"),
            "records": item.sample.records.filter(item=item).select_related("actor"),
        },
    )
