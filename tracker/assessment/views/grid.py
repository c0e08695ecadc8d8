"""The group grid: every learner's decisions on a unit, edited in place, and exam marks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from criteria.models import ExamSeries, Unit
from tracker import access
from tracker.assessment.boundaries import SeriesError, add_series
from tracker.assessment.forms import ExamMarkForm
from tracker.assessment.progress import progress_for
from tracker.models import (
    Enrolment,
    ExamMark,
    Status,
)


@require_safe
@login_required
def grid(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Learners × criteria for a group and unit, editable in place from the keyboard."""
    group, unit = access.get_group_unit_for_user(request.user, pk, unit_pk, need="view")
    return render(request, "tracker/assessment/grid.html", _grid_context(request, group, unit))


def _grid_context(request: HttpRequest, group, unit, exam_form: ExamMarkForm | None = None) -> dict:
    """The grid page's rows and columns, filtered as asked, with the exam marks form.

    `exam_form` is a bound form refused on save, shown again with every typed mark and what
    is wrong beside each wrong one; otherwise the form starts empty.
    """
    enrolments = (
        Enrolment.objects.current()
        .filter(learner__group=group, unit=unit, academic_year=group.academic_year)
        .select_related("learner__group", "unit__suite")
        .order_by("learner__last_name", "learner__first_name")
    )
    rows = progress_for(enrolments, with_assessors=False)
    status_filter = request.GET.get("status", "")
    assignment_filter = request.GET.get("assignment", "")
    assignments = list(group.assignments.filter(unit=unit).prefetch_related("criteria"))
    columns = rows[0].items if rows else []
    if assignment_filter.isdigit():
        chosen = next((a for a in assignments if a.pk == int(assignment_filter)), None)
        if chosen:
            wanted = {c.pk for c in chosen.criteria.all()}
            keep = [i for i, entry in enumerate(columns) if entry.item.pk in wanted]
            columns = [columns[i] for i in keep]
            for row in rows:
                row.visible = [row.items[i] for i in keep]
    for row in rows:
        if not hasattr(row, "visible"):
            row.visible = row.items
    if status_filter in Status.values:
        rows = [row for row in rows if any(entry.status == status_filter for entry in row.visible)]
    can_assess = access.teaches(request.user, group)
    if unit.is_examined and can_assess:
        if exam_form is None:
            exam_form = ExamMarkForm(
                enrolments=[row.enrolment for row in rows],
                max_mark=unit.exam_max_mark,
                series_choices=_series_choices(group, unit),
            )
        fields = exam_form.mark_fields()
        for row in rows:
            row.mark_field = fields.get(row.enrolment.pk)
    return {
        "group": group,
        "unit": unit,
        "rows": rows,
        "columns": columns,
        "statuses": Status.choices,
        "status_filter": status_filter,
        "assignments": assignments,
        "assignment_filter": assignment_filter,
        "can_assess": can_assess,
        "exam_form": exam_form,
        "boundaries_rights": access.boundary_rights(request.user, unit)
        if unit.is_examined
        else None,
    }


def _series_choices(group, unit):
    """The series a group's marks may be entered against: the shared OCR series of the unit
    and its centre's own mocks."""
    return ExamSeries.objects.filter(unit=unit).for_centre(group.centre_id)


@require_POST
@login_required
def exam_mark(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Enter raw marks of an exam series for a group's learners on an examined unit.

    All or nothing: one wrong mark saves none, and the grid page is shown again with the
    marks as typed and the wrong one marked beside it.
    """
    group, unit = access.get_group_unit_for_user(
        request.user, pk, unit_pk, need="teach", mode=Unit.Mode.EXAMINED
    )
    enrolments = (
        Enrolment.objects.current()
        .filter(learner__group=group, unit=unit)
        .select_related("learner")
    )
    form = ExamMarkForm(
        request.POST,
        enrolments=enrolments,
        max_mark=unit.exam_max_mark,
        series_choices=_series_choices(group, unit),
    )
    if not form.is_valid():
        # Nothing is saved; the page comes back with every typed mark and the wrong ones marked.
        return render(
            request, "tracker/assessment/grid.html", _grid_context(request, group, unit, form)
        )
    with transaction.atomic():
        series = form.cleaned_data["series"]
        if series is None:
            try:
                series = add_series(
                    unit,
                    form.cleaned_data["new_mock"],
                    ExamSeries.Kind.MOCK,
                    group.centre,
                    request.user,
                )
            except SeriesError as error:
                form.add_error("new_mock", str(error))
                return render(
                    request,
                    "tracker/assessment/grid.html",
                    _grid_context(request, group, unit, form),
                )
        saved = 0
        for enrolment, value in form.cleaned_data["marks"]:
            ExamMark.objects.update_or_create(
                enrolment=enrolment,
                series=series,
                defaults={"mark": value, "entered_by": request.user},
            )
            saved += 1
    messages.success(request, f"{saved} mark{'s' if saved != 1 else ''} saved for {series.name}.")
    return redirect("grid", pk=group.pk, unit_pk=unit.pk)
