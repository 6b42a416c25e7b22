"""What a regular expression from a word list needs to find a match: the literals it
cannot match without, found by reading the parsed pattern.

The matcher runs a ``re:`` entry only where one of its literals appears, and first checks
that the pattern's other required literals appear too. A literal remembers whether every
match has a word edge (``\\b``, whitespace, the text's start or end) right before or after
it, so that ``skjut`` in ``\\b(?:skjut|häng)\\s+...`` is looked for as the word "skjut", not
inside "skjuta". Everything here may only find too much, never too little: a pattern whose
shape it does not understand simply runs more often.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

try:  # the regex parser moved in Python 3.11; the old names warn
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

Item = tuple[Any, Any]
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT)
_LOOKAROUND = (_c.ASSERT, _c.ASSERT_NOT)
_EDGES = (_c.AT_BOUNDARY, _c.AT_BEGINNING, _c.AT_BEGINNING_STRING, _c.AT_END,
          _c.AT_END_STRING)
# Words in most Swedish sentences, and on most municipal pages: a pattern triggered by
# them would run on most comments.
_COMMON = frozenset("""
    alla att av bli blir bara borde bör de dem den det din dina ditt dom du efter en er era
    ett finns för har hade han hon här i inte jag kan kommer ligger man med men måste ni
    nu och om på sin ska skulle som så till under upp ut vad var vara vi är över
    kommunen skolan förskolan politiker politikerna polisen
""".split())


# So common that a part with one of them is in nearly every text: not worth checking.
_EVERYWHERE = frozenset("""
    av de den det en ett för i med och om på som till är kommunen skolan förskolan
""".split())


@dataclass(frozen=True)
class Literal:
    text: str
    left: bool  # every match has a word edge right before it
    right: bool  # ... right after it

    @property
    def needle(self) -> str:
        """The literal as a letters-only view of the text shows it (edges are spaces)."""
        return f"{' ' if self.left else ''}{self.text}{' ' if self.right else ''}"


@dataclass(frozen=True)
class Required:
    """One part of a pattern that every match contains: one of ``alternatives``."""

    alternatives: tuple[Literal, ...]
    prefix: bool  # every match starts with one of them


@dataclass(frozen=True)
class Requirements:
    trigger: Required  # the rarest part: where to look for a match
    others: tuple[Required, ...]  # to check before running it (not those nearly every
    # text has)


def requirements(pattern: str) -> Requirements | None:
    """The parts every match of ``pattern`` needs; None when its top level does not tell.

    The trigger is the part least likely in ordinary text (see ``_rank``): ``döda|mörda``
    rather than ``jag|vi`` in a threat, so that the pattern runs seldom."""
    try:
        parsed = _parser.parse(pattern)
    except re.error:
        return None
    found = _parts(list(parsed), prefix=True, left=True, right=True)
    if not found:
        return None
    trigger = max(found, key=_rank)
    others = tuple(r for r in found if r is not trigger
                   and not any(lit.text in _EVERYWHERE for lit in r.alternatives))
    return Requirements(trigger, others)


def _rank(r: Required) -> tuple[bool, bool, bool, int, int, int]:
    """Rare words first; then words of letters (found in the same pass as the word lists);
    then literals a match starts with (the pattern is tried there only, not over the
    whole text); then the longest shortest literal with its edges, the fewest
    alternatives."""
    return (not any(lit.text in _COMMON for lit in r.alternatives),
            all(lit.text.replace(" ", "").isalpha() for lit in r.alternatives), r.prefix,
            min(len(lit.text) for lit in r.alternatives),
            min(lit.left + lit.right for lit in r.alternatives), -len(r.alternatives))


def _is_space(item: Item) -> bool:
    op, av = item
    if op is _c.IN:
        return av == [(_c.CATEGORY, _c.CATEGORY_SPACE)]
    if op is _c.LITERAL:
        return chr(av).isspace()
    if op in _REPEATS:
        return av[0] >= 1 and len(av[2]) == 1 and _is_space(av[2][0])
    return False


def _is_edge(item: Item) -> bool:
    return (item[0] is _c.AT and item[1] in _EDGES) or _is_space(item)


def _unwrap(item: Item) -> list[Item] | None:
    """The items of an optional part (``(?:att\\s+)?``), or None if it is not one."""
    op, av = item
    if op in _REPEATS and av[0] == 0:
        inner = list(av[2])
        if len(inner) == 1 and inner[0][0] is _c.SUBPATTERN:
            inner = list(inner[0][1][-1])
        return inner
    return None


def _edge_before(items: list[Item], i: int, inherited: bool) -> bool:
    k = i - 1
    while k >= 0:
        if _is_edge(items[k]):
            return True
        if items[k][0] in _LOOKAROUND:
            k -= 1
            continue
        optional = _unwrap(items[k])
        if optional and _is_edge(optional[-1]):
            k -= 1  # an edge whether or not the optional part is there
            continue
        return False
    return inherited


def _edge_after(items: list[Item], j: int, inherited: bool) -> bool:
    k = j
    while k < len(items):
        if _is_edge(items[k]):
            return True
        if items[k][0] in _LOOKAROUND:
            k += 1
            continue
        optional = _unwrap(items[k])
        if optional and _is_edge(optional[0]):
            k += 1
            continue
        return False
    return inherited


def _best(found: list[Required]) -> Required | None:
    return max(found, key=_rank) if found else None


def _parts(items: list[Item], *, prefix: bool, left: bool, right: bool) -> list[Required]:
    """Every part of the sequence ``items`` that a match needs. ``prefix``: the sequence
    starts every match; ``left``/``right``: it has a word edge before/after it."""
    found: list[Required] = []
    i, n = 0, len(items)
    while i < n:
        op, av = items[i]
        if op is _c.LITERAL:
            j = i
            while j < n and items[j][0] is _c.LITERAL:
                j += 1
            text = "".join(chr(av) for _, av in items[i:j])
            if len(text.strip()) >= 2:
                found.append(Required(
                    (Literal(text, _edge_before(items, i, left), _edge_after(items, j, right)),),
                    prefix))
            prefix, i = False, j
            continue
        before, after = _edge_before(items, i, left), _edge_after(items, i + 1, right)
        inner: Required | None = None
        if op is _c.SUBPATTERN:
            inner = _best(_parts(list(av[-1]), prefix=prefix, left=before, right=after))
        elif op is _c.BRANCH:
            branches = [_best(_parts(list(b), prefix=prefix, left=before, right=after))
                        for b in av[1]]
            if all(b is not None for b in branches):
                inner = Required(tuple(lit for b in branches for lit in b.alternatives),  # type: ignore[union-attr]
                                 all(b.prefix for b in branches))  # type: ignore[union-attr]
        elif op in _REPEATS and av[0] >= 1:
            once = av[1] == 1  # one time only: the edges around it are its own
            inner = _best(_parts(list(av[2]), prefix=prefix, left=before and once,
                                 right=after and once))
        if inner is not None:
            found.append(inner)
        if op not in (_c.AT, *_LOOKAROUND):
            prefix = False
        i += 1
    return found
