"""Invitations and sign-in letters (centre admin), and the pages people use them on.

Rules: only the centre admin of an account's centre invites it, and only accounts they may
manage (`access.get_staff_for_admin` for staff, `access.get_learner_for_admin` for
learners, `access.get_centre_group` for a whole group). The set-password and first sign-in
pages are public: the token or the code is the proof. See `tracker.people.invitations`.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tracker import access
from tracker.auth import ResetForm
from tracker.models import Learner
from tracker.people import invitations
from tracker.people.forms import (
    CentreLettersForm,
    FirstSignInForm,
    InvitationPasswordForm,
    InviteForm,
    LettersForm,
)

SIGN_IN_BACKEND = "tracker.auth.UsernameOrEmailBackend"


def _invite_one(request: HttpRequest, account) -> None:
    if not InviteForm(request.POST).is_valid():  # pragma: no cover - the form has no fields
        messages.error(request, "The invitation could not be sent.")
        return
    try:
        invitations.send_invitation(account, request.user)
    except invitations.InvitationError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Invitation sent to {account.email}.")


@require_POST
@access.role_required("centre_admin")
def staff_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Email a member of staff a set-password link (again, if they were invited before)."""
    member = access.get_staff_for_admin(request.user, pk)
    _invite_one(request, member)
    return redirect("centre:staff_edit", pk=member.pk)


@require_POST
@access.role_required("centre_admin")
def learner_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Email a learner of the admin's centre a set-password link."""
    learner = access.get_learner_for_admin(request.user, pk)
    if learner.user is None:
        messages.error(request, f"{learner.full_name} has no account to sign in with.")
    else:
        _invite_one(request, learner.user)
    return redirect("learner", pk=learner.pk)


@require_safe
@access.role_required("centre_admin")
def group_signin(request: HttpRequest, pk: int) -> HttpResponse:
    """The group's learners with their sign-in state, the bulk invitation and the letters."""
    group = access.get_centre_group(request.user, pk)
    learners = list(invitations.group_learners(group))
    states = invitations.states_for(learner.user for learner in learners)
    rows = [(learner, states[learner.user_id]) for learner in learners]
    context = {
        "group": group,
        "rows": rows,
        "waiting": sum(1 for _, s in rows if s.state != "signed_in" and not s.needs_letter),
        "need_letter": sum(1 for _, s in rows if s.state != "signed_in" and s.needs_letter),
        "invite_form": InviteForm(),
        "letters_form": LettersForm(),
    }
    return render(request, "tracker/people/centre/group_signin.html", context)


@require_POST
@access.role_required("centre_admin")
def group_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite everyone in the group who has not signed in and has an email."""
    group = access.get_centre_group(request.user, pk)
    if InviteForm(request.POST).is_valid():
        result = invitations.invite_group(group, request.user)
        sent = len(result.sent)
        messages.success(request, f"{sent} invitation{pluralize(sent)} sent for {group.name}.")
        if result.need_letter:
            count = len(result.need_letter)
            messages.warning(
                request,
                f"{count} learner{pluralize(count)} ha{pluralize(count, 's,ve')} no email "
                "address: print sign-in letters for them.",
            )
    return redirect("centre:group_signin", pk=group.pk)


@require_POST
@access.role_required("centre_admin")
def group_letters(request: HttpRequest, pk: int) -> HttpResponse:
    """Make new one-time codes and show the printable letters (old codes stop working)."""
    group = access.get_centre_group(request.user, pk)
    form = LettersForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whose letters to print.")
        return redirect("centre:group_signin", pk=group.pk)
    everyone = form.cleaned_data["who"] == "everyone"
    letters = invitations.make_letters(invitations.letter_learners(group, everyone), request.user)
    context = {
        "group": group,
        "centre": group.centre,
        "letters": letters,
        "site_url": settings.SITE_URL,
        "first_signin_url": settings.SITE_URL + str(reverse_lazy("first_signin")),
    }
    response = render(request, "tracker/people/centre/group_letters.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@access.role_required("centre_admin")
def centre_letters(request: HttpRequest) -> HttpResponse:
    """Choose whose sign-in letters to print across the centre: those without an email,
    everyone who has not signed in, or learners ticked one by one."""
    centre = access.centre_for_admin(request.user)
    learners = list(invitations.centre_letter_learners(centre))
    context = {
        "centre": centre,
        "learners": learners,
        "without_email": sum(1 for learner in learners if not learner.user.email),
        "form": CentreLettersForm(learners=Learner.objects.none()),
        "ticked": set(),
    }
    return render(request, "tracker/people/centre/letters.html", context)


@require_POST
@access.role_required("centre_admin")
def centre_letters_print(request: HttpRequest) -> HttpResponse:
    """Make new one-time codes for the chosen learners of the centre and show their letters
    (their older codes stop working); a bad choice shows the form again with the reason."""
    centre = access.centre_for_admin(request.user)
    eligible = invitations.centre_letter_learners(centre)
    form = CentreLettersForm(request.POST, learners=eligible)
    if not form.is_valid():
        learners = list(eligible)
        context = {
            "centre": centre,
            "learners": learners,
            "without_email": sum(1 for learner in learners if not learner.user.email),
            "form": form,
            "ticked": {
                learner.pk
                for learner in learners
                if str(learner.pk) in set(request.POST.getlist("chosen"))
            },
        }
        return render(request, "tracker/people/centre/letters.html", context, status=400)
    letters = invitations.make_letters(form.learners(), request.user)
    context = {
        "centre": centre,
        "letters": letters,
        "site_url": settings.SITE_URL,
        "first_signin_url": settings.SITE_URL + str(reverse_lazy("first_signin")),
    }
    response = render(request, "tracker/people/centre/letters_print.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def first_signin(request: HttpRequest) -> HttpResponse:
    """First sign-in with a letter's code: username, code, new password; then signed in.

    A wrong code counts as a failed sign-in of the account (django-axes through
    `authenticate`); once locked, the lockout page answers instead (AxesMiddleware).
    """
    form = FirstSignInForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        invitations.mark_used(user, code=True)
        login(request, user, backend=SIGN_IN_BACKEND)
        messages.success(request, "Your password is set. Welcome!")
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/first_signin.html", {"form": form})


class InvitationConfirmView(auth_views.PasswordResetConfirmView):
    """The invitation link: Django's set-password page with the invitation tokens. After the
    password is set the person is signed in and the invitation shows as used."""

    token_generator = invitations.invitation_tokens
    form_class = InvitationPasswordForm
    post_reset_login = True
    post_reset_login_backend = SIGN_IN_BACKEND
    template_name = "registration/invitation_confirm.html"
    success_url = reverse_lazy(settings.LOGIN_REDIRECT_URL)

    def form_valid(self, form):
        response = super().form_valid(form)
        invitations.mark_used(form.user)
        messages.success(self.request, "Your password is set. Welcome!")
        return response


class ResetView(auth_views.PasswordResetView):
    """'Forgot your password?' that also reaches invited accounts (see `ResetForm`)."""

    form_class = ResetForm
