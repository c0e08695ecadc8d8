"""The IV report page."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from tracker import access
from tracker.models import (
    Action,
    staff_centre_id,
)
from tracker.pagination import paginate
from tracker.verification.report import assessor_report, assessors


@require_safe
@access.role_required("centre_admin", "internal_verifier")
def report(request: HttpRequest) -> HttpResponse:
    """Internal verification activity per assessor and unit, and outstanding actions: both
    a page at a time."""
    centre_id = staff_centre_id(request.user)
    if centre_id is None:
        raise PermissionDenied("Your account belongs to no centre.")
    actions = (
        Action.objects.filter(item__sample__group__centre_id=centre_id)
        .exclude(state=Action.State.CLOSED)
        .select_related(
            "assessor",
            "item__enrolment__learner",
            "item__sample__verifier",
            "decision__criterion",
            "decision__topic",
        )
    )
    people = paginate(request, assessors(centre_id), "assessors", per_page=25)
    return render(
        request,
        "tracker/verification/iv_report.html",
        {
            "assessors": people,
            "rows": assessor_report(centre_id, [person.pk for person in people]),
            "actions": paginate(request, actions, "actions"),
            "today": timezone.localdate(),
        },
    )
