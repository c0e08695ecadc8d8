"""Centre admin pages: overview, staff and roles, groups, and the MIS import."""

import secrets

from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from tracker import access
from tracker.dashboard import SERIES, centre_figures
from tracker.forms import AspirationForm, GcseRangeFormSet, GroupForm, ImportForm, StaffForm
from tracker.importing import ImportFileError, apply_plan, build_plan, read_table
from tracker.models import (
    AcademicYear,
    Decision,
    Enrolment,
    GcseTargetRange,
    Learner,
    StaffMembership,
    Status,
    TeachingGroup,
    User,
)
from tracker.targets import targets_from_gcse
from tracker.views import paginate

IMPORT_SESSION_KEY = "learner_import"


def _current_year(centre) -> AcademicYear:
    year = centre.years.filter(is_current=True).first() or centre.years.first()
    if year is None:
        raise access.PermissionDenied("Set up an academic year first (Django admin).")
    return year


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
    without_target = (
        Learner.objects.filter(centre=centre)
        .filter(Q(enrolments__isnull=True) | Q(enrolments__target_grade=""))
        .select_related("group")
        .distinct()
    )
    teacher = "enrolment__learner__group__teachers__"
    backlog = (
        Decision.objects.filter(status=Status.SUBMITTED, enrolment__learner__centre=centre)
        .values(f"{teacher}first_name", f"{teacher}last_name", f"{teacher}pk")
        .annotate(count=Count("pk"), oldest=Min("submitted_at"))
        .order_by("-count", f"{teacher}last_name", f"{teacher}pk")
    )
    context = {
        "centre": centre,
        "groups": paginate(request, groups, "groups"),
        "units": centre_figures(centre),
        "series": SERIES,
        "backlog": paginate(request, backlog, "teachers", per_page=20),
        "now": timezone.now(),
        "learner_count": Learner.objects.filter(centre=centre).count(),
        "enrolment_count": Enrolment.objects.filter(learner__centre=centre).count(),
        "staff_count": User.objects.filter(staff_membership__centre=centre).count(),
        "without_target": paginate(request, without_target, "learners"),
        "ungrouped": Learner.objects.filter(centre=centre, group__isnull=True).count(),
    }
    return render(request, "tracker/centre/home.html", context)


@require_safe
@access.role_required("centre_admin")
def staff_list(request: HttpRequest) -> HttpResponse:
    centre = access.centre_for_admin(request.user)
    staff = User.objects.filter(staff_membership__centre=centre).prefetch_related(
        "teaching_groups", "verified_groups"
    )
    return render(
        request,
        "tracker/centre/staff_list.html",
        {"centre": centre, "staff": paginate(request, staff)},
    )


@require_http_methods(["GET", "POST"])
@access.role_required("centre_admin")
def staff_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a member of staff, or change their details and roles."""
    centre = access.centre_for_admin(request.user)
    member = None
    if pk is not None:
        member = get_object_or_404(User, pk=pk, staff_membership__centre=centre)
    form = StaffForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        if member == request.user and not form.cleaned_data["is_centre_admin"]:
            form.add_error("is_centre_admin", "You cannot remove your own centre admin role.")
        else:
            saved = form.save()
            StaffMembership.objects.get_or_create(user=saved, defaults={"centre": centre})
            messages.success(request, f"{saved.get_full_name()} saved.")
            return redirect("centre:staff")
    return render(request, "tracker/centre/staff_form.html", {"form": form, "member": member})


@require_safe
@access.role_required("centre_admin")
def group_list(request: HttpRequest) -> HttpResponse:
    centre = access.centre_for_admin(request.user)
    groups = (
        TeachingGroup.objects.filter(centre=centre).for_listing().order_by("academic_year", "name")
    )
    return render(request, "tracker/centre/group_list.html", {"groups": paginate(request, groups)})


@require_http_methods(["GET", "POST"])
@access.role_required("centre_admin")
def group_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create a group, or change its name, units, teachers and internal verifiers."""
    centre = access.centre_for_admin(request.user)
    group = get_object_or_404(TeachingGroup, pk=pk, centre=centre) if pk else None
    initial = {} if group else {"academic_year": _current_year(centre)}
    form = GroupForm(request.POST or None, instance=group, centre=centre, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.centre = centre
        saved.save()
        form.save_m2m()
        messages.success(request, f"Group {saved.name} saved.")
        return redirect("group", pk=saved.pk)
    return render(request, "tracker/centre/group_form.html", {"form": form, "group": group})


def _pending_name(token: str, suffix: str) -> str:
    """Where an uploaded file waits between the preview and the confirmation.

    It is kept in the default storage, not on one server's disk, so the confirmation works
    on whichever app process serves it (and with files in object storage).
    """
    return f"imports/{token}{suffix}"


@require_http_methods(["GET", "POST"])
@access.role_required("centre_admin")
def import_learners(request: HttpRequest) -> HttpResponse:
    """Upload a learners file and see what importing it would do, before anything changes."""
    centre = access.centre_for_admin(request.user)
    year = _current_year(centre)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            plan = build_plan(read_table(content, upload.name), centre, year)
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            if plan.ok:
                token = secrets.token_hex(16)
                suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
                default_storage.save(_pending_name(token, suffix), ContentFile(content))
                request.session[IMPORT_SESSION_KEY] = {
                    "token": token,
                    "suffix": suffix,
                    "name": upload.name,
                }
            return render(
                request,
                "tracker/centre/import_preview.html",
                {"plan": plan, "file_name": upload.name, "year": year},
            )
    return render(request, "tracker/centre/import_form.html", {"form": form, "year": year})


@require_http_methods(["POST"])
@access.role_required("centre_admin")
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Apply the previewed file: validated again, then all rows or none."""
    centre = access.centre_for_admin(request.user)
    pending = request.session.pop(IMPORT_SESSION_KEY, None)
    if not pending:
        messages.error(request, "There is no file waiting to be imported. Upload it again.")
        return redirect("centre:import")
    stored = _pending_name(pending["token"], pending["suffix"])
    try:
        with default_storage.open(stored, "rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        messages.error(request, "The uploaded file has expired. Upload it again.")
        return redirect("centre:import")
    finally:
        default_storage.delete(stored)
    plan = build_plan(read_table(content, pending["name"]), centre, _current_year(centre))
    if not plan.ok:
        messages.error(request, "The data changed since the preview; nothing was imported.")
        return render(
            request,
            "tracker/centre/import_preview.html",
            {"plan": plan, "file_name": pending["name"]},
        )
    counts = apply_plan(plan, request.user)
    messages.success(
        request,
        f"Imported {pending['name']}: {counts['added']} learners added, {counts['updated']} "
        f"updated, {counts['unchanged']} unchanged, {counts['groups_created']} "
        f"group{pluralize(counts['groups_created'])} created.",
    )
    return redirect("centre:home")


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
        "tracker/centre/targets.html",
        {"formset": formset, "step_form": step_form, "waiting": waiting},
    )


urlpatterns = [
    path("", home, name="home"),
    path("staff/", staff_list, name="staff"),
    path("staff/add/", staff_edit, name="staff_add"),
    path("staff/<int:pk>/", staff_edit, name="staff_edit"),
    path("groups/", group_list, name="groups"),
    path("groups/add/", group_edit, name="group_add"),
    path("groups/<int:pk>/edit/", group_edit, name="group_edit"),
    path("targets/", targets, name="targets"),
    path("import/", import_learners, name="import"),
    path("import/confirm/", import_confirm, name="import_confirm"),
]
