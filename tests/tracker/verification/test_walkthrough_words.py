"""Words the walkthrough found unclear on the IV and moderation pages."""

from django.urls import reverse

from tests.tracker.verification.test_verification import assess
from tracker.models import Action, Check


def test_a_sample_says_how_far_verification_has_got(cast, client_for):
    codes = ["P1", "P2", "P3"]
    assess(cast.enrolment, cast.unit30, codes, cast.teacher)
    item = cast.sample_item
    iv = client_for("iv")
    url = reverse("iv_sample", args=[item.sample.pk])
    assert "Not verified yet" in iv.get(url).content.decode()
    for decision in cast.enrolment.decisions.filter(criterion__code__in=codes):
        Check.objects.create(item=item, decision=decision, agrees=decision.criterion.code != "P3")
    page = iv.get(url).content.decode()
    assert "Being verified: 2 decisions agreed, 1 not agreed" in page
    assert "Not verified yet" not in page
    item.judgement = "agree"
    item.save()
    assert "Assessment agreed" in iv.get(url).content.decode()


def test_the_iv_home_names_an_open_actions_state_once_in_words(cast, client_for):
    action = cast.action
    assert action.state == Action.State.OPEN
    page = client_for("iv").get(reverse("iv_home")).content.decode()
    assert "Waiting for the assessor" in page and "View the check" in page
    assert "Open Open" not in page and "— Open" not in page


def test_the_moderation_caption_counts_the_learners_on_the_unit(cast, client_for):
    page = client_for("admin").get(reverse("moderation", args=[cast.group.pk, cast.unit30.pk]))
    assert "Sampled learners: 1 of the 1 learner on this unit" in page.content.decode()
