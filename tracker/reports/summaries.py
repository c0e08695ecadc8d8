"""Keep the centre dashboard's per-enrolment summaries filled (issue #18).

Writes never compute a summary: database triggers (migration
``tracker.0018_enrolment_summaries``) delete the summaries a write affects and leave a
`SummaryMarker` for the centre. `refresh_summaries` runs when the centre dashboard is read
(and from the housekeeping command, ahead of readers): when the centre has a marker, or
rows worked out under another ``EXAM_RESULT_RULE``, it works out every missing summary with
`progress_for(with_items=False)`, the one progress service, so the dashboard's figures are
always the sum of the learners' progress. What deletes which summaries is listed in
docs/performance.md (*Centre dashboard*).
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Exists, OuterRef, Q

from tracker.assessment.progress import UnitProgress, progress_for
from tracker.models import Centre, Enrolment, EnrolmentSummary, SummaryMarker
from tracker.models.summaries import NOT_SAT

# The PostgreSQL advisory lock the triggers take shared and a refresh takes exclusive, so a
# refresh never reads data a writer has changed but not yet committed.
LOCK_KEY = 1806
CHUNK = 2000


def summary_of(progress: UnitProgress, centre_id: int, rule: str) -> EnrolmentSummary:
    """Return the summary of one learner-unit's progress, as the dashboard counts it:
    an examined unit with no graded OCR result is "not sat yet" (achieved), and "not sat
    yet" projected too when no mock is graded either."""
    examined = progress.unit.is_examined
    return EnrolmentSummary(
        enrolment_id=progress.enrolment.pk,
        centre_id=centre_id,
        unit_id=progress.unit.pk,
        rule=rule,
        achieved=NOT_SAT if progress.not_sat else progress.achieved.value,
        projected=(
            NOT_SAT if examined and progress.graded_by is None else progress.projected.value
        ),
        predicted=progress.prediction.grade if progress.prediction else "",
        target=progress.target or "",
        done=progress.done,
    )


def needs_refresh(centre: Centre, rule: str) -> bool:
    """Return whether some of the centre's summaries are missing or of another rule (one
    query, on two indexes: constant in the centre's size)."""
    marked = SummaryMarker.objects.filter(centre=OuterRef("pk"))
    other_rule = EnrolmentSummary.objects.filter(centre=OuterRef("pk")).exclude(rule=rule)
    return Centre.objects.filter(Q(Exists(marked)) | Q(Exists(other_rule)), pk=centre.pk).exists()


def refresh_summaries(centre: Centre) -> int:
    """Work out the centre's missing summaries; return how many were written.

    Costs one query when nothing is missing. Otherwise, in one transaction that writes wait
    for (SQLite's write lock; on PostgreSQL the advisory lock the triggers take shared), it
    clears the centre's markers and rows of another rule, finds the current enrolments of
    the centre's teaching groups with no summary, and writes theirs, 2,000 at a time.
    """
    rule = settings.EXAM_RESULT_RULE
    if not needs_refresh(centre, rule):
        return 0
    written = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        SummaryMarker.objects.filter(centre=centre).delete()
        EnrolmentSummary.objects.filter(centre=centre).exclude(rule=rule).delete()
        missing = list(
            Enrolment.objects.current()
            .filter(learner__group__centre=centre, summary__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(missing), CHUNK):
            chunk = Enrolment.objects.filter(pk__in=missing[start : start + CHUNK]).select_related(
                "unit__suite", "learner"
            )
            rows = [
                summary_of(progress, centre.pk, rule)
                for progress in progress_for(chunk, with_assessors=False, with_items=False)
            ]
            EnrolmentSummary.objects.bulk_create(rows, ignore_conflicts=True)
            written += len(rows)
    return written


def refresh_every_centre() -> int:
    """Refresh every centre's summaries (the housekeeping command, ahead of readers)."""
    return sum(refresh_summaries(centre) for centre in Centre.objects.order_by("pk"))


def forget_every_summary(using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop every summary and mark every centre for a refresh (after a restore, whose raw
    inserts the triggers may see before the rows they join to)."""
    EnrolmentSummary.objects.using(using).all().delete()
    SummaryMarker.objects.using(using).bulk_create(
        SummaryMarker(centre_id=pk)
        for pk in Centre.objects.using(using).values_list("pk", flat=True)
    )
