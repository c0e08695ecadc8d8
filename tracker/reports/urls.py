"""Routes for role homes and dashboards, grade exports and Unit Recording Sheets."""

from django.urls import path

from tracker.reports.views import dashboards, exports, favicon, glossary, recording_sheets

urlpatterns = [
    path("", dashboards.home, name="home"),
    path("me/", dashboards.learner_home, name="learner_home"),
    path("teaching/", dashboards.teacher_home, name="teacher_home"),
    path("words/", glossary.glossary, name="glossary"),
    path("favicon.ico", favicon.favicon, name="favicon"),
    path("exports/grades.xlsx", exports.grades_workbook, name="export_grades"),
    path("exports/centre/", exports.start_centre_export, name="export_centre"),
    path("exports/ucas/", exports.ucas_export, name="export_ucas"),
    path("exports/<int:pk>/", exports.export_job, name="export_job"),
    path("exports/<int:pk>/download/", exports.export_download, name="export_download"),
    path("exports/<int:pk>/retry/", exports.retry_export, name="export_retry"),
    path(
        "learners/<int:pk>/units/<int:enrolment_pk>/urs/",
        recording_sheets.learner_sheet,
        name="urs",
    ),
    path(
        "groups/<int:pk>/units/<int:unit_pk>/urs/",
        recording_sheets.group_sheets,
        name="group_urs",
    ),
]
