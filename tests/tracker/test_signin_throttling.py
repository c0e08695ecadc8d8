"""Sign-in: any spelling of a username or email is one account, throttled per account and
per address, with a cool-off that ends."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.test import Client
from django.urls import reverse

from tests.conftest import make_staff
from tracker.auth import find_account
from tracker.models import User

LIMIT = 3
SPELLINGS = [
    "teacher",
    "TEACHER",
    "Teacher",
    "tEaChEr",
    "  teacher  ",
    "teacher@centre.example.org",
    "TEACHER@CENTRE.EXAMPLE.ORG",
    "Teacher@Centre.Example.Org",
]


@pytest.fixture
def throttled(settings, db):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 8
    reset()
    yield
    reset()


def sign_in(username: str, password: str, address: str = "203.0.113.7"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response, client


def signed_in(response) -> bool:
    return response.status_code == 302


def end_cool_off() -> None:
    """Move every recorded failure back past the cool-off."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=16)
        attempt.save(update_fields=["attempt_time"])


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_signs_in(cast, spelling):
    response, client = sign_in(spelling, "pw")
    assert signed_in(response)
    assert client.get(reverse("home")).url == reverse("teacher_home")


@pytest.mark.parametrize("first", ["teacher", "TEACHER@centre.example.org", "Teacher"])
def test_failures_count_per_account_whatever_the_spelling(cast, throttled, first):
    # Failures spread over spellings and addresses still add up on the one account.
    addresses = ["203.0.113.7", "198.51.100.9", "192.0.2.44"]
    tries = list(zip([first, *SPELLINGS[2:]], addresses, strict=False))
    for spelling, address in tries[:-1]:
        assert sign_in(spelling, "wrong", address)[0].status_code == 200
    # The failure reaching the limit starts the cool-off.
    assert sign_in(*tries[-1][:1], "wrong", tries[-1][1])[0].status_code == 429
    for spelling in SPELLINGS:
        response, _ = sign_in(spelling, "wrong")
        assert response.status_code == 429, spelling
        response, _ = sign_in(spelling, "pw", "192.0.2.200")
        assert response.status_code == 429, spelling
        assert "Try again after" in response.content.decode()
        assert "even the right password is refused" in response.content.decode()
    # Other accounts are untouched.
    assert signed_in(sign_in("iv", "pw")[0])
    # After the cool-off every spelling signs in again (refusals did not extend it).
    end_cool_off()
    for spelling in SPELLINGS:
        assert signed_in(sign_in(spelling, "pw")[0]), spelling


def test_the_message_says_when_to_try_again(cast, throttled):
    for _ in range(LIMIT):
        sign_in("teacher", "wrong")
    response, _ = sign_in("teacher", "pw")
    page = response.content.decode()
    assert response.status_code == 429
    assert "in about 15 minutes" in page


def test_a_right_password_before_the_limit_clears_the_count(cast, throttled):
    for _ in range(LIMIT - 1):
        sign_in("TEACHER", "wrong")
    assert signed_in(sign_in("teacher@centre.example.org", "pw")[0])
    for _ in range(LIMIT - 1):
        sign_in("Teacher", "wrong")
    assert signed_in(sign_in("teacher", "pw")[0])


def test_unknown_names_are_counted_in_every_spelling_too(cast, throttled):
    for spelling in ("nobody", "NOBODY", "Nobody"):
        sign_in(spelling, "guess")
    assert sign_in("nObOdY", "guess")[0].status_code == 429


def test_many_accounts_failing_from_one_address_are_blocked_at_the_higher_limit(cast, throttled):
    accounts = [make_staff(cast.centre, f"pupil{n}", is_teacher=True) for n in range(5)]
    school = "203.0.113.50"
    failures = 0
    for account in accounts[:4]:
        for _ in range(LIMIT - 1):  # each account stays under its own limit
            failures += 1
            response, _ = sign_in(account.username.upper(), "wrong", school)
            # Refused normally until the failure reaching the address limit (8).
            assert response.status_code == (429 if failures == 8 else 200), failures
    # The address is now blocked for everyone, even with the right password ...
    assert sign_in(accounts[4].username, "pw", school)[0].status_code == 429
    # ... while the same accounts sign in from elsewhere.
    assert signed_in(sign_in(accounts[0].username, "pw", "198.51.100.1")[0])
    end_cool_off()
    assert signed_in(sign_in(accounts[4].username, "pw", school)[0])


def test_fewer_failures_than_the_address_limit_block_nobody(cast, throttled):
    school = "203.0.113.60"
    for name in ("teacher", "iv", "other_teacher"):
        for _ in range(LIMIT - 1):
            sign_in(name, "wrong", school)
    assert signed_in(sign_in("admin", "pw", school)[0])


def test_a_successful_sign_in_does_not_clear_failures_against_others(cast, throttled):
    school = "203.0.113.70"
    for _ in range(LIMIT - 1):
        sign_in("teacher", "wrong", school)
    assert signed_in(sign_in("iv", "pw", school)[0])
    sign_in("teacher", "wrong", school)
    assert sign_in("teacher", "pw", school)[0].status_code == 429


def test_names_differing_only_by_case_are_refused_not_guessed(cast):
    twin = User.objects.create_user("Teacher", email="twin@centre.example.org", password="pw2")
    assert find_account("teacher") == cast.teacher  # typed exactly
    assert find_account("Teacher") == twin
    assert find_account("TEACHER") is None  # ambiguous
    assert not signed_in(sign_in("TEACHER", "pw")[0])
    assert not signed_in(sign_in("TEACHER", "pw2")[0])
    assert signed_in(sign_in("twin@centre.example.org", "pw2")[0])


def test_the_staff_form_refuses_a_username_differing_only_by_case(cast, client_for):
    response = client_for("admin").post(
        reverse("centre:staff_add"),
        {
            "username": "TEACHER",
            "first_name": "Tea",
            "last_name": "Cher",
            "email": "tea@centre.example.org",
            "is_teacher": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert not User.objects.filter(username="TEACHER").exists()


def test_the_client_address_behind_a_proxy_ignores_what_the_client_wrote(settings, rf):
    from tracker.auth import client_address

    request = rf.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.SIGNIN_PROXY_COUNT = 0
    assert client_address(request) == "127.0.0.1"
    settings.SIGNIN_PROXY_COUNT = 1
    assert client_address(request) == "203.0.113.9"
    assert client_address(rf.post("/", REMOTE_ADDR="198.51.100.3")) == "198.51.100.3"
