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

import gc
import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property
from typing import Any, NamedTuple

import ahocorasick

from app.rules.literals import requirements
from app.rules.textnorm import (
    MASK,
    leet,
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


class Hit(NamedTuple):
    wordlist: WordList
    entry: Entry
    start: int  # in the text searched (see Matcher.find and Matcher.scan)
    end: int
    how: str  # "exact", "without diacritics", "repeated letters", "masked", "regex"


class _Key(NamedTuple):
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
    if form.isalpha():
        return form  # nearly every entry: one word of letters
    if not form or not form[0].isalpha() or not form[-1].isalpha():
        return None
    if any(not c.isalpha() and c != " " and c not in _INNER_PUNCTUATION for c in form):
        return None
    return "".join(c if c.isalpha() else " " for c in form)


def _boundary_key(letters: str, kind: EntryKind) -> str:
    left = kind not in (EntryKind.suffix, EntryKind.infix)
    right = kind not in (EntryKind.prefix, EntryKind.infix)
    return f"{' ' if left else ''}{letters}{' ' if right else ''}"


_Found = tuple[list[Hit], list[tuple[int, int]], list[int]]


class Matcher:
    def __init__(self, lists: Iterable[WordList], *, level: str,
                 always: Iterable[WordList] = (), allow: Iterable[str] = ()) -> None:
        # Hundreds of thousands of small objects and not one cycle among them: the
        # cyclic garbage collector would only walk the growing heap again and again.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._build(lists, level=level, always=always, allow=allow)
        finally:
            if collecting:
                gc.enable()

    def _build(self, lists: Iterable[WordList], *, level: str, always: Iterable[WordList],
               allow: Iterable[str]) -> None:
        # The main automaton's keys (view keys) stand for word-list entries, literals
        # that let a regex run (triggers), literals of a part a regex needs (parts), and
        # shapes plain text must not have.
        entries: dict[str, list[_Key]] = defaultdict(list)
        triggers: dict[str, list[int]] = defaultdict(list)
        parts: dict[str, list[int]] = defaultdict(list)
        # Forms with doubled letters made single count only where the text repeated
        # letters, which plain text never does: they have an automaton of their own.
        squeezed: dict[str, list[_Key]] = defaultdict(list)
        odd: dict[str, list[_Key]] = defaultdict(list)  # entry form -> entries
        regexes: list[tuple[re.Pattern[str], WordList, Entry]] = []
        self._words: list[tuple[WordList, Entry]] = []  # whole-word entries, for masks
        graded = [(wl, True) for wl in lists] + [(wl, False) for wl in always]
        word, regex = EntryKind.word, EntryKind.regex
        for wl, by_level in graded:
            only_medium = by_level and level == "medium"
            for entry in wl.entries:
                kind, core = entry.kind, entry.core
                if only_medium and entry.level != "medium":
                    continue
                if kind is regex:
                    regexes.append((re.compile(core), wl, entry))
                    continue
                if kind is word and core.isalpha():
                    # Nearly every entry: one word of letters, no view to work out.
                    entries[f" {core} "].append(_Key(wl, entry, "exact"))
                    self._words.append((wl, entry))
                    forms = _forms(core)[1:]
                else:
                    forms = _forms(core)
                for form, how in forms:
                    letters = _in_view(form)
                    if letters is None:
                        odd[form].append(_Key(wl, entry, how))
                    elif how == "repeated letters":
                        squeezed[_boundary_key(letters, kind)].append(_Key(wl, entry, how))
                    else:
                        entries[_boundary_key(letters, kind)].append(_Key(wl, entry, how))
                if kind is word and " " not in core and not core.isalpha():
                    self._words.append((wl, entry))
        # A regular expression runs only when a literal it needs is in the text, found in
        # the same pass as the words (a literal of letters) or by a small automaton of
        # its own (other literals), and only if the other literals it needs are there
        # too: not every pattern tried at every position.
        self._regexes = regexes
        self._always: list[int] = []
        self._anchored: set[int] = set()  # matches start where a trigger starts
        # regex -> its other parts, each as (its number, the literals not in the view)
        self._confirm: dict[int, tuple[tuple[int, tuple[str, ...]], ...]] = {}
        part_count = 0
        other_triggers: dict[str, list[int]] = defaultdict(list)
        for index, (pattern, _, _) in enumerate(regexes):
            required = requirements(pattern.pattern)
            if required is None:
                self._always.append(index)
                continue
            if required.trigger.prefix:
                self._anchored.add(index)
            for lit in required.trigger.alternatives:
                if _in_view(lit.text) == lit.text:
                    triggers[lit.needle].append(index)
                else:
                    other_triggers[lit.text].append(index)
            confirm = []
            for part in required.others:
                in_text = []
                for lit in part.alternatives:
                    if _in_view(lit.text) == lit.text:
                        parts[lit.needle].append(part_count)
                    else:
                        in_text.append(lit.text)
                confirm.append((part_count, tuple(in_text)))
                part_count += 1
            self._confirm[index] = tuple(confirm)
        shapes = set(NOT_PLAIN_KEYS)
        self._automaton = ahocorasick.Automaton()
        add = self._automaton.add_word
        for key in entries.keys() | triggers.keys() | parts.keys() | shapes:
            lead, trail = key[0] == " ", key[-1] == " "
            # (characters back from the key's last to the entry's or literal's first,
            # a trailing space, entries, regexes, parts of regexes, shape)
            add(key, (len(key) - lead, trail, tuple(entries.get(key, ())),
                      tuple(triggers.get(key, ())), tuple(parts.get(key, ())), key in shapes))
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
                return self._finish(plain.low, found, masked=False)
        norm = normalise_full(original)
        return [Hit(h.wordlist, h.entry, *norm.span(h.start, h.end), h.how)
                for h in self.find(norm)]

    def find(self, norm: Normalised) -> list[Hit]:
        """Every hit in normalised text, with spans in ``norm.text``."""
        view = _view(norm.text)
        found = self._scan_view(view, plain=False)
        assert found is not None
        hits = found[0]
        if self._squeezed is not None and any(norm.emphasised):
            for last, (back, trail, keys) in self._squeezed.iter(view):
                start, end = last - back, last - trail
                if any(norm.emphasised[start:end]):
                    hits.extend(Hit(k.wordlist, k.entry, start, end, k.how) for k in keys)
        return self._finish(norm.text, found, masked=MASK in norm.text)

    def _scan_view(self, view: str, *, plain: bool) -> _Found | None:
        """Hits of the word keys, the regexes triggered with where, and the parts of
        regexes seen; None if the text is read as ``plain`` and the view shows a shape
        plain text must not have."""
        hits: list[Hit] = []
        triggered: list[tuple[int, int]] = []
        parts: list[int] = []
        for last, (back, trail, keys, triggers, seen, shape) in self._automaton.iter(view):
            if shape and plain:
                return None
            # The view is padded by one character: these are offsets in the text.
            start, end = last - back, last - trail
            for key in keys:
                hits.append(Hit(key.wordlist, key.entry, start, end, key.how))
            for index in triggers:
                triggered.append((index, start))
            parts += seen
        return hits, triggered, parts

    def _finish(self, text: str, found: _Found, *, masked: bool) -> list[Hit]:
        hits, triggered, parts = found
        for i, hit in enumerate(hits):
            if hit.entry.kind is not EntryKind.word:
                hits[i] = _whole_words(text, hit)
        if self._odd is not None:
            hits.extend(self._odd_hits(text))
        if self._regexes:
            if self._other_triggers is not None:
                triggered += ((index, last - length + 1)
                              for last, (length, indexes) in self._other_triggers.iter(text)
                              for index in indexes)
            if triggered or self._always:
                hits.extend(self._regex_hits(text, triggered, parts))
        if masked and self._words:
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

    def _regex_hits(self, text: str, triggered: list[tuple[int, int]],
                    parts: list[int]) -> list[Hit]:
        hits: list[Hit] = []
        checked: dict[int, bool] = {}
        seen = set(parts)
        anywhere = set(self._always)  # regexes to run over the whole text
        tried: set[tuple[int, int]] = set()  # (anchored regex, where)
        for index, pos in triggered:
            ok = checked.get(index)
            if ok is None:  # every other part the regex needs is in the text
                ok = checked[index] = all(
                    number in seen or any(map(text.__contains__, in_text))
                    for number, in_text in self._confirm[index])
            if not ok or index in anywhere:
                continue
            if index not in self._anchored:
                anywhere.add(index)
            elif (index, pos) not in tried:  # a match can only start here
                tried.add((index, pos))
                pattern, wl, entry = self._regexes[index]
                m = pattern.match(text, pos)
                if m is not None and m.end() > m.start():
                    hits.append(Hit(wl, entry, m.start(), m.end(), "regex"))
        for index in sorted(anywhere):
            pattern, wl, entry = self._regexes[index]
            hits += (Hit(wl, entry, m.start(), m.end(), "regex")
                     for m in pattern.finditer(text) if m.end() > m.start())
        return hits

    @cached_property
    def _words_by_length(self) -> dict[int, list[tuple[WordList, Entry]]]:
        by_length: dict[int, list[tuple[WordList, Entry]]] = defaultdict(list)
        for wl, entry in self._words:
            by_length[len(entry.core)].append((wl, entry))
        return by_length

    def _masked_hits(self, text: str) -> Iterable[Hit]:
        """f*n, f**k: each * stands for one letter of a whole-word entry."""
        for m in _MASKED_WORD.finditer(text):
            if _is_letter(text, m.start() - 1) or _is_letter(text, m.end()):
                continue
            word = m.group(0)
            shape = re.compile("".join("[^\\W\\d_]" if c == MASK else re.escape(c)
                                       for c in word))
            for wl, entry in self._words_by_length.get(len(word), ()):
                if shape.fullmatch(entry.core):
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
    """An entry's letters, and the forms evasions turn them into. An entry with digits
    among its letters (covid19) is read as the text will be: leetspeak (covidi9)."""
    forms = [(core, "exact")]
    read = leet(core)
    if read != core:
        forms.append((read, "exact"))
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
