from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker import centre, views
from tracker.forms import SignInForm

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.learner_home, name="learner_home"),
    path("teaching/", views.teacher_home, name="teacher_home"),
    path("verification/", views.iv_home, name="iv_home"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
    path("learners/<int:pk>/", views.learner_detail, name="learner"),
    path(
        "learners/<int:pk>/targets/<int:enrolment_pk>/",
        views.set_learner_target,
        name="learner_target",
    ),
    path("learners/<int:pk>/move/", views.move_learner, name="learner_move"),
    path("centre/", include((centre.urlpatterns, "centre"))),
    path("units/", include("criteria.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
