"""The grading rules: every rule and edge, OCR's worked example, and properties."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from criteria.grading import (
    Boundaries,
    Grade,
    GradingError,
    PointsTable,
    UnitResult,
    band_of,
    centre_assessed_grade,
    examined_grade,
    grade_for_points,
    ordered_ranges,
    qualification_grade,
    qualification_grade_words,
    qualification_letters,
    sort_codes,
    unit_points,
    what_next,
)

UNIT30 = ["P1", "P2", "M1", "D1", "P3", "P4", "P5", "M2", "P6", "P7", "P8", "M3", "P9", "P10"]
PASSES = [code for code in UNIT30 if code.startswith("P")]
MERITS = [code for code in UNIT30 if code.startswith("M")]
BOUNDARIES = Boundaries(max_mark=60, distinction=48, merit=38, pass_mark=28, near_pass=22)
TABLE_2016 = PointsTable(
    suite="ctec2016",
    basis="glh",
    values={
        (60, Grade.R): 10,
        (60, Grade.P): 14,
        (60, Grade.M): 16,
        (60, Grade.D): 18,
        (90, Grade.R): 15,
        (90, Grade.P): 21,
        (90, Grade.M): 24,
        (90, Grade.D): 27,
    },
)
TABLE_2012 = PointsTable(
    suite="ctec2012", basis="credit", values={(1, Grade.P): 7, (1, Grade.M): 8, (1, Grade.D): 9}
)


def raises(message: str):
    return pytest.raises(GradingError, match=f"^{re.escape(message)}$")


# Centre-assessed units


def test_no_criteria_achieved_is_u():
    assert centre_assessed_grade(UNIT30, []) is Grade.U


def test_every_pass_criterion_gives_pass():
    assert centre_assessed_grade(UNIT30, PASSES) is Grade.P


def test_every_pass_and_merit_criterion_gives_merit():
    assert centre_assessed_grade(UNIT30, PASSES + MERITS) is Grade.M


def test_every_criterion_gives_distinction():
    assert centre_assessed_grade(UNIT30, UNIT30) is Grade.D


def test_merit_criterion_without_all_pass_criteria_does_not_raise_grade():
    achieved = [code for code in PASSES if code != "P10"] + MERITS + ["D1"]
    assert centre_assessed_grade(UNIT30, achieved) is Grade.U


def test_distinction_criterion_without_all_merits_stays_at_pass():
    assert centre_assessed_grade(UNIT30, PASSES + ["M1", "M2", "D1"]) is Grade.P


def test_a_unit_without_merit_criteria_never_awards_merit_or_distinction():
    # A band with no criteria is never awarded: passes alone are a Pass.
    assert centre_assessed_grade(["P1", "P2"], ["P1", "P2"]) is Grade.P
    assert what_next(["P1", "P2"], ["P1"]) == {Grade.P: ["P2"]}


def test_a_unit_without_distinction_criteria_stops_at_merit():
    assert centre_assessed_grade(["P1", "M1"], ["P1", "M1"]) is Grade.M
    assert Grade.D not in what_next(["P1", "M1"], [])


def test_unknown_achieved_code_is_refused():
    with raises("'M9' is not a criterion of this unit"):
        centre_assessed_grade(UNIT30, ["M9"])


def test_malformed_code_is_refused():
    with raises("'X1' is not a criterion code (P1, M2, D1 …)"):
        centre_assessed_grade(["P1", "X1"], [])


def test_duplicate_criterion_is_refused():
    with raises("Criterion 'P1' is listed twice"):
        centre_assessed_grade(["P1", "P1"], [])


def test_a_unit_needs_criteria():
    with raises("A centre-assessed unit needs at least one criterion"):
        centre_assessed_grade([], [])


@pytest.mark.parametrize(("code", "band"), [("P1", "P"), ("M3", "M"), ("D1", "D"), ("P10", "P")])
def test_band_of_reads_the_code(code, band):
    assert band_of(code) == band


@pytest.mark.parametrize("code", ["p1", "P0", "P", "Q1", "P1a", ""])
def test_band_of_refuses_non_codes(code):
    with pytest.raises(GradingError):
        band_of(code)


def test_sort_codes_orders_by_band_then_number():
    assert sort_codes(["D1", "P10", "M2", "P2", "M1"]) == ["P2", "P10", "M1", "M2", "D1"]


# What next


def test_what_next_lists_what_each_higher_grade_still_needs():
    criteria = ["P1", "P2", "P3", "M1", "D1"]
    assert what_next(criteria, ["P1"]) == {
        Grade.P: ["P2", "P3"],
        Grade.M: ["P2", "P3", "M1"],
        Grade.D: ["P2", "P3", "M1", "D1"],
    }


def test_what_next_leaves_out_grades_already_reached():
    assert what_next(UNIT30, PASSES) == {
        Grade.M: ["M1", "M2", "M3"],
        Grade.D: sort_codes(MERITS + ["D1"]),
    }


def test_what_next_is_empty_at_distinction():
    assert what_next(UNIT30, UNIT30) == {}


def test_what_next_orders_p2_before_p10():
    assert what_next(["P10", "P2"], [])[Grade.P] == ["P2", "P10"]


# Examined units


@pytest.mark.parametrize(
    ("mark", "grade"),
    [
        (60, Grade.D),
        (48, Grade.D),
        (47, Grade.M),
        (38, Grade.M),
        (37, Grade.P),
        (28, Grade.P),
        (27, Grade.R),
        (22, Grade.R),
        (21, Grade.U),
        (0, Grade.U),
    ],
)
def test_mark_on_and_below_each_boundary(mark, grade):
    assert examined_grade(mark, BOUNDARIES) is grade


def test_ocr_example_boundary_for_merit_49():
    boundaries = Boundaries(max_mark=60, distinction=55, merit=49, pass_mark=30)
    assert examined_grade(49, boundaries) is Grade.M
    assert examined_grade(48, boundaries) is Grade.P


def test_near_pass_only_where_the_unit_allows_it():
    assert examined_grade(25, BOUNDARIES, near_pass_allowed=False) is Grade.U


def test_near_pass_needs_a_boundary():
    boundaries = Boundaries(max_mark=60, distinction=48, merit=38, pass_mark=28)
    assert examined_grade(27, boundaries) is Grade.U


def test_mark_above_the_maximum_is_refused():
    with raises("Mark 61 is above the maximum mark 60"):
        examined_grade(61, BOUNDARIES)


def test_negative_mark_is_refused():
    with raises("Mark -1 cannot be negative"):
        examined_grade(-1, BOUNDARIES)


def test_non_whole_mark_is_refused():
    with pytest.raises(GradingError):
        examined_grade(30.5, BOUNDARIES)


def test_boundaries_out_of_order_are_refused():
    with raises(
        "Boundaries out of order: Merit 40 is above Distinction 35 "
        "(each boundary must be at least the one below it)"
    ):
        Boundaries(max_mark=60, distinction=35, merit=40, pass_mark=20)


def test_near_pass_above_pass_is_refused():
    with raises(
        "Boundaries out of order: Near Pass 30 is above Pass 20 "
        "(each boundary must be at least the one below it)"
    ):
        Boundaries(max_mark=60, distinction=45, merit=35, pass_mark=20, near_pass=30)


def test_boundary_above_the_maximum_is_refused():
    with raises("Boundary for Distinction (70) is above the maximum mark 60"):
        Boundaries(max_mark=60, distinction=70, merit=40, pass_mark=20)


def test_negative_boundary_is_refused():
    with raises("Boundary for Pass (-1) cannot be negative"):
        Boundaries(max_mark=60, distinction=50, merit=40, pass_mark=-1)


# Points


@pytest.mark.parametrize(
    ("grade", "glh", "points"),
    [(Grade.M, 60, 16), (Grade.D, 60, 18), (Grade.M, 90, 24), (Grade.U, 60, 0), (Grade.R, 60, 10)],
)
def test_points_2016_by_glh(grade, glh, points):
    assert unit_points(grade, TABLE_2016, glh=glh) == points


def test_points_2012_per_credit_times_credits():
    assert unit_points(Grade.M, TABLE_2012, glh=60, credits=10) == 80
    assert unit_points(Grade.U, TABLE_2012, glh=60, credits=10) == 0


def test_points_missing_from_the_table_are_an_error():
    with raises("No points for Merit at 120 GLH in the ctec2016 table"):
        unit_points(Grade.M, TABLE_2016, glh=120)


def test_credit_based_points_need_credits():
    with raises("The ctec2012 table awards points per credit: give the credits"):
        unit_points(Grade.P, TABLE_2012, glh=60)


def test_points_basis_must_be_known():
    with raises("Points basis must be 'glh' or 'credit', not 'ucas'"):
        PointsTable(suite="x", basis="ucas", values={})


# Qualification grade


def ocr_worked_example() -> list[UnitResult]:
    merit90 = unit_points(Grade.M, TABLE_2016, glh=90)
    merit60 = unit_points(Grade.M, TABLE_2016, glh=60)
    dist60 = unit_points(Grade.D, TABLE_2016, glh=60)
    units = [UnitResult(f"Unit {n}", merit90) for n in (1, 2)]
    units += [UnitResult(f"Unit {n}", merit60) for n in (3, 4, 8, 12, 16)]
    units += [UnitResult(f"Unit {n}", dist60) for n in (17, 18, 19, 20)]
    return units


def test_ocr_worked_example_200_points_is_dd():
    units = ocr_worked_example()
    assert sum(unit.points for unit in units) == 24 + 24 + 16 * 5 + 18 * 4 == 200
    result = qualification_grade(units, [("MM", 160), ("DD", 200), ("D*D", 220)])
    assert (result.points, result.grade) == (200, "DD")


def test_one_point_below_a_range_gets_the_grade_below():
    result = qualification_grade([UnitResult("A", 199)], [("MM", 160), ("DD", 200)])
    assert result.grade == "MM"


def test_below_every_range_has_no_grade():
    assert qualification_grade([UnitResult("A", 10)], [("P", 50)]).grade is None


def test_only_the_strongest_optional_units_count():
    units = [
        UnitResult("Unit 1", 24),
        UnitResult("Unit 5", 14, optional=True),
        UnitResult("Unit 6", 18, optional=True),
        UnitResult("Unit 7", 16, optional=True),
    ]
    result = qualification_grade(units, [("P", 0)], optional_needed=2)
    assert result.points == 24 + 18 + 16
    assert result.counted == ("Unit 1", "Unit 6", "Unit 7")


def test_duplicate_range_labels_are_refused():
    with raises("The qualification grade P is listed twice in its point ranges"):
        qualification_grade([], [("P", 1), ("P", 2)])


def test_tied_minimums_are_refused_not_decided_by_spelling():
    with raises("MM and DM both start at 180 points: each grade needs its own minimum"):
        qualification_grade([UnitResult("A", 190)], [("MM", 180), ("DM", 180)])


def test_ranges_are_ordered_by_points_whatever_their_order_or_spelling():
    ranges = [("D*D", 220), ("PP", 100), ("DD", 200), ("MM", 160)]
    assert [label for label, _ in ordered_ranges(ranges)] == ["PP", "MM", "DD", "D*D"]
    assert qualification_grade([UnitResult("A", 210)], ranges).grade == "DD"


def test_negative_optional_units_needed_is_refused():
    units = [UnitResult("A", 10, optional=True), UnitResult("B", 12, optional=True)]
    with raises("The optional units needed must be a whole number of at least zero, not -1"):
        qualification_grade(units, [("P", 0)], optional_needed=-1)
    with raises("The optional size must be a whole number of at least zero, not -60"):
        qualification_grade(units, [("P", 0)], optional_size=-60)


def test_identical_optional_rows_are_counted_by_row():
    same = UnitResult("Unit 8", 16, optional=True, size=60)
    units = [UnitResult("Unit 1", 18), same, same, UnitResult("Unit 9", 14, optional=True, size=60)]
    by_number = qualification_grade(units, [("P", 0)], optional_needed=1)
    assert by_number.points == 18 + 16
    assert by_number.counted == ("Unit 1", "Unit 8")
    by_size = qualification_grade(units, [("P", 0)], optional_size=120)
    assert by_size.points == 18 + 16 + 16
    assert by_size.counted == ("Unit 1", "Unit 8", "Unit 8")


def test_optional_units_by_size_skip_a_unit_that_would_overflow():
    units = [
        UnitResult("Unit 4", 27, optional=True, size=90),
        UnitResult("Unit 5", 18, optional=True, size=60),
        UnitResult("Unit 8", 16, optional=True, size=60),
    ]
    result = qualification_grade(units, [("P", 0)], optional_size=120)
    assert result.counted == ("Unit 5", "Unit 8")
    assert result.points == 34


def test_bad_rule_data_is_refused_clearly():
    with raises("Point ranges cannot start below zero (P: -1)"):
        qualification_grade([], [("P", -1)])
    with raises("Unit 1: points must be a whole number of at least zero"):
        qualification_grade([UnitResult("Unit 1", -3)], [("P", 0)])
    with raises("Limit optional units by number or by size, not both"):
        qualification_grade([], [("P", 0)], 1, optional_size=60)


def test_qualification_grades_in_words_and_letters():
    assert qualification_letters("D*D*D") == ["D*", "D*", "D"]
    assert qualification_grade_words("DM") == "Distinction Merit (DM)"
    assert qualification_grade_words("D*") == "Distinction*"
    assert qualification_grade_words(None) == "Unclassified"
    with raises("'MD' must list its letters highest first"):
        qualification_letters("MD")
    with raises("'X' is not a qualification grade (D*, D, M, P; DM; DMM …)"):
        qualification_letters("X")


DIPLOMA_RANGES = [
    ("PP", 168),
    ("MP", 177),
    ("MM", 186),
    ("DM", 192),
    ("DD", 198),
    ("D*D", 204),
    ("D*D*", 210),
]
RANK = [None] + [label for label, _ in DIPLOMA_RANGES]
unit_grades = st.lists(
    st.tuples(st.sampled_from([60, 90]), st.sampled_from(list(Grade)), st.booleans()),
    min_size=1,
    max_size=14,
)


def points_of(rows) -> list[UnitResult]:
    return [
        UnitResult(f"Unit {index}", unit_points(grade, TABLE_2016, glh=glh), optional, glh)
        for index, (glh, grade, optional) in enumerate(rows)
    ]


@given(st.integers(0, 400), st.integers(0, 400))
def test_more_points_never_lower_the_qualification_grade(low, extra):
    lower = grade_for_points(low, DIPLOMA_RANGES)
    higher = grade_for_points(low + extra, DIPLOMA_RANGES)
    assert RANK.index(higher) >= RANK.index(lower)


@settings(max_examples=200)
@given(unit_grades, st.data(), st.sampled_from([None, 0, 120, 420]))
def test_a_higher_unit_grade_never_lowers_the_qualification_grade(rows, data, optional_size):
    index = data.draw(st.integers(0, len(rows) - 1))
    glh, grade, optional = rows[index]
    better = data.draw(st.sampled_from([g for g in Grade if g >= grade]))
    improved = list(rows)
    improved[index] = (glh, better, optional)
    before = qualification_grade(points_of(rows), DIPLOMA_RANGES, optional_size=optional_size)
    after = qualification_grade(points_of(improved), DIPLOMA_RANGES, optional_size=optional_size)
    assert after.points >= before.points
    assert RANK.index(after.grade) >= RANK.index(before.grade)


def test_the_worked_example_is_dd_on_the_shipped_diploma_ranges():
    assert qualification_grade(ocr_worked_example(), DIPLOMA_RANGES).grade == "DD"


# Grade parsing


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("P", Grade.P),
        ("merit", Grade.M),
        (" Distinction ", Grade.D),
        ("near pass", Grade.R),
        ("r", Grade.R),
        ("U", Grade.U),
    ],
)
def test_grade_parse_accepts_letters_and_names(text, grade):
    assert Grade.parse(text) is grade


def test_grade_parse_refuses_anything_else():
    with raises("Unknown grade 'A*': use U, R (Near Pass), P, M or D"):
        Grade.parse("A*")


def test_grades_are_ordered():
    assert Grade.U < Grade.R < Grade.P < Grade.M < Grade.D


# Properties


codes_strategy = st.lists(
    st.sampled_from([f"{band}{n}" for band in "PMD" for n in range(1, 6)]),
    min_size=1,
    max_size=15,
    unique=True,
)


@settings(max_examples=150, deadline=None)
@given(codes_strategy, st.data())
def test_achieving_one_more_criterion_never_lowers_the_grade(criteria, data):
    achieved = data.draw(st.sets(st.sampled_from(criteria)))
    extra = data.draw(st.sampled_from(criteria))
    assert centre_assessed_grade(criteria, achieved | {extra}) >= centre_assessed_grade(
        criteria, achieved
    )


@settings(max_examples=150, deadline=None)
@given(codes_strategy, st.data())
def test_distinction_implies_every_criterion_achieved(criteria, data):
    achieved = data.draw(st.sets(st.sampled_from(criteria)))
    if centre_assessed_grade(criteria, achieved) is Grade.D:
        assert set(achieved) == set(criteria)


@settings(max_examples=150, deadline=None)
@given(codes_strategy, st.data())
def test_what_next_is_nested_and_achieving_it_reaches_the_grade(criteria, data):
    achieved = data.draw(st.sets(st.sampled_from(criteria)))
    plan = what_next(criteria, achieved)
    previous: set[str] = set()
    for grade, missing in sorted(plan.items(), key=lambda item: item[0].rank):
        assert previous <= set(missing)
        previous = set(missing)
        assert centre_assessed_grade(criteria, set(achieved) | set(missing)) >= grade


@st.composite
def boundaries_strategy(draw):
    max_mark = draw(st.integers(1, 120))
    marks = sorted(draw(st.lists(st.integers(0, max_mark), min_size=4, max_size=4)))
    return Boundaries(
        max_mark=max_mark,
        near_pass=marks[0],
        pass_mark=marks[1],
        merit=marks[2],
        distinction=marks[3],
    )


@settings(max_examples=200, deadline=None)
@given(boundaries_strategy(), st.data())
def test_a_higher_mark_never_lowers_the_grade(boundaries, data):
    low = data.draw(st.integers(0, boundaries.max_mark))
    high = data.draw(st.integers(low, boundaries.max_mark))
    assert examined_grade(high, boundaries) >= examined_grade(low, boundaries)
