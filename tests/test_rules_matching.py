"""Normalisation and word-list matching, table-driven, in Swedish."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.matcher import Matcher
from app.rules.textnorm import normalise, normalise_full, plain_view
from app.rules.wordlists import (
    EntryKind,
    load_directory,
    WordListError,
    parse_facebook_list,
    parse_wordlist,
)

LIST = parse_wordlist("""
# test list
@list test
@category profanity
@version 2026-11-25
@level medium
fan
jävla*
*jävel
fitta
idiot* | strong
hora
pippa
dra åt helvete
*skit* | strong
re:\\bk+u+k+\\b
""", origin="test.txt")


def hits(text: str, level: str = "strong", allow=()) -> list[tuple[str, str, str]]:
    norm = normalise(text)
    out = []
    for h in Matcher([LIST], level=level, allow=allow).find(norm):
        start, end = norm.span(h.start, h.end)
        out.append((h.entry.pattern, text[start:end], h.how))
    return sorted(out)


@pytest.mark.parametrize(("text", "expected"), [
    ("Fan vad dåligt", [("fan", "Fan", "exact")]),
    ("FAN!!!", [("fan", "FAN", "exact")]),
    ("Det fanns inget fantastiskt", []),
    ("Jävla kommun", [("jävla*", "Jävla", "exact")]),
    ("jävlaidiot", [("jävla*", "jävlaidiot", "exact")]),
    ("din kommunjävel", [("*jävel", "kommunjävel", "exact")]),
    ("JÄÄÄVLA skit", [("*skit*", "skit", "exact"), ("jävla*", "JÄÄÄVLA", "exact")]),
    ("j4vla", [("jävla*", "j4vla", "without diacritics")]),
    ("javla politiker", [("jävla*", "javla", "without diacritics")]),
    ("f a n", [("fan", "f a n", "exact")]),
    ("f.i.t.t.a", [("fitta", "f.i.t.t.a", "exact")]),
    ("fiiittttaaa", [("fitta", "fiiittttaaa", "repeated letters")]),
    ("𝐟𝐚𝐧 och ｆａｎ", [("fan", "ｆａｎ", "exact"), ("fan", "𝐟𝐚𝐧", "exact")]),
    ("🅵🅰🅽", [("fan", "🅵🅰🅽", "exact")]),
    ("fаn", [("fan", "fаn", "exact")]),  # Cyrillic а
    ("f*n", [("fan", "f*n", "masked")]),
    ("Jag vill höra mer", []),  # höra is not hora
    ("Pippi Långstrump", []),  # pippa must not hit Pippi
    ("Dra åt helvete", [("dra åt helvete", "Dra åt helvete", "exact")]),
    ("dra åt skogen", []),
    ("skitkommun", [("*skit*", "skitkommun", "exact")]),
    ("kuuuk", [("re:\\bk+u+k+\\b", "kuuuk", "regex")]),
    ("Kukkola ligger i Haparanda", []),
    ("idioten", [("idiot*", "idioten", "exact")]),
    ("", []),
])
def test_matches(text, expected):
    assert hits(text) == sorted(expected)


def test_level_medium_leaves_out_strong_entries():
    assert hits("idiot", level="medium") == []
    assert hits("idiot", level="strong") == [("idiot*", "idiot", "exact")]


def test_allow_list_wins():
    assert hits("skitbra", allow=["skitbra"]) == []
    assert hits("skitbra") == [("*skit*", "skitbra", "exact")]


def test_normalised_spans_point_into_the_original():
    text = "Hej 𝐉Ä𝐕𝐋𝐀 j-ä-v-l-a!"
    norm = normalise(text)
    assert norm.text == "hej jävla jävla!"
    assert text[slice(*norm.span(4, 9))] == "𝐉Ä𝐕𝐋𝐀"
    assert text[slice(*norm.span(10, 15))] == "j-ä-v-l-a"


def test_decomposed_letters_and_zalgo():
    assert normalise("ja\u0308vla").text == "jävla"
    assert normalise("f\u0336a\u0336n\u0336").text == "fan"


@pytest.mark.parametrize("text", ["070-123 45 67", "1 500 kr", "kl 10.00", "2026-11-25"])
def test_numbers_are_not_leetspeak(text):
    assert normalise(text).text == text.lower()


def test_list_format():
    kinds = {e.pattern: e.kind for e in LIST.entries}
    assert kinds["fan"] is EntryKind.word
    assert kinds["jävla*"] is EntryKind.prefix
    assert kinds["*jävel"] is EntryKind.suffix
    assert kinds["*skit*"] is EntryKind.infix
    assert kinds["re:\\bk+u+k+\\b"] is EntryKind.regex
    levels = {e.pattern: e.level for e in LIST.entries}
    assert levels["fan"] == "medium" and levels["idiot*"] == "strong"
    assert (LIST.id, LIST.category, LIST.version) == ("test", "profanity", "2026-11-25")


@pytest.mark.parametrize(("text", "message"), [
    ("@category profanity\n@version 2026-01-01\nfan", "missing @list"),
    ("@list x\n@category nope\n@version 2026-01-01\nfan", "unknown category"),
    ("@list x\n@category hate\n@version jan\nfan", "@version"),
    ("@list x\n@category hate\n@version 2026-01-01\nfa*n", ":4:"),
    ("@list x\n@category hate\n@version 2026-01-01\nfan | loud", "level"),
    ("@list x\n@category hate\n@version 2026-01-01\nre:(", "bad regular expression"),
    ("@list x\n@category hate\n@version 2026-01-01\nre:a*", "matches nothing"),
    ("@list x\n@category hate\n@version 2026-01-01\nfan\n@level strong", "before"),
    ("@list x\n@category hate\n@version 2026-01-01\n@colour red", "unknown directive"),
    ("@list x\n@category hate\n@version 2026-01-01\n**", "not a word"),
])
def test_bad_lists_are_refused_with_the_line(text, message):
    with pytest.raises(WordListError, match=message):
        parse_wordlist(text, origin="bad.txt")


def test_facebook_comma_list():
    wl = parse_facebook_list("Idiot, dumskalle,,  luser\nknäppgök", list_id="page-1",
                             category="defamation", version="2026-11-25")
    assert [e.pattern for e in wl.entries] == ["idiot", "dumskalle", "luser", "knäppgök"]
    m = Matcher([], level="medium", always=[wl])
    assert [h.entry.pattern for h in m.find(normalise("Din dumskalle"))] == ["dumskalle"]
    with pytest.raises(WordListError):
        parse_facebook_list("ok, <script>", list_id="p", category="hate", version="2026-11-25")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_spans_always_inside_the_text(text):
    norm = normalise(text)
    assert len(norm.text) == len(norm.starts) == len(norm.ends) == len(norm.emphasised)
    for h in Matcher([LIST], level="strong").find(norm):
        start, end = norm.span(h.start, h.end)
        assert 0 <= start < end <= len(text)


def test_regex_prefilter_finds_what_a_full_scan_finds():
    """Regexes run only where a literal they need appears; that must lose nothing."""

    lists = load_directory(Path(__file__).parents[1] / "wordlists")
    matcher = Matcher(lists, level="strong")
    texts = [
        "Jag ska döda dig", "vi kommer att hitta er", "Muslimer är parasiter",
        "Bränn ner kommunhuset!", "du borde skjutas", "tjäna 5000 kr om dagen",
        "skriv på whatsapp: +46 70 123 45 67", "kommunidioter och idiotsäker",
        "det finns en bomb i skolan", "100 % gratis", "han borde hängas",
        *[s for s in (Path(__file__).parent / "fixtures" / "rules" / "ordinary_sv.txt")
          .read_text(encoding="utf-8").splitlines() if s.strip()],
    ]
    regexes = [(re.compile(e.core), wl, e) for wl in lists for e in wl.entries
               if e.kind is EntryKind.regex]
    found_any = 0
    for text in texts:
        norm = normalise(text)
        fast = {(h.entry.pattern, h.start, h.end) for h in matcher.find(norm) if h.how == "regex"}
        full = {(e.pattern, m.start(), m.end()) for r, _, e in regexes
                for m in r.finditer(norm.text) if m.end() > m.start()}
        assert full <= fast, text
        found_any += bool(full)
    assert found_any >= 10


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="abcfnjvlitxåäöÅÄÖé AJFKX.,-_!?*@0134$|", max_size=60))
def test_fast_path_agrees_with_the_full_normalisation(text):
    from app.rules.textnorm import _is_plain, normalise_full

    full = normalise_full(text)
    if _is_plain(text):
        assert full.text == text.lower() == plain_view(text).low
        assert full.starts == tuple(range(len(text)))
        assert not any(full.emphasised)


SHIPPED = Matcher(load_directory(Path(__file__).parents[1] / "wordlists"), level="strong")


_PIECES = [*"fanjävlitdkusrhpe åäöÄFJ.-_!*@0134$|\n", "fan", "jävla", "idiot", "FAN",
           "jag ska döda dig", "du borde skjutas", "skjuta", "kuk", "f a n", "JÄÄÄVLA",
           "cp-unge", "100 % gratis", "bränn ner", "  "]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=20).map("".join))
def test_scan_agrees_with_the_full_normalisation(text):
    """The fast path (plain text read through the view) finds what the full
    normalisation finds, at the same places."""
    norm = normalise_full(text)
    full = sorted((h.entry.pattern, *norm.span(h.start, h.end), h.how)
                  for h in SHIPPED.find(norm))
    assert sorted((h.entry.pattern, h.start, h.end, h.how) for h in SHIPPED.scan(text)) == full


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(
    "abfnjvlitx åäöÅÄÖéAJFKX.,-_!?*@0134$|\n\t\u0308\u0336\u00a0\u200b𝐟𝐚ｆ🅵аé\u0301 "
)), max_size=40))
def test_normalisation_agrees_with_the_reference(text):
    from tests.rules_reference import reference_normalise

    assert normalise(text) == reference_normalise(text)
