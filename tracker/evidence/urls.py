"""Routes for learners' unit pages, uploads, withdrawals, downloads and staff evidence."""

from django.urls import path

from tracker.evidence import views

urlpatterns = [
    path("me/units/<int:pk>/", views.learner_unit, name="learner_unit"),
    path("me/units/<int:pk>/upload/", views.upload_evidence, name="upload"),
    path("evidence/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("evidence/<int:pk>/download/", views.download, name="download"),
    path(
        "learners/<int:pk>/units/<int:enrolment_pk>/evidence/",
        views.staff_evidence,
        name="staff_evidence",
    ),
]
