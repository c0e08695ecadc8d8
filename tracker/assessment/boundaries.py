"""Exam series and their grade boundaries, with the history of every change.

Who may do what is decided in `tracker.access.boundary_rights`; these workflows assume the
caller checked it.
"""

from django.db import IntegrityError, transaction

from criteria.models import BoundaryChange, BoundarySet, ExamSeries, Unit
from tracker.models import Centre, User

# The boundary fields a change summary names, with the words it names them by.
FIELD_WORDS = {
    "max_mark": "Maximum mark",
    "distinction": "Distinction",
    "merit": "Merit",
    "pass_mark": "Pass",
    "near_pass": "Near Pass",
    "source": "Source",
    "illustrative": "Illustrative",
}


class SeriesError(ValueError):
    """A series that cannot be added (its name is already taken) or deleted (it has marks)."""


@transaction.atomic
def add_series(unit: Unit, name: str, kind: str, centre: Centre | None, user: User) -> ExamSeries:
    """Add a series to an examined unit: a shared OCR series (`centre` None, kind "real") or
    a centre's mock (kind "mock"). Raises SeriesError when the name is already taken."""
    owner = centre if kind == ExamSeries.Kind.MOCK else None
    try:
        with transaction.atomic():
            series = ExamSeries.objects.create(unit=unit, name=name, kind=kind, centre=owner)
    except IntegrityError:
        raise SeriesError(f"There is already a series called '{name}'.") from None
    BoundaryChange.objects.create(series=series, changed_by=user, summary="Series added")
    return series


@transaction.atomic
def delete_series(series: ExamSeries) -> None:
    """Delete a series with no marks, with its boundaries and their history. A series with
    marks raises SeriesError: learners' marks stay in their records, and their grades come
    from its boundaries (ExamMark.series is PROTECT)."""
    marks = series.marks.count()
    if marks:
        raise SeriesError(
            f"{series.name} cannot be deleted: {marks} learner mark{'s' if marks != 1 else ''} "
            f"{'were' if marks != 1 else 'was'} entered against it, and marks stay in "
            "learners' records. You can still change its boundaries."
        )
    series.delete()


def _shown(field: str, value) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@transaction.atomic
def save_boundaries(
    boundary: BoundarySet, before: dict | None, user: User
) -> BoundaryChange | None:
    """Save a series' boundaries (validated by the form) and record what changed.

    `before` holds the field values as they were (None when the series had none). Returns
    the change recorded, or None when nothing changed.
    """
    if before is None:
        boundary.save()
        parts = [f"{FIELD_WORDS[f]} {_shown(f, getattr(boundary, f))}" for f in FIELD_WORDS]
        summary = "Boundaries entered: " + "; ".join(parts)
    else:
        changed = [f for f in FIELD_WORDS if before.get(f) != getattr(boundary, f)]
        if not changed:
            return None
        boundary.save()
        summary = "; ".join(
            f"{FIELD_WORDS[f]} {_shown(f, before.get(f))} → {_shown(f, getattr(boundary, f))}"
            for f in changed
        )
    return BoundaryChange.objects.create(series=boundary.series, changed_by=user, summary=summary)


def values_of(boundary: BoundarySet | None) -> dict | None:
    """Return the boundary's field values, to compare after an edit (None for no boundary)."""
    if boundary is None:
        return None
    return {field: getattr(boundary, field) for field in FIELD_WORDS}
