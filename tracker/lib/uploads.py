"""Checks on uploaded evidence: allowed types, content matching the extension, size.

The size limit is enforced while the upload streams in (HashingUploadHandler), and the
SHA-256 is computed on the way, so a large file is never read into memory to check it.
Every content check reads the file in chunks too: a whole text file for markup, a whole
PDF for scripts and actions, every member of an Office zip as it actually inflates.
"""

import contextlib
import copy
import hashlib
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MARKUP = (b"<script", b"<html", b"<svg", b"<!doctype html", b"<iframe", b"<?xml-stylesheet")
EXECUTABLE = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
CHUNK = 64 * 1024
# Office zips: a document expands a few times, a zip bomb thousands of times. What is
# actually inflated (not what the zip declares) may reach 100x the upload, and never more
# than 256 MB whatever the upload's size; reading stops as soon as it passes that.
MAX_UNZIPPED_RATIO = 100
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
# A long report or a big slide deck holds a few hundred parts; tens of thousands is an attack.
MAX_ZIP_MEMBERS = 5000
# PDF names that run something, launch something or carry files; refused wherever they are.
PDF_ACTIVE = re.compile(
    rb"/(JS|JavaScript|Launch|EmbeddedFiles?|RichMedia\w*|XFA|ImportData|SubmitForm|GoToE)"
    rb"(?=[\s()<>\[\]{}/%])"
)
PDF_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
PDF_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
# Kept between chunks so a name split across them is still seen (PDF names are at most 127
# bytes, 3 bytes each when every character is written as #xx).
PDF_OVERLAP = 400
PDF_REFUSED = (
    "This PDF contains scripts or actions, which evidence cannot hold: "
    "print it to PDF again and upload that."
)
DAMAGED = (
    "The file could not be read: it may be damaged or incomplete. "
    "Open it, save it again and upload that."
)
PASSWORD_PROTECTED = (
    "The file is password-protected, so your teacher could not open it. "
    "Remove the password, save it again and upload that."
)
# What the parsers raise on damaged, truncated or odd files; each becomes a clear refusal.
PARSER_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    zlib.error,
    struct.error,
    ValueError,
    OSError,
    IndexError,
    KeyError,
    OverflowError,
)

# extension -> (content type sent on download, what the content must be)
TYPES = {
    "pdf": ("application/pdf", "pdf"),
    "doc": ("application/msword", "ole2"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ooxml:word/",
    ),
    "odt": (
        "application/vnd.oasis.opendocument.text",
        "odf:application/vnd.oasis.opendocument.text",
    ),
    "ppt": ("application/vnd.ms-powerpoint", "ole2"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ooxml:ppt/",
    ),
    "odp": (
        "application/vnd.oasis.opendocument.presentation",
        "odf:application/vnd.oasis.opendocument.presentation",
    ),
    "xls": ("application/vnd.ms-excel", "ole2"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ooxml:xl/"),
    "txt": ("text/plain; charset=utf-8", "text"),
    "jpg": ("image/jpeg", "jpeg"),
    "jpeg": ("image/jpeg", "jpeg"),
    "png": ("image/png", "png"),
    "mp4": ("video/mp4", "isobmff"),
    "mov": ("video/quicktime", "isobmff"),
    "mp3": ("audio/mpeg", "mp3"),
    "m4a": ("audio/mp4", "isobmff"),
}
PREVIEWABLE = {"pdf", "jpg", "jpeg", "png"}


class UploadRefused(Exception):
    """The file cannot be accepted as evidence; the message says why, for the learner."""


@dataclass(frozen=True)
class CheckedFile:
    extension: str
    content_type: str


def allowed_extensions() -> list[str]:
    return [ext for ext in settings.EVIDENCE_ALLOWED_TYPES if ext in TYPES]


def extension_of(name: str) -> str:
    return PurePosixPath(name.lower()).suffix.lstrip(".")


def served_type(name: str) -> str:
    """Return the content type a file is sent with: from the allow-list, never from the file."""
    known = TYPES.get(extension_of(name or ""))
    return known[0] if known else "application/octet-stream"


def check_upload(name: str, handle) -> CheckedFile:
    """Return the file's type when its content matches an allowed extension; else refuse.

    Whatever a damaged file makes the parsers raise becomes an UploadRefused, never an error.
    """
    extension = extension_of(name)
    allowed = allowed_extensions()
    if extension in ("svg", "html", "htm", "js", "exe", "bat", "sh", "ps1", "cmd", "msi", "zip"):
        raise UploadRefused(
            f".{extension} files are not accepted as evidence. Allowed: {', '.join(allowed)}."
        )
    if extension not in allowed:
        shown = f".{extension}" if extension else "files without an extension"
        raise UploadRefused(f"{shown} is not an allowed type. Allowed: {', '.join(allowed)}.")
    try:
        return _check_content(extension, handle)
    except UploadRefused:
        raise
    except PARSER_ERRORS:
        raise UploadRefused(DAMAGED) from None
    finally:
        with contextlib.suppress(*PARSER_ERRORS):
            handle.seek(0)


def _check_content(extension: str, handle) -> CheckedFile:
    handle.seek(0)
    head = handle.read(CHUNK)
    handle.seek(0)
    if not head:
        raise UploadRefused("The file is empty.")
    if head.startswith(EXECUTABLE):
        raise UploadRefused(
            f"This file is a program, not a .{extension} document: it has been refused."
        )
    content_type, kind = TYPES[extension]
    if kind.startswith("ooxml:") and head.startswith(OLE2):
        raise UploadRefused(
            f"This .{extension} file is password-protected (or in an older format): "
            f"remove the password, save it again as .{extension} and upload that."
        )
    try:
        matches = _matches(kind, head, handle, extension)
    except zipfile.BadZipFile:
        raise UploadRefused(
            f"The file is not a real .{extension} file, or it is damaged or incomplete. "
            f"Open it, save it again as .{extension} and upload that."
        ) from None
    if not matches:
        raise UploadRefused(
            f"The file's content is not a real .{extension} file (was it renamed?). "
            f"Save it again as .{extension} and upload that."
        )
    if kind == "text":
        _refuse_markup_in_text(handle)
    elif any(marker in head.lower() for marker in MARKUP):
        # Only the first bytes: random image or video data would match short markers later
        # on. Downloads are sent with the allow-list's type, nosniff and a CSP, so markup
        # further in is never run as a page.
        raise UploadRefused("The file contains web page or script content and has been refused.")
    if kind == "pdf":
        _refuse_active_pdf(handle)
    return CheckedFile(extension=extension, content_type=content_type)


def _matches(kind: str, head: bytes, handle, extension: str) -> bool:
    if kind == "pdf":
        return head.startswith(b"%PDF-")
    if kind == "ole2":
        return head.startswith(OLE2)
    if kind == "jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if kind == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "isobmff":
        return head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free")
    if kind == "mp3":
        if head.startswith(b"ID3"):
            return len(head) >= 10
        return len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
    if kind == "text":
        return _is_plain_text(head)
    if kind.startswith("ooxml:") or kind.startswith("odf:"):
        return _is_office_zip(kind, head, handle, extension)
    return False


def _chunks(handle, overlap: int):
    """Yield the file in chunks, each starting with the last `overlap` bytes of the one before.

    The last chunk ends with a space, so a pattern at the very end still has its delimiter.
    """
    handle.seek(0)
    tail = b""
    while chunk := handle.read(CHUNK):
        yield tail + chunk
        tail = (tail + chunk)[-overlap:]
    yield tail + b" "
    handle.seek(0)


def _is_plain_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head.decode("cp1252")
        except UnicodeDecodeError:
            return False
    start = text.lstrip().lower()
    return not start.startswith(("<", "#!")) and not any(
        marker.decode() in start[:4096] for marker in MARKUP
    )


def _refuse_markup_in_text(handle) -> None:
    """Read a whole text file in chunks: markup or a NUL anywhere refuses it."""
    overlap = max(len(marker) for marker in MARKUP)
    for chunk in _chunks(handle, overlap):
        lowered = chunk.lower()
        if b"\x00" in lowered:
            raise UploadRefused(
                "The file's content is not a real .txt file (was it renamed?). "
                "Save it again as .txt and upload that."
            )
        if any(marker in lowered for marker in MARKUP):
            raise UploadRefused(
                "The file contains web page or script content and has been refused."
            )


def _refuse_active_pdf(handle) -> None:
    """Read a whole PDF in chunks: a script, launch action or embedded file anywhere refuses it.

    Names written with #xx escapes (/J#61vaScript) are decoded first. Flate streams (object
    streams hide dictionaries there) are inflated within the unzip budget and read the same
    way; image streams are skipped, as a scanned page may inflate hundreds of times.
    """
    budget = _Budget(_size_of(handle))
    handle.seek(0)
    tail = b""
    consumed = 0
    scanned_up_to = -1
    while True:
        data = handle.read(CHUNK)
        window = tail + (data or b" ")
        window_start = consumed - len(tail)
        if PDF_ACTIVE.search(PDF_HEX_ESCAPE.sub(_unescape, window)):
            raise UploadRefused(PDF_REFUSED)
        for match in PDF_STREAM.finditer(window):
            start = window_start + match.end()
            header = window[match.end() : match.end() + 2]
            if start <= scanned_up_to or len(header) < 2:
                continue  # seen in the chunk before, or seen again in the next one
            scanned_up_to = start
            keyword_at = window_start + match.start()
            if _is_zlib_header(header) and not _is_image_stream(handle, keyword_at):
                _scan_flate_stream(handle, start, budget)
            handle.seek(consumed + len(data))
        if not data:
            break
        consumed += len(data)
        tail = window[-PDF_OVERLAP:]
    handle.seek(0)


def _unescape(match: re.Match) -> bytes:
    return bytes([int(match.group(1), 16)])


def _is_zlib_header(header: bytes) -> bool:
    """A zlib stream starts with a CMF byte of 0x?8 and a header that divides by 31."""
    return header[0] & 0x0F == 8 and (header[0] << 8 | header[1]) % 31 == 0


def _is_image_stream(handle, keyword_at: int) -> bool:
    handle.seek(max(0, keyword_at - 2048))
    before = handle.read(keyword_at - max(0, keyword_at - 2048))
    dictionary = PDF_HEX_ESCAPE.sub(_unescape, before.rsplit(b"obj", 1)[-1])
    return b"/Image" in dictionary and b"/ObjStm" not in dictionary


def _scan_flate_stream(handle, start: int, budget: "_Budget") -> None:
    handle.seek(start)
    inflater = zlib.decompressobj()
    tail = b""
    while not inflater.eof:
        pending = inflater.unconsumed_tail or handle.read(CHUNK)
        if not pending:
            break
        try:
            data = inflater.decompress(pending, CHUNK)
        except zlib.error:
            break  # damaged: no reader finds a script in what cannot be inflated
        budget.spend(len(data))
        window = tail + data
        if PDF_ACTIVE.search(PDF_HEX_ESCAPE.sub(_unescape, window + b" ")):
            raise UploadRefused(PDF_REFUSED)
        tail = window[-PDF_OVERLAP:]


class _Budget:
    """How many bytes inflating an upload may produce before it is refused as a bomb."""

    def __init__(self, upload_size: int):
        self.left = min(max(upload_size, 1) * MAX_UNZIPPED_RATIO, MAX_UNZIPPED_BYTES)

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise UploadRefused("The file expands to far more than its size (a zip bomb?).")


def _size_of(handle) -> int:
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    return size


def _declared_member_count(handle) -> int | None:
    """Read the number of members from the zip's end record, before parsing the directory."""
    size = _size_of(handle)
    handle.seek(max(0, size - (65535 + 22)))
    tail = handle.read()
    handle.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 12:
        return None
    (count,) = struct.unpack("<H", tail[at + 10 : at + 12])
    return None if count == 0xFFFF else count  # 0xFFFF: the real count is in a zip64 record


def _is_office_zip(kind: str, head: bytes, handle, extension: str) -> bool:
    if not head.startswith(b"PK\x03\x04"):
        return False
    declared = _declared_member_count(handle)
    if declared is not None and declared > MAX_ZIP_MEMBERS:
        raise UploadRefused("The file holds far more parts than any document (a zip bomb?).")
    archive = zipfile.ZipFile(handle)  # BadZipFile: refused by the caller
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_MEMBERS:
        raise UploadRefused("The file holds far more parts than any document (a zip bomb?).")
    budget = _Budget(_size_of(handle))
    if sum(entry.file_size for entry in entries) > budget.left:
        raise UploadRefused("The file expands to far more than its size (a zip bomb?).")
    names = [entry.filename for entry in entries]
    if any(name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name) for name in names):
        raise UploadRefused(
            f"This is not a real .{extension} file: it holds a part whose name leads outside "
            "the document. Save it again from your office program and upload that."
        )
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise UploadRefused(PASSWORD_PROTECTED)
    if any(
        entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for entry in entries
    ):
        raise UploadRefused(
            "The file is compressed in a way office documents are not. "
            "Save it again from your office program and upload that."
        )
    for entry in entries:
        _inflate_member(archive, entry, budget)
    if kind.startswith("ooxml:"):
        folder = kind.split(":", 1)[1]
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)
    expected = kind.split(":", 1)[1].encode()
    if "mimetype" not in names or _read_small(archive, "mimetype").strip() != expected:
        return False
    if "META-INF/manifest.xml" in names and b"encryption-data" in _read_small(
        archive, "META-INF/manifest.xml"
    ):
        raise UploadRefused(PASSWORD_PROTECTED)
    return True


def _inflate_member(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: _Budget) -> None:
    """Inflate one member in chunks, counting what it really produces, and throw it away.

    zipfile stops at the declared size; the copy declares more than the whole budget instead,
    so a member that lies about its size inflates until it ends or the budget runs out.
    """
    if entry.is_dir():
        return
    unbounded = copy.copy(entry)
    unbounded.file_size = budget.left + 2 * CHUNK
    produced = 0
    with archive.open(unbounded) as member:
        while data := member.read(CHUNK):
            produced += len(data)
            budget.spend(len(data))
    if produced != entry.file_size:
        raise UploadRefused(
            "The file's parts are not the sizes it declares (a zip bomb?), so it has been refused."
        )


def _read_small(archive: zipfile.ZipFile, name: str, limit: int = 1024 * 1024) -> bytes:
    with archive.open(name) as member:
        return member.read(limit)


class HashingUploadHandler(TemporaryFileUploadHandler):
    """Stream uploads to a temporary file, hashing them and stopping at the size limit."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.digest = hashlib.sha256()
        self.received = 0
        self.finished = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.EVIDENCE_MAX_BYTES:
            self.request.upload_too_large = self.file_name
            self.file.close()
            raise SkipFile()
        self.digest.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        self.finished = True
        uploaded = super().file_complete(file_size)
        if uploaded is not None:
            uploaded.sha256 = self.digest.hexdigest()
        return uploaded

    def discard_unfinished(self) -> None:
        """Close (and so delete) a temporary file whose upload never completed."""
        if hasattr(self, "file") and not self.finished:
            self.file.close()


def sha256_of(handle) -> str:
    """Return the SHA-256 of a file object (for files that did not come through the handler)."""
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"
