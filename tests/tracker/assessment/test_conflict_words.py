"""A save refused because the decision moved on says so in a whole sentence even when the
change left no history row to name who made it (never "changed by someone at  to")."""

from django.db.models import F
from django.urls import reverse

from criteria.models import item_key
from tracker.models import Decision, Status


def moved_on_without_history(cast, code: str) -> tuple[Decision, int]:
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code=code)
    decision.changes.all().delete()
    Decision.objects.filter(pk=decision.pk).update(revision=F("revision") + 1)
    return decision, decision.revision


def test_bulk_entry_lists_a_cell_that_moved_on_without_naming_nobody(cast, client_for):
    decision, stale = moved_on_without_history(cast, "P1")
    cell = f"{cast.enrolment.pk}:{item_key(criterion_id=decision.criterion_id)}:{stale}"
    response = client_for("teacher").post(
        reverse("grid_bulk", args=[cast.group.pk, cast.unit30.pk]),
        {"status": "achieved", "cells": [cell]},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "Lara Learner P1: Changed to ● Submitted since the page was loaded." in body
    assert "someone" not in body
    decision.refresh_from_db()
    assert decision.status == Status.SUBMITTED


def test_marking_and_grid_saves_say_the_decision_changed_without_a_blank_time(cast, client_for):
    decision, stale = moved_on_without_history(cast, "P1")
    data = {
        "item": item_key(criterion_id=decision.criterion_id),
        "revision": stale,
        "status": "achieved",
        "feedback": "Mine.",
    }
    url = reverse("decide", args=[cast.learner.pk, cast.enrolment.pk])
    client = client_for("teacher")

    page = client.post(url, data, headers={"HX-Request": "true"}).content.decode()
    assert "This decision was changed since you loaded it, so yours was not saved." in page
    assert "Stored version of P1</strong>:" in page

    cell = client.post(url, data | {"from": "grid"}, headers={"HX-Request": "true"})
    assert cell.status_code == 409
    assert "Not saved: changed to ● Submitted. The cell now shows" in cell.content.decode()
    assert " at  " not in cell.content.decode() and "someone" not in page
