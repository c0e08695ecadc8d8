"""Qualification figures for the role homes: the learner's own block, and each group's grade
distribution with the learners below target. Built on `qualification_progress_for`, so
every figure matches the planner and the exports; a fixed number of queries."""

from collections import Counter
from dataclasses import dataclass, field

from tracker.assessment.qualifications import (
    QualificationProgress,
    advice,
    below_target,
    qualification_progress_for,
)
from tracker.models import Learner

FIGURES = (
    ("achieved", "Achieved so far"),
    ("projected", "If everything handed in is passed"),
    ("predicted", "Predicted"),
    ("target", "Target"),
)


def learner_block(learner: Learner, progress) -> dict:
    """Return the learner home's context for `_qualification.html`: `qualification` (the
    learner's `QualificationProgress`, or None when not registered) and
    `qualification_advice` (plain words for the next grade, or None). Reuses the page's
    `progress` (from `progress_for` over all the learner's enrolments)."""
    state = qualification_progress_for([learner], progress=progress).get(learner.pk)
    return {"qualification": state, "qualification_advice": advice(state) if state else None}


@dataclass
class GroupSummary:
    """A group's qualification figures: `rows` are (figure label, [(grade words, count)])
    from the highest grade down, counting learners registered on a qualification;
    `below` the learners whose predicted grade is under their target grade (`below_target`);
    `unregistered`
    how many learners are on no qualification; `unverified` whether any figure counted rests
    on unverified data."""

    registered: int = 0
    unregistered: int = 0
    rows: list = field(default_factory=list)
    below: list = field(default_factory=list)
    unverified: bool = False


def summaries_for(learners: list[Learner]) -> dict[int | None, GroupSummary]:
    """Return {group id: GroupSummary} for learners (with their group loaded), in one call of
    `qualification_progress_for`."""
    states = qualification_progress_for(learners)
    by_group: dict[int | None, list] = {}
    for learner in learners:
        by_group.setdefault(learner.group_id, []).append(learner)
    return {group_id: _summary(members, states) for group_id, members in by_group.items()}


def _summary(learners: list[Learner], states: dict[int, QualificationProgress]) -> GroupSummary:
    summary = GroupSummary()
    counts = {name: Counter() for name, _ in FIGURES}
    order: dict[str, int] = {}
    for learner in learners:
        state = states.get(learner.pk)
        if state is None:
            summary.unregistered += 1
            continue
        summary.registered += 1
        for rank, (label, _) in enumerate(state.ranges):
            order.setdefault(label, rank)
        for name, _ in FIGURES:
            figure = getattr(state, name)
            if figure is None:
                continue
            counts[name][figure.words] += 1
            order.setdefault(figure.words, order.get(figure.grade or "", -1))
            summary.unverified = summary.unverified or not figure.verified
        if below_target(state):
            summary.below.append((learner, state))
    for name, label in FIGURES:
        ranked = sorted(counts[name].items(), key=lambda item: -order.get(item[0], -1))
        summary.rows.append((label, ranked))
    return summary


def group_summaries(groups, learners: list[Learner] | None = None) -> list[tuple]:
    """Return [(group, GroupSummary)] for the groups (in their order) with at least one
    learner on roll; one call of `qualification_progress_for` for them all. `learners`:
    the groups' learners on roll (with their group), by name, when the caller has them."""
    groups = list(groups)
    if learners is None:
        learners = list(
            Learner.objects.current()
            .filter(group__in=groups)
            .select_related("group")
            .order_by("last_name", "first_name", "pk")
        )
    summaries = summaries_for(learners)
    return [(group, summaries[group.pk]) for group in groups if group.pk in summaries]
