"""Unit Recording Sheets for a learner or a group: a printable page or a workbook."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from tracker import access
from tracker.models import Enrolment
from tracker.reports.recording_sheets import XLSX, RecordingSheet, recording_sheets, sheets_workbook


def _respond(request: HttpRequest, sheets: list[RecordingSheet], name: str) -> HttpResponse:
    if request.GET.get("format") != "xlsx":
        return render(request, "tracker/reports/urs.html", {"sheets": sheets})
    response = HttpResponse(sheets_workbook(sheets), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _enrolments():
    return Enrolment.objects.select_related(
        "unit__suite", "learner__centre", "learner__group", "academic_year"
    )


@require_safe
@login_required
def learner_sheet(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """The Unit Recording Sheet of one learner's unit (staff who can see the learner)."""
    enrolment = access.get_enrolment_for_user(request.user, pk, enrolment_pk)
    if enrolment.learner.user_id == request.user.pk:
        raise access.PermissionDenied("Unit Recording Sheets are for staff.")
    name = f"urs-unit-{enrolment.unit.number}-{enrolment.learner.candidate_number}"
    return _respond(request, recording_sheets([enrolment]), name)


@require_safe
@login_required
def group_sheets(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Every learner's Unit Recording Sheet for a group and unit, in one document."""
    group, unit = access.get_group_unit_for_user(request.user, pk, unit_pk, need="view")
    enrolments = list(
        _enrolments()
        .filter(learner__group=group, unit=unit, academic_year=group.academic_year)
        .order_by("learner__last_name", "learner__first_name")
    )
    name = f"urs-unit-{unit.number}-{slugify(group.name)}"
    return _respond(request, recording_sheets(enrolments), name)
