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
