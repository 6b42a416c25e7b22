"""The straightforward, character-by-character normalisation that app.rules.textnorm once
used: the oracle its faster implementation is tested against."""

from __future__ import annotations

import unicodedata

from app.rules.textnorm import _LEET, _SEPARATED, MASK, Normalised, _clusters, _fold_char


def reference_normalise(original: str) -> Normalised:
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


