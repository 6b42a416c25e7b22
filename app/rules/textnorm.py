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


# The fast path's test: each character becomes its class (L letter, D digit or leet
# symbol, ! itself, space, . other plain ASCII, ? anything else); plain text shows none of
# the shapes evasions need.
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZåäöÅÄÖéÉüÜ"
_CLASSES = {c: "." for c in map(chr, range(0x20, 0x7F))}
_CLASSES.update({c: "L" for c in _LETTERS})
_CLASSES.update({c: "D" for c in "0123456789@$€|*"})
_CLASSES.update({"!": "!", " ": " "})
_SIGNATURE = str.maketrans(_CLASSES)
_TRIPLE = re.compile(r"(.)\1\1")
# A word with letters and leet characters (a trailing ! is punctuation).
_LEET_SHAPE = re.compile(r"[D!]L|L[D!]*D|L!+[LD]")
_OTHER = re.compile("[^\x20-\x7eåäöÅÄÖéÉüÜ€]")
_SPELLED = tuple(f"{c}L{sep}L{sep}L" for sep in " .-_" for c in " .D!")
_SPELLED_START = ("L L L", "L.L.L", "L-L-L", "L_L_L")


def _is_plain(text: str) -> bool:
    if _OTHER.search(text):
        return False  # characters outside plain Swedish text
    sig = text.translate(_SIGNATURE)
    if "  " in sig:
        return False  # runs of spaces
    if _LEET_SHAPE.search(sig):
        return False  # leetspeak or masks: j4vla, f*n, h!mmel
    if ("L L L" in sig or "L.L.L" in sig or "L-L-L" in sig or "L_L_L" in sig) and (
            sig.startswith(_SPELLED_START) or any(p in sig for p in _SPELLED)):
        return False  # letters spelled out one by one
    return _TRIPLE.search(text) is None


def normalise(original: str) -> Normalised:
    if _is_plain(original):
        # Most comments are plain text: lower-casing keeps every offset where it is.
        n = len(original)
        return Normalised(original.lower(), _identity(n), _identity_end(n), _flat(n))
    return _normalise_full(original)


def _normalise_full(original: str) -> Normalised:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for s, e in _clusters(original):
        folded = _fold_char(original[s:e]) if not original[s:e].isascii() else original[s:e].lower()
        for c in folded:
            if c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zs"):
                c = " "
            chars.append(c)
            starts.append(s)
            ends.append(e)
    chars, starts, ends = _leet(chars, starts, ends)
    chars, starts, ends = _join_separated(chars, starts, ends)
    return _squeeze(chars, starts, ends)


def _leet(chars: list[str], starts: list[int], ends: list[int]):
    """Inside a word that has letters, digits and symbols stand for letters (j4vla)."""
    n = len(chars)
    i = 0
    while i < n:
        if chars[i].isalnum() or chars[i] in _LEET or chars[i] == MASK:
            j = i
            while j < n and (chars[j].isalnum() or chars[j] in _LEET or chars[j] == MASK):
                j += 1
            word = chars[i:j]
            if any(c.isalpha() for c in word) and any(c in _LEET for c in word):
                # Trailing ! and | are punctuation more often than letters ("fan!").
                end = j
                while end > i and word[end - i - 1] in "!|":
                    end -= 1
                for k in range(i, end):
                    chars[k] = _LEET.get(chars[k], chars[k])
            i = j
        else:
            i += 1
    return chars, starts, ends


def _join_separated(chars: list[str], starts: list[int], ends: list[int]):
    """f a n, f.i.t.t.a, j-ä-v-l-a: three or more single letters with one separator."""
    text = "".join(chars)
    if not _SEPARATED.search(text):
        return chars, starts, ends
    keep = [True] * len(chars)
    for m in _SEPARATED.finditer(text):
        sep = m.group(2)
        run = m.group(0)
        if any(run[k] != sep for k in range(1, len(run), 2)):
            continue  # mixed separators: "a. b-c" is not a spelled-out word
        for k in range(m.start() + 1, m.end(), 2):
            keep[k] = False
    return ([c for c, k in zip(chars, keep) if k], [s for s, k in zip(starts, keep) if k],
            [e for e, k in zip(ends, keep) if k])


def _squeeze(chars: list[str], starts: list[int], ends: list[int]) -> Normalised:
    """Runs of 3+ equal letters become one (JÄÄÄVLA); whitespace runs become one space."""
    out: list[str] = []
    out_s: list[int] = []
    out_e: list[int] = []
    emph: list[bool] = []
    i, n = 0, len(chars)
    while i < n:
        c = chars[i]
        j = i + 1
        while j < n and chars[j] == c:
            j += 1
        run = j - i
        if c == " ":
            if not out or out[-1] != " ":
                out.append(" "), out_s.append(starts[i]), out_e.append(ends[j - 1])
                emph.append(False)
        elif run >= 3 and c.isalpha():
            out.append(c), out_s.append(starts[i]), out_e.append(ends[j - 1]), emph.append(True)
        else:
            for k in range(i, j):
                out.append(c), out_s.append(starts[k]), out_e.append(ends[k]), emph.append(False)
        i = j
    return Normalised("".join(out), tuple(out_s), tuple(out_e), tuple(emph))


def squeeze_word(word: str) -> str:
    """A word with every run of equal letters made single (fitta -> fita)."""
    return re.sub(r"(.)\1+", r"\1", word)


def is_word_char(c: str) -> bool:
    return c.isalpha()



def _identity(n: int) -> tuple[int, ...]:
    return tuple(range(n))


def _identity_end(n: int) -> tuple[int, ...]:
    return tuple(range(1, n + 1))


def _flat(n: int) -> tuple[bool, ...]:
    return (False,) * n
