"""A records request (begäran om allmän handling): what a search found, as a package a
registrar can hand to a member of the public, with secret content left out or masked and
a list of what was withheld and under which provision.

What is withheld is decided per item, from the registrar's work and the rules:

* an item a registration case holds secret: its content, under the case's provision
  (or, while the case is pending, as awaiting the secrecy review);
* an item whose case is still pending (a direct message, something a moderator sent): its
  content, awaiting the registrar's review, since it may be secret;
* an item the rules flagged as possibly secret with no case deciding otherwise: its
  content, awaiting a review;
* a registered item whose record withholds the sender: the sender, under the provision.

A case closed as not requiring registration, or registered as not secret, releases the
content. Every version of a withheld item is withheld alike.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.content.models import Author, Item, ItemKind, ItemVersion, Visibility
from app.core.csvsafe import csv_text
from app.core.errors import AppError
from app.core.pdf import PdfDocument
from app.moderation.models import CaseStatus, RegistrationCase
from app.moderation.service import permalink
from app.pages.models import Page
from app.rules.models import ItemDecision
from app.search.service import SearchFilters, matching_versions, query_terms

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MAX_RECORDS = 10_000
PENDING_REVIEW = "Sekretessprövning pågår (ärendet väntar hos registrator)"
RULES_FLAGGED = "Sekretessprövning ej gjord (möjlig sekretess enligt reglerna)"
PROVISION_MISSING = "Sekretess enligt registreringen (bestämmelse ej angiven)"
APPEAL_NOTICE = (
    "Uppgifter som inte lämnas ut anges i förteckningen ovan med den bestämmelse som "
    "tillämpats. Du kan begära att myndigheten prövar frågan och fattar ett skriftligt "
    "beslut; ett sådant beslut kan överklagas (6 kap. 7 § offentlighets- och "
    "sekretesslagen).")

KIND_SV = {ItemKind.post: "Inlägg", ItemKind.comment: "Kommentar", ItemKind.reply: "Svar",
           ItemKind.message: "Meddelande"}
STATE_SV = {Visibility.visible: "synlig", Visibility.hidden: "dold",
            Visibility.removed: "borttagen", Visibility.blocked: "blockerad"}
WHAT_CONTENT = "innehåll"
WHAT_SENDER = "avsändare"
WHAT_WHOLE = "hela handlingen"


class SecretItems(StrEnum):
    mask = "mask"  # the record is listed, its secret parts masked
    omit = "omit"  # the record is left out of the package (and listed as withheld)


@dataclass(frozen=True, slots=True)
class Record:
    number: int  # the record's number in the package, 1…
    item_id: str
    page_id: str
    page_name: str
    kind: str
    state: str
    version_seq: int
    observed_at: datetime
    created_time: datetime | None
    author_id: str | None  # None: withheld or unknown
    author_name: str | None
    text: str | None  # None: withheld
    diarienummer: str | None
    link: str | None
    content_withheld: str | None  # the provision, when the content is masked
    sender_withheld: str | None


@dataclass(frozen=True, slots=True)
class Withheld:
    item_id: str
    version_seq: int
    observed_at: datetime
    kind: str
    what: str  # WHAT_*
    provision: str
    diarienummer: str | None
    record_number: int | None  # where it stands masked in the package; None: left out


@dataclass
class RecordsRequest:
    reference: str | None
    made_by: str
    made_at: datetime
    criteria: dict[str, Any]
    secret_items: SecretItems
    records: list[Record] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Hold:
    content: str | None = None  # provision under which the content is withheld
    sender: str | None = None
    diarienummer: str | None = None


def criteria_of(filters: SearchFilters) -> dict[str, Any]:
    """The search as asked, for the package's cover and its manifest (no None values)."""
    out: dict[str, Any] = {}
    for name in ("q", "page_ids", "date_from", "date_to", "author", "kind", "category",
                 "state", "registered", "secret"):
        value = getattr(filters, name)
        if value is None or value == [] or value == ():
            continue
        out[name] = value.isoformat() if hasattr(value, "isoformat") else (
            list(value) if isinstance(value, (list, tuple)) else value)
    return out


def collect(session: Session, filters: SearchFilters, *, made_by: str,
            reference: str | None = None, secret_items: SecretItems = SecretItems.mask,
            now: datetime | None = None, max_records: int = MAX_RECORDS) -> RecordsRequest:
    """Every version the search finds, oldest first, with what must be withheld.

    More than ``max_records`` versions is refused (422): the request must be narrowed."""
    terms = query_terms(filters.q)
    postgres = session.get_bind().dialect.name == "postgresql"
    stmt = matching_versions(
        select(ItemVersion.id, ItemVersion.seq, ItemVersion.text, ItemVersion.observed_at,
               Item, Page.platform_id.label("page_id"), Page.name.label("page_name"),
               Author.platform_id.label("author_id"), Author.name.label("author_name")),
        filters, terms, postgres,
    ).order_by(ItemVersion.observed_at, ItemVersion.id).limit(max_records + 1)
    rows = session.execute(stmt).all()
    if len(rows) > max_records:
        raise AppError(422, f"the search finds more than {max_records} versions: narrow it "
                            "(dates, page, words) and make several packages")
    holds = _holds(session, {row.Item.id for row in rows})
    request = RecordsRequest(reference=reference, made_by=made_by,
                             made_at=now or datetime.now(UTC), criteria=criteria_of(filters),
                             secret_items=secret_items)
    for row in rows:
        item: Item = row.Item
        hold = holds.get(item.id, _Hold())
        leave_out = hold.content is not None and secret_items == SecretItems.omit
        number = None if leave_out else len(request.records) + 1
        what = _what(hold, leave_out)
        if what is not None:
            request.withheld.append(Withheld(
                item_id=item.platform_id, version_seq=row.seq, observed_at=row.observed_at,
                kind=item.kind, what=what, provision=hold.content or hold.sender or "",
                diarienummer=hold.diarienummer, record_number=number))
        if number is None:
            continue
        request.records.append(Record(
            number=number, item_id=item.platform_id, page_id=row.page_id,
            page_name=row.page_name, kind=item.kind, state=item.state,
            version_seq=row.seq, observed_at=row.observed_at, created_time=item.created_time,
            author_id=None if hold.sender else row.author_id,
            author_name=None if hold.sender else row.author_name,
            text=None if hold.content else (row.text or ""),
            diarienummer=hold.diarienummer, link=permalink(item),
            content_withheld=hold.content, sender_withheld=hold.sender))
    return request


def _what(hold: _Hold, leave_out: bool) -> str | None:
    if leave_out:
        return WHAT_WHOLE
    parts = [what for what, provision in ((WHAT_CONTENT, hold.content),
                                          (WHAT_SENDER, hold.sender)) if provision]
    return " och ".join(parts) or None


def _holds(session: Session, item_ids: set[int]) -> dict[int, _Hold]:
    """What must be withheld of each item, by its primary key."""
    holds: dict[int, _Hold] = {}
    ids = sorted(item_ids)
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        cases = {case.item_id: case for case in session.scalars(
            select(RegistrationCase).where(RegistrationCase.item_id.in_(chunk)))}
        flagged = {item_id for item_id, categories in session.execute(
            select(ItemDecision.item_id, ItemDecision.categories)
            .where(ItemDecision.item_id.in_(chunk))) if "secret" in (categories or [])}
        for item_id in chunk:
            hold = _hold(cases.get(item_id), item_id in flagged)
            if hold is not None:
                holds[item_id] = hold
    return holds


def _hold(case: RegistrationCase | None, flagged: bool) -> _Hold | None:
    # Until the registrar has reviewed it, the sender is withheld with the content.
    if case is None:
        return _Hold(content=RULES_FLAGGED, sender=RULES_FLAGGED) if flagged else None
    if case.status == CaseStatus.pending:
        return _Hold(content=PENDING_REVIEW, sender=PENDING_REVIEW)
    if case.status == CaseStatus.not_required:
        return None
    provision = case.secrecy_provision or PROVISION_MISSING
    return _Hold(content=provision if case.secret else None,
                 sender=provision if case.withhold_sender else None,
                 diarienummer=case.diarienummer)


# The package --------------------------------------------------------------------------------

RECORD_FIELDS = ("nr", "objekt_id", "sida_id", "sida", "typ", "version", "observerad",
                 "skapad", "status", "avsandare_id", "avsandare", "text", "diarienummer",
                 "lank", "innehall_undantaget_enligt", "avsandare_undantagen_enligt")
WITHHELD_FIELDS = ("objekt_id", "version", "observerad", "typ", "vad", "bestammelse",
                   "diarienummer", "nr_i_paketet")


def local(at: datetime | None) -> str:
    """A time as a Swede reads it: Swedish local time, to the minute."""
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def masked(provision: str) -> str:
    return f"[Uppgiften lämnas inte ut: {provision}]"


def records_csv(request: RecordsRequest) -> str:
    return csv_text(RECORD_FIELDS, (
        (r.number, r.item_id, r.page_id, r.page_name, KIND_SV.get(r.kind, r.kind),
         r.version_seq, local(r.observed_at), local(r.created_time),
         STATE_SV.get(r.state, r.state), r.author_id or "",
         r.author_name if r.sender_withheld is None else masked(r.sender_withheld),
         r.text if r.content_withheld is None else masked(r.content_withheld),
         r.diarienummer, r.link, r.content_withheld, r.sender_withheld)
        for r in request.records))


def withheld_csv(request: RecordsRequest) -> str:
    return csv_text(WITHHELD_FIELDS, (
        (w.item_id, w.version_seq, local(w.observed_at), KIND_SV.get(w.kind, w.kind), w.what,
         w.provision, w.diarienummer, w.record_number)
        for w in request.withheld))


CRITERIA_SV = {"q": "Sökord", "page_ids": "Sidor", "date_from": "Från och med",
               "date_to": "Till och med", "author": "Avsändare", "kind": "Typ",
               "category": "Kategori", "state": "Status", "registered": "Registrerad",
               "secret": "Sekretess"}


def _criteria_lines(criteria: dict[str, Any]) -> Iterable[tuple[str, str]]:
    if not criteria:
        yield "Sökning", "allt i arkivet"
    for name, value in criteria.items():
        if isinstance(value, bool):
            value = "ja" if value else "nej"
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        yield CRITERIA_SV.get(name, name), str(value)


def records_pdf(request: RecordsRequest) -> bytes:
    title = "Utlämnande av allmänna handlingar"
    if request.reference:
        title = f"{title}, {request.reference}"
    with PdfDocument(title=title, subject="Handlingar från myndighetens Facebooksidor",
                     created_at=request.made_at) as doc:
        _write_records(doc, title, request)
        return doc.output()


def _write_records(doc: PdfDocument, title: str, request: RecordsRequest) -> None:
    doc.heading(title, size=16)
    masked_count = sum(1 for r in request.records if r.content_withheld or r.sender_withheld)
    doc.fields([
        ("Sammanställd", local(request.made_at)),
        ("Av", request.made_by),
        *_criteria_lines(request.criteria),
        ("Handlingar", (f"{len(request.records)} i paketet, varav {masked_count} "
                        f"maskerade; {len(request.withheld)} undantag i förteckningen")),
    ])
    doc.space(2)
    doc.paragraph("Texterna återges som de skrevs. Tecken som inte kan visas i PDF visas "
                  "som \ufffd; den exakta texten finns i handlingar.csv.", size=8.5, grey=True)
    doc.heading("Handlingar")
    if not request.records:
        doc.paragraph("Inga handlingar lämnas ut.")
    for r in request.records:
        kind = KIND_SV.get(r.kind, r.kind)
        doc.paragraph(f"{r.number}. {kind} på {r.page_name}, {local(r.observed_at)}",
                      size=10, bold=True)
        sender = (masked(r.sender_withheld) if r.sender_withheld
                  else (r.author_name or r.author_id or "okänd"))
        rows = [("Avsändare", sender),
                ("Status", f"{STATE_SV.get(r.state, r.state)}; version {r.version_seq}"),
                ("Objekt-id", r.item_id)]
        if r.link:
            rows.append(("Länk", r.link))
        if r.diarienummer:
            rows.append(("Diarienummer", r.diarienummer))
        doc.fields(rows, size=8.5, label_width=28)
        doc.paragraph(masked(r.content_withheld) if r.content_withheld else (r.text or ""),
                      size=10, indent=4)
        doc.space(2.5)
    doc.heading("Uppgifter som inte lämnas ut")
    if not request.withheld:
        doc.paragraph("Inga uppgifter har undantagits.")
    for w in request.withheld:
        where = f"nr {w.record_number}" if w.record_number else "ej med i paketet"
        doc.paragraph(f"{KIND_SV.get(w.kind, w.kind)} {w.item_id}, version {w.version_seq}, "
                      f"{local(w.observed_at)} ({where})", size=9, bold=True)
        rows = [("Undantaget", w.what), ("Bestämmelse", w.provision)]
        if w.diarienummer:
            rows.append(("Diarienummer", w.diarienummer))
        doc.fields(rows, size=8.5, label_width=28)
        doc.space(1.5)
    doc.space(3)
    doc.paragraph(APPEAL_NOTICE, size=9)


AUDITED_ITEMS = 1000  # withheld item ids named in the audit entry, at most


@dataclass(frozen=True, slots=True)
class Package:
    data: bytes  # the zip
    manifest: dict[str, Any]
    sha256: str
    request: RecordsRequest


def make(session: Session, filters: SearchFilters, *, made_by: str,
         reference: str | None = None,
         secret_items: SecretItems = SecretItems.mask) -> Package:
    """Collect, package and audit a records request (``records_request.made``, with the
    search, the counts, the withheld item ids and the zip's SHA-256)."""
    request = collect(session, filters, made_by=made_by, reference=reference,
                      secret_items=secret_items)
    data, manifest = package(request)
    digest = hashlib.sha256(data).hexdigest()
    withheld_items = sorted({w.item_id for w in request.withheld})
    record(session, actor=made_by, act="records_request.made",
           subject_type="records_request", subject_id=reference or digest[:16],
           detail={"criteria": request.criteria, "secret_items": str(secret_items),
                   "records": len(request.records), "withheld": len(request.withheld),
                   "withheld_items": withheld_items[:AUDITED_ITEMS],
                   "package_sha256": digest})
    return Package(data=data, manifest=manifest, sha256=digest, request=request)


def package(request: RecordsRequest) -> tuple[bytes, dict[str, Any]]:
    """The zip a registrar hands over, and its manifest (also inside it)."""
    files = {
        "handlingar.pdf": records_pdf(request),
        "handlingar.csv": records_csv(request).encode("utf-8-sig"),
        "undantaget.csv": withheld_csv(request).encode("utf-8-sig"),
    }
    manifest = {
        "reference": request.reference,
        "made_by": request.made_by,
        "made_at": request.made_at.astimezone(UTC).isoformat(),
        "criteria": request.criteria,
        "secret_items": str(request.secret_items),
        "records": len(request.records),
        "withheld": len(request.withheld),
        "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for name, data in files.items()},
    }
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    out = io.BytesIO()
    stamp = request.made_at.astimezone(STOCKHOLM).timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue(), manifest
