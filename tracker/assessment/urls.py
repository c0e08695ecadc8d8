"""Routes for marking, the group grid, exam marks, assignments and data sheets."""

from django.urls import path

from tracker.assessment.views import (
    assignments,
    boundaries,
    datasheets,
    grade_only,
    grid,
    marking,
    planner,
)

urlpatterns = [
    path("learners/<int:pk>/qualification-units/", grade_only.learner_units, name="learner_units"),
    path("grades/import/", grade_only.grades_import, name="grades_import"),
    path("grades/import/confirm/", grade_only.grades_import_confirm, name="grades_import_confirm"),
    path("grades/import/cancel/", grade_only.grades_import_cancel, name="grades_import_cancel"),
    path("marking/", marking.queue, name="queue"),
    path("me/planner/", planner.my_planner, name="my_planner"),
    path("learners/<int:pk>/planner/", planner.learner_planner, name="learner_planner"),
    path("learners/<int:pk>/planner/save/", planner.save_planner, name="planner_save"),
    path("learners/<int:pk>/units/<int:enrolment_pk>/", marking.mark, name="mark"),
    path("learners/<int:pk>/units/<int:enrolment_pk>/decide/", marking.decide, name="decide"),
    path("learners/<int:pk>/units/<int:enrolment_pk>/predict/", marking.predict, name="predict"),
    path(
        "learners/<int:pk>/units/<int:enrolment_pk>/authorise/",
        marking.authorise,
        name="authorise",
    ),
    path("groups/<int:pk>/units/<int:unit_pk>/", grid.grid, name="grid"),
    path("groups/<int:pk>/units/<int:unit_pk>/bulk/", grid.bulk, name="grid_bulk"),
    path("groups/<int:pk>/units/<int:unit_pk>/marks/", grid.exam_mark, name="exam_marks"),
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
    path(
        "groups/<int:pk>/units/<int:unit_pk>/datasheet/",
        datasheets.download,
        name="datasheet",
    ),
    path(
        "groups/<int:pk>/units/<int:unit_pk>/datasheet/import/",
        datasheets.upload,
        name="datasheet_import",
    ),
    path(
        "groups/<int:pk>/units/<int:unit_pk>/datasheet/import/cancel/",
        datasheets.cancel,
        name="datasheet_cancel",
    ),
    path("boundaries/", boundaries.index, name="boundaries"),
    path(
        "boundaries/units/<int:unit_pk>/",
        boundaries.unit_boundaries,
        name="unit_boundaries",
    ),
    path("boundaries/units/<int:unit_pk>/series/", boundaries.series_add, name="series_add"),
    path("boundaries/series/<int:pk>/", boundaries.series_boundaries, name="series_boundaries"),
    path("boundaries/series/<int:pk>/delete/", boundaries.series_delete, name="series_delete"),
]
