"""The grades workbook: sheets, grades, frozen headers, filters, dates and formula safety."""

import errno
import io
from datetime import datetime
from pathlib import Path

import pytest
from django.core.files import File
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet._writer import ALL_TEMP_FILES

from tracker.assessment.services import decision_for, record_decision
from tracker.lib.spreadsheets import STATUS_FILLS, CellMaker, cell
from tracker.models import ExportJob, Learner, Prediction
from tracker.reports import exports, tasks


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
    assert summary.freeze_panes == "D7"  # the header rows and the learner's number and name
    assert summary.auto_filter.ref.startswith("A6:")
    header = [c.value for c in summary[6]]
    row = dict(zip(header, [c.value for c in summary[7]], strict=True))
    assert row["Last name"] == "Learner"
    assert row["Unit 30 achieved"] == "Pass"
    assert row["Unit 30 predicted"] == "Merit"
    assert row["Unit 30 points"] == 70
    assert row["Points status"] == "unverified"
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
    client = client_for("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export_centre"))
    job = ExportJob.objects.get()
    assert response.url == reverse("export_job", args=[job.pk])
    assert "Waiting to start" in client.get(response.url).content.decode()
    from django_tasks_db.models import DBTaskResult

    from tracker.reports.tasks import build_centre_export

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


class Injected(Exception):
    """The fault the failure tests inject."""


def stored_files(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def fail_midway_through_the_rows(monkeypatch):
    written = exports._UnitRows.append

    def unit_row(*args):
        # The summary row of this learner is already written when the unit row fails.
        raise Injected("the database went away after the first rows")

    monkeypatch.setattr(exports._UnitRows, "append", unit_row)
    assert written is not unit_row


def fail_partway_through_storing_the_file(monkeypatch):
    class FullDisk(File):
        def chunks(self, chunk_size=None):
            for chunk in super().chunks(chunk_size):
                yield chunk[: len(chunk) // 2]  # half the workbook reaches the disk
                raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tasks, "File", FullDisk)


def fail_recording_the_finished_job(monkeypatch):
    save = ExportJob.save

    def failing_save(job, *args, **kwargs):
        if job.state == ExportJob.State.DONE:
            raise Injected("the database went away after the file was stored")
        return save(job, *args, **kwargs)

    monkeypatch.setattr(ExportJob, "save", failing_save)


@pytest.mark.parametrize(
    "fault",
    [
        fail_midway_through_the_rows,
        fail_partway_through_storing_the_file,
        fail_recording_the_finished_job,
    ],
)
def test_a_failed_background_export_leaves_no_file_and_nothing_to_download(
    cast, client_for, settings, monkeypatch, fault
):
    before = stored_files(settings)
    job = ExportJob.objects.create(centre=cast.centre, requested_by=cast.admin)
    fault(monkeypatch)
    with pytest.raises((Injected, OSError)):
        tasks.build_centre_export.call(job.pk)
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED
    assert job.error and not job.file
    assert stored_files(settings) == before  # no whole or half workbook left in storage
    assert not ALL_TEMP_FILES  # nor openpyxl's temporary sheet files left on the worker
    response = client_for("admin").get(reverse("export_download", args=[job.pk]))
    assert response.status_code == 404


def test_a_finished_export_whose_file_has_gone_is_not_found(cast, client_for, settings):
    job = ExportJob.objects.create(centre=cast.centre, requested_by=cast.admin)
    tasks.build_centre_export.call(job.pk)
    job.refresh_from_db()
    (Path(settings.MEDIA_ROOT) / job.file.name).unlink()
    response = client_for("admin").get(reverse("export_download", args=[job.pk]))
    assert response.status_code == 404


def test_the_background_export_reports_progress_in_one_pass(cast, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 1)  # one learner at a time: the centre has two
    reported = []
    scope = exports.centre_scope(cast.centre)
    scope.on_progress = reported.append
    exports.write_workbook(scope, io.BytesIO())
    assert reported == [50, 99]


@pytest.mark.parametrize(
    ("value", "style"),
    [
        ("Lara", {}),
        ('=HYPERLINK("http://x","y")', {}),
        ("-2+3", {}),
        ("#N/A", {}),
        (42, {}),
        (None, {}),
        ("Achieved", {"fill": STATUS_FILLS["achieved"]}),
        ("Header", {"bold": True}),
        ("=SUM(A1)", {"bold": True}),
        (datetime(2027, 1, 5, 14, 30), {"number_format": "dd/mm/yyyy"}),
        (None, {"number_format": "dd/mm/yyyy"}),
        (datetime(2027, 1, 5, 14, 30), {}),
        (datetime(2027, 1, 5, 14, 30), {"bold": True}),
        ("Bold text after a bold date", {"bold": True}),
    ],
)
def test_the_cell_maker_writes_what_cell_writes(value, style):
    """The export's fast cells come out as `cell()` writes them: value, type and style."""

    def written(make) -> tuple:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("S")
        sheet.append([make(sheet, value) for _ in range(3)])  # the second and third reuse
        buffer = io.BytesIO()
        book.save(buffer)
        cells = load_workbook(io.BytesIO(buffer.getvalue()))["S"][1]
        return [
            (c.value, c.data_type, c.font.b, c.fill.fgColor.rgb, c.number_format, c.quotePrefix)
            for c in cells
        ]

    maker = {}

    def fast(sheet, value):
        made = maker.setdefault("cell", CellMaker(sheet))
        made(datetime(2027, 1, 1), bold=True)  # another value with the same style first
        return made(value, **style)

    def repeated(sheet, value):
        made = maker.setdefault("repeated", CellMaker(sheet))
        return made.repeated(value, **style)

    expected = written(lambda sheet, value: cell(sheet, value, **style))
    assert written(fast) == expected
    assert written(repeated) == expected


def running_job(cast, minutes_since_heartbeat: int, **fields) -> ExportJob:
    from datetime import timedelta

    from django.utils import timezone

    job = ExportJob.objects.create(centre=cast.centre, requested_by=cast.admin, **fields)
    beat = timezone.now() - timedelta(minutes=minutes_since_heartbeat)
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.RUNNING,
        progress=36,
        heartbeat_at=beat,
        created_at=beat - timedelta(minutes=1),
    )
    return job


def test_the_worker_writes_a_heartbeat_with_its_progress(cast, monkeypatch):
    beats = []
    real = exports.write_workbook

    def watching(scope, handle):
        def progress(percent):
            scope_progress(percent)
            beats.append(ExportJob.objects.get(pk=job.pk).heartbeat_at)

        scope_progress = scope.on_progress
        scope.on_progress = progress
        real(scope, handle)

    monkeypatch.setattr(tasks, "write_workbook", watching)
    job = ExportJob.objects.create(centre=cast.centre, requested_by=cast.admin)
    tasks.build_centre_export.call(job.pk)
    assert beats and all(beats)
    assert beats == sorted(beats)


def test_polling_a_job_whose_worker_died_marks_it_failed_and_offers_to_try_again(cast, client_for):
    job = running_job(cast, minutes_since_heartbeat=6, unit=cast.unit30)
    page = client_for("admin").get(
        reverse("export_job", args=[job.pk]), headers={"HX-Request": "true"}
    )
    html = page.content.decode()
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED
    assert "background worker stopped" in job.error
    assert "hx-trigger" not in html  # the page stops polling
    assert "Being built" not in html and "Try again" in html
    assert reverse("export_retry", args=[job.pk]) in html


def test_a_job_with_a_fresh_heartbeat_is_left_building(cast, client_for):
    job = running_job(cast, minutes_since_heartbeat=1)
    html = client_for("admin").get(reverse("export_job", args=[job.pk])).content.decode()
    job.refresh_from_db()
    assert (job.state, job.progress) == (ExportJob.State.RUNNING, 36)
    assert "Being built: 36%" in html and "Try again" not in html


def test_housekeeping_marks_only_the_stuck_exports_failed(cast, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.EXPORT_STALL_MINUTES = 10
    stuck = running_job(cast, minutes_since_heartbeat=11)
    fresh = running_job(cast, minutes_since_heartbeat=9)
    waiting = ExportJob.objects.create(centre=cast.centre, requested_by=cast.admin)
    never_started = ExportJob.objects.create(centre=cast.centre, requested_by=cast.admin)
    ExportJob.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - timedelta(minutes=30)
    )
    ExportJob.objects.filter(pk=never_started.pk).update(
        created_at=timezone.now() - timedelta(minutes=61)
    )
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    assert (
        out.getvalue()
        .strip()
        .startswith("housekeeping: 0 pending files removed, 2 stuck exports marked failed,")
    )
    states = dict(ExportJob.objects.values_list("pk", "state"))
    assert states == {
        stuck.pk: "failed",
        fresh.pk: "running",
        waiting.pk: "queued",
        never_started.pk: "failed",
    }
    assert "No background worker started" in ExportJob.objects.get(pk=never_started.pk).error


def test_try_again_queues_a_new_job_for_the_same_scope(
    cast, client_for, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    job = running_job(cast, minutes_since_heartbeat=6, unit=cast.unit30)
    client = client_for("admin")
    client.get(reverse("export_job", args=[job.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("export_retry", args=[job.pk]))
    again = ExportJob.objects.exclude(pk=job.pk).get()
    assert response.url == reverse("export_job", args=[again.pk])
    assert (again.state, again.centre, again.unit) == ("queued", cast.centre, cast.unit30)
    assert DBTaskResult.objects.get().args_kwargs["args"] == [again.pk]


def test_try_again_on_a_job_still_building_queues_nothing(cast, client_for):
    job = running_job(cast, minutes_since_heartbeat=1)
    response = client_for("admin").post(reverse("export_retry", args=[job.pk]))
    assert response.url == reverse("export_job", args=[job.pk])
    assert ExportJob.objects.count() == 1
