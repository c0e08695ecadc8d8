"""The spec loader: refusals with exact messages, idempotent reloads, updates in place."""

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from criteria.loader import SPEC_DIR, SpecError, load_catalogue, read_specs
from criteria.models import (
    Criterion,
    LearningOutcome,
    PointsValue,
    Qualification,
    TopicItem,
    Unit,
)

pytestmark = pytest.mark.django_db

UNIT = """\
schema = 1

[unit]
suite = "ctec2012"
number = 99
title = "Test unit"
level = 3
glh = 60
credits = 10
assessment_mode = "centre_assessed"
source = "a test"

[[learning_outcomes]]
number = 1
title = "Understand testing"

[[learning_outcomes]]
number = 2
title = "Understand more testing"

[[criteria]]
code = "P1"
band = "P"
learning_outcome = 1
wording = "describe a test"

[[criteria]]
code = "M1"
band = "M"
learning_outcome = 2
wording = "explain a test"

[[assignments]]
title = "Report"
evidence_form = "report"
criteria = ["P1", "M1"]

[[criteria]]
code = "M2"
band = "M"
learning_outcome = 2
wording = "analyse a test"

[[criteria]]
code = "D1"
band = "D"
learning_outcome = 2
wording = "evaluate a test"
"""

EXAMINED = """\
schema = 1

[unit]
suite = "ctec2016"
number = 98
title = "Examined test unit"
level = 3
glh = 60
assessment_mode = "examined"
source = "a test"
exam_duration_minutes = 90
exam_max_mark = 60
near_pass = true

[[learning_outcomes]]
number = 1
title = "Understand exams"

  [[learning_outcomes.topics]]
  code = "1.1"
  heading = "Revision"
  text = "Revision – how to revise"

[[glossary]]
term = "Boundary"
definition = "The minimum mark for a grade"

[[boundary_sets]]
series = "Practice"
max_mark = 60
distinction = 50
merit = 40
pass = 30
near_pass = 25
source = "made up for the test"
illustrative = true
"""


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    shutil.copy(SPEC_DIR / "points.toml", folder / "points.toml")
    (folder / "unit-99.toml").write_text(UNIT)
    (folder / "unit-98.toml").write_text(EXAMINED)
    return folder


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        read_specs(folder)
    return [str(problem) for problem in caught.value.problems]


def problems_of_or_none(folder: Path) -> list[str]:
    try:
        read_specs(folder)
    except SpecError as error:
        return [str(problem) for problem in error.problems]
    return []


def rewrite(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def test_the_shipped_specs_load_both_units():
    # The test database was loaded from the shipped specs once; loading again changes nothing.
    assert load_catalogue(read_specs()).unchanged
    unit30 = Unit.objects.get(number=30)
    assert unit30.reference == "M/505/7782"
    assert (unit30.glh, unit30.credits) == (60, 10)
    assert list(unit30.criteria.values_list("code", flat=True)) == [
        "P1",
        "P2",
        "M1",
        "D1",
        "P3",
        "P4",
        "P5",
        "M2",
        "P6",
        "P7",
        "P8",
        "M3",
        "P9",
        "P10",
    ]
    grouping = {
        lo.number: list(lo.criteria.order_by("order").values_list("code", flat=True))
        for lo in unit30.learning_outcomes.all()
    }
    assert grouping == {
        1: ["P1", "P2", "M1", "D1", "P3"],
        2: ["P4", "P5", "M2", "P6"],
        3: ["P7", "P8", "M3"],
        4: ["P9", "P10"],
    }
    unit6 = Unit.objects.get(number=6)
    assert unit6.is_examined
    assert (unit6.exam_duration_minutes, unit6.exam_max_mark, unit6.near_pass) == (90, 60, True)
    assert unit6.learning_outcomes.count() == 4
    assert TopicItem.objects.filter(learning_outcome__unit=unit6).count() > 20
    assert unit6.glossary.exists()
    assert not unit6.criteria.exists()


def test_loading_twice_changes_nothing_and_says_so(spec_dir, capsys):
    call_command("load_specs", "--dir", str(spec_dir))
    before = list(Criterion.objects.values_list("pk", "code", "wording"))
    call_command("load_specs", "--dir", str(spec_dir))
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "Catalogue unchanged (4 units, 18 criteria, 78 topic items)."
    assert list(Criterion.objects.values_list("pk", "code", "wording")) == before


def test_the_shipped_catalogue_reloads_identically(capsys):
    call_command("load_specs")
    snapshot = list(Criterion.objects.values()), list(TopicItem.objects.values())
    call_command("load_specs")
    assert capsys.readouterr().out.splitlines()[-1].startswith("Catalogue unchanged")
    assert (list(Criterion.objects.values()), list(TopicItem.objects.values())) == snapshot


def test_changed_wording_is_updated_in_place_keeping_ids(spec_dir, capsys):
    call_command("load_specs", "--dir", str(spec_dir))
    p1 = Criterion.objects.get(unit__number=99, code="P1")
    rewrite(spec_dir, "unit-99.toml", "describe a test", "describe a good test")
    capsys.readouterr()
    call_command("load_specs", "--dir", str(spec_dir))
    out = capsys.readouterr().out
    assert "changed: Unit 99 criterion P1 (wording)" in out
    assert out.splitlines()[-1].endswith("0 added, 1 changed, 0 removed.")
    refreshed = Criterion.objects.get(pk=p1.pk)
    assert refreshed.wording == "describe a good test"


def test_a_criterion_dropped_from_the_spec_without_records_is_removed(spec_dir, capsys):
    call_command("load_specs", "--dir", str(spec_dir))
    rewrite(spec_dir, "unit-99.toml", 'criteria = ["P1", "M1"]', 'criteria = ["P1"]')
    text = (spec_dir / "unit-99.toml").read_text()
    start = text.index('[[criteria]]\ncode = "M1"')
    end = text.index("[[assignments]]")
    (spec_dir / "unit-99.toml").write_text(text[:start] + text[end:])
    call_command("load_specs", "--dir", str(spec_dir))
    assert "removed: Unit 99 criterion M1" in capsys.readouterr().out
    assert not Criterion.objects.filter(unit__number=99, code="M1").exists()


def test_points_come_from_the_points_file_with_their_verified_flag():
    load_catalogue(read_specs())
    merit = PointsValue.objects.get(suite__code="ctec2016", size=60, grade="M")
    assert (merit.points, merit.verified) == (16, True)
    near_pass = PointsValue.objects.get(suite__code="ctec2016", size=60, grade="R")
    assert near_pass.verified is False


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (
            "unit-99.toml",
            'wording = "describe a test"',
            'wording = "describe a test"\ncolour = "red"',
            "unit-99.toml: criteria[0].colour: unknown key 'colour'",
        ),
        (
            "unit-99.toml",
            'code = "M1"',
            'code = "P1"',
            "unit-99.toml: criteria[1].code: criterion 'P1' is listed twice",
        ),
        (
            "unit-99.toml",
            "learning_outcome = 2",
            "learning_outcome = 7",
            "unit-99.toml: criteria[1].learning_outcome: criterion 'M1' is under unknown "
            "learning outcome 7",
        ),
        (
            "unit-99.toml",
            'band = "M"',
            'band = "D"',
            "unit-99.toml: criteria[1].band: 'D' does not match code 'M1' (expected 'M')",
        ),
        (
            "unit-99.toml",
            'criteria = ["P1", "M1"]',
            'criteria = ["P1", "M9"]',
            "unit-99.toml: assignments[0].criteria: unknown criterion 'M9'",
        ),
        (
            "unit-99.toml",
            "glh = 60",
            'glh = "sixty"',
            "unit-99.toml: unit.glh: expected a whole number, got text",
        ),
        (
            "unit-99.toml",
            'title = "Test unit"\n',
            "",
            "unit-99.toml: unit.title: missing",
        ),
        (
            "unit-98.toml",
            "merit = 40",
            "merit = 55",
            "unit-98.toml: boundary_sets[0]: Boundaries out of order: Merit 55 is above "
            "Distinction 50 (each boundary must be at least the one below it)",
        ),
        (
            "unit-98.toml",
            "max_mark = 60\ndistinction",
            "max_mark = 80\ndistinction",
            "unit-98.toml: boundary_sets[0].max_mark: 80 differs from the unit's maximum mark 60",
        ),
        (
            "points.toml",
            'size = 90\ngrade = "P"\npoints = 21',
            'size = 90\ngrade = "P"\npoints = 21\n[[points_gap_marker]]',
            "points.toml: points_gap_marker: unknown key 'points_gap_marker'",
        ),
        (
            "unit-99.toml",
            'suite = "ctec2012"',
            'suite = "btec"',
            "unit-99.toml: unit.suite: unknown suite 'btec' (not in points.toml)",
        ),
    ],
    ids=[
        "unknown-key",
        "duplicate-code",
        "unknown-lo",
        "band-mismatch",
        "assignment-unknown-criterion",
        "wrong-type",
        "missing-key",
        "boundaries-out-of-order",
        "boundary-max-mark",
        "unknown-top-level-key",
        "unknown-suite",
    ],
)
def test_loader_refuses_bad_specs_naming_file_key_and_reason(spec_dir, name, old, new, expected):
    rewrite(spec_dir, name, old, new)
    assert expected in problems_of(spec_dir)


def test_points_table_with_a_gap_is_refused(spec_dir):
    text = (spec_dir / "points.toml").read_text()
    gap = '[[points]]\nsuite = "ctec2016"\nsize = 90\ngrade = "P"\n'
    start = text.index(gap)
    end = text.index("[[points]]", start + 1)
    (spec_dir / "points.toml").write_text(text[:start] + text[end:])
    assert problems_of(spec_dir) == [
        "points.toml: points: ctec2016 has no Pass value at size 90 (a gap)"
    ]


def test_a_refused_spec_writes_nothing(spec_dir):
    rewrite(spec_dir, "unit-98.toml", "merit = 40", "merit = 55")
    with pytest.raises(CommandError, match="nothing was loaded") as caught:
        call_command("load_specs", "--dir", str(spec_dir))
    assert "unit-98.toml: boundary_sets[0]: Boundaries out of order" in str(caught.value)
    assert not Unit.objects.filter(number__in=[98, 99]).exists()
    assert not LearningOutcome.objects.filter(unit__number__in=[98, 99]).exists()


def test_every_problem_is_reported_at_once(spec_dir):
    rewrite(spec_dir, "unit-99.toml", 'band = "M"', 'band = "D"')
    rewrite(spec_dir, "unit-98.toml", "merit = 40", "merit = 55")
    assert len(problems_of(spec_dir)) == 2


def test_invalid_toml_is_refused_with_the_file_name(spec_dir):
    (spec_dir / "unit-97.toml").write_text("schema = = 1\n")
    (problem,) = problems_of(spec_dir)
    assert problem.startswith("unit-97.toml: (file): not valid TOML:")


def test_a_centre_assessed_unit_without_distinction_criteria_is_refused(spec_dir):
    text = (spec_dir / "unit-99.toml").read_text()
    start = text.index('[[criteria]]\ncode = "D1"')
    (spec_dir / "unit-99.toml").write_text(text[:start])
    assert problems_of(spec_dir) == [
        "unit-99.toml: criteria: a centre-assessed unit needs at least one Distinction criterion"
    ]


# Qualifications


@pytest.fixture
def qual_dir(spec_dir: Path) -> Path:
    shutil.copy(SPEC_DIR / "qualifications.toml", spec_dir / "qualifications.toml")
    return spec_dir


def test_the_shipped_qualifications_load_with_their_rules():
    assert load_catalogue(read_specs()).unchanged
    diploma = Qualification.objects.get(code="05833")
    assert (diploma.size, diploma.letters, diploma.suite.code) == (720, 2, "ctec2016")
    assert diploma.units.get(number=6).unit.number == 6
    assert diploma.units.filter(mandatory=True).count() == 5
    assert diploma.units.get(number=6).examined
    assert not diploma.units.get(number=5).examined
    anchor = diploma.anchors.get()
    assert (anchor.points, anchor.label, anchor.verified) == (200, "DD", True)
    assert "worked example" in anchor.source
    assert list(diploma.grade_ranges.values_list("label", flat=True)) == [
        "PP",
        "MP",
        "MM",
        "DM",
        "DD",
        "D*D",
        "D*D*",
    ]
    assert diploma.ucas_tariffs.get(label="DD").points == 96
    assert not diploma.ucas_tariffs.filter(verified=True).exists()
    subsidiary = Qualification.objects.get(code="L3-2012-SUBDIP")
    assert subsidiary.units.get(number=30).unit.suite.code == "ctec2012"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'label = "MP"\nminimum_points = 177',
            'label = "MP"\nminimum_points = 168',
            "qualifications.toml: qualifications[3].ranges: PP and MP both start at 168 points: "
            "each grade needs its own minimum",
        ),
        (
            'label = "DD"\nminimum_points = 198',
            'label = "DD"\nminimum_points = 201',
            "qualifications.toml: anchors[0]: the ranges give DM for 200 points, but OCR support "
            "article 'Teacher Assessed Grades for larger Cambridge Technicals qualifications' "
            "(worked example: Diploma, 200 points = DD) says DD",
        ),
        (
            'label = "DD"\nminimum_points = 198',
            'label = "DDD"\nminimum_points = 198',
            "qualifications.toml: qualifications[3].ranges[4].label: 'DDD' does not fit a "
            "qualification graded with 2 letters",
        ),
        (
            "size = 720\noptional_size = 420",
            "size = 720\noptional_size = 400",
            "qualifications.toml: qualifications[3].optional_size: mandatory units (300) plus "
            "optional size (400) must make the size (720)",
        ),
        (
            'label = "D*D*"\npoints = 112',
            'label = "D*D*D*"\npoints = 112',
            "qualifications.toml: qualifications[3].ucas[0].label: 'D*D*D*' has no point range",
        ),
    ],
    ids=["tied-minimums", "anchor", "letters", "size", "ucas-label"],
)
def test_bad_qualification_rules_are_refused(qual_dir, old, new, expected):
    rewrite(qual_dir, "qualifications.toml", old, new)
    assert expected in problems_of(qual_dir)


def test_a_unit_size_without_points_is_refused(qual_dir):
    rewrite(
        qual_dir,
        "qualifications.toml",
        "number = 4\n",
        "number = 4\n",
    )
    rewrite(
        qual_dir,
        "qualifications.toml",
        'title = "Infection control"\nglh = 60',
        'title = "Infection control"\nglh = 45',
    )
    assert (
        "qualifications.toml: qualifications[0].units[4].glh: ctec2016 has no points for a "
        "45 GLH unit in points.toml"
    ) in problems_of(qual_dir)


def test_a_folder_without_qualifications_leaves_them_alone(spec_dir):
    call_command("load_specs", "--dir", str(spec_dir))
    assert Qualification.objects.filter(code="05833").exists()


def test_the_admin_refuses_a_range_label_of_the_wrong_size(db):
    from django.core.exceptions import ValidationError

    from criteria.models import QualificationGradeRange

    diploma = Qualification.objects.get(code="05833")
    for label in ("DDD", "XY"):
        row = QualificationGradeRange(
            qualification=diploma, label=label, minimum_points=500, source="typed"
        )
        with pytest.raises(ValidationError):
            row.full_clean()


def test_a_unit_examined_against_its_spec_is_refused(qual_dir):
    """Near Pass is offered only for examined units, so `examined` must agree with the
    tracked unit's spec where there is one (Unit 6 is examined)."""
    shutil.copy(SPEC_DIR / "unit-06.toml", qual_dir / "unit-06.toml")
    assert not problems_of_or_none(qual_dir)
    rewrite(
        qual_dir,
        "qualifications.toml",
        'mandatory = false\nexamined = true\nverified = false\nsource = "Unit 6 spec',
        'mandatory = false\nexamined = false\nverified = false\nsource = "Unit 6 spec',
    )
    assert (
        "qualifications.toml: qualifications[0].units[5].examined: unit 6's spec says it is "
        "examined"
    ) in problems_of(qual_dir)
