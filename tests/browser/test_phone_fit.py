"""Pages found too wide for a 390 px phone in a walkthrough: each must fit without the page
itself scrolling sideways (a wide table may scroll inside its own box)."""

from django.urls import reverse

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_tables_and_long_email_addresses_fit_a_phone(catalogue, cast, visitor):
    # Tables whose last columns hold words for screen readers only, off-screen on a phone.
    admin = visitor("admin-tables-phone", 390, 844)
    admin.sign_in("admin")
    for path in (
        reverse("centre:qualifications"),
        reverse("centre:groups"),
        reverse("learner", args=[cast.learner.pk]),
    ):
        admin.go(path)
        assert admin.page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways at 390 px"

    # A school email address is one long word.
    account = cast.learner.user
    account.email = "lara.learner.with-a-long-name@students.riverside-college.example.org"
    account.save(update_fields=["email"])
    learner = visitor("learner-email-choices-phone", 390, 844)
    learner.sign_in(account.username)
    learner.go(reverse("notification_settings"))
    assert account.email in learner.page.inner_text("main")
    assert learner.page.evaluate(OVERFLOW) <= 0
    learner.shot("email-choices")


def test_a_very_long_surname_wraps_on_a_phone(catalogue, cast, visitor):
    cast.learner.last_name = "Montgomery-Wolfeschlegelsteinhausenbergerdorff-Fitzgerald"
    cast.learner.save(update_fields=["last_name"])
    teacher = visitor("teacher-long-name-phone", 390, 844)
    teacher.sign_in("teacher")
    for path in (
        reverse("learner", args=[cast.learner.pk]),
        reverse("mark", args=[cast.learner.pk, cast.enrolment.pk]),
    ):
        teacher.go(path)
        assert cast.learner.last_name in teacher.page.inner_text("h1")
        assert teacher.page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways at 390 px"
    teacher.shot("marking")


def test_a_very_long_name_stays_in_its_own_box_among_the_exam_marks(catalogue, cast, visitor):
    from tests.conftest import make_learner

    cast.learner.last_name = "Wolfeschlegelsteinhausenbergerdorff"
    cast.learner.save(update_fields=["last_name"])
    make_learner(cast.centre, cast.group, "0010", "Ava", "Thompson")
    teacher = visitor("teacher-long-name-marks-phone", 390, 844)
    teacher.sign_in("teacher")
    teacher.go(f"/groups/{cast.group.pk}/units/{cast.unit6.pk}/")
    labels = teacher.page.locator("label[for^='mark-']")
    for index in range(labels.count()):
        box = labels.nth(index).evaluate("e => [e.scrollWidth, e.parentElement.clientWidth]")
        assert box[0] <= box[1], f"{labels.nth(index).inner_text()} spills out of its box"
    teacher.shot("exam-marks")
