"""The MIS import of learners: upload, preview every row, then confirm all or nothing."""

import secrets

from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods

from tracker import access
from tracker.lib.forms import valid_or_400
from tracker.people.forms import ImportConfirmForm, ImportForm, PendingImportForm
from tracker.people.importing import (
    ImportFileError,
    apply_plan,
    build_plan,
    discard_pending,
    pending_name,
    read_table,
)

IMPORT_SESSION_KEY = "learner_import"


@require_http_methods(["GET", "POST"])
@access.role_required("centre_admin")
def import_learners(request: HttpRequest) -> HttpResponse:
    """Upload a learners file and see what importing it would do, before anything changes."""
    centre = access.centre_for_admin(request.user)
    year = centre.current_year()
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        # A new upload replaces any preview still waiting: its file is deleted now.
        discard_pending(request.session.pop(IMPORT_SESSION_KEY, None))
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            plan = build_plan(read_table(content, upload.name), centre, year)
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            if plan.ok:
                token = secrets.token_hex(16)
                suffix = ".xlsx" if upload.name.lower().endswith(".xlsx") else ".csv"
                default_storage.save(pending_name(token, suffix), ContentFile(content))
                request.session[IMPORT_SESSION_KEY] = {
                    "token": token,
                    "suffix": suffix,
                    "name": upload.name,
                }
            return render(
                request,
                "tracker/people/centre/import_preview.html",
                {
                    "plan": plan,
                    "file_name": upload.name,
                    "year": year,
                    "token": request.session.get(IMPORT_SESSION_KEY, {}).get("token", ""),
                },
            )
    return render(request, "tracker/people/centre/import_form.html", {"form": form, "year": year})


@require_http_methods(["POST"])
@access.role_required("centre_admin")
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Apply the previewed file: validated again, then all rows or none."""
    centre = access.centre_for_admin(request.user)
    choices = valid_or_400(ImportConfirmForm(request.POST))
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending:
        messages.error(request, "There is no file waiting to be imported. Upload it again.")
        return redirect("centre:import")
    if pending["token"] != choices["token"]:
        # Another tab previewed another file since this preview: import only what was shown.
        messages.error(
            request,
            f"This preview is out of date: {pending['name']} was uploaded after it. "
            "Nothing was imported. Upload the file you want to import again and check its "
            "preview.",
        )
        return redirect("centre:import")
    request.session.pop(IMPORT_SESSION_KEY)
    stored = pending_name(pending["token"], pending["suffix"])
    try:
        with default_storage.open(stored, "rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        messages.error(request, "The uploaded file has expired. Upload it again.")
        return redirect("centre:import")
    finally:
        default_storage.delete(stored)
    try:
        plan = build_plan(
            read_table(content, pending["name"]),
            centre,
            centre.current_year(),
            move_groups=choices["move_groups"],
            mark_leavers=choices["mark_leavers"],
        )
    except ImportFileError as error:
        messages.error(request, f"{error} Nothing was imported.")
        return redirect("centre:import")
    if not plan.ok:
        messages.error(request, "The data changed since the preview; nothing was imported.")
        return render(
            request,
            "tracker/people/centre/import_preview.html",
            {"plan": plan, "file_name": pending["name"]},
        )
    counts = apply_plan(plan, request.user)
    messages.success(
        request,
        f"Imported {pending['name']}: {counts['added']} "
        f"learner{pluralize(counts['added'])} added, {counts['updated']} "
        f"updated, {counts['unchanged']} unchanged, {counts['groups_created']} "
        f"group{pluralize(counts['groups_created'])} created, {counts['left']} marked as left.",
    )
    return redirect("centre:home")


@require_http_methods(["POST"])
@access.role_required("centre_admin")
def import_cancel(request: HttpRequest) -> HttpResponse:
    """Drop a previewed file without importing it: its stored copy is deleted at once."""
    access.centre_for_admin(request.user)
    token = valid_or_400(PendingImportForm(request.POST))["token"]
    pending = request.session.get(IMPORT_SESSION_KEY)
    # Only the preview this page showed: an older tab must not drop a newer upload.
    if pending and pending.get("token") == token:
        discard_pending(request.session.pop(IMPORT_SESSION_KEY))
        messages.info(request, "The import was cancelled; the uploaded file has been deleted.")
    return redirect("centre:import")
