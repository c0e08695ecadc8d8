"""Forms for assessment: decisions, predictions and exam marks."""

from django import forms

from tracker.models import Status


class DecisionForm(forms.Form):
    item = forms.RegexField(regex=r"^[ct]:\d+$", widget=forms.HiddenInput)
    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label="Decision",
        choices=[(Status.ACHIEVED, "Achieved"), (Status.NOT_YET, "Not yet achieved")],
    )
    feedback = forms.CharField(
        label="Feedback", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=[])


class PredictionForm(forms.Form):
    grade = forms.ChoiceField(
        label="Predicted grade",
        choices=[("U", "U"), ("P", "Pass"), ("M", "Merit"), ("D", "Distinction")],
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=300)


class ExamMarkForm(forms.Form):
    series = forms.CharField(label="Series", max_length=60, help_text="e.g. Mock 1 2026")
    kind = forms.ChoiceField(label="Kind", choices=[("mock", "Mock"), ("real", "OCR exam")])
