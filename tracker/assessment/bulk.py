"""Bulk entry on the group grid: one status for many cells, each decided on its own.

Every cell goes through `record_decision` (services.py) exactly as a single grid save does:
its history, the conflict check against the revision the page showed, the attempt count
and the centre's resubmission policy. A cell that conflicts or is refused is left as it is
and listed with the reason; the others apply. Nothing here is all or nothing.
"""

from dataclasses import dataclass, field

from criteria.models import Criterion, TopicItem, Unit
from tracker.assessment.services import (
    AssessmentError,
    DecisionConflict,
    decision_for,
    record_decision,
    refuse_if_left,
)
from tracker.models import Enrolment, Status, TeachingGroup, User
from tracker.templatetags.tracker_format import status_badge

# Written in each change's history, beside the policy warnings, so the history says where
# the decision was made.
BULK_NOTE = "bulk entry on the grid"


@dataclass
class RefusedCell:
    """A cell left unchanged: whose it is, the criterion or topic code, and why (a sentence)."""

    learner: str
    code: str
    reason: str


@dataclass
class BulkResult:
    """What a bulk save did: `applied` cells changed, `unchanged` cells already at the
    status, `refused` cells listed with why, `warnings` ("Lara Learner P1: Attempt 3: …")."""

    status: str
    applied: int = 0
    unchanged: int = 0
    refused: list[RefusedCell] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """One plain sentence: "12 cells set to ✓ Achieved; 2 left unchanged (listed)."."""
        words = [f"{_cells(self.applied)} set to {status_badge(self.status)}"]
        if self.unchanged:
            words.append(f"{_cells(self.unchanged)} already {Status(self.status).label}")
        if self.refused:
            words.append(f"{_cells(len(self.refused))} not changed (listed below)")
        return "; ".join(words) + "."


def _cells(count: int) -> str:
    return f"{count} cell{'s' if count != 1 else ''}"


def record_bulk_decisions(
    group: TeachingGroup,
    unit: Unit,
    assessor: User,
    status: str,
    cells: list[tuple[int, str, int]],
) -> BulkResult:
    """Set each cell (learner-unit id, item key "c:<pk>"/"t:<pk>", revision shown) to `status`.

    Only learner-units of `group` on `unit` in the group's academic year are touched; any
    other id is refused as "not in this grid". Each cell's existing feedback is kept. A cell
    already at `status` counts as "already <status>", even when someone else set it since
    the page showed it (bulk entry writes no feedback, so keeping theirs loses nothing). A
    cell whose decision moved on to another status since the page showed it (its revision
    moved on) is refused with who changed it, when, and to what; a leaver's cell is refused
    as read-only.

    Queries: three to look up the cells, then those of `record_decision` per cell.
    """
    result = BulkResult(status=status)
    enrolments = {
        enrolment.pk: enrolment
        for enrolment in Enrolment.objects.filter(
            pk__in={pk for pk, _, _ in cells},
            learner__group=group,
            unit=unit,
            academic_year=group.academic_year,
        ).select_related("learner", "unit")
    }
    items = {c.key: c for c in Criterion.objects.filter(unit=unit)}
    if unit.is_examined:
        items |= {t.key: t for t in TopicItem.objects.filter(learning_outcome__unit=unit)}
    for enrolment_pk, key, revision in cells:
        enrolment, item = enrolments.get(enrolment_pk), items.get(key)
        if enrolment is None or item is None:
            result.refused.append(
                RefusedCell("—", item.code if item else "—", "Not a cell of this grid.")
            )
            continue
        name = enrolment.learner.full_name
        try:
            refuse_if_left(enrolment.learner)
            decision = decision_for(enrolment, item)
            if decision.status == status:
                # Already what was asked, even if someone else set it since the page was
                # loaded: bulk entry keeps each cell's feedback, so nothing of theirs is lost.
                result.unchanged += 1
                continue
            warnings = record_decision(
                decision, assessor, status, decision.feedback, revision, note=BULK_NOTE
            )
        except DecisionConflict as conflict:
            if conflict.stored.status == status:  # set to the same status meanwhile
                result.unchanged += 1
                continue
            result.refused.append(
                RefusedCell(
                    name,
                    item.code,
                    f"Changed{conflict.by_whom} to "
                    f"{status_badge(conflict.stored.status)} since the page was loaded.",
                )
            )
            continue
        except AssessmentError as problem:
            result.refused.append(RefusedCell(name, item.code, str(problem)))
            continue
        result.applied += 1
        result.warnings += [f"{name} {item.code}: {warning}" for warning in warnings]
    return result
