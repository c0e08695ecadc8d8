"""The grades workbook: sheets, grades, frozen headers, filters, dates and formula safety."""

import io
from datetime import datetime

from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from tracker.assessment import decision_for, record_decision
from tracker.models import Learner, Prediction


def workbook(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def achieve(cast, codes):
    for code in codes:
        decision = decision_for(cast.enrolment, cast.unit30.criteria.get(code=code))
        record_decision(decision, cast.teacher, "achieved", "", decision.revision)


def test_group_export_has_summary_unit_and_iv_sheets(cast, client_for):
    achieve(cast, [f"P{n}" for n in range(1, 11)])
    Prediction.objects.create(enrolment=cast.enrolment, grade="M", predicted_by=cast.teacher)
    response = client_for("teacher").get(reverse("export_grades") + f"?group={cast.group.pk}")
    assert response["Content-Disposition"].startswith('attachment; filename="grades-group-13a-')
    book = workbook(response)
    assert book.sheetnames == ["Summary", "Unit 6", "Unit 30", "IV"]
    summary = book["Summary"]
    assert summary["A2"].value == "Centre: Test College (12345)"
    assert isinstance(summary["B4"].value, datetime)
    assert summary.freeze_panes == "A7"
    assert summary.auto_filter.ref.startswith("A6:")
    header = [c.value for c in summary[6]]
    row = dict(zip(header, [c.value for c in summary[7]], strict=True))
    assert row["Last name"] == "Learner"
    assert row["Unit 30 achieved"] == "Pass"
    assert row["Unit 30 predicted"] == "Merit"
    assert row["Unit 30 points"] == 70
    assert row["Points status"] == "unverified: check the qualification handbook"
    unit = book["Unit 30"]
    unit_header = [c.value for c in unit[6]]
    values = dict(zip(unit_header, [c.value for c in unit[7]], strict=True))
    assert values["P1"] == "Achieved" and values["M1"] == "Not started"
    assert isinstance(values["P1 date"], datetime)
    assert unit["F7"].fill.fgColor.rgb.endswith("D1E7DD")


def test_teacher_cannot_export_another_group(cast, client_for):
    response = client_for("teacher").get(reverse("export_grades") + f"?group={cast.other_group.pk}")
    assert response.status_code == 404


def test_a_formula_in_a_name_comes_out_as_text(cast, client_for):
    Learner.objects.filter(pk=cast.learner.pk).update(first_name='=HYPERLINK("http://x","y")')
    book = workbook(client_for("admin").get(reverse("export_grades")))
    names = [c.value for c in book["Summary"]["B"]]
    assert '=HYPERLINK("http://x","y")' in names
    cell = next(c for c in book["Summary"]["B"] if c.value == '=HYPERLINK("http://x","y")')
    assert cell.data_type == "s"


def test_export_command_writes_the_file_and_says_where(cast, tmp_path, capsys):
    output = tmp_path / "grades.xlsx"
    call_command("export_grades", "--group", "13A", "--unit", "30", "--output", str(output))
    assert f"Wrote {output} (Group 13A, unit 30: 1 learner)." in capsys.readouterr().out
    assert load_workbook(output).sheetnames == ["Summary", "Unit 30", "IV"]


def test_whole_centre_export_runs_in_the_background_and_offers_the_file(
    cast, client_for, django_capture_on_commit_callbacks
):
    from tracker.models import ExportJob

    client = client_for("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export_centre"))
    job = ExportJob.objects.get()
    assert response.url == reverse("export_job", args=[job.pk])
    assert "Waiting for the background worker" in client.get(response.url).content.decode()
    from django_tasks_db.models import DBTaskResult

    from tracker.tasks import build_centre_export

    queued = DBTaskResult.objects.get()
    assert (queued.status, queued.args_kwargs["args"]) == ("READY", [job.pk])
    # What the worker does with that row (the worker itself closes database connections,
    # which a test transaction cannot survive on PostgreSQL).
    build_centre_export.call(job.pk)
    job.refresh_from_db()
    assert (job.state, job.progress) == ("done", 100)
    page = client.get(reverse("export_job", args=[job.pk]), headers={"HX-Request": "true"})
    assert "hx-trigger" not in page.content.decode()  # finished: the page stops polling
    book = workbook(client.get(reverse("export_download", args=[job.pk])))
    assert book.sheetnames == ["Summary", "Unit 6", "Unit 30", "IV"]
    assert book["Summary"]["A3"].value == "Scope: Whole centre"


def test_the_iv_sheet_lists_sampled_learner_units(cast, client_for):
    action = cast.action
    book = workbook(client_for("admin").get(reverse("export_grades")))
    rows = list(book["IV"].iter_rows(min_row=7, values_only=True))
    assert rows[0][:5] == ("0001", "Lara Learner", 30, "Teacher Staff", "Iv Staff")
    assert rows[0][7] == 1  # the open action
    assert action.state == "open"
