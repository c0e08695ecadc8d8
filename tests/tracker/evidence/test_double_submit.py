"""The same hand-in form sent twice (a double tap on a phone) stores the evidence once.

The upload form carries a one-time token issued when the page is shown; the first post with
it hands the work in, a second finds that evidence and stores nothing. Handing the same file
in again from a fresh form is a new hand-in, as it should be.
"""

import re
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import PDF
from tracker.evidence import views
from tracker.models import Evidence


def criterion_key(cast, code: str) -> str:
    return f"c:{cast.unit30.criteria.get(code=code).pk}"


def token_on(page: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', page)
    assert match, "the form carries no one-time token"
    return match.group(1)


def upload_form_token(client, cast) -> str:
    return token_on(client.get(reverse("upload", args=[cast.enrolment.pk])).content.decode())


def post_upload(client, cast, token: str, name="booklet.pdf", content=PDF):
    data = {
        "file": SimpleUploadedFile(name, content),
        "items": [criterion_key(cast, "P2")],
        "declaration": "on",
        "token": token,
    }
    return client.post(reverse("upload", args=[cast.enrolment.pk]), data)


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def booklets():
    return Evidence.objects.filter(original_name="booklet.pdf")


def test_the_upload_page_issues_a_fresh_token_each_time(cast, client_for):
    client = client_for("learner")
    first, second = upload_form_token(client, cast), upload_form_token(client, cast)
    assert len(first) >= 16 and first != second


def test_the_same_form_sent_twice_hands_in_once(cast, client_for):
    client = client_for("learner")
    token = upload_form_token(client, cast)
    files_before = len(stored_files())
    first = post_upload(client, cast, token)
    second = post_upload(client, cast, token)
    unit_page = reverse("learner_unit", args=[cast.enrolment.pk])
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == unit_page
    assert booklets().count() == 1
    assert booklets().get().form_token == token
    assert len(stored_files()) == files_before + 1
    page = client.get(unit_page).content.decode()
    assert "Already handed in: booklet.pdf" in page


def test_the_same_file_from_two_forms_is_two_hand_ins(cast, client_for):
    client = client_for("learner")
    files_before = len(stored_files())
    post_upload(client, cast, upload_form_token(client, cast))
    post_upload(client, cast, upload_form_token(client, cast))
    assert booklets().count() == 2
    assert len(stored_files()) == files_before + 2


def test_a_form_without_a_token_still_hands_in(cast, client_for):
    """A page opened before the token existed: it hands in as before (no protection)."""
    client = client_for("learner")
    post_upload(client, cast, "")
    post_upload(client, cast, "not a token!")
    assert booklets().count() == 2
    assert not booklets().exclude(form_token=None).exists()


def test_a_form_refused_keeps_its_token_and_hands_in_later(cast, client_for):
    client = client_for("learner")
    token = upload_form_token(client, cast)
    refused = client.post(
        reverse("upload", args=[cast.enrolment.pk]),
        {"file": SimpleUploadedFile("booklet.pdf", PDF), "items": [], "token": token},
    )
    assert refused.status_code == 200 and token_on(refused.content.decode()) == token
    assert post_upload(client, cast, token).status_code == 302
    assert booklets().count() == 1


def test_the_loser_of_a_race_stores_nothing_and_lands_on_the_unit_page(cast, client_for):
    """Both posts pass the early look-up at the same moment: the database's unique token
    decides, and the losing request's rows and stored file are gone."""
    client = client_for("learner")
    token = upload_form_token(client, cast)
    post_upload(client, cast, token)
    files_before = len(stored_files())
    real = views.already_handed_in
    calls = []

    def miss_first(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    with mock.patch("tracker.evidence.views.already_handed_in", side_effect=miss_first):
        response = post_upload(client, cast, token)
    assert len(calls) == 2  # the insert was refused, then the winner was looked up
    assert response.status_code == 302
    assert response.url == reverse("learner_unit", args=[cast.enrolment.pk])
    assert booklets().count() == 1
    assert len(stored_files()) == files_before


def test_a_token_of_another_learners_hand_in_stores_nothing_and_names_nothing(cast, client_for):
    other = client_for("other_learner")
    other_enrolment = cast.other_learner.enrolments.get(unit=cast.unit30)
    token = token_on(other.get(reverse("upload", args=[other_enrolment.pk])).content.decode())
    other.post(
        reverse("upload", args=[other_enrolment.pk]),
        {
            "file": SimpleUploadedFile("secret.pdf", PDF),
            "items": [criterion_key(cast, "P2")],
            "declaration": "on",
            "token": token,
        },
    )
    client = client_for("learner")
    response = post_upload(client, cast, token)
    assert response.status_code == 302
    assert not booklets().exists()
    assert "secret.pdf" not in client.get(response.url).content.decode()


def test_the_staff_evidence_form_sent_twice_adds_once(cast, client_for):
    client = client_for("teacher")
    url = reverse("staff_evidence", args=[cast.learner.pk, cast.enrolment.pk])
    token = token_on(client.get(url).content.decode())
    data = {
        "kind": "witness",
        "statement": "Led the group discussion.",
        "items": [criterion_key(cast, "P10")],
        "token": token,
    }
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Evidence.objects.filter(kind="witness").count() == 1
    data["token"] = token_on(client.get(url).content.decode())
    client.post(url, data)
    assert Evidence.objects.filter(kind="witness").count() == 2
