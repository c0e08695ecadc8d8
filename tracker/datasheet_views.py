"""Download and import data sheets from the group grid."""

import secrets
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_safe

from criteria.models import Unit
from tracker import access
from tracker.assessment import AssessmentError
from tracker.datasheets import DataSheetError, apply_plan, build_datasheet, plan_import

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_KEY = "datasheet_import"


class DataSheetForm(forms.Form):
    file = forms.FileField(
        label="Edited data sheet (.xlsx)",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx") or upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError("Upload the .xlsx data sheet (at most 10 MB).")
        return upload


def _group_and_unit(request: HttpRequest, pk: int, unit_pk: int):
    group = access.get_group_for_user(request.user, pk)
    if not access.teaches(request.user, group):
        raise PermissionDenied("Only the group's teachers use data sheets.")
    unit = get_object_or_404(
        group.units.all(), pk=unit_pk, assessment_mode=Unit.Mode.CENTRE_ASSESSED
    )
    return group, unit


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "datasheets"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@require_safe
@login_required
def download(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Send the group's data sheet for the unit, with today's statuses."""
    group, unit = _group_and_unit(request, pk, unit_pk)
    response = HttpResponse(build_datasheet(group, unit, request.user), content_type=XLSX)
    name = f"datasheet-{slugify(group.name)}-unit-{unit.number}-{timezone.localdate():%Y-%m-%d}"
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def upload(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Import an edited data sheet: preview the differences, then apply all or nothing."""
    group, unit = _group_and_unit(request, pk, unit_pk)
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request, group, unit)
    form = DataSheetForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        try:
            plan = plan_import(content, group, unit)
        except DataSheetError as error:
            form.add_error("file", str(error))
        else:
            token = secrets.token_hex(16)
            (_folder() / f"{token}.xlsx").write_bytes(content)
            request.session[SESSION_KEY] = token
            return render(
                request,
                "tracker/datasheet_preview.html",
                {"plan": plan, "group": group, "unit": unit},
            )
    return render(
        request, "tracker/datasheet_upload.html", {"form": form, "group": group, "unit": unit}
    )


def _confirm(request: HttpRequest, group, unit) -> HttpResponse:
    token = request.session.get(SESSION_KEY, "")
    path = _folder() / f"{token}.xlsx"
    if not token or not path.exists():
        messages.error(request, "The uploaded data sheet has expired. Upload it again.")
        return redirect("datasheet_import", pk=group.pk, unit_pk=unit.pk)
    plan = plan_import(path.read_bytes(), group, unit)
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
            request, "tracker/datasheet_preview.html", {"plan": plan, "group": group, "unit": unit}
        )
    path.unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)
    messages.success(
        request, f"{applied} decision{'s' if applied != 1 else ''} applied from the data sheet."
    )
    return redirect("grid", pk=group.pk, unit_pk=unit.pk)
