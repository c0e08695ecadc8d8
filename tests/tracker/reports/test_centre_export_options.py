"""The whole-centre export's options and its progress page's words."""

import io
from datetime import date

from django.urls import reverse
from openpyxl import load_workbook

from tracker.models import ExportJob
from tracker.people.leavers import mark_left
from tracker.reports.tasks import build_centre_export


def _summary_names(client, job) -> list[str]:
    response = client.get(reverse("export_download", args=[job.pk]))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [str(value) for row in book["Summary"].iter_rows(values_only=True) for value in row]


def test_the_background_export_includes_leavers_only_when_asked(
    cast, client_for, django_capture_on_commit_callbacks
):
    mark_left(cast.learner, date(2026, 11, 1), "Moved away")
    client = client_for("admin")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("export_centre"), {"leavers": "on"})
        client.post(reverse("export_centre"))
    with_leavers, without = ExportJob.objects.order_by("pk")
    assert (with_leavers.include_leavers, without.include_leavers) == (True, False)
    for job in (with_leavers, without):
        build_centre_export.call(job.pk)
    with_cells, without_cells = (
        _summary_names(client, with_leavers),
        _summary_names(client, without),
    )
    assert "Lara" in with_cells and "Left on" in with_cells
    assert "Lara" not in without_cells and "Omar" in without_cells
    page = client.get(reverse("export_job", args=[with_leavers.pk])).content.decode()
    assert "including learners who have left" in page


def test_a_retried_export_keeps_the_include_leavers_choice(cast, client_for):
    job = ExportJob.objects.create(
        centre=cast.centre, requested_by=cast.admin, include_leavers=True, state="failed"
    )
    client_for("admin").post(reverse("export_retry", args=[job.pk]))
    assert ExportJob.objects.latest("pk").include_leavers is True


def test_a_waiting_export_speaks_to_the_centre_admin_not_to_developers(cast, client_for):
    page = client_for("admin").get(reverse("export_job", args=[cast.export_job.pk]))
    text = page.content.decode()
    assert "Waiting to start" in text
    assert "make run" not in text and "db_worker" not in text and "<code>" not in text


def test_the_centre_page_offers_the_leavers_option(cast, client_for):
    page = client_for("admin").get(reverse("centre:home")).content.decode()
    assert 'name="leavers"' in page and "Include learners who have left" in page
