from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker import (
    export_views,
    urs,
    views,
)
from tracker.people.forms import SignInForm
from tracker.people.urls import urlpatterns as people_urlpatterns

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.learner_home, name="learner_home"),
    path("teaching/", views.teacher_home, name="teacher_home"),
    path("exports/grades.xlsx", export_views.grades_workbook, name="export_grades"),
    path("exports/centre/", export_views.start_centre_export, name="export_centre"),
    path("exports/<int:pk>/", export_views.export_job, name="export_job"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
    path("learners/<int:pk>/units/<int:enrolment_pk>/urs/", urs.learner_sheet, name="urs"),
    path("groups/<int:pk>/units/<int:unit_pk>/urs/", urs.group_sheets, name="group_urs"),
    path("", include(people_urlpatterns)),
    path("", include("tracker.evidence.urls")),
    path("", include("tracker.assessment.urls")),
    path("", include("tracker.verification.urls")),
    path("units/", include("criteria.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
