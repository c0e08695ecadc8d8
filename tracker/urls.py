from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker import (
    export_views,
    iv_views,
    moderation,
    urs,
    views,
)
from tracker.people.forms import SignInForm
from tracker.people.urls import urlpatterns as people_urlpatterns

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.learner_home, name="learner_home"),
    path("teaching/", views.teacher_home, name="teacher_home"),
    path("verification/", views.iv_home, name="iv_home"),
    path("verification/samples/new/", iv_views.start_sample, name="iv_start"),
    path("verification/samples/<int:pk>/", iv_views.sample_detail, name="iv_sample"),
    path("verification/samples/<int:pk>/include/", iv_views.sample_include, name="iv_include"),
    path("verification/items/<int:pk>/", iv_views.verify_item, name="iv_verify"),
    path("verification/items/<int:pk>/sign-off/", iv_views.item_sign_off, name="iv_sign_off"),
    path("verification/items/<int:pk>/record/", iv_views.item_record, name="iv_record"),
    path("verification/actions/<int:pk>/", iv_views.action_update, name="iv_action"),
    path("verification/report/", iv_views.report, name="iv_report"),
    path("exports/grades.xlsx", export_views.grades_workbook, name="export_grades"),
    path("exports/centre/", export_views.start_centre_export, name="export_centre"),
    path("exports/<int:pk>/", export_views.export_job, name="export_job"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
    path("learners/<int:pk>/units/<int:enrolment_pk>/urs/", urs.learner_sheet, name="urs"),
    path("groups/<int:pk>/units/<int:unit_pk>/urs/", urs.group_sheets, name="group_urs"),
    path(
        "groups/<int:pk>/units/<int:unit_pk>/moderation/",
        moderation.sample_page,
        name="moderation",
    ),
    path(
        "groups/<int:pk>/units/<int:unit_pk>/moderation.zip",
        moderation.sample_zip,
        name="moderation_zip",
    ),
    path("", include(people_urlpatterns)),
    path("", include("tracker.evidence.urls")),
    path("", include("tracker.assessment.urls")),
    path("units/", include("criteria.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
