"""Downloads of the grades workbook, scoped like every other page."""

import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from tracker import access
from tracker.lib.forms import valid_or_400
from tracker.models import ExportJob
from tracker.reports import ucas
from tracker.reports.exports import (
    centre_scope,
    fail_stalled_exports,
    group_scope,
    write_workbook,
)
from tracker.reports.forms import (
    CentreExportForm,
    GradesQueryForm,
    RetryExportForm,
    UcasExportForm,
)
from tracker.reports.tasks import build_centre_export

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_safe
@login_required
def grades_workbook(request: HttpRequest) -> FileResponse:
    """Send the grades workbook for a group (?group=) or the whole centre, optionally a unit.

    Learners who have left are left out unless ``?leavers=1`` asks for them.
    """
    query = valid_or_400(GradesQueryForm(request.GET))
    unit = access.get_catalogue_unit(query["unit"]) if query["unit"] else None
    if query["group"]:
        group = access.get_group_for_user(request.user, query["group"])
        scope = group_scope(group, unit, include_leavers=query["leavers"])
    else:
        scope = centre_scope(
            access.centre_for_admin(request.user), unit, include_leavers=query["leavers"]
        )
    # The workbook is built in a temporary file, never as one string in memory.
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    write_workbook(scope, handle)
    handle.seek(0)
    name = f"grades-{slugify(scope.label)}-{timezone.localdate():%Y-%m-%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)


@require_POST
@access.role_required("centre_admin")
def start_centre_export(request: HttpRequest) -> HttpResponse:
    """Queue a whole-centre export (with learners who have left when `leavers` is ticked);
    its page shows the progress and then the file."""
    centre = access.centre_for_admin(request.user)
    data = valid_or_400(CentreExportForm(request.POST))
    unit = access.get_catalogue_unit(data["unit"]) if data["unit"] else None
    job = ExportJob.objects.create(
        centre=centre, unit=unit, include_leavers=data["leavers"], requested_by=request.user
    )
    build_centre_export.enqueue(job.pk)
    return redirect("export_job", pk=job.pk)


@require_safe
@access.role_required("centre_admin")
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress of a background export (the page refreshes itself until it is ready)."""
    job = access.get_export_job_for_admin(request.user, pk)
    # A job whose worker died would say "Being built" for ever: it is marked failed here.
    if job.state in (ExportJob.State.QUEUED, ExportJob.State.RUNNING) and fail_stalled_exports(
        jobs=ExportJob.objects.filter(pk=job.pk)
    ):
        job.refresh_from_db()
    template = (
        "tracker/reports/_export_job.html"
        if request.headers.get("HX-Request")
        else ("tracker/reports/export_job.html")
    )
    return render(request, template, {"job": job})


@require_POST
@access.role_required("centre_admin")
def retry_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a new export of a failed one's scope; a job not failed is simply shown."""
    job = access.get_export_job_for_admin(request.user, pk)
    valid_or_400(RetryExportForm(request.POST))
    if job.state != ExportJob.State.FAILED:
        return redirect("export_job", pk=job.pk)
    again = ExportJob.objects.create(
        centre=job.centre,
        unit=job.unit,
        include_leavers=job.include_leavers,
        requested_by=request.user,
    )
    build_centre_export.enqueue(again.pk)
    return redirect("export_job", pk=again.pk)


@require_safe
@access.role_required("centre_admin")
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    """Send a finished export's file; a job that failed or is still running has none."""
    job = access.get_export_job_for_admin(request.user, pk)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404("This export is not ready.")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404("This export's file is no longer stored.") from None
    name = f"grades-whole-centre-{timezone.localtime(job.created_at):%Y-%m-%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)


@require_safe
@access.role_required("centre_admin", "teacher")
def ucas_export(request: HttpRequest) -> HttpResponse:
    """The UCAS predicted grades of a group (?group=) or, for a centre admin, the whole
    centre: the choice page, or the file with ?format=csv or ?format=xlsx (streamed).

    Teachers export the groups they teach; learners who have left are left out.
    """
    whole_centre = access.has_role(request.user, "centre_admin")
    groups = access.ucas_groups_for(request.user).order_by("-academic_year__starts_on", "name")
    form = UcasExportForm(request.GET or None, groups=list(groups), whole_centre=whole_centre)
    if not form.is_valid() or not form.cleaned_data["format"]:
        status = 400 if request.GET and not form.is_valid() else 200
        return render(request, "tracker/reports/ucas_export.html", {"form": form}, status=status)
    if form.cleaned_data["group"]:
        group = access.get_ucas_group(request.user, form.cleaned_data["group"])
        label, learners = group.name, group.learners.all()
    else:
        centre = access.centre_for_admin(request.user)
        label, learners = centre.name, centre.learners.all()
    rows = ucas.ucas_rows(ucas.learners_for_export(learners))
    name = f"ucas-predicted-grades-{slugify(label)}-{timezone.localdate():%Y-%m-%d}"
    if form.cleaned_data["format"] == "csv":
        response = StreamingHttpResponse(ucas.csv_lines(rows), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    ucas.write_xlsx(rows, handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"{name}.xlsx", content_type=XLSX)
