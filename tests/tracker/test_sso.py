"""Signing in with a school account against a real OpenID Connect provider on loopback.

The provider (tests/oidc/provider.mjs, npm oidc-provider) signs anyone in under the email
they type, always marked verified; the test plays the browser with a plain HTTP client.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.oidc.loopback import free_port, sign_in
from tracker.people import sso

CALLBACK = "http://testserver/oidc/callback/"


@pytest.fixture
def provider(oidc_provider, settings):
    running = oidc_provider(CALLBACK)
    for name, value in running.settings().items():
        setattr(settings, name, value)
    return running


def start(client: Client, next_path: str = "") -> str:
    """Begin a school sign-in; return the provider URL the browser is sent to."""
    url = reverse("sso_start") + (f"?next={next_path}" if next_path else "")
    response = client.get(url)
    assert response.status_code == 302
    return response["Location"]


def finish(client: Client, back_to: str):
    """Follow the provider's redirect back to the site's callback."""
    parts = urlsplit(back_to)
    assert f"http://testserver{parts.path}" == CALLBACK
    return client.get(f"{parts.path}?{parts.query}")


def signed_in_as(client: Client):
    return client.session.get(SESSION_KEY)


def refusal(client: Client, response) -> str:
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_as(client) is None
    page = client.get(response["Location"])
    return page.content.decode()


def test_a_teacher_signs_in_with_their_school_account(provider, cast):
    client = Client()
    authorize = start(client, "/queue/")
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(provider.issuer)
    assert query["redirect_uri"] == [CALLBACK]
    assert query["code_challenge_method"] == ["S256"]
    response = finish(client, sign_in(authorize, "TEACHER@Centre.Example.org"))
    assert response.status_code == 302 and response["Location"] == "/queue/"
    assert signed_in_as(client) == str(cast.teacher.pk)
    assert client.get(reverse("queue")).status_code == 200


def test_a_learner_signs_in_and_lands_at_home(provider, cast):
    client = Client()
    response = finish(client, sign_in(start(client), "lara.learner@learners.example.org"))
    assert response["Location"] == reverse("home")
    assert signed_in_as(client) == str(cast.learner.user.pk)


def test_an_unknown_email_is_refused_and_no_account_is_made(provider, cast, django_user_model):
    client = Client()
    before = django_user_model.objects.count()
    response = finish(client, sign_in(start(client), "stranger@centre.example.org"))
    page = refusal(client, response)
    assert "No account here uses the email address stranger@centre.example.org" in page
    assert django_user_model.objects.count() == before


def test_an_email_two_accounts_share_is_refused(provider, cast):
    cast.other_teacher.email = "Teacher@centre.example.org"
    cast.other_teacher.save()
    client = Client()
    response = finish(client, sign_in(start(client), "teacher@centre.example.org"))
    assert "More than one account here uses the email address" in refusal(client, response)


def test_a_switched_off_account_is_refused(provider, cast):
    cast.teacher.is_active = False
    cast.teacher.save()
    client = Client()
    response = finish(client, sign_in(start(client), "teacher@centre.example.org"))
    assert "switched off" in refusal(client, response)


def test_an_email_outside_the_allowed_domains_is_refused(provider, cast, settings):
    settings.OIDC_ALLOWED_DOMAINS = ["learners.example.org"]
    client = Client()
    response = finish(client, sign_in(start(client), "teacher@centre.example.org"))
    assert "is not a school email address this site accepts" in refusal(client, response)


def test_a_token_for_another_client_is_refused(provider, cast, settings):
    client = Client()
    back_to = sign_in(start(client), "teacher@centre.example.org")
    settings.OIDC_RP_CLIENT_ID = "someone-else"
    response = finish(client, back_to)
    assert refusal(client, response)


def test_an_answer_used_twice_signs_nobody_in(provider, cast):
    client = Client()
    back_to = sign_in(start(client), "teacher@centre.example.org")
    assert finish(client, back_to)["Location"] == reverse("home")
    other = Client()
    start(other)
    assert "did not finish" in refusal(other, finish(other, back_to))


def test_a_cancelled_sign_in_is_a_message(provider, cast):
    client = Client()
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    cancelled = client.get(f"{reverse('sso_callback')}?error=access_denied&state={state}")
    assert "You did not finish signing in" in refusal(client, cancelled)


@pytest.mark.parametrize("query", ["", "?code=x", "?state=x", "?code=x&state=unknown"])
def test_a_broken_answer_is_a_message_not_an_error(provider, cast, query):
    client = Client()
    start(client)
    response = client.get(reverse("sso_callback") + query)
    assert "did not finish" in refusal(client, response)


def test_an_answer_to_a_browser_that_never_began_is_refused(provider, cast):
    client = Client()
    response = client.get(f"{reverse('sso_callback')}?code=x&state=y")
    assert "did not finish" in refusal(client, response)


def test_a_forged_code_with_a_real_state_is_refused(provider, cast):
    client = Client()
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    response = client.get(f"{reverse('sso_callback')}?code=forged&state={state}")
    assert "did not finish" in refusal(client, response)


def test_an_unreachable_provider_is_a_message(cast, settings):
    settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}"
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = "id", "secret"
    settings.OIDC_ALLOWED_DOMAINS = ["centre.example.org"]
    client = Client()
    response = client.get(reverse("sso_start"))
    assert "cannot be reached just now" in refusal(client, response)


def test_the_sign_in_page_offers_the_button_only_when_set_up(cast, settings):
    page = Client().get(reverse("login")).content.decode()
    assert "sso-start" not in page
    settings.OIDC_ISSUER = (
        "https://login.microsoftonline.com/0b5c7a2e-1f4d-4c3a-9e8b-7d6f5a4b3c2d/v2.0"
    )
    settings.OIDC_BUTTON_LABEL = ""
    page = Client().get(reverse("login") + "?next=/queue/").content.decode()
    assert "Sign in with Microsoft" in page
    assert 'href="/oidc/start/?next=/queue/"' in page


def test_passwords_still_sign_in_beside_school_accounts(provider, cast):
    client = Client()
    response = client.post(reverse("login"), {"username": "teacher", "password": "pw"})
    assert response.status_code == 302
    assert signed_in_as(client) == str(cast.teacher.pk)


def test_discovery_is_checked_and_kept(provider, cast, monkeypatch):
    sso._discovered.clear()
    assert sso.provider_configuration()["issuer"] == provider.issuer
    assert provider.issuer in sso._discovered

    class Impostor:
        def raise_for_status(self):
            pass

        def json(self):
            return {"issuer": "https://impostor.example", "authorization_endpoint": "x"}

    sso._discovered.clear()
    monkeypatch.setattr(sso.requests, "get", lambda *args, **kwargs: Impostor())
    with pytest.raises(ValueError, match="another issuer"):
        sso.provider_configuration()


def test_sign_in_throttling_lets_school_sign_in_through(provider, cast, settings):
    settings.AXES_ENABLED = True
    stranger = Client()
    response = finish(stranger, sign_in(start(stranger), "stranger@centre.example.org"))
    assert "No account here uses" in refusal(stranger, response)
    client = Client()
    response = finish(client, sign_in(start(client), "teacher@centre.example.org"))
    assert response["Location"] == reverse("home")
    assert signed_in_as(client) == str(cast.teacher.pk)
