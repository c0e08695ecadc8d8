"""Signing in: with a username or an email address."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with a username or an email address (learners often know only their email)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and "@" in username:
            match = get_user_model().objects.filter(email__iexact=username.strip()).first()
            if match is not None:
                username = match.get_username()
        return super().authenticate(request, username=username, password=password, **kwargs)


class SignInForm(AuthenticationForm):
    """Django's sign-in form with labels people expect."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username or email"
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
