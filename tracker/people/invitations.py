"""Bringing people to their first sign-in: invitation emails and printed sign-in letters.

An invitation is an email with a link to set a password. The link carries a token from
`InvitationTokenGenerator` (Django's password-reset token machinery with its own salt): it
stops working once the password is set or the person signs in (both change what the token
hashes), and after INVITATION_DAYS. A sign-in letter carries a one-time code for learners
without a usable email: 8 characters from an alphabet without look-alikes, stored only as a
keyed hash, valid for SIGNIN_CODE_DAYS; printing again makes new codes, so old letters stop
working. Who may invite whom is `tracker.access` (`can_manage_account`, learners of the
admin's centre); these functions assume the caller has checked.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from tracker.models import Centre, Invitation, Learner, TeachingGroup, User

# No 0/O, 1/I/L or 5/S look-alikes: a code is read off paper and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXYZ2346789"
CODE_LENGTH = 8


class InvitationError(Exception):
    """An account that cannot be invited; the message says why, in plain words."""


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset tokens under their own salt, valid for INVITATION_DAYS.

    A reset token is no invitation token and the other way round (different salts). The
    hash covers the password and the last sign-in, so setting a password or signing in
    uses the link up; Django's check, bar the lifetime, is kept as it is.
    """

    key_salt = "tracker.people.invitations.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token):
            return False
        try:
            stamp, _ = str(token).split("-")
            made = base36_to_int(stamp)
        except ValueError:
            return False
        secrets_ = [self.secret, *self.secret_fallbacks]
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, made, key), token)
            for key in secrets_
        ):
            return False
        return self._num_seconds(self._now()) - made <= settings.INVITATION_DAYS * 86400


invitation_tokens = InvitationTokenGenerator()


def may_sign_in(user: User) -> bool:
    """Whether an account may be sent a link or a code: active (a switched-off account, such
    as a learner who left, gets neither; Django's `is_active` is the one switch)."""
    return bool(user.is_active)


def centre_of(user: User) -> Centre | None:
    """The centre an account belongs to: its learner record's, or its staff membership's."""
    learner = Learner.objects.filter(user=user).select_related("centre").first()
    if learner is not None:
        return learner.centre
    membership = getattr(user, "staff_membership", None)
    return membership.centre if membership else None


@dataclass(frozen=True)
class SignInState:
    """What the centre admin sees of an account: `state` is "signed_in", "invited" or
    "not_invited"; `when` the date that goes with it; `needs_letter` when there is no email."""

    state: str
    when: datetime | None
    needs_letter: bool
    letter_printed_at: datetime | None

    @property
    def invitation_days(self) -> int:
        return settings.INVITATION_DAYS

    @property
    def label(self) -> str:
        if self.state == "signed_in":
            return f"Signed in on {timezone.localtime(self.when):%-d %b %Y}"
        if self.state == "invited":
            return f"Invited on {timezone.localtime(self.when):%-d %b %Y}"
        return "Not invited"


def sign_in_state(user: User, invitation: Invitation | None = None) -> SignInState:
    """Return an account's sign-in state (pass its invitation when already fetched)."""
    if invitation is None:
        invitation = Invitation.objects.filter(user=user).first()
    printed = invitation.letter_printed_at if invitation else None
    needs_letter = not user.email
    if user.last_login:
        return SignInState("signed_in", user.last_login, needs_letter, printed)
    if invitation and invitation.invited_at:
        return SignInState("invited", invitation.invited_at, needs_letter, printed)
    return SignInState("not_invited", None, needs_letter, printed)


def states_for(users) -> dict[int, SignInState]:
    """Return {account id: state} for many accounts in one query."""
    users = list(users)
    invitations = {i.user_id: i for i in Invitation.objects.filter(user__in=users)}
    return {u.pk: sign_in_state(u, invitations.get(u.pk, Invitation(user=u))) for u in users}


def invitation_link(user: User) -> str:
    """The full set-password address for an account, from SITE_URL."""
    path = reverse(
        "invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )
    return settings.SITE_URL + path


def send_invitation(user: User, by: User) -> None:
    """Email the account a set-password link and note when (resending is allowed).

    Raises InvitationError when the account has no email, cannot sign in, has already
    signed in (they use "Forgot your password?" instead) or belongs to no centre.
    """
    if not may_sign_in(user):
        raise InvitationError(f"{user} cannot sign in, so was not invited.")
    if not user.email:
        raise InvitationError(f"{user} has no email address: print them a sign-in letter.")
    if user.last_login:
        raise InvitationError(
            f"{user} has already signed in; they can use 'Forgot your password?'."
        )
    centre = centre_of(user)
    if centre is None:
        raise InvitationError(f"{user} belongs to no centre.")
    now = timezone.now()
    context = {
        "user": user,
        "centre": centre,
        "link": invitation_link(user),
        "expires": now + timedelta(days=settings.INVITATION_DAYS),
        "by": by,
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"Set up your coursework tracker sign-in at {centre.name}",
        body=render_to_string("tracker/people/email/invitation.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string("tracker/people/email/invitation.html", context), "text/html"
    )
    message.send()
    Invitation.objects.update_or_create(user=user, defaults={"invited_at": now, "invited_by": by})


@dataclass
class GroupInvitations:
    """What inviting a group did: who was emailed, who needs a letter, who was skipped."""

    sent: list[Learner]
    need_letter: list[Learner]
    skipped: list[Learner]


def group_learners(group: TeachingGroup):
    """The group's learners still on roll with an account, in name order (leavers cannot sign
    in, so they are never invited nor sent a letter)."""
    return group.learners.current().filter(user__isnull=False).select_related("user", "group")


def invite_group(group: TeachingGroup, by: User) -> GroupInvitations:
    """Invite every learner of the group who has not signed in and has an email.

    Learners without an email are returned as needing a letter; those who signed in or
    cannot sign in are skipped. Each email is sent on its own: one bad address does not
    stop the rest (it is counted as skipped).
    """
    result = GroupInvitations([], [], [])
    for learner in group_learners(group):
        account = learner.user
        if account.last_login or not may_sign_in(account):
            result.skipped.append(learner)
        elif not account.email:
            result.need_letter.append(learner)
        else:
            try:
                send_invitation(account, by)
            except InvitationError:
                result.skipped.append(learner)
            else:
                result.sent.append(learner)
    return result


def _code_hash(user: User, code: str) -> str:
    return salted_hmac(
        "tracker.people.invitations.code", f"{user.pk}:{code}", algorithm="sha256"
    ).hexdigest()


def normalise_code(typed: str) -> str:
    """A typed code as stored: capitals, without spaces or dashes."""
    return "".join(ch for ch in (typed or "").upper() if ch not in " -")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def show_code(code: str) -> str:
    """A code as printed: two groups of four, easier to copy (ABCD-EFGH)."""
    return f"{code[:4]}-{code[4:]}"


@dataclass(frozen=True)
class Letter:
    learner: Learner
    code: str
    expires: datetime


def letter_learners(group: TeachingGroup, everyone: bool):
    """The learners a group's letters are for: those who have not signed in and can, and
    unless `everyone`, only those without an email."""
    learners = group_learners(group).filter(user__last_login__isnull=True, user__is_active=True)
    if not everyone:
        learners = learners.filter(user__email="")
    return learners


def centre_letter_learners(centre):
    """The centre's learners who may get a sign-in letter: on roll, with an account that can
    sign in and has not yet, in group then name order."""
    return (
        Learner.objects.current()
        .filter(centre=centre, user__isnull=False, user__last_login__isnull=True)
        .filter(user__is_active=True)
        .select_related("user", "group")
        .order_by("group__name", "last_name", "first_name", "pk")
    )


@transaction.atomic
def make_letters(learners, by: User) -> list[Letter]:
    """Make a new code for each learner (their older codes stop working) and return the
    letters to print. Codes are returned once, here; only their keyed hash is stored."""
    now = timezone.now()
    expires = now + timedelta(days=settings.SIGNIN_CODE_DAYS)
    letters = []
    for learner in learners:
        code = new_code()
        Invitation.objects.update_or_create(
            user=learner.user,
            defaults={
                "code_hash": _code_hash(learner.user, code),
                "code_expires_at": expires,
                "letter_printed_at": now,
            },
        )
        letters.append(Letter(learner, show_code(code), expires))
    return letters


def code_matches(user: User, typed: str) -> bool:
    """Whether the typed code is the account's current, unexpired, unused code."""
    invitation = Invitation.objects.filter(user=user).first()
    if invitation is None or not invitation.code_hash or invitation.code_expires_at is None:
        return False
    if invitation.code_expires_at <= timezone.now():
        return False
    return constant_time_compare(invitation.code_hash, _code_hash(user, normalise_code(typed)))


def mark_used(user: User, *, code: bool = False) -> None:
    """Note that a password was set through an invitation or a code (a code is used up)."""
    defaults = {"used_at": timezone.now()}
    if code:
        defaults |= {"code_hash": "", "code_expires_at": None}
    Invitation.objects.update_or_create(user=user, defaults=defaults)
