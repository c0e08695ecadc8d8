"""Signing in with a school account (Microsoft Entra ID, Google Workspace or another OpenID
Connect provider), through mozilla-django-oidc.

Off unless OIDC_ISSUER is set (see docs/deployment.md); then the sign-in page offers one
button, `SchoolAccountStartView` sends the person to the provider and
`SchoolAccountCallbackView` takes them back. `SchoolAccountBackend` checks the ID token's
signature (the provider's published keys), issuer, audience and nonce, and the email rules
in `tracker.lib.oidc.claims_problem`, then signs in the one active account here whose email
is that address, in any letter case. It never creates an account: an unknown address, one
shared by two accounts or a switched-off account is refused with a message on the sign-in
page. The provider's endpoints come from its discovery document, fetched when first needed
and kept for an hour, so the site starts even when the provider is unreachable.
"""

import logging
import time

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from tracker.lib.oidc import claims_problem

LOGGER = logging.getLogger(__name__)
DISCOVERY_SECONDS = 3600
# Everything a provider that is down, slow or answering nonsense can raise on the way.
PROVIDER_ERRORS = (
    requests.RequestException,
    SuspiciousOperation,
    jwt.PyJWTError,
    ValueError,
    KeyError,
    TypeError,
)

NOT_FINISHED = (
    "Signing in with your school account did not finish. Try again, or sign in with your "
    "username and password."
)
CANCELLED = (
    "You did not finish signing in with your school account. Try again, or sign in with "
    "your username and password."
)
UNREACHABLE = (
    "The school sign-in service cannot be reached just now. Try again in a few minutes, or "
    "sign in with your username and password."
)
NOT_FOR_THIS_SITE = (
    "That sign-in came from a different school account service than this site uses, so it "
    "was refused. Sign in with your username and password."
)

_discovered: dict[str, tuple[float, dict]] = {}


def provider_configuration() -> dict:
    """The provider's discovery document ({issuer}/.well-known/openid-configuration).

    Raises requests.RequestException when the provider cannot be reached and ValueError
    when the document is not for OIDC_ISSUER or lacks an endpoint (OpenID Connect
    Discovery 1.0, section 4.3: its `issuer` must equal the issuer it was fetched for).
    """
    issuer = settings.OIDC_ISSUER
    cached = _discovered.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    response = requests.get(
        f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
    )
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise ValueError(f"the discovery document at {issuer} is for another issuer")
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            raise ValueError(f"the discovery document at {issuer} has no {key}")
    _discovered[issuer] = (time.monotonic() + DISCOVERY_SECONDS, document)
    return document


class Refused(Exception):
    """A sign-in refused for a reason the person can be told (the message)."""


class SchoolAccountBackend(OIDCAuthenticationBackend):
    """Signs in an existing account from a provider's answer; see the module docstring.

    Only the callback's call (which passes a `nonce`) is handled; a password sign-in passes
    straight through. A refusal leaves its message on the request as `sso_refusal`.
    """

    def __init__(self, *args, **kwargs):
        # The library reads every endpoint here; this backend is also built to load the
        # user of every signed-in request, so endpoints are looked up only when signing in.
        ModelBackend.__init__(self, *args, **kwargs)
        self.UserModel = get_user_model()
        self.OIDC_RP_IDP_SIGN_KEY = None

    @property
    def OIDC_RP_CLIENT_ID(self):  # noqa: N802 - the library's attribute names
        return settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self):  # noqa: N802
        return settings.OIDC_RP_CLIENT_SECRET

    @property
    def OIDC_RP_SIGN_ALGO(self):  # noqa: N802
        return settings.OIDC_RP_SIGN_ALGO

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):  # noqa: N802
        return provider_configuration()["token_endpoint"]

    @property
    def OIDC_OP_USER_ENDPOINT(self):  # noqa: N802
        return provider_configuration()["userinfo_endpoint"]

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):  # noqa: N802
        return provider_configuration()["jwks_uri"]

    def authenticate(self, request, **kwargs):
        if not settings.OIDC_ISSUER or request is None or "nonce" not in kwargs:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except Refused as refusal:
            request.sso_refusal = str(refusal)
        except PROVIDER_ERRORS as error:
            LOGGER.warning("School sign-in failed: %s", error)
        return None

    def get_or_create_user(self, access_token, id_token, payload):
        """Return the account for a verified ID token `payload`, or raise Refused."""
        if payload.get("iss") != settings.OIDC_ISSUER:
            raise Refused(NOT_FOR_THIS_SITE)
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise Refused(NOT_FOR_THIS_SITE)
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            # OpenID Connect Core 5.3.2: user info for another subject must not be used.
            raise Refused(NOT_FINISHED)
        claims = {**payload, **userinfo}
        problem = claims_problem(
            claims, issuer=settings.OIDC_ISSUER, allowed_domains=settings.OIDC_ALLOWED_DOMAINS
        )
        if problem:
            raise Refused(problem)
        email = claims["email"].strip()
        accounts = list(self.filter_users_by_claims({"email": email})[:2])
        if not accounts:
            raise Refused(
                f"No account here uses the email address {email}. Ask your teacher or the "
                "exams officer to add it to your account, or sign in with your username "
                "and password."
            )
        if len(accounts) > 1:
            raise Refused(
                f"More than one account here uses the email address {email}, so we cannot "
                "tell which one is yours. Ask the exams officer to fix it, or sign in with "
                "your username and password."
            )
        account = accounts[0]
        if not self.user_can_authenticate(account):
            raise Refused(
                "Your account here has been switched off. Ask the exams officer if you "
                "think this is a mistake."
            )
        return account

    def create_user(self, claims):
        """Never: school sign-in only opens accounts the centre already has."""
        raise Refused(NOT_FINISHED)

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)


def _refuse(request, message: str):
    messages.error(request, message)
    return redirect(settings.LOGIN_URL)


class SchoolAccountStartView(OIDCAuthenticationRequestView):
    """GET: send the person to the provider's sign-in page (404 when school sign-in is off).

    Keeps a safe `next` for after the sign-in; a provider that cannot be reached is a
    message on the sign-in page.
    """

    def __init__(self, *args, **kwargs):
        View.__init__(self, *args, **kwargs)  # endpoints are looked up in get()

    def get(self, request):
        if not settings.OIDC_ISSUER:
            raise Http404("School sign-in is not set up on this site.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_configuration()["authorization_endpoint"]
        except PROVIDER_ERRORS as error:
            LOGGER.warning("School sign-in provider unreachable: %s", error)
            return _refuse(request, UNREACHABLE)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class SchoolAccountCallbackView(OIDCAuthenticationCallbackView):
    """GET: where the provider sends the person back (404 when school sign-in is off).

    Signs in the matched account and goes on to `next` or the home page; anything else
    (cancelled, refused, replayed or forged) ends on the sign-in page with a message.
    """

    def get(self, request):
        if not settings.OIDC_ISSUER:
            raise Http404("School sign-in is not set up on this site.")
        try:
            return super().get(request)
        except SuspiciousOperation:  # an unknown `state`: not a sign-in this browser began
            return self.login_failure()

    def login_failure(self):
        request = self.request
        if request.GET.get("error") == "access_denied":
            message = CANCELLED
        else:
            message = getattr(request, "sso_refusal", None) or NOT_FINISHED
        return _refuse(request, message)
