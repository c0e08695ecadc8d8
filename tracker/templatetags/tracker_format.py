"""Formatting filters only: status and grades are worked out elsewhere."""

from django import template

register = template.Library()


@register.filter
def percent_of(part: int, whole: int) -> int:
    """Return part as a whole-number percentage of whole (0 when whole is 0)."""
    try:
        return round(100 * int(part) / int(whole)) if int(whole) else 0
    except (TypeError, ValueError):
        return 0
