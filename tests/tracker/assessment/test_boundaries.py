"""Grade boundaries in the app: who enters which series, what each centre sees, the history,
and marks entered against a series picked from the list."""

import pytest
from django.test import Client
from django.urls import reverse

from criteria.grading import Grade
from criteria.models import BoundaryChange, BoundarySet, ExamSeries
from tests.conftest import make_staff
from tracker.assessment.progress import progress_for
from tracker.models import Centre, ExamMark, LeadAssessor, User

BOUNDARIES = {
    "max_mark": "60",
    "distinction": "48",
    "merit": "38",
    "pass_mark": "28",
    "near_pass": "22",
    "source": "OCR raw mark grade boundaries, January 2026",
}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("site-admin", "site@example.org", "pw")


@pytest.fixture
def other_centre(db) -> Centre:
    """A second centre on the instance, with its own admin."""
    centre = Centre.objects.create(name="Other College", ocr_number="54321")
    make_staff(centre, "other-admin", is_centre_admin=True)
    return centre


def shared_series(cast, name="January 2026") -> ExamSeries:
    return ExamSeries.objects.create(unit=cast.unit6, name=name, kind=ExamSeries.Kind.REAL)


def test_the_superuser_enters_a_shared_series_and_its_history_is_kept(cast, superuser):
    client = signed_in(superuser)
    page = client.get(reverse("unit_boundaries", args=[cast.unit6.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("series_add", args=[cast.unit6.pk]), {"name": "January 2026", "kind": "real"}
    )
    series = ExamSeries.objects.get(name="January 2026")
    assert series.is_shared and series.kind == "real"
    assert response.url == reverse("series_boundaries", args=[series.pk])
    response = client.post(reverse("series_boundaries", args=[series.pk]), BOUNDARIES)
    assert response.status_code == 302
    assert series.boundary_set.grade_for(40) is Grade.M
    client.post(reverse("series_boundaries", args=[series.pk]), {**BOUNDARIES, "distinction": "50"})
    summaries = list(series.changes.values_list("summary", flat=True))
    assert summaries[0] == "Distinction 48 → 50"
    assert summaries[1].startswith("Boundaries entered: Maximum mark 60; Distinction 48")
    assert summaries[2] == "Series added"
    assert all(c.changed_by == superuser for c in BoundaryChange.objects.all())
    body = client.get(reverse("unit_boundaries", args=[cast.unit6.pk])).content.decode()
    assert "OCR raw mark grade boundaries, January 2026" in body
    assert "Distinction 48 → 50" in body


def test_the_superuser_never_sees_a_centres_mock(cast, superuser):
    mock = cast.mock_series
    client = signed_in(superuser)
    body = client.get(reverse("unit_boundaries", args=[cast.unit6.pk])).content.decode()
    assert "Mock 1" not in body
    assert client.get(reverse("series_boundaries", args=[mock.pk])).status_code == 404


def test_a_one_centre_admin_may_enter_shared_series(cast, client_for):
    response = client_for("admin").post(
        reverse("series_add", args=[cast.unit6.pk]), {"name": "June 2026", "kind": "real"}
    )
    assert response.status_code == 302
    assert ExamSeries.objects.get(name="June 2026").is_shared


def test_with_several_centres_only_the_superuser_enters_shared_series(
    cast, client_for, other_centre
):
    series = shared_series(cast)
    admin = client_for("admin")
    response = admin.post(
        reverse("series_add", args=[cast.unit6.pk]), {"name": "June 2026", "kind": "real"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ExamSeries.objects.filter(name="June 2026").exists()
    assert admin.get(reverse("series_boundaries", args=[series.pk])).status_code == 403
    assert admin.post(reverse("series_boundaries", args=[series.pk]), BOUNDARIES).status_code == 403
    assert not BoundarySet.objects.exists()
    # Their own mocks they still add.
    admin.post(reverse("series_add", args=[cast.unit6.pk]), {"name": "Mock 2", "kind": "mock"})
    assert ExamSeries.objects.get(name="Mock 2").centre == cast.centre


def test_the_lead_assessor_enters_their_centres_mock(cast, client_for, other_centre):
    LeadAssessor.objects.create(centre=cast.centre, unit=cast.unit6, user=cast.teacher)
    teacher = client_for("teacher")
    assert teacher.get(reverse("unit_boundaries", args=[cast.unit6.pk])).status_code == 200
    mock = cast.mock_series
    response = teacher.post(reverse("series_boundaries", args=[mock.pk]), BOUNDARIES)
    assert response.status_code == 302
    assert mock.boundary_set.pass_mark == 28
    assert (
        teacher.get(reverse("series_boundaries", args=[shared_series(cast).pk])).status_code == 403
    )
    # The grid of the unit leads to the page.
    grid = teacher.get(reverse("grid", args=[cast.group.pk, cast.unit6.pk])).content.decode()
    assert reverse("unit_boundaries", args=[cast.unit6.pk]) in grid


def test_other_staff_are_refused(cast, client_for):
    for role in ("teacher", "iv", "learner"):
        client = client_for(role)
        assert client.get(reverse("boundaries")).status_code == 403
        assert client.get(reverse("unit_boundaries", args=[cast.unit6.pk])).status_code == 403


def test_a_centre_unit_has_no_boundaries_page(cast, client_for):
    response = client_for("admin").get(reverse("unit_boundaries", args=[cast.unit30.pk]))
    assert response.status_code == 404


def test_another_centres_mock_is_invisible(cast, client_for, other_centre):
    BoundarySet.objects.create(series=cast.mock_series, **{**BOUNDARIES, "source": "Ours"})
    outsider = signed_in(User.objects.get(username="other-admin"))
    body = outsider.get(reverse("unit_boundaries", args=[cast.unit6.pk])).content.decode()
    assert "Mock 1" not in body and "Ours" not in body
    url = reverse("series_boundaries", args=[cast.mock_series.pk])
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, BOUNDARIES).status_code == 404
    # A mock of the same name is theirs to add: names only clash within what one sees.
    outsider.post(reverse("series_add", args=[cast.unit6.pk]), {"name": "Mock 1", "kind": "mock"})
    assert ExamSeries.objects.filter(name="Mock 1").count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"merit": "50"}, "Boundaries out of order: Merit 50 is above Distinction 48"),
        ({"max_mark": "80", "distinction": "70"}, "differs from the unit&#x27;s 60"),
        ({"distinction": "61"}, "Boundary for Distinction (61) is above the maximum mark 60"),
        ({"source": ""}, "This field is required."),
    ],
)
def test_boundaries_are_checked_by_the_grading_rules(cast, client_for, change, message):
    url = reverse("series_boundaries", args=[cast.mock_series.pk])
    response = client_for("admin").post(url, {**BOUNDARIES, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BoundarySet.objects.exists()
    assert not BoundaryChange.objects.exists()


def test_a_series_name_is_taken_once(cast, client_for):
    shared_series(cast)
    response = client_for("admin").post(
        reverse("series_add", args=[cast.unit6.pk]), {"name": "january 2026", "kind": "mock"}
    )
    assert response.status_code == 200
    assert "There is already a series called" in response.content.decode()


def test_marks_are_entered_against_a_series_from_the_list(cast, client_for, other_centre):
    series = shared_series(cast)
    BoundarySet.objects.create(series=series, **BOUNDARIES)
    theirs = ExamSeries.objects.create(
        unit=cast.unit6, name="Their mock", kind="mock", centre=other_centre
    )
    teacher = client_for("teacher")
    grid = reverse("grid", args=[cast.group.pk, cast.unit6.pk])
    body = teacher.get(grid).content.decode()
    assert "January 2026 (OCR exam)" in body and "Their mock" not in body
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    marks = reverse("exam_marks", args=[cast.group.pk, cast.unit6.pk])
    refused = teacher.post(marks, {"series": theirs.pk, f"mark-{enrolment.pk}": "40"})
    assert "Select a valid choice" in refused.content.decode()
    assert (
        teacher.post(marks, {"series": series.pk, f"mark-{enrolment.pk}": "40"}).status_code == 302
    )
    (state,) = progress_for([enrolment])
    assert state.exam_results[0].grade is Grade.M
    assert state.achieved is Grade.M  # an OCR exam series: the achieved grade


def test_a_new_mock_is_added_from_the_marks_form(cast, client_for):
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    teacher = client_for("teacher")
    marks = reverse("exam_marks", args=[cast.group.pk, cast.unit6.pk])
    response = teacher.post(marks, {"new_mock": "Mock 2 2026", f"mark-{enrolment.pk}": "30"})
    assert response.status_code == 302
    mark = ExamMark.objects.get()
    assert (mark.series.name, mark.series.kind, mark.series.centre) == (
        "Mock 2 2026",
        "mock",
        cast.centre,
    )
    (state,) = progress_for([enrolment])
    assert state.exam_results[0].grade is None  # no boundaries entered yet
    body = teacher.get(f"/learners/{cast.learner.pk}/units/{enrolment.pk}/").content.decode()
    assert "no boundaries entered" in body
    again = teacher.post(marks, {"new_mock": "mock 2 2026", f"mark-{enrolment.pk}": "31"})
    assert "pick it from the list" in again.content.decode()
    both = teacher.post(
        marks, {"series": mark.series.pk, "new_mock": "X", f"mark-{enrolment.pk}": "31"}
    )
    assert "not both" in both.content.decode()
    neither = teacher.post(marks, {f"mark-{enrolment.pk}": "31"})
    assert "Pick the series" in neither.content.decode()


def test_the_catalogue_page_shows_only_shared_boundaries(cast, client_for, other_centre):
    BoundarySet.objects.create(series=cast.mock_series, **{**BOUNDARIES, "source": "Ours"})
    BoundarySet.objects.create(series=shared_series(cast), **BOUNDARIES)
    outsider = signed_in(User.objects.get(username="other-admin"))
    body = outsider.get(cast.unit6.get_absolute_url()).content.decode()
    assert "January 2026" in body and "Ours" not in body
