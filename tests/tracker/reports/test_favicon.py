"""Browsers ask every page for /favicon.ico: it answers with the site's icon, not a 404."""

from xml.etree import ElementTree

from django.contrib.staticfiles import finders
from django.templatetags.static import static


def test_favicon_ico_answers_anyone_with_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    with open(finders.find("tracker/favicon.svg"), "rb") as icon:
        assert response.content == icon.read()
    assert client.post("/favicon.ico").status_code == 405


def test_the_icon_is_a_plain_svg_linked_from_every_page(client, db):
    path = finders.find("tracker/favicon.svg")
    assert path
    root = ElementTree.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not [element for element in root.iter() if element.tag.endswith("script")]
    page = client.get("/accounts/login/").content.decode()
    assert f'<link rel="icon" href="{static("tracker/favicon.svg")}" type="image/svg+xml">' in page
