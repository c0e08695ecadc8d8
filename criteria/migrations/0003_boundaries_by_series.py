"""Boundaries belong to their series record; the free-text series and unit go."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("criteria", "0002_exam_series"),
        ("tracker", "0010_exam_marks_by_series"),
    ]

    operations = [
        migrations.RemoveField(model_name="boundaryset", name="series"),
        migrations.RemoveField(model_name="boundaryset", name="unit"),
        migrations.RenameField(
            model_name="boundaryset", old_name="series_record", new_name="series"
        ),
        migrations.AlterField(
            model_name="boundaryset",
            name="series",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="boundary_set",
                to="criteria.examseries",
            ),
        ),
        migrations.AlterModelOptions(
            name="boundaryset", options={"ordering": ["series__unit", "series__name"]}
        ),
    ]
