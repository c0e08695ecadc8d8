"""Telling people what needs them: notifications in the app, and the emails they choose.

Each domain service calls one hook here at the moment its event happens (a decision is
recorded, work is handed in, an extension is granted, an internal verifier raises or closes
an action, an assessor responds, an export fails). A hook never breaks the action that
called it: it works in its own savepoint, and a failure is logged with its traceback
(logger `tracker.notifications`) and the action carries on.

Who is told what (DESIGN, notifications; issue 17):
- learners: a decision or feedback on their work, an extension, a deadline in two days;
- teachers: work handed in by their groups' learners (emailed as one daily digest), and
  internal verification actions raised or closed on their decisions;
- internal verifiers: assessors' responses to their actions;
- centre admins: a whole-centre export that failed.

In the app every notification shows; by email only the kinds the person keeps switched on
(`NotificationSettings`), and never to an inactive account or a learner who has left.
Links in emails are built from the SITE_URL setting, never from a request's host.
"""

import contextlib
import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tracker.models import (
    Action,
    Assignment,
    Decision,
    Evidence,
    EvidenceLink,
    ExportJob,
    Extension,
    Learner,
    Notification,
    NotificationSettings,
    Status,
    User,
)
from tracker.models.assessment import LINK_ORDER

log = logging.getLogger("tracker.notifications")
Kind = Notification.Kind

# Emailed as soon as the action that raised them is saved; the others wait for the
# housekeeping (the evidence digest once a day, deadline reminders when they fall due).
IMMEDIATE = (Kind.DECISION, Kind.EXTENSION, Kind.IV_ACTION, Kind.IV_RESPONSE, Kind.FAILED_EXPORT)
# An event email that could not be sent is tried again by the housekeeping for this long.
RETRY_FOR = timedelta(days=1)
# Someone emailed less than this long ago gets further events from the housekeeping's next
# run, gathered in one email: a teacher setting a whole grid column at once (each cell
# saved on its own) sends a learner two emails, not one per cell.
EMAIL_PAUSE = timedelta(minutes=10)
# How far ahead a deadline reminder is given ("a deadline in two days").
REMINDER_DAYS = 2

# Set while the demo centre is seeded: its learners get notifications in the app, no emails.
_quiet: ContextVar[bool] = ContextVar("quiet_notifications", default=False)

# The settings page's choices, by role, in the words of "Email me when…".
EMAIL_CHOICES = {
    Kind.DECISION: "my teacher marks my work or gives me feedback",
    Kind.DEADLINE: "a deadline is two days away (one reminder per deadline)",
    Kind.EXTENSION: "I am given an extension",
    Kind.EVIDENCE: "learners in my groups hand in work (one email a day listing it all)",
    Kind.IV_ACTION: "an internal verifier raises or closes an action on my decisions",
    Kind.IV_RESPONSE: "an assessor responds to an action I raised",
    Kind.FAILED_EXPORT: "a whole-centre export I asked for fails",
}


def kinds_for(user: User) -> list[str]:
    """Return the kinds a person can be sent, from their roles, in the order of EMAIL_CHOICES."""
    kinds = set()
    if Learner.objects.filter(user=user).exists():
        kinds |= {Kind.DECISION, Kind.DEADLINE, Kind.EXTENSION}
    if user.is_teacher:
        kinds |= {Kind.EVIDENCE, Kind.IV_ACTION}
    if user.is_internal_verifier:
        kinds.add(Kind.IV_RESPONSE)
    if user.is_centre_admin:
        kinds.add(Kind.FAILED_EXPORT)
    return [kind for kind in EMAIL_CHOICES if kind in kinds]


def settings_for(user: User) -> NotificationSettings:
    """Return the person's email choices (an unsaved default when they never chose)."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


def save_email_choices(user: User, wanted: Iterable[str]) -> NotificationSettings:
    """Keep emailing the kinds in `wanted` of those the person can be sent; stop the rest.

    Kinds outside the person's roles keep their earlier choice, so a role given back later
    finds it as it was.
    """
    choices = settings_for(user)
    offered = set(kinds_for(user))
    kept_off = set(choices.emails_off) - offered
    choices.emails_off = sorted(kept_off | (offered - set(wanted)))
    choices.save()
    return choices


@contextlib.contextmanager
def quietly() -> Iterator[None]:
    """Create notifications in the app only, emailing none (seeding the demo centre)."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def may_email(user: User) -> bool:
    """Return whether the person can be emailed at all: an active account with an address,
    and not a learner who has left (their account is read-only)."""
    if not user.is_active or not user.email:
        return False
    learner = Learner.objects.filter(user=user).only("left_on").first()
    return learner is None or learner.left_on is None


def guarded(hook: Callable) -> Callable:
    """Run a hook in its own savepoint; log and swallow any failure so that the action
    that called it is never undone by a notification."""

    @functools.wraps(hook)
    def run(*args, **kwargs) -> None:
        try:
            with transaction.atomic():
                hook(*args, **kwargs)
        except Exception:
            log.exception("Notification %s failed; the action itself went ahead", hook.__name__)

    return run


def notify(
    recipient: User | None, kind: str, text: str, link: str = "", key: str = ""
) -> Notification | None:
    """Create one notification (and none twice for the same `key`); return it, or None
    when there is no one to tell or it already exists.

    An event kind the person wants by email is sent once the surrounding transaction
    commits; the housekeeping sends the rest.
    """
    if recipient is None or not recipient.is_active:
        return None
    wanted = not _quiet.get() and settings_for(recipient).wants_email(kind) and may_email(recipient)
    fields = {"kind": kind, "text": text[:300], "link": link, "email_due": wanted}
    if key:
        notification, created = Notification.objects.get_or_create(
            recipient=recipient, key=key, defaults=fields
        )
        if not created:
            return None
    else:
        notification = Notification.objects.create(recipient=recipient, **fields)
    if wanted and kind in IMMEDIATE:
        transaction.on_commit(functools.partial(send_now, [notification.pk]))
    return notification


def day(when: date) -> str:
    """Return a date as people write it: "Friday 4 June 2027"."""
    return f"{when:%A} {when.day} {when:%B %Y}"


# The hooks the domain services call -------------------------------------------------------


@guarded
def decision_recorded(decision: Decision) -> None:
    """Tell the learner their teacher decided a criterion (with feedback, if any)."""
    learner = decision.enrolment.learner
    if learner.left_on is not None or learner.user_id is None:
        return
    words = Status(decision.status).label.lower()
    text = (
        f"{decision.assessor} marked {decision.item_code} of Unit "
        f"{decision.enrolment.unit.number}: {words}"
        + (". Read the feedback." if decision.feedback else ".")
    )
    link = reverse("learner_unit", args=[decision.enrolment_id])
    notify(learner.user, Kind.DECISION, text, link)


@guarded
def evidence_handed_in(evidence: Evidence) -> None:
    """Tell the teachers of the learner's group that work is waiting (emailed daily)."""
    enrolment = evidence.enrolment
    learner = enrolment.learner
    if learner.group_id is None:
        return
    links = evidence.links.select_related("criterion", "topic").order_by(*LINK_ORDER)
    codes = ", ".join((link.criterion or link.topic).code for link in links)
    text = f"{learner.full_name} handed in work for {codes} of Unit {enrolment.unit.number}."
    link = reverse("mark", args=[learner.pk, enrolment.pk])
    for teacher in learner.group.teachers.exclude(pk=evidence.uploaded_by_id):
        notify(teacher, Kind.EVIDENCE, text, link, key=evidence_key(evidence.pk))


def evidence_key(evidence_id: int) -> str:
    """The key of the "work to mark" notification about one hand-in (one per teacher)."""
    return f"evidence:{evidence_id}"


def action_key(action_id: int) -> str:
    """The key of the notification telling an assessor an action was raised (one per action)."""
    return f"iv-action:{action_id}"


@guarded
def work_assessed(decision: Decision) -> None:
    """Mark read the "work to mark" notifications about hand-ins that are now assessed.

    A hand-in is assessed once every criterion or topic it was handed in for has a decision
    (achieved or not yet achieved) made on it, by anyone and from any page: every decision
    goes through `record_decision`, which calls this. The notification is marked read and
    left out of the daily digest. At most four queries, whatever the size
    of the centre; the navigation's unread count stays one query.
    """
    # The decision's evidence ids first, then their links by id: a plain index lookup each
    # (PostgreSQL planned the single IN-subquery form as a scan of every link).
    evidence_ids = list(decision.evidence.values_list("pk", flat=True))
    if not evidence_ids:
        return
    handed_in = {}
    for link in EvidenceLink.objects.filter(evidence_id__in=evidence_ids).values_list(
        "evidence_id", "criterion_id", "topic_id"
    ):
        handed_in.setdefault(link[0], set()).add(link[1:])
    decided = defaultdict(set)
    for evidence_id, criterion_id, topic_id in Decision.objects.filter(
        enrolment_id=decision.enrolment_id,
        status__in=(Status.ACHIEVED, Status.NOT_YET),
        evidence__in=list(handed_in),
    ).values_list("evidence", "criterion_id", "topic_id"):
        decided[evidence_id].add((criterion_id, topic_id))
    keys = [evidence_key(pk) for pk, items in handed_in.items() if items <= decided[pk]]
    if not keys:
        return
    # Nor is it emailed in the next digest: it needs nobody any more.
    Notification.objects.filter(kind=Kind.EVIDENCE, key__in=keys, read_at__isnull=True).update(
        read_at=timezone.now(), email_due=False
    )


@guarded
def extension_granted(extension: Extension) -> None:
    """Tell the learner their new deadline for an assignment."""
    learner = extension.learner
    if learner.left_on is not None:
        return
    assignment = extension.assignment
    text = (
        f"You have an extension for {assignment.title} (Unit {assignment.unit.number}): "
        f"your deadline is now {day(extension.deadline)}."
    )
    notify(learner.user, Kind.EXTENSION, text, reverse("learner_home"))


@guarded
def action_raised(action: Action) -> None:
    """Tell the assessor an internal verifier wants something done about their decision."""
    enrolment = action.item.enrolment
    text = (
        f"{action.item.sample.verifier} raised an action on your decision on "
        f"{action.decision.item_code} for {enrolment.learner.full_name} (Unit "
        f"{enrolment.unit.number}), due {day(action.due_on)}: {action.what}"
    )
    notify(
        action.assessor, Kind.IV_ACTION, text, reverse("teacher_home"), key=action_key(action.pk)
    )


@guarded
def action_responded(action: Action) -> None:
    """Tell the internal verifier the assessor says what they did about an action."""
    text = (
        f"{action.assessor} responded to your action on {action.decision.item_code} for "
        f"{action.item.enrolment.learner.full_name}: {action.response}"
    )
    link = reverse("iv_verify", args=[action.item_id])
    notify(action.item.sample.verifier, Kind.IV_RESPONSE, text, link)


@guarded
def action_closed(action: Action) -> None:
    """Tell the assessor the internal verifier closed the action on their decision."""
    text = (
        f"{action.item.sample.verifier} closed the action on your decision on "
        f"{action.decision.item_code} for {action.item.enrolment.learner.full_name}."
    )
    # The action is done with: its "raised" notification is no longer news.
    Notification.objects.filter(
        recipient_id=action.assessor_id, key=action_key(action.pk), read_at__isnull=True
    ).update(read_at=timezone.now())
    notify(action.assessor, Kind.IV_ACTION, text, reverse("teacher_home"))


@guarded
def export_failed(job: ExportJob) -> None:
    """Tell the centre admin who asked for a whole-centre export that it failed (once)."""
    started = timezone.localtime(job.created_at)
    text = (
        f"The whole-centre export you asked for on {day(started)} at {started:%H:%M} failed. "
        "Open it to try again."
    )
    link = reverse("export_job", args=[job.pk])
    notify(job.requested_by, Kind.FAILED_EXPORT, text, link, key=f"export-failed:{job.pk}")


# Emails -------------------------------------------------------------------------------------


def site_link(path: str) -> str:
    """Return the full address of a path of the site, from SITE_URL (never a request)."""
    return settings.SITE_URL + path if path else settings.SITE_URL + "/"


def _claim(notifications) -> list[Notification]:
    """Mark notifications as emailed and return those this call claimed: two housekeeping
    runs (or a run and a request) never email the same one twice."""
    claimed = []
    now = timezone.now()
    for notification in notifications:
        won = Notification.objects.filter(pk=notification.pk, email_due=True).update(
            email_due=False, emailed_at=now
        )
        if won:
            claimed.append(notification)
    return claimed


def _release(notifications: list[Notification]) -> None:
    """Put back notifications whose email failed, for the housekeeping to try again."""
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
        email_due=True, emailed_at=None
    )


def _email(user: User, subject: str, template: str, context: dict) -> None:
    context = {
        "user": user,
        "site_url": settings.SITE_URL,
        "settings_link": site_link(reverse("notification_settings")),
        "list_link": site_link(reverse("notifications")),
        **context,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"tracker/notifications/email/{template}.txt", context),
        to=[user.email],
    )
    message.attach_alternative(
        render_to_string(f"tracker/notifications/email/{template}.html", context), "text/html"
    )
    message.send()


def email_notifications(user: User, notifications: list[Notification], subject: str) -> bool:
    """Email a person the notifications they still want, in one message; return whether it
    was sent. Those no longer wanted (switched off since, or the person left) are marked
    done unsent; on a failure the claimed ones are put back and the error is logged."""
    choices = settings_for(user)
    reachable = may_email(user)
    wanted = [n for n in notifications if reachable and choices.wants_email(n.kind)]
    unwanted = [n.pk for n in notifications if n not in wanted]
    Notification.objects.filter(pk__in=unwanted).update(email_due=False)
    claimed = _claim(wanted)
    if not claimed:
        return False
    items = [(n, site_link(n.link)) for n in claimed]
    try:
        _email(user, subject, "notifications", {"items": items})
    except Exception:
        log.exception("Could not email %s to %s; it will be tried again", subject, user)
        _release(claimed)
        return False
    return True


def subject_for(notifications: list[Notification]) -> str:
    """Return an email's subject: the one notification's text on one line when it is short,
    otherwise its kind or how many there are (a header never holds a line break)."""
    if len(notifications) == 1:
        text = " ".join(notifications[0].text.split())
        if len(text) <= 120:
            return text
        return f"Coursework tracker: {notifications[0].get_kind_display()}"
    return f"Coursework tracker: {len(notifications)} new updates"


def send_now(ids: list[int]) -> int:
    """Email the given notifications, one message per person, together with anything else
    still due for those people (several decisions saved in one transaction make one email);
    return messages sent. Called once the action that raised them is saved; never raises."""
    try:
        people = Notification.objects.filter(pk__in=ids).values("recipient")
        just_emailed = Notification.objects.filter(
            recipient__in=people, emailed_at__gte=timezone.now() - EMAIL_PAUSE
        ).values("recipient")
        due = Notification.objects.exclude(recipient__in=just_emailed).filter(
            Q(pk__in=ids) | Q(kind__in=IMMEDIATE, created_at__gte=timezone.now() - RETRY_FOR),
            recipient__in=people,
            email_due=True,
        )
        return _send_grouped(due)
    except Exception:
        log.exception("Could not email notifications %s; they will be tried again", ids)
        return 0


def _send_grouped(notifications) -> int:
    by_person = defaultdict(list)
    for notification in notifications.select_related("recipient").order_by("created_at", "pk"):
        by_person[notification.recipient].append(notification)
    sent = 0
    for person, items in by_person.items():
        sent += email_notifications(person, items, subject_for(items))
    return sent


# The housekeeping's jobs --------------------------------------------------------------------


def send_waiting_emails(now=None) -> int:
    """Email event notifications that could not be sent at the time (a mail server that was
    down), for up to RETRY_FOR; return messages sent. Those younger than a minute are left
    to the request that raised them."""
    now = now or timezone.now()
    due = Notification.objects.filter(
        email_due=True,
        kind__in=IMMEDIATE,
        created_at__lt=now - timedelta(minutes=1),
        created_at__gte=now - RETRY_FOR,
    )
    return _send_grouped(due)


def send_evidence_digests(now=None) -> int:
    """Email each teacher one digest of the work handed in since their last one, at most
    once a local day and not before NOTIFICATION_DIGEST_HOUR; return digests sent.

    The day is claimed on the teacher's settings row before anything is sent, so a second
    housekeeping run the same day (or one running at the same moment) sends nothing.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < settings.NOTIFICATION_DIGEST_HOUR:
        return 0
    today = local.date()
    waiting = Notification.objects.filter(email_due=True, kind=Kind.EVIDENCE, created_at__lte=now)
    sent = 0
    for teacher in User.objects.filter(pk__in=waiting.values("recipient")):
        NotificationSettings.objects.get_or_create(user=teacher)
        claimed_day = (
            NotificationSettings.objects.filter(user=teacher)
            .filter(Q(digest_sent_on__isnull=True) | Q(digest_sent_on__lt=today))
            .update(digest_sent_on=today)
        )
        if not claimed_day:
            continue
        items = list(waiting.filter(recipient=teacher).order_by("created_at", "pk"))
        subject = f"Work to mark: {len(items)} hand-in{'s' if len(items) != 1 else ''}"
        if email_notifications(teacher, items, subject):
            sent += 1
        else:
            # Nothing went out (switched off, or the mail server failed): free the day.
            NotificationSettings.objects.filter(user=teacher).update(digest_sent_on=None)
    return sent


def remind_deadlines(today: date | None = None) -> int:
    """Remind learners of a deadline (theirs, with any extension) due within REMINDER_DAYS
    when they still have work of it to hand in; return reminders made. Each deadline is
    reminded once per learner (a later extension is a new deadline, reminded again).
    Leavers and inactive accounts are left out."""
    today = today or timezone.localdate()
    window = (today, today + timedelta(days=REMINDER_DAYS))
    assignments = (
        Assignment.objects.filter(Q(deadline__range=window) | Q(extensions__deadline__range=window))
        .distinct()
        .select_related("unit")
        .prefetch_related("criteria", "extensions")
    )
    made = []
    for assignment in assignments:
        extended = {e.learner_id: e.deadline for e in assignment.extensions.all()}
        learners = Learner.objects.current().filter(
            group_id=assignment.group_id, user__isnull=False, user__is_active=True
        )
        criteria = {c.pk: c.code for c in assignment.criteria.all()}
        done = set(
            Decision.objects.filter(
                enrolment__learner__in=learners,
                enrolment__unit_id=assignment.unit_id,
                criterion_id__in=criteria,
                status__in=[Status.SUBMITTED, Status.ACHIEVED],
            ).values_list("enrolment__learner_id", "criterion_id")
        )
        for learner in learners.select_related("user"):
            deadline = extended.get(learner.pk, assignment.deadline)
            still = [code for pk, code in criteria.items() if (learner.pk, pk) not in done]
            if not window[0] <= deadline <= window[1] or (criteria and not still):
                continue
            made += _reminder(learner, assignment, deadline, still)
    if made:
        send_now([n.pk for n in made])
    return len(made)


def _reminder(learner: Learner, assignment: Assignment, deadline: date, still: list[str]):
    when = "today" if deadline == timezone.localdate() else f"on {day(deadline)}"
    text = f"{assignment.title} (Unit {assignment.unit.number}) is due {when}" + (
        f": you still need to hand in {', '.join(still)}." if still else "."
    )
    notification = notify(
        learner.user,
        Kind.DEADLINE,
        text,
        reverse("learner_home"),
        key=f"deadline:{assignment.pk}:{deadline:%Y-%m-%d}",
    )
    return [notification] if notification and notification.email_due else []


def notify_failed_exports(now=None) -> int:
    """Tell centre admins about exports that failed in the last day without a worker to say
    so (the housekeeping marks those failed); each export is told once. Return how many."""
    now = now or timezone.now()
    failed = ExportJob.objects.filter(
        state=ExportJob.State.FAILED, finished_at__gte=now - RETRY_FOR
    ).select_related("requested_by")
    told = set(
        Notification.objects.filter(
            key__in=[f"export-failed:{job.pk}" for job in failed]
        ).values_list("key", flat=True)
    )
    fresh = [job for job in failed if f"export-failed:{job.pk}" not in told]
    for job in fresh:
        export_failed(job)
    return len(fresh)


def mark_all_read(user: User, up_to: int | None = None) -> int:
    """Mark the person's unread notifications read (only those up to id `up_to`, the newest
    their page showed, when given); return how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if up_to is not None:
        unread = unread.filter(pk__lte=up_to)
    return unread.update(read_at=timezone.now())
