"""Invitations (emailed set-password links), printed sign-in letters with one-time codes,
and "Forgot your password?" for accounts that never had a password."""

import re
from datetime import timedelta

import pytest
from axes.utils import reset
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_learner, make_staff
from tracker.models import Centre, Invitation, Learner, TeachingGroup, User
from tracker.people import invitations
from tracker.people.invitations import invitation_tokens

NEW_PASSWORD = "a-long-new-password-42"


def without_password(user: User, *, email: str | None = None) -> User:
    user.set_unusable_password()
    user.last_login = None
    if email is not None:
        user.email = email
    user.save()
    return user


def admin_client(cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def link_path(message) -> str:
    link = re.search(r"http://testserver\S+|https?://\S+/accounts/invitation/\S+/", message.body)
    assert link, message.body
    return "/" + link.group(0).split("/", 3)[3]


@pytest.fixture
def fresh(cast, settings):
    settings.SITE_URL = "https://tracker.example.org"
    without_password(cast.learner.user)
    without_password(cast.teacher)
    return cast


# Invitations ---------------------------------------------------------------------------


def test_learner_invitation_email_says_who_where_and_until_when(fresh):
    response = admin_client(fresh).post(reverse("learner_invite", args=[fresh.learner.pk]))
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [fresh.learner.user.email]
    assert "Test College" in message.subject
    body = message.body
    assert "https://tracker.example.org/accounts/invitation/" in body
    assert fresh.learner.user.username in body
    assert "stops working on" in body
    assert fresh.admin.email in body
    html = message.alternatives[0][0]
    assert "https://tracker.example.org/accounts/invitation/" in html
    invitation = Invitation.objects.get(user=fresh.learner.user)
    assert invitation.invited_at is not None and invitation.invited_by == fresh.admin


def test_invitation_link_sets_password_signs_in_and_is_single_use(fresh):
    admin_client(fresh).post(reverse("learner_invite", args=[fresh.learner.pk]))
    path = link_path(mail.outbox[0])
    client = Client()
    page = client.get(path, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    form_url = page.redirect_chain[-1][0]
    done = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert done.status_code == 200
    assert done.wsgi_request.user == fresh.learner.user
    user = User.objects.get(pk=fresh.learner.user.pk)
    assert user.check_password(NEW_PASSWORD) and user.last_login is not None
    assert Invitation.objects.get(user=user).used_at is not None
    again = Client().get(path, follow=True)
    assert not again.context["validlink"]
    assert invitations.sign_in_state(user).state == "signed_in"


def test_invitation_link_expires_after_invitation_days(fresh, settings, monkeypatch):
    settings.INVITATION_DAYS = 7
    user = fresh.learner.user
    token = invitation_tokens.make_token(user)
    assert invitation_tokens.check_token(user, token)
    later = invitation_tokens._now() + timedelta(days=7, minutes=1)
    monkeypatch.setattr(invitation_tokens, "_now", lambda: later)
    assert not invitation_tokens.check_token(user, token)


def test_invitation_and_reset_tokens_do_not_mix(fresh):
    from django.contrib.auth.tokens import default_token_generator

    user = fresh.learner.user
    assert not default_token_generator.check_token(user, invitation_tokens.make_token(user))
    assert not invitation_tokens.check_token(user, default_token_generator.make_token(user))


def test_staff_invitation_and_state_on_the_staff_pages(fresh):
    client = admin_client(fresh)
    listing = client.get(reverse("centre:staff")).content.decode()
    assert "Not invited" in listing
    client.post(reverse("centre:staff_invite", args=[fresh.teacher.pk]))
    assert mail.outbox[0].to == [fresh.teacher.email]
    listing = client.get(reverse("centre:staff")).content.decode()
    assert "Invited on" in listing
    page = client.get(reverse("centre:staff_edit", args=[fresh.teacher.pk])).content.decode()
    assert "Send the invitation again" in page


def test_an_admin_of_another_centre_invites_nobody_here(fresh):
    centre = Centre.objects.create(name="Far Away College", ocr_number="67890")
    client = Client()
    client.force_login(make_staff(centre, "far_admin", is_centre_admin=True))
    assert client.post(reverse("learner_invite", args=[fresh.learner.pk])).status_code == 404
    assert client.post(reverse("centre:staff_invite", args=[fresh.teacher.pk])).status_code == 404
    assert client.post(reverse("centre:group_invite", args=[fresh.group.pk])).status_code == 404
    letters_url = reverse("centre:group_letters", args=[fresh.group.pk])
    letters = client.post(letters_url, {"who": "everyone"})
    assert letters.status_code == 404
    assert not mail.outbox and not Invitation.objects.exists()


def test_teachers_cannot_invite(fresh, client_for):
    response = client_for("teacher").post(reverse("learner_invite", args=[fresh.learner.pk]))
    assert response.status_code == 403
    assert not mail.outbox


def test_admin_cannot_invite_an_account_above_them(fresh):
    boss = make_staff(fresh.centre, "boss", is_centre_admin=True, is_superuser=True)
    response = admin_client(fresh).post(reverse("centre:staff_invite", args=[boss.pk]))
    assert response.status_code == 403
    assert not mail.outbox


def test_no_email_or_signed_in_accounts_are_refused_clearly(fresh):
    without_password(fresh.learner.user, email="")
    client = admin_client(fresh)
    response = client.post(reverse("learner_invite", args=[fresh.learner.pk]), follow=True)
    assert "sign-in letter" in response.content.decode()
    fresh.teacher.last_login = timezone.now()
    fresh.teacher.save()
    response = client.post(reverse("centre:staff_invite", args=[fresh.teacher.pk]), follow=True)
    assert "already signed in" in response.content.decode()
    assert not mail.outbox


def test_group_invitation_emails_those_with_email_and_lists_the_rest(fresh):
    no_email = make_learner(fresh.centre, fresh.group, "0003", "Nia", "Noemail")
    without_password(no_email.user, email="")
    signed_in = make_learner(fresh.centre, fresh.group, "0004", "Sam", "Signedin")
    signed_in.user.last_login = timezone.now()
    signed_in.user.save()
    client = admin_client(fresh)
    page = client.post(reverse("centre:group_invite", args=[fresh.group.pk]), follow=True)
    assert [m.to for m in mail.outbox] == [[fresh.learner.user.email]]
    html = page.content.decode()
    assert "1 invitation sent" in html and "print sign-in letters" in html
    assert "No email: needs a letter" in html and "Signed in on" in html and "Invited on" in html
    # Sending again is allowed (a resend).
    client.post(reverse("centre:group_invite", args=[fresh.group.pk]))
    assert len(mail.outbox) == 2


def test_password_reset_reaches_invited_accounts_but_not_inactive_ones(fresh):
    Client().post(reverse("password_reset"), {"email": fresh.learner.user.email})
    assert [m.to for m in mail.outbox] == [[fresh.learner.user.email]]
    mail.outbox.clear()
    fresh.learner.user.is_active = False
    fresh.learner.user.save()
    Client().post(reverse("password_reset"), {"email": fresh.learner.user.email})
    assert not mail.outbox


def test_password_reset_links_use_site_url_never_the_request_host(fresh, settings):
    settings.SITE_URL = "https://tracker.school.example"
    settings.ALLOWED_HOSTS = ["evil.example", "testserver"]
    Client(HTTP_HOST="evil.example").post(
        reverse("password_reset"), {"email": fresh.learner.user.email}
    )
    (message,) = mail.outbox
    assert "evil.example" not in message.body
    link = re.search(r"https://tracker\.school\.example/accounts/reset/\S+/\S+/", message.body)
    assert link, message.body
    path = "/" + link.group(0).split("/", 3)[3]
    assert Client().get(path, follow=True).status_code == 200


# Sign-in letters and codes ---------------------------------------------------------------


def print_letters(cast, who="no_email") -> dict[str, str]:
    response = admin_client(cast).post(
        reverse("centre:group_letters", args=[cast.group.pk]), {"who": who}
    )
    assert response.status_code == 200
    html = response.content.decode()
    return dict(re.findall(r'data-code-for="([^"]+)">([A-Z0-9-]+)<', html))


def first_sign_in(username, code, password=NEW_PASSWORD, address="203.0.113.9"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        reverse("first_signin"),
        {"username": username, "code": code, "password1": password, "password2": password},
    )
    return response, client


def test_letters_page_has_everything_a_learner_needs(fresh):
    without_password(fresh.learner.user, email="")
    response = admin_client(fresh).post(
        reverse("centre:group_letters", args=[fresh.group.pk]), {"who": "no_email"}
    )
    html = response.content.decode()
    for text in (
        "Test College",
        "Lara Learner",
        fresh.learner.user.username,
        "https://tracker.example.org/accounts/first-sign-in/",
        "Steps",
    ):
        assert text in html
    codes = re.findall(r'data-code-for="[^"]+">([A-Z0-9-]+)<', html)
    assert len(codes) == 1 and re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", codes[0])
    assert set(codes[0]) - {"-"} <= set(invitations.CODE_ALPHABET)
    invitation = Invitation.objects.get(user=fresh.learner.user)
    assert codes[0].replace("-", "") not in invitation.code_hash
    assert response["Cache-Control"] == "no-store"


def test_letters_for_no_email_only_unless_everyone(fresh):
    assert print_letters(fresh) == {}
    assert set(print_letters(fresh, "everyone")) == {fresh.learner.user.username}


def test_a_code_works_once(fresh):
    code = print_letters(fresh, "everyone")[fresh.learner.user.username]
    response, client = first_sign_in(fresh.learner.user.username, code.lower())
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302  # signed in: sent to their home
    user = User.objects.get(pk=fresh.learner.user.pk)
    assert user.check_password(NEW_PASSWORD)
    assert Invitation.objects.get(user=user).used_at is not None
    again, _ = first_sign_in(fresh.learner.user.username, code, "another-long-password-7")
    assert again.status_code == 200 and "do not match" in again.content.decode()


def test_printing_again_makes_old_codes_stop_working(fresh):
    old = print_letters(fresh, "everyone")[fresh.learner.user.username]
    new = print_letters(fresh, "everyone")[fresh.learner.user.username]
    assert first_sign_in(fresh.learner.user.username, old)[0].status_code == 200
    assert first_sign_in(fresh.learner.user.username, new)[0].status_code == 302


def test_a_code_expires(fresh, settings):
    settings.SIGNIN_CODE_DAYS = 14
    code = print_letters(fresh, "everyone")[fresh.learner.user.username]
    Invitation.objects.update(code_expires_at=timezone.now() - timedelta(seconds=1))
    response, _ = first_sign_in(fresh.learner.user.username, code)
    assert response.status_code == 200 and "expired" in response.content.decode()


def test_a_weak_password_is_a_form_error_and_keeps_the_code(fresh):
    code = print_letters(fresh, "everyone")[fresh.learner.user.username]
    response, _ = first_sign_in(fresh.learner.user.username, code, "12345678")
    assert response.status_code == 200
    assert response.context["form"].errors.get("password2")
    assert first_sign_in(fresh.learner.user.username, code)[0].status_code == 302


def test_a_code_of_another_learner_does_not_work(fresh):
    other = fresh.other_learner
    without_password(other.user)
    code = print_letters(fresh, "everyone")[fresh.learner.user.username]
    assert first_sign_in(other.user.username, code)[0].status_code == 200


def test_a_learner_who_cannot_sign_in_gets_no_letter_and_no_use_of_a_code(fresh):
    code = print_letters(fresh, "everyone")[fresh.learner.user.username]
    User.objects.filter(pk=fresh.learner.user.pk).update(is_active=False)
    assert first_sign_in(fresh.learner.user.username, code)[0].status_code == 200
    assert print_letters(fresh, "everyone") == {}


@pytest.fixture
def throttled(settings, db):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 50
    reset()
    yield
    reset()


def test_wrong_codes_lock_the_account_for_a_while(fresh, throttled):
    code = print_letters(fresh, "everyone")[fresh.learner.user.username]
    username = fresh.learner.user.username
    for _ in range(2):
        response, _ = first_sign_in(username, "WRONG-CODE")
        assert response.status_code == 200
    assert first_sign_in(username, "WRONG-CODE")[0].status_code == 429  # the third locks
    locked, _ = first_sign_in(username, code)
    assert locked.status_code == 429
    assert "try again" in locked.content.decode().lower()
    assert not User.objects.get(pk=fresh.learner.user.pk).has_usable_password()
    # Password sign-in for the same account is locked too: one count per account.
    signin = Client(REMOTE_ADDR="198.51.100.1").post(
        reverse("login"), {"username": username, "password": "pw"}
    )
    assert signin.status_code == 429


def test_first_sign_in_page_is_linked_from_sign_in(cast):
    assert reverse("first_signin") in Client().get(reverse("login")).content.decode()


def test_group_signin_page_lists_state(fresh):
    page = admin_client(fresh).get(reverse("centre:group_signin", args=[fresh.group.pk]))
    assert page.status_code == 200
    assert "Not invited" in page.content.decode()


def test_imported_style_learners_get_invitations(fresh):
    group = TeachingGroup.objects.get(pk=fresh.group.pk)
    learner = Learner.objects.get(pk=fresh.learner.pk)
    result = invitations.invite_group(group, fresh.admin)
    assert result.sent == [learner]


def test_a_leaver_is_neither_counted_nor_invited_with_the_group(cast, client_for):
    from datetime import date

    from tracker.people.invitations import group_learners
    from tracker.people.leavers import mark_left

    mark_left(cast.learner, date(2026, 11, 1), "Moved school")
    assert cast.learner not in list(group_learners(cast.group))
    page = client_for("admin").get(reverse("centre:group_signin", args=[cast.group.pk]))
    assert page.status_code == 200
    assert cast.learner.full_name not in page.content.decode()
