"""Setting a centre up: its first run and its academic years. Each workflow is atomic and
raises SetupError with a sentence a person can act on."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tracker.models import AcademicYear, Centre, StaffMembership, User


class SetupError(Exception):
    """A centre or year that cannot be set up as asked (the message says why)."""


@dataclass(frozen=True)
class FirstRun:
    """What `create_centre` made."""

    centre: Centre
    year: AcademicYear
    admin: User


def create_centre(
    *,
    name: str,
    ocr_number: str,
    year: str,
    starts_on: date,
    ends_on: date,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None,
) -> FirstRun:
    """Create a centre, its current academic year and its first centre admin, all or nothing.

    The admin is a member of staff of the centre with the centre admin role (not a Django
    superuser). Without a password the account gets none it can sign in with: it sets one
    through `set_password_link`. Values are checked beforehand by `FirstRunForm`; a centre
    number, username or email taken meanwhile raises SetupError and nothing is kept.
    """
    try:
        with transaction.atomic():
            if Centre.objects.filter(ocr_number=ocr_number).exists():
                raise SetupError(f"A centre with OCR centre number {ocr_number} exists already.")
            if User.objects.filter(username__iexact=username).exists():
                raise SetupError(f"An account called {username} exists already.")
            if User.objects.filter(email__iexact=email).exists():
                raise SetupError(f"An account with the email {email} exists already.")
            centre = Centre.objects.create(name=name, ocr_number=ocr_number)
            academic_year = AcademicYear.objects.create(
                centre=centre, name=year, starts_on=starts_on, ends_on=ends_on, is_current=True
            )
            admin = User(
                username=username,
                email=email,
                first_name=first_name,
                last_name=last_name,
                is_centre_admin=True,
            )
            if password:
                admin.set_password(password)
            else:
                admin.set_unusable_password()
            admin.save()
            StaffMembership.objects.create(user=admin, centre=centre)
    except IntegrityError:
        raise SetupError(
            "Someone else saved a centre or account with these details at the same moment; "
            "nothing was created. Check and run the command again."
        ) from None
    return FirstRun(centre=centre, year=academic_year, admin=admin)


def site_address(path: str) -> str:
    """Return the full address of a path of the site, from the SITE_URL setting."""
    return settings.SITE_URL + path


def set_password_link(user: User) -> str:
    """Return a one-time link where the user chooses a password (Django's password reset
    link: it stops working once used, when the password changes, or after
    PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return site_address(path)


@transaction.atomic
def make_current(year: AcademicYear) -> None:
    """Make the year its centre's current one, in one transaction: the centre's other years
    stop being current first (the `one_current_year` constraint allows one). Nothing else
    changes: groups, enrolments and records of every year stay as they are."""
    centre = Centre.objects.select_for_update().get(pk=year.centre_id)
    AcademicYear.objects.filter(centre=centre, is_current=True).exclude(pk=year.pk).update(
        is_current=False
    )
    AcademicYear.objects.filter(pk=year.pk).update(is_current=True)
    year.is_current = True
