"""The e-archive export: registered cases as one CITS ERMS 3.0 document (Riksarkivet's FGS
Ärendehantering 2.0), with the preserved content and its media. docs/ERMS.md has the
mapping and the package layout.

One aggregation (``caseFile``) per registered case, objectId = diarienummer, holding one
record: the registered comment, post or message as it was preserved. Media files are not
embedded: a record's appendix points at ``media/<sha256>`` in the package, and the file's
SHA-256, size and MIME type are listed beside it.

The document is written case by case to a binary stream (cases loaded in keyset batches),
so an export of any size needs memory for one batch, not for the whole document.
"""

from __future__ import annotations

import base64
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import chain
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.content.models import Item, ItemKind
from app.core.db import utcnow
from app.core.errors import AppError
from app.moderation.models import CaseStatus, MediaBlob, MediaStatus, RegistrationCase, \
    Snapshot, SnapshotMedia
from app.moderation.service import snapshot_content
from app.pages.models import Page

NS = "https://DILCIS.eu/XML/ERMS"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "ERMS_v3.xsd"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
SYSTEM = "Uppsikt"
BATCH = 500
# Stable identifiers: the same case gets the same systemIdentifier in every export.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:uppsikt:erms")
# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# What a case's restrictions say (in Swedish: the archive's readers are Swedish).
_SECRET = "Innehållet omfattas av sekretess."
_SENDER_WITHHELD = "Avsändaren utelämnas i det offentliga registret (OSL 5 kap. 2 §)."
_DESCRIPTION_WITHHELD = "Ärendemeningen utelämnas i det offentliga registret (OSL 5 kap. 2 §)."
_NO_PROVISION = "Ej angiven vid registreringen"
_RECORD_TITLE = {
    ItemKind.post: "Inlägg på Facebooksidan {}",
    ItemKind.comment: "Kommentar på Facebooksidan {}",
    ItemKind.reply: "Svar på en kommentar på Facebooksidan {}",
    ItemKind.message: "Meddelande till Facebooksidan {}",
}


class NothingToExport(AppError):
    """The schema needs at least one aggregation: an empty period has no valid document."""

    def __init__(self, message: str) -> None:
        super().__init__(404, message, code="nothing_to_export")


def parse_day(value: str) -> date:
    """A calendar day written YYYY-MM-DD; ValueError otherwise."""
    try:
        if _DAY.fullmatch(value):
            return date.fromisoformat(value)  # refuses 2026-02-30
    except ValueError:
        pass
    raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD")


def period(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """Whole days in Swedish time, as a UTC interval [start, end)."""
    if date_from > date_to:
        raise AppError(422, f"the period starts ({date_from}) after it ends ({date_to})")
    start = datetime.combine(date_from, time(), STOCKHOLM)
    end = datetime.combine(date_to + timedelta(days=1), time(), STOCKHOLM)
    return start, end


@dataclass(frozen=True)
class MediaFile:
    """A media file the document refers to: ``path`` is relative to the media directory,
    ``name`` is its place in the package."""

    sha256: str
    size: int
    mime: str | None
    path: str

    @property
    def name(self) -> str:
        return f"media/{self.sha256}"


@dataclass
class ExportResult:
    cases: int = 0
    media: dict[str, MediaFile] = field(default_factory=dict)  # by SHA-256, deduplicated
    missing: set[str] = field(default_factory=set)  # stored blobs whose file is gone


@dataclass(frozen=True)
class _Case:
    case: RegistrationCase
    snapshot: Snapshot
    item: Item
    page: Page
    media: list[tuple[SnapshotMedia, MediaBlob | None]]


def build_erms(session: Session, *, date_from: date, date_to: date,
               page_platform_id: str | None, media_dir: Path, include_media: bool = True,
               exported_at: datetime | None = None) -> bytes:
    """The whole document in memory; see ``write_erms`` to stream it to a file."""
    buffer = io.BytesIO()
    write_erms(session, buffer, date_from=date_from, date_to=date_to,
               page_platform_id=page_platform_id, media_dir=media_dir,
               include_media=include_media, exported_at=exported_at)
    return buffer.getvalue()


def write_erms(session: Session, out: IO[bytes], *, date_from: date, date_to: date,
               page_platform_id: str | None, media_dir: Path, include_media: bool = True,
               exported_at: datetime | None = None) -> ExportResult:
    """Write the ERMS document for the cases registered in [date_from, date_to] (whole
    days, Europe/Stockholm), optionally of one page. Raises NothingToExport, before
    writing anything, when there is no such case."""
    start, end = period(date_from, date_to)
    if page_platform_id is not None and session.scalar(
            select(Page.id).where(Page.platform_id == page_platform_id)) is None:
        raise AppError(404, f"no page {page_platform_id}")
    batches = _batches(session, start, end, page_platform_id)
    first = next(batches, [])
    if not first:
        where = f" of page {page_platform_id}" if page_platform_id else ""
        raise NothingToExport(f"no cases{where} registered from {date_from} to {date_to}")

    result = ExportResult()
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    # Elements are built without a namespace and written inside the root's default
    # namespace, so each case can be serialised on its own.
    out.write(f'<erms xmlns="{NS}">\n'.encode())
    out.write(_serialise(_control(date_from, date_to, page_platform_id,
                                  exported_at or utcnow()), level=1))
    out.write(b"  <aggregations>\n")
    for batch in chain([first], batches):
        for row in batch:
            element = _aggregation(row, result, media_dir=media_dir,
                                   include_media=include_media)
            out.write(_serialise(element, level=2))
            result.cases += 1
    out.write(b"  </aggregations>\n</erms>\n")
    return result


def _batches(session: Session, start: datetime, end: datetime,
             page_platform_id: str | None) -> Iterator[list[_Case]]:
    """Registered cases in order of registration, BATCH at a time (keyset, so each batch
    costs the same however far into the period it is)."""
    rc = RegistrationCase
    query = (select(rc, Snapshot, Item, Page)
             .join(Snapshot, Snapshot.id == rc.snapshot_id)
             .join(Item, Item.id == rc.item_id)
             .join(Page, Page.id == Item.page_id)
             .where(rc.status == CaseStatus.registered, rc.decided_at >= start,
                    rc.decided_at < end)
             .order_by(rc.decided_at, rc.id)
             .limit(BATCH))
    if page_platform_id is not None:
        query = query.where(Page.platform_id == page_platform_id)
    after: tuple[datetime, int] | None = None
    while True:
        page_query = query
        if after is not None:
            page_query = query.where(or_(rc.decided_at > after[0],
                                         and_(rc.decided_at == after[0], rc.id > after[1])))
        rows = session.execute(page_query).all()
        if not rows:
            return
        media = _media(session, [snap.id for _case, snap, _item, _page in rows])
        yield [_Case(case, snap, item, page, media.get(snap.id, []))
               for case, snap, item, page in rows]
        last = rows[-1][0]
        after = (last.decided_at, last.id)
        if len(rows) < BATCH:
            return


def _media(session: Session, snapshot_ids: Sequence[int],
           ) -> dict[int, list[tuple[SnapshotMedia, MediaBlob | None]]]:
    found: dict[int, list[tuple[SnapshotMedia, MediaBlob | None]]] = {}
    rows = session.execute(
        select(SnapshotMedia, MediaBlob)
        .outerjoin(MediaBlob, MediaBlob.sha256 == SnapshotMedia.blob_sha256)
        .where(SnapshotMedia.snapshot_id.in_(snapshot_ids))
        .order_by(SnapshotMedia.snapshot_id, SnapshotMedia.position))
    for medium, blob in rows:
        found.setdefault(medium.snapshot_id, []).append((medium, blob))
    return found


# -- elements ---------------------------------------------------------------------------
def _serialise(element: ET.Element, *, level: int) -> bytes:
    ET.indent(element, space="  ", level=level)
    return ("  " * level + ET.tostring(element, encoding="unicode") + "\n").encode("utf-8")


def _clean(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrib: Any) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrib.items()
                                          if v is not None})
    if text is not None:
        element.text = _clean(text)
    return element


def _when(value: datetime) -> str:
    return value.astimezone(STOCKHOLM).isoformat(timespec="seconds")


def _control(date_from: date, date_to: date, page_platform_id: str | None,
             exported_at: datetime) -> ET.Element:
    control = ET.Element("control")
    _sub(control, "identification", SYSTEM, identificationType="deliveringSystem")
    _sub(control, "identification", f"{date_from.isoformat()}/{date_to.isoformat()}",
         identificationType="registrationPeriod")
    if page_platform_id is not None:
        _sub(control, "identification", page_platform_id, identificationType="facebookPageId")
    maintenance = _sub(control, "maintenanceInformation")
    _sub(maintenance, "maintenanceStatus", value="new")
    _sub(_sub(maintenance, "maintenanceAgency"), "agencyName", SYSTEM)
    event = _sub(_sub(maintenance, "maintenanceHistory"), "maintenanceEvent")
    _sub(event, "eventType", value="created")
    _sub(event, "eventDateTime", _when(exported_at))
    _sub(_sub(event, "agent", agentType="deliverer"), "name", SYSTEM)
    return control


def _identifier(kind: str, key: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{kind}:{key}"))


def _restrictions(parent: ET.Element, case: RegistrationCase, *, description: bool) -> None:
    texts = []
    if case.secret or case.secrecy_provision:
        texts.append(_SECRET)
    if case.withhold_sender:
        texts.append(_SENDER_WITHHELD)
    if description and case.withhold_description:
        texts.append(_DESCRIPTION_WITHHELD)
    for text in texts:
        restriction = _sub(parent, "restriction", restrictionType="confidential")
        _sub(restriction, "explanatoryText", text)
        _sub(restriction, "regulation", case.secrecy_provision or _NO_PROVISION)
        if case.decided_at is not None:
            _sub(_sub(restriction, "dates"), "date", _when(case.decided_at),
                 dateType="confidentiality_assessed")


def _sender(parent: ET.Element, agent_type: str, row: _Case) -> None:
    name = row.case.sender or row.snapshot.sender_name
    facebook_id = row.snapshot.sender_platform_id
    if name is None and facebook_id is None:
        return
    agent = _sub(parent, "agent", agentType=agent_type)
    _sub(agent, "name", name or f"Facebookanvändare {facebook_id}")
    if facebook_id is not None:
        _sub(agent, "idNumber", facebook_id, idNumberType="facebookUserId")


def _page_agent(parent: ET.Element, agent_type: str, page: Page) -> None:
    attrib = {"otherAgentType": "facebook_page"} if agent_type == "other" else {}
    agent = _sub(parent, "agent", agentType=agent_type, **attrib)
    _sub(agent, "name", page.name)
    _sub(agent, "organisation", page.unit)
    _sub(agent, "idNumber", page.platform_id, idNumberType="facebookPageId")


def _dates(parent: ET.Element, dates: list[tuple[str, datetime | None]]) -> None:
    present = [(kind, value) for kind, value in dates if value is not None]
    if present:
        element = _sub(parent, "dates")
        for kind, value in present:
            _sub(element, "date", _when(value), dateType=kind)


def _aggregation(row: _Case, result: ExportResult, *, media_dir: Path,
                 include_media: bool) -> ET.Element:
    case, snap, item = row.case, row.snapshot, row.item
    assert case.diarienummer is not None and case.decided_at is not None  # registered
    created = snap.created_time or item.created_time
    aggregation = ET.Element("aggregation", {
        "systemIdentifier": _identifier("case", item.platform_id),
        "aggregationType": "caseFile"})
    _sub(aggregation, "objectId", case.diarienummer)
    _sub(aggregation, "extraId", case.id, extraIdType="deliveringSystemId")
    if case.description is not None:
        _sub(aggregation, "title", case.description)
    _restrictions(aggregation, case, description=True)
    agents = _sub(aggregation, "agents")
    if case.decided_by is not None:
        registrar = _sub(agents, "agent", agentType="creator")
        _sub(registrar, "name", case.decided_by)
        _sub(registrar, "idNumber", case.decided_by, idNumberType="username")
        _sub(registrar, "role", "registrator")
    _sender(agents, "counterpart", row)
    _page_agent(agents, "other", row.page)
    _dates(aggregation, [("created", created), ("received", case.received_at),
                         ("opened", case.decided_at)])
    notes = _sub(aggregation, "notes")
    _sub(notes, "note", case.reason, noteType="queueReason")
    _sub(notes, "note", case.source, noteType="caseSource")
    record = ET.SubElement(aggregation, "record", {
        "systemIdentifier": _identifier("snapshot", f"{item.platform_id}:{snap.sha256}"),
        "recordType": item.kind, "recordPhysicalOrDigital": "digital"})
    _record(record, row, result, media_dir=media_dir, include_media=include_media)
    return aggregation


def _record(record: ET.Element, row: _Case, result: ExportResult, *, media_dir: Path,
            include_media: bool) -> None:
    case, snap, item, page = row.case, row.snapshot, row.item, row.page
    _sub(record, "objectId", f"{case.diarienummer}:1")
    _sub(record, "extraId", item.platform_id, extraIdType="facebookId")
    _sub(record, "extraId", snap.id, extraIdType="snapshotId")
    title = _RECORD_TITLE.get(item.kind, "Innehåll på Facebooksidan {}")
    _sub(record, "title", title.format(page.name))
    _sub(record, "status", value="received")
    _sub(record, "runningNumber", 1)
    _restrictions(record, case, description=False)
    _sub(record, "direction", directionDefinition="outgoing" if item.by_page else "incoming")
    agents = _sub(record, "agents")
    _sender(agents, "sender", row)
    _page_agent(agents, "receiver", page)
    _dates(record, [("created", snap.created_time or item.created_time),
                    ("received", case.received_at), ("originated", case.decided_at),
                    ("captured", snap.taken_at)])
    if snap.sender_missing:
        _sub(_sub(record, "notes"), "note", snap.sender_missing, noteType="senderMissing")
    info = _sub(record, "additionalInformation")
    files = _media_files(row, result, media_dir=media_dir, include_media=include_media)
    for position, kind, blob in files:
        if blob is not None:
            _sub(info, "appendix", name=f"{kind or 'media'} {position + 1}", path=blob.name,
                 fileFormat=blob.mime,
                 description=f"SHA-256 {blob.sha256}, {blob.size} bytes")
    _snapshot(info, row, result)


def _media_files(row: _Case, result: ExportResult, *, media_dir: Path, include_media: bool,
                 ) -> list[tuple[int, str | None, MediaFile | None]]:
    """(position, kind, file in the package) for each stored medium with its file."""
    files: list[tuple[int, str | None, MediaFile | None]] = []
    if not include_media:
        return files
    for medium, blob in row.media:
        if blob is None:
            continue
        packed = result.media.get(blob.sha256)
        if packed is None and blob.sha256 not in result.missing:
            if (media_dir / blob.path).is_file():
                packed = result.media[blob.sha256] = MediaFile(blob.sha256, blob.size,
                                                               blob.mime, blob.path)
            else:
                result.missing.add(blob.sha256)
        files.append((medium.position, medium.kind, packed))
    return files


def _own(parent: ET.Element, name: str, value: Any, **attrib: Any) -> None:
    """An ownElement with a value; text XML cannot carry goes in base64 of its UTF-8."""
    if value is None:
        return
    text = value if isinstance(value, str) else str(value)
    if _NOT_XML.search(text):
        attrib = {**attrib, "dataType": "base64Binary"}
        text = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")
    _sub(_sub(parent, "ownElement", name=name, **attrib), "value", text)


def _snapshot(info: ET.Element, row: _Case, result: ExportResult) -> None:
    snap = row.snapshot
    own = _sub(info, "ownElement")
    _sub(own, "ownElementDescription",
         f"{SYSTEM}: the content as preserved (snapshot {snap.id}) before it was acted on")
    _own(own, "text", snap.text, dataType="string")
    _own(own, "senderName", snap.sender_name)
    _own(own, "senderFacebookId", snap.sender_platform_id)
    _own(own, "itemFacebookId", snap.item_platform_id)
    _own(own, "itemKind", row.item.kind)
    _own(own, "pageFacebookId", snap.page_platform_id)
    _own(own, "postFacebookId", snap.post_platform_id)
    _own(own, "parentFacebookId", snap.parent_platform_id)
    _own(own, "permalink", snap.permalink, dataType="anyURI")
    for name, value in (("createdTime", snap.created_time), ("observedAt", snap.observed_at),
                        ("takenAt", snap.taken_at)):
        if value is not None:
            _own(own, name, _when(value), dataType="dateTime")
    _own(own, "takenBy", snap.taken_by)
    _own(own, "reason", snap.reason)
    if snap.decision is not None:
        _own(own, "decision", json.dumps(snap.decision, ensure_ascii=False, sort_keys=True),
             format="application/json")
    _own(own, "snapshotSha256", snap.sha256, format="hex")
    # The exact JSON the snapshot's SHA-256 was computed over: the archive can check it.
    urls = [medium.url for medium, _blob in row.media]
    _own(own, "snapshotContent",
         json.dumps(snapshot_content(snap, urls), sort_keys=True, ensure_ascii=False,
                    separators=(",", ":")), format="application/json")
    if row.media:
        media = _sub(own, "ownElement", name="media")
        for medium, blob in row.media:
            _media_element(media, medium, blob, result)


def _media_element(parent: ET.Element, medium: SnapshotMedia, blob: MediaBlob | None,
                   result: ExportResult) -> None:
    properties: list[tuple[str, Any, str | None]] = [
        ("position", medium.position, "integer"), ("kind", medium.kind, None)]
    if blob is None:
        properties.append(("status", medium.status, None))
        if medium.status == MediaStatus.not_media:
            properties.append(("url", medium.url, "anyURI"))  # a shared link: the content
    else:
        packed = result.media.get(blob.sha256)
        status = "missing" if blob.sha256 in result.missing else medium.status
        properties += [("status", status, None), ("sha256", blob.sha256, None),
                       ("size", blob.size, "integer"), ("mimeType", blob.mime, None),
                       ("path", packed.name if packed else None, None)]
    element = _sub(_sub(parent, "ownElement", name="file"), "property")
    for name, value, data_type in properties:
        if value is not None:
            _sub(_sub(element, "attribute", name=name, dataType=data_type), "value", value)
