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
from django.db.models import Count, Exists, Min, Sum

from tracker.assessment.progress import UnitProgress, progress_for
from tracker.models import (
    Centre,
    CentreSummary,
    Decision,
    Enrolment,
    EnrolmentSummary,
    GroupSummary,
    Learner,
    Status,
    SummaryMarker,
)
from tracker.models.summaries import NOT_SAT

# The four series the overview counts, in the order of `CentreSummary.figures`.
SERIES = ["achieved", "projected", "predicted", "target"]

# The PostgreSQL advisory lock the triggers take shared and a refresh takes exclusive, so a
# refresh never reads data a writer has changed but not yet committed.
LOCK_KEY = 1806
CHUNK = 2000


def summary_of(
    progress: UnitProgress, centre_id: int, rule: str, waiting: tuple[int, object]
) -> EnrolmentSummary:
    """Return the summary of one learner-unit's progress, as the dashboard counts it:
    an examined unit with no graded OCR result is "not sat yet" (achieved), and "not sat
    yet" projected too when no mock is graded either. ``waiting``: (decisions handed in
    and not yet marked, when the oldest came in)."""
    examined = progress.unit.is_examined
    return EnrolmentSummary(
        enrolment_id=progress.enrolment.pk,
        centre_id=centre_id,
        unit_id=progress.unit.pk,
        group_id=progress.enrolment.learner.group_id,
        rule=rule,
        achieved=NOT_SAT if progress.not_sat else progress.achieved.value,
        projected=(
            NOT_SAT if examined and progress.graded_by is None else progress.projected.value
        ),
        predicted=progress.prediction.grade if progress.prediction else "",
        target=progress.target or "",
        done=progress.done,
        waiting=waiting[0],
        waiting_since=waiting[1],
    )


def needs_refresh(centre: Centre, rule: str) -> bool:
    """Return whether some of the centre's summaries are missing or of another rule (one
    query of three index lookups: constant in the centre's size)."""
    rows = EnrolmentSummary.objects.filter(centre=centre.pk)
    return Centre.objects.filter(
        Exists(SummaryMarker.objects.filter(centre=centre.pk))
        | ~Exists(CentreSummary.objects.filter(centre=centre.pk, rule=rule))
        # "Another rule" as two ranges of the index, never a scan of the centre's rows.
        | Exists(rows.filter(rule__lt=rule))
        | Exists(rows.filter(rule__gt=rule)),
        pk=centre.pk,
    ).exists()


def refresh_summaries(centre: Centre) -> int:
    """Work out the centre's missing summaries; return how many were written.

    Costs one query when nothing is missing. Otherwise, in one transaction that writes wait
    for (SQLite's write lock; on PostgreSQL the advisory lock the triggers take shared), it
    clears the centre's markers and rows of another rule, finds the current enrolments of
    the centre's teaching groups with no summary (those the markers name, or all of them
    after a change that names none), writes theirs 2,000 at a time, adds up again the
    marking backlog of every group that gained or lost a summary with work waiting, and
    the centre's `CentreSummary`.
    """
    rule = settings.EXAM_RESULT_RULE
    if not needs_refresh(centre, rule):
        return 0
    written = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        markers = SummaryMarker.objects.filter(centre=centre)
        groups, enrolments, gone, scan, targets = set(), set(), [], False, False
        for group_id, enrolment_id, targeted, *removed in markers.values_list(
            "group_id", "enrolment_id", "targets", "unit_id", *SERIES, "done"
        ):
            if group_id:
                groups.add(group_id)
            elif enrolment_id:
                enrolments.add(enrolment_id)
                targets = targets or targeted
                if removed[0] is not None:
                    gone.append(removed)
            else:
                scan = True
        markers.delete()
        # Rows of another rule: two ranges of the index, never a scan of the centre's rows.
        rows = EnrolmentSummary.objects.filter(centre=centre)
        other_rule = rows.filter(rule__lt=rule).delete()[0] + rows.filter(rule__gt=rule).delete()[0]
        if other_rule or not CentreSummary.objects.filter(centre=centre, rule=rule).exists():
            scan = True
            groups |= set(
                GroupSummary.objects.filter(centre=centre).values_list("group_id", flat=True)
            )
        missing = (
            Enrolment.objects.current()
            .filter(learner__group__centre=centre, summary__isnull=True)
            .order_by("pk")
        )
        scan = scan or len(enrolments) > CHUNK  # many named: one scan beats a long list
        if not scan:  # only the learner-units the writes named: no scan of the centre
            missing = missing.filter(pk__in=enrolments)
        missing = list(missing.values_list("pk", flat=True))
        added = []
        for start in range(0, len(missing), CHUNK):
            ids = missing[start : start + CHUNK]
            chunk = Enrolment.objects.filter(pk__in=ids).select_related("unit__suite", "learner")
            waiting = {
                row["enrolment_id"]: (row["count"], row["oldest"])
                for row in Decision.objects.filter(enrolment_id__in=ids, status=Status.SUBMITTED)
                .values("enrolment_id")
                .annotate(count=Count("pk"), oldest=Min("submitted_at"))
                .order_by()
            }
            rows = [
                summary_of(progress, centre.pk, rule, waiting.get(progress.enrolment.pk, (0, None)))
                for progress in progress_for(chunk, with_assessors=False, with_items=False)
            ]
            EnrolmentSummary.objects.bulk_create(rows, ignore_conflicts=True)
            added += rows
            groups |= {row.group_id for row in rows if row.waiting}
            written += len(rows)
        add_up_backlogs(centre, sorted(groups), rule)
        if scan:
            add_up_centre(centre, rule)
        else:
            amend_centre(centre, gone, added, targets)
    return written


def add_up_backlogs(centre: Centre, groups: list[int], rule: str) -> None:
    """Add up the marking backlog of these groups again from their summaries."""
    for start in range(0, len(groups), CHUNK):
        ids = groups[start : start + CHUNK]
        GroupSummary.objects.filter(group_id__in=ids).delete()
        GroupSummary.objects.bulk_create(
            GroupSummary(
                group_id=row["group_id"],
                centre=centre,
                waiting=row["waiting"],
                waiting_since=row["since"],
            )
            for row in EnrolmentSummary.objects.filter(
                centre=centre, group_id__in=ids, rule=rule, waiting__gt=0
            )
            .values("group_id")
            .annotate(waiting=Sum("waiting"), since=Min("waiting_since"))
            .order_by()
        )


def add_up_centre(centre: Centre, rule: str) -> CentreSummary:
    """Add up the centre overview's figures again from the centre's summaries (one grouped
    query on the centre's rows of one index) and count its learners without a target."""
    figures = [
        [row["unit_id"], *(row[name] for name in SERIES), row["learners"], row["done"]]
        for row in EnrolmentSummary.objects.filter(centre=centre, rule=rule)
        .values("unit_id", *SERIES)
        .annotate(learners=Count("*"), done=Sum("done"))
        .order_by("unit_id", *SERIES)
    ]
    summary, _ = CentreSummary.objects.update_or_create(
        centre=centre,
        defaults={
            "rule": rule,
            "figures": figures,
            "without_target": count_without_target(centre),
        },
    )
    return summary


def amend_centre(centre: Centre, gone: list, added: list, targets: bool) -> None:
    """Take the summaries that went (copied into their markers: ``[unit id, achieved,
    projected, predicted, target, done]``) off the centre's figures and add the ones just
    worked out, instead of adding up every row again; count learners without a target
    again only when a target may have changed (``targets``)."""
    summary = CentreSummary.objects.get(centre=centre)
    counts = {tuple(row[:5]): [row[5], row[6]] for row in summary.figures}
    changes = [(tuple(row[:5]), -1, -row[5]) for row in gone] + [
        ((row.unit_id, *(getattr(row, name) for name in SERIES)), 1, row.done) for row in added
    ]
    for key, learners, done in changes:
        count = counts.setdefault(key, [0, 0])
        count[0] += learners
        count[1] += done
    summary.figures = [[*key, *count] for key, count in sorted(counts.items()) if count[0]]
    if targets:
        summary.without_target = count_without_target(centre)
    summary.save()


def count_without_target(centre: Centre) -> int:
    """Learners on roll with a unit enrolment that has no target."""
    blank = Enrolment.objects.filter(target_grade="").values("learner_id")
    return Learner.objects.current().filter(centre=centre, pk__in=blank).count()


def centre_summary(centre: Centre) -> CentreSummary:
    """Return the centre overview's figures, brought up to date first (`refresh_summaries`)."""
    refresh_summaries(centre)
    return CentreSummary.objects.get(centre=centre)


def refresh_every_centre() -> int:
    """Refresh every centre's summaries (the housekeeping command, ahead of readers)."""
    return sum(refresh_summaries(centre) for centre in Centre.objects.order_by("pk"))


def forget_every_summary(using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop every summary and mark every centre for a refresh (after a restore, whose raw
    inserts the triggers may see before the rows they join to)."""
    EnrolmentSummary.objects.using(using).all().delete()
    GroupSummary.objects.using(using).all().delete()
    CentreSummary.objects.using(using).all().delete()
    SummaryMarker.objects.using(using).bulk_create(
        SummaryMarker(centre_id=pk)
        for pk in Centre.objects.using(using).values_list("pk", flat=True)
    )
