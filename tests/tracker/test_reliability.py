"""Faults midway lose nothing and leave nothing half done.

A decision save that fails after its first write, an upload that fails after the file is
stored, an upload whose connection drops while it streams in, and a hostile-upload corpus
that must all be refused without a file or a record left behind.
"""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import reverse

from tests.conftest import PDF
from tracker.assessment import services as assessment
from tracker.evidence import services as evidence_services
from tracker.models import Decision, DecisionChange, Evidence, EvidenceLink, Status


def stored_files(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def upload_data(cast, name: str, content: bytes, codes=("P2",)) -> dict:
    return {
        "file": SimpleUploadedFile(name, content),
        "items": [f"c:{cast.unit30.criteria.get(code=code).pk}" for code in codes],
        "location": "page 1",
        "note": "",
        "declaration": "on",
    }


def snapshot(cast) -> tuple:
    """Every row an assessment or an upload writes, for before/after comparisons."""
    return (
        sorted(
            Decision.objects.filter(enrolment__learner__centre=cast.centre).values_list(
                "pk", "status", "feedback", "revision", "attempts", "assessor_id"
            )
        ),
        DecisionChange.objects.count(),
        Evidence.objects.count(),
        EvidenceLink.objects.count(),
    )


class Injected(Exception):
    """The fault these tests inject."""


def test_a_decision_save_failing_after_its_first_write_leaves_nothing(
    cast, client_for, monkeypatch
):
    decision = assessment.decision_for(cast.enrolment, cast.unit30.criteria.get(code="P1"))
    before = snapshot(cast)
    written = []
    original = Decision.save

    def fail_after_history_row(self, *args, **kwargs):
        # By now the history row (the first write) is in; the decision itself fails.
        written.append(DecisionChange.objects.filter(decision=self.pk).count())
        raise Injected("disk full")

    monkeypatch.setattr(Decision, "save", fail_after_history_row)
    teacher = client_for("teacher")
    data = {
        "item": f"c:{decision.criterion_id}",
        "revision": decision.revision,
        "status": "achieved",
        "feedback": "Clear definitions with examples.",
    }
    with pytest.raises(Injected):
        teacher.post(reverse("decide", args=[cast.learner.pk, cast.enrolment.pk]), data)
    assert written and written[0] > 0, "the fault must come after the first write"
    monkeypatch.setattr(Decision, "save", original)
    assert snapshot(cast) == before
    decision.refresh_from_db()
    assert decision.status == Status.SUBMITTED

    # Nothing is lost either: the same save goes through once the fault is gone.
    teacher.post(reverse("decide", args=[cast.learner.pk, cast.enrolment.pk]), data)
    decision.refresh_from_db()
    assert (decision.status, decision.feedback) == (
        Status.ACHIEVED,
        "Clear definitions with examples.",
    )


def test_an_upload_failing_after_the_file_is_stored_leaves_no_file_and_no_record(
    cast, client_for, settings, monkeypatch
):
    before, files = snapshot(cast), stored_files(settings)

    def fail(*args, **kwargs):
        raise Injected("database went away")

    monkeypatch.setattr(evidence_services, "decision_for", fail)
    with pytest.raises(Injected):
        client_for("learner").post(
            reverse("upload", args=[cast.enrolment.pk]), upload_data(cast, "essay.pdf", PDF)
        )
    assert snapshot(cast) == before
    assert stored_files(settings) == files


class DroppedConnection(io.RawIOBase):
    """A request body that stops partway, as when a phone loses signal mid-upload."""

    def __init__(self, body: bytes, cut_at: int):
        self.stream = io.BytesIO(body[:cut_at])

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.stream.read(len(buffer))
        if not chunk:
            raise OSError("connection reset by peer")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_an_upload_cut_off_while_streaming_leaves_no_file_no_record_no_temp_file(
    cast, client_for, settings, tmp_path
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir()
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # force the streamed-to-disk path
    before, files = snapshot(cast), stored_files(settings)
    learner = client_for("learner")
    learner.get(reverse("upload", args=[cast.enrolment.pk]))  # sets the CSRF cookie
    content = PDF + b"%" + b"x" * 2_000_000 + b"\n%%EOF\n"
    request = RequestFactory().post(
        reverse("upload", args=[cast.enrolment.pk]), upload_data(cast, "big.pdf", content)
    )
    environ = request.environ
    body = environ["wsgi.input"].read()
    environ["wsgi.input"] = io.BufferedReader(DroppedConnection(body, len(body) // 2))
    environ["HTTP_COOKIE"] = "; ".join(
        f"{name}={morsel.value}" for name, morsel in learner.cookies.items()
    )
    statuses = []
    # As Django's test client does: keep the test's database connection open across the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        WSGIHandler()(environ, lambda status, headers, *rest: statuses.append(status))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert statuses and not statuses[0].startswith(("2", "3"))
    assert snapshot(cast) == before
    assert stored_files(settings) == files
    assert list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()) == []


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
HOSTILE = [
    # (file name as sent, content, what the learner is told)
    ("essay.docx", ELF, "This file is a program"),
    ("photo.jpg", PE, "This file is a program"),
    ("notes.pdf", b"#!/bin/sh\nrm -rf /\n", "This file is a program"),
    ("essay.pdf", b"<!DOCTYPE html><html><body>hi</body></html>", "not a real .pdf file"),
    ("page.html", b"<html><script>alert(1)</script></html>", ".html files are not accepted"),
    ("page.htm", b"<html></html>", ".htm files are not accepted"),
    (
        "chart.svg",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        ".svg files are not accepted",
    ),
    (
        "chart.png",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        "not a real .png file",
    ),
    (
        "polyglot.pdf",
        b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF",
        "web page or script content",
    ),
    (
        "polyglot.png",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 16 + b"<iframe src=x>",
        "web page or script content",
    ),
    ("diary.txt", b"<script>fetch('/')</script>", "not a real .txt file"),
    ("diary.txt", b"\x00\x01\x02binary", "not a real .txt file"),
    ("bundle.zip", zipped({"a.txt": b"a"}), ".zip files are not accepted"),
    (
        "slides.pptx",
        zipped({"[Content_Types].xml": b"<Types/>", "../../evil.sh": b"#!"}),
        "not a real .pptx file",
    ),
    ("setup.exe", PE, ".exe files are not accepted"),
    ("install.msi", PE, ".msi files are not accepted"),
    ("run.ps1", b"Write-Host hi", ".ps1 files are not accepted"),
    ("macro.js", b"alert(1)", ".js files are not accepted"),
    ("../../../tracker/settings.py", b"DEBUG = True", ".py is not an allowed type"),
    ("..\\..\\windows\\system32\\evil.bat", b"@echo off", ".bat files are not accepted"),
    # A right-to-left override hides the real extension: "report‮fdp.exe" shows as report.pdf.
    ("report\u202efdp.exe", PE, ".exe files are not accepted"),
    ("r\u00e9sum\u00e9.pdf.exe", PE, ".exe files are not accepted"),
    ("\u30ec\u30dd\u30fc\u30c8.pdf", b"MZ\x90\x00", "This file is a program"),
    ("empty.pdf", b"", "The submitted file is empty"),
    ("no-extension", PDF, "files without an extension is not an allowed type"),
]


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_the_hostile_upload_corpus_is_refused_and_nothing_is_stored(
    cast, client_for, settings, name, content, message
):
    before, files = snapshot(cast), stored_files(settings)
    response = client_for("learner").post(
        reverse("upload", args=[cast.enrolment.pk]), upload_data(cast, name, content)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot(cast) == before
    assert stored_files(settings) == files


def test_an_oversize_upload_is_refused_while_streaming_and_nothing_is_stored(
    cast, client_for, settings
):
    settings.EVIDENCE_MAX_BYTES = 64 * 1024
    before, files = snapshot(cast), stored_files(settings)
    response = client_for("learner").post(
        reverse("upload", args=[cast.enrolment.pk]),
        upload_data(cast, "huge.pdf", PDF + b"0" * (256 * 1024)),
    )
    assert response.status_code == 200
    assert "huge.pdf is larger than" in response.content.decode()
    assert snapshot(cast) == before
    assert stored_files(settings) == files


def test_a_hostile_name_on_a_real_document_never_reaches_the_storage_path(
    cast, client_for, settings
):
    """Names are kept only as display text; files are stored under random names."""
    files = stored_files(settings)
    response = client_for("learner").post(
        reverse("upload", args=[cast.enrolment.pk]),
        upload_data(cast, "../../\u202e<b>caf\u00e9</b>.pdf", PDF),
    )
    assert response.status_code == 302
    evidence = Evidence.objects.latest("pk")
    (new,) = stored_files(settings) - files
    assert new == evidence.file.name
    assert ".." not in new and "caf" not in new and "<" not in new
    assert "/" not in evidence.original_name and "\u202e" not in evidence.original_name


def test_sqlite_takes_the_write_lock_up_front_and_waits_for_it(monkeypatch):
    """Concurrent saves on SQLite queue instead of failing with "database is locked"
    (benchmarks/concurrency.py shows it under gunicorn); PostgreSQL is left as it is."""
    from tests.tracker.test_security import settings_from_env

    sqlite = settings_from_env(monkeypatch, DATABASE_URL="sqlite:////tmp/tracker-test.sqlite3")
    options = sqlite["DATABASES"]["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] == 20
    assert "PRAGMA journal_mode=WAL;" in options["init_command"]
    assert "PRAGMA busy_timeout=20000;" in options["init_command"]
    postgres = settings_from_env(monkeypatch, DATABASE_URL="postgres://u:p@127.0.0.1:5432/db")
    assert "transaction_mode" not in postgres["DATABASES"]["default"].get("OPTIONS", {})
