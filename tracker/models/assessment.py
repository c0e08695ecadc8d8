"""Evidence, criterion decisions with their history, assignments, predictions and exam marks."""

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.formats import date_format

from criteria.models import Criterion, ExamSeries, TopicItem, Unit, item_key
from tracker.lib.uploads import PREVIEWABLE, extension_of
from tracker.models.people import TARGET_GRADES, Enrolment, Learner, TeachingGroup


def evidence_path(instance: "Evidence", filename: str) -> str:
    """Return a random storage name: never the learner's file name or a path built from it."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"evidence/{secrets.token_hex(2)}/{secrets.token_urlsafe(24)}{suffix}"


class EvidenceQuerySet(models.QuerySet):
    def for_user(self, user) -> "EvidenceQuerySet":
        return self.filter(enrolment__learner__in=Learner.objects.for_user(user))

    def current(self) -> "EvidenceQuerySet":
        """Return evidence that counts: not withdrawn and not replaced by a newer version."""
        return self.filter(withdrawn_at__isnull=True, replaced_by__isnull=True)

    def covering(self, decision: "Decision") -> "EvidenceQuerySet":
        """Return the learner's evidence claimed against the decision's criterion or topic."""
        return self.filter(
            enrolment_id=decision.enrolment_id,
            links__criterion_id=decision.criterion_id,
            links__topic_id=decision.topic_id,
        ).distinct()


class Evidence(models.Model):
    class Kind(models.TextChoices):
        UPLOAD = "upload", "File from the learner"
        OBSERVATION = "observation", "Observation record"
        WITNESS = "witness", "Witness testimony"
        RECORDING = "recording", "Recording of a presentation"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.UPLOAD)
    file = models.FileField(upload_to=evidence_path, blank=True, max_length=200)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    note = models.TextField(blank=True)
    statement = models.TextField(blank=True, help_text="Observation or witness statement")
    declared_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    version = models.PositiveSmallIntegerField(default=1)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # The one-time token of the form that handed this in: the same form sent twice (a double
    # tap) finds the evidence it already made instead of making another. NULL when there is
    # none (unique: many rows may have no token).
    form_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.original_name or self.get_kind_display()

    @property
    def title(self) -> str:
        version = f" (version {self.version})" if self.version > 1 else ""
        return f"{self.original_name or self.get_kind_display()}{version}"

    @property
    def is_assessed(self) -> bool:
        """Return whether a decision relying on this evidence has been made (prefetch
        `decisions` when listing many)."""
        return any(decision.is_assessed for decision in self.decisions.all())

    @property
    def is_previewable(self) -> bool:
        """Return whether the file may open in the browser (PDF and images; the rest download)."""
        return bool(self.file) and extension_of(self.original_name) in PREVIEWABLE


# Catalogue order for an evidence's links: criteria as the unit lists them (P1, P2, … M1),
# topics by learning outcome then their order. Without it, PostgreSQL returns links in any
# order and the codes named to people would change from one page load to the next.
LINK_ORDER = ("criterion__order", "topic__learning_outcome__number", "topic__order", "pk")


class EvidenceLink(models.Model):
    """Evidence claimed against one criterion or topic item, with a page or location."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="links")
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence_links"
    )
    topic = models.ForeignKey(
        TopicItem, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence_links"
    )
    location = models.CharField(max_length=120, blank=True, help_text="e.g. pages 3-4")
    due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="End of the criterion's deadline day when it was handed in (none: no deadline)",
    )
    late_by = models.DurationField(
        null=True, blank=True, help_text="How long after the deadline it was handed in"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(criterion__isnull=False, topic__isnull=True)
                | Q(criterion__isnull=True, topic__isnull=False),
                name="link_to_criterion_or_topic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evidence} → {self.criterion or self.topic}"

    @property
    def item_key(self) -> str:
        return item_key(criterion_id=self.criterion_id, topic_id=self.topic_id)

    @property
    def days_late(self) -> int:
        """Calendar days (site time zone) from the deadline day to the hand-in day; 0 when
        on time or without a deadline. Stored by `tracker.assessment.deadlines` rules."""
        if self.late_by is None or self.due_at is None:
            return 0
        due = timezone.localdate(self.due_at)
        return max(1, (timezone.localdate(self.due_at + self.late_by) - due).days)

    @property
    def lateness(self) -> str:
        """'Handed in 3 days late (deadline 12 March)', or '' when on time."""
        days = self.days_late
        if not days:
            return ""
        deadline = date_format(timezone.localtime(self.due_at), "j F")
        return f"Handed in {days} day{pluralize(days)} late (deadline {deadline})"


class Status(models.TextChoices):
    """Where a learner stands on one criterion: the one vocabulary for every page and workbook.

    `label` is the full wording, `short` the symbol for tight spaces (never colour alone),
    `css_class` the class pages colour it with.
    """

    NOT_STARTED = "not_started", "Not started"
    SUBMITTED = "submitted", "Submitted"
    ACHIEVED = "achieved", "Achieved"
    NOT_YET = "not_yet", "Not yet achieved"

    @property
    def short(self) -> str:
        return STATUS_SYMBOLS[self.value]

    @property
    def css_class(self) -> str:
        return f"status-{self.value}"

    @property
    def badge(self) -> str:
        """Return the symbol and the label together, as status badges show them."""
        return f"{self.short} {self.label}"

    @property
    def is_assessed(self) -> bool:
        """Return whether an assessor has decided (achieved or not yet achieved)."""
        return self.value in (Status.ACHIEVED, Status.NOT_YET)


STATUS_SYMBOLS = {"not_started": "○", "submitted": "●", "achieved": "✓", "not_yet": "✗"}


class DecisionQuerySet(models.QuerySet):
    def for_user(self, user) -> "DecisionQuerySet":
        return self.filter(enrolment__learner__in=Learner.objects.for_user(user))

    def awaiting_assessment(self) -> "DecisionQuerySet":
        return self.filter(status=Status.SUBMITTED)


class Decision(models.Model):
    """The assessment decision for one learner on one criterion (or topic item)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="decisions")
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    topic = models.ForeignKey(
        TopicItem, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    feedback = models.TextField(blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="decisions")
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times this criterion has been assessed"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    resubmission_authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resubmission_authorised_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0, help_text="Bumped on every save")
    updated_at = models.DateTimeField(auto_now=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["enrolment", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "criterion"],
                condition=Q(criterion__isnull=False),
                name="one_decision_per_criterion",
            ),
            models.UniqueConstraint(
                fields=["enrolment", "topic"],
                condition=Q(topic__isnull=False),
                name="one_decision_per_topic",
            ),
            models.CheckConstraint(
                condition=Q(criterion__isnull=False, topic__isnull=True)
                | Q(criterion__isnull=True, topic__isnull=False),
                name="decision_on_criterion_or_topic",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            # Decisions in a state for given learner-units, read from the index alone: the
            # marking queue, what is done and the grades counted for dashboards.
            models.Index(
                fields=["status", "enrolment", "criterion", "topic"],
                name="decision_status_enrolment",
            ),
            # One assessor's decisions per learner-unit: the internal verification report.
            models.Index(fields=["assessor", "enrolment"], name="decision_assessor_enrolment"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment.learner} {self.item_code}: {self.get_status_display()}"

    @property
    def item_code(self) -> str:
        return self.criterion.code if self.criterion_id else self.topic.code

    @property
    def is_assessed(self) -> bool:
        """Return whether an assessor has decided (achieved or not yet achieved)."""
        return Status(self.status).is_assessed


class DecisionChange(models.Model):
    """One change of a decision: kept for ever, never edited."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    old_status = models.CharField(max_length=12, choices=Status.choices)
    new_status = models.CharField(max_length=12, choices=Status.choices)
    feedback = models.TextField(blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.old_status} → {self.new_status}"


class Assignment(models.Model):
    group = models.ForeignKey(TeachingGroup, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments")
    title = models.CharField(max_length=200)
    criteria = models.ManyToManyField(Criterion, blank=True, related_name="assignments")
    brief = models.TextField(blank=True)
    issued_on = models.DateField()
    deadline = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["deadline", "title"]
        # A group's assignments on its units, found without reading every centre's
        # assignments on the same unit (the unit index alone did that).
        indexes = [models.Index(fields=["group", "unit", "deadline"], name="assignment_group_unit")]

    def __str__(self) -> str:
        return self.title


class Extension(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="extensions")
    deadline = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "learner"], name="one_extension"),
        ]

    def __str__(self) -> str:
        return f"{self.learner}: {self.assignment} until {self.deadline}"


class Prediction(models.Model):
    """A teacher's predicted grade; the newest is current, the rest is history."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="predictions")
    grade = models.CharField(max_length=1, choices=[("U", "U"), ("R", "Near Pass"), *TARGET_GRADES])
    note = models.CharField(max_length=300, blank=True)
    predicted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    predicted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-predicted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.enrolment}: {self.grade}"


class ExamMark(models.Model):
    """A raw mark in a mock or real exam series for an examined unit."""

    Kind = ExamSeries.Kind

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="exam_marks")
    series = models.ForeignKey(ExamSeries, on_delete=models.PROTECT, related_name="marks")
    mark = models.PositiveIntegerField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["enrolment", "entered_at"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "series"], name="one_mark_per_series"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} {self.series.name}: {self.mark}"

    @property
    def kind(self) -> str:
        """The series' kind: a mock or the OCR exam."""
        return self.series.kind

    def get_kind_display(self) -> str:
        return self.series.get_kind_display()


def export_path(instance: "ExportJob", filename: str) -> str:
    return f"exports/{secrets.token_urlsafe(24)}.xlsx"


class ExportJob(models.Model):
    """A whole-centre export built in the background, with its progress."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being built"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    centre = models.ForeignKey("tracker.Centre", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, null=True, blank=True)
    include_leavers = models.BooleanField(
        default=False, help_text="Learners who have left are in it, with a 'Left on' column"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done")
    file = models.FileField(upload_to=export_path, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When the worker last wrote progress"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.get_state_display()})"
