"""An exam series is named with its kind once, in plain words, on every page that lists it."""

from datetime import date

import pytest
from django.urls import reverse

from criteria.models import BoundarySet, ExamSeries
from tracker.models import ExamMark


@pytest.mark.parametrize(
    ("name", "kind", "label"),
    [
        ("Mock 1", "mock", "Mock 1"),
        ("Spring mock 2027", "mock", "Spring mock 2027"),
        ("Practice paper", "mock", "Practice paper (mock)"),
        ("January 2026", "real", "January 2026 (OCR exam)"),
        ("OCR June 2026", "real", "OCR June 2026"),
    ],
)
def test_a_series_says_its_kind_once(name, kind, label):
    assert ExamSeries(name=name, kind=kind).label == label


def test_the_learner_and_teacher_read_a_practice_mock_once_in_plain_words(cast, client_for):
    series = ExamSeries.objects.create(
        unit=cast.unit6,
        name="Mock 1",
        kind=ExamSeries.Kind.MOCK,
        centre=cast.centre,
        sat_on=date(2026, 11, 10),
    )
    BoundarySet.objects.create(
        series=series,
        max_mark=60,
        distinction=48,
        merit=38,
        pass_mark=28,
        near_pass=22,
        source="made up for the test",
        illustrative=True,
    )
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    ExamMark.objects.create(enrolment=enrolment, series=series, mark=30, entered_by=cast.teacher)

    learner_page = client_for("learner").get(reverse("learner_unit", args=[enrolment.pk]))
    body = learner_page.content.decode()
    assert "Mock 1: 30 out of 60 · Pass (practice grade boundaries, not OCR's)" in body
    assert "(mock)" not in body and "(Mock)" not in body

    mark_page = client_for("teacher").get(reverse("mark", args=[cast.learner.pk, enrolment.pk]))
    body = mark_page.content.decode()
    assert "Mock 1: 30/60 — Pass" in body
    assert "(Mock)" not in body and "illustrative boundaries" not in body
