"""Read, validate and load the catalogue spec files (criteria/specs/*.toml).

Every file is validated before anything is written; problems are reported together, each
naming the file, the key and what is wrong. Loading runs in one transaction, matches rows
by their natural keys so ids survive a reload, and reports what it added, changed and removed.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib
from django.db import models, transaction

from criteria import grading
from criteria.models import (
    BoundarySet,
    Criterion,
    ExamSeries,
    GlossaryTerm,
    LearningOutcome,
    PointsValue,
    Qualification,
    QualificationAnchor,
    QualificationGradeRange,
    QualificationUnit,
    Resource,
    SuggestedAssignment,
    Suite,
    TopicItem,
    UcasTariff,
    Unit,
)

SPEC_DIR = Path(__file__).resolve().parent / "specs"
POINTS_FILE = "points.toml"
QUALIFICATIONS_FILE = "qualifications.toml"
SCHEMA_VERSION = 1

# key -> (type, required). bool is checked before int: TOML booleans are not numbers here.
Fields = dict[str, tuple[type, bool]]

UNIT_FILE: Fields = {
    "schema": (int, True),
    "unit": (dict, True),
    "learning_outcomes": (list, True),
    "criteria": (list, False),
    "assignments": (list, False),
    "glossary": (list, False),
    "resources": (list, False),
    "boundary_sets": (list, False),
}
UNIT: Fields = {
    "suite": (str, True),
    "number": (int, True),
    "title": (str, True),
    "reference": (str, False),
    "level": (int, True),
    "glh": (int, True),
    "credits": (int, False),
    "assessment_mode": (str, True),
    "aim": (str, False),
    "source": (str, True),
    "exam_duration_minutes": (int, False),
    "exam_max_mark": (int, False),
    "near_pass": (bool, False),
    "exam_source": (str, False),
}
LEARNING_OUTCOME: Fields = {"number": (int, True), "title": (str, True), "topics": (list, False)}
TOPIC: Fields = {"code": (str, True), "heading": (str, True), "text": (str, True)}
CRITERION: Fields = {
    "code": (str, True),
    "band": (str, True),
    "learning_outcome": (int, True),
    "wording": (str, True),
    "teaching_content": (str, False),
    "suggested_evidence": (str, False),
}
ASSIGNMENT: Fields = {
    "title": (str, True),
    "evidence_form": (str, True),
    "criteria": (list, True),
    "guidance": (str, False),
}
GLOSSARY: Fields = {"term": (str, True), "definition": (str, True)}
RESOURCE: Fields = {"kind": (str, True), "text": (str, True)}
BOUNDARY_SET: Fields = {
    "series": (str, True),
    "max_mark": (int, True),
    "distinction": (int, True),
    "merit": (int, True),
    "pass": (int, True),
    "near_pass": (int, False),
    "source": (str, True),
    "illustrative": (bool, True),
}
POINTS_FILE_FIELDS: Fields = {"schema": (int, True), "suites": (list, True), "points": (list, True)}
SUITE: Fields = {
    "code": (str, True),
    "name": (str, True),
    "points_basis": (str, True),
    "grades": (list, True),
}
POINTS: Fields = {
    "suite": (str, True),
    "size": (int, True),
    "grade": (str, True),
    "points": (int, True),
    "verified": (bool, True),
    "source": (str, True),
}
QUALIFICATIONS_FILE_FIELDS: Fields = {
    "schema": (int, True),
    "anchors": (list, False),
    "qualifications": (list, True),
}
ANCHOR: Fields = {
    "qualification": (str, True),
    "points": (int, True),
    "grade": (str, True),
    "verified": (bool, True),
    "source": (str, True),
}
QUALIFICATION: Fields = {
    "suite": (str, True),
    "code": (str, True),
    "code_verified": (bool, True),
    "name": (str, True),
    "short_name": (str, True),
    "size": (int, True),
    "optional_size": (int, True),
    "letters": (int, True),
    "verified": (bool, True),
    "source": (str, True),
    "units": (list, True),
    "ranges": (list, True),
    "ucas": (list, False),
}
QUALIFICATION_UNIT: Fields = {
    "number": (int, True),
    "title": (str, True),
    "glh": (int, True),
    "credits": (int, False),
    "mandatory": (bool, True),
    "examined": (bool, True),
    "verified": (bool, True),
    "source": (str, True),
}
GRADE_RANGE: Fields = {
    "label": (str, True),
    "minimum_points": (int, True),
    "verified": (bool, True),
    "source": (str, True),
}
UCAS: Fields = {
    "label": (str, True),
    "points": (int, True),
    "verified": (bool, True),
    "source": (str, True),
}
TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}
POINT_GRADES = ("R", "P", "M", "D")


@dataclass(frozen=True)
class Problem:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class SpecError(Exception):
    """The spec files cannot be loaded; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class Catalogue:
    """The validated content of every spec file, ready to load."""

    points: dict[str, Any]
    units: dict[str, dict[str, Any]] = field(default_factory=dict)  # slug -> unit file
    # qualifications.toml, or None when the folder has none (qualifications are left alone)
    qualifications: dict[str, Any] | None = None


@dataclass
class Report:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.changed or self.removed)


class _Checker:
    """Collect problems for one file while walking its tables."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def fail(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, key, message))

    def table(self, key: str, value: Any, fields: Fields) -> bool:
        """Check a table's keys and types; return False when it cannot be used further."""
        if not isinstance(value, dict):
            self.fail(key, f"expected a table, got {_type_name(value)}")
            return False
        usable = True
        for name in value:
            if name not in fields:
                self.fail(f"{key}.{name}" if key else name, f"unknown key '{name}'")
                usable = False
        for name, (kind, required) in fields.items():
            path = f"{key}.{name}" if key else name
            if name not in value:
                if required:
                    self.fail(path, "missing")
                    usable = False
            elif not _is_type(value[name], kind):
                self.fail(path, f"expected {TYPE_NAMES[kind]}, got {_type_name(value[name])}")
                usable = False
        return usable

    def rows(self, key: str, value: list, fields: Fields) -> list[tuple[str, dict]]:
        """Return the usable rows of an array of tables, with their key paths."""
        usable = []
        for index, row in enumerate(value):
            path = f"{key}[{index}]"
            if self.table(path, row, fields):
                usable.append((path, row))
        return usable


def _is_type(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _type_name(value: Any) -> str:
    for kind, name in TYPE_NAMES.items():
        if _is_type(value, kind):
            return name
    return type(value).__name__


def _read_toml(path: Path, problems: list[Problem]) -> dict | None:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        problems.append(Problem(path.name, "(file)", f"not valid TOML: {error}"))
    except OSError as error:
        problems.append(Problem(path.name, "(file)", f"cannot be read: {error.strerror}"))
    return None


def read_specs(directory: Path = SPEC_DIR) -> Catalogue:
    """Return the validated catalogue of a spec folder, or raise SpecError with every problem."""
    problems: list[Problem] = []
    points_path = directory / POINTS_FILE
    if not points_path.exists():
        raise SpecError([Problem(POINTS_FILE, "(file)", f"missing from {directory.name}/")])
    points = _read_toml(points_path, problems)
    suites = _check_points(points, problems) if points is not None else {}
    catalogue = Catalogue(points=points or {})
    seen_numbers: dict[tuple[str, int], str] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name in (POINTS_FILE, QUALIFICATIONS_FILE):
            continue
        spec = _read_toml(path, problems)
        if spec is None:
            continue
        if _check_unit_file(path.name, spec, suites, problems):
            unit = spec["unit"]
            natural = (unit["suite"], unit["number"])
            if natural in seen_numbers:
                problems.append(
                    Problem(
                        path.name,
                        "unit.number",
                        f"unit {unit['number']} of {unit['suite']} is already in "
                        f"{seen_numbers[natural]}",
                    )
                )
            seen_numbers[natural] = path.name
            catalogue.units[path.stem] = spec
    qualifications_path = directory / QUALIFICATIONS_FILE
    if qualifications_path.exists():
        spec = _read_toml(qualifications_path, problems)
        if spec is not None:
            before = len(problems)
            _check_qualifications(spec, catalogue.points, suites, problems, catalogue.units)
            if len(problems) == before:
                catalogue.qualifications = spec
    if problems:
        raise SpecError(problems)
    return catalogue


def _check_points(spec: dict, problems: list[Problem]) -> dict[str, dict]:
    """Validate points.toml; return its usable suites by code."""
    check = _Checker(POINTS_FILE, problems)
    if not check.table("", spec, POINTS_FILE_FIELDS):
        return {}
    _check_schema(check, spec)
    suites: dict[str, dict] = {}
    for path, suite in check.rows("suites", spec["suites"], SUITE):
        if suite["code"] in suites:
            check.fail(f"{path}.code", f"suite '{suite['code']}' is listed twice")
        if suite["points_basis"] not in Suite.Basis.values:
            check.fail(f"{path}.points_basis", "must be 'glh' or 'credit'")
        unknown = [grade for grade in suite["grades"] if grade not in POINT_GRADES]
        if unknown:
            check.fail(f"{path}.grades", f"unknown grade '{unknown[0]}': use R, P, M or D")
            continue
        suites[suite["code"]] = suite
    table: dict[tuple[str, int], dict[str, int]] = {}
    for path, row in check.rows("points", spec["points"], POINTS):
        suite = suites.get(row["suite"])
        if suite is None:
            check.fail(f"{path}.suite", f"unknown suite '{row['suite']}'")
            continue
        if row["grade"] not in suite["grades"]:
            check.fail(f"{path}.grade", f"'{row['grade']}' is not a grade of {row['suite']}")
            continue
        if row["size"] <= 0 or row["points"] < 0:
            check.fail(path, "size must be positive and points not negative")
            continue
        if suite["points_basis"] == "credit" and row["size"] != 1:
            check.fail(f"{path}.size", "points per credit use size 1")
            continue
        grades = table.setdefault((row["suite"], row["size"]), {})
        if row["grade"] in grades:
            check.fail(path, f"{row['suite']} {row['grade']} at size {row['size']} is listed twice")
        grades[row["grade"]] = row["points"]
    for (suite_code, size), grades in sorted(table.items()):
        expected = suites[suite_code]["grades"]
        missing = [grade for grade in expected if grade not in grades]
        if missing:
            label = grading.Grade(missing[0]).label
            check.fail("points", f"{suite_code} has no {label} value at size {size} (a gap)")
            continue
        values = [grades[grade] for grade in expected]
        if values != sorted(values):
            check.fail("points", f"{suite_code} at size {size}: points must rise with the grade")
    for code in suites:
        if not any(suite_code == code for suite_code, _ in table):
            check.fail("points", f"suite '{code}' has no points")
    return suites


def _points_grid(points: dict) -> dict[tuple[str, int], set[str]]:
    """Return the grades each (suite, size) of points.toml has points for."""
    grid: dict[tuple[str, int], set[str]] = {}
    for row in points.get("points", []):
        if isinstance(row, dict) and {"suite", "size", "grade"} <= set(row):
            grid.setdefault((row["suite"], row["size"]), set()).add(row["grade"])
    return grid


def _check_qualifications(
    spec: dict,
    points: dict,
    suites: dict,
    problems: list[Problem],
    units: dict[str, dict] | None = None,
) -> None:
    """Validate qualifications.toml against the suites and points of points.toml.

    Refused: an unknown suite or key, a code listed twice, a unit listed twice, a unit size
    with no points in its suite's table, mandatory units plus the optional size that do not
    make the qualification's size, range labels that are not grades of the qualification's
    size (single, double, triple), ranges refused by `grading.ordered_ranges` (tied minimums),
    UCAS figures for a grade without a range, ranges that contradict a verified anchor, and a
    unit whose `examined` differs from the assessment mode of the tracked unit spec of the
    same suite and number (`units`: the folder's unit specs by file stem).
    """
    check = _Checker(QUALIFICATIONS_FILE, problems)
    if not check.table("", spec, QUALIFICATIONS_FILE_FIELDS):
        return
    _check_schema(check, spec)
    grid = _points_grid(points)
    modes = {
        (unit["unit"]["suite"], unit["unit"]["number"]): unit["unit"]["assessment_mode"]
        for unit in (units or {}).values()
    }
    ranges_by_code: dict[str, list[tuple[str, int]]] = {}
    for path, row in check.rows("qualifications", spec["qualifications"], QUALIFICATION):
        code = row["code"]
        if code in ranges_by_code:
            check.fail(f"{path}.code", f"qualification '{code}' is listed twice")
        ranges_by_code[code] = []
        suite = suites.get(row["suite"])
        if suite is None:
            check.fail(f"{path}.suite", f"unknown suite '{row['suite']}' (not in {POINTS_FILE})")
            continue
        per_credit = suite["points_basis"] == Suite.Basis.CREDIT
        if row["size"] <= 0:
            check.fail(f"{path}.size", "must be positive")
        if not 0 <= row["optional_size"] <= row["size"]:
            check.fail(f"{path}.optional_size", "must be between 0 and the size")
        if row["letters"] not in (1, 2, 3):
            check.fail(f"{path}.letters", "must be 1 (single), 2 (double) or 3 (triple grades)")
        numbers: set[int] = set()
        mandatory = 0
        for unit_path, unit in check.rows(f"{path}.units", row["units"], QUALIFICATION_UNIT):
            if unit["number"] in numbers:
                check.fail(f"{unit_path}.number", f"unit {unit['number']} is listed twice")
            numbers.add(unit["number"])
            mode = modes.get((row["suite"], unit["number"]))
            if mode is not None and unit["examined"] != (mode == Unit.Mode.EXAMINED):
                check.fail(
                    f"{unit_path}.examined",
                    f"unit {unit['number']}'s spec says it is {mode.replace('_', '-')}",
                )
            if unit["glh"] <= 0:
                check.fail(f"{unit_path}.glh", "must be positive")
            if per_credit and not unit.get("credits"):
                check.fail(f"{unit_path}.credits", "missing (this suite awards points per credit)")
                continue
            size = unit["credits"] if per_credit else unit["glh"]
            grades = grid.get((row["suite"], 1 if per_credit else size), set())
            if set(suite["grades"]) - grades:
                check.fail(
                    f"{unit_path}.glh",
                    f"{row['suite']} has no points for a {size} GLH unit in {POINTS_FILE}",
                )
            if unit["mandatory"]:
                mandatory += size
        if mandatory + row["optional_size"] != row["size"]:
            check.fail(
                f"{path}.optional_size",
                f"mandatory units ({mandatory}) plus optional size ({row['optional_size']}) "
                f"must make the size ({row['size']})",
            )
        ranges = []
        for range_path, entry in check.rows(f"{path}.ranges", row["ranges"], GRADE_RANGE):
            try:
                letters = grading.qualification_letters(entry["label"])
            except grading.GradingError as error:
                check.fail(f"{range_path}.label", str(error))
                continue
            if len(letters) != row["letters"]:
                check.fail(
                    f"{range_path}.label",
                    f"'{entry['label']}' does not fit a qualification graded with "
                    f"{row['letters']} letters",
                )
            ranges.append((entry["label"], entry["minimum_points"]))
        if not ranges:
            check.fail(f"{path}.ranges", "a qualification needs its point ranges")
        try:
            grading.ordered_ranges(ranges)
        except grading.GradingError as error:
            check.fail(f"{path}.ranges", str(error))
        else:
            ranges_by_code[code] = ranges
        labels = {label for label, _ in ranges}
        for ucas_path, entry in check.rows(f"{path}.ucas", row.get("ucas", []), UCAS):
            if entry["label"] not in labels:
                check.fail(f"{ucas_path}.label", f"'{entry['label']}' has no point range")
    for path, anchor in check.rows("anchors", spec.get("anchors", []), ANCHOR):
        ranges = ranges_by_code.get(anchor["qualification"])
        if ranges is None:
            check.fail(
                f"{path}.qualification", f"unknown qualification '{anchor['qualification']}'"
            )
            continue
        if not ranges:
            continue
        grade = grading.grade_for_points(anchor["points"], ranges)
        if grade != anchor["grade"]:
            check.fail(
                path,
                f"the ranges give {grade or 'U'} for {anchor['points']} points, but "
                f"{anchor['source']} says {anchor['grade']}",
            )


def _check_schema(check: _Checker, spec: dict) -> None:
    if spec["schema"] != SCHEMA_VERSION:
        check.fail("schema", f"version {spec['schema']} is not supported (expected 1)")


def _check_unit_file(name: str, spec: dict, suites: dict, problems: list[Problem]) -> bool:
    """Validate one unit file; return True when it has no problems."""
    before = len(problems)
    check = _Checker(name, problems)
    if not check.table("", spec, UNIT_FILE):
        return False
    _check_schema(check, spec)
    if not check.table("unit", spec["unit"], UNIT):
        return False
    unit = spec["unit"]
    if unit["suite"] not in suites:
        check.fail("unit.suite", f"unknown suite '{unit['suite']}' (not in {POINTS_FILE})")
    if unit["assessment_mode"] not in Unit.Mode.values:
        check.fail("unit.assessment_mode", "must be 'centre_assessed' or 'examined'")
    examined = unit["assessment_mode"] == Unit.Mode.EXAMINED
    if examined:
        for key in ("exam_duration_minutes", "exam_max_mark"):
            if key not in unit:
                check.fail(f"unit.{key}", "missing (an examined unit needs its exam facts)")
    elif unit.get("near_pass"):
        check.fail("unit.near_pass", "Near Pass applies only to examined units")
    if suites.get(unit["suite"], {}).get("points_basis") == "credit" and "credits" not in unit:
        check.fail("unit.credits", f"missing (the {unit['suite']} suite awards points per credit)")

    outcomes: set[int] = set()
    topic_codes: set[str] = set()
    for path, outcome in check.rows(
        "learning_outcomes", spec["learning_outcomes"], LEARNING_OUTCOME
    ):
        if outcome["number"] in outcomes:
            check.fail(f"{path}.number", f"learning outcome {outcome['number']} is listed twice")
        outcomes.add(outcome["number"])
        for topic_path, topic in check.rows(f"{path}.topics", outcome.get("topics", []), TOPIC):
            if topic["code"] in topic_codes:
                check.fail(f"{topic_path}.code", f"topic '{topic['code']}' is listed twice")
            topic_codes.add(topic["code"])

    codes: set[str] = set()
    for path, criterion in check.rows("criteria", spec.get("criteria", []), CRITERION):
        code = criterion["code"]
        if code in codes:
            check.fail(f"{path}.code", f"criterion '{code}' is listed twice")
        codes.add(code)
        try:
            band = grading.band_of(code)
        except grading.GradingError as error:
            check.fail(f"{path}.code", str(error))
        else:
            if criterion["band"] != band:
                check.fail(
                    f"{path}.band",
                    f"'{criterion['band']}' does not match code '{code}' (expected '{band}')",
                )
        if criterion["learning_outcome"] not in outcomes:
            check.fail(
                f"{path}.learning_outcome",
                f"criterion '{code}' is under unknown learning outcome "
                f"{criterion['learning_outcome']}",
            )
    if examined and codes:
        check.fail("criteria", "an examined unit has no P/M/D criteria (track it by topics)")
    if not examined and not codes:
        check.fail("criteria", "a centre-assessed unit needs its P/M/D criteria")
    elif not examined:
        # The grading rule awards a band only when the unit has criteria in it
        # (grading.centre_assessed_grade): a unit without them could never reach Merit or
        # Distinction, so the spec is refused rather than quietly capping every learner.
        for band in grading.BANDS:
            if not any(code.startswith(band) for code in codes):
                label = grading.Grade(band).label
                check.fail(
                    "criteria", f"a centre-assessed unit needs at least one {label} criterion"
                )

    titles: set[str] = set()
    for path, assignment in check.rows("assignments", spec.get("assignments", []), ASSIGNMENT):
        if assignment["title"] in titles:
            check.fail(f"{path}.title", f"assignment '{assignment['title']}' is listed twice")
        titles.add(assignment["title"])
        for code in assignment["criteria"]:
            if code not in codes:
                check.fail(f"{path}.criteria", f"unknown criterion '{code}'")
    terms: set[str] = set()
    for path, entry in check.rows("glossary", spec.get("glossary", []), GLOSSARY):
        if entry["term"].casefold() in terms:
            check.fail(f"{path}.term", f"term '{entry['term']}' is listed twice")
        terms.add(entry["term"].casefold())
    check.rows("resources", spec.get("resources", []), RESOURCE)
    _check_boundary_sets(check, spec, examined)
    return len(problems) == before


def _check_boundary_sets(check: _Checker, spec: dict, examined: bool) -> None:
    unit = spec["unit"]
    rows = check.rows("boundary_sets", spec.get("boundary_sets", []), BOUNDARY_SET)
    if rows and not examined:
        check.fail("boundary_sets", "only examined units have grade boundaries")
        return
    series: set[str] = set()
    for path, row in rows:
        if row["series"] in series:
            check.fail(f"{path}.series", f"series '{row['series']}' is listed twice")
        series.add(row["series"])
        if row.get("near_pass") is not None and not unit.get("near_pass"):
            check.fail(f"{path}.near_pass", "this unit does not award Near Pass")
        if row["max_mark"] != unit.get("exam_max_mark"):
            check.fail(
                f"{path}.max_mark",
                f"{row['max_mark']} differs from the unit's maximum mark "
                f"{unit.get('exam_max_mark')}",
            )
        try:
            _boundaries(row)
        except grading.GradingError as error:
            check.fail(path, str(error))


def _boundaries(row: dict) -> grading.Boundaries:
    return grading.Boundaries(
        max_mark=row["max_mark"],
        distinction=row["distinction"],
        merit=row["merit"],
        pass_mark=row["pass"],
        near_pass=row.get("near_pass"),
    )


class _Writer:
    """Create or update rows by natural key, noting each change in the report."""

    def __init__(self, report: Report):
        self.report = report
        self.file = POINTS_FILE

    def put(self, model: type[models.Model], label: str, key: dict, values: dict) -> Any:
        instance = model.objects.filter(**key).first()
        if instance is None:
            instance = model.objects.create(**key, **values)
            self.report.added.append(label)
            return instance
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        if changed:
            for name in changed:
                setattr(instance, name, values[name])
            instance.save(update_fields=changed)
            self.report.changed.append(f"{label} ({', '.join(changed)})")
        return instance

    def remove_missing(self, queryset: models.QuerySet, keep: set, key: str, label: str) -> None:
        for instance in queryset.exclude(**{f"{key}__in": keep}):
            blocker = records_for(instance)
            if blocker:
                value = getattr(instance, key)
                message = f"cannot remove {label} {value}: it already has {blocker}"
                raise SpecError([Problem(self.file, f"{label} {value}", message)])
            self.report.removed.append(f"{label} {getattr(instance, key)}")
            instance.delete()


def records_for(instance: models.Model) -> str:
    """Return a description of records outside the catalogue that point at this row, or ''.

    Assessment records live in other apps; a catalogue row they use must never vanish.
    """
    for relation in instance._meta.related_objects:
        model = relation.related_model
        if model._meta.app_label == "criteria":
            continue
        count = model._default_manager.filter(**{relation.field.name: instance}).count()
        if count:
            meta = model._meta
            return f"{count} {meta.verbose_name_plural if count > 1 else meta.verbose_name}"
    return ""


def load_catalogue(catalogue: Catalogue) -> Report:
    """Write the catalogue to the database in one transaction and report the changes."""
    report = Report()
    writer = _Writer(report)
    with transaction.atomic():
        suites = _load_points(writer, catalogue.points)
        for slug, spec in catalogue.units.items():
            _load_unit(writer, slug, spec, suites[spec["unit"]["suite"]])
        if catalogue.qualifications is not None:
            _load_qualifications(writer, catalogue.qualifications, suites)
    return report


def _load_qualifications(writer: _Writer, spec: dict, suites: dict[str, Suite]) -> None:
    """Write the qualifications; a unit links the tracked unit of its suite and number."""
    writer.file = QUALIFICATIONS_FILE
    tracked = {(unit.suite_id, unit.number): unit for unit in Unit.objects.all()}
    codes = set()
    for row in spec["qualifications"]:
        suite = suites[row["suite"]]
        codes.add(row["code"])
        label = f"qualification {row['code']}"
        qualification = writer.put(
            Qualification,
            label,
            {"code": row["code"]},
            {
                "suite": suite,
                "code_verified": row["code_verified"],
                "name": row["name"],
                "short_name": row["short_name"],
                "size": row["size"],
                "optional_size": row["optional_size"],
                "letters": row["letters"],
                "verified": row["verified"],
                "source": row["source"],
            },
        )
        numbers = set()
        for unit in row["units"]:
            numbers.add(unit["number"])
            writer.put(
                QualificationUnit,
                f"{label} unit {unit['number']}",
                {"qualification": qualification, "number": unit["number"]},
                {
                    "title": unit["title"],
                    "glh": unit["glh"],
                    "credits": unit.get("credits"),
                    "mandatory": unit["mandatory"],
                    "examined": unit["examined"],
                    "unit": tracked.get((suite.pk, unit["number"])),
                    "verified": unit["verified"],
                    "source": unit["source"],
                },
            )
        writer.remove_missing(qualification.units.all(), numbers, "number", f"{label} unit")
        _replace_rows(
            writer,
            f"{label} point ranges",
            qualification.grade_ranges.all(),
            QualificationGradeRange,
            qualification,
            [
                {key: entry[key] for key in ("label", "minimum_points", "verified", "source")}
                for entry in row["ranges"]
            ],
        )
        _replace_rows(
            writer,
            f"{label} UCAS points",
            qualification.ucas_tariffs.all(),
            UcasTariff,
            qualification,
            [
                {key: entry[key] for key in ("label", "points", "verified", "source")}
                for entry in row.get("ucas", [])
            ],
        )
    anchors: dict[str, list[dict]] = {}
    for anchor in spec.get("anchors", []):
        anchors.setdefault(anchor["qualification"], []).append(
            {
                "points": anchor["points"],
                "label": anchor["grade"],
                "verified": anchor["verified"],
                "source": anchor["source"],
            }
        )
    for qualification in Qualification.objects.filter(code__in=codes):
        _replace_rows(
            writer,
            f"qualification {qualification.code} worked examples",
            qualification.anchors.all(),
            QualificationAnchor,
            qualification,
            anchors.get(qualification.code, []),
        )
    writer.remove_missing(Qualification.objects.all(), codes, "code", "qualification")


def _replace_rows(
    writer: _Writer,
    label: str,
    current: models.QuerySet,
    model: type[models.Model],
    qualification: Qualification,
    rows: list[dict],
) -> None:
    """Replace a qualification's small tables (ranges, UCAS points) when they changed: no
    record points at these rows, and replacing them whole avoids clashing minimums mid-way."""
    fields = list(rows[0]) if rows else []
    wanted = sorted(tuple(row[name] for name in fields) for row in rows)
    have = sorted(tuple(getattr(item, name) for name in fields) for item in current)
    if wanted == have and (rows or not current.exists()):
        return
    existed = current.exists()
    current.delete()
    model.objects.bulk_create(model(qualification=qualification, **row) for row in rows)
    (writer.report.changed if existed else writer.report.added).append(f"{label} ({len(rows)})")


def _load_points(writer: _Writer, spec: dict) -> dict[str, Suite]:
    suites = {}
    for row in spec["suites"]:
        suites[row["code"]] = writer.put(
            Suite,
            f"suite {row['code']}",
            {"code": row["code"]},
            {"name": row["name"], "points_basis": row["points_basis"]},
        )
    for row in spec["points"]:
        writer.put(
            PointsValue,
            f"points {row['suite']} {row['grade']} at size {row['size']}",
            {"suite": suites[row["suite"]], "size": row["size"], "grade": row["grade"]},
            {"points": row["points"], "verified": row["verified"], "source": row["source"]},
        )
    return suites


def _load_unit(writer: _Writer, slug: str, spec: dict, suite: Suite) -> None:
    facts = spec["unit"]
    name = f"Unit {facts['number']}"
    writer.file = f"{slug}.toml"
    unit = writer.put(
        Unit,
        name,
        {"suite": suite, "number": facts["number"]},
        {
            "slug": slug,
            "title": facts["title"],
            "reference": facts.get("reference", ""),
            "level": facts["level"],
            "glh": facts["glh"],
            "credits": facts.get("credits"),
            "assessment_mode": facts["assessment_mode"],
            "aim": facts.get("aim", ""),
            "source": facts["source"],
            "exam_duration_minutes": facts.get("exam_duration_minutes"),
            "exam_max_mark": facts.get("exam_max_mark"),
            "near_pass": facts.get("near_pass", False),
            "exam_source": facts.get("exam_source", ""),
        },
    )
    outcomes = {}
    topic_codes = set()
    for row in spec["learning_outcomes"]:
        outcome = writer.put(
            LearningOutcome,
            f"{name} LO{row['number']}",
            {"unit": unit, "number": row["number"]},
            {"title": row["title"]},
        )
        outcomes[row["number"]] = outcome
        for order, topic in enumerate(row.get("topics", [])):
            topic_codes.add(topic["code"])
            existing = TopicItem.objects.filter(learning_outcome__unit=unit, code=topic["code"])
            key = {"learning_outcome": outcome, "code": topic["code"]}
            if existing.exclude(learning_outcome=outcome).exists():
                # The topic moved to another outcome: keep its id and its records.
                key = {"learning_outcome__unit": unit, "code": topic["code"]}
            item = writer.put(
                TopicItem,
                f"{name} topic {topic['code']}",
                key,
                {"heading": topic["heading"], "text": topic["text"], "order": order},
            )
            if item.learning_outcome_id != outcome.pk:
                item.learning_outcome = outcome
                item.save(update_fields=["learning_outcome"])
                writer.report.changed.append(f"{name} topic {topic['code']} (learning outcome)")
    writer.remove_missing(
        TopicItem.objects.filter(learning_outcome__unit=unit), topic_codes, "code", f"{name} topic"
    )
    criteria = {}
    for order, row in enumerate(spec.get("criteria", [])):
        criteria[row["code"]] = writer.put(
            Criterion,
            f"{name} criterion {row['code']}",
            {"unit": unit, "code": row["code"]},
            {
                "learning_outcome": outcomes[row["learning_outcome"]],
                "band": row["band"],
                "wording": row["wording"],
                "teaching_content": row.get("teaching_content", ""),
                "suggested_evidence": row.get("suggested_evidence", ""),
                "order": order,
            },
        )
    writer.remove_missing(unit.criteria.all(), set(criteria), "code", f"{name} criterion")
    writer.remove_missing(
        unit.learning_outcomes.all(), set(outcomes), "number", f"{name} learning outcome"
    )
    _load_assignments(writer, name, unit, spec.get("assignments", []), criteria)
    terms = set()
    for row in spec.get("glossary", []):
        terms.add(row["term"])
        writer.put(
            GlossaryTerm,
            f"{name} term '{row['term']}'",
            {"unit": unit, "term": row["term"]},
            {"definition": row["definition"]},
        )
    writer.remove_missing(unit.glossary.all(), terms, "term", f"{name} term")
    _load_resources(writer, name, unit, spec.get("resources", []))
    for row in spec.get("boundary_sets", []):
        # A spec file's boundaries are OCR's, the same for every centre: a shared series.
        series = writer.put(
            ExamSeries,
            f"{name} series {row['series']}",
            {"unit": unit, "name": row["series"], "centre": None},
            {"kind": ExamSeries.Kind.REAL},
        )
        writer.put(
            BoundarySet,
            f"{name} boundaries {row['series']}",
            {"series": series},
            {
                "max_mark": row["max_mark"],
                "distinction": row["distinction"],
                "merit": row["merit"],
                "pass_mark": row["pass"],
                "near_pass": row.get("near_pass"),
                "source": row["source"],
                "illustrative": row["illustrative"],
            },
        )


def _load_assignments(
    writer: _Writer, name: str, unit: Unit, rows: list[dict], criteria: dict[str, Criterion]
) -> None:
    titles = set()
    for order, row in enumerate(rows):
        titles.add(row["title"])
        label = f"{name} assignment '{row['title']}'"
        assignment = writer.put(
            SuggestedAssignment,
            label,
            {"unit": unit, "title": row["title"]},
            {
                "evidence_form": row["evidence_form"],
                "guidance": row.get("guidance", ""),
                "order": order,
            },
        )
        wanted = {criteria[code].pk for code in row["criteria"]}
        current = set(assignment.criteria.values_list("pk", flat=True))
        if wanted != current:
            assignment.criteria.set(wanted)
            if label not in writer.report.added:
                writer.report.changed.append(f"{label} (criteria)")
    writer.remove_missing(unit.suggested_assignments.all(), titles, "title", f"{name} assignment")


def _load_resources(writer: _Writer, name: str, unit: Unit, rows: list[dict]) -> None:
    wanted = [(row["kind"], row["text"]) for row in rows]
    current = list(unit.resources.values_list("kind", "text"))
    if wanted == current:
        return
    unit.resources.all().delete()
    Resource.objects.bulk_create(
        Resource(unit=unit, kind=kind, text=text, order=order)
        for order, (kind, text) in enumerate(wanted)
    )
    bucket = writer.report.changed if current else writer.report.added
    bucket.append(f"{name} resources ({len(wanted)})")
