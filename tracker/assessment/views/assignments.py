"""Assignments: criteria and deadlines, adopted from the unit plan, extended per learner."""

from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tracker import access
from tracker.assessment.forms import AssignmentForm, ExtensionForm
from tracker.models import Assignment, Extension
from tracker.notifications import services as notifications


@require_http_methods(["GET", "POST"])
@access.role_required("teacher")
def assignments(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """List a group's assignments for a unit, add one, or adopt the unit's suggested plan."""
    group, unit = access.get_group_unit_for_user(request.user, pk, unit_pk, need="teach")
    today = timezone.localdate()
    form = AssignmentForm(
        request.POST or None,
        unit=unit,
        initial={"issued_on": today, "deadline": today + timedelta(weeks=3)},
    )
    if request.method == "POST" and form.is_valid():
        assignment = form.save(commit=False)
        assignment.group, assignment.unit, assignment.created_by = group, unit, request.user
        assignment.save()
        form.save_m2m()
        messages.success(request, f"Assignment {assignment.title} set.")
        return redirect("assignments", pk=group.pk, unit_pk=unit.pk)
    context = {
        "group": group,
        "unit": unit,
        "form": form,
        "assignments": group.assignments.filter(unit=unit).prefetch_related(
            "criteria", "extensions__learner"
        ),
        "plan": unit.suggested_assignments.prefetch_related("criteria"),
        "extension_form": ExtensionForm(group=group),
    }
    return render(request, "tracker/assessment/assignments.html", context)


@require_POST
@access.role_required("teacher")
def adopt_plan(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Create the unit's suggested assignments, three weeks apart, in one click."""
    group, unit = access.get_group_unit_for_user(request.user, pk, unit_pk, need="teach")
    existing = set(group.assignments.filter(unit=unit).values_list("title", flat=True))
    issued = timezone.localdate()
    created = 0
    with transaction.atomic():
        for index, suggestion in enumerate(unit.suggested_assignments.prefetch_related("criteria")):
            if suggestion.title in existing:
                continue
            assignment = Assignment.objects.create(
                group=group,
                unit=unit,
                title=suggestion.title,
                brief=suggestion.guidance,
                issued_on=issued,
                deadline=issued + timedelta(weeks=3 * (index + 1)),
                created_by=request.user,
            )
            assignment.criteria.set(suggestion.criteria.all())
            created += 1
    messages.success(
        request,
        f"{created} assignment{'s' if created != 1 else ''} created from the unit's plan."
        if created
        else "The plan's assignments are already set.",
    )
    return redirect("assignments", pk=group.pk, unit_pk=unit.pk)


@require_POST
@access.role_required("teacher")
def extend(request: HttpRequest, pk: int) -> HttpResponse:
    """Give one learner a later deadline for an assignment."""
    assignment = access.get_assignment_for_teacher(request.user, pk)
    form = ExtensionForm(request.POST, group=assignment.group)
    if form.is_valid():
        extension, _ = Extension.objects.update_or_create(
            assignment=assignment,
            learner=form.cleaned_data["learner"],
            defaults={
                "deadline": form.cleaned_data["deadline"],
                "reason": form.cleaned_data["reason"],
                "granted_by": request.user,
            },
        )
        notifications.extension_granted(extension)
        messages.success(request, f"Extension for {form.cleaned_data['learner'].full_name} saved.")
    else:
        messages.error(request, "Choose a learner and a new deadline.")
    return redirect("assignments", pk=assignment.group_id, unit_pk=assignment.unit_id)
