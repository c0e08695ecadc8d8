"""Every exam mark names its series record; the free-text series and kind go."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0010_exam_marks_by_series"),
        ("criteria", "0003_boundaries_by_series"),
    ]

    operations = [
        migrations.RemoveField(model_name="exammark", name="series"),
        migrations.RemoveField(model_name="exammark", name="kind"),
        migrations.RenameField(model_name="exammark", old_name="series_record", new_name="series"),
        migrations.AlterField(
            model_name="exammark",
            name="series",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="marks",
                to="criteria.examseries",
            ),
        ),
        migrations.AddConstraint(
            model_name="exammark",
            constraint=models.UniqueConstraint(
                fields=("enrolment", "series"), name="one_mark_per_series"
            ),
        ),
    ]
