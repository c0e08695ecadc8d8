"""A centre admin changes only accounts that hold no right they lack, on every route."""

import pytest
from django.urls import reverse

from tests.conftest import make_staff
from tracker import access
from tracker.models import Centre, StaffMembership, User

NEW_PASSWORD = "taken-over-password-42"


def _post(client, target: User, **changes):
    """Post the staff form for the target with its current values and the changes."""
    data = {
        "username": target.username,
        "first_name": target.first_name or "First",
        "last_name": target.last_name or "Last",
        "email": target.email or f"{target.username}@example.org",
        "is_active": "on",
    }
    for field in ("is_teacher", "is_internal_verifier", "is_centre_admin"):
        if getattr(target, field):
            data[field] = "on"
    if not any(getattr(target, f) for f in ("is_teacher", "is_internal_verifier")):
        data.setdefault("is_teacher", "on")
    data.update(changes)
    return client.post(reverse("centre:staff_edit", args=[target.pk]), data)


ROUTES = {
    "edit": {"first_name": "Renamed", "last_name": "Person"},
    "password": {"password": NEW_PASSWORD},
    "email": {"email": "attacker@example.org"},
    "roles": {"is_centre_admin": "on", "is_internal_verifier": "on"},
}


def _targets(cast) -> dict[str, tuple[User, int]]:
    """Forbidden targets, each with the status the admin gets for it."""
    other = Centre.objects.create(name="Elsewhere", ocr_number="54321")
    root_here = make_staff(cast.centre, "root_here", is_teacher=True)
    root_here.is_superuser = root_here.is_staff = True
    root_here.save()
    root_nowhere = User.objects.create_superuser("root", "root@example.org", "pw")
    django_staff = make_staff(cast.centre, "django_staff", is_teacher=True)
    django_staff.is_staff = True
    django_staff.save()
    return {
        "superuser in the centre": (root_here, 403),
        "superuser of no centre": (root_nowhere, 404),
        "Django staff account": (django_staff, 403),
        "staff of another centre": (make_staff(other, "outsider", is_centre_admin=True), 404),
        "learner": (cast.learner.user, 404),
    }


def _snapshot(user: User) -> dict:
    user.refresh_from_db()
    return {
        "password": user.password,
        "email": user.email,
        "names": (user.first_name, user.last_name),
        "roles": access.rights_of(user),
        "active": user.is_active,
    }


@pytest.mark.parametrize("route", ROUTES)
def test_admin_cannot_change_accounts_with_more_rights_or_outside_the_centre(
    cast, client_for, route
):
    client = client_for("admin")
    for name, (target, status) in _targets(cast).items():
        before = _snapshot(target)
        assert client.get(reverse("centre:staff_edit", args=[target.pk])).status_code == status
        response = _post(client, target, **ROUTES[route])
        assert response.status_code == status, name
        assert _snapshot(target) == before, name
        assert not target.check_password(NEW_PASSWORD), name


def test_the_superuser_takeover_is_closed(cast, client_for):
    """The reported attack: set the superuser's password, then sign in as them."""
    root = User.objects.create_superuser("root", "root@example.org", "original-pw")
    StaffMembership.objects.create(user=root, centre=cast.centre)
    client = client_for("admin")
    assert _post(client, root, password=NEW_PASSWORD).status_code == 403
    assert _post(client, root, email="admin@centre.example.org").status_code == 403
    root.refresh_from_db()
    assert root.email == "root@example.org"
    assert client.login(username="root", password="original-pw")
    assert not client.login(username="root", password=NEW_PASSWORD)


@pytest.mark.parametrize("route", ROUTES)
def test_admin_changes_a_teacher_of_their_centre(cast, client_for, route):
    response = _post(client_for("admin"), cast.teacher, **ROUTES[route])
    assert response.status_code == 302
    cast.teacher.refresh_from_db()
    if route == "password":
        assert cast.teacher.check_password(NEW_PASSWORD)
    elif route == "email":
        assert cast.teacher.email == "attacker@example.org"
    elif route == "roles":
        assert cast.teacher.is_centre_admin and cast.teacher.is_internal_verifier
    else:
        assert cast.teacher.first_name == "Renamed"


def test_the_form_never_sets_django_flags(cast, client_for):
    client = client_for("admin")
    _post(client, cast.teacher, is_staff="on", is_superuser="on")
    response = client.post(
        reverse("centre:staff_add"),
        {
            "username": "sneaky",
            "first_name": "Sneaky",
            "last_name": "New",
            "email": "sneaky@centre.example.org",
            "is_teacher": "on",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    cast.teacher.refresh_from_db()
    sneaky = User.objects.get(username="sneaky")
    for user in (cast.teacher, sneaky):
        assert not user.is_staff and not user.is_superuser


def test_the_form_offers_only_roles_the_admin_can_hand_out(cast, monkeypatch):
    """A role the admin cannot hand out is shown fixed and cannot be ticked."""
    from tracker.people.forms import StaffForm

    monkeypatch.setattr(access, "ROLE_GRANTS", {"centre_admin": ("teacher", "centre_admin")})
    form = StaffForm(
        {
            "username": "verifier",
            "first_name": "Vera",
            "last_name": "Fier",
            "email": "vera@centre.example.org",
            "is_internal_verifier": "on",
            "is_active": "on",
        },
        admin=cast.admin,
    )
    assert form.fields["is_internal_verifier"].disabled
    assert not form.is_valid()
    assert "Give the member of staff at least one role." in form.non_field_errors()
    # An account with that role is then beyond the admin.
    assert not access.can_manage_account(cast.admin, cast.iv)
    assert access.can_manage_account(cast.admin, cast.teacher)


def test_staff_list_links_only_accounts_the_admin_can_edit(cast, client_for):
    targets = _targets(cast)
    page = client_for("admin").get(reverse("centre:staff")).content.decode()
    assert reverse("centre:staff_edit", args=[cast.teacher.pk]) in page
    assert reverse("centre:staff_edit", args=[cast.admin.pk]) in page
    for name, (target, _status) in targets.items():
        assert reverse("centre:staff_edit", args=[target.pk]) not in page, name
    # The same-centre accounts with more rights are still listed, without a link.
    assert "Root_Here" in page and "Django_Staff" in page


def test_a_superuser_admin_manages_superusers_of_their_centre(cast, client_for):
    cast.admin.is_superuser = cast.admin.is_staff = True
    cast.admin.save()
    root_here = _targets(cast)["superuser in the centre"][0]
    assert _post(client_for("admin"), root_here, first_name="Changed").status_code == 302


def test_an_import_never_redirects_the_email_of_an_account_with_rights(cast):
    """A learner record linked to a privileged account: the import updates the record only."""
    from tracker.people.importing import apply_plan, build_plan, read_table

    account = cast.learner.user
    account.is_superuser = account.is_staff = True
    account.save()
    rows = (
        "Candidate No,Forename,Legal Surname,Email,Reg Group,Unit,Target Grade\n"
        "0001,Lara,Learner,attacker@example.org,13A,30,M\n"
    )
    apply_plan(build_plan(read_table(rows.encode(), "x.csv"), cast.centre, cast.year), cast.admin)
    cast.learner.refresh_from_db()
    account.refresh_from_db()
    assert cast.learner.email == "attacker@example.org"
    assert account.email == "lara.learner@learners.example.org"
