"""Zip archives streamed as they are written, and names safe to put inside them."""

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

READ_BYTES = 256 * 1024


def safe_name(text: str) -> str:
    """Return a file name with no path, no control characters and nothing a shell reads."""
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = text.rpartition(".")
    if not dot:
        stem, suffix = text, ""
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", stem).strip(" ._") or "file"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix)[:10]
    return f"{stem[:80]}.{suffix}" if suffix else stem[:80]


class _Pipe:
    """A write-only file object whose written bytes are collected for streaming."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def zip_stream(
    documents: Iterable[tuple[str, bytes | str]],
    files: Iterable[tuple[str, Callable[[], BinaryIO]]],
) -> Iterator[bytes]:
    """Yield a deflated zip archive chunk by chunk.

    `documents` are small members held in memory (name, content); `files` are (name, opener)
    pairs whose opener returns a binary file, read in pieces of `READ_BYTES` so memory stays
    flat however large the files are.
    """
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in documents:
            archive.writestr(name, content)
        yield pipe.take()
        for name, opener in files:
            with opener() as source, archive.open(name, "w") as target:
                for chunk in iter(lambda: source.read(READ_BYTES), b""):
                    target.write(chunk)
                    yield pipe.take()
    yield pipe.take()
