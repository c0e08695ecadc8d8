"""Pages about groups and learners: details, targets, moving between groups."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker import access
from tracker.assessment.progress import progress_for
from tracker.lib.forms import valid_or_400
from tracker.models import Enrolment, Learner, TargetChange
from tracker.people.forms import (
    LeaveForm,
    MoveLearnerForm,
    QualificationForm,
    ReinstateForm,
    TargetForm,
)
from tracker.people.invitations import sign_in_state
from tracker.people.leavers import LeaverError, mark_left, reinstate
from tracker.people.targets import set_target
from tracker.reports.qualification_summary import summaries_for


def _enrolments_with_units():
    return Enrolment.objects.select_related("unit", "academic_year").annotate(
        criterion_count=Count("unit__criteria", distinct=True),
        topic_count=Count("unit__learning_outcomes__topics", distinct=True),
    )


@require_safe
@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """List a group's learners with their target per unit."""
    group = access.get_group_for_user(request.user, pk)
    units = list(group.units.all())
    learners = group.learners.current().prefetch_related(
        Prefetch("enrolments", queryset=Enrolment.objects.filter(academic_year=group.academic_year))
    )
    rows = []
    for learner in learners:
        targets = {e.unit_id: e.target_grade for e in learner.enrolments.all()}
        rows.append((learner, [targets.get(unit.pk) for unit in units]))
    context = {
        "group": group,
        "units": units,
        "rows": rows,
        "teachers": group.teachers.all(),
        "verifiers": group.internal_verifiers.all(),
        "qualification_summary": summaries_for(list(learners)).get(group.pk),
    }
    return render(request, "tracker/people/group_detail.html", context)


@require_safe
@login_required
def learner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a learner's details, units and target history to the staff who may see them."""
    learner = access.get_learner_for_user(request.user, pk)
    if request.user == learner.user:
        return redirect("learner_home")
    enrolments = (
        _enrolments_with_units()
        .filter(learner=learner)
        .prefetch_related(Prefetch("predictions", to_attr="prediction_history"))
    )
    changes = (
        TargetChange.objects.filter(enrolment__learner=learner)
        .select_related("enrolment__unit", "changed_by")
        .order_by("-changed_at", "-pk")
    )
    editable = access.can_edit_learner(request.user, learner)
    is_admin = access.has_role(request.user, "centre_admin")
    admin = is_admin and editable
    context = {
        "learner": learner,
        "enrolments": enrolments,
        "changes": changes,
        "editable": editable,
        "target_forms": {
            e.pk: TargetForm(initial={"target_grade": e.target_grade}, prefix=f"e{e.pk}")
            for e in enrolments
        }
        if editable
        else {},
        "move_form": MoveLearnerForm(learner=learner) if admin else None,
        "qualification_form": QualificationForm(initial={"qualification": learner.qualification_id})
        if editable
        else None,
        # Only the centre admin invites (access.get_learner_for_admin), so only they see it.
        "signin": sign_in_state(learner.user) if admin and learner.user_id else None,
        "leave_form": LeaveForm(initial={"left_on": timezone.localdate()}) if admin else None,
        "can_reinstate": is_admin and learner.left_on is not None,
    }
    return render(request, "tracker/people/learner_detail.html", context)


@require_POST
@login_required
def set_learner_target(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """Record a new target grade for one of the learner's units."""
    learner = access.get_learner_for_editing(request.user, pk)
    enrolment = access.get_enrolment_of(learner, enrolment_pk)
    form = TargetForm(request.POST, prefix=f"e{enrolment.pk}")
    if form.is_valid():
        grade = form.cleaned_data["target_grade"]
        if set_target(enrolment, grade, request.user, "teacher"):
            messages.success(request, f"Target for unit {enrolment.unit.number} updated.")
        else:
            messages.info(request, "The target was already that grade.")
    else:
        messages.error(request, "Choose Pass, Merit, Distinction or no target.")
    return redirect("learner", pk=learner.pk)


@require_http_methods(["POST"])
@access.role_required("centre_admin")
def move_learner(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a learner to another group; their records stay with them."""
    learner = access.get_learner_for_editing(request.user, pk)
    form = MoveLearnerForm(request.POST, learner=learner)
    if form.is_valid():
        old = learner.group
        learner.group = form.cleaned_data["group"]
        learner.save(update_fields=["group"])
        messages.success(
            request,
            f"{learner.full_name} moved from {old or 'no group'} to {learner.group}. "
            "Their records moved with them.",
        )
    else:
        messages.error(request, " ".join(form.errors.get("group", ["Choose a group."])))
    return redirect("learner", pk=learner.pk)


@require_http_methods(["POST"])
@access.role_required("centre_admin")
def leave_learner(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a learner as left: they can no longer sign in and their records become read-only."""
    learner = access.get_learner_for_user(request.user, pk)
    access.centre_for_admin(request.user)
    form = LeaveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("learner", pk=learner.pk)
    try:
        mark_left(learner, form.cleaned_data["left_on"], form.cleaned_data["reason"])
    except LeaverError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"{learner.full_name} is marked as left. They can no longer sign in; their records "
            "are kept, read-only, in the leavers archive.",
        )
    return redirect("learner", pk=learner.pk)


@require_http_methods(["POST"])
@access.role_required("centre_admin")
def reinstate_learner(request: HttpRequest, pk: int) -> HttpResponse:
    """Bring back a learner who left: sign-in re-enabled, back in their group."""
    learner = access.get_learner_for_user(request.user, pk)
    access.centre_for_admin(request.user)
    valid_or_400(ReinstateForm(request.POST))
    try:
        reinstate(learner)
    except LeaverError as error:
        messages.error(request, str(error))
    else:
        where = f"back in {learner.group}" if learner.group else "not in a group: move them to one"
        messages.success(request, f"{learner.full_name} is reinstated and {where}.")
    return redirect("learner", pk=learner.pk)


@require_safe
@access.role_required("centre_admin")
def leavers(request: HttpRequest) -> HttpResponse:
    """The centre's leavers, newest first, with their units and grades achieved."""
    centre = access.centre_for_admin(request.user)
    people = list(Learner.objects.filter(centre=centre).leavers().select_related("group"))
    enrolments = (
        Enrolment.objects.filter(learner__in=people)
        .select_related("unit__suite", "learner__group", "academic_year")
        .order_by("unit__number")
    )
    units: dict[int, list] = {learner.pk: [] for learner in people}
    for progress in progress_for(enrolments, with_assessors=False):
        units[progress.enrolment.learner_id].append(progress)
    rows = [(learner, units[learner.pk]) for learner in people]
    return render(request, "tracker/people/centre/leavers.html", {"rows": rows})
