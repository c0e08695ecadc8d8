"""The site's icon at the address browsers ask for on every page."""

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

# The same file as the static `tracker/favicon.svg` every page links in its head.
ICON = Path(__file__).resolve().parents[2] / "static" / "tracker" / "favicon.svg"


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """Answer `/favicon.ico` (asked for by browsers that ignore the page's icon link) with
    the site's SVG icon, 200 and `image/svg+xml`, to anyone: no sign-in, cached for a day."""
    return HttpResponse(ICON.read_bytes(), content_type="image/svg+xml")
