"""Every role's main journey, clicked and typed as a person would, in Chromium."""

import re

import pytest
from openpyxl import load_workbook

from tests.conftest import PDF
from tracker.models import Decision, Status

pytestmark = pytest.mark.browser


def test_learner_on_a_phone_uploads_evidence_and_reads_what_next(
    catalogue, cast, visitor, tmp_path
):
    learner = visitor("learner-phone", 390, 844)
    learner.sign_in("lara.learner")
    learner.shot("home")
    page = learner.page
    assert "For Pass: P2, P3" in page.inner_text("main")
    page.click("text=See every criterion")
    learner.check()
    page.click("text=Upload evidence")
    learner.check()
    pdf = tmp_path / "booklet.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("#id_file", str(pdf))
    page.check("text=P2 explain the relationship between rights")
    page.check("text=M1 explain how personalisation can benefit")
    page.fill("#id_location", "pages 2-5")
    page.check("#id_declaration")
    page.click("text=Hand in")
    page.wait_for_load_state()
    learner.check()
    assert "P2, M1: waiting for your teacher to mark" in page.inner_text("main")
    assert page.locator("#item-P2 .status").inner_text() == "● Submitted"
    assert page.locator("#item-M1 .status").inner_text() == "● Submitted"
    page.click("text=Upload evidence")
    svg = tmp_path / "drawing.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    page.set_input_files("#id_file", str(svg))
    page.check("text=P3 identify legislation")
    page.check("#id_declaration")
    page.click("text=Hand in")
    page.wait_for_load_state()
    learner.check()
    assert ".svg files are not accepted as evidence" in page.inner_text("main")
    page.click("button.navbar-toggler")
    page.click("text=Sign out")
    page.wait_for_load_state()
    assert page.url.endswith("/accounts/login/")


def test_teacher_marks_uses_the_grid_by_keyboard_and_exports(catalogue, cast, visitor, tmp_path):
    teacher = visitor("teacher-desktop")
    teacher.sign_in("teacher")
    teacher.shot("home")
    page = teacher.page
    page.click("text=Marking queue")
    teacher.check()
    page.click("a:has-text('Assess Lara Learner')")
    page.wait_for_load_state()
    teacher.check()
    row = page.locator("#item-P1")
    row.locator("input[value=achieved]").check()
    row.locator("textarea").fill("Clear definition in your own words.")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#item-P1 .status-achieved")
    row = page.locator("#item-P2")
    row.locator("input[value=not_yet]").check()
    row.locator("textarea").fill("Link rights to choice with an example.")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#item-P2 .status-not_yet")
    teacher.check()
    page.select_option("#id_grade", "M")
    page.fill("#id_note", "On track after the booklet.")
    page.click("text=Save prediction")
    page.wait_for_load_state()
    assert "Prediction saved." in page.inner_text("main")
    page.goto(teacher.base_url + f"/groups/{cast.group.pk}/units/{cast.unit30.pk}/")
    teacher.check()
    # Keyboard only: the grid's first cell, arrows along P1 P2 M1 D1 to P3, N sets "not yet".
    page.locator("table[data-grid] tbody td[tabindex='0']").focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("n")
    page.wait_for_selector("#grid-status:has-text('Saved P3')")
    assert Decision.objects.get(enrolment=cast.enrolment, criterion__code="P3").status == (
        Status.NOT_YET
    )
    with page.expect_download() as download:
        page.click("text=Export to Excel")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    book = load_workbook(saved)
    header = [c.value for c in book["Summary"][6]]
    values = [c.value for c in book["Summary"][7]]
    learner_row = dict(zip(header, values, strict=True))
    assert learner_row["Last name"] == "Learner"
    assert learner_row["Unit 30 predicted"] == "Merit"
    teacher.shot("grid")


def submit_pdf(cast, *codes: str) -> None:
    """The learner handed work in earlier (journey 1 does it through the UI)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tracker.evidence.services import Claim, submit_evidence

    submit_evidence(
        cast.enrolment,
        cast.learner.user,
        [Claim(cast.unit30.criteria.get(code=code)) for code in codes],
        upload=SimpleUploadedFile("booklet.pdf", PDF),
        original_name="booklet.pdf",
        content_type="application/pdf",
        sha256="2" * 64,
        declared=True,
    )


def assess(cast, code: str, status: str, feedback: str = "") -> None:
    """Earlier work by the teacher (journey 2 does it through the UI)."""
    from tracker.assessment.services import decision_for, record_decision

    decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code=code))
    record_decision(decision, cast.teacher, status, feedback, decision.revision)


def test_a_grid_save_refused_by_a_conflict_shows_the_stored_decision(catalogue, cast, visitor):
    from tracker.assessment.services import record_decision

    teacher = visitor("teacher-grid-conflict")
    teacher.sign_in("teacher")
    page = teacher.page
    teacher.go(f"/groups/{cast.group.pk}/units/{cast.unit30.pk}/")
    # Another teacher of the group decides P1 while the page is open.
    cast.group.teachers.add(cast.other_teacher)
    decision = Decision.objects.get(enrolment=cast.enrolment, criterion__code="P1")
    record_decision(decision, cast.other_teacher, "achieved", "Theirs.", decision.revision)
    cell = f"#cell-{cast.enrolment.pk}-P1"
    first = page.locator("table[data-grid] tbody tr").first.locator("td").first
    first.click()
    page.keyboard.press("n")
    page.wait_for_selector(f"{cell} .cell-message")
    assert "g-achieved" in page.get_attribute(cell, "class")
    said = page.inner_text(f"{cell} .cell-message")
    assert said.startswith("Not saved: changed by Other_Teacher Staff at ")
    assert said.endswith("to ✓ Achieved. The cell now shows the stored decision.")
    assert said in page.inner_text("#grid-status")
    teacher.check()
    decision.refresh_from_db()
    assert (decision.status, decision.feedback) == (Status.ACHIEVED, "Theirs.")
    # The cell now carries the stored revision: deciding again is a deliberate change.
    page.keyboard.press("n")
    page.wait_for_selector("#grid-status:has-text('Saved P1')")
    decision.refresh_from_db()
    assert decision.status == Status.NOT_YET
    assert "g-not_yet" in page.get_attribute(cell, "class")
    # Any other failure keeps the stored value and says so in the cell.
    page.wait_for_function(
        f"(document.activeElement || {{}}).id === 'cell-{cast.enrolment.pk}-P1'"
        " && !document.activeElement.hasAttribute('aria-busy')"
    )
    page.route("**/decide/", lambda route: route.fulfill(status=500, body="Server Error"))
    with page.expect_response("**/decide/") as answered:
        page.keyboard.press("a")
    assert answered.value.status == 500
    page.wait_for_selector(f"{cell} .cell-message:has-text('Not saved (error 500)')")
    assert "g-not_yet" in page.get_attribute(cell, "class")
    teacher.check()
    decision.refresh_from_db()
    assert decision.status == Status.NOT_YET


def test_teacher_records_unit6_mock_marks_and_sees_near_pass(catalogue, cast, visitor):
    from criteria.models import BoundarySet

    BoundarySet.objects.create(
        series=cast.mock_series,
        max_mark=60,
        distinction=48,
        merit=38,
        pass_mark=28,
        near_pass=22,
        source="Illustrative, for the test",
        illustrative=True,
    )
    other = cast.other_learner
    other.group = cast.group
    other.save()
    teacher = visitor("teacher-unit6")
    teacher.sign_in("teacher")
    page = teacher.page
    teacher.go(f"/groups/{cast.group.pk}/units/{cast.unit6.pk}/")
    page.select_option("#series", label="Mock 1")
    page.fill(f"#mark-{cast.learner.enrolments.get(unit=cast.unit6).pk}", "24")
    page.fill(f"#mark-{other.enrolments.get(unit=cast.unit6).pk}", "61")
    page.click("text=Save marks")
    page.wait_for_load_state()
    teacher.check()
    assert "No marks saved." in page.inner_text("main")  # 61 is above the paper's 60
    page.fill(f"#mark-{other.enrolments.get(unit=cast.unit6).pk}", "50")
    page.select_option("#series", label="Mock 1")
    page.fill(f"#mark-{cast.learner.enrolments.get(unit=cast.unit6).pk}", "24")
    page.click("text=Save marks")
    page.wait_for_load_state()
    assert "2 marks saved for Mock 1." in page.inner_text("main")
    teacher.go(
        f"/learners/{cast.learner.pk}/units/{cast.learner.enrolments.get(unit=cast.unit6).pk}/"
    )
    assert "Mock 1: 24/60 — Near Pass" in page.inner_text("main")
    teacher.go(f"/learners/{other.pk}/units/{other.enrolments.get(unit=cast.unit6).pk}/")
    assert "50/60 — Distinction" in page.inner_text("main")


def test_admin_enters_unit6_boundaries_and_teacher_marks_against_the_series(
    catalogue, cast, visitor
):
    """A one-centre instance: its centre admin enters an OCR series' boundaries in the app;
    the teacher picks that series from the list, enters a mark and sees the grade."""
    admin = visitor("boundaries-admin")
    admin.sign_in("admin")
    page = admin.page
    page.click("nav >> text=Grade boundaries")
    page.wait_for_load_state()
    admin.check()
    page.click("text=Unit 6:")
    page.wait_for_load_state()
    admin.check()
    page.fill("#id_name", "January 2026")
    page.select_option("#id_kind", label="OCR exam")
    page.click("button:has-text('Add series')")
    page.wait_for_load_state()
    assert "Series January 2026 added." in page.inner_text("main")
    page.fill("#id_distinction", "48")
    page.fill("#id_merit", "38")
    page.fill("#id_pass_mark", "28")
    page.fill("#id_near_pass", "22")
    page.fill("#id_source", "OCR raw mark grade boundaries, January 2026")
    page.click("button:has-text('Save boundaries')")
    page.wait_for_load_state()
    admin.check()
    main = page.inner_text("main")
    assert "Boundaries saved for January 2026." in main
    assert "OCR raw mark grade boundaries, January 2026" in main

    teacher = visitor("boundaries-teacher")
    teacher.sign_in("teacher")
    page = teacher.page
    teacher.go(f"/groups/{cast.group.pk}/units/{cast.unit6.pk}/")
    page.select_option("#series", label="January 2026 (OCR exam)")
    enrolment = cast.learner.enrolments.get(unit=cast.unit6)
    page.fill(f"#mark-{enrolment.pk}", "40")
    page.click("text=Save marks")
    page.wait_for_load_state()
    teacher.check()
    assert "1 mark saved for January 2026." in page.inner_text("main")
    assert "Merit" in page.inner_text(f"#grade-{enrolment.pk}")


def test_iv_disagrees_assessor_responds_iv_signs_off(catalogue, cast, visitor):
    assess(cast, "P1", "achieved", "Fine.")
    assess(cast, "P2", "achieved", "Fine.")
    iv = visitor("iv-desktop")
    iv.sign_in("iv")
    iv.shot("home")
    page = iv.page
    page.click("button:has-text('Propose a sample of 13A unit 30')")
    page.wait_for_load_state()
    iv.check()
    assert "checks Teacher Staff's marking at Unclassified" in page.inner_text("main")
    page.click("a:has-text('Verify Lara Learner')")
    page.wait_for_load_state()
    iv.check()
    cards = page.locator("fieldset.card")
    cards.nth(0).locator("input[value=yes]").check()
    cards.nth(1).locator("input[value=no]").check()
    cards.nth(1).locator("input[name^=action]").fill("Reassess P2: the rights-choice link.")
    cards.nth(1).locator("input[type=date]").fill("2027-06-30")
    page.check("#j-disagree")
    page.click("text=Save verification")
    page.wait_for_load_state()
    assert "1 action(s) raised" in page.inner_text("main")
    page.click("button:has-text('Sign off')")
    page.wait_for_load_state()
    assert "Sign-off refused: 1 action(s) are not closed yet." in page.inner_text("main")

    teacher = visitor("teacher-actions")
    teacher.sign_in("teacher")
    assert "Reassess P2: the rights-choice link." in teacher.page.inner_text("main")
    teacher.page.fill("input[name=response]", "Reassessed: P2 is now not yet achieved.")
    teacher.page.click("button:has-text('Respond')")
    teacher.page.wait_for_load_state()
    teacher.check()

    page.reload()
    page.click("button:has-text('Close')")
    page.wait_for_load_state()
    page.click("button:has-text('Sign off')")
    page.wait_for_load_state()
    iv.check()
    assert "Signed off." in page.inner_text("main")


def test_admin_imports_learners_after_fixing_an_error_and_prints_a_recording_sheet(
    catalogue, cast, visitor, tmp_path
):
    admin = visitor("admin-desktop")
    admin.sign_in("admin")
    admin.shot("home")
    page = admin.page
    header = "Candidate No,Forename,Legal Surname,Email,Teaching Group,Unit,Target Grade\n"
    bad = tmp_path / "learners.csv"
    bad.write_text(
        header + "0201,Hannah,Baker,hb@example.org,13A,30,M\n0202,Ian,,ib@example.org,13A,30,Z\n"
    )
    page.click("text=Import learners")
    admin.check()
    page.set_input_files("#id_file", str(bad))
    page.click("text=Check the file")
    page.wait_for_load_state()
    admin.check()
    errors = page.inner_text("#import-errors")
    assert "Last name" in errors and "'Z' is not a target grade" in errors
    good = tmp_path / "learners-fixed.csv"
    good.write_text(
        header + "0201,Hannah,Baker,hb@example.org,13A,30,M\n"
        "0202,Ian,Bell,ib@example.org,13A,30,P\n"
    )
    page.click("text=Upload a corrected file")
    page.set_input_files("#id_file", str(good))
    page.click("text=Check the file")
    page.wait_for_load_state()
    page.click("button:has-text('Import 2 learners')")
    page.wait_for_load_state()
    admin.check()
    assert "2 learners added" in page.inner_text("main")
    page.click("a:has-text('13A')")
    page.wait_for_load_state()
    admin.check()
    assert "Baker, Hannah" in page.inner_text("main") and "Bell, Ian" in page.inner_text("main")
    page.click("text=Unit 30 recording sheets")
    page.wait_for_load_state()
    admin.check()
    # The Print button works from site.js (no inline handler); the print stylesheet hides the
    # site's header.
    page.evaluate("window.print = () => { window.printRequested = true; }")
    page.click("button:has-text('Print')")
    assert page.evaluate("window.printRequested") is True
    page.emulate_media(media="print")
    assert page.is_hidden("header")
    pdf = tmp_path / "urs.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    assert pdf.read_bytes().startswith(b"%PDF")
    # One A4 page per learner of 13A (Lara, Hannah and Ian), signature lines included.
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes())) == 3


def test_learner_sees_feedback_and_the_new_what_next(catalogue, cast, visitor):
    for code in ("P1", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10"):
        assess(cast, code, "achieved", f"{code} well done.")
    assess(cast, "P2", "not_yet", "Link rights to choice with an example.")
    learner = visitor("learner-feedback", 390, 844)
    learner.sign_in("lara.learner")
    page = learner.page
    main = " ".join(page.inner_text("main").split())
    assert "For Pass: P2." in main
    page.click("text=See every criterion")
    learner.check()
    assert "Link rights to choice with an example." in page.inner_text("#item-P2")
    assert "✗ Not yet achieved" in page.inner_text("#item-P2")


def test_learner_on_a_phone_reads_what_next_the_glossary_and_unit6_by_outcome(
    catalogue, cast, visitor, tmp_path
):
    from criteria.models import BoundarySet
    from tracker.models import ExamMark

    for code in ("P1", "P3", "P4", "P5"):
        assess(cast, code, "achieved", f"{code} well done.")
    submit_pdf(cast, "P2", "M1")
    BoundarySet.objects.create(
        series=cast.mock_series,
        max_mark=60,
        distinction=48,
        merit=38,
        pass_mark=28,
        near_pass=22,
        source="Set by the centre for its mock",
    )
    unit6 = cast.learner.enrolments.get(unit=cast.unit6)
    unit6.target_grade = "M"
    unit6.save()
    ExamMark.objects.create(
        enrolment=unit6, series=cast.mock_series, mark=31, entered_by=cast.teacher
    )
    learner = visitor("learner-words-phone", 390, 844)
    learner.sign_in("lara.learner")
    learner.shot("home")
    page = learner.page
    main = " ".join(page.inner_text("main").split())
    assert "For Pass: P6, P7, P8, P9, P10. ● P2: waiting for your teacher" in main
    assert "Then for Merit also: M2, M3. ● M1: waiting for your teacher" in main
    assert "Exam Not sat yet Latest mock Pass Mock 1: 31 out of 60." in main
    assert "Below" not in main
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the learner's home needs horizontal scrolling on a phone"

    page.locator("a.whats-this[href$='#target-grade']").first.click()
    page.wait_for_load_state()
    learner.check()
    assert page.inner_text("h1") == "Words we use"
    assert page.url.endswith("#target-grade")
    assert "The grade your school expects" in page.inner_text("#target-grade + dd")
    learner.shot("glossary")

    learner.go("/me/")
    page.click("text=See every topic")
    page.wait_for_load_state()
    learner.check()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2000, f"the Unit 6 page is {height} px tall on a phone"
    learner.shot("unit6")
    sections = page.locator("details.outcome")
    assert sections.count() == cast.unit6.learning_outcomes.count()
    assert "0 of" in sections.first.locator("summary").inner_text()
    assert not sections.first.locator("li.card").first.is_visible()
    sections.first.locator("summary").click()
    assert sections.first.locator("li.card").first.is_visible()
    learner.check()
    learner.shot("unit6-outcome-open")

    # A 120 MB phone video is refused in the browser before anything is sent.
    page.click("text=Upload evidence")
    page.wait_for_load_state()
    video = tmp_path / "video.mp4"
    with video.open("wb") as handle:
        handle.truncate(120 * 1024 * 1024)
    sent = []
    page.on("request", lambda request: request.method == "POST" and sent.append(request.url))
    page.set_input_files("#id_file", str(video))
    message = page.locator("#id_file-size-message")
    assert "video.mp4 is 120.0 MB, larger than the 50.0 MB limit" in message.inner_text()
    assert page.input_value("#id_file") == ""
    page.check("#id_declaration")
    page.click("text=Hand in")
    assert not sent
    learner.check()
    learner.shot("upload-too-large")


@pytest.mark.parametrize(("role", "width", "height"), [("phone", 390, 844), ("desktop", 1280, 900)])
def test_each_roles_main_page_fits_and_is_saved(catalogue, cast, visitor, role, width, height):
    for username in ("lara.learner", "teacher", "iv", "admin"):
        person = visitor(f"{username}-{role}", width, height)
        person.sign_in(username)
        person.shot("main")
        overflow = person.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{username}'s home needs horizontal scrolling at {width}px"


def test_a_new_centre_runs_create_centre_then_starts_its_next_year(catalogue, visitor):
    from io import StringIO

    from django.core.management import call_command

    admin = visitor("first-run-desktop")
    admin.go("/")
    assert "No centre is set up yet." in admin.page.inner_text("main")
    admin.shot("no-centre")
    out = StringIO()
    call_command(
        "create_centre",
        name="Riverside College",
        ocr_number="54321",
        year="2026/27",
        admin_username="k.ahmed",
        admin_email="k.ahmed@riverside.example.org",
        admin_first_name="Kamran",
        admin_last_name="Ahmed",
        password="a-long-exams-password",
        interactive=False,
        stdout=out,
    )
    assert "Sign in at" in out.getvalue()
    admin.sign_in("k.ahmed", "a-long-exams-password")
    page = admin.page
    page.click("nav[aria-label='Centre admin'] >> text=Years")
    page.wait_for_load_state()
    admin.check()
    assert "2026/27" in page.inner_text("main")
    page.click("text=Add an academic year")
    page.wait_for_load_state()
    admin.check()
    page.fill("#id_name", "2027/28")
    page.fill("#id_starts_on", "2027-07-01")  # overlaps 2026/27: refused with a clear error
    page.fill("#id_ends_on", "2028-07-31")
    page.click("button:has-text('Add year')")
    page.wait_for_load_state()
    admin.check()
    assert "These dates overlap 2026/27" in page.inner_text("main")
    page.fill("#id_starts_on", "2027-09-01")
    page.click("button:has-text('Add year')")
    page.wait_for_load_state()
    admin.check()
    assert "Academic year 2027/28 added." in page.inner_text("main")
    page.click("button:has-text('Make 2027/28 current')")
    page.wait_for_load_state()
    admin.check()
    main = page.inner_text("main")
    assert "2027/28 is now the current academic year." in main
    row = page.locator("tr", has_text="2027/28")
    assert "Current year" in row.inner_text()
    assert page.locator("button:has-text('Make 2026/27 current')").count() == 1
    admin.shot("years")


def _without_password(user, email=None):
    user.set_unusable_password()
    if email is not None:
        user.email = email
    user.save()


def test_learner_signs_in_through_an_invitation_email(
    catalogue, cast, visitor, live_server, settings, mailoutbox
):
    import re

    settings.SITE_URL = live_server.url
    _without_password(cast.learner.user)
    admin = visitor("admin-invites")
    admin.sign_in("admin")
    admin.go(f"/learners/{cast.learner.pk}/")
    admin.page.click("text=Send an invitation")
    admin.page.wait_for_load_state()
    admin.check()
    assert "Invitation sent" in admin.page.inner_text("main")
    assert "Invited on" in admin.page.inner_text("main")
    (message,) = mailoutbox
    link = re.search(r"http\S+/accounts/invitation/\S+/", message.body).group(0)

    learner = visitor("learner-invited", 390, 844)
    learner.page.goto(link)
    learner.check()
    page = learner.page
    assert "Choose your password" in page.inner_text("main")
    page.fill("#id_new_password1", "my-own-long-password-3")
    page.fill("#id_new_password2", "my-own-long-password-3")
    page.click("text=Save password and sign in")
    page.wait_for_load_state()
    learner.check()
    learner.shot("home")
    assert "Your password is set" in page.inner_text("main")
    assert "For Pass:" in page.inner_text("main")
    learner.page.goto(link)
    assert "This link no longer works" in page.inner_text("main")


def test_learner_signs_in_with_a_printed_code(catalogue, cast, visitor, live_server, settings):
    settings.SITE_URL = live_server.url
    _without_password(cast.learner.user, email="")
    admin = visitor("admin-letters")
    admin.sign_in("admin")
    admin.go(f"/groups/{cast.group.pk}/")
    admin.page.click("text=Invitations and sign-in letters")
    admin.page.wait_for_load_state()
    admin.check()
    assert "No email: needs a letter" in admin.page.inner_text("main")
    admin.page.click("text=Make codes and show the letters")
    admin.page.wait_for_load_state()
    admin.check()
    admin.shot("letters")
    admin.page.emulate_media(media="print")
    assert not admin.page.locator("header").is_visible()
    code = admin.page.inner_text(f"[data-code-for='{cast.learner.user.username}']")

    learner = visitor("learner-letter", 390, 844)
    learner.go("/accounts/login/")
    page = learner.page
    page.click("text=First sign-in with a code")
    page.wait_for_load_state()
    learner.check()
    page.fill("#id_username", cast.learner.user.username)
    page.fill("#id_code", code)
    page.fill("#id_password1", "my-own-long-password-3")
    page.fill("#id_password2", "my-own-long-password-3")
    page.click("text=Set password and sign in")
    page.wait_for_load_state()
    learner.check()
    assert "Your password is set" in page.inner_text("main")
    assert "For Pass:" in page.inner_text("main")


def _school_sign_in(person, provider, email: str) -> None:
    """From the sign-in page, through the provider's own pages (not ours: no axe check)."""
    page = person.page
    person.go("/accounts/login/")
    page.click("text=Sign in with your school account")
    page.wait_for_url(f"{provider.issuer}/**")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.click("button:has-text('Continue')")  # the provider asks to share the email
    page.wait_for_url(f"{person.base_url}/**")
    page.wait_for_load_state()
    # The provider's pages are held to their own policy, not ours; ours must still pass.
    person.refused[:] = [r for r in person.refused if not r.startswith(provider.issuer)]


@pytest.fixture
def school_accounts(oidc_provider, live_server, settings):
    provider = oidc_provider(f"{live_server.url}/oidc/callback/")
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    return provider


def test_a_teacher_signs_in_with_their_school_account(catalogue, cast, visitor, school_accounts):
    teacher = visitor("teacher-school-account")
    teacher.go("/accounts/login/")
    teacher.shot("sign-in-with-school-account")
    _school_sign_in(teacher, school_accounts, "Teacher@centre.example.org")
    teacher.check()
    assert teacher.page.url == f"{teacher.base_url}/teaching/"
    assert "Teacher Staff" in teacher.page.inner_text("header")
    assert teacher.page.locator("header button:has-text('Sign out')").count() == 1


def test_a_school_account_not_in_the_centre_is_refused(catalogue, cast, visitor, school_accounts):
    stranger = visitor("stranger-school-account")
    _school_sign_in(stranger, school_accounts, "new.starter@centre.example.org")
    stranger.check()
    stranger.shot("refused")
    page = stranger.page
    assert page.url == f"{stranger.base_url}/accounts/login/"
    alert = page.locator("[role=alert]").inner_text()
    assert "No account here uses the email address new.starter@centre.example.org" in alert
    assert page.locator("header button:has-text('Sign out')").count() == 0


def test_admin_marks_a_learner_as_left_then_reinstates_them(catalogue, cast, visitor):
    import io

    from django.urls import reverse

    admin = visitor("admin-leavers")
    admin.sign_in("admin")
    page = admin.page
    grid = f"/groups/{cast.group.pk}/units/{cast.unit30.pk}/"
    export = reverse("export_grades") + f"?group={cast.group.pk}"

    def exported_last_names() -> list[str]:
        response = admin.context.request.get(admin.base_url + export)
        assert response.ok
        sheet = load_workbook(io.BytesIO(response.body()))["Summary"]
        return [row[2] for row in sheet.iter_rows(min_row=7, values_only=True) if row[2]]

    admin.go(grid)
    assert "Lara" in page.inner_text("main")
    assert exported_last_names() == ["Learner"]
    admin.go(f"/learners/{cast.learner.pk}/")
    page.fill("#id_left_on", "2026-11-20")
    page.fill("#id_reason", "Moved to another college")
    page.click("button:has-text('Mark as left')")
    page.wait_for_load_state()
    admin.check()
    assert "Left on 20 November 2026" in page.inner_text("main")
    admin.shot("learner-left")
    admin.go(grid)
    assert "Lara" not in page.inner_text("main")
    assert exported_last_names() == []
    admin.go("/centre/leavers/")
    assert "Moved to another college" in page.inner_text("main")
    admin.shot("leavers")
    page.click("a:has-text('Lara Learner')")
    page.wait_for_load_state()
    page.click("button:has-text('Reinstate Lara Learner')")
    page.wait_for_load_state()
    admin.check()
    assert "reinstated and back in 13A" in page.inner_text("main")
    admin.go(grid)
    assert "Lara" in page.inner_text("main")
    assert exported_last_names() == ["Learner"]


def test_a_decision_with_feedback_reaches_the_learner_in_the_app_and_by_email(
    catalogue, cast, visitor, live_server, settings, mailoutbox
):
    from django.urls import reverse

    settings.SITE_URL = live_server.url
    teacher = visitor("teacher-notifies")
    teacher.sign_in("teacher")
    teacher.go(reverse("mark", args=[cast.learner.pk, cast.enrolment.pk]))
    page = teacher.page
    row = page.locator("#item-P1")
    row.locator("input[value=achieved]").check()
    row.locator("textarea").fill("Clear definition in your own words.")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#item-P1 .status-achieved")

    learner = visitor("learner-notified", 390, 844)
    learner.sign_in("lara.learner")
    page = learner.page
    news = page.locator(".new-since")
    assert " ".join(news.inner_text().split()).startswith("New since your last visit: 1")
    assert "Teacher Staff marked P1 of Unit 30: achieved. Read the feedback." in news.inner_text()
    learner.shot("home-new-since")
    (message,) = [m for m in mailoutbox if m.to == [cast.learner.user.email]]
    assert message.subject == "Teacher Staff marked P1 of Unit 30: achieved. Read the feedback."
    link = live_server.url + reverse("learner_unit", args=[cast.enrolment.pk])
    assert link in message.body
    news.locator("a", has_text="marked P1").click()
    page.wait_for_load_state()
    learner.check()
    assert "Clear definition in your own words." in page.inner_text("#item-P1")
    learner.go(reverse("notifications"))
    learner.shot("notifications")
    page.click("text=Mark all as read")
    page.wait_for_load_state()
    learner.check()
    assert "1 notification marked read." in page.inner_text("main")
    learner.go(reverse("learner_home"))
    assert "Nothing new." in page.locator(".new-since").inner_text()
    learner.go(reverse("notification_settings"))
    page.uncheck("text=my teacher marks my work or gives me feedback")
    page.click("text=Save my choices")
    page.wait_for_load_state()
    learner.check()
    learner.shot("email-choices")
    assert "Your email choices are saved." in page.inner_text("main")
    assert not page.is_checked("text=my teacher marks my work or gives me feedback")
    assert page.is_checked("text=I am given an extension")


def test_teacher_sets_a_whole_criterion_column_at_once_on_the_grid(catalogue, cast, visitor):
    """Bulk entry: select P1's column, set Achieved, confirm past the no-evidence warning,
    and see the cell someone else changed meanwhile listed and left as it was."""
    from criteria.models import TopicItem
    from tests.conftest import make_learner
    from tracker.assessment.services import decision_for, record_decision

    names = ["Amelia Khan", "Oliver Bennett", "Priya Shah", "Noah Evans", "Isla Jones"]
    names += ["Leo Turner", "Maya Patel", "Jack Wilson", "Zara Ahmed", "Ethan Brown"]
    others = [
        make_learner(cast.centre, cast.group, f"{10 + i:04d}", *name.split())
        for i, name in enumerate(names)
    ]
    statuses = [Status.ACHIEVED, Status.NOT_YET, Status.SUBMITTED, Status.NOT_STARTED]
    criteria = list(cast.unit30.criteria.all())
    topics = list(TopicItem.objects.filter(learning_outcome__unit=cast.unit6))
    for index, learner in enumerate(others):
        for enrolment in learner.enrolments.all():
            items = criteria if enrolment.unit_id == cast.unit30.pk else topics
            for position, item in enumerate(items):
                status = statuses[(index + position * 3) % 4 if position > index % 5 else 0]
                if status == Status.NOT_STARTED or (item in criteria and item.code == "P1"):
                    continue
                field = "criterion" if item in criteria else "topic"
                Decision.objects.create(
                    enrolment=enrolment, status=status, revision=1, **{field: item}
                )
    teacher = visitor("teacher-grid-bulk", 1366, 900)
    teacher.sign_in("teacher")
    page = teacher.page
    teacher.go(f"/groups/{cast.group.pk}/units/{cast.unit30.pk}/")
    # All 14 criteria, grade and points fit at 1366 px; the page never scrolls sideways.
    wrap = page.locator(".grid-wrap")
    widths = wrap.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1], widths
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    teacher.shot("grid-unit30")
    # Another teacher of the group decides Oliver's P1 while the page is open.
    cast.group.teachers.add(cast.other_teacher)
    oliver = others[1].enrolments.get(unit=cast.unit30)
    p1 = cast.unit30.criteria.get(code="P1")
    theirs = decision_for(oliver, p1)
    record_decision(theirs, cast.other_teacher, Status.NOT_YET, "Theirs.", theirs.revision)
    page.click("thead button.g-col:text-is('P1')")
    assert page.inner_text("#bulk-count") == "11 cells selected."
    page.click("button[data-bulk=achieved]")
    dialog = page.locator("#bulk-dialog")
    assert dialog.is_visible()
    assert "Set 11 cells to ✓ Achieved?" in dialog.inner_text()
    warning = page.inner_text("#bulk-warning")
    assert "10 cells have no evidence handed in" in warning and "Khan, Amelia P1" in warning
    teacher.check()
    teacher.shot("grid-bulk-confirm")
    page.click("#bulk-confirm")
    page.wait_for_selector("#bulk-result")
    result = page.inner_text("#bulk-result")
    assert "10 cells set to ✓ Achieved; 1 cell not changed (listed below)." in result
    assert "Oliver Bennett P1: Changed by Other_Teacher Staff at " in result
    teacher.check()
    theirs.refresh_from_db()
    assert (theirs.status, theirs.feedback) == (Status.NOT_YET, "Theirs.")
    assert Decision.objects.filter(criterion=p1, status=Status.ACHIEVED).count() == 10
    # Shift+arrows select a block; A asks once for the block.
    page.locator("table[data-grid] tbody tr").first.locator("td").nth(3).click()
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowRight")
    assert page.inner_text("#bulk-count") == "4 cells selected."
    page.keyboard.press("a")
    assert "Set 4 cells to ✓ Achieved?" in page.inner_text("#bulk-dialog")
    page.click("[data-bulk-cancel]")
    # Enter opens the learner's marking page at that criterion, to write feedback.
    page.keyboard.press("Enter")
    page.wait_for_url("**/learners/**#item-P3")
    teacher.check()
    # Unit 6: outcomes folded to their summaries, one opened.
    teacher.go(f"/groups/{cast.group.pk}/units/{cast.unit6.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.click("button[data-fold='1']")
    assert page.get_attribute("button[data-fold='1']", "aria-expanded") == "true"
    teacher.check()
    teacher.shot("grid-unit6")
    phone = visitor("teacher-grid-phone", 390, 844)
    phone.sign_in("teacher")
    phone.go(f"/groups/{cast.group.pk}/units/{cast.unit30.pk}/")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("grid-unit30")


def test_grade_only_units_stack_on_a_phone(catalogue, cast, visitor):
    """At 390 px each unit is a block with its two labelled grade lists at full width, so
    "Merit" and "Distinction" are never cut to "Meri" and "Disti"."""
    from criteria.models import Qualification
    from tracker.models import GradeOnlyResult

    diploma = Qualification.objects.get(code="05833")
    cast.learner.qualification = diploma
    cast.learner.save(update_fields=["qualification"])
    GradeOnlyResult.objects.create(
        learner=cast.learner,
        qualification_unit=diploma.units.get(number=1),
        achieved="D",
        predicted="M",
        updated_by=cast.teacher,
    )
    phone = visitor("teacher-units-phone", 390, 844)
    phone.sign_in("teacher")
    phone.go(f"/learners/{cast.learner.pk}/qualification-units/")
    page = phone.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    selects = page.locator("table select")
    assert selects.count() >= 2
    widths = [selects.nth(index).bounding_box()["width"] for index in range(selects.count())]
    assert min(widths) >= 300, widths
    label = page.evaluate(
        "getComputedStyle(document.querySelector('td[data-label]'), '::before').content"
    )
    assert label == '"Grade achieved: "'
    first = page.locator("table tbody tr").first.bounding_box()
    assert first["width"] >= 340
    phone.shot("qualification-units")
    desktop = visitor("teacher-units-desktop", 1280, 900)
    desktop.sign_in("teacher")
    desktop.go(f"/learners/{cast.learner.pk}/qualification-units/")
    row = desktop.page.locator("table tbody tr").first
    assert row.evaluate("element => getComputedStyle(element).display") == "table-row"
    desktop.shot("qualification-units")
