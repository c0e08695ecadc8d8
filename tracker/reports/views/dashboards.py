"""Role homes: where each person lands, the learner's units and the teacher's dashboard."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from tracker import access
from tracker.assessment.progress import deadlines_for, progress_for
from tracker.auth import no_centre_yet, setup_needed
from tracker.models import Action, Enrolment, TeachingGroup
from tracker.people.targets import aspirational_grade
from tracker.reports.dashboard import SERIES, current_learners, group_figures
from tracker.reports.qualification_summary import group_summaries, learner_block


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the home of their main role; on a fresh instance with no centre,
    show what to run on the server first."""
    if no_centre_yet():
        return setup_needed(request)
    return _role_home(request)


@login_required
def _role_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if hasattr(user, "learner"):
        return redirect("learner_home")
    if access.has_role(user, "centre_admin"):
        return redirect("centre:home")
    if access.has_role(user, "teacher"):
        return redirect("teacher_home")
    if access.has_role(user, "internal_verifier"):
        return redirect("iv_home")
    return render(request, "tracker/reports/no_role.html", status=403)


@require_safe
@login_required
def learner_home(request: HttpRequest) -> HttpResponse:
    """Show a learner their units: progress, grades, what next, and deadlines."""
    learner = getattr(request.user, "learner", None)
    if learner is None:
        raise PermissionDenied("This page is for learners.")
    enrolments = Enrolment.objects.filter(learner=learner).select_related(
        "unit__suite", "learner__group", "academic_year"
    )
    progress = progress_for(enrolments)
    step = learner.centre.aspiration_step
    for entry in progress:
        entry.aspirational = aspirational_grade(entry.target, step)
    group = learner.group
    teachers = list(group.teachers.all()) if group else []
    context = {
        "learner": learner,
        "progress_list": progress,
        "teachers": teachers,
        "deadlines": deadlines_for(learner, progress),
        **learner_block(learner, progress),
    }
    return render(request, "tracker/reports/learner_home.html", context)


@require_safe
@access.role_required("teacher")
def teacher_home(request: HttpRequest) -> HttpResponse:
    """Show a teacher the groups they teach."""
    groups = list(TeachingGroup.objects.taught_by(request.user).select_related("academic_year"))
    learners = current_learners(groups)  # read once for the figures and the summaries
    return render(
        request,
        "tracker/reports/teacher_home.html",
        {
            "figures": group_figures(groups, learners),
            "qualification_summaries": group_summaries(groups, learners),
            "series": SERIES,
            "now": timezone.now(),
            "today": timezone.localdate(),
            "actions": Action.objects.filter(assessor=request.user)
            .exclude(state=Action.State.CLOSED)
            .select_related(
                "item__enrolment__learner",
                "item__sample__verifier",
                "decision__criterion",
                "decision__topic",
            ),
        },
    )
