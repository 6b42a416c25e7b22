"""Web UI: the review queue, the item page, and the false positives per rule.

Comment text is hostile. It is only ever shown escaped: the highlighted words are made by
escaping every piece of the text and wrapping only the matched spans in <mark>, so the one
piece of markup in it is ours. Moderators see and act on their own unit's pages only; an
item of another unit answers 404, as one that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.api.deps import SessionDep, WriteSessionDep
from app.audit.models import AuditEntry
from app.content.models import Item, ItemKind, ItemStateEvent, ItemVersion
from app.moderation.models import (
    Action,
    MediaBlob,
    MediaStatus,
    RegistrationCase,
    Snapshot,
    SnapshotMedia,
)
from app.moderation.service import permalink
from app.pages.models import Page
from app.review import service
from app.review.models import FalsePositive, ItemNote, ReviewOutcome
from app.rules.models import ItemDecision
from app.rules.wordlists import CATEGORIES
from app.ui.auth import Principal
from app.ui.i18n import language, translator
from app.ui.rule_texts import ACTION_NAMES as DECISION_NAMES
from app.ui.rule_texts import CATEGORY_NAMES, DETECTOR_NAMES
from app.ui.web import CsrfUser, UiError, UiUser, may_act, redirect, render, visible_units

router = APIRouter(prefix="/ui", include_in_schema=False)

PER_PAGE = 50
EXCERPT_CHARS = 400  # a queue row shows this much of a long text
EXCERPT_LEAD = 80  # characters shown before the first highlighted word
POST_CHARS = 120  # of the post a comment is on
QUEUE_ROLES = (Role.moderator, Role.information_officer, Role.auditor)
ACTING_ROLES = (Role.moderator, Role.information_officer)
RASTER = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
NOT_FOUND = "Kommentaren finns inte."


def _(text: str) -> str:
    """Marks a text for translation (it is translated where it is shown)."""
    return text


STATE_NAMES = {"visible": _("Synlig"), "hidden": _("Dold"), "removed": _("Borttagen"),
               "blocked": _("Blockerad")}
KIND_NAMES = {"post": _("Inlägg"), "comment": _("Kommentar"), "reply": _("Svar"),
              "message": _("Meddelande")}
ACTION_NAMES = {"hide": _("Dölj"), "unhide": _("Återställ"), "delete": _("Ta bort")}
ACTION_STATUS = {"pending": _("Väntar"), "done": _("Utförd"), "cancelled": _("Avbruten"),
                 "failed": _("Misslyckades")}
CASE_STATUS = {"pending": _("Väntar hos registrator"), "registered": _("Registrerad"),
               "not_required": _("Behöver inte registreras")}
OUTCOME_NAMES = {"restored": _("Återställd"), "deleted": _("Borttagning bekräftad"),
                 "kept": _("Lämnad som den är"), "secret": _("Markerad som sekretess"),
                 "false_positive": _("Felaktig träff")}
# What the page says after each act (POST, then a redirect here with ?klart=...).
FLASH = {
    "restored": _("Kommentaren {item} återställs på Facebook. Det tar oftast någon minut."),
    "deleted": _("Kommentaren {item} tas bort från Facebook. Den finns kvar i arkivet."),
    "kept": _("Kommentaren {item} är granskad och lämnas som den är."),
    "secret": _("Kommentaren {item} är markerad som sekretess och skickad till registrator."),
    "false_positive": _("Träffarna för kommentaren {item} är markerade som felaktiga."),
    "false_positive_restored": _("Träffarna för kommentaren {item} är markerade som "
                                 "felaktiga och kommentaren återställs på Facebook."),
    "note": _("Anteckningen är sparad."),
}
# The service's refusals, shown on the error page as they are: listed here so that the
# check of translations sees them.
REFUSALS = (_("Kommentaren kan inte återställas nu."),
              _("Kommentaren kan inte tas bort nu."),
              _("Kommentaren väntar inte på granskning."),
              _("Kommentaren är redan hos registrator."),
              _("Det finns inga regelträffar att markera som felaktiga."),
              _("Skriv något i anteckningen."),
              _("Anteckningen är för lång (högst 4000 tecken)."))
STATE_FILTERS = ("hidden", "visible", "removed")
EVENT_NAMES = {"hide": _("Dold"), "unhide": _("Visas igen"), "remove": _("Borttagen"),
               "delete": _("Borttagen"), "block": _("Blockerad"), "unblock": _("Avblockerad"),
               "mute": _("Tystad"), "unmute": _("Inte längre tystad")}
SOURCE_NAMES = {"facebook": _("På Facebook"), "uppsikt": _("Av Uppsikt")}
ACT_NAMES = {
    "decision": _("Regelbeslut"), "snapshot.taken": _("Innehållet sparat"),
    "action.requested": _("Åtgärd begärd"), "action.done": _("Åtgärd utförd"),
    "action.cancelled": _("Åtgärd avbruten"), "alert.media_lost": _("Bild eller film gick inte "
                                                                     "att spara"),
    "registration.queued": _("Skickad till registrator"),
    "registration.marked_secret": _("Markerad som sekretess"),
    "registration.registered": _("Registrerad"),
    "registration.not_required": _("Behöver inte registreras"),
    "registration.change_refused": _("Ändring av registrering nekad"),
    "review.restored": _("Granskad: återställd"), "review.deleted": _("Granskad: tas bort"),
    "review.kept": _("Granskad: lämnad som den är"),
    "review.secret": _("Granskad: sekretess"),
    "review.false_positive": _("Granskad: felaktig träff"), "review.note": _("Anteckning"),
}


# --- access ---------------------------------------------------------------------------


def _queue_reader(principal: Principal) -> None:
    if principal.role not in QUEUE_ROLES:
        raise UiError(403, "Din roll får inte göra detta.")


def _visible_item(session: Session, principal: Principal, platform_id: str) -> tuple[Item, Page]:
    item = session.scalar(select(Item).where(Item.platform_id == platform_id))
    page = session.get(Page, item.page_id) if item is not None else None
    units = visible_units(principal)
    if item is None or page is None or (units is not None and page.unit not in units):
        raise UiError(404, NOT_FOUND)
    return item, page


def _withheld(principal: Principal, case: RegistrationCase | None) -> bool:
    """Secret content is for the registrar: moderators do not see its text or media."""
    return principal.role == Role.moderator and case is not None and case.secret


# --- text -----------------------------------------------------------------------------


def highlight(text: str, spans: Sequence[tuple[int, int]]) -> Markup:
    """``text`` escaped, with each span (merged, in order, inside the text) in <mark>."""
    out, at = [], 0
    for start, end in spans:
        out.append(escape(text[at:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def excerpt(text: str, spans: Sequence[tuple[int, int]],
            limit: int = EXCERPT_CHARS) -> tuple[Markup, bool]:
    """A window of a long text around its first highlighted word; whether it is cut."""
    if len(text) <= limit:
        return highlight(text, spans), False
    start = 0
    if spans:
        start = min(max(0, spans[0][0] - EXCERPT_LEAD), len(text) - limit)
    end = start + limit
    inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans
              if s < end and e > start]
    body = highlight(text[start:end], inside)
    return (Markup("…") if start else Markup("")) + body + \
        (Markup("…") if end < len(text) else Markup("")), True


# --- the queue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    item: Item
    page: Page
    kind: str
    author: str | None
    author_id: str | None
    text: Markup | None  # None: withheld (secret)
    cut: bool
    observed_at: Any
    categories: list[str]
    decision: str | None
    decision_id: int | None
    post_text: str | None
    post_id: str | None
    post_archived: bool
    link: str | None
    pending: list[str]  # actions waiting for the worker
    choices: service.Choices
    may_act: bool


def _latest_versions(session: Session, item_ids: list[int]) -> dict[int, ItemVersion]:
    latest: dict[int, ItemVersion] = {}
    for version in session.scalars(select(ItemVersion).where(ItemVersion.item_id.in_(item_ids))
                                   .order_by(ItemVersion.observed_at, ItemVersion.seq)):
        latest[version.item_id] = version
    return latest


def _rows(session: Session, principal: Principal,
          entries: list[service.QueueEntry]) -> list[Row]:
    if not entries:
        return []
    ids = [e.item_id for e in entries]
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids)))}
    pages = {p.id: p for p in session.scalars(
        select(Page).where(Page.id.in_({i.page_id for i in items.values()})))}
    decisions = {d.id: d for d in session.scalars(select(ItemDecision).where(
        ItemDecision.id.in_([e.decision_id for e in entries if e.decision_id is not None])))}
    decided_versions = {v.id: v for v in session.scalars(select(ItemVersion).where(
        ItemVersion.id.in_([d.item_version_id for d in decisions.values()])))}
    latest = _latest_versions(session, ids)
    cases = {c.item_id: c for c in session.scalars(
        select(RegistrationCase).where(RegistrationCase.item_id.in_(ids)))}
    pending: dict[int, list[str]] = {}
    for action in session.scalars(select(Action).where(Action.item_id.in_(ids),
                                                       Action.status == "pending")
                                  .order_by(Action.id)):
        pending.setdefault(action.item_id, []).append(action.kind)
    posts = _posts(session, principal, [i.post_platform_id for i in items.values()
                                        if i.post_platform_id and i.kind != ItemKind.post])
    rows = []
    for entry in entries:
        item, decision = items[entry.item_id], decisions.get(entry.decision_id or -1)
        page = pages[item.page_id]
        version = decided_versions.get(decision.item_version_id) if decision else None
        version = version or latest.get(item.id)
        text = (version.text or "") if version else ""
        case = cases.get(item.id)
        shown, cut = (None, False) if _withheld(principal, case) else excerpt(
            text, service.spans_of(service.matches_of(decision), len(text)))
        post_id = item.post_platform_id if item.kind != ItemKind.post else None
        rows.append(Row(
            item=item, page=page, kind=item.kind,
            author=item.author.name if item.author else None,
            author_id=item.author.platform_id if item.author else None,
            text=shown, cut=cut, observed_at=version.observed_at if version else None,
            categories=list(decision.categories) if decision else [],
            decision=decision.decision if decision else None,
            decision_id=decision.id if decision else None,
            post_text=posts.get(post_id) if post_id else None, post_id=post_id,
            post_archived=post_id in posts if post_id else False,
            link=permalink(item), pending=pending.get(item.id, []),
            choices=service.choices(session, item, decision, waiting=True, case=case),
            may_act=may_act(principal, page)))
    return rows


def _posts(session: Session, principal: Principal, post_ids: list[str]) -> dict[str, str]:
    """The start of each archived post's latest text (empty when withheld or none)."""
    if not post_ids:
        return {}
    posts = {p.id: p for p in session.scalars(select(Item).where(
        Item.platform_id.in_(set(post_ids))))}
    if not posts:
        return {}
    secret = set(session.scalars(select(RegistrationCase.item_id).where(
        RegistrationCase.item_id.in_(posts), RegistrationCase.secret.is_(True))))
    latest = _latest_versions(session, list(posts))
    out = {}
    for pk, post in posts.items():
        text = (latest[pk].text or "") if pk in latest else ""
        if principal.role == Role.moderator and pk in secret:
            text = ""
        out[post.platform_id] = text[:POST_CHARS] + ("…" if len(text) > POST_CHARS else "")
    return out


def _flash(request: Request, done: str | None, item: str | None) -> str | None:
    if done not in FLASH:
        return None
    if item is not None and (len(item) > 128 or not item.replace("_", "").isalnum()):
        item = None
    tr = translator(language(request))
    return tr(FLASH[done], item=item or "")


def _blank(value: str | None) -> str | None:
    return value if value else None


@router.get("/review", response_class=HTMLResponse)
def queue(request: Request, principal: UiUser, session: SessionDep,
          page_id: str | None = None, category: str | None = None, state: str | None = None,
          offset: int = 0, klart: str | None = None, kommentar: str | None = None
          ) -> HTMLResponse:
    """What waits for a person: hidden or flagged, newest first, 50 at a time."""
    _queue_reader(principal)
    page_id, category, state = _blank(page_id), _blank(category), _blank(state)
    if (category is not None and category not in CATEGORIES) or (
            state is not None and state not in STATE_FILTERS) or not 0 <= offset < 10**7 or (
            page_id is not None and len(page_id) > 128):
        raise UiError(422, "Felaktiga uppgifter i formuläret.")
    units = visible_units(principal)
    pages_query = select(Page).order_by(Page.name)
    if units is not None:
        pages_query = pages_query.where(Page.unit.in_(units))
    pages = list(session.scalars(pages_query))
    entries, total = service.queue_page(
        session, service.QueueFilters(units=units, page_platform_id=page_id,
                                      category=category, state=state),
        offset=offset, limit=PER_PAGE)
    filters = {k: v for k, v in (("page_id", page_id), ("category", category),
                                 ("state", state)) if v is not None}
    here = "/ui/review" + (f"?{urlencode({**filters, 'offset': offset})}" if filters or offset
                           else "")
    return render(
        request, "review/queue.html", principal, rows=_rows(session, principal, entries),
        total=total, offset=offset, per_page=PER_PAGE, pages=pages, filters=filters,
        page_id=page_id, category=category, state=state, here=here,
        previous_url=_page_url(filters, max(0, offset - PER_PAGE)) if offset > 0 else None,
        next_url=_page_url(filters, offset + PER_PAGE) if offset + PER_PAGE < total else None,
        flash=_flash(request, klart, kommentar), **_names())


def _page_url(filters: dict[str, str], offset: int) -> str:
    query = {**filters, **({"offset": str(offset)} if offset else {})}
    return "/ui/review" + (f"?{urlencode(query)}" if query else "")


def _names() -> dict[str, Any]:
    return {"category_names": CATEGORY_NAMES, "state_names": STATE_NAMES,
            "decision_names": DECISION_NAMES, "kind_names": KIND_NAMES,
            "action_names": ACTION_NAMES, "action_status": ACTION_STATUS,
            "case_status": CASE_STATUS, "outcome_names": OUTCOME_NAMES,
            "categories": CATEGORIES, "state_filters": STATE_FILTERS,
            "event_names": EVENT_NAMES, "source_names": SOURCE_NAMES, "act_names": ACT_NAMES,
            "rule_names": DETECTOR_NAMES}


# --- the item page --------------------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    version: ItemVersion
    text: Markup | None
    decision: ItemDecision | None
    matches: list[dict[str, Any]]


@dataclass(frozen=True)
class MediaView:
    media: SnapshotMedia
    blob: MediaBlob | None
    snapshot: Snapshot
    inline: bool


@router.get("/items/{platform_id}", response_class=HTMLResponse)
def item_page(request: Request, platform_id: str, principal: UiUser, session: SessionDep,
              klart: str | None = None, kommentar: str | None = None) -> HTMLResponse:
    """Everything known about one item: versions, decisions, actions, case, notes, audit."""
    item, page = _visible_item(session, principal, platform_id)
    case = session.scalar(select(RegistrationCase).where(RegistrationCase.item_id == item.id))
    withheld = _withheld(principal, case)
    decisions = {d.item_version_id: d for d in session.scalars(
        select(ItemDecision).where(ItemDecision.item_id == item.id))}
    versions = []
    for version in item.versions:
        decision = decisions.get(version.id)
        matches = service.matches_of(decision)
        text = version.text or ""
        versions.append(VersionView(
            version, None if withheld else highlight(text, service.spans_of(matches, len(text))),
            decision, [] if withheld else matches))
    latest = service.latest_decision(session, item)
    waiting = service.is_waiting(session, item)
    actions = list(session.scalars(select(Action).where(Action.item_id == item.id)
                                   .order_by(Action.id)))
    snapshots = {s.id: s for s in session.scalars(
        select(Snapshot).where(Snapshot.item_id == item.id))}
    media = [] if withheld else [
        MediaView(m, b, snapshots[m.snapshot_id],
                  b is not None and (b.mime or "") in RASTER)
        for m, b in session.execute(
            select(SnapshotMedia, MediaBlob)
            .outerjoin(MediaBlob, MediaBlob.sha256 == SnapshotMedia.blob_sha256)
            .where(SnapshotMedia.snapshot_id.in_(list(snapshots)))
            .order_by(SnapshotMedia.snapshot_id, SnapshotMedia.position))]
    audit_subjects = [("item", item.platform_id)]
    if case is not None:
        audit_subjects.append(("registration_case", str(case.id)))
    audit = [e for kind, subject in audit_subjects for e in session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == kind,
                                 AuditEntry.subject_id == subject))]
    audit.sort(key=lambda e: e.id)
    audit_rows = [(e, json.dumps(e.detail, ensure_ascii=False, sort_keys=True)) for e in audit]
    post = None
    if item.post_platform_id and item.kind != ItemKind.post:
        post = _posts(session, principal, [item.post_platform_id])
    return render(
        request, "review/item.html", principal, item=item, page=page, case=case,
        withheld=withheld, versions=versions, latest=latest, waiting=waiting,
        choices=service.choices(session, item, latest, waiting=waiting, case=case),
        may_act=may_act(principal, page), actions=actions, media=media,
        states=list(session.scalars(select(ItemStateEvent).where(
            ItemStateEvent.item_id == item.id)
            .order_by(ItemStateEvent.occurred_at, ItemStateEvent.id))),
        outcomes=list(session.scalars(select(ReviewOutcome).where(
            ReviewOutcome.item_id == item.id).order_by(ReviewOutcome.id))),
        notes=list(session.scalars(select(ItemNote).where(ItemNote.item_id == item.id)
                                   .order_by(ItemNote.id))),
        false_positives=list(session.scalars(select(FalsePositive).where(
            FalsePositive.item_id == item.id).order_by(FalsePositive.id))),
        audit=audit_rows, link=permalink(item),
        post_id=item.post_platform_id if item.kind != ItemKind.post else None,
        post_text=(post or {}).get(item.post_platform_id or ""),
        post_archived=bool(post) and item.post_platform_id in (post or {}),
        here=f"/ui/items/{item.platform_id}",
        flash=_flash(request, klart, kommentar), **_names())


@router.get("/items/{platform_id}/media/{media_id}")
def item_media(request: Request, platform_id: str, media_id: int, principal: UiUser,
               session: SessionDep) -> Response:
    """A preserved media file: raster images inline, anything else as a download."""
    item, _page = _visible_item(session, principal, platform_id)
    case = session.scalar(select(RegistrationCase).where(RegistrationCase.item_id == item.id))
    row = session.execute(
        select(SnapshotMedia, MediaBlob)
        .join(Snapshot, Snapshot.id == SnapshotMedia.snapshot_id)
        .join(MediaBlob, MediaBlob.sha256 == SnapshotMedia.blob_sha256)
        .where(SnapshotMedia.id == media_id, Snapshot.item_id == item.id,
               SnapshotMedia.status == MediaStatus.stored)).first()
    if row is None or _withheld(principal, case):
        raise UiError(404, "Filen finns inte.")
    blob: MediaBlob = row[1]
    root = Path(request.app.state.settings.media_dir).resolve()
    path = (root / blob.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise UiError(404, "Filen finns inte.")
    # SecurityHeaders adds X-Content-Type-Options: nosniff, the CSP and no-store to it.
    headers = {"X-Content-SHA256": blob.sha256}
    if (blob.mime or "") in RASTER:
        return FileResponse(path, media_type=blob.mime, headers=headers,
                            content_disposition_type="inline")
    return FileResponse(path, media_type="application/octet-stream", headers=headers,
                        filename=f"{blob.sha256}{_suffix(blob.mime)}")


def _suffix(mime: str | None) -> str:
    return {"image/svg+xml": ".svg", "video/mp4": ".mp4", "image/heic": ".heic",
            "application/pdf": ".pdf"}.get(mime or "", ".bin")


# --- acts -----------------------------------------------------------------------------


def _acting(session: Session, principal: Principal, platform_id: str) -> tuple[Item, Page]:
    """The item a person acts on: 404 if they cannot see it, 403 if they may not act."""
    item, page = _visible_item(session, principal, platform_id)
    if principal.role not in ACTING_ROLES or not may_act(principal, page):
        raise UiError(403, "Din roll får inte göra detta.")
    return item, page


def _back(back: str, item: Item) -> str:
    """Where to go after the act: the queue or the item page the form was on."""
    parts = urlsplit(back)
    ok = (not parts.scheme and not parts.netloc and all(32 < ord(c) < 127 for c in back)
          and "\\" not in back and (parts.path == "/ui/review"
                                    or parts.path == f"/ui/items/{item.platform_id}"))
    return back if ok else f"/ui/items/{item.platform_id}"


def _after(back: str, item: Item, done: str) -> Response:
    target = urlsplit(_back(back, item))
    query = [pair for pair in target.query.split("&") if pair and not pair.startswith(
        ("klart=", "kommentar="))]
    query.append(urlencode({"klart": done, "kommentar": item.platform_id}))
    return redirect(f"{target.path}?{'&'.join(query)}")


def _check_seen(session: Session, item: Item, seen: str) -> None:
    """The form was for the decision shown; a newer version means look again first."""
    latest = service.latest_decision(session, item)
    if seen != (str(latest.id) if latest else ""):
        raise UiError(409, "Kommentaren har ändrats sedan sidan visades. Titta på den igen.")


Back = Annotated[str, Form(max_length=2000)]
Seen = Annotated[str, Form(max_length=20)]


def _verdict(request: Request, platform_id: str, principal: Principal, session: Session,
             back: str, seen: str,
             act: Callable[[Session, Page, Item, str], service.Done]) -> Response:
    item, page = _acting(session, principal, platform_id)
    _check_seen(session, item, seen)
    try:
        done = act(session, page, item, principal.username)
    except service.Refused as exc:
        raise UiError(409, exc.message) from exc
    code = "false_positive_restored" if done.outcome == "false_positive" and done.restored \
        else str(done.outcome)
    return _after(back, item, code)


@router.post("/items/{platform_id}/restore")
def restore(request: Request, platform_id: str, principal: CsrfUser,
            session: WriteSessionDep, back: Back = "", seen: Seen = "") -> Response:
    return _verdict(request, platform_id, principal, session, back, seen,
                    lambda s, p, i, by: service.restore(s, p, i, by=by))


@router.post("/items/{platform_id}/delete")
def delete(request: Request, platform_id: str, principal: CsrfUser,
           session: WriteSessionDep, back: Back = "", seen: Seen = "") -> Response:
    return _verdict(request, platform_id, principal, session, back, seen,
                    lambda s, p, i, by: service.delete(s, p, i, by=by))


@router.post("/items/{platform_id}/keep")
def keep(request: Request, platform_id: str, principal: CsrfUser,
         session: WriteSessionDep, back: Back = "", seen: Seen = "") -> Response:
    return _verdict(request, platform_id, principal, session, back, seen,
                    lambda s, p, i, by: service.keep(s, i, by=by))


@router.post("/items/{platform_id}/secret")
def secret(request: Request, platform_id: str, principal: CsrfUser,
           session: WriteSessionDep, back: Back = "", seen: Seen = "") -> Response:
    return _verdict(request, platform_id, principal, session, back, seen,
                    lambda s, p, i, by: service.mark_secret(s, p, i, by=by))


@router.post("/items/{platform_id}/false-positive")
def false_positive(request: Request, platform_id: str, principal: CsrfUser,
                   session: WriteSessionDep, back: Back = "", seen: Seen = "") -> Response:
    return _verdict(request, platform_id, principal, session, back, seen,
                    lambda s, p, i, by: service.false_positive(s, p, i, by=by))


@router.post("/items/{platform_id}/notes")
def note(platform_id: str, principal: CsrfUser, session: WriteSessionDep,
         text: Annotated[str, Form(max_length=service.MAX_NOTE_CHARS * 2)] = "",
         back: Back = "") -> Response:
    item, _page = _acting(session, principal, platform_id)
    try:
        service.add_note(session, item, text, by=principal.username)
    except service.Refused as exc:
        raise UiError(422, exc.message) from exc
    return _after(back, item, "note")


# --- false positives per rule ---------------------------------------------------------


@router.get("/review/false-positives", response_class=HTMLResponse)
def false_positives(request: Request, principal: UiUser, session: SessionDep,
                    page_id: str | None = None) -> HTMLResponse:
    """How often each rule was marked wrong: the lists that need looking at."""
    _queue_reader(principal)
    page_id = _blank(page_id)
    if page_id is not None and len(page_id) > 128:
        raise UiError(422, "Felaktiga uppgifter i formuläret.")
    units = visible_units(principal)
    pages_query = select(Page).order_by(Page.name)
    if units is not None:
        pages_query = pages_query.where(Page.unit.in_(units))
    return render(request, "review/false_positives.html", principal,
                  counts=service.false_positive_counts(session, units=units,
                                                       page_platform_id=page_id),
                  pages=list(session.scalars(pages_query)), page_id=page_id, **_names())

