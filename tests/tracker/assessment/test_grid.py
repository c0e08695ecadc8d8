"""The group grid: compact cells, filters, outcomes of an examined unit, and bulk entry."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from criteria.models import TopicItem
from tests.conftest import make_learner
from tracker.assessment.bulk import BULK_NOTE
from tracker.assessment.services import decision_for, record_decision
from tracker.models import Assignment, Decision, DecisionChange, Prediction, Status


def grid_url(cast, unit=None) -> str:
    return reverse("grid", args=[cast.group.pk, (unit or cast.unit30).pk])


def bulk_url(cast, unit=None) -> str:
    return reverse("grid_bulk", args=[cast.group.pk, (unit or cast.unit30).pk])


def cell_value(enrolment, item, revision=None) -> str:
    if revision is None:
        found = Decision.objects.filter(enrolment=enrolment, **{item_field(item): item}).first()
        revision = found.revision if found else 0
    return f"{enrolment.pk}:{item.key}:{revision}"


def item_field(item) -> str:
    return "topic" if isinstance(item, TopicItem) else "criterion"


def fill_group(cast, learners: int) -> None:
    """Give the group `learners` learners in all, every cell of both units decided."""
    for index in range(learners - 1):
        make_learner(cast.centre, cast.group, f"{200 + index:04d}", "Extra", f"Learner{index:02d}")
    decisions = []
    topics = list(TopicItem.objects.filter(learning_outcome__unit=cast.unit6))
    criteria = list(cast.unit30.criteria.all())
    statuses = [Status.ACHIEVED, Status.NOT_YET, Status.SUBMITTED]
    for learner in cast.group.learners.all():
        for enrolment in learner.enrolments.all():
            items = topics if enrolment.unit_id == cast.unit6.pk else criteria
            taken = set(enrolment.decisions.values_list("criterion_id", "topic_id"))
            for index, item in enumerate(items):
                key = (item.pk, None) if item_field(item) == "criterion" else (None, item.pk)
                if key in taken:
                    continue
                decisions.append(
                    Decision(
                        enrolment=enrolment,
                        status=statuses[index % 3],
                        revision=12,
                        attempts=1,
                        submitted_at=timezone.now(),
                        **{item_field(item): item},
                    )
                )
    Decision.objects.bulk_create(decisions)


@pytest.mark.parametrize("unit_name", ["unit30", "unit6"])
def test_the_grid_of_twenty_learners_is_under_300_kb(cast, client_for, unit_name):
    fill_group(cast, 20)
    unit = getattr(cast, unit_name)
    response = client_for("teacher").get(grid_url(cast, unit))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('<tr data-e="') == 20
    assert len(response.content) < 300_000, len(response.content)


@pytest.mark.parametrize("unit_name", ["unit30", "unit6"])
def test_the_grid_query_count_does_not_grow_with_the_group(cast, client_for, unit_name):
    unit = getattr(cast, unit_name)
    client = client_for("teacher")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(grid_url(cast, unit)).status_code == 200
        return len(captured)

    # Unit 30: session, user, staff membership, group, unit, enrolments, criteria,
    # decisions, predictions, points, assignments (late flags), the group's assignments for
    # the filter, "is a teacher of the group", evidence handed in per cell, navigation
    # learner record. Unit 6 adds its topics, exam marks, boundaries, "leads the unit" (the
    # boundaries link), and the exam marks form's series (count, then the list).
    expected = 15 if unit_name == "unit30" else 21
    assert queries() == expected
    fill_group(cast, 8)
    assert queries() == expected


def test_cells_show_the_status_as_colour_symbol_and_words_without_forms(cast, client_for):
    body = client_for("teacher").get(grid_url(cast)).content.decode()
    assert "<select" not in re.search(r"<tbody>.*</tbody>", body, re.S).group(0)
    # P1 was handed in (with evidence): yellow, ●, and the words for screen readers.
    assert '<td class="g-submitted e" data-v="1">●<span class="vh"> Submitted</span></td>' in body
    assert '<td class="g-not_started">○<span class="vh"> Not started</span></td>' in body
    # The URLs are templates on the table, once, not per cell.
    assert 'data-decide="/learners/{l}/units/{e}/decide/"' in body
    assert body.count("/decide/") == 1
    # The legend and the keys are on the page.
    assert 'id="grid-legend"' in body and "<kbd>A</kbd> sets ✓ Achieved" in body


def test_viewers_see_the_grid_without_editing(cast, client_for):
    body = client_for("iv").get(grid_url(cast)).content.decode()
    assert "data-decide" not in body and 'role="grid"' not in body
    assert "bulk-dialog" not in body and "● Submitted" not in body  # words are hidden text
    assert '<span class="vh"> Submitted</span>' in body


def test_the_unit6_grid_is_grouped_by_outcome_with_summaries_folded(cast, client_for):
    topics = TopicItem.objects.filter(learning_outcome__unit=cast.unit6).select_related(
        "learning_outcome"
    )
    first = topics.filter(learning_outcome__number=1).first()
    enrolment6 = cast.learner.enrolments.get(unit=cast.unit6)
    decision = decision_for(enrolment6, first)
    record_decision(decision, cast.teacher, Status.ACHIEVED, "", decision.revision)
    body = client_for("teacher").get(grid_url(cast, cast.unit6)).content.decode()
    outcomes = sorted({topic.learning_outcome.number for topic in topics})
    in_first = topics.filter(learning_outcome__number=1).count()
    assert f'<td class="lo-sum" data-lo="1">1/{in_first}</td>' in body
    table = re.search(r'<table class="grid-table([^"]*)"', body).group(1)
    assert table.split() == [f"fold-{n}" for n in outcomes]
    assert body.count('aria-expanded="false" title="Learning outcome') == len(outcomes)
    assert f'class="o1" data-k="{first.key}"' in body


def test_filters_by_status_assignment_and_below_target(cast, client_for):
    other = make_learner(cast.centre, cast.group, "0003", "Ben", "Bright")
    client = client_for("teacher")
    body = client.get(grid_url(cast), {"status": "submitted"}).content.decode()
    assert "Learner, Lara" in body and "Bright, Ben" not in body
    assignment = Assignment.objects.create(
        group=cast.group,
        unit=cast.unit30,
        title="Booklet 1",
        issued_on=timezone.localdate(),
        deadline=timezone.localdate(),
        created_by=cast.teacher,
    )
    assignment.criteria.set(cast.unit30.criteria.filter(code__in=["P1", "P2"]))
    body = client.get(grid_url(cast), {"assignment": assignment.pk}).content.decode()
    assert body.count('data-k="c:') == 2
    enrolment = other.enrolments.get(unit=cast.unit30)
    enrolment.target_grade = "D"
    enrolment.save()
    Prediction.objects.create(enrolment=enrolment, grade="P", predicted_by=cast.teacher)
    body = client.get(grid_url(cast), {"below_target": "on"}).content.decode()
    assert "Bright, Ben" in body and "Learner, Lara" not in body
    # Values no page sends are not applied, and never an error.
    response = client.get(grid_url(cast), {"status": "x", "assignment": "-1"})
    assert response.status_code == 200 and "Bright, Ben" in response.content.decode()


def test_bulk_entry_applies_each_cell_and_lists_conflicts(cast, client_for):
    other = make_learner(cast.centre, cast.group, "0003", "Ben", "Bright")
    p1 = cast.unit30.criteria.get(code="P1")
    mine, theirs = cast.enrolment, other.enrolments.get(unit=cast.unit30)
    stale = cell_value(theirs, p1)
    # Someone else decides Ben's P1 after the page was loaded.
    cast.group.teachers.add(cast.other_teacher)
    decision = decision_for(theirs, p1)
    record_decision(decision, cast.other_teacher, Status.NOT_YET, "Theirs.", decision.revision)
    mine_p1 = Decision.objects.get(enrolment=mine, criterion=p1)
    mine_p1.feedback = "Kept."
    mine_p1.save()
    response = client_for("teacher").post(
        bulk_url(cast),
        {"status": "achieved", "cells": [cell_value(mine, p1), stale]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 cell set to ✓ Achieved; 1 cell not changed (listed below)." in body
    assert "Ben Bright P1: Changed by Other_Teacher Staff at " in body
    assert 'id="grid-region"' in body
    mine_p1.refresh_from_db()
    assert (mine_p1.status, mine_p1.feedback) == (Status.ACHIEVED, "Kept.")
    change = mine_p1.changes.first()
    assert change.note == BULK_NOTE and change.changed_by == cast.teacher
    decision.refresh_from_db()
    assert (decision.status, decision.feedback) == (Status.NOT_YET, "Theirs.")


def test_bulk_entry_counts_a_cell_someone_else_set_to_that_status_as_already_done(cast, client_for):
    other = make_learner(cast.centre, cast.group, "0003", "Ben", "Bright")
    p1 = cast.unit30.criteria.get(code="P1")
    theirs = other.enrolments.get(unit=cast.unit30)
    stale = cell_value(theirs, p1)
    cast.group.teachers.add(cast.other_teacher)
    decision = decision_for(theirs, p1)
    record_decision(decision, cast.other_teacher, Status.ACHIEVED, "Theirs.", decision.revision)
    before = DecisionChange.objects.count()
    response = client_for("teacher").post(
        bulk_url(cast), {"status": "achieved", "cells": [stale]}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "0 cells set to ✓ Achieved; 1 cell already Achieved." in body
    assert "since the page was loaded" not in body
    decision.refresh_from_db()
    assert (decision.status, decision.feedback) == (Status.ACHIEVED, "Theirs.")
    assert DecisionChange.objects.count() == before


def test_bulk_entry_without_script_redirects_with_a_summary(cast, client_for):
    p2 = cast.unit30.criteria.get(code="P2")
    response = client_for("teacher").post(
        bulk_url(cast) + "?status=submitted",
        {"status": "not_yet", "cells": [cell_value(cast.enrolment, p2)]},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == grid_url(cast) + "?status=submitted"
    assert "1 cell set to ✗ Not yet achieved." in response.content.decode()
    assert Decision.objects.get(enrolment=cast.enrolment, criterion=p2).status == Status.NOT_YET
    # Already at that status: counted, not changed again (no new history).
    before = DecisionChange.objects.count()
    response = client_for("teacher").post(
        bulk_url(cast),
        {"status": "not_yet", "cells": [cell_value(cast.enrolment, p2)]},
        follow=True,
    )
    assert "0 cells set to ✗ Not yet achieved; 1 cell already Not yet achieved." in (
        response.content.decode()
    )
    assert DecisionChange.objects.count() == before


def test_bulk_entry_refuses_cells_of_other_groups_and_leavers(cast, client_for):
    p1 = cast.unit30.criteria.get(code="P1")
    outsider = cast.other_learner.enrolments.get(unit=cast.unit30)
    cast.learner.left_on = timezone.localdate()
    cast.learner.save()
    response = client_for("teacher").post(
        bulk_url(cast),
        {"status": "achieved", "cells": [cell_value(outsider, p1), cell_value(cast.enrolment, p1)]},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "0 cells set to ✓ Achieved; 2 cells not changed (listed below)." in body
    assert "Not a cell of this grid." in body and "their record is read-only" in body
    assert not Decision.objects.filter(enrolment=outsider).exists()


@pytest.mark.parametrize(
    "cells",
    [[], ["abc"], ["1:x:2:0"], ["1:c:2"], ["1:c:2:-1"], ["9" * 30 + ":c:1:0"]],
)
def test_bulk_entry_with_cells_no_page_sends_changes_nothing(cast, client_for, cells):
    before = DecisionChange.objects.count()
    response = client_for("teacher").post(
        bulk_url(cast), {"status": "achieved", "cells": cells}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    assert DecisionChange.objects.count() == before


def test_only_the_groups_teachers_use_bulk_entry(cast, client_for):
    p1 = cast.unit30.criteria.get(code="P1")
    data = {"status": "achieved", "cells": [cell_value(cast.enrolment, p1)]}
    assert client_for("iv").post(bulk_url(cast), data).status_code == 403
    assert client_for("admin").post(bulk_url(cast), data).status_code == 403
    assert client_for("other_teacher").post(bulk_url(cast), data).status_code == 404
    assert Decision.objects.get(enrolment=cast.enrolment, criterion=p1).status == (Status.SUBMITTED)


def test_bulk_entry_and_a_single_save_on_unit6_topics(cast, client_for):
    enrolment6 = cast.learner.enrolments.get(unit=cast.unit6)
    topics = list(
        TopicItem.objects.filter(learning_outcome__unit=cast.unit6, learning_outcome__number=2)
    )[:3]
    teacher = client_for("teacher")
    response = teacher.post(
        bulk_url(cast, cast.unit6),
        {"status": "achieved", "cells": [cell_value(enrolment6, topic) for topic in topics]},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "3 cells set to ✓ Achieved." in body
    assert '<td class="lo-sum" data-lo="2">3/' in body
    # One cell saved from the keyboard comes back with its outcome, so folding still hides it.
    response = teacher.post(
        reverse("decide", args=[cast.learner.pk, enrolment6.pk]),
        {"item": topics[0].key, "revision": "1", "status": "not_yet", "from": "grid"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f'id="cell-{enrolment6.pk}-{topics[0].code}" class="g-not_yet o2"' in (
        response.content.decode()
    )


def _late_hand_in(cast, learner, code, days):
    """Hand in `code` for `learner`, `days` after the deadline of an assignment covering it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import PDF
    from tracker.evidence.services import Claim, submit_evidence

    deadline = timezone.localdate() - timedelta(days=days)
    assignment, _ = Assignment.objects.get_or_create(
        group=cast.group,
        unit=cast.unit30,
        title=f"Due {deadline}",
        defaults={
            "issued_on": deadline - timedelta(weeks=3),
            "deadline": deadline,
            "created_by": cast.teacher,
        },
    )
    assignment.criteria.add(cast.unit30.criteria.get(code=code))
    return submit_evidence(
        learner.enrolments.get(unit=cast.unit30),
        learner.user,
        [Claim(cast.unit30.criteria.get(code=code))],
        upload=SimpleUploadedFile("work.pdf", PDF),
        original_name="work.pdf",
        declared=True,
    )


LATE_P3 = (
    '<span class="gl"><span aria-hidden="true" title="Handed in 3 days late">late</span>'
    '<span class="vh">, handed in 3 days late</span></span></td>'
)


def test_a_cell_handed_in_late_says_late_in_words(cast, client_for):
    _late_hand_in(cast, cast.learner, "P3", 3)
    for role in ("iv", "teacher"):
        body = client_for(role).get(grid_url(cast)).content.decode()
        assert body.count('class="gl"') == 1, role
        assert f'<span class="vh"> Submitted</span>{LATE_P3}' in body
    # P1 was handed in before any deadline covered it: no marker.
    assert '<td class="g-submitted e" data-v="1">●<span class="vh"> Submitted</span></td>' in body
    # The key explains the marker.
    assert "handed in after its deadline" in body


def test_a_new_version_on_time_takes_the_late_marker_away(cast, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import PDF
    from tracker.evidence.services import Claim, submit_evidence

    late = _late_hand_in(cast, cast.learner, "P3", 3)
    Assignment.objects.filter(group=cast.group).update(
        deadline=timezone.localdate() + timedelta(days=2)
    )
    submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(cast.unit30.criteria.get(code="P3"))],
        upload=SimpleUploadedFile("work-v2.pdf", PDF),
        original_name="work-v2.pdf",
        declared=True,
        replaces=late,
    )
    body = client_for("teacher").get(grid_url(cast)).content.decode()
    assert 'class="gl"' not in body


def test_the_late_work_filter_keeps_learners_with_late_cells(cast, client_for):
    other = make_learner(cast.centre, cast.group, "0003", "Ben", "Bright")
    _late_hand_in(cast, other, "P4", 1)
    client = client_for("teacher")
    body = client.get(grid_url(cast), {"late": "on"}).content.decode()
    assert "Bright, Ben" in body and "Learner, Lara" not in body
    assert 'name="late" value="on" id="id_late" checked' in body
    assert "handed in 1 day late" in body
    # An assignment without the late criterion shows nobody with late work.
    assignment = Assignment.objects.create(
        group=cast.group,
        unit=cast.unit30,
        title="Booklet 1",
        issued_on=timezone.localdate(),
        deadline=timezone.localdate(),
        created_by=cast.teacher,
    )
    assignment.criteria.set(cast.unit30.criteria.filter(code__in=["P1", "P2"]))
    body = client.get(grid_url(cast), {"late": "on", "assignment": assignment.pk}).content
    assert "No learners match." in body.decode()
    # Garbage is not applied, never an error.
    response = client.get(grid_url(cast), {"late": ["x", "on", "\x00"]})
    assert response.status_code == 200


def test_late_markers_keep_the_query_count_and_the_size(cast, client_for):
    fill_group(cast, 12)
    client = client_for("teacher")
    _late_hand_in(cast, cast.learner, "P5", 4)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(grid_url(cast), {"late": "on"}).status_code == 200
        return len(captured)

    # As test_the_grid_query_count_does_not_grow_with_the_group, with the assignments'
    # criteria and the extensions (the late flags) now that an assignment exists; the late
    # cells come with the evidence handed in per cell, in the same query.
    assert queries() == 17
    for index in range(9):
        make_learner(cast.centre, cast.group, f"{400 + index:04d}", "More", f"Learner{index:02d}")
    for learner in cast.group.learners.all()[:10]:
        _late_hand_in(cast, learner, "P6", 2)
    assert queries() == 17
    body = client.get(grid_url(cast), {"late": "on"}).content.decode()
    assert body.count('<tr data-e="') == 10 and body.count('class="gl"') == 11
    assert len(client.get(grid_url(cast)).content) < 300_000
