"""Routes for internal verification (samples, checks, actions, the IV report) and moderation."""

from django.urls import path

from tracker.verification.views import home, moderation, report, samples

urlpatterns = [
    path("verification/", home.iv_home, name="iv_home"),
    path("verification/samples/new/", samples.start_sample, name="iv_start"),
    path("verification/samples/<int:pk>/", samples.sample_detail, name="iv_sample"),
    path("verification/samples/<int:pk>/include/", samples.sample_include, name="iv_include"),
    path("verification/items/<int:pk>/", samples.verify_item, name="iv_verify"),
    path("verification/items/<int:pk>/sign-off/", samples.item_sign_off, name="iv_sign_off"),
    path("verification/items/<int:pk>/record/", samples.item_record, name="iv_record"),
    path("verification/actions/<int:pk>/", samples.action_update, name="iv_action"),
    path("verification/report/", report.report, name="iv_report"),
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
]
