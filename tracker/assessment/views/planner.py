"""The what-if planner: pick grades for the units not finished and see the qualification
grade and UCAS points change (htmx, or a plain reload without JavaScript)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from tracker import access
from tracker.assessment.forms import PlannerForm
from tracker.assessment.planner import PlanError, save_plan
from tracker.assessment.qualifications import qualification_progress_for, what_if
from tracker.models import Learner


@require_safe
@login_required
def my_planner(request: HttpRequest) -> HttpResponse:
    """A learner's own planner."""
    learner = getattr(request.user, "learner", None)
    if learner is None:
        raise PermissionDenied("This page is for learners; staff open a learner's planner.")
    return _planner(request, learner, can_save=False)


@require_safe
@login_required
def learner_planner(request: HttpRequest, pk: int) -> HttpResponse:
    """A learner's planner for the staff who may see them; their teachers may save it."""
    learner = access.get_learner_for_user(request.user, pk)
    if learner.user_id == request.user.pk:
        return redirect("my_planner")
    can_save = learner.left_on is None and access.can_assess(request.user, learner)
    return _planner(request, learner, can_save=can_save)


def _planner(request: HttpRequest, learner: Learner, *, can_save: bool) -> HttpResponse:
    state = qualification_progress_for([learner]).get(learner.pk)
    form = PlannerForm(request.GET or None, state=state) if state else None
    status = 200
    plan = state.predicted if state else None
    chosen = {}
    if form is not None and form.is_bound:
        if form.is_valid():
            current = {row.number: row.predicted for row in state.rows}
            chosen = {
                number: grade
                for number, grade in form.choices().items()
                if current.get(number) != grade
            }
            plan = what_if(state, chosen)
        else:
            status = 400
    context = {
        "learner": learner,
        "state": state,
        "form": form,
        "plan": plan,
        "chosen": sorted(chosen.items()),
        "finished": [row for row in state.rows if row.finished] if state else [],
        "can_save": can_save,
        "own": learner.user_id == request.user.pk,
        "planner_url": reverse("my_planner")
        if learner.user_id == request.user.pk
        else reverse("learner_planner", args=[learner.pk]),
    }
    template = (
        "tracker/assessment/_planner_result.html"
        if request.headers.get("HX-Request") and status == 200
        else "tracker/assessment/planner.html"
    )
    return render(request, template, context, status=status)


@require_POST
@login_required
def save_planner(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the planned grades as the teacher's predictions (tracked units get a new
    prediction, grade-only units their predicted grade)."""
    learner = access.get_learner_for_user(request.user, pk)
    if not access.can_assess(request.user, learner):
        raise PermissionDenied("Only the learner's teachers predict their grades.")
    state = qualification_progress_for([learner]).get(learner.pk)
    if state is None:
        messages.error(request, f"{learner.full_name} is not registered on a qualification.")
        return redirect("learner_planner", pk=learner.pk)
    form = PlannerForm(request.POST, state=state)
    if not form.is_valid():
        messages.error(request, "Choose a grade each unit can be given.")
        return redirect("learner_planner", pk=learner.pk)
    try:
        changed = save_plan(state, form.choices(), request.user)
    except PlanError as error:
        messages.error(request, str(error))
        return redirect("learner_planner", pk=learner.pk)
    if changed:
        units = ", ".join(f"Unit {number}" for number in changed)
        messages.success(request, f"Saved as your prediction: {units}.")
    else:
        messages.info(request, "Nothing to save: those are already your predictions.")
    return redirect("learner_planner", pk=learner.pk)
