"""Forms for assessment: decisions, predictions, exam marks, assignments and data sheets."""

from django import forms

from criteria.grading import Grade
from criteria.models import Criterion
from tracker.lib.forms import CleansText, IdField, IdsModelMultipleChoiceField
from tracker.models import Assignment, Status, TeachingGroup


class DecisionForm(CleansText, forms.Form):
    item = forms.RegexField(regex=r"^[ct]:\d+$", widget=forms.HiddenInput)
    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label="Decision",
        choices=[(status, status.label) for status in (Status.ACHIEVED, Status.NOT_YET)],
    )
    feedback = forms.CharField(
        label="Feedback", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Where the decision was made: "grid" answers with the grid's cell.
        self.fields["from"] = forms.CharField(required=False, widget=forms.HiddenInput)


class PredictionForm(CleansText, forms.Form):
    grade = forms.ChoiceField(
        label="Predicted grade",
        choices=[(grade.value, grade.label) for grade in (Grade.U, Grade.P, Grade.M, Grade.D)],
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=300)


class ExamMarkForm(CleansText, forms.Form):
    """A series of raw marks: its name and kind, and a mark-<enrolment pk> per learner.

    Built with the learner-units of the group (`enrolments`, with their learners) and the
    paper's maximum (`max_mark`); a blank mark is left alone. cleaned_data["marks"] lists
    (enrolment, mark) for the marks given.
    """

    series = forms.CharField(label="Series", max_length=60, help_text="e.g. Mock 1 2026")
    kind = forms.ChoiceField(
        label="Kind", choices=[("mock", "Mock"), ("real", "OCR exam")], required=False
    )

    def __init__(self, *args, enrolments=(), max_mark: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolments = list(enrolments)
        self.max_mark = max_mark
        for enrolment in self.enrolments:
            self.fields[f"mark-{enrolment.pk}"] = forms.CharField(required=False)

    def clean_kind(self) -> str:
        return self.cleaned_data["kind"] or "mock"

    def mark_problems(self) -> list[str]:
        """Return one line per mark that is not a whole number from 0 to the maximum."""
        found = self._found if hasattr(self, "_found") else self._bad_marks()
        return [f"{enrolment.learner.full_name}: {problem}" for enrolment, problem in found]

    def _bad_marks(self) -> list[tuple]:
        if not hasattr(self, "cleaned_data"):
            return []
        bad = []
        for enrolment in self.enrolments:
            raw = self.cleaned_data.get(f"mark-{enrolment.pk}", "")
            if raw and not self._is_mark(raw):
                bad.append((enrolment, f"'{raw}' is not a mark from 0 to {self.max_mark}"))
        return bad

    def _is_mark(self, raw: str) -> bool:
        return raw.isascii() and raw.isdigit() and int(raw) <= (self.max_mark or 0)

    def mark_fields(self) -> dict[int, forms.BoundField]:
        """Return each learner-unit's mark field by its pk, for the page to put by its name."""
        return {enrolment.pk: self[f"mark-{enrolment.pk}"] for enrolment in self.enrolments}

    def clean(self):
        cleaned = super().clean()
        bad = self._found = self._bad_marks()
        for enrolment, problem in bad:
            self.add_error(f"mark-{enrolment.pk}", problem)
        if bad:
            return cleaned
        cleaned["marks"] = [
            (enrolment, int(cleaned[f"mark-{enrolment.pk}"]))
            for enrolment in self.enrolments
            if cleaned.get(f"mark-{enrolment.pk}")
        ]
        return cleaned


class AuthoriseForm(CleansText, forms.Form):
    """The decision whose resubmission the lead assessor authorises."""

    decision = IdField()


class AssignmentForm(CleansText, forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["title", "criteria", "brief", "issued_on", "deadline"]
        field_classes = {"criteria": IdsModelMultipleChoiceField}
        widgets = {
            "criteria": forms.CheckboxSelectMultiple,
            "issued_on": forms.DateInput(attrs={"type": "date"}),
            "deadline": forms.DateInput(attrs={"type": "date"}),
            "brief": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria"].queryset = Criterion.objects.filter(unit=unit).order_by("order")
        self.fields["criteria"].label_from_instance = lambda c: f"{c.code} {c.wording}"

    def clean(self):
        cleaned = super().clean()
        issued, deadline = cleaned.get("issued_on"), cleaned.get("deadline")
        if issued and deadline and deadline < issued:
            self.add_error("deadline", "The deadline is before the issue date.")
        return cleaned


class ExtensionForm(CleansText, forms.Form):
    learner = forms.ModelChoiceField(queryset=None, label="Learner")
    deadline = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="New deadline")
    reason = forms.CharField(max_length=300, required=False, label="Reason")

    def __init__(self, *args, group: TeachingGroup, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = group.learners.all()


class DataSheetForm(CleansText, forms.Form):
    file = forms.FileField(
        label="Edited data sheet (.xlsx)",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx") or upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError("Upload the .xlsx data sheet (at most 10 MB).")
        return upload


class PendingDataSheetForm(CleansText, forms.Form):
    """Which previewed data sheet a cancel is about (the token the preview page carries)."""

    token = forms.RegexField(r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
