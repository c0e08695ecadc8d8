"""A real OpenID Connect provider (npm oidc-provider, `provider.mjs`) on 127.0.0.1 for tests.

`LoopbackProvider(redirect_uris)` starts it with node on a free port and waits for its
discovery document; `settings()` gives the Django settings pointing at it; `stop()` ends it.
`sign_in(authorize_url, email)` plays the person at a plain HTTP client: the dev sign-in
page (any password) and the consent page, returning the redirect back to the site.
"""

import re
import shutil
import socket
import subprocess
import tempfile
import time
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider.mjs")
PACKAGE = ROOT / "node_modules" / "oidc-provider"
NODE = shutil.which("node")
CLIENT_ID = "tracker-tests"
CLIENT_SECRET = "loopback-secret-for-tests-only"
DOMAINS = ["centre.example.org", "learners.example.org"]


def available() -> str | None:
    """Why the provider cannot run here, or None."""
    if not NODE:
        return "node is not installed"
    if not PACKAGE.exists():
        return "npm package oidc-provider is not installed (npm ci)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackProvider:
    def __init__(self, redirect_uris: list[str]):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [NODE, str(SCRIPT), str(self.port), CLIENT_ID, CLIENT_SECRET, *redirect_uris],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def _wait(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oidc-provider stopped: {self.output()}")
            try:
                found = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2)
                if found.ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"oidc-provider did not start: {self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def settings(self, **changes) -> dict:
        """Settings that turn school sign-in on against this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_ALLOWED_DOMAINS": DOMAINS,
            "OIDC_BUTTON_LABEL": "Sign in with your school account",
            **changes,
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _form(page: requests.Response) -> tuple[str, dict]:
    """The action and hidden fields of the only form on a provider page."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert action, page.text[:500]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return urljoin(page.url, unescape(action.group(1))), fields


def sign_in(authorize_url: str, email: str) -> str:
    """Sign in at the provider as `email` and consent; return the URL it sends back to."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    action, fields = _form(page)
    answer = browser.post(
        action,
        data={**fields, "login": email, "password": "any"},
        timeout=10,
        allow_redirects=False,
    )
    while True:
        if answer.is_redirect:
            target = urljoin(answer.url, answer.headers["Location"])
            if target.startswith(authorize_url.split("/auth")[0]):
                answer = browser.get(target, timeout=10, allow_redirects=False)
                continue
            return target
        action, fields = _form(answer)
        answer = browser.post(action, data=fields, timeout=10, allow_redirects=False)
