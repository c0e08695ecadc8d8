"""Centre sign-in letters: a choice that picks nobody is a clear form error, never a page of
"0 letters" that says everyone has signed in when they have not."""

from django.urls import reverse

from tracker.models import User


def test_no_email_choice_when_every_learner_has_an_email_says_so(cast, client_for):
    response = client_for("admin").post(reverse("centre:letters_print"), {"who": "no_email"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Every learner who has not signed in yet has an email address" in page
    assert "0 letters" not in page


def test_nobody_left_to_sign_in_is_said_plainly(cast, client_for):
    User.objects.filter(learner__centre=cast.centre).update(last_login="2026-10-01T09:00Z")
    response = client_for("admin").post(reverse("centre:letters_print"), {"who": "everyone"})
    assert response.status_code == 400
    assert "Every learner has signed in already" in response.content.decode()
