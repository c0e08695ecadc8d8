"""The learner page's target history names grades in words, as every other page does."""

from django.urls import reverse

from tracker.models import TargetChange
from tracker.people.targets import set_target


def test_target_history_says_pass_and_merit_not_letters(cast, client_for):
    set_target(cast.enrolment, "P", cast.admin, TargetChange.Source.IMPORT)
    set_target(cast.enrolment, "M", cast.teacher, TargetChange.Source.TEACHER)

    page = client_for("teacher").get(reverse("learner", args=[cast.learner.pk]))

    text = page.content.decode()
    assert "Unit 30 target none → Pass (MIS import" in text
    assert "Unit 30 target Pass → Merit (entered by staff" in text


def test_the_save_target_button_stays_on_one_line(cast, client_for):
    """Beside the target list the button read "Sav / e" on a 1366 px screen."""
    page = client_for("teacher").get(reverse("learner", args=[cast.learner.pk]))

    assert 'class="btn btn-outline-primary btn-sm mb-3 text-nowrap"' in page.content.decode()
