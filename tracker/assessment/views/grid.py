"""The group grid: every learner's decisions on a unit, edited in place, and exam marks."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from criteria.models import ExamSeries, Unit, item_key
from tracker import access
from tracker.assessment.boundaries import SeriesError, add_series
from tracker.assessment.bulk import record_bulk_decisions
from tracker.assessment.forms import BulkDecisionForm, ExamMarkForm, GridFilterForm
from tracker.assessment.progress import progress_for
from tracker.lib.forms import form_errors
from tracker.models import (
    Assignment,
    Enrolment,
    Evidence,
    EvidenceLink,
    ExamMark,
    Status,
)


@require_safe
@login_required
def grid(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Learners × criteria for a group and unit, editable in place from the keyboard."""
    group, unit = access.get_group_unit_for_user(request.user, pk, unit_pk, need="view")
    return render(request, "tracker/assessment/grid.html", _grid_context(request, group, unit))


# A cell's markup after its class and revision: the status as a symbol (colour comes from
# the class) and in words for screen readers. Built once; the page writes hundreds of cells.
_CELL_TAIL = {
    status.value: f'>{status.short}<span class="vh"> {status.label}</span></td>'
    for status in Status
}

# Stand-ins for ids in URL templates, replaced in the browser ({l} learner, {e} learner-unit).
_LEARNER, _ENROLMENT = 987654321, 876543219


def _url_template(name: str) -> str:
    """Return a learner-unit route with {l} and {e} in place of its ids, reversed once."""
    url = reverse(name, args=[_LEARNER, _ENROLMENT])
    return url.replace(str(_LEARNER), "{l}").replace(str(_ENROLMENT), "{e}")


@dataclass
class OutcomeColumns:
    """A learning outcome of an examined unit and the grid columns of its topics."""

    number: int
    title: str
    columns: list[int]

    @property
    def size(self) -> int:
        return len(self.columns)


def _cell(entry, extra: str = "", days_late: int = 0) -> str:
    """Return one cell's HTML: `g-<status>` colours it, `data-v` is the decision's revision
    (absent for 0), `extra` adds classes (" o2" its outcome, " e" evidence handed in).
    `days_late` > 0 adds the late marker: "late" on screen, "handed in N days late" read out
    and as the tooltip (not colour alone)."""
    revision = entry.decision.revision if entry.decision else 0
    version = f' data-v="{revision}"' if revision else ""
    tail = _CELL_TAIL[entry.status]
    if days_late:
        words = f"handed in {days_late} day{'s' if days_late != 1 else ''} late"
        tail = tail.replace(
            "</td>",
            f'<span class="gl"><span aria-hidden="true" title="{words.capitalize()}">late'
            f'</span><span class="vh">, {words}</span></span></td>',
        )
    return f'<td class="g-{entry.status}{extra}"{version}{tail}'


def row_totals(progress) -> str:
    """Return a grid row's closing cells as HTML: the grade achieved (or "Not sat" for an
    examined unit whose exam is not sat yet), the grade if everything handed in is achieved
    when it differs, and the points ("—" when none; "*" when unverified). Grades and points
    come from `progress_for`; the grid page and a saved cell's answer both use this."""
    enrolment = progress.enrolment
    if progress.unit.is_examined and not progress.exam_sat:
        grade = mark_safe(  # noqa: S308 - fixed markup
            '<span class="badge text-bg-light border">Not sat</span>'
            '<span class="vh"> (exam not sat yet)</span>'
        )
    else:
        achieved = progress.achieved
        grade = format_html(
            '<span class="badge {}">{}</span>',
            achieved.css_class if achieved else "",
            achieved.label if achieved else "",
        )
    if progress.projected != progress.achieved:
        grade = format_html(
            '{}<span class="g-proj" title="If everything handed in is achieved">'
            '<span aria-hidden="true">→</span><span class="vh"> if everything handed in is '
            "achieved:</span> {}</span>",
            grade,
            progress.projected.label if progress.projected else "",
        )
    points = "—" if progress.points is None else localize(progress.points)
    if not progress.points_verified:
        points = format_html(
            '{}<abbr title="unverified: check the qualification handbook">*</abbr>', points
        )
    return format_html(
        '<td id="grade-{}" class="g-grade">{}</td><td id="points-{}" class="g-points">{}</td>',
        enrolment.pk,
        grade,
        enrolment.pk,
        points,
    )


@dataclass
class CellEvidence:
    """What the grid needs to know about the evidence of its cells, keyed by
    (learner-unit id, item key): `handed_in`, cells with current evidence (bulk entry warns
    before marking achieved a cell with nothing handed in); `days_late`, cells whose latest
    current upload came in after its deadline, with the calendar days late as stored at
    hand-in (`EvidenceLink.days_late`, rule in `tracker.assessment.deadlines`)."""

    handed_in: set[tuple[int, str]]
    days_late: dict[tuple[int, str], int]


def _cell_evidence(enrolment_ids: list[int]) -> CellEvidence:
    """Return the handed-in and late cells of these learner-units, in one query."""
    links = (
        EvidenceLink.objects.filter(
            evidence__enrolment_id__in=enrolment_ids, evidence__in=Evidence.objects.current()
        )
        .order_by("evidence__uploaded_at", "evidence_id")
        .values_list(
            "evidence__enrolment_id",
            "criterion_id",
            "topic_id",
            "evidence__kind",
            "due_at",
            "late_by",
        )
    )
    handed_in: set[tuple[int, str]] = set()
    latest_upload: dict[tuple[int, str], tuple] = {}
    for enrolment_id, criterion_id, topic_id, kind, due, late in links:
        cell = (enrolment_id, item_key(criterion_id=criterion_id, topic_id=topic_id))
        handed_in.add(cell)
        if kind == Evidence.Kind.UPLOAD:
            # Oldest first, so the latest hand-in of the cell decides whether it is late.
            latest_upload[cell] = (due, late)
    days_late = {
        cell: EvidenceLink(due_at=due, late_by=late).days_late
        for cell, (due, late) in latest_upload.items()
        if late is not None
    }
    return CellEvidence(handed_in, {cell: days for cell, days in days_late.items() if days})


def _grid_context(request: HttpRequest, group, unit, exam_form: ExamMarkForm | None = None) -> dict:
    """The grid page's rows and columns, filtered as asked, with the exam marks form.

    Filters come from the query string through GridFilterForm: learners with a cell in a
    status, an assignment's criteria only, learners below target (the "Below target" flag of
    `progress_for`: the prediction, or else the projected grade, is under the target),
    learners with late work (a shown cell whose latest current upload came in after its
    deadline, as stored at hand-in). A late cell carries a "late" marker.
    Each row carries its cells as ready-made HTML (`cells`), with the learning outcomes'
    summaries between them on an examined unit.

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
    assignments = list(group.assignments.filter(unit=unit).values_list("pk", "title"))
    filters = GridFilterForm(request.GET, assignments=assignments)
    filters.is_valid()
    chosen = filters.cleaned_data.get("assignment")
    status_filter = filters.cleaned_data.get("status", "")
    columns = list(rows[0].items) if rows else []
    keep = list(range(len(columns)))
    if chosen:
        through = Assignment.criteria.through.objects.filter(assignment_id=chosen)
        wanted = {
            item_key(criterion_id=pk) for pk in through.values_list("criterion_id", flat=True)
        }
        keep = [i for i, entry in enumerate(columns) if entry.key in wanted]
    if status_filter:
        rows = [row for row in rows if any(row.items[i].status == status_filter for i in keep)]
    if filters.cleaned_data.get("below_target"):
        # The one rule for "below target" is progress_for's flag.
        rows = [row for row in rows if any(f.startswith("Below target") for f in row.flags)]
    evidence = _cell_evidence([row.enrolment.pk for row in rows])
    late_only = filters.cleaned_data.get("late")
    if late_only:
        rows = [
            row
            for row in rows
            if any((row.enrolment.pk, row.items[i].key) in evidence.days_late for i in keep)
        ]
    can_assess = access.teaches(request.user, group)
    outcomes: list[OutcomeColumns] = []
    if unit.is_examined:
        for i in keep:
            outcome = columns[i].item.learning_outcome
            if not outcomes or outcomes[-1].number != outcome.number:
                outcomes.append(OutcomeColumns(outcome.number, outcome.title, []))
            outcomes[-1].columns.append(i)
    handed_in = evidence.handed_in if can_assess else set()
    mark_url = _url_template("mark")
    for row in rows:
        enrolment = row.enrolment
        row.url = mark_url.replace("{l}", str(enrolment.learner_id)).replace(
            "{e}", str(enrolment.pk)
        )
        parts = []
        if outcomes:
            for outcome in outcomes:
                secure = sum(row.items[i].status == Status.ACHIEVED for i in outcome.columns)
                parts.append(
                    f'<td class="lo-sum" data-lo="{outcome.number}">{secure}/{outcome.size}</td>'
                )
                for i in outcome.columns:
                    cell = (enrolment.pk, row.items[i].key)
                    has = " e" if cell in handed_in else ""
                    late = evidence.days_late.get(cell, 0)
                    parts.append(_cell(row.items[i], f" o{outcome.number}{has}", late))
        else:
            for i in keep:
                cell = (enrolment.pk, row.items[i].key)
                late = evidence.days_late.get(cell, 0)
                parts.append(_cell(row.items[i], " e" if cell in handed_in else "", late))
        parts.append(row_totals(row))
        row.cells = mark_safe("".join(parts))  # noqa: S308 - fixed markup and numbers only
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
    shown = [columns[i] for i in keep]
    return {
        "group": group,
        "unit": unit,
        "rows": rows,
        "columns": shown,
        "outcomes": [(outcome, [columns[i] for i in outcome.columns]) for outcome in outcomes],
        "width": len(shown) + len(outcomes) + 3,
        "filters": filters,
        "filtered": bool(
            status_filter or chosen or filters.cleaned_data.get("below_target") or late_only
        ),
        "statuses": [Status(value) for value in Status.values],
        "can_assess": can_assess,
        "decide_url": _url_template("decide"),
        "mark_url": mark_url,
        "query": request.GET.urlencode(),
        "exam_form": exam_form,
        "boundaries_rights": access.boundary_rights(request.user, unit)
        if unit.is_examined
        else None,
    }


@require_POST
@login_required
def bulk(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """Set many cells of the grid to one status at once (the group's teachers only).

    Posts BulkDecisionForm: `status` and `cells` ("<learner-unit id>:<item key>:<revision>"
    each). Every cell goes through the decision service on its own (bulk.py): cells that
    conflict or are refused stay unchanged and are listed with why; the rest apply. An htmx
    request (the page's script) gets the grid back with the result above it; otherwise the
    result is a message on the grid page, with the filters of the query string kept.
    """
    group, unit = access.get_group_unit_for_user(request.user, pk, unit_pk, need="teach")
    form = BulkDecisionForm(request.POST)
    error = result = None
    if form.is_valid():
        result = record_bulk_decisions(
            group, unit, request.user, form.cleaned_data["status"], form.cleaned_data["cells"]
        )
    else:
        error = "Nothing was changed: " + form_errors(form)
    if request.headers.get("HX-Request"):
        context = _grid_context(request, group, unit)
        context |= {"bulk": result, "bulk_error": error}
        return render(
            request,
            "tracker/assessment/_grid_region.html",
            context,
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, result.summary)
        for cell in result.refused:
            messages.warning(request, f"Not changed: {cell.learner} {cell.code}: {cell.reason}")
        for warning in result.warnings:
            messages.warning(request, warning)
    query = request.GET.urlencode()
    return redirect(reverse("grid", args=[group.pk, unit.pk]) + (f"?{query}" if query else ""))


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
