"""The header keeps one row on a 1024×768 tablet for everyone: at most six screens and 更多."""

import re

import pytest

from tests.conftest import login_as


@pytest.mark.parametrize("staff_no", ["C001", "S001", "S002", "M001", "D001"])
def test_the_header_holds_at_most_six_screens_and_more(client, staff_no):
    login_as(client, staff_no)
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
    links = re.findall(r"<a href=\"([^\"]+)\"", nav)
    screens = [href for href in links if "/home/" not in href]
    assert len(screens) <= 6, screens
    assert len(links) == len(set(links)), "a screen is listed twice"


def test_a_clerk_finds_the_rest_behind_more(client):
    login_as(client, "C001")
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    more = re.search(r'<a href="([^"]+)" data-testid="nav-more"', html)
    assert more, "a clerk has more screens than the header holds: 更多 leads to them"
    home = client.get(more.group(1)).get_data(as_text=True)
    for path in ("/visitors", "/leads", "/quotations"):
        assert f'href="{path}' in home, path
