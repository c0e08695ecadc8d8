"""The demo's Diploma learner on OCR's 200-point example reads DD on every surface."""

import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tracker.models import User


@pytest.mark.slow
def test_the_demo_diploma_learner_is_dd_on_home_planner_and_ucas_export(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    learner = Client()
    learner.force_login(User.objects.get(username="amelia.khan"))
    home = learner.get(reverse("learner_home")).content.decode()
    assert "you will get <strong>Distinction Distinction (DD)</strong>" in home
    planner = learner.get(reverse("my_planner")).content.decode()
    assert 'id="plan-grade">Distinction Distinction (DD)<' in planner
    assert "200 points" in planner
    admin = Client()
    admin.force_login(User.objects.get(username="admin"))
    response = admin.get(reverse("export_ucas"), {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(text)) if "Khan" in row[1]]
    assert [row[3:5] for row in rows] == [["Distinction Distinction (DD)", "96"]]
