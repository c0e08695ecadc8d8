"""Checks on uploaded evidence: allowed types, content matching the extension, size.

The size limit is enforced while the upload streams in (HashingUploadHandler), and the
SHA-256 is computed on the way, so a large file is never read into memory to check it.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MARKUP = (b"<script", b"<html", b"<svg", b"<!doctype html", b"<iframe", b"<?xml-stylesheet")
EXECUTABLE = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")
MAX_UNZIPPED_RATIO = 100  # a document expands a few times; a zip bomb thousands of times

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


def check_upload(name: str, handle) -> CheckedFile:
    """Return the file's type when its content matches an allowed extension; else refuse."""
    extension = extension_of(name)
    allowed = allowed_extensions()
    if extension in ("svg", "html", "htm", "js", "exe", "bat", "sh", "ps1", "cmd", "msi", "zip"):
        raise UploadRefused(
            f".{extension} files are not accepted as evidence. Allowed: {', '.join(allowed)}."
        )
    if extension not in allowed:
        shown = f".{extension}" if extension else "files without an extension"
        raise UploadRefused(f"{shown} is not an allowed type. Allowed: {', '.join(allowed)}.")
    handle.seek(0)
    head = handle.read(65536)
    handle.seek(0)
    if not head:
        raise UploadRefused("The file is empty.")
    if head.startswith(EXECUTABLE):
        raise UploadRefused(
            f"This file is a program, not a .{extension} document: it has been refused."
        )
    content_type, kind = TYPES[extension]
    if not _matches(kind, head, handle):
        raise UploadRefused(
            f"The file's content is not a real .{extension} file (was it renamed?). "
            f"Save it again as .{extension} and upload that."
        )
    if kind != "text" and any(marker in head.lower() for marker in MARKUP):
        raise UploadRefused("The file contains web page or script content and has been refused.")
    return CheckedFile(extension=extension, content_type=content_type)


def _matches(kind: str, head: bytes, handle) -> bool:
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
        return head.startswith(b"ID3") or (head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if kind == "text":
        return _is_plain_text(head)
    if kind.startswith("ooxml:") or kind.startswith("odf:"):
        return _is_office_zip(kind, head, handle)
    return False


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


def _is_office_zip(kind: str, head: bytes, handle) -> bool:
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        archive = zipfile.ZipFile(handle)
        entries = archive.infolist()
        names = [entry.filename for entry in entries]
        packed = sum(entry.compress_size for entry in entries) or 1
        unpacked = sum(entry.file_size for entry in entries)
        if unpacked > settings.EVIDENCE_MAX_BYTES * 4 or unpacked / packed > MAX_UNZIPPED_RATIO:
            raise UploadRefused("The file expands to far more than its size (a zip bomb?).")
        if any(name.startswith("/") or ".." in name.split("/") for name in names):
            return False
        if kind.startswith("ooxml:"):
            folder = kind.split(":", 1)[1]
            return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)
        expected = kind.split(":", 1)[1].encode()
        return "mimetype" in names and archive.read("mimetype").strip() == expected
    except (zipfile.BadZipFile, KeyError, OSError):
        return False
    finally:
        handle.seek(0)


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
