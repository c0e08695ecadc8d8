"""The upload checker: zip bombs that lie, markup past the first bytes, active PDFs, and files
that would crash a parser, each refused with a clear message (every file built here in memory)."""

import contextlib
import io
import struct
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.lib import uploads
from tracker.lib.uploads import CHUNK, UploadRefused, check_upload

ODT = "application/vnd.oasis.opendocument.text"
MANIFEST = (
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>'
)


def office_zip(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            compress = zipfile.ZIP_STORED if name == "mimetype" else method
            archive.writestr(name, content, compress_type=compress)
    return buffer.getvalue()


def docx(document: bytes = b"<w:document/>") -> bytes:
    return office_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": document})


def odt(manifest: str = MANIFEST) -> bytes:
    return office_zip(
        {
            "mimetype": ODT.encode(),
            "META-INF/manifest.xml": manifest.encode(),
            "content.xml": b"<office:document-content/>",
        }
    )


def patch_headers(data: bytes, name: str, **fields) -> bytes:
    """Rewrite a member's local and central headers: file_size, compress_type or flag_bits."""
    # offsets of each field in the local header (PK\3\4) and the central header (PK\1\2)
    layout = {
        b"PK\x03\x04": {
            "flag_bits": (6, "<H"),
            "compress_type": (8, "<H"),
            "file_size": (22, "<I"),
        },
        b"PK\x01\x02": {
            "flag_bits": (8, "<H"),
            "compress_type": (10, "<H"),
            "file_size": (24, "<I"),
        },
    }
    patched = bytearray(data)
    for signature, offsets in layout.items():
        name_at = {b"PK\x03\x04": 26, b"PK\x01\x02": 28}[signature]
        header_size = {b"PK\x03\x04": 30, b"PK\x01\x02": 46}[signature]
        at = patched.find(signature)
        while at >= 0:
            (length,) = struct.unpack_from("<H", patched, at + name_at)
            if bytes(patched[at + header_size : at + header_size + length]) == name.encode():
                for field, value in fields.items():
                    offset, fmt = offsets[field]
                    if field == "flag_bits":
                        value |= struct.unpack_from(fmt, patched, at + offset)[0]
                    struct.pack_into(fmt, patched, at + offset, value)
            at = patched.find(signature, at + 4)
    return bytes(patched)


def lying_bomb(inflated: int = 64 * 1024 * 1024) -> bytes:
    """A docx whose document inflates to `inflated` bytes while every header says 13."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w") as member:
            zeros = bytes(1024 * 1024)
            for _ in range(inflated // len(zeros)):
                member.write(zeros)
    return patch_headers(buffer.getvalue(), "word/document.xml", file_size=13)


def refusal(name: str, data: bytes) -> str:
    with pytest.raises(UploadRefused) as refused:
        check_upload(name, io.BytesIO(data))
    return str(refused.value)


def accepted(name: str, data: bytes) -> bool:
    return check_upload(name, io.BytesIO(data)).extension == name.rsplit(".", 1)[1]


# 1. Zip bombs that lie about their sizes


def test_honest_office_files_are_accepted():
    assert accepted("essay.docx", docx())
    assert accepted("essay.odt", odt())


def test_a_zip_bomb_whose_headers_lie_is_refused_by_what_really_inflates():
    bomb = lying_bomb()
    assert len(bomb) < 200_000
    archive = zipfile.ZipFile(io.BytesIO(bomb))
    assert sum(entry.file_size for entry in archive.infolist()) < 100  # what it declares
    assert "zip bomb" in refusal("essay.docx", bomb)


def test_a_member_larger_than_it_declares_is_refused_even_within_the_budget():
    document = docx(b"<w:document>" + b"x" * 5000 + b"</w:document>")
    data = patch_headers(document, "word/document.xml", file_size=13)
    assert "not the sizes it declares" in refusal("essay.docx", data)


def test_inflating_stops_at_the_budget(monkeypatch):
    """Nothing like the whole bomb is inflated: reading stops once the budget is spent."""
    produced = []
    real_spend = uploads._Budget.spend

    def spend(self, count):
        produced.append(count)
        real_spend(self, count)

    monkeypatch.setattr(uploads._Budget, "spend", spend)
    bomb = lying_bomb()
    with pytest.raises(UploadRefused):
        check_upload("essay.docx", io.BytesIO(bomb))
    assert sum(produced) <= len(bomb) * uploads.MAX_UNZIPPED_RATIO + CHUNK
    assert max(produced) <= CHUNK


def test_the_absolute_cap_holds_for_a_large_upload(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    document = docx(b"0" * 3 * 1024 * 1024)  # well under 100x, but over the cap
    assert "zip bomb" in refusal("essay.docx", document)


def test_too_many_members_are_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_ZIP_MEMBERS", 20)
    parts = {f"word/media/image{n}.png": b"x" for n in range(30)}
    data = office_zip({"[Content_Types].xml": b"<Types/>", **parts})
    assert "far more parts" in refusal("slides.docx", data)


# 2. Markup after the first bytes


@pytest.mark.parametrize("at", [10_000, CHUNK - 3, CHUNK * 3 + 100])
def test_markup_anywhere_in_a_text_file_is_refused(at):
    text = (b"My evaluation of the website. " * (at // 30 + 1))[:at] + b"<ScRiPt>alert(1)</script>"
    assert "web page or script content" in refusal("notes.txt", text)


def test_a_long_plain_text_file_is_accepted():
    assert accepted("notes.txt", b"Plain words, a < b and c > d.\n" * 10_000)


# 3. PDFs with scripts or actions

PDF_HEAD = b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R"
PDF_TAIL = b">>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.mark.parametrize(
    "active",
    [
        b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>",
        b"/OpenAction 3 0 R>>endobj 3 0 obj<</S /JavaScript /JS 4 0 R",
        b"/AA<</O<</S/JavaScript/JS(x)>>>>",
        b"/OpenAction<</S/Launch/F(cmd.exe)>>",
        b"/Names<</EmbeddedFiles<</Names[(a.exe)5 0 R]>>>>",
        b"/Annots[<</Subtype/RichMedia>>]",
        b"/OpenAction<</S/J#61vaScript/J#53(x)>>",
        b"/OpenAction<</S/#4c#61#75#6e#63#68>>",
    ],
)
def test_a_pdf_with_scripts_or_actions_is_refused(active):
    message = refusal("essay.pdf", PDF_HEAD + active + PDF_TAIL)
    assert message == uploads.PDF_REFUSED


@pytest.mark.parametrize("split", range(1, 12))
def test_a_pdf_name_split_across_chunks_is_still_found(split):
    name = b"/J#61vaScript"
    padding = b"%" + b"x" * (CHUNK - len(PDF_HEAD) - split - 2) + b"\n"
    data = PDF_HEAD + padding + name + b"(x)" + PDF_TAIL
    assert data.index(name) + split == CHUNK
    assert "scripts or actions" in refusal("essay.pdf", data)


def test_a_script_hidden_in_a_compressed_object_stream_is_refused():
    objects = zlib.compress(b"3 0 <</S/JavaScript/JS(app.alert(1))>>")
    stream = b"5 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode>>stream\r\n" + objects
    data = PDF_HEAD + PDF_TAIL + stream + b"\r\nendstream\nendobj\n"
    assert "scripts or actions" in refusal("essay.pdf", data)


def test_an_ordinary_pdf_with_a_go_to_open_action_and_an_image_is_accepted():
    image = zlib.compress(b"\xff" * 2_000_000)  # a white page inflates hundreds of times
    data = (
        PDF_HEAD
        + b"/OpenAction[3 0 R/Fit]"
        + PDF_TAIL
        + b"6 0 obj<</Type/XObject/Subtype/Image/Filter/FlateDecode>>stream\n"
        + image
        + b"\nendstream\nendobj\n"
    )
    assert accepted("essay.pdf", data)


# 4. Files that would crash a parser


def test_crashers_are_clear_refusals():
    data = odt()
    assert "damaged or incomplete" in refusal("essay.odt", data[: len(data) // 2])
    body = bytearray(data)
    at = body.index(b"content.xml") + len(b"content.xml")
    body[at : at + 20] = b"\xff" * 20  # the deflated data is no longer Flate
    assert "damaged or incomplete" in refusal("essay.odt", bytes(body))
    assert "compressed in a way" in refusal(
        "essay.odt", patch_headers(data, "content.xml", compress_type=99)
    )
    assert "password-protected" in refusal(
        "essay.odt", patch_headers(data, "content.xml", flag_bits=0x1)
    )
    encrypted = MANIFEST.replace("/>", "><manifest:encryption-data/></manifest:manifest>")
    assert "password-protected" in refusal("essay.odt", odt(encrypted))
    assert "password-protected" in refusal("essay.docx", uploads.OLE2 + b"\x00" * 512)
    assert "not a real .mp3" in refusal("song.mp3", b"\xff")
    assert "not a real .mp3" in refusal("song.mp3", b"ID3")
    escaping = office_zip({"[Content_Types].xml": b"<Types/>", "word/../../evil.xml": b"x"})
    assert "leads outside" in refusal("essay.docx", escaping)


PREFIXES = [
    b"",
    b"%PDF-1.4\n",
    b"%PDF-1.4\nstream\n\x78\x9c",
    b"PK\x03\x04",
    uploads.OLE2,
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"\x00\x00\x00\x18ftyp",
    b"ID3",
    b"\xff\xfb",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    extension=st.sampled_from(sorted(uploads.TYPES)),
    prefix=st.sampled_from(PREFIXES),
    body=st.binary(max_size=2048),
)
def test_random_bytes_never_raise_anything_but_a_refusal(extension, prefix, body):
    with contextlib.suppress(UploadRefused):
        check_upload(f"file.{extension}", io.BytesIO(prefix + body))


VALID = [("essay.docx", docx()), ("essay.odt", odt()), ("essay.pdf", PDF_HEAD + PDF_TAIL)]


@settings(max_examples=300, deadline=None)
@given(
    sample=st.sampled_from(VALID),
    changes=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
    cut=st.integers(min_value=1),
)
def test_damaged_real_files_never_raise_anything_but_a_refusal(sample, changes, cut):
    name, data = sample
    damaged = bytearray(data[: max(1, cut % (len(data) + 1))])
    for at, value in changes:
        damaged[at % len(damaged)] = value
    with contextlib.suppress(UploadRefused):
        check_upload(name, io.BytesIO(bytes(damaged)))
