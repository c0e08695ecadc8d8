"""Internal verification: samples of learner-units, checks of decisions, actions, sign-off."""

from django.conf import settings
from django.db import models
from django.template.defaultfilters import pluralize
from django.utils import timezone

from criteria.models import Unit
from tracker.models.assessment import Decision
from tracker.models.people import Enrolment, TeachingGroup


class Sample(models.Model):
    """An internal verifier's sample of one group's unit."""

    class Kind(models.TextChoices):
        INTERIM = "interim", "Interim (during the course)"
        SUMMATIVE = "summative", "Summative (unit complete)"

    group = models.ForeignKey(TeachingGroup, on_delete=models.CASCADE, related_name="samples")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="samples")
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="samples"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INTERIM)
    criteria = models.ManyToManyField(
        "criteria.Criterion",
        blank=True,
        related_name="+",
        help_text="An interim sample may check only these criteria; empty means all",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.group} unit {self.unit.number} ({self.get_kind_display()})"


class SampleItem(models.Model):
    """One learner-unit in a sample, with the verifier's judgement and sign-off."""

    class Judgement(models.TextChoices):
        NONE = "", "Not judged yet"
        AGREE = "agree", "Assessment agreed"
        DISAGREE = "disagree", "Assessment not agreed"

    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="items")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="iv_items")
    reason = models.CharField(max_length=300)
    included = models.BooleanField(default=True)
    note = models.CharField(max_length=300, blank=True, help_text="Why it was added or removed")
    judgement = models.CharField(max_length=10, choices=Judgement.choices, blank=True)
    comment = models.TextField(blank=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["sample", "enrolment__learner__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "enrolment"], name="once_per_sample"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} in {self.sample}"

    @property
    def progress_label(self) -> str:
        """Where verification of this learner-unit stands, in words: 'Signed off', the overall
        judgement once given, else how many decisions were checked ('13 decisions agreed,
        1 not agreed'), else 'Not verified yet'. Reads `agreed` and `disagreed` when a
        list annotated them (no query), else counts the checks (one query)."""
        if self.signed_off_at:
            return "Signed off"
        if self.judgement:
            return self.get_judgement_display()
        agreed = getattr(self, "agreed", None)
        disagreed = getattr(self, "disagreed", None)
        if agreed is None or disagreed is None:
            agrees = list(self.checks.values_list("agrees", flat=True))
            agreed, disagreed = agrees.count(True), agrees.count(False)
        if not agreed and not disagreed:
            return "Not verified yet"
        words = [f"{agreed} decision{pluralize(agreed)} agreed"] if agreed else []
        if disagreed:
            words.append(f"{disagreed} not agreed")
        return "Being verified: " + ", ".join(words)


class Check(models.Model):
    """The verifier's agreement (or not) with one assessment decision."""

    item = models.ForeignKey(SampleItem, on_delete=models.CASCADE, related_name="checks")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="iv_checks")
    agrees = models.BooleanField()
    comment = models.TextField(blank=True)
    checked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "decision"], name="one_check_per_decision"),
        ]

    def __str__(self) -> str:
        return f"{'agree' if self.agrees else 'disagree'}: {self.decision}"


class Action(models.Model):
    """What an assessor must do after a disagreement, by when, and how it ended."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        RESPONDED = "responded", "Responded, awaiting review"
        CLOSED = "closed", "Closed"

    item = models.ForeignKey(SampleItem, on_delete=models.CASCADE, related_name="actions")
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="iv_actions")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="iv_actions"
    )
    what = models.TextField()
    due_on = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    response = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.decision.item_code}: {self.what[:40]}"

    @property
    def state_label(self) -> str:
        """The state in words for lists: an open action is waiting for the assessor."""
        if self.state == Action.State.OPEN:
            return "Waiting for the assessor"
        return self.get_state_display()

    @property
    def is_overdue(self) -> bool:
        """Return whether the action is still open after its due date (the centre's today)."""
        return self.state != Action.State.CLOSED and self.due_on < timezone.localdate()


class Record(models.Model):
    """Every internal verification step, with who and when: the centre's audit trail."""

    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="records")
    item = models.ForeignKey(SampleItem, on_delete=models.CASCADE, null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    what = models.CharField(max_length=500)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.what
