"""Security headers, HTTPS settings, templates free of inline code, and `check --deploy`."""

import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

BASE_DIR = Path(django_settings.BASE_DIR)
SETTINGS_FILE = BASE_DIR / "tracker" / "settings.py"
TEMPLATE_DIRS = [BASE_DIR / "tracker" / "templates", BASE_DIR / "criteria" / "templates"]
HTTPS_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
]


def policy_of(response) -> dict[str, list[str]]:
    """Return the response's Content-Security-Policy as {directive: [sources]}."""
    parts = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return {name: sources for name, *sources in parts if name}


def settings_from_env(monkeypatch, **env: str) -> dict:
    """Run tracker/settings.py afresh with these environment variables; return its names."""
    for name in ["DEBUG", "HTTPS", "SECURE_COOKIES", "SECURE_HSTS_SECONDS", "DATABASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(50))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


@pytest.fixture
def https_on(settings, monkeypatch):
    """Apply the settings a deployment gets from HTTPS=true with DEBUG off."""
    production = settings_from_env(monkeypatch, DEBUG="false", HTTPS="true")
    for name in HTTPS_SETTINGS:
        setattr(settings, name, production[name])


def test_pages_carry_a_strict_content_security_policy(db, client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "unsafe" not in response["Content-Security-Policy"]


def test_pages_carry_the_other_security_headers(cast, client_for):
    response = client_for("teacher").get(reverse("home"), follow=True)
    assert response.status_code == 200
    assert "'unsafe-inline'" not in policy_of(response)["script-src"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(db, client):
    page = client.get(reverse("login")).content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false' in page
    assert '"allowEval": false' in page


def test_evidence_preview_keeps_its_own_stricter_policy(cast, client_for):
    response = client_for("teacher").get(
        reverse("download", args=[cast.evidence.pk]), {"preview": 1}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    policy = policy_of(response)
    assert policy["default-src"] == ["'none'"]
    assert "script-src" not in policy  # the site-wide policy did not replace it


def test_plain_http_is_redirected_to_https_when_https_is_on(https_on, client):
    response = client.get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"] == "https://testserver" + reverse("login")


def test_https_responses_carry_hsts(https_on, db, client):
    response = client.get(reverse("login"), secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_cookies_are_secure_over_https(https_on, cast):
    client = Client()
    page = client.get(reverse("login"), secure=True)
    assert page.cookies["csrftoken"]["secure"]
    response = client.post(
        reverse("login"),
        {"username": cast.teacher.username, "password": "pw"},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["secure"]
    assert session["httponly"]


def test_https_settings_follow_the_environment(monkeypatch):
    local = settings_from_env(monkeypatch, DEBUG="true")
    assert [local[name] for name in HTTPS_SETTINGS] == [False, 0, True, True, False, False]
    plain = settings_from_env(monkeypatch, DEBUG="false")
    assert plain["SECURE_SSL_REDIRECT"] is False
    assert plain["SECURE_HSTS_SECONDS"] == 0
    assert plain["SESSION_COOKIE_SECURE"] is True  # cookies stay secure with DEBUG off
    trial = settings_from_env(monkeypatch, HTTPS="true", SECURE_HSTS_SECONDS="300")
    assert trial["SECURE_SSL_REDIRECT"] is True
    assert trial["SECURE_HSTS_SECONDS"] == 300


# Anything the Content Security Policy refuses: inline scripts (a <script> without src, other
# than JSON data), inline styles, on* event attributes, hx-on (htmx evaluates it as code) and
# javascript: URLs.
INLINE_CODE = [
    (
        "inline <script>",
        re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    ),
    ("<style> element", re.compile(r"<style\b", re.I)),
    ("style attribute", re.compile(r"[\s\"'](style)\s*=", re.I)),
    ("event handler attribute", re.compile(r"\s(on[a-z]+)\s*=", re.I)),
    ("hx-on attribute", re.compile(r"hx-on", re.I)),
    ("javascript: URL", re.compile(r"javascript:", re.I)),
]
TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)


def inline_code_in(template: str) -> list[str]:
    """Return what the Content Security Policy would refuse in a template's source."""
    source = TEMPLATE_COMMENT.sub("", template)
    return [
        f"{what} at line {source.count(chr(10), 0, match.start()) + 1}"
        for what, pattern in INLINE_CODE
        for match in pattern.finditer(source)
    ]


def all_templates() -> list[Path]:
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))


def test_the_template_scan_finds_inline_code():
    assert inline_code_in('<div style="width: 5%">') == ["style attribute at line 1"]
    assert inline_code_in("<script>alert(1)</script>") == ["inline <script> at line 1"]
    assert inline_code_in('<button onclick="go()">') == ["event handler attribute at line 1"]
    assert inline_code_in('<form hx-on:submit="x()">') == ["hx-on attribute at line 1"]
    assert inline_code_in("<style>p {}</style>") == ["<style> element at line 1"]
    assert inline_code_in('<a href="javascript:go()">') == ["javascript: URL at line 1"]
    assert inline_code_in('{# a <style> note #}<script src="/s.js"></script>') == []
    assert inline_code_in('<script id="d" type="application/json">{}</script>') == []


@pytest.mark.parametrize("path", all_templates(), ids=lambda path: path.name)
def test_templates_have_no_inline_code(path):
    assert inline_code_in(path.read_text()) == []


def test_every_progress_bar_width_has_a_class():
    stylesheet = (BASE_DIR / "tracker" / "static" / "tracker" / "site.css").read_text()
    for percent in range(101):
        assert f".pct-{percent} {{ width: {percent}%; }}" in stylesheet


def deploy_check(tmp_path, **extra: str) -> subprocess.CompletedProcess:
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "ALLOWED_HOSTS": "tracker.example.org",
        **extra,
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = deploy_check(tmp_path, HTTPS="true")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_warns_when_https_is_left_off(tmp_path):
    result = deploy_check(tmp_path)
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W008" in result.stderr  # no redirect to HTTPS
