"""A centre admin enters the handbook's point ranges; they replace the shipped ones."""

from django.urls import reverse

from criteria.models import Qualification
from tracker.assessment.qualifications import qualification_progress_for
from tracker.models import CentreGradeRange

LADDER = [100, 120, 140, 160, 195, 220, 240]  # PP … D*D*


def post(client, qualification, values):
    data = {f"r{index}": value for index, value in enumerate(values)}
    return client.post(reverse("centre:qualification_ranges", args=[qualification.pk]), data)


def test_the_admin_enters_ranges_and_they_are_used(cast, client_for):
    diploma = Qualification.objects.get(code="05833")
    client = client_for("admin")
    assert client.get(reverse("centre:qualifications")).status_code == 200
    assert "Shipped (unverified)" in client.get(reverse("centre:qualifications")).content.decode()
    assert post(client, diploma, LADDER).status_code == 302
    page = client.get(reverse("centre:qualifications")).content.decode()
    assert "Entered by your centre" in page
    cast.learner.qualification = diploma
    cast.learner.save()
    state = qualification_progress_for([cast.learner])[cast.learner.pk]
    assert state.ranges_by_centre
    assert dict(state.ranges)["DD"] == 195


def test_empty_boxes_go_back_to_the_shipped_figures(cast, client_for):
    diploma = Qualification.objects.get(code="05833")
    client = client_for("admin")
    post(client, diploma, LADDER)
    post(client, diploma, [""] * 7)
    assert not CentreGradeRange.objects.exists()


def test_ranges_must_be_complete_and_rise_with_the_grade(cast, client_for):
    diploma = Qualification.objects.get(code="05833")
    client = client_for("admin")
    missing = post(client, diploma, [*LADDER[:-1], ""])
    assert "Enter the minimum points of every grade" in missing.content.decode()
    tied = post(client, diploma, [100, 100, 140, 160, 195, 220, 240])
    assert "PP and MP both start at 100 points" in tied.content.decode()
    falling = post(client, diploma, [100, 90, 140, 160, 195, 220, 240])
    assert "must rise with the grade" in falling.content.decode()
    negative = post(client, diploma, [-5, *LADDER[1:]])
    assert negative.status_code == 200
    assert not CentreGradeRange.objects.exists()


def test_ranges_that_contradict_ocrs_worked_example_are_refused(cast, client_for):
    """OCR's verified worked example (Diploma: 200 points = DD) is stored by the loader and
    checked: DD from 210 would make 200 points DM."""
    diploma = Qualification.objects.get(code="05833")
    assert [(a.points, a.label, a.verified) for a in diploma.anchors.all()] == [(200, "DD", True)]
    client = client_for("admin")
    response = post(client, diploma, [100, 120, 140, 160, 210, 220, 240])
    assert response.status_code == 200
    page = response.content.decode()
    assert "OCR&#x27;s worked example: 200 points is DD for the Diploma" in page
    assert "they give DM" in page
    assert not CentreGradeRange.objects.exists()
    too_low = post(client, diploma, [100, 120, 140, 160, 180, 190, 240])
    assert "they give D*D" in too_low.content.decode()
    assert not CentreGradeRange.objects.exists()
