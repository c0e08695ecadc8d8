"""Pages of long lists, with links that keep the rest of the query string."""

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PAGE_SIZE = 50


class Counted:
    """A queryset whose length is known already (kept with other figures), so paging it
    costs the page's query only, not a count of every row."""

    def __init__(self, items, count: int):
        self.items, self._count = items, count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        return self.items[index]


def paginate(request: HttpRequest, items, param: str = "page", per_page: int = PAGE_SIZE) -> Page:
    """Return the page of `items` the query string asks for (the first if it asks for none,
    the last if it asks for too many), with the links `_pagination.html` shows. The links
    keep the rest of the query string, so several lists on one page page independently."""
    page = Paginator(items, per_page).get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}"

    if page.has_previous():
        page.first_url, page.previous_url = link(1), link(page.previous_page_number())
    if page.has_next():
        page.next_url, page.last_url = link(page.next_page_number()), link(page.paginator.num_pages)
    return page
