"""Deleting an exam series: allowed with no marks, refused clearly with marks."""

from django.urls import reverse

from criteria.models import BoundarySet, ExamSeries
from tracker.models import ExamMark


def test_a_series_without_marks_is_deleted_with_its_boundaries(cast, client_for):
    series = cast.mock_series
    BoundarySet.objects.create(
        series=series, max_mark=80, distinction=60, merit=45, pass_mark=30, source="Our mock"
    )
    admin = client_for("admin")
    page = admin.get(reverse("unit_boundaries", args=[cast.unit6.pk])).content.decode()
    assert reverse("series_delete", args=[series.pk]) in page
    response = admin.post(
        reverse("series_delete", args=[series.pk]), {"confirm": "yes"}, follow=True
    )
    assert "Series Mock 1 deleted." in response.content.decode()
    assert not ExamSeries.objects.filter(pk=series.pk).exists()
    assert not BoundarySet.objects.filter(series_id=series.pk).exists()


def test_a_series_with_marks_is_kept_and_the_refusal_says_why(cast, client_for):
    series = cast.mock_series
    ExamMark.objects.create(
        enrolment=cast.learner.enrolments.get(unit=cast.unit6),
        series=series,
        mark=40,
        entered_by=cast.teacher,
    )
    admin = client_for("admin")
    page = admin.get(reverse("unit_boundaries", args=[cast.unit6.pk])).content.decode()
    assert reverse("series_delete", args=[series.pk]) not in page and "1 mark entered" in page
    response = admin.post(
        reverse("series_delete", args=[series.pk]), {"confirm": "yes"}, follow=True
    )
    assert "Mock 1 cannot be deleted: 1 learner mark was entered against it" in (
        response.content.decode()
    )
    assert ExamSeries.objects.filter(pk=series.pk).exists()


def test_a_teacher_cannot_delete_a_series(cast, client_for):
    series = cast.mock_series
    response = client_for("teacher").post(
        reverse("series_delete", args=[series.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 403
    assert ExamSeries.objects.filter(pk=series.pk).exists()
