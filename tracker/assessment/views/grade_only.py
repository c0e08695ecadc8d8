"""Grade-only units: a learner's other units of their qualification, entered one learner at
a time or imported from a file (preview first, then all rows or none)."""

import secrets

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods, require_POST

from tracker import access
from tracker.assessment.forms import GradeOnlyForm, GradesConfirmForm, GradesImportForm
from tracker.assessment.grade_only import (
    GradeOnlyError,
    allowed_grades,
    apply_grade_plan,
    build_grade_plan,
    save_result,
    suite_awards_near_pass,
)
from tracker.assessment.qualifications import qualification_progress_for
from tracker.lib.forms import valid_or_400
from tracker.models import GradeOnlyResult, Learner
from tracker.people.importing import ImportFileError, read_table

SESSION_KEY = "grades_import"


@require_http_methods(["GET", "POST"])
@access.role_required("teacher", "centre_admin", "internal_verifier")
def learner_units(request: HttpRequest, pk: int) -> HttpResponse:
    """A learner's qualification, unit by unit: tracked units with their progress, and a
    grade achieved and predicted grade for each grade-only unit, which their teachers and the
    centre admin may change; everyone else who sees the learner reads it."""
    learner = access.get_learner_for_user(request.user, pk)
    editable = access.can_edit_learner(request.user, learner)
    if request.method == "POST" and not editable:
        access.get_learner_for_editing(request.user, pk)  # 403 with the reason
    qualification = learner.qualification
    units = []
    near_pass = False
    if qualification is not None:
        units = list(qualification.units.filter(unit__isnull=True).order_by("number"))
        near_pass = suite_awards_near_pass(qualification.suite)
    results = {
        result.qualification_unit_id: result
        for result in GradeOnlyResult.objects.filter(learner=learner).select_related("updated_by")
    }
    initial = {}
    for unit in units:
        result = results.get(unit.pk)
        initial[f"a{unit.pk}"] = result.achieved if result else ""
        initial[f"p{unit.pk}"] = result.predicted if result else ""
    form = GradeOnlyForm(
        request.POST if request.method == "POST" else None,
        units=units,
        grades_for=lambda unit: allowed_grades(near_pass and unit.examined),
        initial=initial,
    )
    if request.method == "POST":
        if form.is_valid():
            changed = 0
            for unit, achieved, predicted in form.changes():
                try:
                    changed += save_result(learner, unit, achieved, predicted, request.user)
                except GradeOnlyError as error:
                    messages.error(request, str(error))
            messages.success(request, f"Saved: {changed} unit{pluralize(changed)} changed.")
            return redirect("learner_units", pk=learner.pk)
        messages.error(request, "Nothing was saved. " + " ".join(form.problems()))
    progress = qualification_progress_for([learner]).get(learner.pk)
    rows = [
        (unit, form[f"a{unit.pk}"], form[f"p{unit.pk}"], results.get(unit.pk)) for unit in units
    ]
    context = {
        "learner": learner,
        "qualification": qualification,
        "progress": progress,
        "rows": rows,
        "form": form,
        "editable": editable,
    }
    return render(request, "tracker/assessment/learner_units.html", context)


def _importable_learners(user):
    """The learners a user may change: their groups' learners, or the admin's centre's."""
    learners = Learner.objects.for_user(user).current()
    if access.has_role(user, "centre_admin"):
        return learners
    return learners.filter(group__teachers=user)


def _leavers_of(user):
    """The leavers among the learners the user may see (a leaver has no group any more)."""
    return Learner.objects.for_user(user).filter(left_on__isnull=False)


@require_http_methods(["GET", "POST"])
@access.role_required("teacher", "centre_admin")
def grades_import(request: HttpRequest) -> HttpResponse:
    """Upload grade-only results (candidate number, unit, grade, prediction) and preview what
    importing them would do; nothing changes before the confirmation."""
    form = GradesImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        request.session.pop(SESSION_KEY, None)
        upload = form.cleaned_data["file"]
        try:
            plan = build_grade_plan(
                read_table(upload.read(), upload.name),
                _importable_learners(request.user),
                _leavers_of(request.user),
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            token = ""
            if plan.ok:
                token = secrets.token_hex(16)
                request.session[SESSION_KEY] = {
                    "token": token,
                    "name": upload.name,
                    "rows": [
                        [
                            row.learner.candidate_number,
                            str(row.unit.number),
                            row.achieved,
                            row.predicted,
                        ]
                        for row in plan.rows
                    ],
                }
            return render(
                request,
                "tracker/assessment/grades_preview.html",
                {"plan": plan, "file_name": upload.name, "token": token},
            )
    return render(request, "tracker/assessment/grades_import.html", {"form": form})


@require_POST
@access.role_required("teacher", "centre_admin")
def grades_import_confirm(request: HttpRequest) -> HttpResponse:
    """Import the previewed grades: checked again, then every row or none."""
    token = valid_or_400(GradesConfirmForm(request.POST))["token"]
    pending = request.session.get(SESSION_KEY)
    if not pending or pending["token"] != token:
        messages.error(
            request, "This preview is out of date or was cancelled. Nothing was imported."
        )
        return redirect("grades_import")
    request.session.pop(SESSION_KEY)
    table = [["Candidate number", "Unit", "Grade", "Prediction"], *pending["rows"]]
    plan = build_grade_plan(table, _importable_learners(request.user), _leavers_of(request.user))
    if not plan.ok:
        messages.error(request, "The data changed since the preview; nothing was imported.")
        return render(
            request,
            "tracker/assessment/grades_preview.html",
            {"plan": plan, "file_name": pending["name"], "token": ""},
        )
    changed = apply_grade_plan(plan, request.user)
    messages.success(
        request,
        f"Imported {pending['name']}: {changed} result{pluralize(changed)} changed, "
        f"{len(plan.rows) - changed} unchanged.",
    )
    return redirect("grades_import")


@require_POST
@access.role_required("teacher", "centre_admin")
def grades_import_cancel(request: HttpRequest) -> HttpResponse:
    """Drop a previewed grades file without importing it."""
    token = valid_or_400(GradesConfirmForm(request.POST))["token"]
    pending = request.session.get(SESSION_KEY)
    if pending and pending["token"] == token:
        request.session.pop(SESSION_KEY)
        messages.info(request, "The import was cancelled.")
    return redirect("grades_import")
