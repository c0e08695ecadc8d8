"""Series become records: create them, with the boundaries' change history.

The boundaries' free-text series and unit stay (made optional) until the data step in
tracker 0009 has linked every row to its series record; criteria 0003 then drops them.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("criteria", "0001_initial"),
        ("tracker", "0008_export_heartbeat"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ExamSeries",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(help_text="e.g. January 2026, or Mock 1 2026", max_length=60),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("mock", "Mock"), ("real", "OCR exam")],
                        default="real",
                        max_length=4,
                    ),
                ),
                (
                    "centre",
                    models.ForeignKey(
                        blank=True,
                        help_text="The centre that sets a mock; empty for a real OCR series "
                        "shared by all",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="mock_series",
                        to="tracker.centre",
                    ),
                ),
                (
                    "unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="exam_series",
                        to="criteria.unit",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "exam series",
                "ordering": ["unit", "-kind", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("centre__isnull", True)),
                        fields=("unit", "name"),
                        name="shared_series_once",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("centre__isnull", False)),
                        fields=("unit", "name", "centre"),
                        name="centre_series_once",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("centre__isnull", True), ("kind", "real")),
                            models.Q(("centre__isnull", False), ("kind", "mock")),
                            _connector="OR",
                        ),
                        name="mocks_belong_to_a_centre",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="BoundaryChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("changed_at", models.DateTimeField(auto_now_add=True)),
                ("summary", models.TextField()),
                (
                    "changed_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "series",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="changes",
                        to="criteria.examseries",
                    ),
                ),
            ],
            options={"ordering": ["series", "-changed_at", "-pk"]},
        ),
        migrations.RemoveConstraint(model_name="boundaryset", name="series_once"),
        migrations.AlterField(
            model_name="boundaryset",
            name="series",
            field=models.CharField(default="", max_length=60),
        ),
        migrations.AlterField(
            model_name="boundaryset",
            name="unit",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="boundary_sets",
                to="criteria.unit",
            ),
        ),
        migrations.AddField(
            model_name="boundaryset",
            name="series_record",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="criteria.examseries",
            ),
        ),
    ]
