"""Link every exam mark and boundary set to a series record, matched by unit and name.

- A mock mark goes to a mock series of its learner's centre; an OCR exam mark to the shared
  OCR series of that name (its kind is kept, so every grade stays as it was).
- A boundary set that is not illustrative (one typed from OCR's document) becomes the
  shared OCR series' boundaries; it is copied onto every centre's mock of the same name.
- An illustrative set goes to the series its marks landed in (copied to each); with no
  marks, to a mock of the instance's only centre, else to a shared series (still
  labelled illustrative).

Backwards, names and kinds are copied back into the free-text columns; where two centres'
mocks of one name both had boundaries, the first is kept (the old table held one per name).
Only the historical models are used, so the step never depends on today's code.
"""

import django.db.models.deletion
from django.db import migrations, models

BOUNDARY_FIELDS = (
    "max_mark",
    "distinction",
    "merit",
    "pass_mark",
    "near_pass",
    "source",
    "illustrative",
)


def link_series(apps, schema_editor):
    ExamSeries = apps.get_model("criteria", "ExamSeries")
    BoundarySet = apps.get_model("criteria", "BoundarySet")
    ExamMark = apps.get_model("tracker", "ExamMark")
    Centre = apps.get_model("tracker", "Centre")
    made = {}

    def series_for(unit_id, name, centre_id):
        key = (unit_id, name, centre_id)
        if key not in made:
            made[key], _ = ExamSeries.objects.get_or_create(
                unit_id=unit_id,
                name=name,
                centre_id=centre_id,
                defaults={"kind": "mock" if centre_id else "real"},
            )
        return made[key]

    sets = {(b.unit_id, b.series): b for b in BoundarySet.objects.all()}
    landed = {key: [] for key in sets}
    for mark in ExamMark.objects.select_related("enrolment__learner", "enrolment"):
        unit_id = mark.enrolment.unit_id
        centre_id = mark.enrolment.learner.centre_id if mark.kind == "mock" else None
        series = series_for(unit_id, mark.series, centre_id)
        mark.series_record = series
        mark.save(update_fields=["series_record"])
        if (unit_id, mark.series) in sets and series not in landed[(unit_id, mark.series)]:
            landed[(unit_id, mark.series)].append(series)
    centres = list(Centre.objects.values_list("pk", flat=True))
    for key, boundary in sets.items():
        unit_id, name = key
        targets = list(landed[key])
        if not boundary.illustrative:
            shared = series_for(unit_id, name, None)
            if shared not in targets:
                targets.insert(0, shared)
        elif not targets:
            targets = [series_for(unit_id, name, centres[0] if len(centres) == 1 else None)]
        first, *copies = targets
        boundary.series_record = first
        boundary.save(update_fields=["series_record"])
        for series in copies:
            BoundarySet.objects.create(
                unit_id=unit_id,
                series=name,
                series_record=series,
                **{field: getattr(boundary, field) for field in BOUNDARY_FIELDS},
            )


def unlink_series(apps, schema_editor):
    BoundarySet = apps.get_model("criteria", "BoundarySet")
    ExamMark = apps.get_model("tracker", "ExamMark")
    for mark in ExamMark.objects.select_related("series_record"):
        mark.series = mark.series_record.name
        mark.kind = mark.series_record.kind
        mark.save(update_fields=["series", "kind"])
    kept = set()
    for boundary in BoundarySet.objects.select_related("series_record").order_by("pk"):
        key = (boundary.series_record.unit_id, boundary.series_record.name)
        if key in kept:
            boundary.delete()
            continue
        kept.add(key)
        boundary.unit_id, boundary.series = key
        boundary.save(update_fields=["unit", "series"])


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0009_signin_invitations"),
        ("criteria", "0002_exam_series"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="exammark", name="one_mark_per_series"),
        migrations.AlterField(
            model_name="exammark",
            name="series",
            field=models.CharField(default="", max_length=60),
        ),
        migrations.AddField(
            model_name="exammark",
            name="series_record",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="criteria.examseries",
            ),
        ),
        migrations.RunPython(link_series, unlink_series),
    ]
