"""Internal verifiers' pages and the assessor's side of actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker import access
from tracker.assessment.progress import progress_for
from tracker.evidence.items import annotate_items, evidence_by_item
from tracker.lib.forms import form_errors, valid_or_400
from tracker.models import Action, SampleItem
from tracker.verification.forms import (
    ActionUpdateForm,
    IncludeForm,
    SignOffForm,
    StartSampleForm,
    VerifyForm,
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
    data = valid_or_400(StartSampleForm(request.POST))
    group, unit = access.get_group_unit_for_user(
        request.user, data["group"], data["unit"], need="verify"
    )
    kind = data["kind"]
    criteria = unit.criteria.filter(pk__in=data["criteria"])
    sample = create_sample(group, unit, request.user, kind, list(criteria))
    return redirect("iv_sample", pk=sample.pk)


@require_safe
@login_required
def sample_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sample = access.get_sample_for_user(request.user, pk)
    items = (
        sample.items.select_related("enrolment__learner", "signed_off_by")
        .prefetch_related("actions")
        .annotate(
            agreed=Count("checks", filter=Q(checks__agrees=True)),
            disagreed=Count("checks", filter=Q(checks__agrees=False)),
        )
    )
    in_sample = {item.enrolment_id for item in items if item.included}
    others = [
        e
        for e in access.sample_enrolments(sample)
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
    sample = access.get_sample_for_user(request.user, pk)
    if sample.verifier_id != request.user.pk:
        raise PermissionDenied("Only the sample's internal verifier changes it.")
    data = valid_or_400(IncludeForm(request.POST))
    enrolment = access.get_sample_enrolment(sample, data["enrolment"])
    try:
        include(sample, enrolment, request.user, data["include"], data["note"])
    except VerificationError as error:
        messages.error(request, str(error))
    return redirect("iv_sample", pk=sample.pk)


@require_http_methods(["GET", "POST"])
@login_required
def verify_item(request: HttpRequest, pk: int) -> HttpResponse:
    """The verifier checks each decision of a sampled learner-unit against its evidence."""
    item = access.get_sample_item_for_user(request.user, pk)
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
        form = VerifyForm(request.POST, entries=decided)
        if not form.is_valid():
            messages.error(request, form_errors(form))
            return redirect("iv_verify", pk=item.pk)
        data = form.cleaned_data
        try:
            raised = verify(
                item,
                request.user,
                data["checks"],
                data["judgement"],
                data["overall"],
                data["actions"],
            )
        except VerificationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Verification saved; {raised} action(s) raised.")
        return redirect("iv_verify", pk=item.pk)
    checks = {check.decision_id: check for check in item.checks.all()}
    actions = list(
        item.actions.select_related("decision__criterion", "decision__topic", "assessor")
    )
    # A decision whose action is not closed yet shows that action instead of asking again.
    outstanding = {a.decision_id: a for a in actions if a.state != Action.State.CLOSED}
    for entry in decided:
        entry.check = checks.get(entry.decision.pk)
        entry.open_action = outstanding.get(entry.decision.pk)
    return render(
        request,
        "tracker/verification/iv_verify.html",
        {
            "item": item,
            "progress": progress,
            "decided": decided,
            "actions": actions,
            "today": timezone.localdate(),
        },
    )


@require_POST
@login_required
def item_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.get_sample_item_for_user(request.user, pk)
    _verifier_only(request.user, item)
    data = valid_or_400(SignOffForm(request.POST))
    try:
        if data["reopen"]:
            reopen(item, request.user, data["reason"])
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
    action = access.get_action_for_user(request.user, pk)
    data = valid_or_400(ActionUpdateForm(request.POST))
    try:
        if data["close"] and action.item.sample.verifier_id == request.user.pk:
            close_action(action, request.user)
            messages.success(request, "Action closed.")
            return redirect("iv_verify", pk=action.item_id)
        if action.assessor_id != request.user.pk:
            raise PermissionDenied("Only the assessor responds to an action.")
        respond(action, request.user, data["response"])
        messages.success(request, "Response sent to the internal verifier.")
    except VerificationError as error:
        messages.error(request, str(error))
    return redirect("teacher_home")


@require_safe
@login_required
def item_record(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable internal verification record of one sampled learner-unit."""
    item = access.get_sample_item_for_user(request.user, pk)
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
