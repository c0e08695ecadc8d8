"""Browser tests: Debian's Chromium driven by Playwright against the live test server."""

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Playwright's sync API runs an event loop in this thread; Django's guard against using the
# ORM from async code would otherwise refuse the test's own database work.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        return  # CI must have Chromium: let the tests fail loudly rather than skip
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def catalogue(transactional_db):
    """Live-server tests flush the database, so they load the catalogue themselves."""
    call_command("load_specs", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


class Visitor:
    """A person at a browser: a page, sign-in, an accessibility check on every page."""

    def __init__(self, browser, base_url: str, name: str, width: int, height: int):
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.base_url = base_url
        self.name = name
        # Chromium reports everything the Content Security Policy blocks on the console.
        self.refused: list[str] = []
        self.page.on("console", self._note_refusal)

    def _note_refusal(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.refused.append(f"{self.page.url}: {message.text}")

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)
        self.check()

    def sign_in(self, username: str, password: str = "pw") -> None:
        self.go("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()
        self.check()

    def check(self) -> None:
        """Fail on anything the page's CSP refused, or a serious WCAG 2.2 AA violation."""
        assert not self.refused, "; ".join(self.refused)
        # Evaluated through the DevTools protocol: the page's CSP refuses inline <script> tags.
        self.page.evaluate(AXE.read_text())
        result = self.page.evaluate(
            "async () => await axe.run(document, {runOnly: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']})"
        )
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, f"{self.page.url}: " + "; ".join(bad)

    def shot(self, label: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.name}-{label}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visitor(browser, live_server):
    opened = []

    def open_as(name: str, width: int = 1280, height: int = 900) -> Visitor:
        person = Visitor(browser, live_server.url, name, width, height)
        opened.append(person)
        return person

    yield open_as
    for person in opened:
        person.close()
