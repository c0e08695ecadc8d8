"""Forms for reports: which grades to export."""

from django import forms

from tracker.lib.forms import IdField


class GradesQueryForm(forms.Form):
    """The grades workbook's optional ?group= and ?unit= (looked up through access)."""

    group = IdField(required=False)
    unit = IdField(required=False)


class CentreExportForm(forms.Form):
    """A whole-centre export, optionally of one unit."""

    unit = IdField(required=False)
