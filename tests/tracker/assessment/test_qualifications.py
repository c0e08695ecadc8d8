"""The qualification service: rows by suite, figures, the planner and the advice."""

import pytest

from criteria.grading import Grade
from criteria.models import Qualification, QualificationGradeRange, QualificationUnit
from tests.conftest import make_learner
from tracker.assessment.qualifications import (
    GRADE_ONLY,
    OUTSIDE,
    TRACKED,
    QualificationError,
    advice,
    qualification_progress_for,
    what_if,
)
from tracker.models import CentreGradeRange, GradeOnlyResult, Prediction

DIPLOMA = "05833"
OPTIONAL = (5, 8, 9, 10, 11, 12, 13)


def register(learner, code: str) -> Qualification:
    qualification = Qualification.objects.get(code=code)
    learner.qualification = qualification
    learner.save(update_fields=["qualification"])
    return qualification


def grade_only(learner, qualification, number: int, achieved="", predicted="", by=None):
    return GradeOnlyResult.objects.create(
        learner=learner,
        qualification_unit=qualification.units.get(number=number),
        achieved=achieved,
        predicted=predicted,
        updated_by=by,
    )


def diploma_on_200_points(cast) -> Qualification:
    """Twelve 60-hour units: four Distinctions (18) and eight Merits (16) make 200 points,
    the figure of OCR's worked example (200 = DD)."""
    qualification = register(cast.learner, DIPLOMA)
    Prediction.objects.create(
        enrolment=cast.learner.enrolments.get(unit=cast.unit6),
        grade="M",
        note="Strong mock",
        predicted_by=cast.teacher,
    )
    grades = dict.fromkeys((1, 2, 3, 7, 5, 8, 9), "M") | dict.fromkeys((10, 11, 12, 13), "D")
    for number, grade in grades.items():
        grade_only(cast.learner, qualification, number, predicted=grade, by=cast.teacher)
    return qualification


def test_units_are_tracked_grade_only_or_outside_by_suite(cast):
    diploma_on_200_points(cast)
    state = qualification_progress_for([cast.learner])[cast.learner.pk]
    kinds = {row.number: row.kind for row in state.rows}
    assert kinds[6] == TRACKED
    assert kinds[1] == GRADE_ONLY
    assert [row.number for row in state.outside] == [30]
    assert state.outside[0].kind == OUTSIDE
    assert "2012" in state.outside[0].reason
    assert 30 not in state.predicted.counted


def test_the_200_points_worked_example_is_dd_through_the_service(cast):
    diploma_on_200_points(cast)
    state = qualification_progress_for([cast.learner])[cast.learner.pk]
    assert (state.predicted.points, state.predicted.grade) == (200, "DD")
    assert state.predicted.words == "Distinction Distinction (DD)"
    assert state.predicted.ucas == 96
    assert not state.predicted.verified
    assert state.unverified  # shown as such on every surface
    unit6 = next(row for row in state.rows if row.number == 6)
    assert unit6.prediction_note == "Strong mock"


def test_achieved_counts_only_finished_units(cast):
    qualification = register(cast.learner, DIPLOMA)
    grade_only(cast.learner, qualification, 1, achieved="D")
    grade_only(cast.learner, qualification, 2, predicted="M")
    state = qualification_progress_for([cast.learner])[cast.learner.pk]
    assert state.achieved.points == 18
    assert state.achieved.counted  # mandatory units are always listed
    assert state.projected.points == 18 + 16


def test_what_if_changes_the_grade_and_saves_nothing(cast):
    diploma_on_200_points(cast)
    state = qualification_progress_for([cast.learner])[cast.learner.pk]
    better = what_if(state, {1: Grade.D, 2: Grade.D, 3: Grade.D})
    assert better.points == 206
    assert better.grade == "D*D"
    assert GradeOnlyResult.objects.get(qualification_unit__number=1).predicted == "M"
    assert state.predicted.grade == "DD"


def test_what_if_refuses_finished_and_unknown_units(cast):
    qualification = register(cast.learner, DIPLOMA)
    grade_only(cast.learner, qualification, 1, achieved="P")
    state = qualification_progress_for([cast.learner])[cast.learner.pk]
    with pytest.raises(QualificationError, match="finished"):
        what_if(state, {1: Grade.D})
    with pytest.raises(QualificationError, match="not a unit"):
        what_if(state, {99: Grade.D})


def test_advice_names_the_smallest_change(cast):
    diploma_on_200_points(cast)
    GradeOnlyResult.objects.filter(qualification_unit__number=1).update(predicted="D")
    state = qualification_progress_for([cast.learner])[cast.learner.pk]
    text = advice(state)
    assert text.startswith(
        "For Distinction* Distinction (D*D) you need one more Distinction on a 60-hour unit"
    )
    assert "instead of Merit" in text


def test_advice_with_two_changes_names_both(cast):
    diploma_on_200_points(cast)
    state = qualification_progress_for([cast.learner])[cast.learner.pk]
    text = advice(state)
    assert text.startswith(
        "For Distinction* Distinction (D*D) you need two more Distinctions on 60-hour units: "
        "Distinction instead of Merit on Unit 1"
    )


def test_centre_ranges_replace_the_shipped_ones(cast):
    qualification = diploma_on_200_points(cast)
    for label, minimum in (("PP", 100), ("MM", 150), ("DD", 201), ("D*D*", 260)):
        CentreGradeRange.objects.create(
            centre=cast.centre, qualification=qualification, label=label, minimum_points=minimum
        )
    state = qualification_progress_for([cast.learner])[cast.learner.pk]
    assert state.ranges_by_centre and state.ranges_verified
    assert state.predicted.grade == "MM"


def test_a_2012_learner_counts_unit_30(cast):
    register(cast.learner, "L3-2012-SUBDIP")
    state = qualification_progress_for([cast.learner])[cast.learner.pk]
    assert next(row for row in state.rows if row.number == 30).kind == TRACKED
    assert [row.number for row in state.outside] == [6]


def test_the_unverified_notes_name_the_right_handbook_section_and_missing_ucas_figures(cast):
    """The 2012 handbooks keep their tables in Section 6, the 2016 ones in Section 10; no
    UCAS figures are shipped for the 2012 sizes, so none are called "unverified"."""
    register(cast.learner, "L3-2012-SUBDIP")
    notes = qualification_progress_for([cast.learner])[cast.learner.pk].unverified
    assert notes[0].startswith(
        "The qualification's point ranges are unverified defaults: check Section 6 of the handbook"
    )
    assert "No UCAS points are known for this qualification" in notes[1]
    assert not any(note.startswith("UCAS points are unverified") for note in notes)
    register(cast.learner, DIPLOMA)
    notes = qualification_progress_for([cast.learner])[cast.learner.pk].unverified
    assert "check Section 10 of the handbook" in notes[0]
    assert "UCAS points are unverified: check UCAS's published tariff tables." in notes


def test_a_unit_of_another_suite_never_links(cast):
    unit = QualificationUnit.objects.get(qualification__code=DIPLOMA, number=6)
    assert unit.unit == cast.unit6
    assert QualificationUnit.objects.get(qualification__code=DIPLOMA, number=1).unit is None
    assert not QualificationUnit.objects.filter(
        qualification__suite__code="ctec2016", unit=cast.unit30
    ).exists()


def test_unregistered_learners_are_left_out(cast):
    assert qualification_progress_for([cast.learner]) == {}


def test_queries_do_not_grow_with_learners(cast, django_assert_num_queries):
    diploma_on_200_points(cast)
    learners = [cast.learner]
    for number in range(3, 9):
        learner = make_learner(cast.centre, cast.group, f"00{number:02d}", "Extra", f"L{number}")
        register(learner, DIPLOMA if number % 2 else "L3-2012-SUBDIP")
        learners.append(learner)
    with django_assert_num_queries(QUERIES):
        qualification_progress_for(learners[:1])
    with django_assert_num_queries(QUERIES):
        qualification_progress_for(learners)


QUERIES = 16


def test_shipped_ranges_are_labelled_unverified(db):
    ranges = QualificationGradeRange.objects.filter(qualification__code=DIPLOMA)
    assert ranges.count() == 7
    assert not any(ranges.values_list("verified", flat=True))
