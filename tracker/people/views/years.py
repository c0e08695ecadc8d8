"""Centre admin pages for academic years: the list, adding the next one, choosing the
current one."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker import access
from tracker.lib.forms import valid_or_400
from tracker.models import AcademicYear
from tracker.people.forms import AcademicYearForm, MakeCurrentYearForm
from tracker.people.services import make_current


@require_safe
@access.role_required("centre_admin")
def year_list(request: HttpRequest) -> HttpResponse:
    """The centre's academic years, newest first, with their groups and enrolments counted."""
    centre = access.centre_for_admin(request.user)
    years = (
        AcademicYear.objects.filter(centre=centre)
        .annotate(
            group_count=Count("groups", distinct=True),
            enrolment_count=Count("enrolments", distinct=True),
        )
        .order_by("-starts_on")
    )  # a grouped query does not take the model's ordering
    return render(
        request, "tracker/people/centre/year_list.html", {"centre": centre, "years": years}
    )


@require_http_methods(["GET", "POST"])
@access.role_required("centre_admin")
def year_add(request: HttpRequest) -> HttpResponse:
    """Add an academic year (checked by AcademicYearForm); it does not become current."""
    centre = access.centre_for_admin(request.user)
    form = AcademicYearForm(request.POST or None, centre=centre)
    if request.method == "POST" and form.is_valid():
        year = form.save(commit=False)
        year.centre = centre
        year.is_current = not centre.years.exists()
        year.save()
        messages.success(request, f"Academic year {year.name} added.")
        return redirect("centre:years")
    return render(request, "tracker/people/centre/year_form.html", {"form": form})


@require_POST
@access.role_required("centre_admin")
def year_current(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a year of the admin's centre the current one (`services.make_current`): new
    groups default to it; earlier years' groups, enrolments and records stay as they are."""
    year = access.get_centre_year(request.user, pk)
    valid_or_400(MakeCurrentYearForm(request.POST))
    make_current(year)
    messages.success(request, f"{year.name} is now the current academic year.")
    return redirect("centre:years")
