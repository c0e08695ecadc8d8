"""Walk every URL pattern of the site for every role and check who gets in.

A new view without a row here fails test_every_url_pattern_has_an_access_rule, so no page
ships without its access rule being decided and tested.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import ROLES

# Role columns: anonymous, learner, other_learner, teacher, other_teacher, iv, admin.
LOGIN = 302  # anonymous visitors are sent to sign in


def row(anonymous, learner, other_learner, teacher, other_teacher, iv, admin):
    return dict(
        zip(
            ROLES,
            (anonymous, learner, other_learner, teacher, other_teacher, iv, admin),
            strict=True,
        )
    )


EVERYONE = row(LOGIN, 200, 200, 200, 200, 200, 200)
ADMIN_ONLY = row(LOGIN, 403, 403, 403, 403, 403, 200)
PUBLIC = row(200, 200, 200, 200, 200, 200, 200)
GET_REFUSED = row(405, 405, 405, 405, 405, 405, 405)
ASSESSORS_ONLY = row(LOGIN, 403, 404, 302, 404, 403, 403)
# School sign-in is off unless OIDC_ISSUER is set; tests/tracker/test_sso.py covers it on.
SSO_OFF = row(404, 404, 404, 404, 404, 404, 404)


def ENROLMENT(c):  # noqa: N802 - reads as a constant in the tables below
    return {"pk": c.learner.pk, "enrolment_pk": c.enrolment.pk}


def QUALIFICATION(c):  # noqa: N802 - reads as a constant in the tables below
    """A shared qualification (the same for every centre): the 2016 Diploma."""
    from criteria.models import Qualification

    return Qualification.objects.get(code="05833").pk


# name -> (kwargs from the cast, expected GET status per role)
GET_MATRIX = {
    "home": (lambda c: {}, row(LOGIN, 302, 302, 302, 302, 302, 302)),
    "learner_home": (lambda c: {}, row(LOGIN, 200, 200, 403, 403, 403, 403)),
    "teacher_home": (lambda c: {}, row(LOGIN, 403, 403, 200, 200, 403, 403)),
    "glossary": (lambda c: {}, EVERYONE),
    "iv_home": (lambda c: {}, row(LOGIN, 403, 403, 403, 403, 200, 403)),
    "group": (lambda c: {"pk": c.group.pk}, row(LOGIN, 404, 404, 200, 404, 200, 200)),
    "learner": (lambda c: {"pk": c.learner.pk}, row(LOGIN, 302, 404, 200, 404, 200, 200)),
    "learner_target": (
        lambda c: {"pk": c.learner.pk, "enrolment_pk": c.learner.enrolments.first().pk},
        GET_REFUSED,
    ),
    "learner_move": (lambda c: {"pk": c.learner.pk}, GET_REFUSED),
    "learner_leave": (lambda c: {"pk": c.learner.pk}, GET_REFUSED),
    "learner_reinstate": (lambda c: {"pk": c.learner.pk}, GET_REFUSED),
    "centre:leavers": (lambda c: {}, ADMIN_ONLY),
    "centre:qualifications": (lambda c: {}, ADMIN_ONLY),
    "centre:qualification_ranges": (lambda c: {"pk": QUALIFICATION(c)}, ADMIN_ONLY),
    "learner_qualification": (lambda c: {"pk": c.learner.pk}, GET_REFUSED),
    "learner_units": (lambda c: {"pk": c.learner.pk}, row(LOGIN, 403, 403, 200, 404, 200, 200)),
    "grades_import": (lambda c: {}, row(LOGIN, 403, 403, 200, 200, 403, 200)),
    "grades_import_confirm": (lambda c: {}, GET_REFUSED),
    "grades_import_cancel": (lambda c: {}, GET_REFUSED),
    "centre:home": (lambda c: {}, ADMIN_ONLY),
    "centre:staff": (lambda c: {}, ADMIN_ONLY),
    "centre:staff_add": (lambda c: {}, ADMIN_ONLY),
    "centre:staff_edit": (lambda c: {"pk": c.teacher.pk}, ADMIN_ONLY),
    "centre:groups": (lambda c: {}, ADMIN_ONLY),
    "centre:group_add": (lambda c: {}, ADMIN_ONLY),
    "centre:group_edit": (lambda c: {"pk": c.group.pk}, ADMIN_ONLY),
    "centre:import": (lambda c: {}, ADMIN_ONLY),
    "centre:staff_invite": (lambda c: {"pk": c.teacher.pk}, GET_REFUSED),
    "centre:group_signin": (lambda c: {"pk": c.group.pk}, ADMIN_ONLY),
    "centre:group_invite": (lambda c: {"pk": c.group.pk}, GET_REFUSED),
    "centre:group_letters": (lambda c: {"pk": c.group.pk}, GET_REFUSED),
    "centre:letters": (lambda c: {}, ADMIN_ONLY),
    "centre:letters_print": (lambda c: {}, GET_REFUSED),
    "learner_invite": (lambda c: {"pk": c.learner.pk}, GET_REFUSED),
    "centre:targets": (lambda c: {}, ADMIN_ONLY),
    "centre:years": (lambda c: {}, ADMIN_ONLY),
    "centre:year_add": (lambda c: {}, ADMIN_ONLY),
    "centre:year_current": (lambda c: {"pk": c.year.pk}, GET_REFUSED),
    "centre:import_confirm": (lambda c: {}, GET_REFUSED),
    "centre:import_cancel": (lambda c: {}, GET_REFUSED),
    "learner_unit": (lambda c: {"pk": c.enrolment.pk}, row(LOGIN, 200, 404, 404, 404, 404, 404)),
    "upload": (lambda c: {"pk": c.enrolment.pk}, row(LOGIN, 200, 404, 404, 404, 404, 404)),
    # GET asks the learner to confirm; the POST withdraws (POST_MATRIX).
    "withdraw": (lambda c: {"pk": c.evidence.pk}, row(LOGIN, 200, 404, 403, 404, 403, 403)),
    "download": (lambda c: {"pk": c.evidence.pk}, row(LOGIN, 200, 404, 200, 404, 200, 200)),
    "queue": (lambda c: {}, row(LOGIN, 403, 403, 200, 200, 403, 403)),
    "mark": (ENROLMENT, row(LOGIN, 302, 404, 200, 404, 200, 200)),
    "decide": (ENROLMENT, GET_REFUSED),
    "predict": (ENROLMENT, GET_REFUSED),
    "my_planner": (lambda c: {}, row(LOGIN, 200, 200, 403, 403, 403, 403)),
    "learner_planner": (
        lambda c: {"pk": c.learner.pk},
        row(LOGIN, 302, 404, 200, 404, 200, 200),
    ),
    "planner_save": (lambda c: {"pk": c.learner.pk}, GET_REFUSED),
    "authorise": (ENROLMENT, GET_REFUSED),
    "staff_evidence": (ENROLMENT, row(LOGIN, 403, 404, 200, 404, 403, 403)),
    "grid": (
        lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk},
        row(LOGIN, 404, 404, 200, 404, 200, 200),
    ),
    "exam_marks": (lambda c: {"pk": c.group.pk, "unit_pk": c.unit6.pk}, GET_REFUSED),
    "grid_bulk": (lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk}, GET_REFUSED),
    # Grade boundaries: the centre admin (of this one-centre instance, so shared OCR series
    # too) or the unit's lead assessor; the superuser's path is in test_boundaries.py.
    "boundaries": (lambda c: {}, ADMIN_ONLY),
    "unit_boundaries": (lambda c: {"unit_pk": c.unit6.pk}, ADMIN_ONLY),
    "series_add": (lambda c: {"unit_pk": c.unit6.pk}, GET_REFUSED),
    "series_boundaries": (lambda c: {"pk": c.mock_series.pk}, ADMIN_ONLY),
    "series_delete": (lambda c: {"pk": c.mock_series.pk}, GET_REFUSED),
    "assignments": (
        lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk},
        row(LOGIN, 403, 403, 200, 404, 403, 403),
    ),
    "adopt_plan": (lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk}, GET_REFUSED),
    "extend": (lambda c: {"pk": c.assignment.pk}, GET_REFUSED),
    "export_grades": (lambda c: {}, ADMIN_ONLY),
    "export_ucas": (lambda c: {}, row(LOGIN, 403, 403, 200, 200, 403, 200)),
    "iv_start": (lambda c: {}, GET_REFUSED),
    "iv_report": (lambda c: {}, row(LOGIN, 403, 403, 403, 403, 200, 200)),
    "iv_sample": (lambda c: {"pk": c.sample.pk}, row(LOGIN, 404, 404, 404, 404, 200, 200)),
    "iv_include": (lambda c: {"pk": c.sample.pk}, GET_REFUSED),
    "iv_verify": (lambda c: {"pk": c.sample_item.pk}, row(LOGIN, 404, 404, 404, 404, 200, 403)),
    "iv_sign_off": (lambda c: {"pk": c.sample_item.pk}, GET_REFUSED),
    "iv_record": (lambda c: {"pk": c.sample_item.pk}, row(LOGIN, 404, 404, 404, 404, 200, 200)),
    "iv_action": (lambda c: {"pk": c.action.pk}, GET_REFUSED),
    "export_centre": (lambda c: {}, GET_REFUSED),
    "export_job": (lambda c: {"pk": c.export_job.pk}, ADMIN_ONLY),
    "export_download": (
        lambda c: {"pk": c.export_job.pk},
        row(LOGIN, 403, 403, 403, 403, 403, 404),
    ),
    "export_retry": (lambda c: {"pk": c.export_job.pk}, GET_REFUSED),
    "moderation": (lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk}, ADMIN_ONLY),
    "moderation_zip": (lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk}, ADMIN_ONLY),
    "datasheet": (
        lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk},
        row(LOGIN, 404, 404, 200, 404, 403, 403),
    ),
    "datasheet_import": (
        lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk},
        row(LOGIN, 404, 404, 200, 404, 403, 403),
    ),
    "datasheet_cancel": (lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk}, GET_REFUSED),
    "urs": (ENROLMENT, row(LOGIN, 403, 404, 200, 404, 200, 200)),
    "group_urs": (
        lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk},
        row(LOGIN, 404, 404, 200, 404, 200, 200),
    ),
    "criteria:unit_list": (lambda c: {}, EVERYONE),
    "criteria:unit": (lambda c: {"slug": c.unit30.slug}, EVERYONE),
    # The site icon, for everyone, signed in or not.
    "favicon": (lambda c: {}, PUBLIC),
    "login": (lambda c: {}, PUBLIC),
    "logout": (lambda c: {}, GET_REFUSED),
    "password_change": (lambda c: {}, EVERYONE),
    "password_change_done": (lambda c: {}, EVERYONE),
    "password_reset": (lambda c: {}, PUBLIC),
    "password_reset_done": (lambda c: {}, PUBLIC),
    "password_reset_confirm": (lambda c: {"uidb64": "MQ", "token": "set-password"}, PUBLIC),
    "password_reset_complete": (lambda c: {}, PUBLIC),
    # The token or the code is the proof: anyone may open these pages.
    "invitation": (lambda c: {"uidb64": "MQ", "token": "set-password"}, PUBLIC),
    "first_signin": (lambda c: {}, PUBLIC),
    "sso_start": (lambda c: {}, SSO_OFF),
    "sso_callback": (lambda c: {}, SSO_OFF),
    # Everyone has their own notifications and email choices, and sees only those.
    "notifications": (lambda c: {}, EVERYONE),
    "notifications_read": (lambda c: {}, GET_REFUSED),
    "notification_settings": (lambda c: {}, EVERYONE),
}

# POST-only views: name -> (kwargs, form data, expected POST status per role)
POST_MATRIX = {
    "notifications_read": (lambda c: {}, lambda c: {}, row(LOGIN, 302, 302, 302, 302, 302, 302)),
    "notification_settings": (
        lambda c: {},
        lambda c: {},
        row(LOGIN, 302, 302, 302, 302, 302, 302),
    ),
    "learner_qualification": (
        lambda c: {"pk": c.learner.pk},
        lambda c: {"qualification": ""},
        row(LOGIN, 403, 403, 302, 404, 403, 302),
    ),
    "learner_units": (
        lambda c: {"pk": c.learner.pk},
        lambda c: {},
        row(LOGIN, 403, 403, 302, 404, 403, 302),
    ),
    "centre:qualification_ranges": (
        lambda c: {"pk": QUALIFICATION(c)},
        lambda c: {},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "grades_import_confirm": (
        lambda c: {},
        lambda c: {"token": "0" * 32},
        row(LOGIN, 403, 403, 302, 302, 403, 302),
    ),
    "grades_import_cancel": (
        lambda c: {},
        lambda c: {"token": "0" * 32},
        row(LOGIN, 403, 403, 302, 302, 403, 302),
    ),
    "learner_target": (
        lambda c: {"pk": c.learner.pk, "enrolment_pk": c.learner.enrolments.first().pk},
        lambda c: {},
        row(LOGIN, 403, 404, 302, 404, 403, 302),
    ),
    "learner_move": (
        lambda c: {"pk": c.learner.pk},
        lambda c: {"group": c.other_group.pk},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "learner_leave": (
        lambda c: {"pk": c.learner.pk},
        lambda c: {"left_on": "2026-01-05", "reason": "Moved school"},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "learner_reinstate": (
        lambda c: {"pk": c.learner.pk},
        lambda c: {},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "centre:import_confirm": (
        lambda c: {},
        lambda c: {"token": "0" * 32},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "centre:import_cancel": (
        lambda c: {},
        lambda c: {"token": "0" * 32},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "datasheet_cancel": (
        lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk},
        lambda c: {"token": "0" * 32},
        row(LOGIN, 404, 404, 302, 404, 403, 403),
    ),
    # A year of the admin's centre: 403 for other roles (an admin elsewhere gets 404).
    "centre:year_current": (
        lambda c: {"pk": c.year.pk},
        lambda c: {},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    # A job of the admin's centre: 403 for other roles (an admin elsewhere gets 404).
    "export_retry": (
        lambda c: {"pk": c.export_job.pk},
        lambda c: {},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "withdraw": (
        lambda c: {"pk": c.evidence.pk},
        lambda c: {},
        row(LOGIN, 302, 404, 403, 404, 403, 403),
    ),
    "decide": (
        ENROLMENT,
        lambda c: {
            "item": f"c:{c.unit30.criteria.get(code='P1').pk}",
            "revision": "1",
            "status": "achieved",
        },
        ASSESSORS_ONLY,
    ),
    "predict": (ENROLMENT, lambda c: {"grade": "M"}, ASSESSORS_ONLY),
    "planner_save": (lambda c: {"pk": c.learner.pk}, lambda c: {"u6": "M"}, ASSESSORS_ONLY),
    "iv_start": (
        lambda c: {},
        lambda c: {"group": c.group.pk, "unit": c.unit30.pk, "kind": "interim"},
        row(LOGIN, 403, 403, 403, 403, 302, 403),
    ),
    "iv_include": (
        lambda c: {"pk": c.sample.pk},
        lambda c: {"enrolment": c.enrolment.pk, "include": "0", "note": "test"},
        row(LOGIN, 404, 404, 404, 404, 302, 403),
    ),
    "iv_sign_off": (
        lambda c: {"pk": c.sample_item.pk},
        lambda c: {},
        row(LOGIN, 404, 404, 404, 404, 302, 403),
    ),
    "iv_action": (
        lambda c: {"pk": c.action.pk},
        lambda c: {"response": "Added page numbers."},
        row(LOGIN, 404, 404, 302, 404, 403, 404),
    ),
    # Only the unit's lead assessor may authorise; nobody in the cast leads Unit 30.
    "authorise": (
        ENROLMENT,
        lambda c: {"decision": c.enrolment.decisions.get(criterion__code="P1").pk},
        row(LOGIN, 403, 404, 403, 404, 403, 403),
    ),
    "adopt_plan": (
        lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk},
        lambda c: {},
        row(LOGIN, 403, 403, 302, 404, 403, 403),
    ),
    "extend": (
        lambda c: {"pk": c.assignment.pk},
        lambda c: {"learner": c.learner.pk, "deadline": "2027-01-10"},
        row(LOGIN, 403, 403, 302, 404, 403, 403),
    ),
    # Invitations and letters: the admin of the account's centre only.
    "centre:staff_invite": (
        lambda c: {"pk": c.teacher.pk},
        lambda c: {},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "learner_invite": (
        lambda c: {"pk": c.learner.pk},
        lambda c: {},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "centre:group_invite": (
        lambda c: {"pk": c.group.pk},
        lambda c: {},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "centre:group_letters": (
        lambda c: {"pk": c.group.pk},
        lambda c: {"who": "everyone"},
        row(LOGIN, 403, 403, 403, 403, 403, 200),
    ),
    "centre:letters_print": (
        lambda c: {},
        lambda c: {"who": "chosen", "chosen": [c.learner.pk]},
        row(LOGIN, 403, 403, 403, 403, 403, 200),
    ),
    "exam_marks": (
        lambda c: {"pk": c.group.pk, "unit_pk": c.unit6.pk},
        lambda c: {
            "new_mock": "Mock 1",
            f"mark-{c.learner.enrolments.get(unit=c.unit6).pk}": "40",
        },
        row(LOGIN, 404, 404, 302, 404, 403, 403),
    ),
    # Bulk entry on the grid: the group's teachers; IV and admin see the grid read-only.
    "grid_bulk": (
        lambda c: {"pk": c.group.pk, "unit_pk": c.unit30.pk},
        lambda c: {
            "status": "achieved",
            "cells": [f"{c.enrolment.pk}:c:{c.unit30.criteria.get(code='P2').pk}:0"],
        },
        row(LOGIN, 404, 404, 302, 404, 403, 403),
    ),
    "series_add": (
        lambda c: {"unit_pk": c.unit6.pk},
        lambda c: {"name": "Mock 9", "kind": "mock"},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "series_delete": (
        lambda c: {"pk": c.mock_series.pk},
        lambda c: {"confirm": "yes"},
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
    "series_boundaries": (
        lambda c: {"pk": c.mock_series.pk},
        lambda c: {
            "max_mark": "60",
            "distinction": "48",
            "merit": "38",
            "pass_mark": "28",
            "near_pass": "22",
            "source": "Our own mock",
        },
        row(LOGIN, 403, 403, 403, 403, 403, 302),
    ),
}


def site_pattern_names(resolver=None, namespace: str = "") -> set[str]:
    """Return the names of every URL pattern outside Django's own admin site."""
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= site_pattern_names(pattern, inner)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"URL pattern {pattern.pattern} has no name"
            names.add(namespace + pattern.name)
    return names


def test_every_url_pattern_has_an_access_rule():
    assert site_pattern_names() == set(GET_MATRIX)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(GET_MATRIX))
def test_get_access(name, role, cast, client_for):
    from django.urls import reverse

    kwargs, expected = GET_MATRIX[name]
    response = client_for(role).get(reverse(name, kwargs=kwargs(cast)))
    assert response.status_code == expected[role], (name, role)
    if role == "anonymous" and expected[role] == LOGIN:
        assert response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(POST_MATRIX))
def test_post_access(name, role, cast, client_for):
    from django.urls import reverse

    kwargs, data, expected = POST_MATRIX[name]
    response = client_for(role).post(reverse(name, kwargs=kwargs(cast)), data(cast))
    assert response.status_code == expected[role], (name, role)


@pytest.mark.parametrize("role", ROLES)
def test_only_django_staff_reach_the_admin_site(role, cast, client_for):
    response = client_for(role).get("/admin/")
    assert response.status_code == 302


# A second centre on the same instance: its people must reach nothing of the first.
ELSEWHERE_ROLES = ["learner", "teacher", "iv", "admin"]
# Pages anyone may see whatever their centre (the catalogue, signing in and out).
NOT_CENTRE_DATA = {
    "criteria:unit_list",
    "criteria:unit",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "sso_start",
    "sso_callback",
    "password_reset_confirm",
    "password_reset_complete",
    "invitation",
    "first_signin",
}
# Pages of a catalogue unit that show and change only the visitor's own centre's series
# (grade boundaries); test_boundaries_by_unit_show_only_the_visitors_centre checks them.
OWN_CENTRE_BY_UNIT = {"unit_boundaries", "series_add"}
# A shared qualification's point ranges as the visitor's own centre entered them;
# test_point_ranges_show_only_the_visitors_centre checks them.
OWN_CENTRE_BY_QUALIFICATION = {"centre:qualification_ranges"}


@pytest.fixture
def elsewhere(cast):
    """Staff and a learner of another centre, with a group of their own on both units."""
    from tests.conftest import make_learner, make_staff
    from tracker.models import AcademicYear, Centre, TeachingGroup

    centre = Centre.objects.create(name="Far Away College", ocr_number="67890")
    year = AcademicYear.objects.create(
        centre=centre,
        name="2026/27",
        starts_on=cast.year.starts_on,
        ends_on=cast.year.ends_on,
        is_current=True,
    )
    group = TeachingGroup.objects.create(centre=centre, academic_year=year, name="Far 13")
    group.units.add(cast.unit6, cast.unit30)
    people = {
        "teacher": make_staff(centre, "far_teacher", is_teacher=True),
        "iv": make_staff(centre, "far_iv", is_internal_verifier=True),
        "admin": make_staff(centre, "far_admin", is_centre_admin=True),
        "learner": make_learner(centre, group, "0001", "Fay", "Faraway").user,
    }
    group.teachers.add(people["teacher"])
    group.internal_verifiers.add(people["iv"])
    return people


def _first_centre_names(cast) -> list[str]:
    return [cast.learner.full_name, cast.other_learner.full_name, "handout.pdf", "Test College"]


@pytest.mark.parametrize("role", ELSEWHERE_ROLES)
@pytest.mark.parametrize(
    "name",
    sorted(set(GET_MATRIX) - NOT_CENTRE_DATA - OWN_CENTRE_BY_UNIT - OWN_CENTRE_BY_QUALIFICATION),
)
def test_another_centre_reaches_nothing_by_get(name, role, cast, elsewhere):
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(elsewhere[role])
    kwargs, _ = GET_MATRIX[name]
    arguments = kwargs(cast)
    response = client.get(reverse(name, kwargs=arguments))
    if arguments:  # a record of the first centre: never shown
        assert response.status_code in (403, 404, 405), (name, role, response.status_code)
    else:  # the visitor's own pages: nothing of the first centre on them
        assert response.status_code in (200, 302, 403, 405), (name, role, response.status_code)
        if response.status_code == 200 and not getattr(response, "streaming", False):
            html = response.content.decode()
            for text in _first_centre_names(cast):
                assert text not in html, (name, role, text)


@pytest.mark.parametrize("role", ELSEWHERE_ROLES)
@pytest.mark.parametrize(
    "name", sorted(set(POST_MATRIX) - OWN_CENTRE_BY_UNIT - OWN_CENTRE_BY_QUALIFICATION)
)
def test_another_centre_changes_nothing_by_post(name, role, cast, elsewhere):
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(elsewhere[role])
    kwargs, data, _ = POST_MATRIX[name]
    arguments = kwargs(cast)
    response = client.post(reverse(name, kwargs=arguments), data(cast))
    # A record of the first centre is out of reach; a route on the visitor's own centre
    # (the import confirmation) may send them back to their own page.
    allowed = (400, 403, 404) if arguments else (302, 400, 403, 404)
    assert response.status_code in allowed, (name, role, response.status_code)


def test_boundaries_by_unit_show_only_the_visitors_centre(cast, elsewhere):
    from django.test import Client
    from django.urls import reverse

    from criteria.models import ExamSeries

    ours = cast.mock_series
    client = Client()
    client.force_login(elsewhere["admin"])
    page = client.get(reverse("unit_boundaries", args=[cast.unit6.pk]))
    assert page.status_code == 200 and ours.name not in page.content.decode()
    client.post(reverse("series_add", args=[cast.unit6.pk]), {"name": "Far mock", "kind": "mock"})
    added = ExamSeries.objects.get(name="Far mock")
    assert added.centre_id != cast.centre.pk and added.centre_id is not None
    for role in ("teacher", "iv", "learner"):
        client.force_login(elsewhere[role])
        assert client.get(reverse("unit_boundaries", args=[cast.unit6.pk])).status_code == 403


def test_point_ranges_show_only_the_visitors_centre(cast, elsewhere):
    from django.test import Client
    from django.urls import reverse

    from tracker.models import CentreGradeRange

    CentreGradeRange.objects.create(
        centre=cast.centre, qualification_id=QUALIFICATION(cast), label="DD", minimum_points=4321
    )
    client = Client()
    client.force_login(elsewhere["admin"])
    url = reverse("centre:qualification_ranges", kwargs={"pk": QUALIFICATION(cast)})
    page = client.get(url)
    assert page.status_code == 200
    assert "4321" not in page.content.decode()
    assert client.post(url, {}).status_code == 302
    assert CentreGradeRange.objects.filter(centre=cast.centre).count() == 1
