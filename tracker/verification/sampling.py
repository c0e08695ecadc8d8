"""Proposing samples of learner-units for internal verification and OCR moderation.

A sample covers every assessor and every grade outcome, all learners of a new assessor, and
then a minimum share of learners. An internal verifier's sample leaves out every learner-unit
with a decision of their own: nobody verifies their own assessment.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from tracker.assessment.progress import UnitProgress, progress_for
from tracker.models import Decision, Enrolment, TeachingGroup, User


@dataclass
class SampleEntry:
    progress: UnitProgress
    assessors: list[str]
    new_assessors: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def propose_sample(
    group: TeachingGroup, unit, verifier: User | None = None, *, include_leavers: bool = False
) -> tuple[list[SampleEntry], list[SampleEntry], list[SampleEntry]]:
    """Return (sample, the rest, excluded because the verifier assessed them).

    Learners who have left are not proposed for internal verification; an OCR moderation
    sample (``include_leavers``) still takes them, as the units they achieved are claimed.
    """
    enrolments = Enrolment.objects.all() if include_leavers else Enrolment.objects.current()
    enrolments = list(
        enrolments.filter(learner__group=group, unit=unit, academic_year=group.academic_year)
        .select_related("unit__suite", "learner__group")
        .order_by("learner__last_name", "learner__first_name")
    )
    assessors: dict[int, set[str]] = defaultdict(set)
    new: dict[int, set[str]] = defaultdict(set)
    own: set[int] = set()
    for enrolment_id, assessor_id, first, last, is_new in (
        Decision.objects.filter(enrolment__in=enrolments, assessor__isnull=False)
        .values_list(
            "enrolment_id",
            "assessor_id",
            "assessor__first_name",
            "assessor__last_name",
            "assessor__is_new_assessor",
        )
        .distinct()
    ):
        name = f"{first} {last}"
        assessors[enrolment_id].add(name)
        if is_new:
            new[enrolment_id].add(name)
        if verifier is not None and assessor_id == verifier.pk:
            own.add(enrolment_id)
    entries, excluded = [], []
    for progress in progress_for(enrolments):
        entry = SampleEntry(
            progress, sorted(assessors[progress.enrolment.pk]), sorted(new[progress.enrolment.pk])
        )
        if progress.enrolment.pk in own:
            entry.reasons.append("has decisions of yours: another verifier must check it")
            excluded.append(entry)
        else:
            entries.append(entry)
    chosen: dict[int, SampleEntry] = {}

    def take(entry: SampleEntry, reason: str) -> None:
        entry.reasons.append(reason)
        chosen[entry.progress.enrolment.pk] = entry

    for entry in entries:
        for name in entry.new_assessors:
            take(entry, f"new assessor {name}: every learner is sampled")
    covered: set[tuple[str, str]] = set()
    for entry in entries:  # one learner per assessor and grade
        for name in entry.assessors:
            label = entry.progress.achieved.label
            if (name, label) not in covered:
                covered.add((name, label))
                why = "one learner per assessor and grade"
                take(entry, f"checks {name}'s marking at {label} ({why})")
    for entry in entries:  # every grade outcome
        label = entry.progress.achieved.label
        if not any(e.progress.achieved.label == label for e in chosen.values()):
            take(entry, f"so a learner at {label} is checked")
    share = settings.IV_MINIMUM_SHARE
    wanted = min(len(entries), max(settings.IV_MINIMUM_LEARNERS, math.ceil(share * len(entries))))
    for entry in entries:
        if len(chosen) >= wanted:
            break
        if entry.progress.enrolment.pk not in chosen:
            take(entry, f"makes up the minimum of {wanted} learners")
    sample = [e for e in entries if e.progress.enrolment.pk in chosen]
    rest = [e for e in entries if e.progress.enrolment.pk not in chosen]
    return sample, rest, excluded
