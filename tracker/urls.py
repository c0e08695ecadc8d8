"""The site's routes: each domain package brings its own, under the same names as ever."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker.auth import SignInForm, no_centre_yet
from tracker.people.sso import SchoolAccountCallbackView, SchoolAccountStartView

urlpatterns = [
    path("", include("tracker.reports.urls")),
    path("", include("tracker.people.urls")),
    path("", include("tracker.evidence.urls")),
    path("", include("tracker.assessment.urls")),
    path("", include("tracker.verification.urls")),
    path("", include("tracker.notifications.urls")),
    path("units/", include("criteria.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm,
            # Called by the template when it renders: a fresh instance shows what to run.
            extra_context={"no_centre_yet": no_centre_yet},
        ),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("oidc/start/", SchoolAccountStartView.as_view(), name="sso_start"),
    path("oidc/callback/", SchoolAccountCallbackView.as_view(), name="sso_callback"),
    path("admin/", admin.site.urls),
]
