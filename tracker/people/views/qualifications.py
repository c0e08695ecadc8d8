"""Qualification registration on the learner page, and the centre's own point ranges."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from criteria import grading
from criteria.models import Qualification
from tracker import access
from tracker.lib.forms import form_errors
from tracker.models import CentreGradeRange
from tracker.people.forms import CentreRangesForm, QualificationForm


@require_POST
@access.role_required("teacher", "centre_admin")
def learner_qualification(request: HttpRequest, pk: int) -> HttpResponse:
    """Register a learner on a qualification (or none): their teachers and the centre admin,
    as for every change to a learner's records (`access.can_edit_learner`)."""
    learner = access.get_learner_for_editing(request.user, pk)
    form = QualificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("learner", pk=learner.pk)
    qualification = form.cleaned_data["qualification"]
    if qualification != learner.qualification:
        learner.qualification = qualification
        learner.save(update_fields=["qualification"])
        messages.success(
            request,
            f"{learner.full_name} is registered on the {qualification.name}."
            if qualification
            else f"{learner.full_name} is not registered on a qualification.",
        )
    return redirect("learner", pk=learner.pk)


@require_safe
@access.role_required("centre_admin")
def qualification_list(request: HttpRequest) -> HttpResponse:
    """The qualifications, with whose point ranges this centre uses for each."""
    centre = access.centre_for_admin(request.user)
    own = set(
        CentreGradeRange.objects.filter(centre=centre).values_list("qualification_id", flat=True)
    )
    qualifications = Qualification.objects.select_related("suite").prefetch_related("grade_ranges")
    rows = [(q, q.pk in own, all(r.verified for r in q.grade_ranges.all())) for q in qualifications]
    return render(request, "tracker/people/centre/qualifications.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@access.role_required("centre_admin")
def qualification_ranges(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter the handbook's point ranges of one qualification for this centre: they replace
    the shipped (unverified) figures for the centre's learners; empty boxes go back to them."""
    centre = access.centre_for_admin(request.user)
    qualification = get_object_or_404(Qualification.objects.select_related("suite"), pk=pk)
    shipped = list(qualification.grade_ranges.all())
    labels = [row.label for row in shipped]
    own = {
        row.label: row
        for row in CentreGradeRange.objects.filter(centre=centre, qualification=qualification)
    }
    initial = {
        f"r{index}": own[label].minimum_points for index, label in enumerate(labels) if label in own
    }
    data = request.POST if request.method == "POST" else None
    form = CentreRangesForm(
        data,
        labels=labels,
        anchors=list(qualification.anchors.all()),
        qualification_name=qualification.short_name,
        initial=initial,
    )
    if request.method == "POST":
        if form.is_valid():
            with transaction.atomic():
                CentreGradeRange.objects.filter(centre=centre, qualification=qualification).delete()
                CentreGradeRange.objects.bulk_create(
                    CentreGradeRange(
                        centre=centre,
                        qualification=qualification,
                        label=label,
                        minimum_points=minimum,
                        entered_by=request.user,
                    )
                    for label, minimum in form.cleaned_data["ranges"]
                )
            messages.success(
                request,
                f"Point ranges for the {qualification.name} saved."
                if form.cleaned_data["ranges"]
                else f"The {qualification.name} uses the shipped point ranges again.",
            )
            return redirect("centre:qualifications")
        messages.error(request, "The point ranges were not saved: see the message below.")
    rows = [
        (form[f"r{index}"], row, grading.qualification_grade_words(row.label))
        for index, row in enumerate(shipped)
    ]
    context = {
        "qualification": qualification,
        "form": form,
        "rows": rows,
        "own": bool(own),
        "entered": max((row.entered_at for row in own.values()), default=None),
    }
    return render(request, "tracker/people/centre/qualification_ranges.html", context)
