"""The school sign-in rules that need no request: issuers, settings and email claims."""

import pytest

from tracker.lib.oidc import (
    claims_problem,
    default_button_label,
    issuer_problem,
    normal_domains,
    settings_problem,
)

TENANT = "0b5c7a2e-1f4d-4c3a-9e8b-7d6f5a4b3c2d"
ENTRA = f"https://login.microsoftonline.com/{TENANT}/v2.0"
GOOGLE = "https://accounts.google.com"


@pytest.mark.parametrize(
    "issuer", [ENTRA, GOOGLE, "https://sso.school.example", "http://127.0.0.1:9000"]
)
def test_good_issuers_pass(issuer):
    assert issuer_problem(issuer) is None


@pytest.mark.parametrize("tenant", ["common", "organizations", "consumers", "Common"])
def test_a_multi_tenant_microsoft_issuer_is_refused(tenant):
    problem = issuer_problem(f"https://login.microsoftonline.com/{tenant}/v2.0")
    assert "own Microsoft tenant" in problem


@pytest.mark.parametrize(
    "issuer",
    [
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0",
        f"https://login.microsoftonline.com/{TENANT}",
        f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0",
        "http://sso.school.example",
        "sso.school.example",
        "https://sso.school.example/?tenant=1",
    ],
)
def test_unusable_issuers_are_refused(issuer):
    assert issuer_problem(issuer)


def test_settings_need_client_and_domains():
    assert settings_problem(GOOGLE, "id", "secret", ["school.org.uk"]) is None
    assert "OIDC_CLIENT_SECRET" in settings_problem(GOOGLE, "id", "", ["school.org.uk"])
    assert "OIDC_ALLOWED_DOMAINS" in settings_problem(GOOGLE, "id", "secret", [])
    assert "not an email domain" in settings_problem(GOOGLE, "id", "s", ["me@school.org.uk"])


def test_domains_are_normalised():
    assert normal_domains([" @School.ORG.uk ", ""]) == ["school.org.uk"]


def test_button_labels_name_the_provider():
    assert default_button_label(ENTRA) == "Sign in with Microsoft"
    assert default_button_label(GOOGLE) == "Sign in with Google"
    assert default_button_label("https://sso.example") == "Sign in with your school account"


def check(claims, issuer=ENTRA):
    return claims_problem(claims, issuer=issuer, allowed_domains=["school.org.uk"])


def test_a_verified_school_email_passes():
    assert check({"email": "T.Teacher@School.org.uk", "email_verified": True}) is None
    assert check({"email": "t.teacher@school.org.uk"}) is None  # Entra sends no email_verified


def test_an_unverified_email_is_refused():
    assert "has not been checked" in check({"email": "t@school.org.uk", "email_verified": False})
    assert "has not been checked" in check({"email": "t@school.org.uk", "email_verified": None})


def test_an_email_outside_the_allowed_domains_is_refused():
    problem = check({"email": "t@gmail.com", "email_verified": True})
    assert "not a school email address" in problem and "@school.org.uk" in problem
    assert check({"email": "t@evil-school.org.uk", "email_verified": True})


@pytest.mark.parametrize(
    "email", [None, "", "no-at-sign", "@school.org.uk", "a@b@school.org.uk", 5]
)
def test_a_missing_or_odd_email_is_refused(email):
    assert "did not tell us your email" in check({"email": email})


def test_a_google_account_must_belong_to_the_school_workspace():
    claims = {"email": "t@school.org.uk", "email_verified": True}
    assert "not a Google account of your school" in check(claims, GOOGLE)
    assert check({**claims, "hd": "other.example"}, GOOGLE)
    assert check({**claims, "hd": "school.org.uk"}, GOOGLE) is None
