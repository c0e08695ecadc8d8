"""Withdrawing evidence asks first: the unit page links to a confirmation page, and only the
confirming post withdraws."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import PDF
from tracker.evidence.services import Claim, submit_evidence
from tracker.models import Decision, Evidence


def withdraw_page(client, evidence) -> str:
    response = client.get(reverse("withdraw", args=[evidence.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_unit_page_links_to_the_confirmation_and_posts_nothing(cast, client_for):
    page = client_for("learner").get(reverse("learner_unit", args=[cast.enrolment.pk]))
    html = page.content.decode()
    url = reverse("withdraw", args=[cast.evidence.pk])
    assert f'href="{url}"' in html
    assert f'action="{url}"' not in html


def test_opening_the_confirmation_withdraws_nothing(cast, client_for):
    html = withdraw_page(client_for("learner"), cast.evidence)
    assert Evidence.objects.get(pk=cast.evidence.pk).withdrawn_at is None
    title = cast.evidence.title
    assert "<h1" in html and f"Withdraw {title}?" in html
    assert "Your teacher will no longer see it for P1; it stays in your record." in html
    assert f"Confirm: withdraw {title}</button>" in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert f'href="{reverse("learner_unit", args=[cast.enrolment.pk])}">Cancel' in html


def test_the_confirmation_names_every_criterion_the_evidence_covers(cast, client_for):
    unit = cast.unit30
    evidence = submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(unit.criteria.get(code="P1")), Claim(unit.criteria.get(code="P3"))],
        upload=SimpleUploadedFile("plan.pdf", PDF),
        original_name="plan.pdf",
        declared=True,
    )
    html = withdraw_page(client_for("learner"), evidence)
    assert "Withdraw plan.pdf?" in html
    assert "no longer see it for P1, P3; it stays in your record." in html


def test_confirming_withdraws(cast, client_for):
    client = client_for("learner")
    response = client.post(reverse("withdraw", args=[cast.evidence.pk]), follow=True)
    assert Evidence.objects.get(pk=cast.evidence.pk).withdrawn_at is not None
    assert "withdrawn. It stays in your record." in response.content.decode()


def test_the_confirmation_of_assessed_evidence_offers_no_confirm(cast, client_for):
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    client_for("teacher").post(
        reverse("decide", args=[cast.learner.pk, cast.enrolment.pk]),
        {
            "item": f"c:{decision.criterion_id}",
            "revision": decision.revision,
            "status": "achieved",
            "evidence": [cast.evidence.pk],
        },
    )
    html = withdraw_page(client_for("learner"), cast.evidence)
    assert "cannot be withdrawn: your teacher has assessed P1 on it" in html
    assert "Confirm" not in html


def test_withdrawn_evidence_goes_back_to_the_unit_page(cast, client_for):
    client = client_for("learner")
    client.post(reverse("withdraw", args=[cast.evidence.pk]))
    response = client.get(reverse("withdraw", args=[cast.evidence.pk]))
    assert response.status_code == 302
    assert response.url == reverse("learner_unit", args=[cast.enrolment.pk])


def test_nobody_else_opens_the_confirmation(cast, client_for):
    url = reverse("withdraw", args=[cast.evidence.pk])
    assert client_for("other_learner").get(url).status_code == 404
    assert client_for("teacher").get(url).status_code == 403
    assert Evidence.objects.get(pk=cast.evidence.pk).withdrawn_at is None
