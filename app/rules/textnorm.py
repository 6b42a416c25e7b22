"""Text normalisation for matching, with a map back to the original text.

Spammers and angry commenters dodge word filters with fancy Unicode letters (𝐟𝐚𝐧, ｆａｎ,
🅵🅰🅽), look-alike letters from other scripts, leetspeak (j4vla), repeated letters
(JÄÄÄVLA), letters split by spaces, dots or dashes (f a n, f.i.t.t.a) and masks (f*n). The
normalised text undoes these while keeping å, ä and ö distinct from a and o ("höra" is
not "hora"). Every normalised character remembers the span of the original it came from,
so that matches are reported, and highlighted, in the text as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

# Look-alikes from Cyrillic and Greek that NFKC leaves alone.
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s", "к": "k", "м": "m", "т": "t", "н": "h", "в": "b",
    "α": "a", "ο": "o", "ρ": "p", "ε": "e", "κ": "k", "ν": "v", "τ": "t", "ι": "i",
})
# Enclosed and squared Latin letters NFKC does not fold: (first code point, count).
_ENCLOSED = ((0x1F130, 26), (0x1F150, 26), (0x1F170, 26), (0x1F1E6, 26))
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s",
         "€": "e", "!": "i", "|": "l"}
MASK = "*"
_SEPARATED = re.compile(
    r"(?<![^\W\d_])([^\W\d_])(?:([ .\-_·•])[^\W\d_]){2,}(?![^\W\d_])"
)


@dataclass(frozen=True)
class Normalised:
    text: str  # lower-cased, folded; words separated by single spaces
    starts: tuple[int, ...]  # per character of text: start of its source in the original
    ends: tuple[int, ...]  # per character of text: end of its source in the original
    emphasised: tuple[bool, ...]  # the character stood for a run of 3+ repeated letters

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span behind text[start:end]."""
        return self.starts[start], self.ends[end - 1]


def _fold_char(cluster: str) -> str:
    code = ord(cluster[0])
    for first, count in _ENCLOSED:
        if first <= code < first + count:
            return chr(ord("a") + code - first)
    folded = unicodedata.normalize("NFKC", cluster).lower().translate(_CONFUSABLES)
    # Combining marks NFKC could not compose (zalgo text) carry nothing.
    return "".join(c for c in folded if not unicodedata.combining(c))


def _clusters(text: str) -> list[tuple[int, int]]:
    """Spans of a base character with the combining marks that follow it."""
    if not any(map(unicodedata.combining, text)):
        return [(i, i + 1) for i in range(len(text))]
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        spans.append((i, j))
        i = j
    return spans


# The fast path reads a comment's Latin-1 bytes through one table: letters become their
# lower-case selves, digits and leet symbols "0", characters outside plain Swedish text
# NUL, everything else a space. Plain text shows none of the shapes evasions need:
# characters from elsewhere, a letter beside a digit or symbol (j4vla, f*n), three equal
# letters (JÄÄÄVLA), single letters in a row (f a n, f.i.t.t.a), runs of spaces, "!" inside
# a word (h!mmel).
_LETTERS = "abcdefghijklmnopqrstuvwxyzåäöéü"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖÉÜ"
_OTHER = "\x00"


def _latin1_table(default: str, mapping: dict[str, str]) -> bytes:
    table = bytearray(default.encode("latin-1") * 256)
    for chars, to in mapping.items():
        for i, c in enumerate(chars):
            table[ord(c)] = ord(to[i] if len(to) > 1 else to)
    return bytes(table)


_VIEW_TABLE = _latin1_table(_OTHER, {
    "".join(map(chr, range(0x20, 0x7F))): " ", _LETTERS: _LETTERS, _UPPER: _LETTERS,
    "0123456789@$|*": "0",
})
# Lower-casing, for the characters plain text may hold (others are never read).
_LOWER_TABLE = _latin1_table("\x00", {
    "".join(map(chr, range(0x20, 0x7F))): "".join(map(chr, range(0x20, 0x7F))).lower(),
    _LETTERS: _LETTERS, _UPPER: _LETTERS,
})
_LEET_BANG = re.compile(r"!+[0-9a-zA-ZåäöÅÄÖéÉüÜ@$|*]")  # h!mmel, fan!!1
_PLAIN_LETTER = f"[{_LETTERS}]"
# What the matcher's automaton looks for in the view (see plain_view), as one expression.
_NOT_PLAIN = re.compile(
    f"{_OTHER}|{_PLAIN_LETTER}0|0{_PLAIN_LETTER}|({_PLAIN_LETTER})\\1\\1"
    f"| {_PLAIN_LETTER} {_PLAIN_LETTER} "
)
NOT_PLAIN_KEYS = (
    [_OTHER] + [f"{c}0" for c in _LETTERS] + [f"0{c}" for c in _LETTERS]
    + [c * 3 for c in _LETTERS] + [f" {a} {b} " for a in _LETTERS for b in _LETTERS]
)


class PlainText(NamedTuple):
    """A comment that may be plain Swedish text, where normalising is lower-casing."""

    low: str  # the normalised text, if plain: every offset is the original's
    view: str  # " " + low + " ", letters kept, digits and leet symbols "0", others " "


def plain_view(original: str) -> PlainText | None:
    """The plain reading of ``original``, or None when it needs the full normalisation.

    Only the cheap tests are made here; the shapes in ``NOT_PLAIN_KEYS`` are left to an
    automaton over ``view``, which sees them at no cost while it looks for words. Text
    whose view has none of them normalises to ``low``."""
    try:
        raw = original.encode("latin-1")
    except UnicodeEncodeError:
        return None  # characters outside plain Swedish text
    if "  " in original or ("!" in original and _LEET_BANG.search(original)):
        return None
    return PlainText(raw.translate(_LOWER_TABLE).decode("latin-1"),
                     f" {raw.translate(_VIEW_TABLE).decode('latin-1')} ")


def _is_plain(text: str) -> bool:
    plain = plain_view(text)
    return plain is not None and _NOT_PLAIN.search(plain.view) is None


def normalise(original: str) -> Normalised:
    if _is_plain(original):
        # Most comments are plain text: lower-casing keeps every offset where it is.
        n = len(original)
        return Normalised(original.lower(), _identity(n), _identity_end(n), _flat(n))
    return normalise_full(original)


def normalise_full(original: str) -> Normalised:
    text, starts, ends = _fold(original)
    text = leet(text)
    text, starts, ends = _join_separated(text, starts, ends)
    return _squeeze(text, starts, ends)


_PLAIN_RUN = re.compile("[\x20-\x7eåäöÅÄÖéÉüÜ]+")


def _fold(original: str) -> tuple[str, list[int], list[int]]:
    """Fold case, fancy and look-alike letters and marks; whitespace becomes a space.
    Plain runs are taken whole: only other characters are looked at one by one."""
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _PLAIN_RUN.finditer(original):
        if m.start() > pos:
            _fold_slow(original, pos, m.start(), pieces, starts, ends)
        pieces.append(m.group(0).lower())
        starts.extend(range(m.start(), m.end()))
        ends.extend(range(m.start() + 1, m.end() + 1))
        pos = m.end()
    if pos < len(original):
        _fold_slow(original, pos, len(original), pieces, starts, ends)
    return "".join(pieces), starts, ends


def _fold_slow(original: str, lo: int, hi: int, pieces: list[str], starts: list[int],
               ends: list[int]) -> None:
    # Combining marks belong to the character before them, which may sit in a plain run.
    for s, e in _clusters(original[lo:hi]):
        s, e = s + lo, e + lo
        cluster = original[s:e]
        if unicodedata.combining(cluster[0]) and starts:
            prev = starts[-1]
            folded = _fold_char(original[prev:e])
            # Recompose with the base character already emitted.
            while starts and starts[-1] == prev:
                starts.pop(), ends.pop()
                pieces[-1] = pieces[-1][:-1]
            s, cluster = prev, original[prev:e]
        else:
            folded = _fold_char(cluster)
        for c in folded:
            if c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zs"):
                c = " "
            pieces.append(c)
            starts.append(s)
            ends.append(e)


_TOKEN = re.compile(r"(?:[^\W_]|[@$€!|*])+")
_HAS_LEET = re.compile(r"[0-9@$€!|]")
_LEET_TABLE = str.maketrans(_LEET)


def leet(text: str) -> str:
    """Inside a word that has letters, digits and symbols stand for letters (j4vla).
    One character for one: the offsets do not move."""
    if _HAS_LEET.search(text) is None:
        return text
    pieces: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        if not _HAS_LEET.search(word) or word.isdigit() or not any(c.isalpha() for c in word):
            continue
        # Trailing ! and | are punctuation more often than letters ("fan!").
        body = word.rstrip("!|")
        pieces.append(text[pos:m.start()])
        pieces.append(body.translate(_LEET_TABLE) + word[len(body):])
        pos = m.end()
    if not pieces:
        return text
    pieces.append(text[pos:])
    return "".join(pieces)


# A single letter between separators: where a spelled-out word can be.
_SINGLE_LETTER = re.compile(r"[ .\-_·•][^\W\d_][ .\-_·•]")


def _join_separated(text: str, starts: list[int], ends: list[int]):
    """f a n, f.i.t.t.a, j-ä-v-l-a: three or more single letters with one separator."""
    if _SINGLE_LETTER.search(text) is None:
        return text, starts, ends
    runs: list[tuple[int, int]] = []
    for m in _SEPARATED.finditer(text):
        sep, run = m.group(2), m.group(0)
        if any(run[k] != sep for k in range(1, len(run), 2)):
            continue  # mixed separators: "a. b-c" is not a spelled-out word
        runs.append(m.span())
    if not runs:
        return text, starts, ends
    pieces: list[str] = []
    out_s: list[int] = []
    out_e: list[int] = []
    pos = 0
    for a, b in runs:
        pieces.append(text[pos:a])
        out_s += starts[pos:a]
        out_e += ends[pos:a]
        pieces.append(text[a:b:2])  # the letters, without the separators between them
        out_s += starts[a:b:2]
        out_e += ends[a:b:2]
        pos = b
    pieces.append(text[pos:])
    out_s += starts[pos:]
    out_e += ends[pos:]
    return "".join(pieces), out_s, out_e


# Runs of one character (only letters and spaces are squeezed), runs of spaces.
# "(.)\1\1+" is several times faster for the regex engine than the same with a class.
_RUN = re.compile(r"(.)\1\1+| {2,}")


def _squeezable(m: re.Match[str]) -> bool:
    c = m.group(1)
    return c is None or c == " " or (c.isalnum() and not c.isdecimal())  # [^\W\d_]



def _squeeze(text: str, starts: list[int], ends: list[int]) -> Normalised:
    """Runs of 3+ equal letters become one (JÄÄÄVLA); whitespace runs become one space."""
    runs = [m.span() for m in _RUN.finditer(text) if _squeezable(m)]
    if not runs:
        return Normalised(text, tuple(starts), tuple(ends), _flat(len(text)))
    out: list[str] = []
    out_s: list[int] = []
    out_e: list[int] = []
    emph: list[bool] = []
    pos = 0
    for a, b in runs:
        out.append(text[pos:a])
        out_s.extend(starts[pos:a])
        out_e.extend(ends[pos:a])
        emph.extend([False] * (a - pos))
        out.append(text[a])
        out_s.append(starts[a])
        out_e.append(ends[b - 1])
        emph.append(text[a] != " ")
        pos = b
    out.append(text[pos:])
    out_s.extend(starts[pos:])
    out_e.extend(ends[pos:])
    emph.extend([False] * (len(text) - pos))
    return Normalised("".join(out), tuple(out_s), tuple(out_e), tuple(emph))


_DOUBLED = re.compile(r"(.)\1+")


def squeeze_word(word: str) -> str:
    """A word with every run of equal letters made single (fitta -> fita)."""
    if _DOUBLED.search(word) is None:
        return word
    return _DOUBLED.sub(r"\1", word)




def _identity(n: int) -> tuple[int, ...]:
    return tuple(range(n))


def _identity_end(n: int) -> tuple[int, ...]:
    return tuple(range(1, n + 1))


def _flat(n: int) -> tuple[bool, ...]:
    return (False,) * n
