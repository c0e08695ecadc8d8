"""One place for who may reach what.

Every view takes the objects it touches from these helpers, which scope by the user and
answer 404 to outsiders, so a guessed URL never reveals that a record exists.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Literal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from criteria.models import Criterion, ExamSeries, TopicItem, Unit
from tracker.models import (
    AcademicYear,
    Action,
    Assignment,
    Centre,
    Decision,
    Enrolment,
    ExportJob,
    LeadAssessor,
    Learner,
    Notification,
    Sample,
    SampleItem,
    TeachingGroup,
    User,
    staff_centre_id,
)

ROLES = {
    "teacher": "is_teacher",
    "internal_verifier": "is_internal_verifier",
    "centre_admin": "is_centre_admin",
}


def has_role(user: User, role: str) -> bool:
    return bool(user.is_authenticated and user.is_active and getattr(user, ROLES[role]))


def role_required(*roles: str) -> Callable:
    """Let signed-in users with any of the roles in; others get 403 (the page is no secret)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not any(has_role(request.user, role) for role in roles):
                raise PermissionDenied("This page is for another role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def centre_for_admin(user: User) -> Centre:
    """Return the centre a centre admin manages (403 when they have none)."""
    centre_id = staff_centre_id(user)
    if not has_role(user, "centre_admin") or centre_id is None:
        raise PermissionDenied("You are not a centre admin.")
    return Centre.objects.get(pk=centre_id)


# Rights an account can hold beyond signing in: Django's own flags, then the centre roles.
ACCOUNT_FLAGS = ("is_superuser", "is_staff")

# The centre roles a role hands out. The centre admin role is the one that assigns teaching
# and verifying in a centre (staff form, group teachers and verifiers), so a centre admin is
# taken to hold those roles too; no role hands out a Django flag.
ROLE_GRANTS = {"centre_admin": ("teacher", "internal_verifier", "centre_admin")}


def rights_of(user: User) -> frozenset[str]:
    """Return the rights an account holds: Django flags set and centre roles held."""
    flags = {flag for flag in ACCOUNT_FLAGS if getattr(user, flag)}
    roles = {role for role, field in ROLES.items() if getattr(user, field)}
    return frozenset(flags | roles)


def grantable_rights(admin: User) -> frozenset[str]:
    """Return the rights an admin holds, counting the roles their roles hand out."""
    held = set(rights_of(admin))
    for role in list(held):
        held.update(ROLE_GRANTS.get(role, ()))
    return frozenset(held)


def staff_of_centre(centre: Centre):
    """The accounts a centre's staff pages list: staff of the centre that are no learner."""
    return User.objects.filter(staff_membership__centre=centre, learner__isnull=True)


def can_manage_account(admin: User, target: User) -> bool:
    """Return whether a centre admin may change the target account in any way.

    The one rule for every route that changes an account (details, password, email, roles,
    sign-in switch, and later invitations): the admin is an active centre admin, the target
    is a member of staff of the same centre and no learner, and the target holds no right
    the admin lacks (see `grantable_rights`): never a superuser or a Django staff account
    unless the admin is one, never a centre role the admin cannot hand out.
    """
    centre_id = staff_centre_id(admin)
    if not has_role(admin, "centre_admin") or centre_id is None:
        return False
    if staff_centre_id(target) != centre_id or _is_learner(target):
        return False
    return rights_of(target) <= grantable_rights(admin)


def _is_learner(user: User) -> bool:
    try:
        return user.learner is not None
    except Learner.DoesNotExist:
        return False


def get_staff_for_admin(admin: User, pk: int) -> User:
    """Return an account the centre admin may change.

    404 when the account is not on the admin's staff list (another centre, a learner, an
    account of no centre such as a superuser outside it), so a guessed id reveals nothing;
    403 when it is on the list but holds a right the admin lacks (its roles are shown there,
    so refusing openly reveals nothing new).
    """
    target = get_object_or_404(staff_of_centre(centre_for_admin(admin)), pk=pk)
    if not can_manage_account(admin, target):
        raise PermissionDenied("This account holds rights you do not have.")
    return target


def get_learner_for_user(user: User, pk: int) -> Learner:
    """Return a learner the user may see (404 for outsiders)."""
    return get_object_or_404(
        Learner.objects.for_user(user).select_related("group", "centre", "qualification"), pk=pk
    )


def get_learner_for_admin(user: User, pk: int) -> Learner:
    """Return a learner of the centre admin's centre (403 for non-admins, 404 for others).

    The rule for changing a learner's account (invitations, sign-in letters): only the admin
    of the learner's centre, never their teachers."""
    return get_object_or_404(
        Learner.objects.filter(centre=centre_for_admin(user)).select_related("user", "centre"),
        pk=pk,
    )


def get_group_for_user(user: User, pk: int) -> TeachingGroup:
    """Return a teaching group the user may see (404 for outsiders)."""
    return get_object_or_404(
        TeachingGroup.objects.for_user(user).select_related("academic_year", "centre"), pk=pk
    )


def ucas_groups_for(user: User) -> QuerySet[TeachingGroup]:
    """Return the groups whose UCAS predicted grades the user may export: a centre admin
    every group of their centre, a teacher the groups they teach (an internal verifier
    alone none: predicted grades are the teachers' word)."""
    rules = Q(pk__in=[])
    centre_id = staff_centre_id(user)
    if has_role(user, "centre_admin") and centre_id:
        rules |= Q(centre_id=centre_id)
    if has_role(user, "teacher"):
        rules |= Q(teachers=user)
    return TeachingGroup.objects.filter(rules).distinct().select_related("academic_year")


def get_ucas_group(user: User, pk: int) -> TeachingGroup:
    """Return a group of `ucas_groups_for(user)` (404 for any other)."""
    return get_object_or_404(ucas_groups_for(user), pk=pk)


def can_edit_learner(user: User, learner: Learner) -> bool:
    """Teachers of the learner's group and centre admins may change their records; nobody
    changes the records of a learner who has left (they are kept read-only)."""
    if learner.left_on is not None:
        return False
    if has_role(user, "centre_admin") and staff_centre_id(user) == learner.centre_id:
        return True
    return teaches(user, learner.group if learner.group_id else None)


def get_learner_for_editing(user: User, pk: int) -> Learner:
    """Return a learner the user may change: 404 when out of scope, 403 when read-only."""
    learner = get_learner_for_user(user, pk)
    if learner.left_on is not None:
        raise PermissionDenied(
            f"{learner.full_name} has left: their record is read-only until a centre admin "
            "reinstates them."
        )
    if not can_edit_learner(user, learner):
        raise PermissionDenied("You can view this learner but not change their records.")
    return learner


def get_enrolment_of(learner: Learner, pk: int):
    """Return one of the learner's enrolments (404 for anyone else's)."""
    return get_object_or_404(learner.enrolments.select_related("unit"), pk=pk)


def get_own_enrolment(user: User, pk: int):
    """Return one of the signed-in learner's own enrolments (404 for anyone else's)."""
    return get_object_or_404(
        Enrolment.objects.filter(learner__user=user).select_related(
            "unit__suite", "learner__group", "learner__centre", "academic_year"
        ),
        pk=pk,
    )


def get_enrolment_for_user(user: User, learner_pk: int, pk: int):
    """Return a learner's enrolment the user may see (404 otherwise)."""
    learner = get_learner_for_user(user, learner_pk)
    return get_object_or_404(
        learner.enrolments.select_related(
            "unit__suite", "learner__group", "learner__centre", "academic_year"
        ),
        pk=pk,
    )


def teaches(user: User, group: TeachingGroup | None) -> bool:
    """Return whether the user is a teacher of the group."""
    return bool(
        group is not None
        and has_role(user, "teacher")
        and group.teachers.filter(pk=user.pk).exists()
    )


def can_assess(user: User, learner: Learner) -> bool:
    """Only teachers of the learner's group record assessment decisions."""
    return teaches(user, learner.group if learner.group_id else None)


def get_evidence_for_user(user: User, pk: int):
    """Return evidence the user may see (404 for outsiders)."""
    from tracker.models import Evidence

    return get_object_or_404(
        Evidence.objects.for_user(user).select_related("enrolment__learner", "enrolment__unit"),
        pk=pk,
    )


GroupNeed = Literal["view", "teach", "verify", "admin"]


def get_group_unit_for_user(
    user: User,
    group_pk: int,
    unit_pk: int,
    *,
    need: GroupNeed = "view",
    mode: str | None = None,
) -> tuple[TeachingGroup, Unit]:
    """Return a group and one of its units for the route's rule, refusing outsiders.

    need="view": anyone who may see the group (404 otherwise).
    need="teach": the group's teachers (404 when out of sight, 403 when seen but not taught).
    need="verify": the group's internal verifiers (404 for anyone else).
    need="admin": the admin of the group's centre (403 for non-admins, 404 for other centres).
    A unit the group does not take, or of another assessment mode, is 404.
    """
    if need == "view":
        group = get_group_for_user(user, group_pk)
    elif need == "teach":
        group = get_group_for_user(user, group_pk)
        if not teaches(user, group):
            raise PermissionDenied("Only the group's teachers can do this.")
    elif need == "verify":
        group = get_object_or_404(
            user.verified_groups.select_related("academic_year", "centre"), pk=group_pk
        )
    elif need == "admin":
        centre = centre_for_admin(user)
        group = get_object_or_404(
            TeachingGroup.objects.select_related("academic_year", "centre"),
            pk=group_pk,
            centre=centre,
        )
    else:  # pragma: no cover - a programming error, not a request
        raise ValueError(f"Unknown need {need!r}")
    units = group.units.select_related("suite")
    if mode is not None:
        units = units.filter(assessment_mode=mode)
    return group, get_object_or_404(units, pk=unit_pk)


def get_catalogue_unit(pk: int) -> Unit:
    """Return a unit of the public specification catalogue (404 when there is none)."""
    return get_object_or_404(Unit.objects.select_related("suite"), pk=pk)


def get_centre_group(user: User, pk: int) -> TeachingGroup:
    """Return a group of the centre admin's centre (403 for non-admins, 404 for others)."""
    return get_object_or_404(TeachingGroup, pk=pk, centre=centre_for_admin(user))


def get_centre_year(user: User, pk: int) -> AcademicYear:
    """Return an academic year of the centre admin's centre (403 for non-admins, 404 for
    others)."""
    return get_object_or_404(AcademicYear, pk=pk, centre=centre_for_admin(user))


def get_export_job_for_admin(user: User, pk: int) -> ExportJob:
    """Return an export job of the admin's centre (403 for non-admins, 404 for others)."""
    return get_object_or_404(ExportJob.objects.filter(centre=centre_for_admin(user)), pk=pk)


def get_assignment_for_teacher(user: User, pk: int) -> Assignment:
    """Return an assignment of a group the user teaches (404 for anyone else)."""
    return get_object_or_404(
        Assignment.objects.filter(group__in=TeachingGroup.objects.taught_by(user)), pk=pk
    )


def get_assessable_item(enrolment: Enrolment, key: str) -> Criterion | TopicItem:
    """Return the criterion ("c:<pk>") or topic ("t:<pk>") of the enrolment's unit (404 else)."""
    kind, _, pk = key.partition(":")
    if not pk.isdigit() or kind not in ("c", "t"):
        raise Http404("No such criterion or topic.")
    if kind == "c":
        return get_object_or_404(Criterion.objects.filter(unit=enrolment.unit), pk=pk)
    return get_object_or_404(TopicItem.objects.filter(learning_outcome__unit=enrolment.unit), pk=pk)


def get_decision_of(enrolment: Enrolment, pk: int) -> Decision:
    """Return one of the enrolment's decisions (404 for any other)."""
    return get_object_or_404(enrolment.decisions.all(), pk=pk)


def samples_for_user(user: User) -> QuerySet[Sample]:
    """Return the IV samples the user may see: their own, and their centre's for an admin."""
    rules = Q(verifier=user)
    if has_role(user, "centre_admin"):
        rules |= Q(group__centre_id=staff_centre_id(user))
    return Sample.objects.filter(rules)


def get_sample_for_user(user: User, pk: int) -> Sample:
    """Return an IV sample the user may see (404 for outsiders)."""
    return get_object_or_404(
        samples_for_user(user).select_related("group", "unit", "verifier"), pk=pk
    )


def get_sample_item_for_user(user: User, pk: int) -> SampleItem:
    """Return a sampled learner-unit the user may see (404 for outsiders)."""
    return get_object_or_404(
        SampleItem.objects.filter(sample__in=samples_for_user(user)).select_related(
            "sample__group",
            "sample__unit",
            "sample__verifier",
            "enrolment__learner",
            "enrolment__unit__suite",
            "enrolment__learner__group",
        ),
        pk=pk,
    )


def sample_enrolments(sample: Sample) -> QuerySet[Enrolment]:
    """Return the learner-units a sample may include: its group's, on its unit."""
    return Enrolment.objects.filter(learner__group=sample.group, unit=sample.unit)


def get_sample_enrolment(sample: Sample, pk: int) -> Enrolment:
    """Return a learner-unit of the sample's group and unit (404 for any other)."""
    return get_object_or_404(sample_enrolments(sample), pk=pk)


def get_action_for_user(user: User, pk: int) -> Action:
    """Return an IV action the user is its assessor or verifier of (404 for anyone else)."""
    return get_object_or_404(
        Action.objects.filter(Q(assessor=user) | Q(item__sample__verifier=user)).select_related(
            "item__sample", "decision__criterion", "decision__topic"
        ),
        pk=pk,
    )


@dataclass(frozen=True)
class BoundaryRights:
    """What a user may do with one examined unit's series and grade boundaries.

    shared: enter real OCR series (shared by every centre on the instance): the site
    administrator (a superuser), or the centre admin when the instance holds one centre.
    mock: enter their own centre's mocks: its centre admin or the unit's lead assessor.
    centre_id: the centre whose mocks they see (None: shared series only).
    """

    unit: Unit
    centre_id: int | None
    shared: bool
    mock: bool

    def may_edit(self, series: ExamSeries) -> bool:
        return self.shared if series.is_shared else self.mock

    def series(self) -> QuerySet[ExamSeries]:
        """The unit's series this user sees: shared ones and their own centre's mocks."""
        return ExamSeries.objects.filter(unit=self.unit).for_centre(self.centre_id)


def may_enter_shared_series(user: User) -> bool:
    """The site administrator, or the centre admin of an instance with only one centre."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return has_role(user, "centre_admin") and Centre.objects.count() == 1


def boundary_rights(user: User, unit: Unit) -> BoundaryRights:
    """Return the user's rights over the unit's boundaries (both may be False)."""
    centre_id = staff_centre_id(user)
    mock = centre_id is not None and (
        has_role(user, "centre_admin")
        or LeadAssessor.objects.filter(centre_id=centre_id, unit=unit, user=user).exists()
    )
    return BoundaryRights(unit, centre_id, may_enter_shared_series(user), bool(mock))


def may_see_boundaries(user: User) -> bool:
    """Whether the Grade boundaries pages are for this user at all (for the navigation)."""
    return may_enter_shared_series(user) or (
        staff_centre_id(user) is not None
        and (has_role(user, "centre_admin") or user.lead_units.exists())
    )


def get_boundaries_unit_for_user(user: User, unit_pk: int) -> BoundaryRights:
    """Return the rights over an examined unit's boundaries (404 for any other unit; 403 for
    a user who may enter neither shared nor mock boundaries of it)."""
    unit = get_object_or_404(
        Unit.objects.select_related("suite"), pk=unit_pk, assessment_mode=Unit.Mode.EXAMINED
    )
    rights = boundary_rights(user, unit)
    if not (rights.shared or rights.mock):
        raise PermissionDenied("Grade boundaries are entered by the centre admin or lead assessor.")
    return rights


def get_series_for_user(user: User, pk: int) -> tuple[ExamSeries, BoundaryRights]:
    """Return a series the user may change the boundaries of, with their rights.

    404 for another centre's mock (it is no business of theirs) and for users who see no
    boundaries at all; 403 for a series they see but may not change (a shared OCR series
    for a centre admin of a several-centre instance).
    """
    if not may_see_boundaries(user):
        raise PermissionDenied("Grade boundaries are entered by the centre admin or lead assessor.")
    series = get_object_or_404(
        ExamSeries.objects.for_centre(staff_centre_id(user)).select_related(
            "unit__suite", "centre"
        ),
        pk=pk,
    )
    rights = boundary_rights(user, series.unit)
    if not rights.may_edit(series):
        raise PermissionDenied(
            "Only the site administrator enters OCR series' boundaries."
            if series.is_shared
            else "Only the centre admin or the unit's lead assessor enters this mock."
        )
    return series, rights


def notifications_for(user: User) -> QuerySet[Notification]:
    """Return the person's own notifications, newest first: nobody sees anyone else's."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user)
