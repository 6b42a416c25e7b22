"""What a page showed at the end of a period: each post of the period with its comments and
replies, and comments of the period on older posts, every one as it stood then.

"As it stood" is read from the archive's history, not from the items' current columns: the
latest version observed by the end of the period, and the visibility of the latest state
event by then. An edit or a hide after the end does not show. An item that was created in
the period but first recorded after its end (a late webhook, a reconciliation) is shown
with its first recorded version, marked as such.

What a snapshot must not show is decided as for a records request (app/records/service.py):
secret content, and content a secrecy review has not yet cleared, is replaced by the
provision; a withheld sender is left out. Culled items are listed without content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.content.models import Item, ItemKind, ItemStateEvent, ItemVersion, Visibility
from app.moderation.models import MediaBlob, MediaStatus, Snapshot, SnapshotMedia
from app.pages.models import Page

# The withholding rules of a records request apply unchanged to a snapshot.
from app.records.service import _holds as withholding

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_CHUNK = 500
URL_SHOWN = 300  # characters of a media address shown; the rest is cut


def bounds(period_start: date, period_end: date) -> tuple[datetime, datetime]:
    """The period in UTC: from Swedish midnight at its first day to Swedish midnight after
    its last day (exclusive)."""
    start = datetime.combine(period_start, time(), STOCKHOLM).astimezone(UTC)
    end = datetime.combine(period_end + timedelta(days=1), time(), STOCKHOLM).astimezone(UTC)
    return start, end


@dataclass(frozen=True, slots=True)
class Medium:
    position: int
    kind: str  # photo | video | link | …
    url: str | None
    sha256: str | None  # stored file, if any
    size: int | None
    mime: str | None
    path: str | None  # relative to the media directory


@dataclass(slots=True)
class Entry:
    """One post, comment or reply as it stood at the end of the period."""

    platform_id: str
    kind: str
    parent_platform_id: str | None
    created_time: datetime | None
    author_name: str | None  # None: unknown or withheld
    author_withheld: str | None  # the provision, when the sender is withheld
    text: str | None  # None: culled or withheld
    content_withheld: str | None  # the provision, when the content is withheld
    state: str  # visible | hidden | removed | blocked, at the end of the period
    edited: bool  # the version shown is not the first
    recorded_late: bool  # first recorded after the period ended
    culled_at: datetime | None
    by_page: bool
    in_period: bool  # False: an older post shown for its comments of the period
    media: list[Medium] = field(default_factory=list)
    replies: list[Entry] = field(default_factory=list)


@dataclass
class Thread:
    post: Entry | None  # None: the post is not in the archive
    post_platform_id: str | None
    comments: list[Entry] = field(default_factory=list)


@dataclass
class PageContent:
    page_name: str
    page_platform_id: str
    unit: str
    period_start: date
    period_end: date
    threads: list[Thread] = field(default_factory=list)

    def entries(self) -> Iterable[Entry]:
        for thread in self.threads:
            if thread.post is not None:
                yield thread.post
            for comment in thread.comments:
                yield comment
                yield from comment.replies

    def counts(self) -> dict[str, int]:
        """Figures for the cover: what the period held, and how it stood at its end."""
        period = [e for e in self.entries() if e.in_period]
        return {
            "posts": sum(e.kind == ItemKind.post for e in period),
            "comments": sum(e.kind == ItemKind.comment for e in period),
            "replies": sum(e.kind == ItemKind.reply for e in period),
            "hidden": sum(e.state == Visibility.hidden for e in period),
            "removed": sum(e.state in (Visibility.removed, Visibility.blocked) for e in period),
            "culled": sum(e.culled_at is not None for e in period),
            "withheld": sum(e.content_withheld is not None for e in period),
            "media": sum(len(e.media) for e in period),
        }

    @property
    def items(self) -> int:
        return sum(1 for e in self.entries() if e.in_period)


def _when() -> Any:
    return func.coalesce(Item.created_time, Item.first_seen_at)


def page_content(session: Session, page: Page, period_start: date,
                 period_end: date) -> PageContent:
    start, end = bounds(period_start, period_end)
    when = _when()
    posts = list(session.scalars(
        select(Item).where(Item.page_id == page.id, Item.kind == ItemKind.post,
                           when >= start, when < end)))
    post_ids = [p.platform_id for p in posts]
    in_period_posts = set(post_ids)
    conditions = [when >= start]
    for chunk in _chunks(post_ids):
        conditions.append(Item.post_platform_id.in_(chunk))
    talk = list(session.scalars(
        select(Item).where(Item.page_id == page.id,
                           Item.kind.in_((ItemKind.comment, ItemKind.reply)),
                           when < end, or_(*conditions))))
    # Older posts that comments of the period were made on: shown for context.
    older = sorted({c.post_platform_id for c in talk if c.post_platform_id}
                   - in_period_posts)
    for chunk in _chunks(older):
        posts.extend(session.scalars(
            select(Item).where(Item.page_id == page.id, Item.platform_id.in_(chunk))))
    items = posts + talk
    entries = _entries(session, items, start, end)
    content = PageContent(page_name=page.name, page_platform_id=page.platform_id,
                          unit=page.unit, period_start=period_start, period_end=period_end)
    content.threads = _threads(posts, talk, entries, in_period_posts)
    return content


def _threads(posts: Sequence[Item], talk: Sequence[Item], entries: dict[int, Entry],
             in_period: set[str]) -> list[Thread]:
    by_post: dict[str | None, list[Item]] = defaultdict(list)
    for item in sorted(talk, key=_sort_key):
        by_post[item.post_platform_id].append(item)
    threads: list[Thread] = []
    known = set()
    for post in sorted(posts, key=_sort_key):
        known.add(post.platform_id)
        entry = entries[post.id]
        entry.in_period = post.platform_id in in_period
        threads.append(Thread(post=entry, post_platform_id=post.platform_id,
                              comments=_nest(by_post.get(post.platform_id, []), entries)))
    for post_id, items in by_post.items():
        if post_id not in known:  # comments whose post the archive does not hold
            threads.append(Thread(post=None, post_platform_id=post_id,
                                  comments=_nest(items, entries)))
    return threads


def _nest(items: Sequence[Item], entries: dict[int, Entry]) -> list[Entry]:
    """Comments in time order, each followed by its replies; a reply whose comment is not
    in the snapshot stands on its own."""
    tops = {i.platform_id: entries[i.id] for i in items if i.kind == ItemKind.comment}
    out: list[Entry] = []
    for item in items:
        entry = entries[item.id]
        if item.kind == ItemKind.comment:
            out.append(entry)
        elif item.parent_platform_id in tops:
            tops[item.parent_platform_id].replies.append(entry)
        else:
            out.append(entry)
    return out


def _sort_key(item: Item) -> tuple[datetime, str]:
    return (item.created_time or item.first_seen_at, item.platform_id)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i:i + _CHUNK]


def _entries(session: Session, items: Sequence[Item], start: datetime,
             end: datetime) -> dict[int, Entry]:
    ids = [i.id for i in items]
    versions: dict[int, list[ItemVersion]] = defaultdict(list)
    states: dict[int, str] = {}
    for chunk in _chunks(ids):
        for version in session.scalars(
                select(ItemVersion).where(ItemVersion.item_id.in_(chunk))
                .order_by(ItemVersion.observed_at, ItemVersion.seq)):
            versions[version.item_id].append(version)
        for event in session.scalars(
                select(ItemStateEvent).where(ItemStateEvent.item_id.in_(chunk),
                                             ItemStateEvent.state.is_not(None),
                                             ItemStateEvent.occurred_at < end)
                .order_by(ItemStateEvent.occurred_at, ItemStateEvent.id)):
            states[event.item_id] = event.state or Visibility.visible
    holds = withholding(session, set(ids))
    chosen: dict[int, tuple[ItemVersion | None, bool]] = {}
    for item in items:
        history = versions.get(item.id, [])
        by_end = [v for v in history if v.observed_at < end]
        if by_end:
            chosen[item.id] = (by_end[-1], False)
        else:
            chosen[item.id] = (history[0] if history else None, bool(history))
    stored = _stored_media(session, [v.id for v, _ in chosen.values() if v is not None])
    out: dict[int, Entry] = {}
    for item in items:
        version, late = chosen[item.id]
        hold = holds.get(item.id)
        culled = item.culled_at is not None
        content_withheld = hold.content if hold and not culled else None
        sender_withheld = hold.sender if hold and not culled else None
        hide_content = culled or content_withheld is not None
        entry = Entry(
            platform_id=item.platform_id, kind=item.kind,
            parent_platform_id=item.parent_platform_id, created_time=item.created_time,
            author_name=None if (culled or sender_withheld) or item.author is None
            else item.author.name,
            author_withheld=sender_withheld,
            text=None if hide_content or version is None else (version.text or ""),
            content_withheld=content_withheld,
            state=states.get(item.id, Visibility.visible), edited=bool(
                version is not None and version.seq > 1 and not hide_content),
            recorded_late=late, culled_at=item.culled_at, by_page=item.by_page,
            in_period=True)
        if version is not None and not hide_content:
            entry.media = [_medium(position, medium, stored.get((version.id, position)))
                           for position, medium in enumerate(version.media or [])]
        out[item.id] = entry
    return out


def _medium(position: int, medium: dict[str, Any], blob: MediaBlob | None) -> Medium:
    url = medium.get("url")
    return Medium(position=position, kind=str(medium.get("type") or "media"),
                  url=str(url)[:URL_SHOWN] if url else None,
                  sha256=blob.sha256 if blob else None, size=blob.size if blob else None,
                  mime=blob.mime if blob else None, path=blob.path if blob else None)


def _stored_media(session: Session,
                  version_ids: Sequence[int]) -> dict[tuple[int, int], MediaBlob]:
    """The stored files of these versions, by (version id, position)."""
    found: dict[tuple[int, int], MediaBlob] = {}
    for chunk in _chunks(list(version_ids)):
        rows = session.execute(
            select(Snapshot.item_version_id, SnapshotMedia.position, MediaBlob)
            .join(SnapshotMedia, SnapshotMedia.snapshot_id == Snapshot.id)
            .join(MediaBlob, MediaBlob.sha256 == SnapshotMedia.blob_sha256)
            .where(Snapshot.item_version_id.in_(chunk),
                   SnapshotMedia.status == MediaStatus.stored))
        for version_id, position, blob in rows:
            found.setdefault((version_id, position), blob)
    return found
