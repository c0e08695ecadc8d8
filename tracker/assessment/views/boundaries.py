"""Grade boundaries: the series of each examined unit and their boundaries, entered in the
app (shared OCR series by the site administrator, mocks by the centre)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from criteria.models import BoundaryChange, BoundarySet, ExamSeries, Unit
from tracker import access
from tracker.assessment.boundaries import (
    SeriesError,
    add_series,
    delete_series,
    save_boundaries,
    values_of,
)
from tracker.assessment.forms import BoundarySetForm, DeleteSeriesForm, SeriesForm
from tracker.lib.forms import valid_or_400
from tracker.models import Centre


@require_safe
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The examined units, each leading to its Grade boundaries page."""
    if not access.may_see_boundaries(request.user):
        raise PermissionDenied("Grade boundaries are entered by the centre admin or lead assessor.")
    units = Unit.objects.filter(assessment_mode=Unit.Mode.EXAMINED).select_related("suite")
    return render(request, "tracker/assessment/boundaries_index.html", {"units": units})


def _kinds(rights: access.BoundaryRights) -> list[str]:
    kinds = []
    if rights.shared:
        kinds.append(ExamSeries.Kind.REAL)
    if rights.mock:
        kinds.append(ExamSeries.Kind.MOCK)
    return kinds


def _unit_page(request: HttpRequest, rights: access.BoundaryRights, form=None) -> HttpResponse:
    series = list(
        rights.series()
        .annotate(mark_count=Count("marks"))
        .select_related("boundary_set", "centre")
        .prefetch_related(
            Prefetch("changes", queryset=BoundaryChange.objects.select_related("changed_by"))
        )
    )
    for entry in series:
        entry.editable = rights.may_edit(entry)
        entry.boundary = getattr(entry, "boundary_set", None)
    context = {
        "unit": rights.unit,
        "series_list": series,
        "rights": rights,
        "form": form or SeriesForm(kinds=_kinds(rights), visible=rights.series()),
    }
    return render(request, "tracker/assessment/boundaries.html", context)


@require_safe
@login_required
def unit_boundaries(request: HttpRequest, unit_pk: int) -> HttpResponse:
    """An examined unit's series with their boundaries, source, status and history."""
    return _unit_page(request, access.get_boundaries_unit_for_user(request.user, unit_pk))


@require_POST
@login_required
def series_add(request: HttpRequest, unit_pk: int) -> HttpResponse:
    """Add a series (a shared OCR series or this centre's mock), then enter its boundaries."""
    rights = access.get_boundaries_unit_for_user(request.user, unit_pk)
    form = SeriesForm(request.POST, kinds=_kinds(rights), visible=rights.series())
    if not form.is_valid():
        return _unit_page(request, rights, form)
    kind = form.cleaned_data["kind"]
    centre = Centre.objects.filter(pk=rights.centre_id).first()
    if kind == ExamSeries.Kind.MOCK and centre is None:  # pragma: no cover - rights say so
        raise PermissionDenied("Only a centre's staff add its mocks.")
    try:
        series = add_series(rights.unit, form.cleaned_data["name"], kind, centre, request.user)
    except SeriesError as error:
        form.add_error("name", str(error))
        return _unit_page(request, rights, form)
    messages.success(request, f"Series {series.name} added. Now enter its boundaries.")
    return redirect("series_boundaries", pk=series.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def series_boundaries(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter or change one series' boundaries; every change is kept in its history."""
    series, rights = access.get_series_for_user(request.user, pk)
    boundary = BoundarySet.objects.filter(series=series).first()
    before = values_of(boundary)
    if request.method == "POST":
        form = BoundarySetForm(request.POST, instance=boundary, series=series)
        if form.is_valid():
            change = save_boundaries(form.instance, before, request.user)
            messages.success(
                request,
                f"Boundaries saved for {series.name}."
                if change
                else f"Nothing changed for {series.name}.",
            )
            return redirect("unit_boundaries", unit_pk=series.unit_id)
    else:
        form = BoundarySetForm(instance=boundary, series=series)
    history = series.changes.select_related("changed_by")
    return render(
        request,
        "tracker/assessment/series_boundaries.html",
        {"series": series, "unit": series.unit, "form": form, "history": history},
    )


@require_POST
@login_required
def series_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a series no mark was entered against; one with marks is refused, saying why."""
    series, _rights = access.get_series_for_user(request.user, pk)
    valid_or_400(DeleteSeriesForm(request.POST))
    unit_pk, name = series.unit_id, series.name
    try:
        delete_series(series)
    except SeriesError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Series {name} deleted.")
    return redirect("unit_boundaries", unit_pk=unit_pk)
