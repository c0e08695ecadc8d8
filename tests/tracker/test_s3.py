"""Files in S3-compatible object storage: evidence, exports and pending imports in a bucket.

moto's standalone S3 server runs in this process on loopback, and django-storages talks to
it over HTTP as it would to AWS, MinIO or Ceph. The storage settings are the real ones,
read by tracker/settings.py from the STORAGE_S3_* variables.
"""

import hashlib
import io
import runpy
import secrets
import zipfile
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from moto.server import ThreadedMotoServer
from storages.backends.s3 import S3Storage

from tests.conftest import PDF, import_token
from tests.tracker.evidence.test_evidence import upload
from tests.tracker.people.test_importing import GOOD
from tests.tracker.people.test_importing import upload as upload_learners
from tests.tracker.reports.test_exports import workbook
from tracker import settings as project_settings
from tracker.models import Evidence, ExportJob, Learner

KEYS = {"STORAGE_S3_ACCESS_KEY_ID": "testing", "STORAGE_S3_SECRET_ACCESS_KEY": "testing"}
PREFIX = "tracker-files"


def storages_from_env(monkeypatch, **env) -> dict:
    """Run tracker/settings.py afresh with these STORAGE_S3_* variables; return STORAGES."""
    for name in (
        "STORAGE_S3_BUCKET",
        "STORAGE_S3_ENDPOINT_URL",
        "STORAGE_S3_REGION",
        "STORAGE_S3_ACCESS_KEY_ID",
        "STORAGE_S3_SECRET_ACCESS_KEY",
        "STORAGE_S3_PREFIX",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(project_settings.__file__)["STORAGES"]


class Bucket:
    """The test's bucket as seen from outside the app, with boto3."""

    def __init__(self, client, name: str):
        self.client, self.name = client, name

    def objects(self) -> set[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return {item["Key"] for item in listing.get("Contents", [])}

    def read(self, stored_name: str) -> bytes:
        answer = self.client.get_object(Bucket=self.name, Key=f"{PREFIX}/{stored_name}")
        return answer["Body"].read()


@pytest.fixture(scope="module")
def s3_endpoint():
    """An S3 server on a free loopback port, with no credentials from this machine."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
        server.stop()


@pytest.fixture(autouse=True)
def bucket(s3_endpoint, settings, monkeypatch):
    """A fresh bucket per test, and the default storage pointed at it as settings.py would."""
    name = f"evidence-{secrets.token_hex(4)}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-west-2")
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    configured = storages_from_env(
        monkeypatch,
        STORAGE_S3_BUCKET=name,
        STORAGE_S3_ENDPOINT_URL=s3_endpoint,
        STORAGE_S3_REGION="eu-west-2",
        STORAGE_S3_PREFIX=PREFIX,
        **KEYS,
    )
    # Changing STORAGES resets Django's cached default storage, which FileFields use.
    settings.STORAGES = {**settings.STORAGES, "default": configured["default"]}
    assert default_storage.bucket_name == name
    return Bucket(client, name)


def nothing_on_local_disk(settings) -> bool:
    return not any(path.is_file() for path in Path(settings.MEDIA_ROOT).rglob("*"))


def test_settings_read_the_s3_variables_into_a_private_s3_backend(monkeypatch):
    configured = storages_from_env(
        monkeypatch,
        STORAGE_S3_BUCKET="college-evidence",
        STORAGE_S3_ENDPOINT_URL="https://s3.example.org",
        STORAGE_S3_REGION="eu-west-2",
        STORAGE_S3_PREFIX="/tracker/",
        **KEYS,
    )["default"]
    assert configured["BACKEND"] == "storages.backends.s3.S3Storage"
    storage = S3Storage(**configured["OPTIONS"])
    assert (storage.bucket_name, storage.location) == ("college-evidence", "tracker")
    assert (storage.endpoint_url, storage.region_name) == ("https://s3.example.org", "eu-west-2")
    assert (storage.access_key, storage.secret_key) == ("testing", "testing")
    assert storage.default_acl is None and storage.querystring_auth
    assert storage.querystring_expire == 60 and not storage.file_overwrite


def test_without_a_bucket_files_stay_on_local_disk_and_keys_are_optional(monkeypatch):
    assert storages_from_env(monkeypatch)["default"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"
    }
    options = storages_from_env(monkeypatch, STORAGE_S3_BUCKET="evidence")["default"]["OPTIONS"]
    # No keys, endpoint or region: boto3's own credential chain and AWS itself.
    assert options["access_key"] is options["secret_key"] is options["endpoint_url"] is None
    assert options["region_name"] is None and options["location"] == ""


def test_uploaded_evidence_lands_in_the_bucket_with_its_hash(cast, client_for, bucket, settings):
    response = upload(client_for("learner"), cast, "booklet.pdf", PDF)
    assert response.status_code == 302
    evidence = Evidence.objects.get(original_name="booklet.pdf")
    assert f"{PREFIX}/{evidence.file.name}" in bucket.objects()
    stored = bucket.read(evidence.file.name)
    assert hashlib.sha256(stored).hexdigest() == evidence.sha256
    assert stored == PDF
    grants = bucket.client.get_object_acl(Bucket=bucket.name, Key=f"{PREFIX}/{evidence.file.name}")
    assert not [g for g in grants["Grants"] if "AllUsers" in str(g["Grantee"].get("URI", ""))]
    assert nothing_on_local_disk(settings)


def test_evidence_downloads_from_the_bucket_only_for_those_allowed(cast, client_for, bucket):
    upload(client_for("learner"), cast, "booklet.pdf", PDF)
    evidence = Evidence.objects.get(original_name="booklet.pdf")
    url = reverse("download", args=[evidence.pk])
    own = client_for("learner").get(url)
    assert own["Content-Disposition"].startswith('attachment; filename="booklet.pdf"')
    assert b"".join(own.streaming_content) == PDF
    assert client_for("other_learner").get(url).status_code == 404
    assert client_for("anonymous").get(url).status_code == 302  # to sign in
    teacher = client_for("teacher").get(url)
    assert teacher["Cache-Control"] == "private, no-store"
    assert b"".join(teacher.streaming_content) == PDF


def test_a_refused_upload_leaves_nothing_in_the_bucket(cast, client_for, bucket, settings):
    before = bucket.objects()
    assert f"{PREFIX}/{cast.evidence.file.name}" in before  # the cast's own evidence
    response = upload(client_for("learner"), cast, "setup.pdf", b"MZ\x90\x00 a program")
    assert response.status_code == 200 and "a program" in response.content.decode()
    assert bucket.objects() == before
    assert nothing_on_local_disk(settings)


def test_whole_centre_export_is_built_into_the_bucket_and_downloads(
    cast, client_for, bucket, django_capture_on_commit_callbacks
):
    from tracker.reports.tasks import build_centre_export

    client = client_for("admin")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("export_centre"))
    job = ExportJob.objects.get()
    build_centre_export.call(job.pk)  # what the background worker does with the job
    job.refresh_from_db()
    assert job.state == "done" and f"{PREFIX}/{job.file.name}" in bucket.objects()
    book = workbook(client.get(reverse("export_download", args=[job.pk])))
    assert book.sheetnames == ["Summary", "Unit 6", "Unit 30", "IV"]
    teacher = client_for("teacher").get(reverse("export_download", args=[job.pk]))
    assert teacher.status_code in (403, 404)


def test_a_learners_file_waits_in_the_bucket_between_preview_and_import(
    cast, client_for, bucket, settings
):
    client = client_for("admin")
    assert upload_learners(client, GOOD).context["plan"].ok
    waiting = {key for key in bucket.objects() if key.startswith(f"{PREFIX}/imports/")}
    assert len(waiting) == 1
    assert (
        client.post(reverse("centre:import_confirm"), {"token": import_token(client)}).status_code
        == 302
    )
    assert Learner.objects.filter(candidate_number="0101").exists()
    assert not any(key.startswith(f"{PREFIX}/imports/") for key in bucket.objects())
    assert nothing_on_local_disk(settings)


def test_the_moderation_zip_reads_evidence_from_the_bucket(cast, client_for, bucket):
    upload(client_for("learner"), cast, "booklet.pdf", PDF)
    response = client_for("admin").get(
        reverse("moderation_zip", args=[cast.group.pk, cast.unit30.pk])
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    evidence = [name for name in archive.namelist() if name.startswith("0001 Learner Lara/")]
    assert len(evidence) == 2 and all(archive.read(name) == PDF for name in evidence)
