"""Finding word-list entries in normalised text: one Aho-Corasick automaton for every
word, wildcard and phrase entry, one automaton of required literals in front of the
``re:`` entries.

Entries are keyed by their letters; a whole word must not be part of a longer word
(``pippa`` never hits ``Pippi``, ``fan`` never ``fantastisk``). The automaton enforces that
itself: it runs over a view of the text in which every character that is not a letter is a
space, padded with a space at each end, and a whole-word entry's key is `` fan `` (a
prefix entry's `` idiot``, a suffix entry's ``jävel ``). So the automaton reports only
hits that stand where they should, and the text is read once, in C, whatever the size of
the lists. Two kinds of extra key let evasions through: a form without diacritics
(``javla`` for ``jävla``, as typed on a phone or in leetspeak) and a form with doubled
letters made single (``fita`` for ``fitta``), the latter accepted only where the text
repeated letters for emphasis (``fiiitttaaa``). Entries with characters other than letters
and inner punctuation (``18+``) are few; they have a small automaton of their own that
checks word boundaries hit by hit.
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

from app.rules.textnorm import (
    MASK,
    NOT_PLAIN_KEYS,
    Normalised,
    normalise_full,
    plain_view,
    squeeze_word,
)
from app.rules.wordlists import Entry, EntryKind, WordList

_ASCII_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})
_MASKED_WORD = re.compile(r"[^\W\d_]+\*+[^\W\d_*]*(?:\*+[^\W\d_*]*)*")
_INNER_PUNCTUATION = frozenset("-'’.")


@dataclass(frozen=True)
class Hit:
    wordlist: WordList
    entry: Entry
    start: int  # in the text searched (see Matcher.find and Matcher.scan)
    end: int
    how: str  # "exact", "without diacritics", "repeated letters", "masked", "regex"


@dataclass(frozen=True)
class _Key:
    wordlist: WordList
    entry: Entry
    how: str


def _is_letter(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isalpha()


_LATIN1_LETTERS = bytes(i if chr(i).isalpha() else 0x20 for i in range(256))


def _view(text: str) -> str:
    """The text with every character that is not a letter made a space, padded."""
    try:
        return f" {text.encode('latin-1').translate(_LATIN1_LETTERS).decode('latin-1')} "
    except UnicodeEncodeError:
        return "".join([" ", *(c if c.isalpha() else " " for c in text), " "])


def _in_view(form: str) -> str | None:
    """The key letters of an entry form as the view shows them, or None when the view
    cannot show them (digits, symbols)."""
    if not form or not form[0].isalpha() or not form[-1].isalpha():
        return None
    if any(not c.isalpha() and c != " " and c not in _INNER_PUNCTUATION for c in form):
        return None
    return "".join(c if c.isalpha() else " " for c in form)


def _boundary_key(letters: str, kind: EntryKind) -> str:
    left = kind not in (EntryKind.suffix, EntryKind.infix)
    right = kind not in (EntryKind.prefix, EntryKind.infix)
    return f"{' ' if left else ''}{letters}{' ' if right else ''}"


class _Slot:
    """What one key of the main automaton stands for."""

    def __init__(self) -> None:
        self.keys: list[_Key] = []  # word-list entries
        self.triggers: list[int] = []  # regular expressions this literal lets run
        self.shape = False  # a shape plain text must not have


class Matcher:
    def __init__(self, lists: Iterable[WordList], *, level: str,
                 always: Iterable[WordList] = (), allow: Iterable[str] = ()) -> None:
        slots: dict[str, _Slot] = defaultdict(_Slot)  # view key -> what it stands for
        # Forms with doubled letters made single count only where the text repeated
        # letters, which plain text never does: they have an automaton of their own.
        squeezed: dict[str, list[_Key]] = defaultdict(list)
        odd: dict[str, list[_Key]] = defaultdict(list)  # entry form -> entries
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
                for form, how in _forms(entry.core):
                    letters = _in_view(form)
                    if letters is None:
                        odd[form].append(_Key(wl, entry, how))
                    elif how == "repeated letters":
                        squeezed[_boundary_key(letters, entry.kind)].append(_Key(wl, entry, how))
                    else:
                        slots[_boundary_key(letters, entry.kind)].keys.append(
                            _Key(wl, entry, how))
                if entry.kind is EntryKind.word and " " not in entry.core:
                    self._exact_by_length[len(entry.core)].append((entry.core, wl, entry))
        for key in NOT_PLAIN_KEYS:
            slots[key].shape = True
        # A regular expression runs only when a literal it needs is in the text, found in
        # the same pass as the words (a literal of letters) or by a small automaton of
        # its own (other literals), instead of trying every pattern at every position.
        self._regexes = regexes
        self._always: list[int] = []
        self._anchored: set[int] = set()  # matches start where a trigger starts
        other_triggers: dict[str, list[int]] = defaultdict(list)
        for index, (pattern, _, _) in enumerate(regexes):
            required = required_literals(pattern.pattern)
            if not required:
                self._always.append(index)
                continue
            literals, is_prefix = required
            if is_prefix:
                self._anchored.add(index)
            for literal in literals:
                if literal.isalpha():
                    slots[literal].triggers.append(index)
                else:
                    other_triggers[literal].append(index)
        self._automaton = ahocorasick.Automaton()
        for key, slot in slots.items():
            lead, trail = key.startswith(" "), key.endswith(" ")
            # (characters back from the key's last to the entry's or literal's first,
            # a trailing space, entries, regexes, shape)
            self._automaton.add_word(key, (len(key) - lead, int(trail), tuple(slot.keys),
                                           tuple(slot.triggers), slot.shape))
        self._automaton.make_automaton()
        self._squeezed = _automaton({
            key: (len(key) - key.startswith(" "), int(key.endswith(" ")), tuple(v))
            for key, v in squeezed.items()})
        self._odd = _automaton({form: (len(form), tuple(v)) for form, v in odd.items()})
        self._other_triggers = _automaton(
            {lit: (len(lit), tuple(v)) for lit, v in other_triggers.items()})
        self._allow = frozenset(w.lower() for w in allow)

    def scan(self, original: str) -> list[Hit]:
        """Every hit in ``original``, with spans in the original text."""
        plain = plain_view(original)
        if plain is not None:
            found = self._scan_view(plain.view, plain=True)
            if found is not None:
                return self._finish(plain.low, *found, masked=False)
        norm = normalise_full(original)
        return [Hit(h.wordlist, h.entry, *norm.span(h.start, h.end), h.how)
                for h in self.find(norm)]

    def find(self, norm: Normalised) -> list[Hit]:
        """Every hit in normalised text, with spans in ``norm.text``."""
        view = _view(norm.text)
        found = self._scan_view(view, plain=False)
        assert found is not None
        hits, triggered = found
        if self._squeezed is not None and any(norm.emphasised):
            for last, (back, trail, keys) in self._squeezed.iter(view):
                start, end = last - back, last - trail
                if any(norm.emphasised[start:end]):
                    hits.extend(Hit(k.wordlist, k.entry, start, end, k.how) for k in keys)
        return self._finish(norm.text, hits, triggered, masked=MASK in norm.text)

    def _scan_view(self, view: str, *, plain: bool
                   ) -> tuple[list[Hit], list[tuple[int, int]]] | None:
        """Hits of the word keys, and the regexes triggered with where; None if the text
        is read as ``plain`` and the view shows a shape plain text must not have."""
        hits: list[Hit] = []
        triggered: list[tuple[int, int]] = []
        for last, (back, trail, keys, triggers, shape) in self._automaton.iter(view):
            if shape and plain:
                return None
            # The view is padded by one character: these are offsets in the text.
            start, end = last - back, last - trail
            for key in keys:
                hits.append(Hit(key.wordlist, key.entry, start, end, key.how))
            for index in triggers:
                triggered.append((index, start))
        return hits, triggered

    def _finish(self, text: str, hits: list[Hit], triggered: list[tuple[int, int]], *,
                masked: bool) -> list[Hit]:
        if hits:
            hits = [_whole_words(text, h) for h in hits]
        if self._odd is not None:
            hits.extend(self._odd_hits(text))
        if self._regexes:
            if self._other_triggers is not None:
                triggered += ((index, last - length + 1)
                              for last, (length, indexes) in self._other_triggers.iter(text)
                              for index in indexes)
            if triggered or self._always:
                hits.extend(self._regex_hits(text, triggered))
        if masked and self._exact_by_length:
            hits.extend(self._masked_hits(text))
        if self._allow and hits:
            hits = [h for h in hits if _word_at(text, h.start, h.end) not in self._allow]
        return hits

    def _odd_hits(self, text: str) -> Iterable[Hit]:
        assert self._odd is not None
        for last, (length, keys) in self._odd.iter(text):
            start, end = last - length + 1, last + 1
            for key in keys:
                kind = key.entry.kind
                if kind not in (EntryKind.suffix, EntryKind.infix) and _is_letter(text, start - 1):
                    continue
                if kind not in (EntryKind.prefix, EntryKind.infix) and _is_letter(text, end):
                    continue
                yield _whole_words(text, Hit(key.wordlist, key.entry, start, end, key.how))

    def _regex_hits(self, text: str, triggered: list[tuple[int, int]]) -> Iterable[Hit]:
        anywhere = set(self._always)
        at: dict[int, set[int]] = defaultdict(set)  # regex -> positions to try
        for index, pos in triggered:
            if index in self._anchored:
                at[index].add(pos)
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


def _automaton(words: dict[str, Any]) -> ahocorasick.Automaton | None:
    if not words:
        return None
    automaton = ahocorasick.Automaton()
    for word, value in words.items():
        automaton.add_word(word, value)
    automaton.make_automaton()
    return automaton


def _forms(core: str) -> list[tuple[str, str]]:
    """An entry's letters, and the forms evasions turn them into."""
    forms = [(core, "exact")]
    folded = core.translate(_ASCII_FOLD)
    if folded != core:
        forms.append((folded, "without diacritics"))
    squeezed = squeeze_word(core)
    if squeezed != core:
        forms.append((squeezed, "repeated letters"))
    return forms


def _whole_words(text: str, hit: Hit) -> Hit:
    """Report whole words: "idioten" for idiot*, "kommunjävel" for *jävel."""
    kind, start, end = hit.entry.kind, hit.start, hit.end
    if kind in (EntryKind.prefix, EntryKind.infix):
        while _is_letter(text, end):
            end += 1
    if kind in (EntryKind.suffix, EntryKind.infix):
        while _is_letter(text, start - 1):
            start -= 1
    if (start, end) == (hit.start, hit.end):
        return hit
    return Hit(hit.wordlist, hit.entry, start, end, hit.how)


def _word_at(text: str, start: int, end: int) -> str:
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    while end < len(text) and text[end].isalpha():
        end += 1
    return text[start:end]


def required_literals(pattern: str) -> tuple[list[str], bool] | None:
    """Strings of which every match of ``pattern`` contains at least one, and whether a
    match always starts with one of them; None when the pattern's top level does not tell.

    Of the sets a pattern offers (``jag|vi``, ``ska|kommer``, ``döda|mörda`` in a threat),
    the one least likely in ordinary text is taken (see ``_best``), so that the pattern
    runs seldom."""
    try:
        parsed = _parser.parse(pattern)
    except re.error:
        return None
    return _best(_candidates(list(parsed), prefix=True))


_ZERO_WIDTH = (_c.AT, _c.ASSERT, _c.ASSERT_NOT)
Literals = tuple[list[str], bool]
# Words in most Swedish sentences, and on most municipal pages: a pattern triggered by
# them would run on most comments.
_COMMON = frozenset("""
    alla att av bli blir bara borde bör de dem den det din dina ditt dom du efter en er era
    ett finns för har hade han hon här i inte jag kan kommer ligger man med men måste ni
    nu och om på sin ska skulle som så till under upp ut vad var vara vi är över
    kommunen skolan förskolan politiker politikerna polisen
""".split())


def _best(candidates: list[Literals]) -> Literals | None:
    """Rare words first; then literals a match starts with (the pattern is tried there
    only, not over the whole text); then the longest shortest literal, the fewest."""
    if not candidates:
        return None
    return max(candidates, key=lambda c: (not any(lit in _COMMON for lit in c[0]), c[1],
                                          min(map(len, c[0])), -len(c[0])))


def _candidates(items: list[tuple[Any, Any]], *, prefix: bool) -> list[Literals]:
    """Every set of literals one of the sequence's required parts needs."""
    found: list[Literals] = []
    run: list[str] = []
    run_prefix = prefix
    for op, av in [*items, (None, None)]:
        if op is _c.LITERAL:
            if not run:
                run_prefix = prefix
            run.append(chr(av))
            continue
        if len(run) >= 2:
            found.append((["".join(run)], run_prefix))
        if run:
            prefix, run = False, []
        inner: Literals | None = None
        if op is _c.SUBPATTERN:
            inner = _best(_candidates(list(av[-1]), prefix=prefix))
        elif op is _c.BRANCH:
            branches = [_best(_candidates(list(b), prefix=prefix)) for b in av[1]]
            if all(b is not None for b in branches):
                inner = ([lit for b in branches for lit in b[0]],  # type: ignore[index]
                         all(b[1] for b in branches))  # type: ignore[index]
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            inner = _best(_candidates(list(av[2]), prefix=prefix))
        if inner:
            found.append(inner)
        if op is not None and op not in _ZERO_WIDTH:
            prefix = False
    return found
