"""Role homes and the pages about groups and learners."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker import access
from tracker.dashboard import SERIES, group_figures
from tracker.forms import MoveLearnerForm, TargetForm
from tracker.models import Action, Enrolment, Sample, TargetChange, TeachingGroup
from tracker.progress import deadlines_for, progress_for
from tracker.targets import aspirational_grade, set_target

PAGE_SIZE = 50


def paginate(request: HttpRequest, items, param: str = "page", per_page: int = PAGE_SIZE) -> Page:
    """Return the page of `items` the query string asks for (the first if it asks for none,
    the last if it asks for too many), with the links `_pagination.html` shows. The links
    keep the rest of the query string, so several lists on one page page independently."""
    page = Paginator(items, per_page).get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}"

    if page.has_previous():
        page.first_url, page.previous_url = link(1), link(page.previous_page_number())
    if page.has_next():
        page.next_url, page.last_url = link(page.next_page_number()), link(page.paginator.num_pages)
    return page


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the home of their main role."""
    user = request.user
    if hasattr(user, "learner"):
        return redirect("learner_home")
    if access.has_role(user, "centre_admin"):
        return redirect("centre:home")
    if access.has_role(user, "teacher"):
        return redirect("teacher_home")
    if access.has_role(user, "internal_verifier"):
        return redirect("iv_home")
    return render(request, "tracker/no_role.html", status=403)


def _enrolments_with_units():
    return Enrolment.objects.select_related("unit", "academic_year").annotate(
        criterion_count=Count("unit__criteria", distinct=True),
        topic_count=Count("unit__learning_outcomes__topics", distinct=True),
    )


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
    }
    return render(request, "tracker/learner_home.html", context)


def _groups_overview(groups):
    return (
        groups.select_related("academic_year")
        .prefetch_related("units", "teachers")
        .annotate(
            learner_count=Count("learners", distinct=True),
            without_target=Count(
                "learners__enrolments",
                filter=Q(learners__enrolments__target_grade=""),
                distinct=True,
            ),
        )
        .order_by("academic_year", "name")
    )


@require_safe
@access.role_required("teacher")
def teacher_home(request: HttpRequest) -> HttpResponse:
    """Show a teacher the groups they teach."""
    groups = TeachingGroup.objects.taught_by(request.user).select_related("academic_year")
    return render(
        request,
        "tracker/teacher_home.html",
        {
            "figures": group_figures(groups),
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


@require_safe
@access.role_required("internal_verifier")
def iv_home(request: HttpRequest) -> HttpResponse:
    """Show an internal verifier the groups they verify."""
    groups = _groups_overview(TeachingGroup.objects.filter(internal_verifiers=request.user))
    samples = (
        Sample.objects.filter(verifier=request.user)
        .select_related("group", "unit")
        .annotate(
            learners=Count("items", filter=Q(items__included=True), distinct=True),
            signed=Count("items", filter=Q(items__signed_off_at__isnull=False), distinct=True),
        )
    )
    actions = (
        Action.objects.filter(item__sample__verifier=request.user)
        .exclude(state=Action.State.CLOSED)
        .select_related(
            "item__enrolment__learner", "assessor", "decision__criterion", "decision__topic"
        )
    )
    return render(
        request,
        "tracker/iv_home.html",
        {
            "groups": groups,
            "samples": samples,
            "actions": actions,
            "today": timezone.localdate(),
            "kinds": Sample.Kind.choices,
        },
    )


@require_safe
@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """List a group's learners with their target per unit."""
    group = access.get_group_for_user(request.user, pk)
    units = list(group.units.all())
    learners = group.learners.prefetch_related(
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
    }
    return render(request, "tracker/group_detail.html", context)


@require_safe
@login_required
def learner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a learner's details, units and target history to the staff who may see them."""
    learner = access.get_learner_for_user(request.user, pk)
    if request.user == learner.user:
        return redirect("learner_home")
    enrolments = _enrolments_with_units().filter(learner=learner)
    changes = (
        TargetChange.objects.filter(enrolment__learner=learner)
        .select_related("enrolment__unit", "changed_by")
        .order_by("-changed_at", "-pk")
    )
    editable = access.can_edit_learner(request.user, learner)
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
        "move_form": MoveLearnerForm(learner=learner)
        if access.has_role(request.user, "centre_admin") and editable
        else None,
    }
    return render(request, "tracker/learner_detail.html", context)


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
