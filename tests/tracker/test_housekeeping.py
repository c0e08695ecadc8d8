"""The periodic housekeeping command: forgotten uploads are deleted after a day."""

import io
import os
import time

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command


def put(name: str, hours_old: float) -> None:
    default_storage.save(name, ContentFile(b"Candidate No,Forename\n0101,Hannah\n"))
    when = time.time() - hours_old * 3600
    os.utime(default_storage.path(name), (when, when))


def housekeeping() -> str:
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    return out.getvalue().strip()


def test_pending_uploads_older_than_a_day_are_deleted(db):
    put("imports/" + "a" * 32 + ".csv", hours_old=25)
    put("imports/" + "b" * 32 + ".xlsx", hours_old=23)
    put("datasheets/" + "c" * 32 + ".xlsx", hours_old=30)
    put("datasheets/" + "d" * 32 + ".xlsx", hours_old=1)
    put("exports/keep.xlsx", hours_old=100)  # not a pending upload: never touched
    assert housekeeping() == (
        "housekeeping: 2 pending files removed, 0 stuck exports marked failed"
        ", 0 deadline reminders, 0 digests sent, 0 emails retried, 0 dashboard summaries worked out"
    )
    assert default_storage.listdir("imports")[1] == ["b" * 32 + ".xlsx"]
    assert default_storage.listdir("datasheets")[1] == ["d" * 32 + ".xlsx"]
    assert default_storage.exists("exports/keep.xlsx")


def test_the_age_is_a_setting(db, settings):
    settings.PENDING_UPLOAD_HOURS = 2
    put("imports/" + "a" * 32 + ".csv", hours_old=3)
    assert housekeeping().startswith("housekeeping: 1 pending file removed,")


def test_nothing_waiting_is_nothing_to_do(db):
    assert housekeeping() == (
        "housekeeping: 0 pending files removed, 0 stuck exports marked failed"
        ", 0 deadline reminders, 0 digests sent, 0 emails retried, 0 dashboard summaries worked out"
    )
