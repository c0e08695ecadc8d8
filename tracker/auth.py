"""Signing in: with a username or an email address, in any letter case, throttled per account.

Throttling is django-axes, configured in settings: failures are counted per *account*, not
per typed spelling (`signin_username` turns every spelling of a name into the account's
username), with a cool-off rather than a permanent lock, since anyone can type a learner's
name. `SignInAttemptsHandler` adds a second, higher limit per address: one school's pupils
share an address, so it only stops someone trying many accounts from one place.
"""

import math
from datetime import datetime
from urllib.parse import urlsplit

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.db.models import Max, Q, Sum
from django.shortcuts import render
from django.utils import timezone

from tracker.lib.forms import CleansText


def find_account(typed: str | None):
    """Return the one account a typed username or email means, or None.

    Letter case and surrounding spaces do not matter. A username typed exactly wins (those
    accounts always signed in so); otherwise the name must match exactly one account by
    username or email, so two accounts differing only by case are refused, never guessed.
    """
    name = (typed or "").strip()
    if not name:
        return None
    users = get_user_model()._default_manager
    exact = users.filter(username=name).first()
    if exact is not None:
        return exact
    matches = list(users.filter(Q(username__iexact=name) | Q(email__iexact=name)).distinct()[:2])
    return matches[0] if len(matches) == 1 else None


def signin_username(request, credentials: dict | None) -> str:
    """The name axes counts failures under (AXES_USERNAME_CALLABLE): the account's username
    for every spelling of it or its email; for a name no single account has, the name in
    lower case, so its spellings share one count too."""
    typed = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if typed is None and request is not None:
        typed = request.POST.get(settings.AXES_USERNAME_FORM_FIELD)
    account = find_account(typed)
    if account is not None:
        return account.get_username()
    return (typed or "").strip().casefold()


def client_address(request) -> str:
    """The address failures are counted under (AXES_CLIENT_IP_CALLABLE).

    Behind SIGNIN_PROXY_COUNT reverse proxies that each append to X-Forwarded-For (nginx's
    `$proxy_add_x_forwarded_for`), the entry the outermost proxy added; entries a client
    wrote itself, further left, are ignored. With no proxy, the connection's address.
    """
    count = settings.SIGNIN_PROXY_COUNT
    if count:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        chain = [hop.strip() for hop in forwarded if hop.strip()]
        if len(chain) >= count:
            return chain[-count]
    return request.META.get("REMOTE_ADDR", "")


def _sum(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class SignInAttemptsHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per lockout parameter.

    AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"] counts failures per account and per
    address, but axes holds both to one limit. Here the account count meets
    AXES_FAILURE_LIMIT and the address count the higher SIGNIN_ADDRESS_FAILURE_LIMIT. A
    successful sign-in clears only the account's failures (axes would also clear every
    failure from the address, so signing in to one's own account would wipe the count
    against others).
    """

    def _recent(self, request):
        return AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))

    def _account_attempts(self, request, credentials):
        username = get_client_username(request, credentials)
        return self._recent(request).filter(username=username)

    def _address_attempts(self, request):
        return self._recent(request).filter(ip_address=request.axes_ip_address)

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The account's failures, or the account limit when the address is over its own."""
        by_account = _sum(self._account_attempts(request, credentials))
        if _sum(self._address_attempts(request)) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT:
            return max(by_account, get_failure_limit(request, credentials))
        return by_account

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count

    def locked_until(self, request, credentials: dict | None = None) -> datetime | None:
        """When the lock on this sign-in lifts at the latest (None when not locked)."""
        cool_off = get_cool_off(request)
        if cool_off is None:
            return None
        account = self._account_attempts(request, credentials)
        address = self._address_attempts(request)
        ends = []
        if _sum(account) >= get_failure_limit(request, credentials):
            ends.append(account.aggregate(last=Max("attempt_time"))["last"] + cool_off)
        if _sum(address) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT:
            ends.append(address.aggregate(last=Max("attempt_time"))["last"] + cool_off)
        return max(ends) if ends else None


def locked_out(request, original_response=None, credentials: dict | None = None):
    """The page for a refused sign-in (AXES_LOCKOUT_CALLABLE): says when to try again."""
    until = SignInAttemptsHandler().locked_until(request, credentials)
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60)) if until else None
    return render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {"until": until, "minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with a username or an email address (learners often know only their email),
    in any letter case; see `find_account`."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        account = find_account(username)
        if account is not None:
            username = account.get_username()
        elif username is not None:
            # No single account: still hash the password (same timing), then refuse.
            get_user_model()().set_password(password)
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class SignInForm(AuthenticationForm):
    """Django's sign-in form with labels people expect."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username or email"
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


def no_centre_yet() -> bool:
    """True on a fresh instance: no centre has been created (`create_centre` makes one)."""
    from tracker.models import Centre

    return not Centre.objects.exists()


def setup_needed(request):
    """The page a fresh instance shows instead of an empty site: what to run on the server."""
    return render(request, "tracker/setup_needed.html")


class SignInCodeBackend(ModelBackend):
    """Check a printed sign-in letter's one-time code (`authenticate(request, username=...,
    signin_code=...)`). Going through `authenticate` lets axes count a wrong code as a failed
    sign-in of the account and refuse codes while the account is locked out. It only checks:
    the first sign-in page then sets a password and signs the person in."""

    def authenticate(self, request, username=None, signin_code=None, **kwargs):
        from tracker.people.invitations import code_matches, may_sign_in

        if signin_code is None:
            return None
        account = find_account(username)
        if account is None or not may_sign_in(account):
            return None
        return account if code_matches(account, signin_code) else None


class ResetForm(CleansText, PasswordResetForm):
    """Django's "Forgot your password?" form, also for accounts that never had a password.

    Django skips accounts without a usable password, which are exactly the invited and
    imported ones. Here any active account with that email gets the link (an inactive
    account, such as a learner who left, still gets nothing).
    """

    def get_users(self, email):
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        return (user for user in users if user.email.casefold() == email.casefold())

    def save(self, *args, **kwargs):
        """Send the link with the site's address from SITE_URL, never the request's Host
        header (a forged Host would otherwise put an attacker's site in the email)."""
        site = urlsplit(settings.SITE_URL)
        kwargs["domain_override"] = site.netloc
        kwargs["use_https"] = site.scheme == "https"
        kwargs["email_template_name"] = "registration/password_reset_email.txt"
        kwargs["extra_email_context"] = {
            **(kwargs.get("extra_email_context") or {}),
            "site_url": settings.SITE_URL,
            "site_name": "Coursework tracker",
        }
        return super().save(*args, **kwargs)
