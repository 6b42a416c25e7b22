"""What a word list's regular expression needs before it may match (app/rules/literals.py):
the matcher runs a pattern only where these are, so they must never be too strict."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.literals import requirements


def needles(pattern: str) -> tuple[list[str], bool, list[list[str]]]:
    r = requirements(pattern)
    assert r is not None
    return ([lit.needle for lit in r.trigger.alternatives], r.trigger.prefix,
            [[lit.needle for lit in p.alternatives] for p in r.others])


@pytest.mark.parametrize(("pattern", "trigger", "prefix", "others"), [
    # The rare verb triggers, not "jag"/"vi"; each is a whole word in every match.
    (r"\b(?:jag|vi)\s+(?:ska|kommer)\s+(?:att\s+)?(?:döda|mörda)\s+dig\b",
     [" döda ", " mörda "], False, [[" jag ", " vi "], [" ska ", " kommer "], [" dig "]]),
    # Followed by a suffix: only the left edge is known.
    (r"\b(?:du|ni)\s+borde\s+(?:skjut|häng)(?:as|ad)\b", [" skjut", " häng"], False,
     [[" du ", " ni "], [" borde "]]),
    # Starts every match.
    (r"\bbränn\s+ner\b", [" bränn "], True, [[" ner "]]),
    # Inside a word: no edges at all.
    (r"\b\w*idiot(?!säk)\w*", ["idiot"], False, []),
    # Letters found in the same pass as the words beat digits that start the match.
    (r"\b100\s?%\s+gratis\b", [" gratis "], False, [[" 100"]]),
    # A part that nearly every text has is not worth checking.
    (r"\binvesterade\s+och\s+fick\b", [" investerade "], True, [[" fick "]]),
])
def test_requirements(pattern, trigger, prefix, others):
    assert needles(pattern) == (trigger, prefix, others)


@pytest.mark.parametrize("pattern", [r"\d+", r"a|bc", r"(?:x)?y", r"[abc]{3}", r"(", ""])
def test_patterns_without_required_literals_say_so(pattern):
    assert requirements(pattern) is None


_WORDS = ["jag", "vi", "ska", "döda", "dig", "skjut", "as", "borde", "du", "idiot", "säker",
          "100", "%", "gratis", " ", "  ", ",", "x", "a"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=12).map("".join))
def test_every_match_holds_what_the_requirements_say(text):
    """A view of the text as the matcher sees it (letters kept, the rest spaces, padded)
    holds a needle of every part wherever a pattern matches."""
    view = " " + "".join(c if c.isalpha() else " " for c in text) + " "
    for pattern in (r"\b(?:jag|vi)\s+ska\s+(?:att\s+)?döda\s+dig\b",
                    r"\b(?:du|vi)\s+borde\s+skjut(?:as|ad)\b", r"\b\w*idiot(?!säker)\w*",
                    r"\b100\s?%\s+gratis\b"):
        r = requirements(pattern)
        assert r is not None
        for m in re.finditer(pattern, text):
            for part in (r.trigger, *r.others):
                assert any(lit.needle in view if lit.text.isalpha() else lit.text in text
                           for lit in part.alternatives), (pattern, text, part)
