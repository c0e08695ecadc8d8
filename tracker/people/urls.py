"""Routes for groups, learners and the centre admin area (URL names in the `centre` namespace)."""

from django.urls import include, path

from tracker.people.views import centre, imports, learners

centre_urlpatterns = [
    path("", centre.home, name="home"),
    path("staff/", centre.staff_list, name="staff"),
    path("staff/add/", centre.staff_edit, name="staff_add"),
    path("staff/<int:pk>/", centre.staff_edit, name="staff_edit"),
    path("groups/", centre.group_list, name="groups"),
    path("groups/add/", centre.group_edit, name="group_add"),
    path("groups/<int:pk>/edit/", centre.group_edit, name="group_edit"),
    path("targets/", centre.targets, name="targets"),
    path("import/", imports.import_learners, name="import"),
    path("import/confirm/", imports.import_confirm, name="import_confirm"),
    path("import/cancel/", imports.import_cancel, name="import_cancel"),
    path("leavers/", learners.leavers, name="leavers"),
]

urlpatterns = [
    path("groups/<int:pk>/", learners.group_detail, name="group"),
    path("learners/<int:pk>/", learners.learner_detail, name="learner"),
    path(
        "learners/<int:pk>/targets/<int:enrolment_pk>/",
        learners.set_learner_target,
        name="learner_target",
    ),
    path("learners/<int:pk>/move/", learners.move_learner, name="learner_move"),
    path("learners/<int:pk>/leave/", learners.leave_learner, name="learner_leave"),
    path("learners/<int:pk>/reinstate/", learners.reinstate_learner, name="learner_reinstate"),
    path("centre/", include((centre_urlpatterns, "centre"))),
]
