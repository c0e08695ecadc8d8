"""A Near Pass on a learner's Unit 6 page links to what it means, like Unclassified does."""

from datetime import date

from django.urls import reverse

from criteria.models import BoundarySet, ExamSeries
from tracker.models import ExamMark


def test_a_near_pass_mock_links_to_the_words_page(cast, client_for):
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
    ExamMark.objects.create(enrolment=enrolment, series=series, mark=25, entered_by=cast.teacher)

    page = client_for("learner").get(reverse("learner_unit", args=[enrolment.pk]))

    body = page.content.decode()
    assert "Near Pass" in body
    assert f'href="{reverse("glossary")}#near-pass"' in body
