"""Meta webhook payloads → changes → operations on the archive. Pure: no I/O, no clock.

Meta's payloads vary by age and kind (see shared fixtures): ids come as numbers or
strings, the sender as ``from {id, name}`` or ``sender_id``/``sender_name``, feed times in
seconds and Messenger times in milliseconds, and ``remove`` carries no text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.core.crypto import sha256_hex

# Feed items that are posts on the page (a comment's item is "comment").
POST_ITEMS = frozenset(
    {"status", "post", "photo", "video", "share", "link", "note", "album", "event", "question"}
)
CONTENT_VERBS = frozenset({"add", "edited", "edit"})
# Facebook verbs and the visibility they leave the item in (None: recorded, no change).
STATE_VERBS: dict[str, str | None] = {
    "remove": "removed",
    "delete": "removed",
    "hide": "hidden",
    "unhide": "visible",
    "block": "blocked",
    "unblock": "visible",
    "mute": None,
    "unmute": None,
}
MESSAGING_NOISE = frozenset(
    {"read", "delivery", "postback", "reaction", "optin", "referral", "account_linking",
     "policy_enforcement", "pass_thread_control", "take_thread_control", "request_thread_control",
     "app_roles", "game_play", "handover"}
)
MAX_ID_CHARS = 128
MAX_NAME_CHARS = 300
MAX_VERB_CHARS = 32
# Any Unix time above this is in milliseconds (it would be year 5138 in seconds).
_MS_THRESHOLD = 100_000_000_000


class DeliveryError(ValueError):
    """The delivery as a whole is malformed or of a shape Uppsikt does not know."""


class ChangeError(ValueError):
    """One change cannot be understood; the others in the delivery go on."""


@dataclass(frozen=True)
class RawChange:
    page_platform_id: str
    field: str  # "feed", other change fields, or "messaging"
    entry_time: datetime | None
    value: dict[str, Any]
    key: str  # identifies the change across redeliveries

    def as_payload(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value}


@dataclass(frozen=True)
class AuthorRef:
    platform_id: str
    name: str | None


@dataclass(frozen=True)
class Operation:
    """What one change means for the archive."""

    platform_id: str
    kind: str  # post | comment | reply | message
    platform_type: str
    verb: str
    occurred_at: datetime | None
    carries_content: bool = False
    text: str | None = None
    media: tuple[dict[str, str], ...] = ()
    author: AuthorRef | None = None
    author_is_page: bool = False
    post_platform_id: str | None = None
    parent_platform_id: str | None = None
    object_platform_id: str | None = None
    created_time: datetime | None = None
    state_verb: str | None = None  # a verb of STATE_VERBS, recorded as a state event
    missing: tuple[str, ...] = field(default=())  # fields to fetch from the Graph API


@dataclass(frozen=True)
class Ignored:
    reason: str


def platform_id(value: Any) -> str | None:
    """Ids arrive as JSON strings or numbers; both mean the same object."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value.strip():
        if len(value.strip()) > MAX_ID_CHARS:
            raise ChangeError(f"id longer than {MAX_ID_CHARS} characters")
        return value.strip()
    raise ChangeError(f"not an id: {value!r}"[:200])


def timestamp(value: Any) -> datetime | None:
    """Seconds, milliseconds or Graph's ISO 8601 (``2016-01-06T19:06:22+0000``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            try:
                return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
            except ValueError as exc:
                raise ChangeError(f"not a time: {value!r}") from exc
    if not isinstance(value, int | float):
        raise ChangeError(f"not a time: {value!r}")
    seconds = value / 1000 if value > _MS_THRESHOLD else value
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ChangeError(f"time out of range: {value!r}") from exc


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(value: Any) -> Any:
    """NUL and lone surrogates (valid JSON escapes) cannot be stored as text in PostgreSQL
    or encoded as UTF-8; they become U+FFFD. The raw body in the inbox keeps them."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def _change_key(page: str, field_name: str, entry_time: Any, value: Any) -> str:
    canonical = json.dumps(
        {"page": page, "field": field_name, "time": entry_time, "value": value},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return sha256_hex(canonical)


def split_delivery(body: bytes) -> list[RawChange]:
    """Every change in one webhook body, in order. Raises DeliveryError on a bad shape."""
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeliveryError(f"body is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise DeliveryError("body is not a JSON object")
    doc = _storable(doc)
    if doc.get("object") != "page":
        raise DeliveryError(f"unsupported object {doc.get('object')!r}; expected 'page'")
    entries = doc.get("entry")
    if not isinstance(entries, list):
        raise DeliveryError("'entry' is missing or not a list")

    changes: list[RawChange] = []
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise DeliveryError(f"entry {n} is not an object")
        try:
            page = platform_id(entry.get("id"))
            entry_time = timestamp(entry.get("time"))
        except ChangeError as exc:
            raise DeliveryError(f"entry {n}: {exc}") from exc
        if page is None:
            raise DeliveryError(f"entry {n} has no page id")
        found = False
        for c in _list(entry, "changes", n):
            found = True
            if not isinstance(c, dict) or not isinstance(c.get("field"), str):
                raise DeliveryError(f"entry {n}: a change without a field")
            value = c.get("value")
            if not isinstance(value, dict):
                raise DeliveryError(f"entry {n}: change {c['field']!r} has no object value")
            key = _change_key(page, c["field"], entry.get("time"), value)
            changes.append(RawChange(page, c["field"], entry_time, value, key))
        for list_name in ("messaging", "standby"):
            for m in _list(entry, list_name, n):
                found = True
                if not isinstance(m, dict):
                    raise DeliveryError(f"entry {n}: a {list_name} event is not an object")
                key = _change_key(page, "messaging", entry.get("time"), m)
                changes.append(RawChange(page, "messaging", entry_time, m, key))
        if not found:
            raise DeliveryError(f"entry {n} has neither 'changes' nor 'messaging'")
    return changes


def _list(entry: dict[str, Any], name: str, n: int) -> list[Any]:
    value = entry.get(name, [])
    if not isinstance(value, list):
        raise DeliveryError(f"entry {n}: '{name}' is not a list")
    return value


def interpret(change: RawChange) -> Operation | Ignored:
    """What a change means. Raises ChangeError for a change that cannot be understood."""
    if change.field == "feed":
        return _interpret_feed(change)
    if change.field == "messaging":
        return _interpret_messaging(change)
    return Ignored(f"field {change.field!r} is not archived")


def _author(value: dict[str, Any]) -> AuthorRef | None:
    sender = value.get("from")
    if isinstance(sender, dict) and sender.get("id") is not None:
        return AuthorRef(platform_id(sender["id"]) or "", _name(sender.get("name")))
    if value.get("sender_id") is not None:
        return AuthorRef(platform_id(value["sender_id"]) or "", _name(value.get("sender_name")))
    return None


def _object(value: dict[str, Any], key: str) -> dict[str, Any]:
    found = value.get(key)
    return found if isinstance(found, dict) else {}


def _name(value: Any) -> str | None:
    return value[:MAX_NAME_CHARS] if isinstance(value, str) else None


def _text(value: dict[str, Any], key: str) -> str | None:
    text = value.get(key)
    if text is None:
        return None
    if not isinstance(text, str):
        raise ChangeError(f"'{key}' is not text")
    return text


def _feed_media(value: dict[str, Any], item: str) -> tuple[dict[str, str], ...]:
    media: list[dict[str, str]] = []
    if isinstance(value.get("photo"), str):
        media.append({"type": "photo", "url": value["photo"]})
    photos = value.get("photos")
    for url in photos if isinstance(photos, list) else []:
        if isinstance(url, str):
            media.append({"type": "photo", "url": url})
    if isinstance(value.get("video"), str):
        media.append({"type": "video", "url": value["video"]})
    link = value.get("link")
    if isinstance(link, str) and not media:
        media.append({"type": item if item in ("photo", "video") else "link", "url": link})
    return tuple(media)


def _interpret_feed(change: RawChange) -> Operation | Ignored:
    v = change.value
    item, verb = v.get("item"), v.get("verb")
    if not isinstance(item, str) or not isinstance(verb, str):
        raise ChangeError("feed change without 'item' and 'verb'")
    if len(verb) > MAX_VERB_CHARS:
        raise ChangeError(f"verb longer than {MAX_VERB_CHARS} characters")
    if item in ("reaction", "like"):
        return Ignored(f"{item} {verb}: reactions are counted by Facebook, not archived")

    post_id = platform_id(v.get("post_id"))
    object_id = platform_id(v.get("photo_id") or v.get("video_id") or v.get("share_id"))
    if item == "comment":
        pid = platform_id(v.get("comment_id"))
        if pid is None:
            raise ChangeError("comment change without 'comment_id'")
        parent = platform_id(v.get("parent_id")) or post_id
        kind = "reply" if parent is not None and parent != post_id else "comment"
    elif item in POST_ITEMS:
        pid = post_id or object_id
        if pid is None:
            raise ChangeError(f"{item} change without 'post_id'")
        parent, kind = None, "post"
    else:
        return Ignored(f"feed item {item!r} is not archived")

    author = _author(v)
    text = _text(v, "message")
    media = _feed_media(v, item)
    created = timestamp(v.get("created_time"))
    carries_content = verb in CONTENT_VERBS or text is not None or bool(media)
    if verb not in CONTENT_VERBS and verb not in STATE_VERBS:
        # An unknown verb is still a fact about the item: record it, change nothing.
        state_verb: str | None = verb
    else:
        state_verb = verb if verb in STATE_VERBS else None

    missing: list[str] = []
    if verb in CONTENT_VERBS:
        if author is None or author.name is None:
            missing.append("from")
        if text is None and not media:
            missing.append("message")
    return Operation(
        platform_id=pid,
        kind=kind,
        platform_type=item,
        verb=verb,
        # An add happened when the item was created, whichever batch brings it.
        occurred_at=(created if verb == "add" and created else change.entry_time or created),
        carries_content=carries_content,
        text=text,
        media=media,
        author=author,
        author_is_page=author is not None and author.platform_id == change.page_platform_id,
        post_platform_id=post_id,
        parent_platform_id=parent,
        object_platform_id=object_id,
        created_time=created if verb == "add" else None,
        state_verb=state_verb,
        missing=tuple(missing),
    )


def _messaging_media(message: dict[str, Any]) -> tuple[dict[str, str], ...]:
    media: list[dict[str, str]] = []
    attachments = message.get("attachments")
    for att in attachments if isinstance(attachments, list) else []:
        if not isinstance(att, dict):
            continue
        payload = att.get("payload")
        url = payload.get("url") if isinstance(payload, dict) else att.get("url")
        entry = {"type": str(att.get("type") or "file")}
        if isinstance(url, str):
            entry["url"] = url
        if isinstance(att.get("title"), str):
            entry["title"] = att["title"]
        media.append(entry)
    return tuple(media)


def _interpret_messaging(change: RawChange) -> Operation | Ignored:
    e = change.value
    sender = platform_id(_object(e, "sender").get("id"))
    recipient = platform_id(_object(e, "recipient").get("id"))
    at = timestamp(e.get("timestamp")) or change.entry_time
    page = change.page_platform_id

    if isinstance(e.get("message"), dict):
        m = e["message"]
        mid = platform_id(m.get("mid"))
        if mid is None:
            raise ChangeError("message without 'mid'")
        from_page = bool(m.get("is_echo")) or sender == page
        other = recipient if from_page else sender
        common = dict(
            platform_id=mid, kind="message", platform_type="message", occurred_at=at,
            author=AuthorRef(sender, None) if sender else None, author_is_page=from_page,
            object_platform_id=other,
        )
        if m.get("is_deleted"):
            return Operation(verb="remove", state_verb="remove", **common)
        reply_to = m.get("reply_to")
        parent = platform_id(reply_to.get("mid")) if isinstance(reply_to, dict) else None
        media = _messaging_media(m)
        missing = () if from_page or sender is None else ("from",)
        return Operation(
            verb="add", carries_content=True, text=_text(m, "text"), media=media,
            parent_platform_id=parent, created_time=at, missing=missing, **common,
        )
    if isinstance(e.get("message_edit"), dict):
        me = e["message_edit"]
        mid = platform_id(me.get("mid"))
        if mid is None:
            raise ChangeError("message_edit without 'mid'")
        return Operation(
            platform_id=mid, kind="message", platform_type="message", verb="edited",
            occurred_at=at, carries_content=True, text=_text(me, "text"),
            author=AuthorRef(sender, None) if sender else None, author_is_page=sender == page,
            object_platform_id=recipient if sender == page else sender,
        )
    kinds = sorted(k for k in e if k in MESSAGING_NOISE)
    if kinds:
        return Ignored(f"messaging {kinds[0]} event: nothing to archive")
    raise ChangeError("messaging event of an unknown kind")
