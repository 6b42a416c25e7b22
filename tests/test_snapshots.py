"""Half-yearly page snapshots: the job makes the last finished half-year's snapshot of each
page once; the PDF (PDF/A-2b) and HTML show the page as it stood at the period's end,
secret content withheld and hostile text inert; the recorded SHA-256 matches the files and
`uppsikt snapshots verify` finds a changed one (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.content.models import Item, ItemStateEvent, ItemVersion
from app.content.normalise import AuthorRef
from app.content.service import upsert_author
from app.core.config import Settings
from app.core.db import Database, utcnow
from app.jobs.runner import run_job
from app.moderation.models import MediaBlob, RegistrationCase, Snapshot, SnapshotMedia
from app.pages.models import Page
from app.snapshots.models import PageSnapshot
from app.snapshots.service import (
    SnapshotError,
    _write_once,
    due_period,
    half_year_of,
    last_finished_half_year,
    make_snapshot,
    period_problem,
    verify,
)
from tests.conftest import add_test_page

PAGE = "4711"
OTHER = "4712"
NEW_PAGE = "4713"
H1 = (date(2026, 1, 1), date(2026, 6, 30))
# 03:00 Swedish time on 3 July: the half-year ended and Meta's retries (36 h) are over.
JULY = datetime(2026, 7, 3, 1, 0, tzinfo=UTC)
POST = "Vi bygger en ny skola i Slätta – berätta vad du tycker!"
FIRST = "Bra initiativ, äntligen!"
EDIT_AFTER = "ÄNDRAT EFTER PERIODEN"
HOSTILE = "<script>alert('x')</script> & <b>fet</b>"
HIDDEN = "Du är en idiot och borde sparkas"
HIDDEN_LATER = "Sommarlovet börjar snart"
REPLY = "Håller med dig helt"
SECRET = "Lisa Berg har skyddad identitet och bor på Hemliga gatan 7"
PROVISION = "OSL 21 kap. 3 §"
CULLED = "Den här texten är gallrad"
OLD_POST = "Gammalt inlägg om biblioteket"
OLD_COMMENT = "Gammal kommentar från i höstas"
LATE_ON_OLD = "Biblioteket borde ha öppet på söndagar"
AFTER = "Kommentar skriven efter periodens slut"
NEXT_POST = "Inlägg från juli"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5"
    "ErkJggg==")


def at(month: int, day: int, hour: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=UTC)


def add(session: Session, platform_id: str, text: str | None, when: datetime, *,
        kind: str = "comment", post: str | None = None, parent: str | None = None,
        page: str = PAGE, author: tuple[str, str] | None = ("555", "Åsa Öberg"),
        by_page: bool = False, media: list[dict[str, str]] | None = None) -> Item:
    """An item with its first version observed when it was created."""
    page_id = session.scalar(select(Page.id).where(Page.platform_id == page))
    author_id = upsert_author(session, AuthorRef(*author), when).id if author else None
    item = Item(platform_id=platform_id, page_id=page_id, kind=kind, platform_type=kind,
                post_platform_id=post, parent_platform_id=parent, author_id=author_id,
                by_page=by_page, created_time=when, first_seen_at=when)
    session.add(item)
    session.flush()
    edit(session, item, text, when, media=media)
    return item


def edit(session: Session, item: Item, text: str | None, when: datetime, *,
         media: list[dict[str, str]] | None = None) -> ItemVersion:
    seq = (session.scalar(select(func.max(ItemVersion.seq))
                          .where(ItemVersion.item_id == item.id)) or 0) + 1
    version = ItemVersion(item_id=item.id, seq=seq, text=text, media=media or [],
                          content_sha256=hashlib.sha256(f"{seq}{text}".encode()).hexdigest(),
                          observed_at=when, verb="add" if seq == 1 else "edited")
    session.add(version)
    session.flush()
    return version


def set_state(session: Session, item: Item, verb: str, state: str, when: datetime) -> None:
    session.add(ItemStateEvent(item_id=item.id, verb=verb, state=state, occurred_at=when))
    item.state, item.state_at = state, when
    session.flush()


def registered_secret(session: Session, item: Item, provision: str = PROVISION) -> None:
    version = session.scalar(select(ItemVersion).where(ItemVersion.item_id == item.id))
    snap = Snapshot(item_id=item.id, item_version_id=version.id, reason="decision",
                    taken_by="system", item_platform_id=item.platform_id,
                    page_platform_id=PAGE, observed_at=version.observed_at, text=version.text,
                    sha256="0" * 64)
    session.add(snap)
    session.flush()
    session.add(RegistrationCase(item_id=item.id, snapshot_id=snap.id, status="registered",
                                 secret=True, reason="test", diarienummer="KS 2026/0101",
                                 secrecy_provision=provision, withhold_sender=True))
    session.flush()


def stored_image(session: Session, settings: Settings, item: Item) -> str:
    """The item's first medium downloaded: a PNG under the media directory."""
    digest = hashlib.sha256(PNG).hexdigest()
    relative = f"{digest[:2]}/{digest}"
    (settings.media_dir / relative).parent.mkdir(parents=True, exist_ok=True)
    (settings.media_dir / relative).write_bytes(PNG)
    session.add(MediaBlob(sha256=digest, size=len(PNG), mime="image/png", path=relative))
    version = session.scalar(select(ItemVersion).where(ItemVersion.item_id == item.id))
    snap = Snapshot(item_id=item.id, item_version_id=version.id, reason="decision",
                    taken_by="system", item_platform_id=item.platform_id,
                    page_platform_id=PAGE, observed_at=version.observed_at, text=version.text,
                    sha256="1" * 64)
    session.add(snap)
    session.flush()
    session.add(SnapshotMedia(snapshot_id=snap.id, position=0, kind="photo",
                              url=version.media[0]["url"], status="stored",
                              blob_sha256=digest, stored_at=utcnow()))
    session.flush()
    return digest


def backdate(db: Database, platform_id: str, when: datetime) -> None:
    with db.transaction() as s:
        s.execute(update(Page).where(Page.platform_id == platform_id).values(created_at=when))


@pytest.fixture
def archive(db: Database, settings: Settings) -> dict[str, Any]:
    """A page with a half-year of posts and comments, and what happened to them after."""
    add_test_page(db, PAGE, name="Slätta skola", unit="Barn- och utbildningsförvaltningen")
    add_test_page(db, OTHER, name="Kulturhuset", unit="Kulturförvaltningen")
    backdate(db, PAGE, at(12, 1, year=2025))
    backdate(db, OTHER, at(12, 1, year=2025))
    with db.transaction() as s:
        add(s, "old", OLD_POST, at(11, 1, year=2025), kind="post", by_page=True,
            author=None)
        add(s, "old_c0", OLD_COMMENT, at(11, 2, year=2025), post="old")
        add(s, "old_c1", LATE_ON_OLD, at(4, 1), post="old", author=("556", "Nils Holm"))
        post = add(s, "p1", POST, at(3, 1, 10), kind="post", by_page=True,
                   author=("4711", "Slätta skola"),
                   media=[{"type": "photo", "url": "https://scontent.example/p.png?x=1"}])
        digest = stored_image(s, settings, post)
        c1 = add(s, "p1_c1", FIRST, at(3, 2), post="p1")
        edit(s, c1, EDIT_AFTER, at(7, 10))
        add(s, "p1_c2", HOSTILE, at(3, 3), post="p1", author=("557", "Karl <Kalle> Ek"))
        c3 = add(s, "p1_c3", HIDDEN, at(3, 4), post="p1", author=("558", "Bo Troll"))
        set_state(s, c3, "hide", "hidden", at(3, 4, 13))
        c4 = add(s, "p1_c4", HIDDEN_LATER, at(5, 20), post="p1", author=("559", "Eva Sol"))
        set_state(s, c4, "hide", "hidden", at(7, 5))
        add(s, "p1_c1_r1", REPLY, at(3, 5), kind="reply", post="p1", parent="p1_c1",
            author=("560", "Per Berg"))
        secret = add(s, "p1_c5", SECRET, at(3, 6), post="p1", author=("561", "Anna Ek"))
        registered_secret(s, secret)
        culled = add(s, "p1_c6", CULLED, at(3, 7), post="p1", author=("562", "Gunnar Gran"))
        culled.culled_at = at(10, 1)
        add(s, "p1_c7", AFTER, at(7, 3), post="p1")
        add(s, "p2", NEXT_POST, at(7, 2), kind="post", by_page=True, author=None)
        add(s, "k1", "Konsert på lördag", at(2, 1), kind="post", page=OTHER, by_page=True,
            author=None)
    return {"image": digest}


def made(db: Database, settings: Settings, platform_id: str = PAGE, *,
         period: tuple[date, date] = H1, trigger: str = "on_demand") -> PageSnapshot:
    with db.transaction(immediate=True) as s:
        page = s.scalar(select(Page).where(Page.platform_id == platform_id))
        snap = make_snapshot(s, settings, page, *period, trigger, "maja")
        s.flush()
        s.expunge(snap)
    return snap


def pdftotext(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         check=True, timeout=60)
    return " ".join(out.stdout.decode("utf-8").split())


def snapshots(db: Database) -> list[tuple[str, date, date, str]]:
    with db.transaction() as s:
        return [(p, a, b, t) for p, a, b, t in s.execute(
            select(Page.platform_id, PageSnapshot.period_start, PageSnapshot.period_end,
                   PageSnapshot.trigger).join(Page, Page.id == PageSnapshot.page_id)
            .order_by(Page.platform_id, PageSnapshot.period_start))]


# Periods -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "half"), [
    (date(2026, 1, 1), H1), (date(2026, 6, 30), H1),
    (date(2026, 7, 1), (date(2026, 7, 1), date(2026, 12, 31))),
    (date(2026, 12, 31), (date(2026, 7, 1), date(2026, 12, 31))),
])
def test_half_year_of(day, half):
    assert half_year_of(day) == half


@pytest.mark.parametrize(("today", "last"), [
    (date(2026, 7, 1), H1), (date(2026, 11, 26), H1), (date(2026, 12, 31), H1),
    (date(2027, 1, 1), (date(2026, 7, 1), date(2026, 12, 31))),
    (date(2026, 6, 30), (date(2025, 7, 1), date(2025, 12, 31))),
])
def test_last_finished_half_year(today, last):
    assert last_finished_half_year(today) == last


@pytest.mark.parametrize(("start", "end", "problem"), [
    (date(2026, 1, 1), date(2026, 6, 30), None),
    (date(2025, 11, 27), date(2026, 11, 26), None),  # a year to the day
    (date(2025, 11, 26), date(2026, 11, 26), "longer than one year"),
    (date(2026, 3, 2), date(2026, 3, 1), "after the last day"),
    (date(2026, 11, 1), date(2026, 11, 27), "after today"),
    (date(2024, 2, 29), date(2025, 2, 28), None),
    (date(2024, 2, 29), date(2025, 3, 1), "longer than one year"),
])
def test_period_problem(start, end, problem):
    found = period_problem(start, end, date(2026, 11, 26))
    assert (found is None) if problem is None else (problem in found)


# The job -------------------------------------------------------------------------------------

def test_the_job_makes_the_last_half_year_once_per_page(db, job_env, archive):
    add_test_page(db, NEW_PAGE, name="Ny sida", unit="Kulturförvaltningen")  # added today
    # On 1 and 2 July the half-year has only just ended: late deliveries may still come.
    assert due_period(date(2026, 7, 2)) == (date(2025, 7, 1), date(2025, 12, 31))
    assert due_period(date(2026, 7, 3)) == H1
    outcome = run_job(job_env, "snapshots", now=JULY)
    assert outcome.status == "ok", outcome.error
    assert outcome.summary["made"] == 2 and outcome.summary["period"] == "2026-01-01/2026-06-30"
    expected = [(PAGE, *H1, "schedule"), (OTHER, *H1, "schedule")]
    assert snapshots(db) == expected  # the page added after June has none for it
    # Again, by hand or the next night, or months later: nothing new.
    again = run_job(job_env, "snapshots", now=JULY + timedelta(days=1))
    assert again.status == "ok" and again.summary["made"] == 0
    assert run_job(job_env, "snapshots", now=datetime(2026, 11, 26, 2, tzinfo=UTC)
                   ).summary["made"] == 0
    assert snapshots(db) == expected
    # A missed night is made good: the first run after New Year makes the second half.
    later = run_job(job_env, "snapshots", now=datetime(2027, 1, 3, 2, tzinfo=UTC))
    assert later.status == "ok" and later.summary["made"] == 3
    h2 = (date(2026, 7, 1), date(2026, 12, 31))
    assert (NEW_PAGE, *h2, "schedule") in snapshots(db)
    assert len(snapshots(db)) == 5
    with db.transaction() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.act == "snapshot.made")) == 5


def test_an_empty_page_gets_a_snapshot_saying_so(db, job_env, settings):
    add_test_page(db, OTHER, name="Tyst sida", unit="Kulturförvaltningen")
    backdate(db, OTHER, at(1, 15))
    assert run_job(job_env, "snapshots", now=JULY).summary["made"] == 1
    with db.transaction() as s:
        snap = s.scalars(select(PageSnapshot)).one()
        assert snap.items == 0 and snap.created_by == "system"
    text = pdftotext(settings.archive_dir / snap.pdf_path)
    assert "Tyst sida" in text and "inga inlägg eller kommentarer" in text
    assert "inga inlägg eller kommentarer" in (settings.archive_dir / snap.html_path).read_text()


def test_a_page_removed_before_the_period_gets_none(db, job_env):
    add_test_page(db, OTHER, name="Nedlagd sida", unit="Kulturförvaltningen")
    backdate(db, OTHER, at(1, 15, year=2025))
    with db.transaction() as s:
        s.execute(update(Page).where(Page.platform_id == OTHER)
                  .values(removed_at=at(11, 1, year=2025)))
    assert run_job(job_env, "snapshots", now=JULY).summary["due"] == 0
    assert snapshots(db) == []


# What the documents show ---------------------------------------------------------------------

def test_the_pdf_shows_the_page_as_it_stood(db, settings, archive):
    snap = made(db, settings)
    path = settings.archive_dir / snap.pdf_path
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Pages:" in info.stdout
    text = pdftotext(path)
    for shown in ("Slätta skola", "Barn- och utbildningsförvaltningen", "2026-01-01 – 2026-06-30",
                  POST, FIRST, "Åsa Öberg", REPLY, "Per Berg", HOSTILE, HIDDEN, HIDDEN_LATER,
                  OLD_POST, LATE_ON_OLD, "Kontrollsumman (SHA-256)", "maja"):
        assert shown in text, shown
    for absent in (EDIT_AFTER, SECRET, CULLED, OLD_COMMENT, AFTER, NEXT_POST, "Anna Ek"):
        assert absent not in text, absent
    # The hidden comment is marked hidden; the one hidden after the period, visible.
    assert text.index("Status vid periodens slut: dold") < text.index(HIDDEN)
    before_later = text[:text.index(HIDDEN_LATER)]
    assert before_later.rsplit("Status vid periodens slut: ", 1)[1].startswith("synlig")
    assert f"Sekretess: {PROVISION}" in text and "Gallrat" in text
    assert f"avsändaren visas inte ({PROVISION})" in text and "avsändaren gallrad" in text
    assert archive["image"] in text  # media listed by checksum


def test_the_html_is_escaped_self_contained_and_as_it_stood(db, settings, archive):
    snap = made(db, settings)
    html = (settings.archive_dir / snap.html_path).read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(" in html
    assert "Karl &lt;Kalle&gt; Ek" in html and "&lt;b&gt;fet&lt;/b&gt;" in html
    for shown in ("Slätta skola", POST, FIRST, REPLY, HIDDEN, HIDDEN_LATER, LATE_ON_OLD,
                  f"Sekretess: {PROVISION}", "2026-01-01 – 2026-06-30"):
        assert shown in html, shown
    for absent in (EDIT_AFTER, SECRET, CULLED, OLD_COMMENT, AFTER, NEXT_POST):
        assert absent not in html, absent
    assert 'class="comment state-hidden" id="item-p1_c3"' in html
    assert 'class="comment state-visible" id="item-p1_c4"' in html
    assert 'class="reply state-visible" id="item-p1_c1_r1"' in html
    # Self-contained: the stored image inline, nothing fetched from anywhere.
    assert f"data:image/png;base64,{base64.b64encode(PNG).decode()}" in html
    assert "default-src 'none'" in html
    assert "src=\"http" not in html and "href=" not in html


def test_the_pdf_is_pdfa_2b(db, settings, archive):
    snap = made(db, settings)
    assert snap.pdfa is True
    reader = PdfReader(io.BytesIO((settings.archive_dir / snap.pdf_path).read_bytes()))
    assert reader.pdf_header == "%PDF-1.7"
    xmp = reader.xmp_metadata.rdf_root.toxml()
    assert "<pdfaid:part>2</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    intent = reader.trailer["/Root"]["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1" and intent["/OutputConditionIdentifier"] == "sRGB"
    assert len(intent["/DestOutputProfile"].get_object().get_data()) > 1000
    assert not reader.is_encrypted
    fonts = subprocess.run(["pdffonts", str(settings.archive_dir / snap.pdf_path)],
                           capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes yes yes " in line for line in fonts)  # all embedded


# Checksums and files --------------------------------------------------------------------------

def test_the_recorded_checksums_are_those_of_the_files(db, settings, archive):
    snap = made(db, settings)
    for path, digest, size in ((snap.pdf_path, snap.pdf_sha256, snap.pdf_bytes),
                               (snap.html_path, snap.html_sha256, snap.html_bytes)):
        data = (settings.archive_dir / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest and len(data) == size
        assert path.startswith(f"snapshots/{PAGE}/2026-01-01_2026-06-30-")
    assert not list((settings.archive_dir / "snapshots").rglob(".tmp-*"))
    with db.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.act == "snapshot.made")).one()
        assert entry.detail["pdf_sha256"] == snap.pdf_sha256
        assert HOSTILE not in json.dumps(entry.detail)


def test_verify_finds_a_changed_or_missing_file(db, settings, archive):
    first = made(db, settings)
    second = made(db, settings, OTHER)
    with db.transaction() as s:
        assert verify(s, settings) == (4, [])
    pdf = settings.archive_dir / first.pdf_path
    pdf.write_bytes(pdf.read_bytes().replace(b"%PDF-1.7", b"%PDF-1.6", 1))
    (settings.archive_dir / second.html_path).unlink()
    with db.transaction() as s:
        checked, problems = verify(s, settings)
    assert checked == 4
    assert [(p.snapshot_id, p.kind, p.problem) for p in problems] == [
        (first.id, "pdf", "changed"), (second.id, "html", "missing")]


def test_a_file_is_never_overwritten(settings):
    _write_once(settings.archive_dir, "snapshots/x/a.pdf", b"first")
    with pytest.raises(SnapshotError, match="exists already"):
        _write_once(settings.archive_dir, "snapshots/x/a.pdf", b"second")
    assert (settings.archive_dir / "snapshots/x/a.pdf").read_bytes() == b"first"
    assert [p.name for p in (settings.archive_dir / "snapshots/x").iterdir()] == ["a.pdf"]


# The CLI ---------------------------------------------------------------------------------------

@pytest.fixture
def cli(monkeypatch, settings: Settings) -> None:
    """The CLI's subprocess writes to this test's archive and media directories."""
    monkeypatch.setenv("UPPSIKT_ARCHIVE_DIR", str(settings.archive_dir))
    monkeypatch.setenv("UPPSIKT_MEDIA_DIR", str(settings.media_dir))


@pytest.fixture
def snap_run(cli, run):  # `run` reads the environment when it is set up
    return run


def test_cli_make_list_and_verify(db, settings, archive, snap_run):
    out = snap_run("snapshots", "make", "--page", PAGE, "--from", "2026-01-01",
                   "--to", "2026-06-30").stdout
    with db.transaction() as s:
        snap = s.scalars(select(PageSnapshot)).one()
    assert snap.trigger == "on_demand" and snap.created_by == "cli"
    assert f"{snap.pdf_sha256}  {settings.archive_dir / snap.pdf_path}" in out
    assert f"{snap.html_sha256}  {settings.archive_dir / snap.html_path}" in out
    listed = json.loads(snap_run("snapshots", "list", "--page", PAGE, "--json").stdout)
    assert [r["pdf_sha256"] for r in listed["snapshots"]] == [snap.pdf_sha256]
    assert json.loads(snap_run("snapshots", "list", "--page", OTHER, "--json").stdout) == {
        "snapshots": []}
    assert "2 files checked, all unchanged" in snap_run("snapshots", "verify").stdout
    html = settings.archive_dir / snap.html_path
    html.write_text(html.read_text().replace("Slätta", "Slätt"))
    bad = snap_run("snapshots", "verify", ok=False)
    assert bad.returncode == 1 and f"snapshot {snap.id} html changed" in bad.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--page", PAGE, "--from", "2026-06-30", "--to", "2026-01-01"], "after the last day"),
    (["--page", PAGE, "--from", "2025-01-01", "--to", "2026-06-30"], "longer than one year"),
    (["--page", PAGE, "--from", "2026-01-01", "--to", "2999-01-01"], "after today"),
    (["--page", PAGE, "--from", "1 januari", "--to", "2026-06-30"], "must be a date"),
    (["--page", "999", "--from", "2026-01-01", "--to", "2026-06-30"], "no page with id 999"),
])
def test_cli_make_refuses_bad_input(db, archive, snap_run, args, message):
    result = snap_run("snapshots", "make", *args, ok=False)
    assert result.returncode == 2 and message in result.stderr
    assert snapshots(db) == []


def test_a_failed_page_is_alerted_and_made_good_next_time(db, job_env, archive, monkeypatch):
    from app.alerts.models import Alert
    from app.snapshots import service

    real = service.render_pdf

    def broken(content, made):  # a stand-in that fails for one page
        if content.page_platform_id == PAGE:
            raise OSError("disk full")
        return real(content, made)

    monkeypatch.setattr(service, "render_pdf", broken)
    outcome = run_job(job_env, "snapshots", now=JULY)
    assert outcome.status == "failed" and PAGE in outcome.error
    assert snapshots(db) == [(OTHER, *H1, "schedule")]  # the other page is not held back
    with db.transaction() as s:
        alert = s.scalars(select(Alert).where(Alert.kind == "snapshot.failed")).one()
        assert alert.key == PAGE and alert.resolved_at is None
    monkeypatch.setattr(service, "render_pdf", real)
    again = run_job(job_env, "snapshots", now=JULY + timedelta(days=1))
    assert again.status == "ok" and again.summary["made"] == 1
    assert snapshots(db) == [(PAGE, *H1, "schedule"), (OTHER, *H1, "schedule")]
    with db.transaction() as s:
        assert s.scalars(select(Alert).where(Alert.kind == "snapshot.failed")
                         ).one().resolved_at is not None
