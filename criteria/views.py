from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from criteria.models import BoundarySet, Criterion, LearningOutcome, Unit


@require_safe
@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    """List the units of the catalogue."""
    units = Unit.objects.for_catalogue()
    return render(request, "criteria/unit_list.html", {"units": units})


@require_safe
@login_required
def unit_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a unit: outcomes with criteria by band, or topics, exam facts and glossary."""
    unit = get_object_or_404(Unit.objects.select_related("suite"), slug=slug)
    outcomes = unit.learning_outcomes.prefetch_related(
        "topics", Prefetch("criteria", queryset=Criterion.objects.order_by("order"))
    )
    assignments = unit.suggested_assignments.prefetch_related(
        Prefetch("criteria", queryset=Criterion.objects.order_by("order"))
    )
    context = {
        "unit": unit,
        "outcomes": _with_bands(outcomes),
        "assignments": assignments,
        "glossary": unit.glossary.all(),
        "resources": unit.resources.all(),
        # Only the shared OCR series: a centre's mocks are no one else's business.
        "boundary_sets": BoundarySet.objects.filter(
            series__unit=unit, series__centre__isnull=True
        ).select_related("series"),
        "points": unit.suite.points_values.all(),
    }
    return render(request, "criteria/unit_detail.html", context)


def _with_bands(outcomes) -> list[LearningOutcome]:
    """Attach each outcome's criteria grouped as Pass, Merit and Distinction columns."""
    result = []
    for outcome in outcomes:
        outcome.bands = [
            (label, [c for c in outcome.criteria.all() if c.band == band])
            for band, label in Criterion.BANDS
        ]
        result.append(outcome)
    return result
