"""Forms for assessment: decisions, predictions, exam marks, assignments and data sheets."""

from django import forms

from criteria.grading import Grade
from criteria.models import Criterion
from tracker.models import Assignment, Status, TeachingGroup


class DecisionForm(forms.Form):
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


class PredictionForm(forms.Form):
    grade = forms.ChoiceField(
        label="Predicted grade",
        choices=[(grade.value, grade.label) for grade in (Grade.U, Grade.P, Grade.M, Grade.D)],
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=300)


class ExamMarkForm(forms.Form):
    series = forms.CharField(label="Series", max_length=60, help_text="e.g. Mock 1 2026")
    kind = forms.ChoiceField(label="Kind", choices=[("mock", "Mock"), ("real", "OCR exam")])


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["title", "criteria", "brief", "issued_on", "deadline"]
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


class ExtensionForm(forms.Form):
    learner = forms.ModelChoiceField(queryset=None, label="Learner")
    deadline = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="New deadline")
    reason = forms.CharField(max_length=300, required=False, label="Reason")

    def __init__(self, *args, group: TeachingGroup, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = group.learners.all()


class DataSheetForm(forms.Form):
    file = forms.FileField(
        label="Edited data sheet (.xlsx)",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx") or upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError("Upload the .xlsx data sheet (at most 10 MB).")
        return upload
