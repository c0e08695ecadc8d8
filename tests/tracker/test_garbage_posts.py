"""Post garbage to every route of the site, as every role that works on it: never a 500.

The routes come from the URL conf, so a new route is covered as soon as it exists. Each is
posted an empty body and then every field name the site's forms use set to one garbage
value at a time, with garbage in the query string too; and each page is fetched with
garbage query parameters. Bad input answers 400, a refusal, or a form error; never a 500.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.tracker.test_access_matrix import GET_MATRIX

ROLES = ["teacher", "iv", "admin", "learner"]

GARBAGE = ["abc", "-1", "99999999999999999999", "", "x" * 10_000, "\x00"]

# Every field name the site's forms and views read (the per-record names are added below).
FIELDS = [
    # internal verification
    "group",
    "unit",
    "kind",
    "criteria",
    "enrolment",
    "include",
    "note",
    "reopen",
    "reason",
    "close",
    "response",
    "judgement",
    "overall",
    # marking, predictions, exam marks, assignments, data sheets
    "decision",
    "item",
    "revision",
    "status",
    "feedback",
    "evidence",
    "from",
    "grade",
    "series",
    "new_mock",
    "learner",
    "deadline",
    "title",
    "brief",
    "issued_on",
    "file",
    "confirm",
    "conflict-x",
    # grade boundaries
    "name",
    "max_mark",
    "distinction",
    "merit",
    "pass_mark",
    "near_pass",
    "source",
    "illustrative",
    # evidence
    "items",
    "location",
    "declaration",
    "statement",
    "token",
    # people and the centre
    "target_grade",
    "first_name",
    "last_name",
    "username",
    "email",
    "password",
    "is_teacher",
    "is_internal_verifier",
    "is_centre_admin",
    "is_new_assessor",
    "name",
    "academic_year",
    "starts_on",
    "ends_on",
    "units",
    "teachers",
    "internal_verifiers",
    "aspiration_step",
    "apply",
    "ranges-TOTAL_FORMS",
    "ranges-INITIAL_FORMS",
    "ranges-0-low",
    "ranges-0-high",
    "ranges-0-target",
    # qualifications: registration, a centre's point ranges, grade-only units
    "qualification",
    "r0",
    "r1",
    # invitations, sign-in letters and the first sign-in with a code
    "who",
    "code",
    "password1",
    "password2",
    "new_password1",
    "new_password2",
]

QUERY = ["replaces", "group", "unit", "status", "assignment", "page", "format", "preview"]

# Kwargs for a route the access matrix does not know yet, by the name of the URL argument.
FALLBACK = {
    "pk": lambda c: c.group.pk,
    "enrolment_pk": lambda c: c.enrolment.pk,
    "unit_pk": lambda c: c.unit30.pk,
    "slug": lambda c: c.unit30.slug,
    "uidb64": lambda c: "MQ",
    "token": lambda c: "set-password",
}


def site_routes(resolver=None, namespace: str = "", prefix: str = "") -> dict[str, list[str]]:
    """Return {route name: URL argument names} for the site's own routes.

    Django's admin site and its own views (the accounts/ sign-in and password pages) are
    left out: they are Django's, not the site's.
    """
    routes = {}
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            routes |= site_routes(pattern, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            module = getattr(pattern.callback, "view_class", pattern.callback).__module__
            if module.startswith("django."):
                continue
            routes[namespace + pattern.name] = list(pattern.pattern.converters)
    return routes


ROUTES = site_routes()


def url_for(name: str, cast) -> str:
    if name in GET_MATRIX:
        kwargs = GET_MATRIX[name][0](cast)
    else:
        kwargs = {arg: FALLBACK[arg](cast) for arg in ROUTES[name]}
    return reverse(name, kwargs=kwargs)


def per_record_fields(cast) -> list[str]:
    """Field names carrying a record's id: exam marks per learner-unit, IV checks per decision."""
    names = [f"mark-{e.pk}" for e in cast.learner.enrolments.all()]
    names += [f"e{e.pk}-target_grade" for e in cast.learner.enrolments.all()]
    from criteria.models import QualificationUnit

    for unit in QualificationUnit.objects.filter(qualification__code="05833", number__in=[1, 2]):
        names += [f"a{unit.pk}", f"p{unit.pk}"]
    for decision in cast.enrolment.decisions.all():
        names += [f"{field}-{decision.pk}" for field in ("agree", "comment", "action", "due")]
    return names


def test_the_site_has_routes_to_walk():
    assert {"iv_include", "authorise", "iv_start", "upload", "exam_marks"} <= set(ROUTES)
    assert not any(name in ROUTES for name in ("login", "password_change", "logout"))


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_garbage_never_answers_500(name, cast, client_for):
    assert cast.action  # a decision the IV disagreed with: the verify page has checks to garble
    url = url_for(name, cast)
    fields = FIELDS + per_record_fields(cast)
    for role in ROLES:
        client: Client = client_for(role)
        client.raise_request_exception = False
        attempts = [("post", url, {})]
        for value in GARBAGE:
            query = "&".join(f"{key}={value[:50]}" for key in QUERY)
            attempts.append(("post", f"{url}?{query}", dict.fromkeys(fields, value)))
        for value in ("abc", "-1", "99999999999999999999", "%00"):
            attempts.append(("get", url + "?" + "&".join(f"{k}={value}" for k in QUERY), None))
        for method, target, data in attempts:
            response = getattr(client, method)(target, data)
            assert response.status_code < 500, (name, role, method, target[:120], data and "…")


# Explicit regressions: these answered 500 before every id went through a form.


def test_a_non_numeric_enrolment_on_iv_include_is_a_bad_request(cast, client_for):
    response = client_for("iv").post(
        reverse("iv_include", args=[cast.sample.pk]),
        {"enrolment": "abc", "include": "1", "note": "try"},
    )
    assert response.status_code == 400


def test_a_non_numeric_decision_on_authorise_is_a_bad_request(cast, client_for):
    response = client_for("teacher").post(
        reverse("authorise", args=[cast.learner.pk, cast.enrolment.pk]), {"decision": "abc"}
    )
    assert response.status_code == 400


def test_a_non_numeric_group_on_iv_start_is_a_bad_request(cast, client_for):
    response = client_for("iv").post(
        reverse("iv_start"), {"group": "abc", "unit": cast.unit30.pk, "kind": "interim"}
    )
    assert response.status_code == 400


def test_a_non_numeric_replaces_on_upload_is_a_bad_request(cast, client_for):
    response = client_for("learner").get(
        reverse("upload", args=[cast.enrolment.pk]) + "?replaces=abc"
    )
    assert response.status_code == 400


def test_a_non_numeric_unit_on_the_grades_export_is_a_bad_request(cast, client_for):
    response = client_for("admin").get(reverse("export_grades") + "?unit=abc")
    assert response.status_code == 400


def test_a_garbled_exam_mark_is_a_message_not_an_error(cast, client_for):
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    response = client_for("teacher").post(
        reverse("exam_marks", args=[cast.group.pk, cast.unit6.pk]),
        {"new_mock": "Mock 1", f"mark-{enrolment.pk}": "²"},
        follow=True,
    )
    assert response.status_code == 200
    assert "No marks saved." in response.content.decode()


def test_a_garbled_due_date_on_an_iv_check_is_a_message(cast, client_for):
    action = cast.action
    response = client_for("iv").post(
        reverse("iv_verify", args=[action.item_id]),
        {
            f"agree-{action.decision_id}": "no",
            f"action-{action.decision_id}": "Add page numbers",
            f"due-{action.decision_id}": "abc",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Give a due date for the action on P1" in response.content.decode()
