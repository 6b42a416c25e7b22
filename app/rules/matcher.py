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
from typing import Any

try:  # the regex parser moved in Python 3.11; the old names warn
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

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


def _needs(kind: EntryKind) -> tuple[bool, bool]:
    """Whether an entry of this kind needs a word boundary on its left and on its right."""
    return (kind not in (EntryKind.suffix, EntryKind.infix),
            kind not in (EntryKind.prefix, EntryKind.infix))


_NEEDS = {kind: _needs(kind) for kind in EntryKind}


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
            # Keys grouped by the boundaries they need, so that most hits inside longer
            # words are turned away by two character tests.
            by_needs: dict[tuple[bool, bool], list[_Key]] = {}
            for v in values:
                by_needs.setdefault(_NEEDS[v.entry.kind], []).append(v)
            self._automaton.add_word(key, (len(key), tuple(
                (left, right, tuple(group)) for (left, right), group in by_needs.items())))
        self._empty = not keys
        if not self._empty:
            self._automaton.make_automaton()
        # A regular expression runs only when a literal it needs is in the text: one
        # automaton pass finds which, instead of trying every pattern at every position.
        self._regexes = regexes
        self._always: list[int] = []
        self._triggers = ahocorasick.Automaton()
        self._anchored: set[int] = set()  # matches start where a trigger starts
        for index, (pattern, _, _) in enumerate(regexes):
            required = required_literals(pattern.pattern)
            if not required:
                self._always.append(index)
                continue
            literals, is_prefix = required
            if is_prefix:
                self._anchored.add(index)
            for literal in literals:
                found = self._triggers.get(literal, ())
                self._triggers.add_word(literal, (*found, (index, len(literal))))
        self._has_triggers = len(self._triggers) > 0
        if self._has_triggers:
            self._triggers.make_automaton()
        self._allow = frozenset(w.lower() for w in allow)

    def find(self, norm: Normalised) -> list[Hit]:
        text = norm.text
        hits: list[Hit] = []
        if not self._empty:
            last = len(text) - 1
            for end_index, (length, groups) in self._automaton.iter(text):
                start = end_index - length + 1
                left_free = start == 0 or not text[start - 1].isalpha()
                right_free = end_index == last or not text[end_index + 1].isalpha()
                for needs_left, needs_right, keys in groups:
                    if (needs_left and not left_free) or (needs_right and not right_free):
                        continue
                    for key in keys:
                        hit = self._accept(norm, key, start, end_index + 1)
                        if hit is not None:
                            hits.append(hit)
        if self._regexes:
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
        anywhere = set(self._always)
        at: dict[int, set[int]] = defaultdict(set)  # regex -> positions to try
        if self._has_triggers:
            for end, triggered in self._triggers.iter(text):
                for index, length in triggered:
                    if index in self._anchored:
                        at[index].add(end - length + 1)
                    else:
                        anywhere.add(index)
        for index in sorted(anywhere):
            pattern, wl, entry = self._regexes[index]
            for m in pattern.finditer(text):
                if m.end() > m.start():
                    yield Hit(wl, entry, m.start(), m.end(), "regex")
        for index, positions in sorted(at.items()):
            if index in anywhere:
                continue
            pattern, wl, entry = self._regexes[index]
            for pos in sorted(positions):
                m = pattern.match(text, pos)
                if m is not None and m.end() > m.start():
                    yield Hit(wl, entry, m.start(), m.end(), "regex")

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


def required_literals(pattern: str) -> tuple[list[str], bool] | None:
    """Strings of which every match of ``pattern`` contains at least one, and whether a
    match always starts with one of them; None when the pattern's top level does not tell."""
    try:
        parsed = _parser.parse(pattern)
    except re.error:
        return None
    return _sequence_literals(list(parsed), prefix=True)


_ZERO_WIDTH = (_c.AT, _c.ASSERT, _c.ASSERT_NOT)


def _sequence_literals(items: list[tuple[Any, Any]], *,
                       prefix: bool) -> tuple[list[str], bool] | None:
    run: list[str] = []
    for op, av in items + [(None, None)]:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if len(run) >= 2:
            return ["".join(run)], prefix
        if run:
            prefix, run = False, []
        found: tuple[list[str], bool] | None = None
        if op is _c.SUBPATTERN:
            found = _sequence_literals(list(av[-1]), prefix=prefix)
        elif op is _c.BRANCH:
            branches = [_sequence_literals(list(b), prefix=prefix) for b in av[1]]
            if all(b is not None for b in branches):
                found = ([lit for b in branches for lit in b[0]],  # type: ignore[index]
                         all(b[1] for b in branches))  # type: ignore[index]
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            found = _sequence_literals(list(av[2]), prefix=prefix)
        if found:
            return found
        if op is not None and op not in _ZERO_WIDTH:
            prefix = False
    return None
