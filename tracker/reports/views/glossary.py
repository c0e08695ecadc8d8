"""The glossary: the product's own words (criterion, Merit, internal verification …) in
plain language, for everyone signed in. Unit 6's key terms stay on the unit's page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
@login_required
def glossary(request: HttpRequest) -> HttpResponse:
    """Show what the words on the pages mean; each term has an anchor pages link to."""
    return render(request, "tracker/reports/glossary.html")
