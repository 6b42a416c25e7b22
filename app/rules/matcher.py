"""Finding word-list entries in normalised text: one Aho-Corasick automaton for every
word, wildcard and phrase entry, one combined regular expression for the ``re:`` entries.

Entries are keyed by their letters; each hit is checked against the entry's word
boundaries (a whole word must not be part of a longer word: ``pippa`` never hits ``Pippi``,
``fan`` never ``fantastisk``). Two kinds of extra key let evasions through the automaton:
a form without diacritics (``javla`` for ``jävla``, as typed on a phone or in leetspeak)
and a form with doubled letters made single (``fita`` for ``fitta``), the latter accepted
only where the text repeated letters for emphasis (``fiiitttaaa``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from app.rules.textnorm import MASK, Normalised, squeeze_word
from app.rules.wordlists import Entry, EntryKind, WordList

_ASCII_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})
_MASKED_WORD = re.compile(r"[^\W\d_]+\*+[^\W\d_*]*(?:\*+[^\W\d_*]*)*")


@dataclass(frozen=True)
class Hit:
    wordlist: WordList
    entry: Entry
    start: int  # in the normalised text
    end: int
    how: str  # "exact", "without diacritics", "repeated letters", "masked", "regex"


@dataclass(frozen=True)
class _Key:
    wordlist: WordList
    entry: Entry
    how: str


def _is_letter(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isalpha()


class Matcher:
    def __init__(self, lists: Iterable[WordList], *, level: str,
                 always: Iterable[WordList] = (), allow: Iterable[str] = ()) -> None:
        self._automaton = ahocorasick.Automaton()
        keys: dict[str, list[_Key]] = defaultdict(list)
        regexes: list[tuple[re.Pattern[str], WordList, Entry]] = []
        self._exact_by_length: dict[int, list[tuple[str, WordList, Entry]]] = defaultdict(list)
        graded = [(wl, True) for wl in lists] + [(wl, False) for wl in always]
        for wl, by_level in graded:
            for entry in wl.entries:
                if by_level and level == "medium" and entry.level != "medium":
                    continue
                if entry.kind is EntryKind.regex:
                    regexes.append((re.compile(entry.core), wl, entry))
                    continue
                keys[entry.core].append(_Key(wl, entry, "exact"))
                folded = entry.core.translate(_ASCII_FOLD)
                if folded != entry.core:
                    keys[folded].append(_Key(wl, entry, "without diacritics"))
                squeezed = squeeze_word(entry.core)
                if squeezed != entry.core:
                    keys[squeezed].append(_Key(wl, entry, "repeated letters"))
                if entry.kind is EntryKind.word and " " not in entry.core:
                    self._exact_by_length[len(entry.core)].append((entry.core, wl, entry))
        for key, values in keys.items():
            self._automaton.add_word(key, (len(key), tuple(values)))
        self._empty = not keys
        if not self._empty:
            self._automaton.make_automaton()
        self._regexes = regexes
        self._combined = (re.compile("|".join(f"(?:{r.pattern})" for r, _, _ in regexes))
                          if regexes else None)
        self._allow = frozenset(w.lower() for w in allow)

    def find(self, norm: Normalised) -> list[Hit]:
        text = norm.text
        hits: list[Hit] = []
        if not self._empty:
            for end_index, (length, keys) in self._automaton.iter(text):
                start, end = end_index - length + 1, end_index + 1
                for key in keys:
                    hit = self._accept(norm, key, start, end)
                    if hit is not None:
                        hits.append(hit)
        if self._combined is not None:
            hits.extend(self._regex_hits(text))
        if MASK in text and self._exact_by_length:
            hits.extend(self._masked_hits(text))
        if self._allow:
            hits = [h for h in hits if _word_at(text, h.start, h.end) not in self._allow]
        return hits

    def _accept(self, norm: Normalised, key: _Key, start: int, end: int) -> Hit | None:
        text, kind = norm.text, key.entry.kind
        left_open = kind in (EntryKind.suffix, EntryKind.infix)
        right_open = kind in (EntryKind.prefix, EntryKind.infix)
        if not left_open and _is_letter(text, start - 1):
            return None
        if not right_open and _is_letter(text, end):
            return None
        if key.how == "repeated letters" and not any(norm.emphasised[start:end]):
            return None
        # Report whole words: "idioten" for idiot*, "kommunjävel" for *jävel.
        while right_open and _is_letter(text, end):
            end += 1
        while left_open and _is_letter(text, start - 1):
            start -= 1
        return Hit(key.wordlist, key.entry, start, end, key.how)

    def _regex_hits(self, text: str) -> Iterable[Hit]:
        assert self._combined is not None
        for m in self._combined.finditer(text):
            if m.end() == m.start():
                continue
            for pattern, wl, entry in self._regexes:
                if pattern.fullmatch(m.group(0)) or pattern.match(text, m.start()):
                    yield Hit(wl, entry, m.start(), m.end(), "regex")
                    break

    def _masked_hits(self, text: str) -> Iterable[Hit]:
        """f*n, f**k: each * stands for one letter of a whole-word entry."""
        for m in _MASKED_WORD.finditer(text):
            if _is_letter(text, m.start() - 1) or _is_letter(text, m.end()):
                continue
            word = m.group(0)
            shape = re.compile("".join("[^\\W\\d_]" if c == MASK else re.escape(c)
                                       for c in word))
            for core, wl, entry in self._exact_by_length.get(len(word), ()):
                if shape.fullmatch(core):
                    yield Hit(wl, entry, m.start(), m.end(), "masked")
                    break


def _word_at(text: str, start: int, end: int) -> str:
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    while end < len(text) and text[end].isalpha():
        end += 1
    return text[start:end]
