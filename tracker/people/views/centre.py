"""Centre admin pages: overview, staff and roles, groups, and target-setting rules."""

from django.contrib import messages
from django.db.models import Min, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from tracker import access
from tracker.models import (
    Enrolment,
    GcseTargetRange,
    GroupSummary,
    Learner,
    StaffMembership,
    TeachingGroup,
    User,
)
from tracker.pagination import Counted, paginate
from tracker.people.forms import AspirationForm, GcseRangeFormSet, GroupForm, StaffForm
from tracker.people.invitations import sign_in_state, states_for
from tracker.people.targets import targets_from_gcse
from tracker.reports.dashboard import SERIES, centre_figures
from tracker.reports.summaries import centre_summary

# Rows per list on the overview: the same page whatever the centre's size (every list has
# its own full page: groups, marking queue, learners).
OVERVIEW_ROWS = 10


@require_safe
@access.role_required("centre_admin")
def home(request: HttpRequest) -> HttpResponse:
    """The centre at a glance: grades by unit, marking backlog, groups, learners without a
    target. Figures are counted in the database and lists are paged, so the page costs the
    same queries at 200 learners as at 10,000."""
    centre = access.centre_for_admin(request.user)
    groups = (
        TeachingGroup.objects.filter(centre=centre).for_listing().order_by("academic_year", "name")
    )
    # Learners on roll with a unit enrolment with no target (learners with no enrolment, in
    # no group, are counted apart below), walked in name order for one page.
    without_target = (
        Learner.objects.current()
        .filter(
            centre=centre, pk__in=Enrolment.objects.filter(target_grade="").values("learner_id")
        )
        .select_related("group")
    )
    summary = centre_summary(centre)  # first: it brings the summaries up to date
    units = centre_figures(centre, summary)
    # The marking backlog per teacher, from their groups' backlogs (GroupSummary): as many
    # rows as the centre has groups, never a count over every decision.
    teacher = "group__teachers__"
    backlog = (
        GroupSummary.objects.filter(centre=centre)
        .values(f"{teacher}first_name", f"{teacher}last_name", f"{teacher}pk")
        .annotate(count=Sum("waiting"), oldest=Min("waiting_since"))
        .order_by("-count", f"{teacher}last_name", f"{teacher}pk")
    )
    context = {
        "centre": centre,
        "groups": paginate(
            request, groups.order_by("academic_year", "name"), "groups", per_page=OVERVIEW_ROWS
        ),
        "units": units,
        "series": SERIES,
        "backlog": paginate(request, backlog, "teachers", per_page=OVERVIEW_ROWS),
        "now": timezone.now(),
        "learner_count": Learner.objects.current().filter(centre=centre).count(),
        # The current learners' enrolments, as the figures count them: no query of its own.
        "enrolment_count": sum(unit.learners for unit in units),
        "staff_count": User.objects.filter(staff_membership__centre=centre).count(),
        # Counted when the summaries were brought up to date, not on every load.
        "without_target": paginate(
            request,
            Counted(without_target, summary.without_target),
            "learners",
            per_page=2 * OVERVIEW_ROWS,
        ),
        # Named, so an admin can find and place them (a page of names, from an index).
        "ungrouped": paginate(
            request,
            Learner.objects.current().filter(centre=centre, group__isnull=True),
            "ungrouped",
            per_page=2 * OVERVIEW_ROWS,
        ),
    }
    return render(request, "tracker/people/centre/home.html", context)


@require_safe
@access.role_required("centre_admin")
def staff_list(request: HttpRequest) -> HttpResponse:
    centre = access.centre_for_admin(request.user)
    staff = (
        access.staff_of_centre(centre)
        .select_related("staff_membership", "learner")
        .prefetch_related("teaching_groups", "verified_groups")
    )
    page = paginate(request, staff)
    page.object_list = list(page.object_list)
    states = states_for(page.object_list)
    for member in page.object_list:
        member.can_edit = access.can_manage_account(request.user, member)
        member.signin = states[member.pk]
    return render(
        request, "tracker/people/centre/staff_list.html", {"centre": centre, "staff": page}
    )


@require_http_methods(["GET", "POST"])
@access.role_required("centre_admin")
def staff_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a member of staff, or change their details, password, email and roles.

    An existing account comes from `access.get_staff_for_admin` (404 off the admin's staff
    list, 403 with rights the admin lacks); the form offers only roles the admin can hand out.
    """
    centre = access.centre_for_admin(request.user)
    member = access.get_staff_for_admin(request.user, pk) if pk is not None else None
    form = StaffForm(request.POST or None, instance=member, admin=request.user)
    if request.method == "POST" and form.is_valid():
        if member == request.user and not form.cleaned_data["is_centre_admin"]:
            form.add_error("is_centre_admin", "You cannot remove your own centre admin role.")
        else:
            saved = form.save()
            StaffMembership.objects.get_or_create(user=saved, defaults={"centre": centre})
            messages.success(request, f"{saved.get_full_name()} saved.")
            return redirect("centre:staff")
    context = {
        "form": form,
        "member": member,
        "signin": sign_in_state(member) if member else None,
    }
    return render(request, "tracker/people/centre/staff_form.html", context)


@require_safe
@access.role_required("centre_admin")
def group_list(request: HttpRequest) -> HttpResponse:
    centre = access.centre_for_admin(request.user)
    groups = (
        TeachingGroup.objects.filter(centre=centre).for_listing().order_by("academic_year", "name")
    )
    return render(
        request, "tracker/people/centre/group_list.html", {"groups": paginate(request, groups)}
    )


@require_http_methods(["GET", "POST"])
@access.role_required("centre_admin")
def group_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create a group, or change its name, units, teachers and internal verifiers."""
    centre = access.centre_for_admin(request.user)
    group = access.get_centre_group(request.user, pk) if pk else None
    initial = {} if group else {"academic_year": centre.current_year()}
    form = GroupForm(request.POST or None, instance=group, centre=centre, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.centre = centre
        saved.save()
        form.save_m2m()
        messages.success(request, f"Group {saved.name} saved.")
        return redirect("group", pk=saved.pk)
    return render(request, "tracker/people/centre/group_form.html", {"form": form, "group": group})


@require_http_methods(["GET", "POST"])
@access.role_required("centre_admin")
def targets(request: HttpRequest) -> HttpResponse:
    """Edit the centre's GCSE-to-target ranges and aspirational step; fill empty targets."""
    centre = access.centre_for_admin(request.user)
    ranges = GcseTargetRange.objects.filter(centre=centre)
    formset = GcseRangeFormSet(request.POST or None, queryset=ranges, prefix="ranges")
    step_form = AspirationForm(
        request.POST or None, initial={"aspiration_step": centre.aspiration_step}
    )
    if request.method == "POST" and "apply" in request.POST:
        count = targets_from_gcse(centre, request.user)
        messages.success(request, f"{count} target{pluralize(count)} set from GCSE scores.")
        return redirect("centre:targets")
    if request.method == "POST" and formset.is_valid() and step_form.is_valid():
        for band in formset.save(commit=False):
            band.centre = centre
            band.save()
        for band in formset.deleted_objects:
            band.delete()
        centre.aspiration_step = step_form.cleaned_data["aspiration_step"]
        centre.save(update_fields=["aspiration_step"])
        messages.success(request, "Target settings saved.")
        return redirect("centre:targets")
    waiting = Enrolment.objects.filter(
        learner__centre=centre, target_grade="", learner__average_gcse__isnull=False
    ).count()
    return render(
        request,
        "tracker/people/centre/targets.html",
        {"formset": formset, "step_form": step_form, "waiting": waiting},
    )
