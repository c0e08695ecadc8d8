"""Before the Unit 6 exam is sat, the recording sheet and the group grid say "not sat" rather
than grading the learner Unclassified, as the learner's own pages do."""

import re
from datetime import date

from django.urls import reverse

from criteria.models import BoundarySet, ExamSeries
from tracker.models import ExamMark


def exam_sat(cast, mark: int) -> None:
    series = ExamSeries.objects.create(
        unit=cast.unit6, name="June 2026", kind=ExamSeries.Kind.REAL, sat_on=date(2026, 6, 10)
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
    ExamMark.objects.create(
        enrolment=cast.learner.enrolments.get(unit=cast.unit6),
        series=series,
        mark=mark,
        entered_by=cast.teacher,
    )


def urs_grade(client, cast) -> str:
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    page = client.get(reverse("urs", args=[cast.learner.pk, enrolment.pk])).content.decode()
    return re.search(r"Unit grade</th><td>([^<]*)</td>", page).group(1)


def grid_grade(client, cast) -> str:
    page = client.get(reverse("grid", args=[cast.group.pk, cast.unit6.pk])).content.decode()
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    cell = re.search(rf'<td id="grade-{enrolment.pk}" class="g-grade">(.*?)</td>', page).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


def test_unit6_before_the_exam_is_not_sat_on_the_sheet_and_the_grid(cast, client_for):
    teacher = client_for("teacher")
    assert urs_grade(teacher, cast) == "Exam not sat yet"
    assert grid_grade(teacher, cast).startswith("Not sat (exam not sat yet)")

    exam_sat(cast, 40)

    assert urs_grade(teacher, cast) == "Merit"
    assert grid_grade(teacher, cast).startswith("Merit")


def test_unit30_still_shows_its_grade(cast, client_for):
    page = client_for("teacher").get(reverse("urs", args=[cast.learner.pk, cast.enrolment.pk]))
    assert re.search(r"Unit grade</th><td>Unclassified</td>", page.content.decode())
