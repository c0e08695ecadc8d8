"""Routes for groups, learners and the centre admin area (URL names in the `centre` namespace)."""

from django.urls import include, path

from tracker.people.views import centre, imports, invitations, learners, qualifications, years

centre_urlpatterns = [
    path("", centre.home, name="home"),
    path("staff/", centre.staff_list, name="staff"),
    path("staff/add/", centre.staff_edit, name="staff_add"),
    path("staff/<int:pk>/", centre.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/invite/", invitations.staff_invite, name="staff_invite"),
    path("groups/", centre.group_list, name="groups"),
    path("groups/add/", centre.group_edit, name="group_add"),
    path("groups/<int:pk>/edit/", centre.group_edit, name="group_edit"),
    path("years/", years.year_list, name="years"),
    path("years/add/", years.year_add, name="year_add"),
    path("years/<int:pk>/current/", years.year_current, name="year_current"),
    path("groups/<int:pk>/sign-in/", invitations.group_signin, name="group_signin"),
    path("groups/<int:pk>/sign-in/invite/", invitations.group_invite, name="group_invite"),
    path("groups/<int:pk>/sign-in/letters/", invitations.group_letters, name="group_letters"),
    path("targets/", centre.targets, name="targets"),
    path("import/", imports.import_learners, name="import"),
    path("import/confirm/", imports.import_confirm, name="import_confirm"),
    path("import/cancel/", imports.import_cancel, name="import_cancel"),
    path("leavers/", learners.leavers, name="leavers"),
    path("qualifications/", qualifications.qualification_list, name="qualifications"),
    path(
        "qualifications/<int:pk>/ranges/",
        qualifications.qualification_ranges,
        name="qualification_ranges",
    ),
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
    path("learners/<int:pk>/invite/", invitations.learner_invite, name="learner_invite"),
    path(
        "learners/<int:pk>/qualification/",
        qualifications.learner_qualification,
        name="learner_qualification",
    ),
    # Signing in for the first time: an invitation link, or a printed letter's code; and
    # "Forgot your password?" reaching accounts that never had one (before Django's own).
    path(
        "accounts/invitation/<uidb64>/<token>/",
        invitations.InvitationConfirmView.as_view(),
        name="invitation",
    ),
    path("accounts/first-sign-in/", invitations.first_signin, name="first_signin"),
    path("accounts/password_reset/", invitations.ResetView.as_view(), name="password_reset"),
    path("centre/", include((centre_urlpatterns, "centre"))),
]
