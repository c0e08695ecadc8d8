"""The grid's keyboard help: "a criterion's button selects its column; then A, N or the
buttons below". Pressing A or N while that button still has the focus must ask once for the
whole column, and Esc must clear the selection."""

from tracker.models import Decision, Status


def test_a_on_a_criterion_button_sets_its_column_after_one_confirmation(catalogue, cast, visitor):
    from tests.conftest import make_learner

    make_learner(cast.centre, cast.group, "0010", "Amelia", "Khan")
    teacher = visitor("teacher-grid-column-keys", 1366, 900)
    teacher.sign_in("teacher")
    page = teacher.page
    teacher.go(f"/groups/{cast.group.pk}/units/{cast.unit30.pk}/")

    column = page.locator("thead button.g-col:text-is('M1')")
    column.click()
    assert page.inner_text("#bulk-count") == "2 cells selected."
    page.keyboard.press("Escape")
    assert page.inner_text("#bulk-count") == "No cells selected."

    column.click()
    page.keyboard.press("n")
    dialog = page.locator("#bulk-dialog")
    assert dialog.is_visible()
    assert "Set 2 cells to ✗ Not yet achieved?" in dialog.inner_text()
    teacher.check()
    page.click("#bulk-confirm")
    page.wait_for_selector("#bulk-result")
    assert "2 cells set to ✗ Not yet achieved." in page.inner_text("#bulk-result")
    m1 = cast.unit30.criteria.get(code="M1")
    assert Decision.objects.filter(criterion=m1, status=Status.NOT_YET).count() == 2
