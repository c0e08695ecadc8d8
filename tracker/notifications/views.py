"""A person's notifications: the list, "mark all as read", and their email choices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker import access
from tracker.lib.forms import form_errors
from tracker.notifications import services
from tracker.notifications.forms import EmailChoicesForm, MarkReadForm
from tracker.pagination import paginate


@require_safe
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """List every notification of the signed-in person, newest first, a page at a time."""
    page = paginate(request, access.notifications_for(request.user))
    newest = access.notifications_for(request.user).values_list("pk", flat=True).first()
    return render(
        request,
        "tracker/notifications/list.html",
        {"page": page, "read_form": MarkReadForm(initial={"up_to": newest})},
    )


@require_POST
@login_required
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark the person's notifications read, up to the newest their page showed."""
    form = MarkReadForm(request.POST)
    if form.is_valid():
        count = services.mark_all_read(request.user, form.cleaned_data["up_to"])
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    else:
        messages.error(request, form_errors(form))
    return redirect("notifications")


@require_http_methods(["GET", "POST"])
@login_required
def email_settings(request: HttpRequest) -> HttpResponse:
    """Choose which notifications also come by email (in the tracker they always show)."""
    kinds = services.kinds_for(request.user)
    choices = services.settings_for(request.user)
    initial = {"email": [kind for kind in kinds if choices.wants_email(kind)]}
    # Every box unticked posts nothing at all, and still means "email me nothing".
    posted = request.POST if request.method == "POST" else None
    form = EmailChoicesForm(posted, kinds=kinds, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            services.save_email_choices(request.user, form.cleaned_data["email"])
            messages.success(request, "Your email choices are saved.")
            return redirect("notification_settings")
        messages.error(request, form_errors(form))
    return render(
        request,
        "tracker/notifications/settings.html",
        {"form": form, "kinds": kinds, "email": request.user.email},
    )
