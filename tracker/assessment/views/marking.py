"""Teachers' assessment pages: marking queue, per-learner marking, group grid, predictions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Min, OuterRef, Prefetch
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from criteria.models import BoundarySet, ExamSeries
from tracker import access
from tracker.assessment.forms import AuthoriseForm, DecisionForm, PredictionForm, grades_allowed
from tracker.assessment.progress import progress_for
from tracker.assessment.services import (
    AssessmentError,
    DecisionConflict,
    authorise_resubmission,
    decision_for,
    record_decision,
)
from tracker.assessment.views.grid import row_totals
from tracker.evidence.authenticity import same_files
from tracker.evidence.items import annotate_links
from tracker.lib.forms import valid_or_400
from tracker.models import (
    Decision,
    DecisionChange,
    Enrolment,
    EvidenceLink,
    LeadAssessor,
    Prediction,
)
from tracker.pagination import paginate
from tracker.templatetags.tracker_format import status_badge


@require_safe
@access.role_required("teacher")
def queue(request: HttpRequest) -> HttpResponse:
    """Evidence awaiting assessment across the teacher's groups, oldest first, a page of
    learner-units at a time. `?late=1` keeps only learner-units with a criterion whose
    current evidence was handed in after its deadline (as stored at hand-in)."""
    late_only = request.GET.get("late") == "1"
    # From the teacher's learner-units to their decisions (index decision_status_enrolment),
    # never through every decision awaiting assessment in the centre.
    waiting = Decision.objects.awaiting_assessment().filter(
        enrolment__in=Enrolment.objects.current().filter(learner__group__teachers=request.user)
    )
    if late_only:
        waiting = waiting.filter(
            Exists(
                EvidenceLink.objects.filter(
                    evidence__enrolment_id=OuterRef("enrolment_id"),
                    criterion_id=OuterRef("criterion_id"),
                    evidence__withdrawn_at=None,
                    late_by__isnull=False,
                )
            )
        )
    page = paginate(
        request,
        waiting.values("enrolment_id")
        .annotate(since=Min(Coalesce("submitted_at", "updated_at")))
        .order_by("since", "enrolment_id"),
    )
    # The page's decisions as plain values with what the rows show of their learner-unit:
    # one query, no model instances (a page holds a few hundred claims).
    claimed: dict[int, list[tuple]] = {}
    # Sorted here: ordering by submitted_at in SQL tempts SQLite into reading every decision
    # awaiting assessment through the (status, submitted_at) index.
    for claim in sorted(
        Decision.objects.awaiting_assessment()
        .filter(enrolment_id__in=[row["enrolment_id"] for row in page])
        .order_by()
        .values_list(
            "enrolment_id",
            "criterion_id",
            "criterion__code",
            "topic__code",
            "enrolment__learner_id",
            "enrolment__learner__first_name",
            "enrolment__learner__last_name",
            "enrolment__learner__group__name",
            "enrolment__unit__number",
            "submitted_at",
            "updated_at",
            "pk",
        ),
        key=lambda claim: (claim[9] or claim[10], claim[11]),
    ):
        claimed.setdefault(claim[0], []).append(claim)
    late = _late_hand_ins(list(claimed))
    rows = []
    for row in page:
        claims = claimed[row["enrolment_id"]]
        items = [
            {"code": criterion_code or topic_code, "late": late.get((enrolment_id, criterion_id))}
            for enrolment_id, criterion_id, criterion_code, topic_code, *_ in claims
        ]
        _, _, _, _, learner_id, first_name, last_name, group, unit_number, *_ = claims[0]
        rows.append(
            {
                "enrolment_id": row["enrolment_id"],
                "learner_id": learner_id,
                # As Learner.full_name and str(TeachingGroup) say them.
                "learner": f"{first_name} {last_name}",
                "group": group,
                "unit": unit_number,
                "codes": [item["code"] for item in items],
                "items": items,
                "late": [item for item in items if item["late"]],
                "since": row["since"],
            }
        )
    return render(
        request,
        "tracker/assessment/queue.html",
        {"rows": rows, "page": page, "now": timezone.now(), "late_only": late_only},
    )


def _late_hand_ins(enrolment_ids: list[int]) -> dict[tuple[int, int], EvidenceLink]:
    """Return {(enrolment id, criterion id): the latest late link} among current evidence of
    these learner-units. One query, none when the list is empty."""
    if not enrolment_ids:
        return {}
    late = {}
    for link in (
        EvidenceLink.objects.filter(
            evidence__enrolment_id__in=enrolment_ids,
            evidence__withdrawn_at=None,
            late_by__isnull=False,
        )
        .select_related("evidence")
        .order_by("evidence__uploaded_at")
    ):
        late[link.evidence.enrolment_id, link.criterion_id] = link
    return late


@require_safe
@login_required
def mark(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """All criteria of a learner's unit with their evidence, and a decision form for each."""
    enrolment = access.get_enrolment_for_user(request.user, pk, enrolment_pk)
    if enrolment.learner.user_id == request.user.pk:
        return redirect("learner_unit", pk=enrolment.pk)
    (progress,) = progress_for([enrolment])
    annotate_links(progress, enrolment)
    can_assess = access.can_assess(request.user, enrolment.learner)
    histories = {}
    for decision in (
        Decision.objects.filter(enrolment=enrolment)
        .order_by()
        .prefetch_related(
            Prefetch("changes", queryset=DecisionChange.objects.select_related("changed_by"))
        )
    ):
        histories[decision.pk] = list(decision.changes.all())
    for entry in progress.items:
        entry.history = histories.get(entry.decision.pk, []) if entry.decision else []
        entry.revision = entry.decision.revision if entry.decision else 0
    duplicates = same_files(enrolment, request.user)
    is_lead = LeadAssessor.objects.filter(
        centre_id=enrolment.learner.centre_id, unit_id=enrolment.unit_id, user=request.user
    ).exists()
    context = {
        "is_lead": is_lead,
        "progress": progress,
        "enrolment": enrolment,
        "learner": enrolment.learner,
        "can_assess": can_assess,
        "duplicates": duplicates,
        "prediction_form": PredictionForm(
            unit=enrolment.unit,
            initial={
                "grade": progress.prediction.grade if progress.prediction else "P",
                "note": progress.prediction.note if progress.prediction else "",
            },
        ),
        "boundary_sets": BoundarySet.objects.filter(
            series__in=ExamSeries.objects.filter(unit=enrolment.unit).for_centre(
                enrolment.learner.centre_id
            )
        ).select_related("series")
        if enrolment.unit.is_examined
        else [],
    }
    return render(request, "tracker/assessment/mark.html", context)


@require_POST
@login_required
def decide(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """Record a decision on one criterion; htmx gets the updated row and grade back.

    A refused save says why where it was made. On the grid the cell comes back as stored
    (409 for a conflict, 400 for a save that cannot be made, 403 for someone who may not
    decide), so the page never shows a value that was not saved. On the marking page a
    conflict keeps what the teacher typed and shows the stored version beside it; the form
    then carries the stored revision, so saving again deliberately replaces it.
    """
    enrolment = access.get_enrolment_for_user(request.user, pk, enrolment_pk)
    form = DecisionForm(request.POST)
    grid = form["from"].value() == "grid" and bool(request.headers.get("HX-Request"))
    if not access.can_assess(request.user, enrolment.learner):
        refusal = "Only the learner's teachers record decisions."
        if grid:
            return _grid_cell(request, enrolment, form, "Not saved: " + refusal, 403, False)
        raise PermissionDenied(refusal)
    form.fields["evidence"].choices = [(e.pk, e.pk) for e in enrolment.evidence.all()]
    error = None
    conflict: DecisionConflict | None = None
    warnings: list[str] = []
    if form.is_valid():
        item = access.get_assessable_item(enrolment, form.cleaned_data["item"])
        decision = decision_for(enrolment, item)
        try:
            warnings = record_decision(
                decision,
                request.user,
                form.cleaned_data["status"],
                form.cleaned_data["feedback"],
                form.cleaned_data["revision"],
                form.cleaned_data["evidence"] if "evidence" in request.POST else None,
            )
        except DecisionConflict as problem:
            conflict = problem
            error = str(problem)
        except AssessmentError as problem:
            error = str(problem)
    else:
        error = "; ".join(" ".join(errors) for errors in form.errors.values())
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        else:
            messages.success(
                request, "Decision saved." + (" " + " ".join(warnings) if warnings else "")
            )
        return redirect("mark", pk=enrolment.learner_id, enrolment_pk=enrolment.pk)
    if grid:
        if conflict is not None:
            error = (
                f"Not saved: changed{conflict.by_whom} to "
                f"{status_badge(conflict.stored.status)}. The cell now shows the stored decision."
            )
            return _grid_cell(request, enrolment, form, error, 409)
        if error:
            return _grid_cell(request, enrolment, form, "Not saved: " + error, 400)
        return _grid_cell(request, enrolment, form, None, 200, warnings=warnings)
    (progress,) = progress_for([enrolment])
    annotate_links(progress, enrolment)
    key = form.cleaned_data.get("item") if form.is_valid() else form["item"].value() or ""
    entry = next((e for e in progress.items if e.key == key), None)
    if entry is not None:
        entry.history = (
            list(entry.decision.changes.select_related("changed_by")) if entry.decision else []
        )
        entry.revision = entry.decision.revision if entry.decision else 0
    kept = stored = None
    if conflict is not None:
        error = (
            f"This decision was changed{conflict.by_whom} since you loaded it, "
            "so yours was not saved. Yours is still in the form and theirs is shown below it: "
            "Save again to replace theirs."
        )
        kept = {"status": form.cleaned_data["status"], "feedback": form.cleaned_data["feedback"]}
        stored = {
            "status": conflict.stored.status,
            "feedback": conflict.stored.feedback,
            "by": conflict.changed_by,
            "at": conflict.changed_at,
        }
    return render(
        request,
        "tracker/assessment/_decision_response.html",
        {
            "entry": entry,
            "progress": progress,
            "error": error,
            "warnings": warnings,
            "can_assess": True,
            "enrolment": enrolment,
            "kept": kept,
            "stored": stored,
        },
    )


def _grid_cell(
    request: HttpRequest,
    enrolment: Enrolment,
    form: DecisionForm,
    error: str | None,
    status: int,
    can_assess: bool = True,
    warnings: list[str] | None = None,
) -> HttpResponse:
    """Answer a grid save with its cell as now stored, the row's totals and a status line."""
    (progress,) = progress_for([enrolment])
    key = form["item"].value() or ""
    cell = next((entry for entry in progress.items if entry.key == key), None)
    return render(
        request,
        "tracker/assessment/_grid_cell_response.html",
        {
            "entry": cell,
            "progress": progress,
            "error": error,
            "warnings": warnings or [],
            "row": enrolment,
            "totals": row_totals(progress),
            "can_assess": can_assess,
        },
        status=status,
    )


@require_POST
@login_required
def authorise(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """The unit's lead assessor authorises a resubmission (recorded, with who and when)."""
    enrolment = access.get_enrolment_for_user(request.user, pk, enrolment_pk)
    data = valid_or_400(AuthoriseForm(request.POST))
    decision = access.get_decision_of(enrolment, data["decision"])
    try:
        authorise_resubmission(decision, request.user)
    except AssessmentError as error:
        raise PermissionDenied(str(error)) from None
    messages.success(request, f"Resubmission of {decision.item_code} authorised.")
    return redirect("mark", pk=enrolment.learner_id, enrolment_pk=enrolment.pk)


@require_POST
@login_required
def predict(request: HttpRequest, pk: int, enrolment_pk: int) -> HttpResponse:
    """Record the teacher's predicted grade (history kept: the newest is current)."""
    enrolment = access.get_enrolment_for_user(request.user, pk, enrolment_pk)
    if not access.can_assess(request.user, enrolment.learner):
        raise PermissionDenied("Only the learner's teachers predict their grades.")
    form = PredictionForm(request.POST, unit=enrolment.unit)
    if enrolment.learner.left_on is not None:
        messages.error(request, f"{enrolment.learner.full_name} has left: nothing new is recorded.")
    elif form.is_valid():
        Prediction.objects.create(
            enrolment=enrolment,
            grade=form.cleaned_data["grade"],
            note=form.cleaned_data["note"],
            predicted_by=request.user,
        )
        messages.success(request, "Prediction saved.")
    else:
        allowed = ", ".join(grade.label for grade in grades_allowed(enrolment.unit))
        messages.error(
            request,
            f"Choose a predicted grade this unit can award ({allowed}); "
            "a note is at most 300 characters.",
        )
    return redirect("mark", pk=enrolment.learner_id, enrolment_pk=enrolment.pk)
