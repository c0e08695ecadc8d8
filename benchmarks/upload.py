"""Upload a 200 MB evidence file to the app under gunicorn and watch the worker's memory.

Usage (everything lives in a temporary folder: database, evidence files, the upload):
    python benchmarks/upload.py [--megabytes 200]

It migrates and seeds a small centre in a scratch SQLite database, signs a seeded learner in
(a session written straight to the database, a CSRF cookie of our own), starts gunicorn on
loopback (one sync worker, DEBUG off, EVIDENCE_MAX_MB=300), warms the worker up with a 1 MB
upload, then streams a valid .mp4 (a real ftyp box, then filler) as multipart from a
generator with a known Content-Length, so the client never holds the file either. The worker's
resident set is sampled every 50 ms while the upload runs. At the end the stored file's
SHA-256 is compared with the source's and with the one on the evidence record.

Helpers here (gunicorn, sessions) are shared with benchmarks/load.py.
"""

import argparse
import hashlib
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
CHUNK = MB  # the client sends the body a megabyte at a time


def scratch_environment(folder: str, **extra: str) -> dict[str, str]:
    """Return the environment of a scratch site in this folder (database, media)."""
    return {
        "DATABASE_URL": f"sqlite:///{folder}/tracker.sqlite3",
        "SECRET_KEY": "benchmark-only-key",
        "MEDIA_ROOT": f"{folder}/media",
        "STATIC_ROOT": f"{folder}/static",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",
        **extra,
    }


def django_setup(environment: dict[str, str]) -> None:
    """Set Django up in this process, with the site's environment."""
    os.environ.update(environment)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    from baseline import tree_root  # this tree, or a baseline's worktree (BENCH_TREE)

    sys.path.insert(0, str(tree_root()))
    import django

    django.setup()


def prepare_database(learners: int, centre: str) -> None:
    """Migrate, load the catalogue and seed a centre unless the database has it."""
    from django.core.management import call_command

    from tracker.models import Centre

    with open(os.devnull, "w") as quiet:
        call_command("migrate", verbosity=0, stdout=quiet)
        call_command("load_specs", verbosity=0, stdout=quiet)
        if not Centre.objects.filter(ocr_number=centre).exists():
            call_command("seed_scale", learners=learners, centre=centre, stdout=quiet)


def session_cookie(user) -> str:
    """Return a Cookie header signing this user in, with a CSRF cookie to post with.

    The session is written straight to the session store, as a sign-in would leave it; the
    CSRF cookie holds a secret of our own, sent back unmasked in the form.
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.crypto import get_random_string

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "tracker.auth.UsernameOrEmailBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    csrf = get_random_string(32)  # letters and digits, the length of a CSRF secret
    return (
        f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
    )


@dataclass
class Server:
    port: int
    process: subprocess.Popen

    def workers(self) -> list:
        import psutil

        return psutil.Process(self.process.pid).children()

    def connection(self, timeout: float = 300) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(
    environment: dict[str, str], workers: int, timeout: int = 120, cwd: Path = ROOT
) -> Iterator[Server]:
    """Serve the site with gunicorn (sync workers) on a free loopback port until the end.

    `cwd` is the tree whose code is served (this one unless a baseline's worktree)."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "tracker.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--worker-class=sync",
            f"--timeout={timeout}",
            "--log-level=warning",
        ],
        cwd=cwd,
        env={**os.environ, **environment},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError("gunicorn stopped before it served anything")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        server = Server(port, process)
        while len(server.workers()) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the upload ------------------------------------------------------------------------------


def mp4_content(size: int, digest) -> Iterator[bytes]:
    """Yield a valid .mp4 of `size` bytes a megabyte at a time, hashing it on the way.

    It opens with a real ftyp box and an mdat box spanning the rest; the filler is a
    pseudo-random megabyte, repeated, so it does not compress away anywhere.
    """
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    mdat = (size - len(ftyp)).to_bytes(4, "big") + b"mdat"
    filler = b"".join(hashlib.sha256(f"filler {n}".encode()).digest() for n in range(CHUNK // 32))
    first = (ftyp + mdat + filler)[:CHUNK]
    sent = 0
    while sent < size:
        block = (first if sent == 0 else filler)[: size - sent]
        digest.update(block)
        sent += len(block)
        yield block


def post_file(
    server: Server, url: str, cookie: str, fields: dict, name: str, size: int
) -> tuple[int, str, float]:
    """Stream a multipart upload; return the status, the source's SHA-256 and the seconds."""
    boundary = "----benchmark" + hashlib.sha256(str(time.time()).encode()).hexdigest()[:16]
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, values in fields.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    )
    head = "".join(parts).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    digest = hashlib.sha256()
    connection = server.connection()
    started = time.perf_counter()
    connection.putrequest("POST", url)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + size + len(tail)))
    connection.putheader("Cookie", cookie)
    connection.endheaders()
    connection.send(head)
    for block in mp4_content(size, digest):
        connection.send(block)
    connection.send(tail)
    response = connection.getresponse()
    response.read()
    seconds = time.perf_counter() - started
    connection.close()
    return response.status, digest.hexdigest(), seconds


class Sampler(threading.Thread):
    """Sample a process's resident set every 50 ms until stopped; keep the peak."""

    def __init__(self, process):
        super().__init__(daemon=True)
        self.process = process
        self.peak = 0
        self.samples = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self.samples += 1
            self.stopping.wait(0.05)

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200, help="size of the upload (MiB)")
    args = parser.parse_args()
    size = args.megabytes * MB
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as folder:
        environment = scratch_environment(folder, EVIDENCE_MAX_MB=str(args.megabytes + 100))
        os.makedirs(environment["STATIC_ROOT"])  # no pages are served: nothing to collect
        django_setup(environment)
        from django.db import connection
        from django.urls import reverse

        from tracker.models import Enrolment, Evidence

        prepare_database(learners=20, centre="99990")
        enrolment = (
            Enrolment.objects.filter(learner__centre__ocr_number="99990", unit__number=30)
            .select_related("learner__user")
            .order_by("pk")
            .first()
        )
        criterion = enrolment.unit.criteria.order_by("order").first()
        cookie = session_cookie(enrolment.learner.user)
        csrf = cookie.rsplit("=", 1)[1]
        url = reverse("upload", args=[enrolment.pk])
        fields = {
            "csrfmiddlewaretoken": csrf,
            "items": [f"c:{criterion.pk}"],
            "location": "whole recording",
            "note": "",
            "declaration": "on",
        }
        connection.close()  # the server has the database to itself from here

        with gunicorn(environment, workers=1) as server:
            (worker,) = server.workers()
            at_start = worker.memory_info().rss
            status, _, _ = post_file(server, url, cookie, fields, "warm-up.mp4", MB)
            assert status == 302, f"the warm-up upload was answered {status}"
            baseline = worker.memory_info().rss
            sampler = Sampler(worker)
            sampler.start()
            status, source, seconds = post_file(server, url, cookie, fields, "recording.mp4", size)
            sampler.stop()
            after = worker.memory_info().rss
        assert status == 302, f"the upload was answered {status}"

        evidence = Evidence.objects.filter(original_name="recording.mp4").get()
        stored = file_sha256(Path(environment["MEDIA_ROOT"]) / evidence.file.name)
        connection.close()
    growth = (sampler.peak - baseline) / MB
    print(f"| upload | {args.megabytes} MiB .mp4, streamed multipart |")
    print("|---|---:|")
    print(
        f"| time (client's first byte to response) | {seconds:.1f} s "
        f"({args.megabytes / seconds:.0f} MiB/s) |"
    )
    print(f"| worker RSS when started | {at_start / MB:.0f} MB |")
    print(f"| worker RSS after a 1 MiB warm-up upload (baseline) | {baseline / MB:.0f} MB |")
    print(
        f"| worker peak RSS during the upload ({sampler.samples} samples) "
        f"| {sampler.peak / MB:.0f} MB |"
    )
    print(f"| growth over the baseline (target < 50 MB) | {growth:+.1f} MB |")
    print(f"| worker RSS after the upload | {after / MB:.0f} MB |")
    same = source == evidence.sha256 == stored
    print(f"| SHA-256 of source, record and stored file | {'equal' if same else 'DIFFERENT'} |")
    if not same:
        sys.exit(f"SHA-256 mismatch: source {source}, record {evidence.sha256}, file {stored}")


if __name__ == "__main__":
    main()
