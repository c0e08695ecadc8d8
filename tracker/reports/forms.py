"""Forms for reports: which grades to export."""

from django import forms

from tracker.lib.forms import CleansText, IdField


class GradesQueryForm(CleansText, forms.Form):
    """The grades workbook's optional ?group= and ?unit= (looked up through access)."""

    group = IdField(required=False)
    unit = IdField(required=False)
    leavers = forms.BooleanField(required=False, label="Include learners who have left")


class CentreExportForm(CleansText, forms.Form):
    """A whole-centre export, optionally of one unit, optionally with learners who have left."""

    unit = IdField(required=False)
    leavers = forms.BooleanField(required=False, label="Include learners who have left")


class RetryExportForm(CleansText, forms.Form):
    """Try a failed whole-centre export again (the scope is the failed job's own)."""


class UcasExportForm(CleansText, forms.Form):
    """Which learners' UCAS predicted grades to download, and as what.

    Built with the `groups` the user may export (`access.ucas_groups_for`) and whether they
    may export the whole centre (a centre admin). `cleaned_data["group"]` is a group id
    from that list, or None for the whole centre; `cleaned_data["format"]` is "csv",
    "xlsx", or "" for the page itself. A group outside the list is a form error.
    """

    FORMATS = [("csv", "CSV"), ("xlsx", "Excel workbook (XLSX)")]

    group = forms.TypedChoiceField(label="Learners", coerce=int, empty_value=None, choices=[])
    format = forms.ChoiceField(choices=FORMATS, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, groups, whole_centre: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(group.pk, f"{group.name} ({group.academic_year})") for group in groups]
        field = self.fields["group"]
        field.required = not whole_centre
        field.choices = [("", "Whole centre" if whole_centre else "Choose a group"), *choices]
        field.widget.attrs["class"] = "form-select"
