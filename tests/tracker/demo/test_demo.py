"""The demo centre: realistic, spread across grades, and safe to seed twice."""

import pytest
from django.core.management import call_command
from django.db.models import Count

from criteria.grading import Grade
from tracker.assessment.progress import progress_for
from tracker.models import Centre, Enrolment, Evidence, Learner, Notification, User


@pytest.mark.slow
def test_seed_demo_creates_a_centre_in_progress_once(db, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    call_command("seed_demo")
    assert "Demo data already present; nothing changed." in capsys.readouterr().out
    assert Centre.objects.count() == 1
    assert Learner.objects.count() >= 25
    assert User.objects.filter(is_teacher=True).count() == 3
    assert User.objects.filter(is_internal_verifier=True, is_teacher=False).count() == 1
    enrolments = Enrolment.objects.filter(unit__number=30).select_related(
        "unit__suite", "learner__group"
    )
    grades = {p.achieved for p in progress_for(enrolments)}
    assert grades == {Grade.U, Grade.P, Grade.M, Grade.D}
    assert Evidence.objects.filter(file__startswith="evidence/").exists()
    targets = set(Enrolment.objects.exclude(target_grade="").values_list("target_grade", flat=True))
    assert targets == {"P", "M", "D"}
    # Each person has a handful of new notifications, none about work already marked.
    unread = Notification.objects.filter(read_at__isnull=True)
    counts = unread.values("recipient").annotate(n=Count("pk")).values_list("n", flat=True)
    assert counts and max(counts) <= 3
    teacher = User.objects.get(username="e.walsh")
    for notification in unread.filter(recipient=teacher, kind=Notification.Kind.EVIDENCE):
        evidence = Evidence.objects.get(pk=notification.key.removeprefix("evidence:"))
        assessed = {(d.criterion_id, d.topic_id) for d in evidence.decisions.all() if d.is_assessed}
        assert not {(link.criterion_id, link.topic_id) for link in evidence.links.all()} <= assessed


@pytest.mark.slow
def test_seed_scale_creates_a_large_centre_quickly(db, capsys):
    call_command("seed_scale", "--learners", "45", "--centre", "99950")
    out = capsys.readouterr().out
    assert out.startswith("Centre 99950: 45 learners,")
    centre = Centre.objects.get(ocr_number="99950")
    assert Learner.objects.filter(centre=centre).count() == 45
    assert Enrolment.objects.filter(learner__centre=centre).count() == 90
    assert centre.groups.count() == 3
