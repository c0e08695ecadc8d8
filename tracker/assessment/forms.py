"""Forms for assessment: decisions, predictions, exam marks, assignments and data sheets."""

from django import forms

from criteria.grading import Grade
from criteria.models import BoundarySet, Criterion, ExamSeries
from tracker.lib.forms import CleansText, DateInput, IdField, IdsModelMultipleChoiceField
from tracker.models import Assignment, Status, TeachingGroup

# Feedback on one criterion: a few paragraphs at most (a workbook cell holds 32,767
# characters; a page of 100,000 is unreadable on a phone).
FEEDBACK_MAX_LENGTH = 5000


class DecisionForm(CleansText, forms.Form):
    item = forms.RegexField(regex=r"^[ct]:\d+$", widget=forms.HiddenInput)
    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label="Decision",
        choices=[(status, status.label) for status in (Status.ACHIEVED, Status.NOT_YET)],
    )
    feedback = forms.CharField(
        label="Feedback",
        required=False,
        max_length=FEEDBACK_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Where the decision was made: "grid" answers with the grid's cell.
        self.fields["from"] = forms.CharField(required=False, widget=forms.HiddenInput)


def grades_allowed(unit) -> list[Grade]:
    """Return the unit grades a unit can award, lowest first: U, Near Pass (R) only where the
    unit's spec allows it (`near_pass`, e.g. Unit 6; never Unit 30), then P, M and D.
    Source: the unit specification's grading section, loaded into `Unit.near_pass`."""
    lowest = [Grade.U, Grade.R] if unit.near_pass else [Grade.U]
    return [*lowest, Grade.P, Grade.M, Grade.D]


class PredictionForm(CleansText, forms.Form):
    """A teacher's predicted grade for one learner's unit, with an optional note (at most
    300 characters) shown wherever the prediction is shown.

    Built with the `unit`: its grades come from `grades_allowed(unit)`, so Near Pass is a
    choice only for a unit that awards it; any other grade is a form error.
    """

    grade = forms.ChoiceField(label="Predicted grade", choices=[])
    note = forms.CharField(label="Note (optional)", required=False, max_length=300)

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        grades = grades_allowed(unit)
        self.fields["grade"].choices = [(grade.value, grade.label) for grade in grades]
        self.fields["grade"].widget.attrs["class"] = "form-select"
        self.fields["note"].widget.attrs.update(
            {"class": "form-control", "maxlength": "300", "autocomplete": "off"}
        )


class SeriesChoiceField(forms.ModelChoiceField):
    """A series picked from the list, named as every page names it (`ExamSeries.label`)."""

    def label_from_instance(self, obj: ExamSeries) -> str:
        return obj.label


def series_name_problem(name: str, visible) -> str:
    """Return why a new series may not take this name among the `visible` series, or ''."""
    if visible.filter(name__iexact=name).exists():
        return f"There is already a series called '{name}': pick it from the list."
    return ""


class ExamMarkForm(CleansText, forms.Form):
    """A series of raw marks: the series picked from the list (or a new mock named), and a
    mark-<enrolment pk> per learner.

    Built with the learner-units of the group (`enrolments`, with their learners), the
    paper's maximum (`max_mark`) and the series this centre may use for the unit
    (`series_choices`: the shared OCR series and its own mocks); a blank mark is left
    alone. cleaned_data["marks"] lists (enrolment, mark) for the marks given;
    cleaned_data["series"] is the series picked, or None with cleaned_data["new_mock"] the
    name of a mock series to add.
    """

    series = SeriesChoiceField(
        label="Series",
        queryset=ExamSeries.objects.none(),
        required=False,
        empty_label="Choose a series",
    )
    new_mock = forms.CharField(
        label="Or add a mock series",
        max_length=60,
        required=False,
        help_text="e.g. Mock 2 2026",
    )

    def __init__(
        self, *args, enrolments=(), max_mark: int | None = None, series_choices=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.enrolments = list(enrolments)
        self.max_mark = max_mark
        self.fields["series"].queryset = (
            series_choices if series_choices is not None else ExamSeries.objects.none()
        )
        for enrolment in self.enrolments:
            self.fields[f"mark-{enrolment.pk}"] = forms.CharField(required=False)

    def mark_problems(self) -> list[str]:
        """Return one line per mark that is not a whole number from 0 to the maximum."""
        found = self._found if hasattr(self, "_found") else self._bad_marks()
        return [f"{enrolment.learner.full_name}: {problem}" for enrolment, problem in found]

    def _bad_marks(self) -> list[tuple]:
        if not hasattr(self, "cleaned_data"):
            return []
        bad = []
        for enrolment in self.enrolments:
            raw = self.cleaned_data.get(f"mark-{enrolment.pk}", "")
            if raw and not self._is_mark(raw):
                bad.append((enrolment, f"'{raw}' is not a mark from 0 to {self.max_mark}"))
        return bad

    def _is_mark(self, raw: str) -> bool:
        return raw.isascii() and raw.isdigit() and int(raw) <= (self.max_mark or 0)

    def mark_fields(self) -> dict[int, forms.BoundField]:
        """Return each learner-unit's mark field by its pk, for the page to put by its name."""
        return {enrolment.pk: self[f"mark-{enrolment.pk}"] for enrolment in self.enrolments}

    def clean(self):
        cleaned = super().clean()
        series, new_mock = cleaned.get("series"), cleaned.get("new_mock", "")
        if "series" in self.errors or "new_mock" in self.errors:
            pass
        elif series and new_mock:
            self.add_error("new_mock", "Pick a series or name a new mock, not both.")
        elif not series and not new_mock:
            self.add_error("series", "Pick the series these marks are for, or name a new mock.")
        elif new_mock:
            problem = series_name_problem(new_mock, self.fields["series"].queryset)
            if problem:
                self.add_error("new_mock", problem)
        bad = self._found = self._bad_marks()
        for enrolment, problem in bad:
            self.add_error(f"mark-{enrolment.pk}", problem)
        if bad:
            return cleaned
        cleaned["marks"] = [
            (enrolment, int(cleaned[f"mark-{enrolment.pk}"]))
            for enrolment in self.enrolments
            if cleaned.get(f"mark-{enrolment.pk}")
        ]
        return cleaned


class AuthoriseForm(CleansText, forms.Form):
    """The decision whose resubmission the lead assessor authorises."""

    decision = IdField()


class AssignmentForm(CleansText, forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["title", "criteria", "brief", "issued_on", "deadline"]
        field_classes = {"criteria": IdsModelMultipleChoiceField}
        widgets = {
            "criteria": forms.CheckboxSelectMultiple,
            "issued_on": DateInput(),
            "deadline": DateInput(),
            "brief": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria"].queryset = Criterion.objects.filter(unit=unit).order_by("order")
        self.fields["criteria"].label_from_instance = lambda c: f"{c.code} {c.wording}"

    def clean(self):
        cleaned = super().clean()
        issued, deadline = cleaned.get("issued_on"), cleaned.get("deadline")
        if issued and deadline and deadline < issued:
            self.add_error("deadline", "The deadline is before the issue date.")
        return cleaned


class ExtensionForm(CleansText, forms.Form):
    learner = forms.ModelChoiceField(queryset=None, label="Learner")
    deadline = forms.DateField(widget=DateInput(), label="New deadline")
    reason = forms.CharField(max_length=300, required=False, label="Reason")

    def __init__(self, *args, group: TeachingGroup, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = group.learners.all()


class DataSheetForm(CleansText, forms.Form):
    file = forms.FileField(
        label="Edited data sheet (.xlsx)",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx") or upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError("Upload the .xlsx data sheet (at most 10 MB).")
        return upload


class PendingDataSheetForm(CleansText, forms.Form):
    """Which previewed data sheet a cancel is about (the token the preview page carries)."""

    token = forms.RegexField(r"^[0-9a-f]{32}$", widget=forms.HiddenInput)


class SeriesForm(CleansText, forms.Form):
    """A new series of an examined unit: its name and, where the user may add both, its
    kind. Built with `kinds` (the kinds this user may add) and `visible` (the unit's series
    they see, whose names a new one must not repeat)."""

    name = forms.CharField(label="Series name", max_length=60, help_text="e.g. January 2026")
    kind = forms.ChoiceField(label="Kind", choices=ExamSeries.Kind.choices)

    def __init__(self, *args, kinds=(), visible=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.visible = visible if visible is not None else ExamSeries.objects.none()
        self.fields["kind"].choices = [
            (value, label) for value, label in ExamSeries.Kind.choices if value in kinds
        ]
        self.fields[
            "kind"
        ].help_text = "An OCR exam series is shared by every centre; a mock is only your centre's."

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        problem = series_name_problem(name, self.visible)
        if problem:
            raise forms.ValidationError(problem.replace(": pick it from the list", ""))
        return name


class DeleteSeriesForm(CleansText, forms.Form):
    """Confirm deleting a series (the button posts `confirm=yes`)."""

    confirm = forms.ChoiceField(choices=[("yes", "Yes")], widget=forms.HiddenInput)


class BoundarySetForm(CleansText, forms.ModelForm):
    """A series' boundaries: the lowest raw mark for each grade, the paper's maximum and
    where the figures come from. Checked by `BoundarySet.clean` against the grading rules
    (`criteria.grading.Boundaries`) and the unit's paper."""

    class Meta:
        model = BoundarySet
        fields = [
            "max_mark",
            "distinction",
            "merit",
            "pass_mark",
            "near_pass",
            "source",
            "illustrative",
        ]
        labels = {
            "max_mark": "Maximum mark",
            "distinction": "Distinction: lowest mark",
            "merit": "Merit: lowest mark",
            "pass_mark": "Pass: lowest mark",
            "near_pass": "Near Pass: lowest mark",
            "source": "Source",
            "illustrative": "Illustrative, not official",
        }
        help_texts = {
            "source": "e.g. OCR raw mark grade boundaries, January 2026",
            "near_pass": "Leave empty if OCR gives no Near Pass boundary for this series.",
        }
        widgets = {"source": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, series: ExamSeries, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.series = series
        unit = series.unit
        if not unit.near_pass:
            del self.fields["near_pass"]
        if self.instance.pk is None and unit.exam_max_mark:
            self.initial.setdefault("max_mark", unit.exam_max_mark)


class GridFilterForm(CleansText, forms.Form):
    """The group grid's filters, read from the query string.

    Built with the group's `assignments` on the unit as (pk, title) pairs. A value the page
    would never send is simply not applied (the grid shows everything for that filter).
    """

    status = forms.ChoiceField(
        label="Show learners with",
        required=False,
        choices=[("", "any status"), *Status.choices],
    )
    assignment = forms.TypedChoiceField(
        label="Assignment", required=False, coerce=int, empty_value=None, choices=[]
    )
    below_target = forms.BooleanField(label="Only learners below target", required=False)
    late = forms.BooleanField(label="Late work only", required=False)

    def __init__(self, *args, assignments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].choices = [("", "all criteria"), *assignments]


# The most cells one bulk save may list: a whole Unit 6 grid of a large group (63 topics ×
# 40 learners is 2,520).
BULK_MAX_CELLS = 3000


class GridCellsField(forms.Field):
    """Cells of the grid as "<learner-unit id>:<item key>:<revision>" ("12:c:34:0").

    Returns a list of (learner-unit id, item key, revision) with each cell once; the ids are
    looked up through the group afterwards, so an id here proves nothing.
    """

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": "The cells sent are not cells of the grid: reload the page and select again.",
        "required": "Select at least one cell first.",
        "too_many": f"Select at most {BULK_MAX_CELLS} cells at once.",
    }

    def to_python(self, value) -> list[tuple[int, str, int]]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if len(value) > BULK_MAX_CELLS:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many")
        cells, seen = [], set()
        for text in value:
            parts = str(text).split(":")
            numbers = [parts[0], *parts[2:]] if len(parts) == 4 else []
            if not numbers or parts[1] not in ("c", "t"):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            if not all(n.isascii() and n.isdigit() and len(n) <= 18 for n in numbers):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            cell = (int(parts[0]), f"{parts[1]}:{int(parts[2])}", int(parts[3]))
            if cell[:2] not in seen:
                seen.add(cell[:2])
                cells.append(cell)
        return cells


class BulkDecisionForm(CleansText, forms.Form):
    """One status for many cells of the grid, each with the revision the page showed."""

    status = forms.ChoiceField(
        label="Set to",
        choices=[(status, status.label) for status in (Status.ACHIEVED, Status.NOT_YET)],
    )
    cells = GridCellsField()


class PlannerForm(CleansText, forms.Form):
    """The what-if planner: a grade per unit of the learner's qualification not yet
    finished, as a GET query (nothing is saved) or, for a teacher, a POST that saves it.

    Built with the learner's `state` (`qualification_progress_for`): one field `u<number>`
    per open unit, offering the grades that unit can be given (`UnitRow.allowed_grades`,
    Near Pass only where the unit awards it); an optional unit not taken yet may also be left
    out ("Not taking it"). A blank or missing field keeps the current prediction; any other
    value is a form error. `choices()` returns {unit number: Grade} for the units given.
    """

    def __init__(self, *args, state, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_rows = []
        taken = [row for row in state.rows if not row.finished]
        for row in taken + state.available:
            blank = "Not taking it" if row in state.available else "Keep the current prediction"
            name = f"u{row.number}"
            self.fields[name] = forms.ChoiceField(
                label=f"Unit {row.number}: {row.title}",
                required=False,
                choices=[("", blank)] + [(g.value, g.label) for g in row.allowed_grades],
                initial=row.predicted.value if row.predicted else "",
            )
            self.fields[name].widget.attrs["class"] = "form-select"
            self.unit_rows.append((row, name))

    def choices(self) -> dict[int, Grade]:
        return {
            row.number: Grade(self.cleaned_data[name])
            for row, name in self.unit_rows
            if self.cleaned_data.get(name)
        }

    def unit_fields(self) -> list:
        """(row, bound field) pairs in unit order, for the page."""
        return [(row, self[name]) for row, name in self.unit_rows]


def _not_a_grade(label: str, what: str, choices: list[tuple[str, str]]) -> str:
    """The message for a grade the list does not offer (a tampered or stale post): names
    the unit and the field and lists what may be chosen. Never repeats what was sent."""
    words = [name for _, name in choices]
    listed = ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]
    # Django fills in %(value)s-style placeholders: a % in a unit title must stay literal.
    return f"{label}, {what}: choose {listed} from the list.".replace("%", "%%")


GRADE_ONLY_CHOICES = [("", "Not yet")] + [(grade.value, grade.label) for grade in Grade]


class GradeOnlyForm(CleansText, forms.Form):
    """A learner's grade achieved and predicted grade on each grade-only unit of their
    qualification: fields `a<unit id>` and `p<unit id>`. A unit whose fields the post leaves
    out keeps its grades ("Not yet" is a choice the form sends)."""

    def __init__(self, *args, units, grades_for, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = list(units)
        for unit in self.units:
            choices = [("", "Not yet")] + [(g.value, g.label) for g in grades_for(unit)]
            label = f"Unit {unit.number}: {unit.title}"
            for prefix, what in (("a", "grade achieved"), ("p", "predicted grade")):
                self.fields[f"{prefix}{unit.pk}"] = forms.ChoiceField(
                    label=f"{label}, {what}",
                    choices=choices,
                    required=False,
                    error_messages={"invalid_choice": _not_a_grade(label, what, choices)},
                )

    def problems(self) -> list[str]:
        """Every field's error as one sentence naming its unit, for the top of the page."""
        return [str(error) for errors in self.errors.values() for error in errors]

    def changes(self) -> list[tuple]:
        """Return (unit, achieved, predicted) for each unit whose both fields were sent."""
        sent = []
        for unit in self.units:
            names = (self.add_prefix(f"a{unit.pk}"), self.add_prefix(f"p{unit.pk}"))
            if all(name in self.data for name in names):
                sent.append(
                    (unit, self.cleaned_data[f"a{unit.pk}"], self.cleaned_data[f"p{unit.pk}"])
                )
        return sent


class GradesImportForm(CleansText, forms.Form):
    file = forms.FileField(
        label="Grades file (CSV or XLSX)",
        help_text="A header row, then one row per learner and unit: candidate number, unit, "
        "grade and/or prediction.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError("The file is over 10 MB: split it.")
        return upload


class GradesConfirmForm(CleansText, forms.Form):
    """Which previewed grades file a confirmation or a cancel is about."""

    token = forms.RegexField(r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
