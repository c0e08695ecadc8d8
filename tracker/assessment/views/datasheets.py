"""Download and import data sheets from the group grid."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_safe

from criteria.models import Unit
from tracker import access
from tracker.assessment.datasheets import (
    DataSheetError,
    apply_plan,
    build_datasheet,
    discard_pending,
    pending_content,
    pending_name,
    plan_import,
)
from tracker.assessment.forms import DataSheetForm, PendingDataSheetForm
from tracker.assessment.services import AssessmentError
from tracker.lib.forms import valid_or_400

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


SESSION_KEY = "datasheet_import"


@require_safe
@login_required
def download(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Send the group's data sheet for the unit, with today's statuses."""
    group, unit = access.get_group_unit_for_user(
        request.user, pk, unit_pk, need="teach", mode=Unit.Mode.CENTRE_ASSESSED
    )
    response = HttpResponse(build_datasheet(group, unit, request.user), content_type=XLSX)
    name = f"datasheet-{slugify(group.name)}-unit-{unit.number}-{timezone.localdate():%Y-%m-%d}"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def upload(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Import an edited data sheet: preview the differences, then apply all or nothing."""
    group, unit = access.get_group_unit_for_user(
        request.user, pk, unit_pk, need="teach", mode=Unit.Mode.CENTRE_ASSESSED
    )
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, group, unit)
    form = DataSheetForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        # A new upload replaces any sheet still waiting: its file is deleted now.
        discard_pending(request.session.pop(SESSION_KEY, None))
        content = form.cleaned_data["file"].read()
        try:
            plan = plan_import(content, group, unit)
        except DataSheetError as error:
            form.add_error("file", str(error))
        else:
            token = ""
            # A sheet refused with errors has nothing to confirm, so it is never kept.
            if not plan.errors:
                token = secrets.token_hex(16)
                default_storage.save(pending_name(token), ContentFile(content))
                request.session[SESSION_KEY] = token
            return render(
                request,
                "tracker/assessment/datasheet_preview.html",
                {"plan": plan, "group": group, "unit": unit, "token": token},
            )
    return render(
        request,
        "tracker/assessment/datasheet_upload.html",
        {"form": form, "group": group, "unit": unit},
    )


def _confirm(request: HttpRequest, group, unit) -> HttpResponse:
    token = request.session.get(SESSION_KEY, "")
    content = pending_content(token)
    if content is None:
        messages.error(request, "The uploaded data sheet has expired. Upload it again.")
        return redirect("datasheet_import", pk=group.pk, unit_pk=unit.pk)
    plan = plan_import(content, group, unit)
    resolutions = {
        key.removeprefix("conflict-"): value
        for key, value in request.POST.items()
        if key.startswith("conflict-")
    }
    try:
        applied = apply_plan(plan, request.user, resolutions)
    except AssessmentError as error:
        messages.error(request, str(error))
        return render(
            request,
            "tracker/assessment/datasheet_preview.html",
            {"plan": plan, "group": group, "unit": unit, "token": token},
        )
    discard_pending(token)
    request.session.pop(SESSION_KEY, None)
    messages.success(
        request, f"{applied} decision{'s' if applied != 1 else ''} applied from the data sheet."
    )
    return redirect("grid", pk=group.pk, unit_pk=unit.pk)


@require_http_methods(["POST"])
@login_required
def cancel(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Drop a previewed data sheet without applying it: its stored copy is deleted at once."""
    group, unit = access.get_group_unit_for_user(
        request.user, pk, unit_pk, need="teach", mode=Unit.Mode.CENTRE_ASSESSED
    )
    token = valid_or_400(PendingDataSheetForm(request.POST))["token"]
    # Only the preview this page showed: an older tab must not drop a newer upload.
    if request.session.get(SESSION_KEY) == token:
        discard_pending(request.session.pop(SESSION_KEY))
        messages.info(request, "The data sheet was not applied; the uploaded file was deleted.")
    return redirect("grid", pk=group.pk, unit_pk=unit.pk)
