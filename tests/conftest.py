"""The shared cast: a learner, another learner, their teacher, another teacher, an IV, an admin.

The catalogue is loaded once per test database from the shipped spec files.
"""

from dataclasses import dataclass
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from criteria.models import Unit
from tests.oidc import loopback
from tracker.evidence.services import Claim, submit_evidence
from tracker.models import (
    AcademicYear,
    Assignment,
    Centre,
    Enrolment,
    Evidence,
    ExportJob,
    Learner,
    StaffMembership,
    TeachingGroup,
    User,
)

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
ROLES = ["anonymous", "learner", "other_learner", "teacher", "other_teacher", "iv", "admin"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_specs", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Serve static files without the collectstatic manifest, and keep uploads per test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = False


@dataclass
class Cast:
    centre: Centre
    year: AcademicYear
    unit6: Unit
    unit30: Unit
    group: TeachingGroup
    other_group: TeachingGroup
    learner: Learner
    other_learner: Learner
    teacher: User
    other_teacher: User
    iv: User
    admin: User
    evidence: Evidence

    @property
    def assignment(self) -> Assignment:
        """An assignment of the learner's group on Unit 30."""
        assignment, _ = Assignment.objects.get_or_create(
            group=self.group,
            unit=self.unit30,
            title="Handout",
            defaults={
                "issued_on": self.year.starts_on,
                "deadline": self.year.ends_on,
                "created_by": self.teacher,
            },
        )
        return assignment

    @property
    def mock_series(self):
        """The centre's own Unit 6 mock series (no boundaries yet)."""
        from criteria.models import ExamSeries

        series, _ = ExamSeries.objects.get_or_create(
            unit=self.unit6, name="Mock 1", centre=self.centre, defaults={"kind": "mock"}
        )
        return series

    @property
    def export_job(self) -> ExportJob:
        """A queued (not yet built) whole-centre export."""
        job, _ = ExportJob.objects.get_or_create(centre=self.centre, requested_by=self.admin)
        return job

    @property
    def sample(self):
        """The IV's sample of the group's Unit 30 (the learner is in it)."""
        from tracker.models import Sample
        from tracker.verification.services import create_sample

        return Sample.objects.filter(verifier=self.iv).first() or create_sample(
            self.group, self.unit30, self.iv, "interim"
        )

    @property
    def sample_item(self):
        return self.sample.items.get(enrolment=self.enrolment)

    @property
    def action(self):
        """An open action for the teacher on a decision the IV disagreed with."""
        from tracker.assessment.services import decision_for, record_decision
        from tracker.models import Action

        existing = Action.objects.first()
        if existing:
            return existing
        decision = decision_for(self.enrolment, self.unit30.criteria.get(code="P1"))
        record_decision(decision, self.teacher, "achieved", "", decision.revision)
        return Action.objects.create(
            item=self.sample_item,
            decision=decision,
            assessor=self.teacher,
            what="Show where the definition is",
            due_on=self.year.ends_on,
        )

    @property
    def enrolment(self) -> Enrolment:
        """The learner's Unit 30 enrolment."""
        return self.learner.enrolments.get(unit=self.unit30)

    def user(self, role: str) -> User | None:
        if role == "anonymous":
            return None
        if role in ("learner", "other_learner"):
            return getattr(self, role).user
        return getattr(self, role)


def make_staff(centre: Centre, username: str, **roles) -> User:
    user = User.objects.create_user(
        username,
        email=f"{username}@centre.example.org",
        password="pw",
        first_name=username.title(),
        last_name="Staff",
        **roles,
    )
    StaffMembership.objects.create(user=user, centre=centre)
    return user


def make_learner(centre, group, number: str, first: str, last: str) -> Learner:
    account = User.objects.create_user(
        f"{first}.{last}".lower(),
        email=f"{first}.{last}@learners.example.org".lower(),
        password="pw",
        first_name=first,
        last_name=last,
    )
    learner = Learner.objects.create(
        centre=centre,
        candidate_number=number,
        first_name=first,
        last_name=last,
        email=account.email,
        group=group,
        user=account,
    )
    for unit in group.units.all():
        Enrolment.objects.create(learner=learner, unit=unit, academic_year=group.academic_year)
    return learner


@pytest.fixture
def cast(db) -> Cast:
    centre = Centre.objects.create(name="Test College", ocr_number="12345")
    year = AcademicYear.objects.create(
        centre=centre,
        name="2026/27",
        starts_on=date(2026, 9, 1),
        ends_on=date(2027, 7, 31),
        is_current=True,
    )
    unit6, unit30 = Unit.objects.get(number=6), Unit.objects.get(number=30)
    teacher = make_staff(centre, "teacher", is_teacher=True)
    other_teacher = make_staff(centre, "other_teacher", is_teacher=True)
    iv = make_staff(centre, "iv", is_internal_verifier=True)
    admin = make_staff(centre, "admin", is_centre_admin=True)
    group = TeachingGroup.objects.create(centre=centre, academic_year=year, name="13A")
    other_group = TeachingGroup.objects.create(centre=centre, academic_year=year, name="13B")
    for each in (group, other_group):
        each.units.add(unit6, unit30)
    group.teachers.add(teacher)
    other_group.teachers.add(other_teacher)
    group.internal_verifiers.add(iv)
    learner = make_learner(centre, group, "0001", "Lara", "Learner")
    evidence = submit_evidence(
        learner.enrolments.get(unit=unit30),
        learner.user,
        [Claim(unit30.criteria.get(code="P1"), "page 1")],
        upload=SimpleUploadedFile("handout.pdf", PDF),
        original_name="handout.pdf",
        content_type="application/pdf",
        sha256="0" * 64,
        declared=True,
    )
    return Cast(
        centre=centre,
        year=year,
        unit6=unit6,
        unit30=unit30,
        group=group,
        other_group=other_group,
        learner=learner,
        other_learner=make_learner(centre, other_group, "0002", "Omar", "Other"),
        teacher=teacher,
        other_teacher=other_teacher,
        iv=iv,
        admin=admin,
        evidence=evidence,
    )


@pytest.fixture
def client_for(cast):
    """Return a function giving a fresh test client signed in as the named role."""

    def sign_in(role: str) -> Client:
        client = Client()
        user = cast.user(role)
        if user is not None:
            client.force_login(user)
        return client

    return sign_in


@pytest.fixture(scope="session")
def oidc_provider():
    """Return `start(*redirect_uris)`: a real OpenID Connect provider on loopback for those
    redirect URIs (tests/oidc/loopback.py), started once per worker and stopped at the end."""
    problem = loopback.available()
    if problem:
        pytest.skip(problem)
    started: dict[tuple[str, ...], loopback.LoopbackProvider] = {}

    def start(*redirect_uris: str) -> loopback.LoopbackProvider:
        if redirect_uris not in started:
            started[redirect_uris] = loopback.LoopbackProvider(list(redirect_uris))
        return started[redirect_uris]

    yield start
    for provider in started.values():
        provider.stop()


def import_token(client: Client) -> str:
    """Return the token of the learners file this client previewed (what the preview page
    posts back when the import is confirmed); a well-formed unknown one when there is none."""
    return client.session.get("learner_import", {}).get("token", "0" * 32)
