"""The account register (förteckning): each page's entry with the facts of the guidelines'
checklist (Bilaga 1) and its plan (Bilaga 2), edited in the UI and exported as CSV and PDF.

Labels, section titles and messages are Swedish; the UI translates them (their English is
in app/ui/translations/pages.py), the exports are the authority's Swedish documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.core.csvsafe import csv_text
from app.core.db import utcnow
from app.core.pdf import PdfDocument
from app.pages.models import Page, PageRegister

TEXT_MAX = 5000  # a plan's free-text answer; the columns themselves are unbounded
EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class Field:
    name: str  # the PageRegister column
    label: str
    kind: str  # line, text, date, email
    max_length: int
    hint: str = ""  # the guidelines' question the field answers


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fields: tuple[Field, ...]
    hint: str = ""


def _line(name: str, label: str, max_length: int, hint: str = "") -> Field:
    return Field(name, label, "line", max_length, hint)


def _text(name: str, label: str, hint: str = "") -> Field:
    return Field(name, label, "text", TEXT_MAX, hint)


def _date(name: str, label: str, hint: str = "") -> Field:
    return Field(name, label, "date", 10, hint)


CHECKLIST = Section("checklist", "Uppgifter enligt checklistan (Bilaga 1)", (
    _line("assignment", "Uppdrag från chefen", 500,
          "Vem gav uppdraget att sköta sidan i tjänsten, och när?"),
    Field("account_contact", "Sidans officiella e-postadress", "email", 300,
          "En adress som alla som sköter sidan kan använda."),
    _date("reported_on", "Rapporterad till informationschefen",
          "Dagen då informationschefen fick planen och kontaktuppgifterna."),
    _date("ended_on", "Närvaron avslutad", "Fylls i när sidan läggs ned."),
))
PLAN = (
    Section("introduction", "1. Inledning", (
        _text("introduction", "Valt medium och varför",
              "Vilket socialt medium har valts? Varför detta och inte något annat?"),
    )),
    Section("purpose", "2. Syfte och mål", (
        _text("purpose", "Syfte", "Vad är syftet med närvaron?"),
        _text("goals", "Mål", "Vad ska uppnås med närvaron?"),
    )),
    Section("measures", "3. Åtgärder", (
        _date("started_on", "Arbetet startar", "När startar arbetet?"),
        _line("update_frequency", "Hur ofta sidan uppdateras", 200),
        _line("target_group", "Målgrupp", 500),
        _text("use", "Vad sidan används till"),
    )),
    Section("responsibility", "4. Ansvar och struktur", (
        _line("responsible_name", "Ansvarig", 200, "Vem är ansvarig för arbetet?"),
        _line("responsible_contact", "Ansvarigs kontaktuppgifter", 300),
        _line("substitute_name", "Ersättare", 200,
              "Vem är ansvarig när huvudansvarig är frånvarande?"),
        _line("substitute_contact", "Ersättarens kontaktuppgifter", 300),
        _text("roles", "Löpande arbete och administration",
              "Vem publicerar, för dialog och bevakar (även under ledigheter)? "
              "Vem hanterar kontouppgifterna och administrerar kontot?"),
        _text("resources", "Resurser", "Finns en uppskattning av resursbehovet?"),
        _line("oversight_hours", "Tider för uppsikt", 300,
              "Vilka tider bevakas sidan?"),
        _text("development", "Erfarenheter och utveckling",
              "Vem mäter, dokumenterar erfarenheter och utvecklar närvaron?"),
    )),
    Section("follow_up", "5. Uppföljning", (
        _text("follow_up", "Uppföljning", "Hur följs arbetet upp?"),
    )),
)
SECTIONS = (CHECKLIST, *PLAN)
FIELDS = {f.name: f for s in SECTIONS for f in s.fields}
# Set by the communications department on receiving the report (see docs/UI.md).
OFFICER_ONLY = frozenset({"reported_on"})

MESSAGES = (
    "{label} får vara högst {n} tecken.",
    "{label} ska vara ett datum (ÅÅÅÅ-MM-DD).",
    "{label} ska ligga mellan 1990 och 2100.",
    "{label} kan inte ligga i framtiden.",
    "{label} ska vara en e-postadress.",
    "Närvaron kan inte avslutas före den dag arbetet startar.",
)


@dataclass(frozen=True)
class Problem:
    field: str
    message: str  # one of MESSAGES, with {label} and {n}
    n: int = 0


def plan_progress(entry: PageRegister | None) -> int:
    """How many of the plan's five headings have an answer; "Ansvar och struktur" needs
    both a responsible person and a substitute (the guidelines insist on one)."""
    if entry is None:
        return 0
    done = 0
    for section in PLAN:
        if section.key == "responsibility":
            done += bool(entry.responsible_name and entry.substitute_name)
        else:
            done += any(getattr(entry, f.name) not in (None, "") for f in section.fields)
    return done


def entry_of(session: Session, page: Page) -> PageRegister | None:
    return session.get(PageRegister, page.id)


def entries(session: Session, pages: Sequence[Page]) -> list[tuple[Page, PageRegister | None]]:
    ids = [p.id for p in pages]
    found = {e.page_id: e for e in session.scalars(
        select(PageRegister).where(PageRegister.page_id.in_(ids)))} if ids else {}
    return [(p, found.get(p.id)) for p in pages]


def values_of(entry: PageRegister | None) -> dict[str, Any]:
    return {name: getattr(entry, name) if entry else None for name in FIELDS}


def parse(form: Mapping[str, Any], *, fields: Iterable[str],
          today: date) -> tuple[dict[str, Any], list[Problem]]:
    """The form's values for ``fields``, cleaned, and what is wrong with them."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for name in fields:
        field = FIELDS[name]
        raw = str(form.get(name) or "").replace("\r\n", "\n").replace("\r", "\n").strip()
        if field.kind != "text":
            raw = " ".join(raw.split())  # one line
        if len(raw) > field.max_length:
            problems.append(Problem(name, "{label} får vara högst {n} tecken.",
                                    field.max_length))
            values[name] = raw
            continue
        if field.kind == "date" and raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                problems.append(Problem(name, "{label} ska vara ett datum (ÅÅÅÅ-MM-DD)."))
                values[name] = raw
                continue
            if not EARLIEST <= day <= LATEST:
                problems.append(Problem(name, "{label} ska ligga mellan 1990 och 2100."))
            elif name == "reported_on" and day > today:
                problems.append(Problem(name, "{label} kan inte ligga i framtiden."))
            values[name] = day
            continue
        if field.kind == "email" and raw and not _EMAIL.match(raw):
            problems.append(Problem(name, "{label} ska vara en e-postadress."))
        values[name] = raw or None
    start, end = values.get("started_on"), values.get("ended_on")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        problems.append(Problem("ended_on",
                                "Närvaron kan inte avslutas före den dag arbetet startar."))
    return values, problems


def update(session: Session, page: Page, values: Mapping[str, Any], *,
           username: str) -> list[str]:
    """Write the changed values; returns the names of the fields that changed (audited
    by name only: the contents are in the register itself)."""
    entry = entry_of(session, page)
    if entry is None:
        entry = PageRegister(page_id=page.id)
        session.add(entry)
    changed = sorted(n for n, v in values.items() if getattr(entry, n, None) != v)
    if not changed:
        if entry.updated_at is None:  # a new, empty entry: nothing to keep
            session.expunge(entry)
        return []
    for name in changed:
        setattr(entry, name, values[name])
    entry.updated_by, entry.updated_at = username, utcnow()
    session.flush()
    record(session, actor=username, act="register.updated", subject_type="page",
           subject_id=page.platform_id, detail={"fields": changed})
    return changed


# Exports ------------------------------------------------------------------------------------

def _local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Swedish time, as the UI shows it."""
    return value.astimezone(STOCKHOLM).strftime(fmt) if value else ""


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


CSV_HEADER = ("Sida", "Facebook-id", "Förvaltning", "Hanteras i Uppsikt",
              *(f.label for s in SECTIONS for f in s.fields),
              "Planens rubriker ifyllda (av 5)", "Senast ändrad", "Ändrad av")


def register_csv(rows: Iterable[tuple[Page, PageRegister | None]]) -> bytes:
    """UTF-8 with a byte-order mark (so that Excel reads å, ä and ö), formula-safe."""
    def row(page: Page, entry: PageRegister | None) -> list[Any]:
        values = values_of(entry)
        return [page.name, page.platform_id, page.unit, "ja" if page.active else "nej",
                *(_shown(values[f.name]) for s in SECTIONS for f in s.fields),
                plan_progress(entry), _local(entry.updated_at) if entry else "",
                entry.updated_by if entry else ""]

    text = csv_text(CSV_HEADER, (row(p, e) for p, e in rows))
    return ("\ufeff" + text).encode("utf-8")


LABEL_WIDTH = 74  # mm: the longest label, "Rapporterad till informationschefen", in bold
PDF_TITLE = "Förteckning över myndighetens sidor i sociala medier"


def register_pdf(rows: Sequence[tuple[Page, PageRegister | None]], *,
                 created_at: datetime, made_by: str) -> bytes:
    """One section per page with every field of the entry."""
    with PdfDocument(title=PDF_TITLE, subject="Bilaga 1 och 2 till riktlinjerna för sociala "
                     "medier", created_at=created_at) as doc:
        doc.heading(PDF_TITLE, size=16)
        count = "1 sida" if len(rows) == 1 else f"{len(rows)} sidor"
        doc.paragraph(f"Utskriven {_local(created_at)} av {made_by}. {count}.", grey=True)
        for number, (page, entry) in enumerate(rows):
            if number:
                doc.new_page()
            else:
                doc.rule()
            values = values_of(entry)
            doc.heading(page.name)
            doc.fields([
                ("Förvaltning", page.unit), ("Facebook-id", page.platform_id),
                ("Hanteras i Uppsikt", "ja" if page.active
                 else f"nej, sedan {_local(page.removed_at, '%Y-%m-%d')}"),
                ("Planens rubriker", f"{plan_progress(entry)} av 5 ifyllda"),
                ("Senast ändrad", f"{_local(entry.updated_at)} av {entry.updated_by}"
                 if entry else "aldrig"),
            ], label_width=LABEL_WIDTH)
            for section in SECTIONS:
                doc.heading(section.title, size=11)
                doc.fields([(f.label, _shown(values[f.name]) or "–") for f in section.fields],
                           label_width=LABEL_WIDTH)
        return doc.output()
