"""The rule engine: text and a page policy in, a decision with its explanation out.

Pure: no database, network or clock (the date, needed to read personnummer, comes in as
an argument). A decision is one of ``allow`` < ``review`` < ``hide`` < ``delete``: the
strictest action the page's policy gives any category found. ``register`` says the item
must go to the registrar (secret content). Every match names its category, the rule or
list (with its version), the term, and the span in the text as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from app.rules import detectors
from app.rules.links import find_links
from app.rules.matcher import Matcher
from app.rules.wordlists import CATEGORIES, WordList, load_directory

ENGINE_VERSION = "1"
ACTIONS = ("allow", "review", "hide", "delete")
DEFAULT_ACTIONS: dict[str, str] = {
    "defamation": "hide", "hate": "hide", "violence_porn": "hide",
    "crime_incitement": "hide", "copyright": "review", "profanity": "hide",
    "personal_data": "hide", "secret": "hide", "spam": "hide",
}
# Secret content is always at least hidden, whatever the policy says (OSL).
MIN_ACTION = {"secret": "hide"}
# These terms make content secret only beside something that identifies a person.
SECRET_CONTEXT_LIST = "secret-context"
WORDLIST_DIR = Path(__file__).resolve().parents[2] / "wordlists"


@dataclass(frozen=True)
class Policy:
    actions: tuple[tuple[str, str], ...] = tuple(DEFAULT_ACTIONS.items())
    level: str = "strong"  # off | medium | strong: which word-list entries apply
    observe: bool = False  # decide and record, but let no action happen
    custom: tuple[WordList, ...] = ()  # the page's own lists
    allow_words: frozenset[str] = frozenset()  # never trigger on these words
    link_allow: tuple[str, ...] = ()
    link_deny: tuple[str, ...] = ()
    review_images: bool = True  # images get a human look for copyright
    # What happens outside the engine: secret content deleted at once, not only hidden;
    # direct messages queued for the registrar.
    delete_secret_at_once: bool = False
    register_messages: bool = True
    version: str = "default"

    def __post_init__(self) -> None:
        if self.level not in ("off", "medium", "strong"):
            raise ValueError("level must be off, medium or strong")
        for category, action in self.actions:
            if category not in CATEGORIES or action not in ACTIONS:
                raise ValueError(f"bad policy entry {category} -> {action}")

    @cached_property
    def _action_map(self) -> dict[str, str]:
        given = dict(self.actions)
        actions = {}
        for category in CATEGORIES:
            action = given.get(category, DEFAULT_ACTIONS.get(category, "review"))
            floor = MIN_ACTION.get(category)
            if floor and ACTIONS.index(action) < ACTIONS.index(floor):
                action = floor
            actions[category] = action
        return actions

    def action_for(self, category: str) -> str:
        return self._action_map[category]


class Match(NamedTuple):
    category: str
    source: str  # "list" | "detector" | "media"
    rule: str  # list id or detector name
    version: str
    term: str  # the entry as written in the list, or what the detector found
    text: str  # the words as written in the comment ("" for media)
    start: int | None  # span in the original text
    end: int | None
    how: str  # exact, without diacritics, repeated letters, masked, regex, detector ...
    action: str  # what the policy does for this category


@dataclass(frozen=True)
class MediaFacts:
    has_image: bool = False
    has_video: bool = False


class Decision(NamedTuple):
    decision: str
    register: bool
    categories: tuple[str, ...]
    matches: tuple[Match, ...]
    observe: bool
    engine_version: str = ENGINE_VERSION
    policy_version: str = "default"
    wordlist_versions: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision, "register": self.register,
            "categories": list(self.categories),
            "matches": [m._asdict() for m in self.matches], "observe": self.observe,
            "engine_version": self.engine_version, "policy_version": self.policy_version,
            "wordlists": dict(self.wordlist_versions),
        }


@dataclass(frozen=True)
class _Compiled:
    """What a policy's level, own words and allow-words compile to."""

    matcher: Matcher
    wordlist_versions: tuple[tuple[str, str], ...]


class RuleEngine:
    def __init__(self, lists: Sequence[WordList]) -> None:
        self.lists = tuple(lists)
        self._compile = lru_cache(maxsize=64)(self._build)

    @classmethod
    def from_directory(cls, path: Path = WORDLIST_DIR) -> RuleEngine:
        return cls(load_directory(path))

    def _build(self, level: str, custom: tuple[WordList, ...],
               allow: frozenset[str]) -> _Compiled:
        # The page's own words are the authority's choice: they apply whatever the level.
        lists = () if level == "off" else self.lists
        return _Compiled(Matcher(lists, level=level, always=custom, allow=allow),
                         tuple((wl.id, wl.version) for wl in (*self.lists, *custom)))

    def check(self, text: str, policy: Policy = Policy(), *, today: date,
              media: MediaFacts = MediaFacts()) -> Decision:
        matches: list[Match] = []
        actions = policy._action_map
        custom = () if policy.level == "off" else policy.custom
        compiled = self._compile(policy.level, custom, policy.allow_words)
        # Health, religion, offences ... are personal data when about someone identified
        # in the same text; alone they are public discussion.
        found = detectors.find_personal_data(text, today=today, identified_only=True)
        for d in found:
            matches.append(Match("personal_data", "detector", d.kind, ENGINE_VERSION, d.detail,
                                 d.value, d.start, d.end, "detector", actions["personal_data"]))
        for wl, entry, start, end, how in compiled.matcher.scan(text):
            if wl.id == SECRET_CONTEXT_LIST and not found:
                continue
            matches.append(Match(wl.category, "list", wl.id, wl.version, entry.pattern,
                                 text[start:end], start, end, how, actions[wl.category]))
        for link in find_links(text, allow=policy.link_allow, deny=policy.link_deny):
            if link.reason:
                matches.append(Match("spam", "detector", "links", ENGINE_VERSION, link.reason,
                                     link.url, link.start, link.end, "detector",
                                     actions["spam"]))
        if (media.has_image or media.has_video) and policy.review_images:
            matches.append(Match("copyright", "media", "media", ENGINE_VERSION,
                                 "images and videos are checked for copyright by a person",
                                 "", None, None, "media", actions["copyright"]))
        if not matches:
            return Decision("allow", False, (), (), policy.observe, ENGINE_VERSION,
                            policy.version, compiled.wordlist_versions)
        if len(matches) > 1:
            matches.sort(key=_match_order)
        categories = tuple(sorted({m.category for m in matches}))
        strictest = max(_RANK[m.action] for m in matches)
        return Decision(ACTIONS[strictest], "secret" in categories, categories, tuple(matches),
                        policy.observe, ENGINE_VERSION, policy.version,
                        compiled.wordlist_versions)


_RANK = {action: rank for rank, action in enumerate(ACTIONS)}


def _match_order(m: Match) -> tuple[int, str]:
    return (m.start if m.start is not None else -1, m.category)
