"""What each person is told about: in the app always, by email as they choose."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    """One thing a person is told about, shown in the app until they mark it read.

    `email_due` is set when the person wants this kind by email and it has not been sent
    yet: events are emailed as they happen, new evidence in a daily digest and deadline
    reminders by the housekeeping. `key` names a notification that must exist only once
    per person (a deadline reminder, a failed export); it is blank for ordinary events.
    """

    class Kind(models.TextChoices):
        DECISION = "decision", "Marking and feedback"
        DEADLINE = "deadline", "Deadline soon"
        EXTENSION = "extension", "Extension"
        EVIDENCE = "evidence", "Work to mark"
        IV_ACTION = "iv_action", "Internal verification action"
        IV_RESPONSE = "iv_response", "Assessor's response"
        FAILED_EXPORT = "failed_export", "Failed export"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=300, blank=True, help_text="A path on this site")
    key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_due = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notification_once"
            ),
        ]
        indexes = [
            # The navigation's count of unread notifications, on every page.
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # What the housekeeping still has to email.
            models.Index(fields=["email_due", "kind"], name="notification_email_due"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.text}"


class NotificationSettings(models.Model):
    """A person's email choices; without a row every kind is emailed.

    `emails_off` lists the kinds (Notification.Kind values) the person does not want by
    email; `digest_sent_on` is the local day their last evidence digest went out, so the
    housekeeping sends at most one a day however often it runs.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    emails_off = models.JSONField(default=list, blank=True)
    digest_sent_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Email choices of {self.user}"

    def wants_email(self, kind: str) -> bool:
        return kind not in self.emails_off
