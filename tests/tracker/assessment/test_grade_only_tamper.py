"""A tampered post to the qualification units page says plainly what is wrong."""

from django.urls import reverse

from criteria.models import Qualification, QualificationUnit
from tracker.models import GradeOnlyResult


def test_a_grade_not_on_the_list_gets_a_plain_message_naming_the_unit(cast, client_for):
    cast.learner.qualification = Qualification.objects.get(code="05833")
    cast.learner.save(update_fields=["qualification"])
    one = QualificationUnit.objects.get(qualification__code="05833", number=1)
    url = reverse("learner_units", args=[cast.learner.pk])
    response = client_for("teacher").post(url, {f"a{one.pk}": "X<b>", f"p{one.pk}": "M"})
    body = response.content.decode()
    expected = (
        "Unit 1: Building positive relationships in health and social care, grade achieved: "
        "choose Not yet, Unclassified, Near Pass, Pass, Merit or Distinction from the list."
    )
    assert f"Nothing was saved. {expected}" in body  # at the top
    assert f'<div class="invalid-feedback" id="id_a{one.pk}-error">{expected}</div>' in body
    assert 'aria-invalid="true"' in body
    assert "Select a valid choice" not in body and "X&lt;b&gt;" not in body
    assert not GradeOnlyResult.objects.exists()
