"""Backup and restore: a whole centre out to a folder and back into an empty instance.

The empty instance is this test's own database, flushed (as migrate leaves a new one: content
types and permissions only, here with other ids) and, like `make run`, with the catalogue
loaded again or not. The test's transaction is rolled back afterwards, so the session's
catalogue is back for the tests that follow.
"""

import hashlib
import json
import re
from io import StringIO
from pathlib import Path

import boto3
import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.management import create_contenttypes
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from moto import mock_aws

from criteria.models import Unit
from tests.conftest import PDF
from tests.tracker.reports.test_dashboards import per_learner_figures
from tests.tracker.reports.test_summaries import figures_of
from tracker.evidence.services import Claim, submit_evidence
from tracker.models import (
    Centre,
    EnrolmentSummary,
    Evidence,
    ExportJob,
    GroupSummary,
    Learner,
    SummaryMarker,
    User,
)
from tracker.verification.services import create_sample

pytestmark = pytest.mark.slow  # backup/restore and seed_scale: real work, seconds each

LEFT_OUT = {"sessions", "axes", "django_tasks_db", "contenttypes"}
WORKBOOK = b"PK\x03\x04" + bytes(range(256)) * 8


@pytest.fixture(autouse=True)
def _fresh_content_type_cache():
    """Forget content type ids cached while the database was emptied and refilled."""
    yield
    ContentType.objects.clear_cache()


# The centre dashboard's summaries: worked out again from the rows, never backed up.
DERIVED = (EnrolmentSummary, GroupSummary, SummaryMarker)


def every_record() -> dict:
    """Return every row a backup keeps, by model and id; references by natural key."""
    records = {}
    for model in apps.get_models():
        if model._meta.app_label in LEFT_OUT or model in (Permission, *DERIVED):
            continue
        rows = model._base_manager.order_by("pk")
        for row in serializers.serialize("python", rows, use_natural_foreign_keys=True):
            records[row["model"], row["pk"]] = row["fields"]
    return records


def stored_files() -> dict[str, str]:
    """Return the SHA-256 of every stored file, read back through the default storage."""
    names = [
        *Evidence.objects.exclude(file="").values_list("file", flat=True),
        *ExportJob.objects.exclude(file="").values_list("file", flat=True),
    ]
    found = {}
    for name in names:
        with default_storage.open(name, "rb") as handle:
            found[name] = hashlib.sha256(handle.read()).hexdigest()
    return found


def files_under(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def empty_instance(*, catalogue: bool) -> None:
    """Empty the database as a freshly migrated instance is, with the catalogue or not."""
    connection.check_constraints()  # PostgreSQL will not truncate with checks pending
    call_command("flush", interactive=False, verbosity=0)
    # Another instance numbers its content types and permissions its own way.
    ContentType.objects.filter(app_label="tracker", model="centre").delete()
    create_contenttypes(apps.get_app_config("tracker"), verbosity=0)
    create_permissions(apps.get_app_config("tracker"), verbosity=0)
    if catalogue:
        call_command("load_specs", verbosity=0, stdout=StringIO())


def backup(folder: Path) -> str:
    out = StringIO()
    call_command("backup", folder, stdout=out)
    return out.getvalue()


def restore(folder: Path) -> str:
    out = StringIO()
    call_command("restore", folder, stdout=out)
    return out.getvalue()


def add_export_job(centre: Centre, admin: User) -> ExportJob:
    job = ExportJob.objects.create(
        centre=centre,
        requested_by=admin,
        state=ExportJob.State.DONE,
        progress=100,
        finished_at=timezone.now(),
    )
    job.file.save("centre.xlsx", ContentFile(WORKBOOK))
    return job


@pytest.fixture
def centre(db) -> Centre:
    """The demo centre, plus what the demo leaves out: a replaced upload, an IV sample, an
    export with its workbook, an admin log entry, a group and permissions."""
    call_command("seed_demo", stdout=StringIO())
    centre = Centre.objects.get()
    admin = User.objects.get(username="admin")
    first = Evidence.objects.filter(file__startswith="evidence/").first()
    submit_evidence(
        first.enrolment,
        first.uploaded_by,
        [Claim(first.links.get().criterion, "pages 3-5")],
        upload=SimpleUploadedFile("second go.pdf", PDF),
        original_name="second go.pdf",
        content_type="application/pdf",
        sha256=hashlib.sha256(PDF).hexdigest(),
        declared=True,
        replaces=first,
    )
    verifier = User.objects.get(username="m.hughes")
    create_sample(centre.groups.first(), Unit.objects.get(number=30), verifier, "interim")
    add_export_job(centre, admin)
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(Centre),
        object_id=str(centre.pk),
        object_repr=str(centre),
        action_flag=CHANGE,
        change_message="Changed aspiration step.",
    )
    exams_office = Group.objects.create(name="Exams office")
    exams_office.permissions.add(Permission.objects.get(codename="view_centre"))
    admin.groups.add(exams_office)
    admin.user_permissions.add(Permission.objects.get(codename="change_centre"))
    return centre


@pytest.mark.parametrize("catalogue", [True, False], ids=["after-load-specs", "fully-empty"])
def test_restore_into_an_empty_instance_brings_back_every_record_and_file(
    centre, catalogue, settings, tmp_path
):
    records, files = every_record(), stored_files()
    kept = {model for model, _ in records}
    assert {"tracker.evidence", "tracker.sampleitem", "tracker.exportjob"} <= kept
    assert {"criteria.criterion", "admin.logentry", "auth.group"} <= kept
    assert Evidence.objects.filter(replaces__isnull=False).exists()
    assert len(files) > 100
    summary = backup(tmp_path / "backup")
    assert f"{len(files):,} files" in summary

    empty_instance(catalogue=catalogue)
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    assert not User.objects.exists() and Unit.objects.exists() == catalogue
    report = restore(tmp_path / "backup")

    assert every_record() == records
    assert stored_files() == files
    # The centre dashboard counts the restored rows, as every learner's progress adds up.
    restored = Centre.objects.get(pk=centre.pk)
    assert figures_of(restored) == per_learner_figures(restored)
    assert files_under(tmp_path / "restored-media") == set(files)
    learners = Learner.objects.count()
    assert f"  tracker.learner: {learners}\n" in report
    assert f"{len(files):,} files" in report
    # New rows take ids after the restored ones (PostgreSQL's sequences were moved on).
    newest = {model: model.objects.aggregate(Max("pk"))["pk__max"] for model in (Centre, User)}
    assert Centre.objects.create(name="New", ocr_number="54321").pk > newest[Centre]
    assert User.objects.create_user("new.teacher").pk > newest[User]


def test_backup_lists_every_table_and_file_with_its_checksum(cast, tmp_path):
    job = add_export_job(cast.centre, cast.admin)
    folder = tmp_path / "backup"
    folder.mkdir()  # an existing empty folder is fine

    backup(folder)

    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["format"], manifest["version"]) == ("coursework-tracker-backup", 1)
    assert manifest["created_at"].startswith(str(timezone.now().year))
    latest = max(
        path.stem for path in (Path(__file__).parents[3] / "tracker" / "migrations").glob("0*.py")
    )
    assert manifest["migrations"]["tracker"] == latest
    assert set(manifest["migrations"]) >= {"tracker", "criteria", "auth", "contenttypes"}
    tables = {entry["model"]: entry for entry in manifest["data"]}
    assert tables["tracker.learner"]["rows"] == 2
    assert tables["criteria.criterion"]["rows"] == cast.unit30.criteria.count()
    assert "auth.permission" not in tables and "sessions.session" not in tables
    for entry in manifest["data"]:
        written = (folder / entry["path"]).read_bytes()
        assert hashlib.sha256(written).hexdigest() == entry["sha256"]
        assert len(written.splitlines()) == entry["rows"]
    index = (folder / "files.jsonl").read_bytes()
    assert hashlib.sha256(index).hexdigest() == manifest["files"]["sha256"]
    listed = [json.loads(line) for line in index.splitlines()]
    assert sorted(listed, key=lambda entry: entry["name"]) == [
        {"name": cast.evidence.file.name, "size": len(PDF), "sha256": sha(PDF)},
        {"name": job.file.name, "size": len(WORKBOOK), "sha256": sha(WORKBOOK)},
    ]
    assert (folder / "files" / job.file.name).read_bytes() == WORKBOOK
    assert (manifest["files"]["count"], manifest["files"]["bytes"]) == (2, len(PDF + WORKBOOK))


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("damage", ["changed file", "changed rows", "missing file"])
def test_restore_refuses_a_damaged_backup_and_changes_nothing(cast, damage, settings, tmp_path):
    folder = tmp_path / "backup"
    backup(folder)
    evidence = folder / "files" / cast.evidence.file.name
    learners = folder / "data" / "tracker.learner.jsonl"
    if damage == "changed file":
        evidence.write_bytes(PDF.replace(b"Catalog", b"Catalug"))
        named = f"files/{cast.evidence.file.name} does not match its SHA-256"
    elif damage == "changed rows":
        learners.write_text(learners.read_text().replace("Lara", "Lana"))
        named = "data/tracker.learner.jsonl does not match its SHA-256"
    else:
        evidence.unlink()
        named = f"files/{cast.evidence.file.name} is missing from the backup"
    empty_instance(catalogue=True)
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    before = every_record()

    with pytest.raises(CommandError, match=re.escape(named)):
        restore(folder)

    assert every_record() == before
    assert not User.objects.exists()
    assert not (tmp_path / "restored-media").exists()


def test_a_restore_that_fails_part_way_keeps_nothing(cast, settings, tmp_path):
    job = add_export_job(cast.centre, cast.admin)
    folder = tmp_path / "backup"
    backup(folder)
    listed = [
        json.loads(line)["name"] for line in (folder / "files.jsonl").read_text().splitlines()
    ]
    assert listed == [job.file.name, cast.evidence.file.name]  # the workbook goes back first
    empty_instance(catalogue=True)
    settings.MEDIA_ROOT = media = tmp_path / "restored-media"
    clash = media / cast.evidence.file.name
    clash.parent.mkdir(parents=True)
    clash.write_bytes(b"another file")

    with pytest.raises(CommandError, match=f"already holds a different {cast.evidence.file.name}"):
        restore(folder)

    assert not User.objects.exists() and not ExportJob.objects.exists()
    assert files_under(media) == {cast.evidence.file.name}
    assert clash.read_bytes() == b"another file"


def test_restore_refuses_a_database_that_already_holds_data(cast, tmp_path):
    backup(tmp_path / "backup")
    before = every_record()

    with pytest.raises(CommandError, match=r"already holds data \(tracker\.User, .*Centre"):
        restore(tmp_path / "backup")

    assert every_record() == before


def test_restore_refuses_a_database_migrated_to_another_state(cast, tmp_path):
    folder = tmp_path / "backup"
    backup(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["migrations"]["tracker"] = "0099_from_the_future"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    empty_instance(catalogue=False)

    with pytest.raises(CommandError, match="tracker: the backup is at 0099_from_the_future"):
        restore(folder)

    assert not User.objects.exists() and not Unit.objects.exists()


def test_backup_refuses_a_folder_that_is_not_empty(cast, tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")

    with pytest.raises(CommandError, match="already exists and is not empty"):
        backup(folder)

    assert files_under(folder) == {"notes.txt"}
    assert (folder / "notes.txt").read_text() == "keep me"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backup", "media"]


def test_a_failed_backup_leaves_no_half_backup(cast, settings, tmp_path):
    (Path(settings.MEDIA_ROOT) / cast.evidence.file.name).unlink()

    with pytest.raises(CommandError, match=re.escape(f"Cannot copy {cast.evidence.file.name}")):
        backup(tmp_path / "backup")

    assert sorted(path.name for path in tmp_path.iterdir()) == ["media"]


@pytest.fixture
def bucket(settings, monkeypatch):
    """Keep stored files in an S3 bucket (moto, in process) under the folder "centre"."""
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-2")
        client.create_bucket(
            Bucket="centre-files", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        settings.STORAGES = {**settings.STORAGES, "default": s3_storage("centre")}
        yield client


def s3_storage(folder: str) -> dict:
    options = {"bucket_name": "centre-files", "region_name": "eu-west-2", "location": folder}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**options, "file_overwrite": False},
    }


def test_backup_and_restore_go_through_s3_storage(bucket, cast, settings, tmp_path):
    add_export_job(cast.centre, cast.admin)
    files = stored_files()
    assert not files_under(Path(settings.MEDIA_ROOT))
    backup(tmp_path / "backup")
    empty_instance(catalogue=True)
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage("restored")}

    restore(tmp_path / "backup")

    assert stored_files() == files
    listing = bucket.list_objects_v2(Bucket="centre-files", Prefix="restored/")
    assert {item["Key"] for item in listing["Contents"]} == {f"restored/{n}" for n in files}
    assert not files_under(Path(settings.MEDIA_ROOT))
