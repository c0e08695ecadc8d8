"""Forms for internal verification: starting a sample, changing it, checking and sign-off."""

from django import forms

from tracker.lib.forms import CleansText, IdField, IdListField
from tracker.models import Sample, SampleItem


class StartSampleForm(CleansText, forms.Form):
    """A new sample: the group and unit (looked up for the verifier), kind and criteria."""

    group = IdField()
    unit = IdField()
    kind = forms.CharField(required=False)
    criteria = IdListField(required=False)

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        return kind if kind in Sample.Kind.values else Sample.Kind.INTERIM


class IncludeForm(CleansText, forms.Form):
    """Add a learner-unit to a sample or take it out, with the reason."""

    enrolment = IdField()
    include = forms.CharField(required=False)
    note = forms.CharField(required=False, max_length=300, strip=False)

    def clean_include(self) -> bool:
        return self.cleaned_data["include"] == "1"


class SignOffForm(CleansText, forms.Form):
    reopen = forms.CharField(required=False)
    reason = forms.CharField(required=False, max_length=300, strip=False)

    def clean_reopen(self) -> bool:
        return bool(self.cleaned_data["reopen"])


class ActionUpdateForm(CleansText, forms.Form):
    close = forms.CharField(required=False)
    response = forms.CharField(required=False, max_length=5000, strip=False, widget=forms.Textarea)

    def clean_close(self) -> bool:
        return bool(self.cleaned_data["close"])


class VerifyForm(CleansText, forms.Form):
    """The verifier's check of each decision (agree-, comment-, action-, due-<decision pk>),
    the judgement and the overall comment.

    `entries` are the decided items shown on the page, each with `.decision` and `.code`.
    cleaned_data gives `checks` {decision pk: (agrees, comment)} and `actions`
    {decision pk: (what, due date)}, as the verification service takes them.
    """

    judgement = forms.CharField(required=False)
    overall = forms.CharField(required=False, max_length=5000, strip=False, widget=forms.Textarea)

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = list(entries)
        for entry in self.entries:
            pk = entry.decision.pk
            self.fields[f"agree-{pk}"] = forms.CharField(required=False)
            self.fields[f"comment-{pk}"] = forms.CharField(
                required=False, max_length=5000, strip=False
            )
            self.fields[f"action-{pk}"] = forms.CharField(required=False, max_length=5000)
            self.fields[f"due-{pk}"] = forms.CharField(required=False)

    def clean_judgement(self) -> str:
        judgement = self.cleaned_data["judgement"]
        return judgement if judgement in SampleItem.Judgement.values else ""

    def clean(self):
        cleaned = super().clean()
        checks, actions = {}, {}
        for entry in self.entries:
            pk = entry.decision.pk
            answer = cleaned.get(f"agree-{pk}")
            if answer not in ("yes", "no"):
                continue  # not checked this time
            checks[pk] = (answer == "yes", cleaned.get(f"comment-{pk}", ""))
            what = cleaned.get(f"action-{pk}", "")
            if answer == "no" and what:
                due = forms.DateField(required=False).to_python
                try:
                    when = due(cleaned.get(f"due-{pk}", ""))
                except forms.ValidationError:
                    when = None
                if when is None:
                    self.add_error(f"due-{pk}", f"Give a due date for the action on {entry.code}.")
                else:
                    actions[pk] = (what, when)
        cleaned["checks"], cleaned["actions"] = checks, actions
        return cleaned
