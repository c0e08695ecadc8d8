"""Notifications: who is told about what, in the app and by email, and only once."""

import io
import logging
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_learner
from tracker.assessment.services import decision_for, record_decision
from tracker.evidence.services import Claim, submit_evidence
from tracker.models import Extension, Notification, NotificationSettings
from tracker.notifications import services
from tracker.reports.tasks import build_centre_export
from tracker.verification.services import close_action, respond, verify

Kind = Notification.Kind
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://tracker.school.example"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFICATION_DIGEST_HOUR = 7


def decide(cast, code="P1", status="achieved", feedback="Well explained."):
    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code=code))
    record_decision(decision, cast.teacher, status, feedback, decision.revision)
    return decision


def of(user, kind=None):
    found = Notification.objects.filter(recipient=user)
    return list(found.filter(kind=kind) if kind else found)


# Learners -----------------------------------------------------------------------------------


def test_a_decision_tells_the_learner_and_emails_them_once_saved(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(cast)
    (notification,) = of(cast.learner.user, Kind.DECISION)
    assert notification.text == "Teacher Staff marked P1 of Unit 30: achieved. Read the feedback."
    assert notification.link == reverse("learner_unit", args=[cast.enrolment.pk])
    (message,) = mail.outbox
    assert message.to == [cast.learner.user.email]
    assert message.subject == notification.text
    link = "https://tracker.school.example" + notification.link
    assert link in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and f'href="{link}"' in html
    assert "https://tracker.school.example/notifications/settings/" in message.body
    notification.refresh_from_db()
    assert notification.email_due is False and notification.emailed_at is not None


def test_one_transaction_of_decisions_makes_one_email(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        from django.db import transaction

        with transaction.atomic():
            for code in ("P1", "P2", "P3"):
                decide(cast, code)
    assert len(of(cast.learner.user, Kind.DECISION)) == 3
    (message,) = mail.outbox
    assert message.subject == "Coursework tracker: 3 new updates"


def test_decisions_saved_one_by_one_make_two_emails_not_one_each(
    cast, django_capture_on_commit_callbacks
):
    for code in ("P1", "P2", "P3", "P4"):
        # Each its own transaction, as bulk grid entry saves them.
        with django_capture_on_commit_callbacks(execute=True):
            decide(cast, code)
    (first,) = mail.outbox
    assert "P1" in first.subject
    later = timezone.now() + timedelta(minutes=2)
    assert services.send_waiting_emails(now=later) == 1
    rest = mail.outbox[1]
    assert rest.subject == "Coursework tracker: 3 new updates"
    assert all(f"marked {code}" in rest.body for code in ("P2", "P3", "P4"))


def test_an_unchanged_save_tells_nobody(cast):
    decision = decide(cast)
    record_decision(decision, cast.teacher, "achieved", "Well explained.", decision.revision)
    assert len(of(cast.learner.user, Kind.DECISION)) == 1


def test_a_learner_who_switched_decisions_off_is_not_emailed_but_still_told(
    cast, django_capture_on_commit_callbacks
):
    services.save_email_choices(cast.learner.user, [Kind.DEADLINE, Kind.EXTENSION])
    with django_capture_on_commit_callbacks(execute=True):
        decide(cast)
    assert len(of(cast.learner.user, Kind.DECISION)) == 1
    assert mail.outbox == []


def test_an_inactive_account_is_never_emailed(cast, django_capture_on_commit_callbacks):
    user = cast.learner.user
    user.is_active = False
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        decide(cast)
    assert mail.outbox == []


def test_an_extension_tells_the_learner(cast, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("teacher").post(
            reverse("extend", args=[cast.assignment.pk]),
            {"learner": cast.learner.pk, "deadline": "2027-08-20", "reason": "Illness"},
        )
    assert response.status_code == 302
    assert Extension.objects.filter(learner=cast.learner).exists()
    (notification,) = of(cast.learner.user, Kind.EXTENSION)
    assert "your deadline is now Friday 20 August 2027" in notification.text
    assert len(mail.outbox) == 1


# Deadline reminders (the housekeeping) ------------------------------------------------------


def due_in(cast, days: int):
    assignment = cast.assignment
    assignment.deadline = timezone.localdate() + timedelta(days=days)
    assignment.save()
    assignment.criteria.set(cast.unit30.criteria.filter(code__in=["P1", "P2"]))
    return assignment


def test_a_deadline_two_days_away_is_reminded_once(cast):
    due_in(cast, 2)
    assert services.remind_deadlines() == 1
    assert services.remind_deadlines() == 0  # the housekeeping runs every 5 minutes
    (notification,) = of(cast.learner.user, Kind.DEADLINE)
    # P1 is handed in (the cast's evidence): only P2 is still to do.
    assert notification.text.endswith("you still need to hand in P2.")
    (message,) = mail.outbox
    assert message.to == [cast.learner.user.email]


def test_no_reminder_when_everything_is_handed_in_or_too_far_away(cast):
    due_in(cast, 3)
    assert services.remind_deadlines() == 0
    due_in(cast, 2).criteria.set(cast.unit30.criteria.filter(code="P1"))
    assert services.remind_deadlines() == 0


def test_a_leaver_gets_no_reminder(cast):
    due_in(cast, 1)
    cast.learner.left_on = date(2026, 10, 1)
    cast.learner.save()
    assert services.remind_deadlines() == 0


def test_an_extension_moves_the_reminder(cast):
    assignment = due_in(cast, 1)
    Extension.objects.create(
        assignment=assignment,
        learner=cast.learner,
        deadline=timezone.localdate() + timedelta(days=10),
        granted_by=cast.teacher,
    )
    assert services.remind_deadlines() == 0
    later = timezone.localdate() + timedelta(days=9)
    assert services.remind_deadlines(today=later) == 1


# Teachers: the daily digest of work handed in -----------------------------------------------


def hand_in(cast, code="P2"):
    return submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(cast.unit30.criteria.get(code=code))],
        kind="observation",
        statement="Seen in class",
    )


def at(hour: int, day: int = 2) -> datetime:
    return datetime(2026, 12, day, hour, 0, tzinfo=LONDON)


def test_work_handed_in_tells_the_groups_teachers_and_waits_for_the_digest(cast):
    hand_in(cast)
    texts = [n.text for n in of(cast.teacher, Kind.EVIDENCE)]
    assert "Lara Learner handed in work for P2 of Unit 30." in texts
    assert of(cast.other_teacher) == []
    assert mail.outbox == []  # no email per file


def test_work_to_mark_stops_being_new_once_it_is_marked_from_any_page(cast):
    evidence = submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(cast.unit30.criteria.get(code="P2")), Claim(cast.unit30.criteria.get(code="P3"))],
        kind="observation",
        statement="Seen in class",
    )
    (waiting,) = [n for n in of(cast.teacher, Kind.EVIDENCE) if "P2, P3" in n.text]
    decide(cast, "P2")
    waiting.refresh_from_db()
    assert waiting.read_at is None  # P3 of the same hand-in still waits for marking
    decide(cast, "P3", status="not_yet", feedback="Add an example.")
    waiting.refresh_from_db()
    assert waiting.read_at is not None
    assert not waiting.email_due  # the daily digest leaves it out
    assert list(cast.teacher.notifications.filter(read_at__isnull=True, key=waiting.key)) == []
    assert waiting.key == services.evidence_key(evidence.pk)


def test_marking_other_work_leaves_a_hand_in_new(cast):
    hand_in(cast, "P2")
    decide(cast, "P3")
    (waiting,) = [n for n in of(cast.teacher, Kind.EVIDENCE) if "P2" in n.text]
    assert waiting.read_at is None


def test_the_digest_goes_once_a_day_after_the_digest_hour(cast):
    hand_in(cast)
    assert services.send_evidence_digests(now=at(6)) == 0
    assert services.send_evidence_digests(now=at(8)) == 1
    (digest,) = mail.outbox
    assert digest.to == [cast.teacher.email]
    assert digest.subject == "Work to mark: 2 hand-ins"  # the cast's P1 and this P2
    assert (
        "https://tracker.school.example"
        + reverse("mark", args=[cast.learner.pk, cast.enrolment.pk])
        in digest.body
    )
    hand_in(cast, "P3")
    assert services.send_evidence_digests(now=at(9)) == 0  # already one today
    assert services.send_evidence_digests(now=at(8, day=3)) == 1
    assert mail.outbox[1].subject == "Work to mark: 1 hand-in"
    assert services.send_evidence_digests(now=at(10, day=3)) == 0


def test_a_teacher_who_wants_no_digest_gets_none_and_it_does_not_pile_up(cast):
    services.save_email_choices(cast.teacher, [Kind.IV_ACTION])
    hand_in(cast)
    assert services.send_evidence_digests(now=at(8)) == 0
    assert mail.outbox == []
    assert not Notification.objects.filter(recipient=cast.teacher, email_due=True).exists()


def test_a_failed_digest_is_tried_again_and_logged(cast, caplog):
    with (
        mock.patch.object(services, "_email", side_effect=ConnectionRefusedError),
        caplog.at_level(logging.ERROR, logger="tracker.notifications"),
    ):
        assert services.send_evidence_digests(now=at(8)) == 0
    assert "Could not email" in caplog.text
    assert services.send_evidence_digests(now=at(9)) == 1


# Internal verification ----------------------------------------------------------------------


def test_actions_and_responses_go_to_the_right_people(cast):
    p1 = decide(cast, "P1")
    verify(
        cast.sample_item,
        cast.iv,
        {p1.pk: (False, "Not linked")},
        "",
        "",
        {p1.pk: ("Show where P1 is met", date(2027, 1, 15))},
    )
    (raised,) = of(cast.teacher, Kind.IV_ACTION)
    assert "Iv Staff raised an action on your decision on P1 for Lara Learner" in raised.text
    action = p1.iv_actions.get()
    respond(action, cast.teacher, "Linked page 3")
    (response,) = of(cast.iv, Kind.IV_RESPONSE)
    assert response.text.endswith("Linked page 3")
    assert response.link == reverse("iv_verify", args=[cast.sample_item.pk])
    close_action(action, cast.iv)
    closed, raised = of(cast.teacher, Kind.IV_ACTION)
    assert "closed the action" in closed.text
    assert closed.read_at is None
    assert raised.read_at is not None  # the action is done with: no longer new


def test_an_action_written_on_several_lines_still_makes_a_one_line_subject(cast):
    notification = services.notify(cast.teacher, Kind.IV_ACTION, "Link\nthe page\r\nplease")
    assert services.subject_for([notification]) == "Link the page please"


# Centre admins ------------------------------------------------------------------------------


def test_a_failed_export_tells_the_admin_once(cast):
    job = cast.export_job
    with (
        mock.patch("tracker.reports.tasks.write_workbook", side_effect=RuntimeError("disk")),
        pytest.raises(RuntimeError),
    ):
        build_centre_export.call(job.pk)
    (notification,) = of(cast.admin, Kind.FAILED_EXPORT)
    assert notification.link == reverse("export_job", args=[job.pk])
    assert services.notify_failed_exports() == 0


def test_an_export_the_housekeeping_marks_failed_is_told_too(cast):
    job = cast.export_job
    job.state, job.finished_at = "failed", timezone.now()
    job.save()
    assert services.notify_failed_exports() == 1
    assert services.notify_failed_exports() == 0
    assert len(of(cast.admin, Kind.FAILED_EXPORT)) == 1


# Never breaking the action ------------------------------------------------------------------


def test_a_broken_notification_never_undoes_the_decision(cast, caplog):
    with (
        mock.patch.object(services, "notify", side_effect=RuntimeError("boom")),
        caplog.at_level(logging.ERROR, logger="tracker.notifications"),
    ):
        decision = decide(cast)
    decision.refresh_from_db()
    assert decision.status == "achieved"
    assert "decision_recorded failed" in caplog.text


def test_a_mail_server_that_is_down_is_logged_and_retried(
    cast, caplog, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(services, "_email", side_effect=ConnectionRefusedError),
        caplog.at_level(logging.ERROR, logger="tracker.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        decide(cast)
    assert "Could not email" in caplog.text and mail.outbox == []
    later = timezone.now() + timedelta(minutes=5)
    assert services.send_waiting_emails(now=later) == 1
    assert services.send_waiting_emails(now=later) == 0
    assert len(mail.outbox) == 1


def test_the_housekeeping_runs_every_notification_job(cast):
    due_in(cast, 2)
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    assert "1 deadline reminder," in out.getvalue()
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    assert "0 deadline reminders," in out.getvalue()


# Pages --------------------------------------------------------------------------------------


def test_the_learner_home_shows_what_is_new_since_the_last_visit(cast, client_for):
    decide(cast)
    html = client_for("learner").get(reverse("learner_home")).content.decode()
    assert "New since your last visit" in html
    assert "Teacher Staff marked P1 of Unit 30: achieved" in html
    assert '<span class="visually-hidden"> new</span>' in html  # the navigation's badge


@pytest.mark.parametrize(
    ("role", "home"),
    [("teacher", "teacher_home"), ("iv", "iv_home"), ("admin", "centre:home")],
)
def test_every_home_shows_new_since_the_last_visit(cast, client_for, role, home):
    html = client_for(role).get(reverse(home)).content.decode()
    assert "New since your last visit" in html


def test_the_list_shows_only_ones_own_and_marks_all_read(cast, client_for):
    decide(cast)
    services.notify(cast.other_learner.user, Kind.DECISION, "Someone else's news")
    client = client_for("learner")
    html = client.get(reverse("notifications")).content.decode()
    assert "marked P1" in html and "Someone else" not in html
    newest = Notification.objects.filter(recipient=cast.learner.user).first()
    response = client.post(reverse("notifications_read"), {"up_to": newest.pk})
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=cast.learner.user, read_at=None).exists()
    assert Notification.objects.filter(recipient=cast.other_learner.user, read_at=None).exists()
    html = client.get(reverse("learner_home")).content.decode()
    assert "Nothing new." in html


def test_mark_all_read_leaves_what_arrived_after_the_page_was_shown(cast, client_for):
    decide(cast, "P1")
    shown = Notification.objects.filter(recipient=cast.learner.user).first()
    decide(cast, "P2")
    client_for("learner").post(reverse("notifications_read"), {"up_to": shown.pk})
    unread = Notification.objects.filter(recipient=cast.learner.user, read_at=None)
    assert [n.text[:25] for n in unread] == ["Teacher Staff marked P2 o"]


def test_the_settings_page_offers_each_role_its_own_kinds(cast, client_for):
    learner_page = client_for("learner").get(reverse("notification_settings")).content.decode()
    assert "my teacher marks my work" in learner_page and "hand in work" not in learner_page
    teacher_page = client_for("teacher").get(reverse("notification_settings")).content.decode()
    assert "hand in work" in teacher_page and "my teacher marks" not in teacher_page


def test_the_settings_page_saves_choices_for_the_person_only(cast, client_for):
    response = client_for("teacher").post(
        reverse("notification_settings"), {"email": [Kind.IV_ACTION]}
    )
    assert response.status_code == 302
    assert NotificationSettings.objects.get(user=cast.teacher).emails_off == [Kind.EVIDENCE]
    assert not NotificationSettings.objects.filter(user=cast.other_teacher).exists()
    page = client_for("teacher").get(reverse("notification_settings")).content.decode()
    assert 'value="iv_action" checked' in page.replace("\n", " ") or "checked" in page


def test_unticking_every_box_stops_every_email(cast, client_for):
    response = client_for("learner").post(reverse("notification_settings"), {})
    assert response.status_code == 302
    off = NotificationSettings.objects.get(user=cast.learner.user).emails_off
    assert sorted(off) == sorted([Kind.DECISION, Kind.DEADLINE, Kind.EXTENSION])


def test_a_kind_from_another_role_is_a_form_error(cast, client_for):
    response = client_for("learner").post(
        reverse("notification_settings"), {"email": [Kind.EVIDENCE]}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_navigation_badge_costs_the_same_whatever_the_number(cast, client_for):
    client = client_for("learner")
    url = reverse("notifications")
    decide(cast, "P1")
    few = count_queries(client, url)
    for code in ("P2", "P3", "P4", "P5", "P6", "P7"):
        decide(cast, code)
    make_learner(cast.centre, cast.group, "0003", "Ann", "Another")
    assert count_queries(client, url) == few


def test_a_digest_hour_that_is_not_an_hour_stops_start_up():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env={**os.environ, "NOTIFICATION_DIGEST_HOUR": "24"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "NOTIFICATION_DIGEST_HOUR=24 is not an hour (0-23)" in result.stderr
