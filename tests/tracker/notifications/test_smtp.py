"""End to end: a notification email reaches a real SMTP server on loopback (aiosmtpd)."""

import email
import socket
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse

from tracker.assessment.services import decision_for, record_decision


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """Start an SMTP server on a free loopback port and point Django's SMTP backend at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.EMAIL_TIMEOUT = 10
    yield inbox
    controller.stop()


def test_a_decision_email_arrives_at_a_real_smtp_server(
    cast, settings, smtp_server, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://tracker.school.example"
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code="P2"))
    with django_capture_on_commit_callbacks(execute=True):
        record_decision(decision, cast.teacher, "not_yet", "Add an example.", decision.revision)
    ((recipients, content),) = smtp_server.messages
    assert recipients == [cast.learner.user.email]
    message = email.message_from_bytes(content, policy=default_policy)
    assert (
        message["Subject"]
        == "Teacher Staff marked P2 of Unit 30: not yet achieved. Read the feedback."
    )
    assert message["To"] == cast.learner.user.email
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = "https://tracker.school.example" + reverse("learner_unit", args=[cast.enrolment.pk])
    assert link in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{link}"' in html
