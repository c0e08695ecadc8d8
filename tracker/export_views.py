"""Downloads of the grades workbook, scoped like every other page."""

import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from criteria.models import Unit
from tracker import access
from tracker.exports import centre_scope, group_scope, write_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_safe
@login_required
def grades_workbook(request: HttpRequest) -> FileResponse:
    """Send the grades workbook for a group (?group=) or the whole centre, optionally a unit."""
    unit = None
    if request.GET.get("unit", "").isdigit():
        unit = get_object_or_404(Unit, pk=request.GET["unit"])
    if request.GET.get("group", "").isdigit():
        group = access.get_group_for_user(request.user, int(request.GET["group"]))
        scope = group_scope(group, unit)
    else:
        scope = centre_scope(access.centre_for_admin(request.user), unit)
    # The workbook is built in a temporary file, never as one string in memory.
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    write_workbook(scope, handle)
    handle.seek(0)
    name = f"grades-{slugify(scope.label)}-{timezone.localdate():%Y-%m-%d}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)
