"""OCR moderation: a proposed sample per group and unit, and its export with evidence.

The sample covers every assessor and every grade outcome, then tops up to the minimum share
of learners. The export is a zip streamed as it is written: the recording sheets workbook,
an index of evidence files, and the files themselves under safe names.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from tracker import access
from tracker.lib.zipstream import safe_name, zip_stream
from tracker.models import Enrolment, Evidence, EvidenceLink
from tracker.models.assessment import LINK_ORDER
from tracker.reports.recording_sheets import recording_sheets, sheets_workbook
from tracker.verification.sampling import propose_sample


@require_safe
@login_required
def sample_page(request: HttpRequest, pk: int, unit_pk: int) -> HttpResponse:
    """The proposed moderation sample of a group and unit, with why each learner is in it."""
    group, unit = access.get_group_unit_for_user(request.user, pk, unit_pk, need="admin")
    sample, rest, _ = propose_sample(group, unit, include_leavers=True)
    return render(
        request,
        "tracker/verification/moderation.html",
        {
            "group": group,
            "unit": unit,
            "sample": sample,
            "rest": rest,
            "total": len(sample) + len(rest),
        },
    )


@require_safe
@login_required
def sample_zip(request: HttpRequest, pk: int, unit_pk: int) -> StreamingHttpResponse:
    """The sample for the moderator: recording sheets, an evidence index, the evidence."""
    group, unit = access.get_group_unit_for_user(request.user, pk, unit_pk, need="admin")
    sample, _, _ = propose_sample(group, unit, include_leavers=True)
    enrolments = [entry.progress.enrolment for entry in sample]
    sheets = recording_sheets(
        list(
            Enrolment.objects.filter(pk__in=[e.pk for e in enrolments])
            .select_related("unit__suite", "learner__centre", "learner__group", "academic_year")
            .order_by("learner__last_name")
        )
    )
    files = []
    lines = [f"Moderation sample: {group.name}, unit {unit.number}: {unit.title}", ""]
    for evidence in (
        Evidence.objects.current()
        .filter(enrolment__in=enrolments)
        .exclude(file="")
        .select_related("enrolment__learner")
        .prefetch_related(
            Prefetch(
                "links",
                queryset=EvidenceLink.objects.select_related("criterion", "topic").order_by(
                    *LINK_ORDER
                ),
            )
        )
        .order_by("enrolment__learner__last_name", "uploaded_at")
    ):
        learner = evidence.enrolment.learner
        # The moderator's folders carry the legal name, as the recording sheets do.
        legal_last = learner.legal_last_name or learner.last_name
        legal_first = learner.legal_first_name or learner.first_name
        folder = safe_name(f"{learner.candidate_number} {legal_last} {legal_first}")
        name = f"{folder}/{evidence.pk}-{safe_name(evidence.original_name or 'evidence')}"
        files.append((name, evidence.file.open))
        covers = ", ".join(
            (link.criterion or link.topic).code + (f" ({link.location})" if link.location else "")
            for link in evidence.links.all()
        )
        lines.append(f"{name}\t{covers}")
    response = StreamingHttpResponse(
        zip_stream(
            [
                ("unit-recording-sheets.xlsx", sheets_workbook(sheets)),
                ("evidence-index.txt", "\n".join(lines) + "\n"),
            ],
            files,
        ),
        content_type="application/zip",
    )
    filename = f"moderation-{slugify(group.name)}-unit-{unit.number}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
