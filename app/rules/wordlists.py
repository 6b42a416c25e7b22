"""Word lists: the plain-text format of ``wordlists/`` (see wordlists/README.md) and
Facebook's comma-separated page moderation list."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

CATEGORIES = ("defamation", "hate", "violence_porn", "crime_incitement", "copyright",
              "profanity", "personal_data", "secret", "spam")
LEVELS = ("medium", "strong")
_PLAIN = re.compile(r"^\*?[0-9a-zåäöéüæøß\-]+(?: [0-9a-zåäöéüæøß\-]+)*\*?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_PATTERN_CHARS = 200


class WordListError(ValueError):
    """A list that cannot be used; the message names the line."""


class EntryKind(StrEnum):
    word = "word"  # whole word or phrase
    prefix = "prefix"  # word*
    suffix = "suffix"  # *word
    infix = "infix"  # *word*
    regex = "regex"  # re:...


@dataclass(frozen=True)
class Entry:
    pattern: str  # as written, e.g. "idiot*"
    kind: EntryKind
    core: str  # the letters to find, wildcards removed
    level: str
    line: int


@dataclass(frozen=True, eq=False)
class WordList:
    id: str
    category: str
    version: str
    entries: tuple[Entry, ...]
    sources: tuple[str, ...] = ()
    licence: str | None = None
    origin: str = ""  # file name or "page:<id>"; not part of what the list is
    # A digest of everything but the origin, made once: a list is compared and hashed on
    # every rule check (the engine caches what it compiled per list), and comparing
    # thousands of entries each time would cost more than the check.
    digest: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        content = json.dumps([self.id, self.category, self.version, self.sources, self.licence,
                              [(e.pattern, e.kind.value, e.core, e.level, e.line)
                               for e in self.entries]], ensure_ascii=False)
        object.__setattr__(self, "digest", hashlib.sha256(content.encode()).hexdigest())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WordList) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)


def parse_entry(raw: str, *, level: str, line: int, where: str) -> Entry:
    pattern, _, lvl = raw.partition(" | ")
    pattern = pattern.strip()
    lvl = lvl.strip() or level
    if lvl not in LEVELS:
        raise WordListError(f"{where}:{line}: level must be medium or strong, not {lvl!r}")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise WordListError(f"{where}:{line}: entry longer than {MAX_PATTERN_CHARS} characters")
    if pattern.startswith("re:"):
        body = pattern[3:]
        try:
            re.compile(body)
        except re.error as exc:
            raise WordListError(f"{where}:{line}: bad regular expression: {exc}") from exc
        if re.compile(body).match(""):
            raise WordListError(f"{where}:{line}: the regular expression matches nothing")
        return Entry(pattern, EntryKind.regex, body, lvl, line)
    pattern = " ".join(pattern.lower().split())
    if not _PLAIN.match(pattern) or pattern.strip("*- ") == "":
        raise WordListError(
            f"{where}:{line}: {pattern!r} is not a word, phrase or wildcard pattern "
            "(letters, digits, hyphens and single spaces; * only at the start or end)")
    starts, ends = pattern.startswith("*"), pattern.endswith("*")
    kind = (EntryKind.infix if starts and ends else EntryKind.suffix if starts
            else EntryKind.prefix if ends else EntryKind.word)
    return Entry(pattern, kind, pattern.strip("*"), lvl, line)


def parse_wordlist(text: str, *, origin: str = "<list>") -> WordList:
    meta: dict[str, str] = {}
    sources: list[str] = []
    entries: list[Entry] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith("@"):
            if entries:
                raise WordListError(f"{origin}:{n}: directives must come before the entries")
            name, _, value = line[1:].partition(" ")
            value = value.strip()
            if name == "source":
                sources.append(value)
            elif name in ("list", "category", "version", "level", "licence"):
                meta[name] = value
            else:
                raise WordListError(f"{origin}:{n}: unknown directive @{name}")
            continue
        entries.append(parse_entry(line, level=meta.get("level", "strong"), line=n,
                                   where=origin))
    for required in ("list", "category", "version"):
        if not meta.get(required):
            raise WordListError(f"{origin}: missing @{required}")
    if meta["category"] not in CATEGORIES:
        raise WordListError(f"{origin}: unknown category {meta['category']!r}")
    if not _DATE.match(meta["version"]):
        raise WordListError(f"{origin}: @version must be a date YYYY-MM-DD")
    if meta.get("level", "strong") not in LEVELS:
        raise WordListError(f"{origin}: @level must be medium or strong")
    return WordList(meta["list"], meta["category"], meta["version"], tuple(entries),
                    tuple(sources), meta.get("licence"), origin)


def parse_facebook_list(text: str, *, list_id: str, category: str, version: str,
                        level: str = "medium") -> WordList:
    """Facebook's page moderation format: ``ord1,ord2,ord3`` (newlines also separate)."""
    if category not in CATEGORIES:
        raise WordListError(f"unknown category {category!r}")
    words = [w.strip() for w in re.split(r"[,\n;]", text) if w.strip()]
    entries = tuple(parse_entry(w, level=level, line=i, where=list_id)
                    for i, w in enumerate(words, start=1))
    return WordList(list_id, category, version, entries, origin=f"facebook:{list_id}")


def load_directory(path: Path) -> list[WordList]:
    lists = [parse_wordlist(p.read_text(encoding="utf-8"), origin=p.name)
             for p in sorted(path.glob("*.txt"))]
    ids = [wl.id for wl in lists]
    if len(ids) != len(set(ids)):
        raise WordListError(f"{path}: two lists share an @list id")
    return lists
