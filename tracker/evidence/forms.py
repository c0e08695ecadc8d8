"""Forms for handing in evidence: learners' uploads and evidence added by staff."""

import re
import secrets
from dataclasses import dataclass

from django import forms
from django.conf import settings

from tracker.lib.forms import CleansText, IdField
from tracker.lib.uploads import UploadRefused, allowed_extensions, check_upload, human_size
from tracker.models import Evidence


class ItemChoiceField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class CheckedFileMixin:
    """Refuse a file whose type or content is not allowed; keep what the check found."""

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return upload
        try:
            self.checked = check_upload(upload.name, upload)
        except UploadRefused as error:
            raise forms.ValidationError(str(error)) from None
        return upload


TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_form_token() -> str:
    """Return a fresh one-time token for a form about to be shown."""
    return secrets.token_urlsafe(24)


class OneTimeTokenForm(CleansText, forms.Form):
    """The one-time token a hand-in form carries, issued when the page was shown.

    A token that is missing or not one the site issues counts as none (no protection against
    sending twice, nothing refused): a page opened before tokens existed still hands in.
    """

    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", new_form_token())

    def clean_token(self) -> str:
        token = self.cleaned_data.get("token") or ""
        return token if TOKEN.fullmatch(token) else ""

    def cleaned_token(self) -> str:
        """Return the token alone, whatever else the form holds ("" for none)."""
        self.is_valid()
        return self.cleaned_data.get("token", "")


class EvidenceForm(CheckedFileMixin, OneTimeTokenForm):
    """A learner's upload: the file, what it covers, a note, and the declaration."""

    file = forms.FileField(label="File", error_messages={"required": "Choose the file to hand in."})
    items = ItemChoiceField(
        label="What does it cover?",
        error_messages={"required": "Tick at least one thing this work covers."},
    )
    location = forms.CharField(
        label="Page or location (optional)",
        required=False,
        max_length=120,
        help_text="e.g. pages 3-5, or slide 4",
    )
    note = forms.CharField(
        label="Note for your teacher (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    declaration = forms.BooleanField(
        label="I confirm this is my own work and that I have acknowledged any sources I used.",
        error_messages={"required": "Confirm that this is your own work to hand it in."},
    )

    def __init__(
        self,
        *args,
        items: list[tuple[str, str]],
        too_large: str | None = None,
        outcomes: list[tuple[str, list[str]]] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = items
        self.too_large = too_large
        self.outcomes = list(outcomes)
        limit = human_size(settings.EVIDENCE_MAX_BYTES)
        self.fields[
            "file"
        ].help_text = (
            f"Up to {limit}: {', '.join(allowed_extensions())}. From a phone you can take a photo."
        )
        # site.js refuses a larger file before it is sent (the server checks again).
        self.fields["file"].widget.attrs.update(
            {
                "accept": ",".join(f".{e}" for e in allowed_extensions()),
                "data-max-bytes": str(settings.EVIDENCE_MAX_BYTES),
                "data-max-size": limit,
            }
        )

    def clean(self):
        cleaned = super().clean()
        if self.too_large:
            # The file was dropped while it streamed in, so the field also reads as empty:
            # one message for one problem, the size, not "This field is required." as well.
            self.errors.pop("file", None)
            limit = human_size(settings.EVIDENCE_MAX_BYTES)
            self.add_error(
                "file",
                f"{self.too_large} is larger than the {limit} limit. "
                "Make it smaller (or split it into parts), then choose it again.",
            )
        if self.errors:
            # A browser never keeps a chosen file when the page comes back with a problem.
            # (The bound field copied the help text when the fields were cleaned.)
            self["file"].help_text = (
                "Nothing was handed in: choose the file again. " + self.fields["file"].help_text
            )
        return cleaned

    def item_groups(self) -> list["ItemGroup"]:
        """Return the `items` checkboxes grouped by learning outcome, for an examined unit's
        many topics (built with `outcomes`: (title, item keys) in the unit's order); [] when
        the form has no groups. Only how they are shown changes: the field, its name, its
        choices and its checks stay one flat list, so each box keeps its id (`id_items_0`…)
        and the error summary's link. A group is open when a box inside it is ticked, and
        the first one also when the field has an error, so the link lands on a visible box."""
        if not self.outcomes:
            return []
        boxes = {box.data["value"]: box for box in self["items"]}
        groups = []
        for title, keys in self.outcomes:
            inside = [boxes[key] for key in keys if key in boxes]
            ticked = sum(bool(box.data["selected"]) for box in inside)
            opened = bool(ticked) or (not groups and "items" in self.errors)
            groups.append(ItemGroup(title, inside, ticked, opened))
        return groups

    def error_links(self) -> list[tuple[str, str]]:
        """Return (element id, message) for each field error, in the form's order, for the
        error summary at the top of the page; a list of checkboxes links to its first box."""
        links = []
        for name, errors in self.errors.items():
            if name not in self.fields:
                continue
            field = self[name]
            anchor = field.id_for_label or f"{field.auto_id}_0"
            links.extend((anchor, str(error)) for error in errors)
        return links


@dataclass
class ItemGroup:
    """One learning outcome's checkboxes on the upload form (see EvidenceForm.item_groups)."""

    title: str
    boxes: list
    ticked: int
    open: bool


class StaffEvidenceForm(CheckedFileMixin, OneTimeTokenForm):
    """Evidence a teacher adds for a learner: an observation, a witness testimony, a recording."""

    kind = forms.ChoiceField(
        label="Kind",
        choices=[c for c in Evidence.Kind.choices if c[0] != Evidence.Kind.UPLOAD],
    )
    statement = forms.CharField(
        label="Statement",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was observed or witnessed, by whom and when.",
    )
    file = forms.FileField(label="File (optional)", required=False)
    items = ItemChoiceField(label="Criteria or topics it covers")
    location = forms.CharField(label="Location (optional)", required=False, max_length=120)

    def __init__(self, *args, items, too_large: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = items
        self.too_large = too_large

    def clean(self):
        cleaned = super().clean()
        if self.too_large:
            self.add_error("file", f"{self.too_large} is larger than the limit.")
        if not cleaned.get("statement") and not cleaned.get("file"):
            raise forms.ValidationError("Write a statement or attach a file.")
        return cleaned


class ReplacesForm(CleansText, forms.Form):
    """The upload page's ?replaces=: the evidence a new version replaces (looked up later)."""

    replaces = IdField(required=False)


class WithdrawForm(CleansText, forms.Form):
    """The learner's confirmation that evidence is withdrawn: nothing to fill in but the
    button (and the CSRF token)."""
