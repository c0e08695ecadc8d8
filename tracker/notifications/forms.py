"""Forms of the notifications pages: marking read, choosing emails."""

from django import forms

from tracker.lib.forms import CleansText, IdField
from tracker.notifications.services import EMAIL_CHOICES


class MarkReadForm(CleansText, forms.Form):
    """'Mark all as read': `up_to` is the newest notification the page showed, so one that
    arrives while the page is open stays unread."""

    up_to = IdField(required=False)


class EmailChoicesForm(CleansText, forms.Form):
    """'Email me when…': one checkbox for each kind the person can be sent."""

    email = forms.MultipleChoiceField(
        label="Email me when…",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="You always see every notification here in the tracker.",
    )

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].choices = [(kind, EMAIL_CHOICES[kind]) for kind in kinds]
