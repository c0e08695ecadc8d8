from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker import (
    assignments,
    datasheet_views,
    export_views,
    iv_views,
    marking,
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
    path("marking/", marking.queue, name="queue"),
    path("learners/<int:pk>/units/<int:enrolment_pk>/", marking.mark, name="mark"),
    path("learners/<int:pk>/units/<int:enrolment_pk>/decide/", marking.decide, name="decide"),
    path("learners/<int:pk>/units/<int:enrolment_pk>/predict/", marking.predict, name="predict"),
    path(
        "learners/<int:pk>/units/<int:enrolment_pk>/authorise/",
        marking.authorise,
        name="authorise",
    ),
    path("groups/<int:pk>/units/<int:unit_pk>/", marking.grid, name="grid"),
    path("groups/<int:pk>/units/<int:unit_pk>/marks/", marking.exam_mark, name="exam_marks"),
    path(
        "groups/<int:pk>/units/<int:unit_pk>/assignments/",
        assignments.assignments,
        name="assignments",
    ),
    path(
        "groups/<int:pk>/units/<int:unit_pk>/assignments/adopt/",
        assignments.adopt_plan,
        name="adopt_plan",
    ),
    path("assignments/<int:pk>/extend/", assignments.extend, name="extend"),
    path("exports/grades.xlsx", export_views.grades_workbook, name="export_grades"),
    path("exports/centre/", export_views.start_centre_export, name="export_centre"),
    path("exports/<int:pk>/", export_views.export_job, name="export_job"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
    path(
        "groups/<int:pk>/units/<int:unit_pk>/datasheet/",
        datasheet_views.download,
        name="datasheet",
    ),
    path(
        "groups/<int:pk>/units/<int:unit_pk>/datasheet/import/",
        datasheet_views.upload,
        name="datasheet_import",
    ),
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
    path("units/", include("criteria.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
