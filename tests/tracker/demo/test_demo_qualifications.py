"""The demo centre shows both suites honestly, and a Diploma learner with a sensible
qualification prediction."""

import pytest
from django.core.management import call_command

from tracker.assessment.qualifications import OUTSIDE, TRACKED, qualification_progress_for
from tracker.models import Learner


@pytest.mark.slow
def test_the_demo_registers_learners_on_both_suites(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo")
    learners = list(Learner.objects.select_related("qualification__suite"))
    suites = [learner.qualification.suite.code for learner in learners]
    assert suites.count("ctec2016") > suites.count("ctec2012") > 0
    states = qualification_progress_for(learners)
    amelia = next(s for s in states.values() if s.learner.first_name == "Amelia")
    assert amelia.qualification.code == "05833"
    assert (amelia.predicted.points, amelia.predicted.grade) == (200, "DD")
    assert amelia.achieved.points == 16 + 18
    assert [row.number for row in amelia.outside] == [30]
    on_2012 = next(s for s in states.values() if s.qualification.suite.code == "ctec2012")
    assert next(row for row in on_2012.rows if row.number == 30).kind == TRACKED
    assert [row.kind for row in on_2012.outside] == [OUTSIDE]
    assert any(row.prediction_note for state in states.values() for row in state.rows)
