"""Rules for signing in with a school account (OpenID Connect) that need no request.

The settings use `settings_problem` at start-up; `tracker.people.sso` uses `claims_problem` on
every sign-in. Sources: OpenID Connect Core 1.0 (section 5.1 for `email_verified`, 3.1.3.7
for checking `iss` and `aud`), Microsoft's advice for multi-tenant apps ("validate the
issuer": the `common` and `organizations` endpoints accept an account from any tenant) and
Google's advice to check the `hd` claim for Workspace accounts.
"""

import re
from urllib.parse import urlsplit

MICROSOFT_HOST = "login.microsoftonline.com"
GOOGLE_ISSUER = "https://accounts.google.com"
# Microsoft endpoints that accept accounts from any tenant (or personal accounts).
MULTI_TENANT = {"common", "organizations", "consumers"}
TENANT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def is_microsoft(issuer: str) -> bool:
    return urlsplit(issuer).hostname == MICROSOFT_HOST


def is_google(issuer: str) -> bool:
    return issuer.rstrip("/") == GOOGLE_ISSUER


def default_button_label(issuer: str) -> str:
    """The sign-in button's words for a provider when OIDC_BUTTON_LABEL is not set."""
    if is_microsoft(issuer):
        return "Sign in with Microsoft"
    if is_google(issuer):
        return "Sign in with Google"
    return "Sign in with your school account"


def issuer_problem(issuer: str) -> str | None:
    """What is wrong with an OIDC_ISSUER value, or None.

    It must be an https URL (plain http only on this machine, for tests). A Microsoft issuer
    must name one tenant by its Directory (tenant) ID and the v2.0 endpoint, exactly as the
    ID tokens carry it: `https://login.microsoftonline.com/<tenant id>/v2.0`; `common`,
    `organizations` and `consumers` would let any Microsoft account in.
    """
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"OIDC_ISSUER={issuer!r} is not a URL such as https://accounts.google.com"
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        return f"OIDC_ISSUER={issuer!r} must start with https://"
    if parts.query or parts.fragment:
        return f"OIDC_ISSUER={issuer!r} must not have a ? or # part"
    if parts.hostname == MICROSOFT_HOST:
        segments = [s for s in parts.path.split("/") if s]
        tenant = segments[0] if segments else ""
        example = f"https://{MICROSOFT_HOST}/<Directory (tenant) ID>/v2.0"
        if tenant.lower() in MULTI_TENANT:
            return (
                f"OIDC_ISSUER must name your school's own Microsoft tenant, not {tenant!r} "
                f"(which lets any Microsoft account in): use {example}"
            )
        if not TENANT_ID.match(tenant) or segments[1:] != ["v2.0"]:
            return f"OIDC_ISSUER={issuer!r} must be {example}"
    return None


def settings_problem(
    issuer: str, client_id: str, client_secret: str, allowed_domains: list[str]
) -> str | None:
    """What is missing or wrong in the school sign-in settings, or None (they are only
    checked when OIDC_ISSUER is set)."""
    problem = issuer_problem(issuer)
    if problem:
        return problem
    if not client_id or not client_secret:
        return "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set when OIDC_ISSUER is set"
    if not allowed_domains:
        return (
            "OIDC_ALLOWED_DOMAINS must list your school's email domains "
            "(e.g. school.org.uk) when OIDC_ISSUER is set"
        )
    for domain in allowed_domains:
        if "@" in domain or "." not in domain or " " in domain:
            return f"OIDC_ALLOWED_DOMAINS: {domain!r} is not an email domain such as school.org.uk"
    return None


def normal_domains(domains: list[str]) -> list[str]:
    """Domains in lower case without a leading @ (people paste '@school.org.uk')."""
    return [domain.strip().lstrip("@").lower() for domain in domains if domain.strip()]


def claims_problem(claims: dict, *, issuer: str, allowed_domains: list[str]) -> str | None:
    """Why these claims may not sign anyone in, in words for the person signing in, or None.

    Claims are the ID token's with the provider's user info on top. The email must be
    there; `email_verified`, when the provider sends it, must be true; the email's domain
    must be one of OIDC_ALLOWED_DOMAINS; a Google account must belong to one of those
    Workspace domains (`hd`), so a personal Google account using a school address is refused.
    """
    email = claims.get("email")
    if not isinstance(email, str) or email.count("@") != 1 or not email.split("@")[0]:
        return (
            "Your school account did not tell us your email address, so we cannot find "
            "your account here. Sign in with your username and password instead."
        )
    if "email_verified" in claims and claims["email_verified"] not in (True, "true"):
        return (
            f"Your school account says the email address {email} has not been checked, "
            "so it cannot be used to sign in here. Sign in with your username and password."
        )
    allowed = normal_domains(allowed_domains)
    domain = email.rsplit("@", 1)[1].lower()
    if domain not in allowed:
        return (
            f"{email} is not a school email address this site accepts "
            f"(it accepts {', '.join('@' + d for d in allowed)}). "
            "Sign in with your school account, or with your username and password."
        )
    if is_google(issuer):
        workspace = claims.get("hd")
        if not isinstance(workspace, str) or workspace.lower() not in allowed:
            return (
                f"{email} is not a Google account of your school. Sign in with the "
                "account your school gave you, or with your username and password."
            )
    return None
