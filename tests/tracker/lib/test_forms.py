"""Form widgets the browser must be able to read back."""

import importlib
import pkgutil
from datetime import date

from django import forms
from django.urls import reverse
from django.utils import timezone

import tracker


def every_form_class() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(tracker.__path__, "tracker."):
        if module.name.endswith("forms"):
            importlib.import_module(module.name)
    found, waiting = [], [forms.Form, forms.ModelForm]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            waiting.append(subclass)
            if subclass.__module__.startswith("tracker."):
                found.append(subclass)
    return found


def test_every_date_box_is_written_as_the_browser_reads_it():
    """A date input only accepts YYYY-MM-DD: a British 30/11/2026 is thrown away, and a
    required box then cannot be sent (the leaver form did this)."""
    boxes = [
        (form.__name__, name, field.widget)
        for form in every_form_class()
        for name, field in form.base_fields.items()
        if getattr(field.widget, "input_type", "") == "date"
    ]
    assert len(boxes) >= 5, boxes  # leaving date, year dates, assignment dates, extension
    for form, name, widget in boxes:
        html = widget.render(name, date(2026, 11, 30))
        assert 'value="2026-11-30"' in html, (form, name, html)


def test_the_leaver_form_offers_today_as_a_date_the_browser_keeps(cast, client_for):
    page = client_for("admin").get(reverse("learner", args=[cast.learner.pk])).content.decode()
    assert f'type="date" name="left_on" value="{timezone.localdate().isoformat()}"' in page
