from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.links import _URL, find_links


@pytest.mark.parametrize(("text", "found", "reason"), [
    ("Läs på https://www.falun.se/simhall idag", ["https://www.falun.se/simhall"], [None]),
    ("kolla bit.ly/3abc!", ["bit.ly/3abc"], ["shortened link (bit.ly) hides where it goes"]),
    ("Se www.example.com.", ["www.example.com"], [None]),
    ("Vi ses i Falun.Tack", [], []),
    ("Det kostar 5.50 kr", [], []),
    ("Mejla info@falun.se", ["falun.se"], [None]),
])
def test_find_links(text, found, reason):
    links = find_links(text)
    assert [link.url for link in links] == found
    assert [link.reason for link in links] == reason


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="abcsewnu.:/htp 1-", max_size=40))
def test_prefilter_never_hides_a_link(text):
    assert bool(find_links(text)) == bool(_URL.search(text))
