"""The snapshot as documents: a PDF (PDF/A-2b) and one self-contained HTML file.

Both say the same: the page, the period, who made the snapshot and when, the figures, and
every post and comment as it stood at the end of the period. Neither can hold its own
checksum; both say where it is recorded.

PDF/A-2b comes from fpdf2's own support (``enforce_compliance``): XMP metadata with the
pdfaid part and conformance, an sRGB output intent with the ICC profile fpdf2 ships, and
the DejaVu fonts embedded. ``app/core/pdf.py`` builds its FPDF object without a profile, so
the profile is set on it right after construction, before anything is drawn.

The HTML is rendered by Jinja2 with autoescaping (comment text is hostile), carries its own
Content-Security-Policy (nothing may load or run; styles inline, images only as data:
URIs), and embeds stored images up to a size limit; other media are listed by checksum.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2

from app.content.models import ItemKind, Visibility
from app.core.pdf import PdfDocument
from app.records.service import local as local_minute
from app.snapshots.content import Entry, Medium, PageContent, Thread

PDFA_PROFILE = "PDF/A-2B"
IMAGE_MAX = 2 * 1024 * 1024  # one embedded image
IMAGES_MAX = 40 * 1024 * 1024  # all embedded images of one snapshot
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))

KIND_SV = {ItemKind.post: "Inlägg", ItemKind.comment: "Kommentar", ItemKind.reply: "Svar"}
STATE_SV = {Visibility.visible: "synlig", Visibility.hidden: "dold",
            Visibility.removed: "borttagen", Visibility.blocked: "blockerad"}
TRIGGER_SV = {"schedule": "schemalagd (varje halvår)", "on_demand": "på begäran"}
CHECKSUM_NOTE = ("Kontrollsumman (SHA-256) för denna fil och för den andra filen av "
                 "skärmdumpen registreras i Uppsikt när skärmdumpen sparas. En fil kan inte "
                 "innehålla sin egen kontrollsumma: jämför med uppgiften i Uppsikt "
                 "(Skärmdumpar, eller `uppsikt snapshots verify`).")
AS_OF_NOTE = ("Varje inlägg, kommentar och svar visas som det såg ut vid periodens slut "
              "(senaste version och synlighet då). Tider i svensk tid.")
SECRET_NOTE = "Sekretess: {provision}"


@dataclass(frozen=True, slots=True)
class Made:
    """Who made the snapshot, when and why."""

    at: datetime
    by: str
    trigger: str


def local(at: datetime | None) -> str:
    return local_minute(at) or "okänd tid"


def period_text(content: PageContent) -> str:
    return f"{content.period_start.isoformat()} – {content.period_end.isoformat()}"


def title_of(content: PageContent) -> str:
    return f"Skärmdump av {content.page_name}, {period_text(content)}"


def summary_rows(content: PageContent, made: Made) -> list[tuple[str, str]]:
    counts = content.counts()
    return [
        ("Sida", content.page_name),
        ("Facebook-id", content.page_platform_id),
        ("Förvaltning", content.unit),
        ("Period", f"{period_text(content)} (båda dagarna ingår)"),
        ("Gjord", local(made.at)),
        ("Gjord av", made.by),
        ("Anledning", TRIGGER_SV.get(made.trigger, made.trigger)),
        ("Inlägg", str(counts["posts"])),
        ("Kommentarer", str(counts["comments"])),
        ("Svar", str(counts["replies"])),
        ("Dolda vid periodens slut", str(counts["hidden"])),
        ("Borttagna vid periodens slut", str(counts["removed"])),
        ("Gallrade", str(counts["culled"])),
        ("Innehåll som inte visas (sekretess)", str(counts["withheld"])),
        ("Media", str(counts["media"])),
    ]


def heading_of(entry: Entry) -> str:
    who = entry.author_name or ("sidan" if entry.by_page else "okänd avsändare")
    if entry.culled_at is not None:
        who = "avsändaren gallrad"
    elif entry.author_withheld:
        who = f"avsändaren visas inte ({entry.author_withheld})"
    return f"{KIND_SV.get(entry.kind, entry.kind)} · {local(entry.created_time)} · {who}"


def notes_of(entry: Entry) -> list[str]:
    """Marks beside an entry: its state at the end, and why content is missing."""
    notes = [f"Status vid periodens slut: {STATE_SV.get(entry.state, entry.state)}"]
    if not entry.in_period:
        notes.append("publicerat före perioden; visas för periodens kommentarer")
    if entry.edited:
        notes.append("redigerat")
    if entry.recorded_late:
        notes.append("registrerat i Uppsikt först efter periodens slut")
    if entry.kind == ItemKind.reply and entry.parent_platform_id:
        notes.append(f"svar på {entry.parent_platform_id}")
    notes.append(f"id {entry.platform_id}")
    return notes


def body_of(entry: Entry) -> str:
    if entry.culled_at is not None:
        return f"[Gallrat {local(entry.culled_at)}: innehållet finns inte kvar]"
    if entry.content_withheld is not None:
        return f"[{SECRET_NOTE.format(provision=entry.content_withheld)}]"
    if entry.text is None:
        return "[Innehållet är inte känt]"
    return entry.text or "[Ingen text]"


def medium_text(medium: Medium) -> str:
    parts = [f"{medium.kind} {medium.position + 1}"]
    if medium.sha256:
        parts.append(f"SHA-256 {medium.sha256}, {medium.size} byte")
    else:
        parts.append("filen är inte sparad")
    if medium.url:
        parts.append(f"adress: {medium.url}")
    return ", ".join(parts)


# PDF ---------------------------------------------------------------------------------------

def render_pdf(content: PageContent, made: Made) -> tuple[bytes, bool]:
    """The PDF, and whether it is PDF/A-2b."""
    with PdfDocument(title=title_of(content), subject="Skärmdump av sida i sociala medier",
                     created_at=made.at, compliance=PDFA_PROFILE) as doc:
        doc.heading(title_of(content), size=16)
        doc.fields(summary_rows(content, made), label_width=68)
        doc.space()
        doc.paragraph(AS_OF_NOTE, size=9, grey=True)
        doc.paragraph(CHECKSUM_NOTE, size=9, grey=True)
        if not content.threads:
            doc.space()
            doc.paragraph("Sidan hade inga inlägg eller kommentarer under perioden.", bold=True)
        for thread in content.threads:
            _pdf_thread(doc, thread)
        return doc.output(), True


def _pdf_thread(doc: PdfDocument, thread: Thread) -> None:
    doc.rule()
    if thread.post is None:
        doc.heading(f"Kommentarer på inlägg {thread.post_platform_id or '(okänt)'} "
                    "(inlägget finns inte i arkivet)", size=11)
    else:
        _pdf_entry(doc, thread.post, indent=0)
    for comment in thread.comments:
        _pdf_entry(doc, comment, indent=8)
        for reply in comment.replies:
            _pdf_entry(doc, reply, indent=16)


def _pdf_entry(doc: PdfDocument, entry: Entry, *, indent: float) -> None:
    if doc.pdf.will_page_break(18):  # an entry's heading not alone at the foot of a page
        doc.new_page()
    doc.space(1.5)
    doc.paragraph(heading_of(entry), size=11 if entry.kind == ItemKind.post else 10,
                  bold=True, indent=indent)
    doc.paragraph(" · ".join(notes_of(entry)), size=8, grey=True, indent=indent)
    doc.paragraph(body_of(entry), indent=indent)
    for medium in entry.media:
        doc.paragraph(f"Media: {medium_text(medium)}", size=8, grey=True, indent=indent)


# HTML --------------------------------------------------------------------------------------

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(content: PageContent, made: Made, media_dir: Path) -> bytes:
    images = _Images(media_dir)
    html = _env.get_template("snapshot.html").render(
        title=title_of(content), content=content, rows=summary_rows(content, made),
        as_of=AS_OF_NOTE, checksum_note=CHECKSUM_NOTE, heading_of=heading_of,
        notes_of=notes_of, body_of=body_of, medium_text=medium_text, image=images.data_uri)
    return html.encode("utf-8")


class _Images:
    """Stored images as data: URIs, checked against their SHA-256, within the limits."""

    def __init__(self, media_dir: Path) -> None:
        self.media_dir = media_dir
        self.used = 0

    def data_uri(self, medium: Medium) -> str | None:
        if not medium.sha256 or not medium.path or not medium.size:
            return None
        if medium.size > IMAGE_MAX or self.used + medium.size > IMAGES_MAX:
            return None
        path = self.media_dir / medium.path
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != medium.sha256:
            return None  # a changed file is not shown as the stored one
        mime = next((m for magic, m in _MAGIC if data.startswith(magic)), None)
        if mime is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            mime = "image/webp"
        if mime is None:  # not an image we show (never SVG: it can hold script)
            return None
        self.used += len(data)
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
