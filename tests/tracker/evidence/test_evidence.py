"""Uploading evidence: allowed types, content checks, versions, withdrawal, downloads."""

import html
import io
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import PDF
from tracker.assessment.services import AssessmentError, decision_for, record_decision
from tracker.evidence.services import Claim, submit_evidence, withdraw_evidence
from tracker.models import Decision, Evidence, Status


def criterion_key(cast, code: str) -> str:
    return f"c:{cast.unit30.criteria.get(code=code).pk}"


def upload(client, cast, name: str, content: bytes, codes=("P2",), declared=True):
    data = {
        "file": SimpleUploadedFile(name, content),
        "items": [criterion_key(cast, code) for code in codes],
        "location": "pages 1-2",
        "note": "my booklet",
    }
    if declared:
        data["declaration"] = "on"
    return client.post(reverse("upload", args=[cast.enrolment.pk]), data)


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_learner_uploads_a_pdf_against_two_criteria(cast, client_for):
    client = client_for("learner")
    response = upload(client, cast, "booklet.pdf", PDF, codes=("P2", "M1"))
    assert response.status_code == 302
    evidence = Evidence.objects.get(original_name="booklet.pdf")
    assert not evidence.file.name.endswith("booklet.pdf")
    assert "booklet" not in evidence.file.name
    assert len(evidence.sha256) == 64 and evidence.declared_at
    statuses = dict(
        Decision.objects.filter(enrolment=cast.enrolment).values_list("criterion__code", "status")
    )
    assert statuses["P2"] == statuses["M1"] == Status.SUBMITTED
    page = client.get(reverse("learner_unit", args=[cast.enrolment.pk])).content.decode()
    assert "● Submitted" in page and "booklet.pdf" in page


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "drawing.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            ".svg files are not accepted",
        ),
        ("page.html", b"<html></html>", ".html files are not accepted"),
        ("essay.pdf", b"MZ\x90\x00rest-of-a-program", "This file is a program"),
        ("essay.pdf", b"just some text", "not a real .pdf file (was it renamed?)"),
        ("notes.txt", b"<script>alert(1)</script>", "not a real .txt file"),
        ("photo.jpg", b"\xff\xd8\xff\xe0<html><script>x</script>", "web page or script content"),
        ("essay.docx", b"PK\x03\x04not-really-a-zip", "not a real .docx file"),
        ("archive.zip", b"PK\x03\x04", ".zip files are not accepted"),
        ("report.pages", b"whatever", ".pages is not an allowed type"),
        ("empty.pdf", b"", "The submitted file is empty"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(cast, client_for, name, content, message):
    response = upload(client_for("learner"), cast, name, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Evidence.objects.filter(original_name=name).exists()


def test_a_real_docx_is_accepted(cast, client_for):
    assert upload(client_for("learner"), cast, "essay.docx", docx_bytes()).status_code == 302


def test_a_zip_bomb_is_refused(cast, client_for):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"0" * 20_000_000)
    response = upload(client_for("learner"), cast, "bomb.docx", buffer.getvalue())
    assert "zip bomb" in response.content.decode()


def test_the_size_limit_is_enforced_while_streaming(cast, client_for, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    response = upload(client_for("learner"), cast, "big.pdf", PDF + b"0" * 5000)
    assert "larger than the 1000 bytes limit" in response.content.decode()


def test_the_declaration_is_required(cast, client_for):
    response = upload(client_for("learner"), cast, "booklet.pdf", PDF, declared=False)
    assert "Confirm that this is your own work" in response.content.decode()


def test_a_new_version_keeps_the_earlier_one(cast, client_for):
    client = client_for("learner")
    url = reverse("upload", args=[cast.enrolment.pk]) + f"?replaces={cast.evidence.pk}"
    client.post(
        url,
        {
            "file": SimpleUploadedFile("handout-v2.pdf", PDF),
            "items": [criterion_key(cast, "P1")],
            "declaration": "on",
        },
    )
    newer = Evidence.objects.get(original_name="handout-v2.pdf")
    assert newer.version == 2 and newer.replaces == cast.evidence
    assert Evidence.objects.filter(pk=cast.evidence.pk).exists()


def test_unassessed_evidence_can_be_withdrawn_and_stays_in_the_record(cast, client_for):
    client_for("learner").post(reverse("withdraw", args=[cast.evidence.pk]))
    evidence = Evidence.objects.get(pk=cast.evidence.pk)
    assert evidence.withdrawn_at is not None
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    assert decision.status == Status.NOT_STARTED
    assert decision.changes.first().note == "evidence withdrawn"


def test_assessed_evidence_cannot_be_withdrawn(cast, client_for):
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    client_for("teacher").post(
        reverse("decide", args=[cast.learner.pk, cast.enrolment.pk]),
        {
            "item": criterion_key(cast, "P1"),
            "revision": decision.revision,
            "status": "achieved",
            "evidence": [cast.evidence.pk],
        },
    )
    response = client_for("learner").post(reverse("withdraw", args=[cast.evidence.pk]), follow=True)
    assert "cannot be withdrawn: your teacher has assessed P1 on it" in response.content.decode()
    assert Evidence.objects.get(pk=cast.evidence.pk).withdrawn_at is None


@pytest.mark.parametrize("status", ["achieved", "not_yet"])
@pytest.mark.parametrize("route", ["grid", "service"])
def test_evidence_behind_a_decision_from_the_grid_or_a_data_sheet_cannot_be_withdrawn(
    cast, client_for, status, route
):
    """The grid and data sheets post no evidence list: the decision still rests on the
    learner's current evidence for the criterion, and that evidence stays."""
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    if route == "grid":
        client_for("teacher").post(
            reverse("decide", args=[cast.learner.pk, cast.enrolment.pk]),
            {
                "item": criterion_key(cast, "P1"),
                "revision": decision.revision,
                "status": status,
                "from": "grid",
            },
            HTTP_HX_REQUEST="true",
        )
    else:  # as a data-sheet import records it
        record_decision(decision, cast.teacher, status, "", decision.revision)
    decision.refresh_from_db()
    assert decision.status == status
    assert list(decision.evidence.all()) == [cast.evidence]
    with pytest.raises(AssessmentError, match="assessed P1"):
        withdraw_evidence(Evidence.objects.get(pk=cast.evidence.pk), cast.learner.user)
    assert Evidence.objects.get(pk=cast.evidence.pk).withdrawn_at is None


def test_evidence_handed_in_after_the_last_decision_can_still_be_withdrawn(cast):
    p2 = cast.unit30.criteria.get(code="P2")
    decision = decision_for(cast.enrolment, p2)
    record_decision(decision, cast.teacher, "not_yet", "Nothing handed in yet.", 0)
    later = submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(p2)],
        upload=SimpleUploadedFile("p2.pdf", PDF),
        original_name="p2.pdf",
        declared=True,
    )
    withdraw_evidence(later, cast.learner.user)
    decision.refresh_from_db()
    assert later.withdrawn_at is not None
    # Back to where it was before the hand-in, feedback and all.
    assert (decision.status, decision.feedback) == ("not_yet", "Nothing handed in yet.")


@pytest.mark.parametrize("assessed_with", ["linked", "earlier"])
def test_withdrawing_a_resubmission_returns_to_not_yet_when_the_rest_was_assessed(
    cast, assessed_with
):
    """Work marked "not yet", handed in again, then withdrawn: the earlier work was
    assessed already (linked to the decision, or handed in before it), so nothing is left
    waiting and the criterion is back to "not yet" and out of the marking queue."""
    p3 = cast.unit30.criteria.get(code="P3")

    def hand_in(name: str) -> Evidence:
        return submit_evidence(
            cast.enrolment,
            cast.learner.user,
            [Claim(p3)],
            upload=SimpleUploadedFile(name, PDF),
            original_name=name,
            declared=True,
        )

    first = hand_in("first.pdf")
    decision = decision_for(cast.enrolment, p3)
    ids = [first.pk] if assessed_with == "linked" else None
    record_decision(
        decision, cast.teacher, "not_yet", "Add a second example.", decision.revision, ids
    )
    second = hand_in("second.pdf")
    decision.refresh_from_db()
    assert decision.status == Status.SUBMITTED
    withdraw_evidence(second, cast.learner.user)
    decision.refresh_from_db()
    assert (decision.status, decision.feedback) == ("not_yet", "Add a second example.")
    assert not Decision.objects.filter(
        enrolment=cast.enrolment, status=Status.SUBMITTED, criterion=p3
    ).exists()


def test_download_is_an_attachment_with_a_safe_type(cast, client_for):
    response = client_for("teacher").get(reverse("download", args=[cast.evidence.pk]))
    assert response["Content-Disposition"].startswith('attachment; filename="handout.pdf"')
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_a_pdf_preview_is_inline_and_still_runs_nothing(cast, client_for):
    """Chrome's PDF viewer refuses sandboxed documents; scripts stay blocked all the same."""
    teacher = client_for("teacher")
    preview = teacher.get(reverse("download", args=[cast.evidence.pk]), {"preview": "1"})
    assert preview["Content-Disposition"].startswith("inline")
    assert preview["Content-Security-Policy"] == "default-src 'none'"
    download = teacher.get(reverse("download", args=[cast.evidence.pk]))
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_learner_cannot_download_another_learners_evidence(cast, client_for):
    response = client_for("other_learner").get(reverse("download", args=[cast.evidence.pk]))
    assert response.status_code == 404


def test_evidence_is_not_served_from_a_public_media_url(cast, client):
    assert client.get("/media/" + cast.evidence.file.name).status_code == 404
    assert client.get("/media-not-served/" + cast.evidence.file.name).status_code == 404


def test_the_same_file_from_two_learners_is_flagged(cast, client_for):
    other = cast.other_learner
    other.group = cast.group
    other.save()
    enrolment = other.enrolments.get(unit=cast.unit30)
    client = client_for("other_learner")
    client.post(
        reverse("upload", args=[enrolment.pk]),
        {
            "file": SimpleUploadedFile("copy.pdf", PDF),
            "items": [criterion_key(cast, "P1")],
            "declaration": "on",
        },
    )
    Evidence.objects.filter(pk=cast.evidence.pk).update(
        sha256=Evidence.objects.get(original_name="copy.pdf").sha256
    )
    page = client_for("teacher").get(reverse("mark", args=[other.pk, enrolment.pk]))
    assert "Same file as submitted by Lara Learner" in page.content.decode()


def test_teacher_adds_a_witness_testimony(cast, client_for):
    response = client_for("teacher").post(
        reverse("staff_evidence", args=[cast.learner.pk, cast.enrolment.pk]),
        {
            "kind": "witness",
            "statement": "Lara led the group discussion on barriers.",
            "items": [criterion_key(cast, "P10")],
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(kind="witness")
    assert evidence.uploaded_by == cast.teacher
    assert Decision.objects.get(criterion__code="P10", enrolment=cast.enrolment).status == (
        Status.SUBMITTED
    )


def _same_file_as_the_cast(learner, unit, name: str) -> Evidence:
    evidence = submit_evidence(
        learner.enrolments.get(unit=unit),
        learner.user,
        [Claim(unit.criteria.get(code="P1"))],
        upload=SimpleUploadedFile(name, PDF),
        original_name=name,
        sha256="0" * 64,  # the cast's evidence
        declared=True,
    )
    return evidence


def test_the_same_file_warning_names_only_learners_the_viewer_may_see(cast, client_for):
    """Another centre on the instance is never looked at; a learner of the same centre whom
    the teacher does not teach is counted, not named."""
    from tests.conftest import make_learner
    from tracker.models import AcademicYear, Centre, TeachingGroup

    elsewhere = Centre.objects.create(name="Other College", ocr_number="54321")
    year = AcademicYear.objects.create(
        centre=elsewhere, name="2026/27", starts_on=cast.year.starts_on, ends_on=cast.year.ends_on
    )
    group = TeachingGroup.objects.create(centre=elsewhere, academic_year=year, name="13X")
    group.units.add(cast.unit30)
    stranger = make_learner(elsewhere, group, "0009", "Sam", "Stranger")
    _same_file_as_the_cast(stranger, cast.unit30, "stranger.pdf")
    _same_file_as_the_cast(cast.other_learner, cast.unit30, "neighbour.pdf")

    page = client_for("teacher").get(reverse("mark", args=[cast.learner.pk, cast.enrolment.pk]))
    html = page.content.decode()
    assert "Stranger" not in html and "stranger.pdf" not in html
    assert cast.other_learner.last_name not in html and "neighbour.pdf" not in html
    assert "Same file as submitted by 1 other learner in your centre" in html

    admin = client_for("admin").get(reverse("mark", args=[cast.learner.pk, cast.enrolment.pk]))
    html = admin.content.decode()
    assert f"Same file as submitted by {cast.other_learner.full_name}" in html
    assert "Stranger" not in html


def _files_under(root) -> set:
    return (
        {path for path in Path(root).rglob("*") if path.is_file()} if Path(root).exists() else set()
    )


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ODT, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def _patched(data: bytes, name: bytes, offsets: tuple[int, int], value: int) -> bytes:
    """Set a 2-byte field of one member's local and central headers (at the given offsets)."""
    patched = bytearray(data)
    for signature, offset, name_at in (
        (b"PK\x03\x04", offsets[0], 30),
        (b"PK\x01\x02", offsets[1], 46),
    ):
        at = patched.find(signature)
        while at >= 0:
            if patched[at + name_at : at + name_at + len(name)] == name:
                struct.pack_into("<H", patched, at + offset, value)
            at = patched.find(signature, at + 4)
    return bytes(patched)


def _escaping_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/../../../evil.xml", "<w:document/>")
    return buffer.getvalue()


ODT = "application/vnd.oasis.opendocument.text"
CRASHERS = {
    "corrupt.odt": (lambda: _odt()[:200], "damaged or incomplete"),
    "encrypted.odt": (
        lambda: _patched(_odt(), b"content.xml", (6, 8), 0x1),
        "password-protected",
    ),
    "unknown-method.odt": (
        lambda: _patched(_odt(), b"content.xml", (8, 10), 99),
        "compressed in a way office documents are not",
    ),
    "tiny.mp3": (lambda: b"\xff", "not a real .mp3 file"),
    "truncated.docx": (lambda: docx_bytes()[:-30], "damaged or incomplete"),
    "escaping.docx": (_escaping_docx, "leads outside the document"),
}


@pytest.mark.parametrize("name", sorted(CRASHERS))
def test_files_that_would_crash_the_checker_are_clear_refusals(cast, client_for, settings, name):
    build, message = CRASHERS[name]
    before = _files_under(settings.MEDIA_ROOT)
    response = upload(client_for("learner"), cast, name, build())
    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert not Evidence.objects.filter(original_name=name).exists()
    assert _files_under(settings.MEDIA_ROOT) == before


def test_a_pdf_with_javascript_is_refused_through_the_upload_page(cast, client_for):
    pdf = PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/J#61vaScript/JS(x)>>")
    response = upload(client_for("learner"), cast, "form.pdf", pdf)
    assert response.status_code == 200
    assert "This PDF contains scripts or actions" in html.unescape(response.content.decode())
    assert not Evidence.objects.filter(original_name="form.pdf").exists()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(70_000)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "csp"),
    [
        (
            "photo.png",
            PNG + b"<html><script>alert(1)</script>",
            "image/png",
            "default-src 'none'; sandbox",
        ),
        (
            "essay.pdf",
            PDF + bytes(70_000) + b"<html><script>alert(1)</script>",
            "application/pdf",
            "default-src 'none'",
        ),
    ],
)
def test_a_polyglot_with_markup_later_on_is_only_ever_served_as_its_type(
    cast, client_for, name, content, content_type, csp
):
    """Markup past the first bytes of an image or PDF is not looked for (image data would
    match it by chance); the file is served as its allow-listed type, never sniffed, with
    nothing allowed to run or load, and only ever inline as a preview."""
    learner = client_for("learner")
    assert upload(learner, cast, name, content).status_code == 302
    evidence = Evidence.objects.get(original_name=name)
    evidence.content_type = "text/html"  # whatever was stored, the allow-list decides
    evidence.save(update_fields=["content_type"])
    url = reverse("download", args=[evidence.pk])
    preview = learner.get(url, {"preview": "1"})
    assert preview["Content-Type"] == content_type
    assert preview["X-Content-Type-Options"] == "nosniff"
    assert preview["Content-Disposition"].startswith("inline")
    assert preview["Content-Security-Policy"] == csp
    download = learner.get(url)
    assert download["Content-Type"] == content_type
    assert download["Content-Disposition"].startswith(f'attachment; filename="{name}"')
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_markup_far_into_a_text_file_is_refused(cast, client_for):
    text = b"My review of the site's accessibility.\n" * 300 + b"<iframe src=//evil>"
    response = upload(client_for("learner"), cast, "review.txt", text)
    assert response.status_code == 200
    assert "web page or script content" in response.content.decode()
