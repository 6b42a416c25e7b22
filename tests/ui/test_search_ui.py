"""The search page: hits newest first with the matched words marked (and nothing else),
a page at a time, each role by its rights (as the API's search), hostile text inert, and
a clear message for what cannot be searched (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from app.ui.i18n import english
from app.ui.registrar import MEDIA_STATUS_NAMES, SOURCE_NAMES, STATUS_NAMES
from app.ui.search import KIND_NAMES, STATE_NAMES, YES_NO, segments
from tests.test_search import OTHER_PAGE, PAGE, add_item, add_version
from tests.ui.conftest import login, ui_user

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOSTILE = ('<script>alert(1)</script> snöröjning <img src=x onerror=alert(1)> '
           '<a href="javascript:alert(1)">x</a> javascript:alert(1)')


@pytest.fixture
def archive(db):
    from tests.conftest import add_test_page

    add_test_page(db, PAGE, unit="Kommunstyrelsen", name="Falu kommun")
    add_test_page(db, OTHER_PAGE, unit="Socialförvaltningen", name="Socialtjänsten")
    with db.transaction() as s:
        add_item(s, "1", "Snöröjningen på Storgatan är försenad", at=T0)
        add_item(s, "2", "Tack för hjälpen med parkeringen!", at=T0 + timedelta(hours=1),
                 author=("777", "Per Persson"), state="hidden")
        add_item(s, "3", "Snöröjningen i Socialtjänstens kvarter", page=OTHER_PAGE,
                 at=T0 + timedelta(hours=2))
        add_item(s, "4", "Snöröjning: min granne har skyddad identitet",
                 at=T0 + timedelta(hours=3), case="registered", secret=True)


def as_role(ui, db, role: str, **kw) -> None:
    login(ui, ui_user(db, role, **kw))


def item_links(html: str) -> list[str]:
    return re.findall(r'href="/ui/items/([^"]+)"', html)


def rows(html: str) -> list[str]:
    return re.findall(r"<tr>\s*<td><a href=\"/ui/items/.*?</tr>", html, re.DOTALL)


def test_words_find_hits_newest_first_with_the_words_marked(ui, db, archive):
    as_role(ui, db, "auditor")
    r = ui.get("/ui/search", params={"q": "snöröjning"})
    assert r.status_code == 200
    assert item_links(r.text) == ["4", "3", "1"]
    first = rows(r.text)[-1]
    assert "<mark>Snöröjningen</mark> på Storgatan är försenad" in first
    assert "Falu kommun" in first and "Åsa Öberg" in first and "Kommentar" in first
    assert "Synlig" in first
    r = ui.get("/ui/search", params={"q": "STORGATAN försenad"})
    assert item_links(r.text) == ["1"]
    assert "Snöröjningen på <mark>Storgatan</mark> är <mark>försenad</mark>" in r.text
    r = ui.get("/ui/search")  # no words: everything, newest first, nothing marked
    assert item_links(r.text) == ["4", "3", "2", "1"] and "<mark>" not in r.text
    assert 'value="snöröjning"' not in r.text


def test_filters(ui, db, archive):
    as_role(ui, db, "registrar")
    assert item_links(ui.get("/ui/search", params={"page_id": OTHER_PAGE}).text) == ["3"]
    assert item_links(ui.get("/ui/search", params={"state": "hidden"}).text) == ["2"]
    assert item_links(ui.get("/ui/search", params={"author": "per"}).text) == ["2"]
    assert item_links(ui.get("/ui/search", params={"secret": "true"}).text) == ["4"]
    assert item_links(ui.get("/ui/search", params={"registered": "false"}).text) == [
        "3", "2", "1"]
    day = ui.get("/ui/search", params={"date_from": "2026-03-02", "date_to": "2026-03-03"})
    assert item_links(day.text) == []
    assert "Inga träffar." in day.text
    r = ui.get("/ui/search", params={"q": "snöröjning", "page_id": PAGE, "kind": "comment",
                                     "date_from": "2026-03-01", "date_to": "2026-03-01"})
    assert item_links(r.text) == ["4", "1"]
    # The form comes back as it was filled in, and can be made a records request.
    assert 'value="snöröjning"' in r.text and '<option value="1001" selected>' in r.text
    assert '<option value="comment" selected>' in r.text
    assert 'value="2026-03-01"' in r.text
    link = re.search(r'href="(/ui/registration/downloads\?[^"]+)"', r.text).group(1)
    assert "q=sn%C3%B6r%C3%B6jning" in link and "page_id=1001" in link


def test_pages_of_hits_follow_the_cursor(ui, db, archive, monkeypatch):
    monkeypatch.setattr("app.ui.search.PER_PAGE", 3)
    with db.transaction() as s:
        for n in range(5, 9):
            add_item(s, str(n), f"Snöröjning nummer {n}", at=T0 - timedelta(days=n))
    as_role(ui, db, "auditor")
    first = ui.get("/ui/search", params={"q": "snöröjning"})
    assert item_links(first.text) == ["4", "3", "1"]
    older = unescape(re.search(r'href="([^"]+)" rel="next"', first.text).group(1))
    assert "q=sn%C3%B6r%C3%B6jning" in older and "cursor=" in older
    second = ui.get(older)
    assert item_links(second.text) == ["5", "6", "7"]
    assert 'href="/ui/search?q=sn%C3%B6r%C3%B6jning"' in second.text  # back to the newest
    third = ui.get(unescape(re.search(r'href="([^"]+)" rel="next"', second.text).group(1)))
    assert item_links(third.text) == ["8"] and 'rel="next"' not in third.text


@pytest.mark.parametrize(("params", "message"), [
    ({"date_from": "2026-03-02", "date_to": "2026-03-01"},
     "Från-datumet ligger efter till-datumet."),
    ({"q": "!!! ??? 🙂"}, "Sökorden måste innehålla bokstäver eller siffror."),
    ({"q": "a " * 300}, "Sökningen är för lång"),
    ({"q": " ".join(f"ord{n}" for n in range(17))}, "Sökningen är för lång"),
    ({"date_from": "2026-13-01"}, "Skriv datum som ÅÅÅÅ-MM-DD"),
    ({"date_to": "igår"}, "Skriv datum som ÅÅÅÅ-MM-DD"),
    ({"kind": "tweet"}, "Välj ett av alternativen i listan."),
    ({"category": "<script>"}, "Välj ett av alternativen i listan."),
    ({"secret": "kanske"}, "Välj ett av alternativen i listan."),
    ({"author": "Åsa\x00"}, "Avsändaren är för lång"),
    ({"page_id": "1" * 129}, "Okänd sida."),
    ({"cursor": "inte-en-markör"}, "Börja om från första sidan."),
    ({"cursor": "W10"}, "Börja om från första sidan."),
])
def test_bad_input_gives_the_form_and_a_message(ui, db, archive, params, message):
    as_role(ui, db, "auditor")
    r = ui.get("/ui/search", params=params)
    assert r.status_code == 422
    assert message in r.text and 'class="error" role="alert"' in r.text
    assert '<form method="get" action="/ui/search"' in r.text
    assert item_links(r.text) == []


def test_a_moderator_searches_the_own_unit_and_not_secret_text(ui, db, archive):
    as_role(ui, db, "moderator", unit="Kommunstyrelsen")
    r = ui.get("/ui/search")
    assert item_links(r.text) == ["4", "2", "1"]  # not the other unit's page
    assert "Socialtjänsten" not in r.text  # not even in the list of pages
    secret = rows(r.text)[0]
    assert "Innehållet omfattas av sekretess och visas inte för din roll." in secret
    assert "skyddad identitet" not in r.text
    # Words never find secret content for a moderator, so they cannot be confirmed.
    assert item_links(ui.get("/ui/search", params={"q": "skyddad identitet"}).text) == []
    assert item_links(ui.get("/ui/search", params={"q": "snöröjning"}).text) == ["1"]
    # Asking for the other unit's page by its id finds nothing either.
    assert item_links(ui.get("/ui/search", params={"page_id": OTHER_PAGE}).text) == []
    assert "/ui/registration/downloads" not in r.text  # no records requests


@pytest.mark.parametrize("role", ["registrar", "information_officer", "auditor"])
def test_other_roles_see_every_page_and_secret_text(ui, db, archive, role):
    as_role(ui, db, role)
    r = ui.get("/ui/search", params={"q": "skyddad"})
    assert item_links(r.text) == ["4"]
    assert "<mark>skyddad</mark> identitet" in r.text
    assert "visas inte för din roll" not in r.text
    assert item_links(ui.get("/ui/search").text) == ["4", "3", "2", "1"]


def test_hostile_text_stays_text(ui, db, archive):
    with db.transaction() as s:
        add_item(s, "66", HOSTILE, at=T0 + timedelta(days=1),
                 author=("666", "<img src=x onerror=alert(1)>"))
    as_role(ui, db, "auditor")
    for params in ({}, {"q": "snöröjning"}, {"q": "alert"}):
        html = ui.get("/ui/search", params=params).text
        assert "66" in item_links(html), params
        assert "<script>alert" not in html and "<img src=x" not in html
        assert 'href="javascript:' not in html and "onerror=alert(1)>" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    html = ui.get("/ui/search", params={"q": "alert"}).text
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in html
    assert "onerror=<mark>alert</mark>(1)&gt;" in html
    # A query that is itself hostile is shown back as text, too.
    html = ui.get("/ui/search", params={"q": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_a_long_text_is_cut_around_the_first_match(ui, db, archive):
    long = "Inledning " * 40 + "Storgatan är plogad. " + "Avslutning " * 40
    with db.transaction() as s:
        item = add_item(s, "70", long, at=T0 + timedelta(days=1)).item
        add_version(s, item, 2, long + " Tillägg.", T0 + timedelta(days=2))
    as_role(ui, db, "auditor")
    html = ui.get("/ui/search", params={"q": "storgatan plogad"}).text
    assert item_links(html)[:2] == ["70", "70"]  # each version is its own hit
    assert "version 2" in html
    cell = re.search(r'<div class="comment">(.*?)</div>', html, re.DOTALL).group(1)
    assert cell.startswith("…") and cell.endswith("…")
    assert "<mark>Storgatan</mark> är <mark>plogad</mark>." in cell


@pytest.mark.parametrize(("snippet", "matches", "expected"), [
    ("", [], []),
    ("Hej", [], [("Hej", False)]),
    ("Hej Storgatan!", [(4, 13)], [("Hej ", False), ("Storgatan", True), ("!", False)]),
    ("Storgatan", [(0, 9)], [("Storgatan", True)]),
    ("a b c", [(4, 5), (0, 1)], [("a", True), (" b ", False), ("c", True)]),
    ("abcdef", [(0, 4), (2, 6)], [("abcd", True), ("ef", True)]),  # overlapping
    ("abc", [(1, 1), (2, 99), (7, 9)], [("ab", False), ("c", True)]),  # empty, outside
    ("å<ä>ö", [(1, 4)], [("å", False), ("<ä>", True), ("ö", False)]),
])
def test_segments(snippet, matches, expected):
    parts = segments(snippet, matches)
    assert parts == expected
    assert "".join(text for text, _ in parts) == snippet


def test_the_labels_have_english():
    for table in (KIND_NAMES, STATE_NAMES, YES_NO, STATUS_NAMES, SOURCE_NAMES,
                  MEDIA_STATUS_NAMES):
        assert all(text in english() for text in table.values())


def test_search_needs_a_session(ui, db):
    r = ui.get("/ui/search?q=x")
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/login")
