"""The marking page's controls look like the rest of the site's forms."""

import re

from django.urls import reverse


def test_the_prediction_controls_are_styled_form_controls(cast, client_for):
    page = client_for("teacher").get(reverse("mark", args=[cast.learner.pk, cast.enrolment.pk]))
    html = page.content.decode()
    assert re.search(r'<select name="grade"[^>]* class="form-select"', html)
    assert re.search(r'<input type="text" name="note"[^>]* class="form-control"', html)
