"""Which OCR exam result counts when a learner resits: the best by default (unverified, no
OCR source found), or the latest series by its date with EXAM_RESULT_RULE=latest_series;
never the mark saved last."""

from datetime import date

import pytest

from criteria.grading import Grade
from criteria.models import BoundarySet, ExamSeries
from tracker.assessment.progress import progress_for
from tracker.models import ExamMark


def series(cast, name: str, sat_on: date | None) -> ExamSeries:
    made = ExamSeries.objects.create(
        unit=cast.unit6, name=name, kind=ExamSeries.Kind.REAL, sat_on=sat_on
    )
    BoundarySet.objects.create(
        series=made,
        max_mark=60,
        distinction=48,
        merit=38,
        pass_mark=28,
        near_pass=22,
        source="made up for the test",
        illustrative=True,
    )
    return made


@pytest.fixture
def resit(cast):
    """A Merit in January 2026, then a Pass at the resit in June 2026."""
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    january = ExamMark.objects.create(
        enrolment=enrolment,
        series=series(cast, "January 2026", date(2026, 1, 10)),
        mark=40,
        entered_by=cast.teacher,
    )
    ExamMark.objects.create(
        enrolment=enrolment,
        series=series(cast, "June 2026", date(2026, 6, 10)),
        mark=30,
        entered_by=cast.teacher,
    )
    return enrolment, january


def achieved(enrolment) -> Grade:
    return progress_for([enrolment])[0].achieved


def test_the_best_result_counts_by_default(resit):
    enrolment, _ = resit
    assert achieved(enrolment) is Grade.M


def test_latest_series_counts_the_series_sat_last(resit, settings):
    settings.EXAM_RESULT_RULE = "latest_series"
    enrolment, _ = resit
    assert achieved(enrolment) is Grade.P


def test_re_saving_an_older_series_mark_does_not_make_it_latest(resit, settings):
    settings.EXAM_RESULT_RULE = "latest_series"
    enrolment, january = resit
    january.mark = 41
    january.save()  # entered_at moves on; the series' date does not
    assert achieved(enrolment) is Grade.P
    results = progress_for([enrolment])[0].exam_results
    assert [result.mark.series.name for result in results] == ["January 2026", "June 2026"]


def test_a_series_without_a_date_is_dated_by_its_name(cast, settings):
    settings.EXAM_RESULT_RULE = "latest_series"
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    for name, mark in (("June 2026", 30), ("January 2026", 50)):
        ExamMark.objects.create(
            enrolment=enrolment, series=series(cast, name, None), mark=mark, entered_by=cast.teacher
        )
    assert achieved(enrolment) is Grade.P


def test_the_setting_refuses_unknown_rules(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from tracker.env import env_choice

    monkeypatch.setenv("EXAM_RESULT_RULE", "latest_save")
    with pytest.raises(ImproperlyConfigured, match="is not one of: best, latest_series"):
        env_choice("EXAM_RESULT_RULE", "best", ("best", "latest_series"))
