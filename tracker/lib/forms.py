"""Form fields for record ids, and the 400 answer to a form no page of the site would send."""

from django import forms
from django.core.exceptions import BadRequest

from tracker.lib.text import clean_line, clean_text

# The largest primary key any supported database stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    """A record id: a whole number from 1 (the record itself is looked up through access)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdListField(forms.Field):
    """Several record ids (a multi-valued field such as checked criteria)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": "Enter record ids only."}

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        ids = []
        for item in value:
            text = str(item).strip()
            if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(text))
        return ids


class IdsModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several records chosen from a queryset; an id no database could hold is refused as
    an invalid choice before it reaches the query (SQLite cannot even compare with it)."""

    def _check_values(self, value):
        for pk in value or ():
            text = str(pk).strip()
            if text.lstrip("-").isdigit() and text.isascii() and abs(int(text)) > MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": text},
                )
        return super()._check_values(value)


def form_errors(form: forms.BaseForm) -> str:
    """Return a form's errors as one sentence for a message."""
    return "; ".join(" ".join(errors) for errors in form.errors.values())


def valid_or_400(form: forms.BaseForm) -> dict:
    """Return the form's cleaned data, or answer 400: the site's pages never send such data."""
    if not form.is_valid():
        raise BadRequest(form_errors(form))
    return form.cleaned_data


class CleansText:
    """Clean every text a form takes in, at the door: no control character is ever stored.

    One-line fields go through `clean_line` (a name, a series, a location); text areas through
    `clean_text`, which keeps line breaks (feedback, notes). Passwords are left exactly as
    typed. Mixed into every form of the site, before `forms.Form` or `forms.ModelForm`.
    """

    def _clean_fields(self) -> None:
        super()._clean_fields()
        for name, value in list(self.cleaned_data.items()):
            if not isinstance(value, str) or name not in self.fields:
                continue
            widget = self.fields[name].widget
            if isinstance(widget, forms.PasswordInput):
                continue
            cleaned = clean_text(value) if isinstance(widget, forms.Textarea) else clean_line(value)
            if cleaned != value:
                self.cleaned_data[name] = cleaned


class DateInput(forms.DateInput):
    """The browser's own date picker (``<input type="date">``).

    Its value is always written as YYYY-MM-DD, the only form a date input accepts (HTML
    Living Standard, "valid date string"): with the site's British locale Django would
    write 30/11/2026, which the browser throws away, leaving an empty, required box.
    """

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
