"""The internal verifier's home: groups to verify, samples in progress, open actions."""

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from tracker import access
from tracker.models import Action, Sample, TeachingGroup


def _groups_overview(groups):
    return (
        groups.select_related("academic_year")
        .prefetch_related("units", "teachers")
        .annotate(
            learner_count=Count("learners", distinct=True),
            without_target=Count(
                "learners__enrolments",
                filter=Q(learners__enrolments__target_grade=""),
                distinct=True,
            ),
        )
        .order_by("academic_year", "name")
    )


@require_safe
@access.role_required("internal_verifier")
def iv_home(request: HttpRequest) -> HttpResponse:
    """Show an internal verifier the groups they verify."""
    groups = _groups_overview(TeachingGroup.objects.filter(internal_verifiers=request.user))
    samples = (
        Sample.objects.filter(verifier=request.user)
        .select_related("group", "unit")
        .annotate(
            learners=Count("items", filter=Q(items__included=True), distinct=True),
            signed=Count("items", filter=Q(items__signed_off_at__isnull=False), distinct=True),
        )
    )
    actions = (
        Action.objects.filter(item__sample__verifier=request.user)
        .exclude(state=Action.State.CLOSED)
        .select_related(
            "item__enrolment__learner", "assessor", "decision__criterion", "decision__topic"
        )
    )
    return render(
        request,
        "tracker/verification/iv_home.html",
        {
            "groups": groups,
            "samples": samples,
            "actions": actions,
            "today": timezone.localdate(),
            "kinds": Sample.Kind.choices,
        },
    )
