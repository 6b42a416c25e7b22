"""The policy page's forms turned into policy bodies, with problems told in Swedish; and
what changed from one policy version to the next.

Every check here runs before anything is written; ``set_policy`` checks the whole body
again (the same rules as the API and the command line).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.rules.engine import ACTIONS, MIN_ACTION
from app.rules.policies import CustomList, PolicyBody
from app.rules.wordlists import CATEGORIES, WordListError, parse_entry
from app.ui.rule_texts import _

MAX_LISTS = PolicyBody.model_fields["custom"].metadata[0].max_length
MAX_WORDS = CustomList.model_fields["words"].metadata[0].max_length
MAX_ALLOW_WORDS = PolicyBody.model_fields["allow_words"].metadata[0].max_length
MAX_DOMAINS = PolicyBody.model_fields["link_allow"].metadata[0].max_length
NOTE_MAX = 500  # policy_version.note
SWITCHES = ("observe", "review_images", "delete_secret_at_once", "register_messages")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
_DOMAIN = re.compile(r"^(?:[0-9a-zåäöéü](?:[0-9a-zåäöéü-]{0,61}[0-9a-zåäöéü])?\.)+"
                     r"[a-zåäö]{2,63}$")
_SEPARATORS = re.compile(r"[,;\r\n\t]")


class Problem(Exception):
    """Bad input, told to the user: a Swedish text (translated when shown) and its values."""

    def __init__(self, text: str, **values: Any) -> None:
        super().__init__(text)
        self.text = text
        self.values = values


def split_words(text: str) -> list[str]:
    """Words from a textarea or Facebook's list: one a line or separated by commas (or
    semicolons, as a spreadsheet saves them); quotes around a word are dropped; the same
    word twice is kept once."""
    words: list[str] = []
    seen: set[str] = set()
    for raw in _SEPARATORS.split(text):
        word = " ".join(raw.strip().strip('"').strip().split())
        if word and word.lower() not in seen:
            seen.add(word.lower())
            words.append(word)
    return words


def check_words(words: Sequence[str]) -> None:
    if len(words) > MAX_WORDS:
        raise Problem(_("En lista får ha högst {n} ord."), n=MAX_WORDS)
    for word in words:
        try:
            parse_entry(word, level="medium", line=1, where="list")
        except WordListError as exc:
            raise Problem(_("«{word}» går inte att använda: ett ord eller en fras får bara "
                            "ha bokstäver, siffror, bindestreck och enkla mellanslag, och * "
                            "bara först eller sist."), word=word) from exc


def check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise Problem(_("Listans namn får bara ha små bokstäver a–z, siffror, - och _ "
                        "(högst 41 tecken), till exempel facebook eller ortnamn."))
    return name


def check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise Problem(_("Okänd kategori: {category}"), category=category)
    return category


def check_note(note: str) -> str | None:
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise Problem(_("Anteckningen får vara högst {n} tecken."), n=NOTE_MAX)
    return note or None


def domains(text: str) -> list[str]:
    found = []
    for raw in split_words(text.replace(" ", "\n")):
        domain = re.sub(r"^[a-z]+://", "", raw.lower()).split("/", 1)[0].removeprefix("www.")
        if not _DOMAIN.match(domain):
            raise Problem(_("«{value}» är inte ett domännamn, till exempel falun.se."),
                          value=raw)
        if domain not in found:
            found.append(domain)
    if len(found) > MAX_DOMAINS:
        raise Problem(_("Högst {n} domäner i en lista."), n=MAX_DOMAINS)
    return found


def settings_body(form: Mapping[str, str], body: PolicyBody) -> dict[str, Any]:
    """The settings form (actions, level, switches, allow-words, links) over the policy
    in force: the page's own lists are kept as they are."""
    unknown = sorted(k.removeprefix("action_") for k in form
                     if k.startswith("action_") and k.removeprefix("action_") not in CATEGORIES)
    if unknown:
        raise Problem(_("Okänd kategori: {category}"), category=", ".join(unknown))
    actions = {}
    for category in CATEGORIES:
        action = form.get(f"action_{category}", "")
        if action not in ACTIONS:
            raise Problem(_("Välj tillåt, granska, dölj eller radera för varje kategori."))
        floor = MIN_ACTION.get(category)
        if floor and ACTIONS.index(action) < ACTIONS.index(floor):
            raise Problem(_("Sekretessbelagda uppgifter döljs alltid: välj dölj eller "
                            "radera."))
        actions[category] = action
    level = form.get("level", "")
    if level not in ("off", "medium", "strong"):
        raise Problem(_("Välj nivå: av, medel eller stark."))
    allow_words = split_words(form.get("allow_words", ""))
    if len(allow_words) > MAX_ALLOW_WORDS:
        raise Problem(_("Högst {n} tillåtna ord."), n=MAX_ALLOW_WORDS)
    return {**body.model_dump(), "actions": actions, "level": level,
            **{name: form.get(name) == "on" for name in SWITCHES},
            "allow_words": allow_words, "link_allow": domains(form.get("link_allow", "")),
            "link_deny": domains(form.get("link_deny", ""))}


def with_list(body: PolicyBody, *, name: str, category: str, words: list[str],
              new: bool | None) -> dict[str, Any]:
    """The policy with the page's list ``name`` set to these words: a new list (``new``),
    an existing one (not ``new``), or either (None: an import adds or replaces)."""
    if not words:
        raise Problem(_("Listan har inga ord. Skriv minst ett ord, eller ta bort listan."))
    check_words(words)
    exists = any(c.name == name for c in body.custom)
    if new is True and exists:
        raise Problem(_("Det finns redan en lista som heter {name}."), name=name)
    if new is False and not exists:
        raise Problem(_("Listan {name} finns inte längre."), name=name)
    if not exists and len(body.custom) >= MAX_LISTS:
        raise Problem(_("En sida får ha högst {n} egna listor."), n=MAX_LISTS)
    custom = [c.model_dump() for c in body.custom if c.name != name]
    custom.append({"name": name, "category": category, "words": words})
    return {**body.model_dump(), "custom": custom}


def without_list(body: PolicyBody, name: str) -> dict[str, Any]:
    if not any(c.name == name for c in body.custom):
        raise Problem(_("Listan {name} finns inte längre."), name=name)
    return {**body.model_dump(), "custom": [c.model_dump() for c in body.custom
                                            if c.name != name]}


def decode_upload(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Problem(_("Filen är inte sparad som UTF-8. Spara den som UTF-8-text (i "
                        "Excel: CSV UTF-8) och försök igen.")) from exc


# What changed between two versions ------------------------------------------------------


@dataclass(frozen=True)
class Change:
    kind: str  # action, level, switch, allow_words, link_allow, link_deny, list_added,
    #            list_removed, list_words, list_category
    values: dict[str, Any] = field(default_factory=dict)


def _added_removed(old: Sequence[str], new: Sequence[str]) -> tuple[int, int]:
    before, after = {w.lower() for w in old}, {w.lower() for w in new}
    return len(after - before), len(before - after)


def changes(old: PolicyBody, new: PolicyBody) -> list[Change]:
    """What ``new`` changed from ``old`` (the defaults, for a page's first version)."""
    found: list[Change] = []
    old_actions = {**PolicyBody().actions, **old.actions}
    new_actions = {**PolicyBody().actions, **new.actions}
    for category in CATEGORIES:
        if old_actions.get(category) != new_actions.get(category):
            found.append(Change("action", {"category": category,
                                           "old": old_actions.get(category),
                                           "new": new_actions.get(category)}))
    if old.level != new.level:
        found.append(Change("level", {"old": old.level, "new": new.level}))
    for name in SWITCHES:
        if getattr(old, name) != getattr(new, name):
            found.append(Change("switch", {"name": name, "on": getattr(new, name)}))
    for name in ("allow_words", "link_allow", "link_deny"):
        added, removed = _added_removed(getattr(old, name), getattr(new, name))
        if added or removed:
            found.append(Change(name, {"added": added, "removed": removed}))
    before = {c.name: c for c in old.custom}
    after = {c.name: c for c in new.custom}
    for name, custom in after.items():
        was = before.get(name)
        if was is None:
            found.append(Change("list_added", {"name": name, "n": len(custom.words)}))
            continue
        if was.category != custom.category:
            found.append(Change("list_category", {"name": name, "old": was.category,
                                                  "new": custom.category}))
        added, removed = _added_removed(was.words, custom.words)
        if added or removed:
            found.append(Change("list_words", {"name": name, "added": added,
                                               "removed": removed}))
    found.extend(Change("list_removed", {"name": name}) for name in before
                 if name not in after)
    return found
