"""The sign-in page's school account button: `{% school_sign_in_label as label %}`."""

from django import template
from django.conf import settings

from tracker.lib.oidc import default_button_label

register = template.Library()


@register.simple_tag
def school_sign_in_label() -> str:
    """The button's words (OIDC_BUTTON_LABEL, or one for the provider), or "" when school
    sign-in is off."""
    if not settings.OIDC_ISSUER:
        return ""
    return settings.OIDC_BUTTON_LABEL or default_button_label(settings.OIDC_ISSUER)
