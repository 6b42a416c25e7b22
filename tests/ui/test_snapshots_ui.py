"""Snapshots in the UI: each role sees the pages it may, downloads are unit-checked and
refused when the file no longer matches its checksum, and the on-demand form checks its
CSRF token, the page and the period (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.snapshots.models import PageSnapshot
from tests.test_snapshots import OTHER, PAGE, archive, made  # noqa: F401 - archive: fixture
from tests.ui.conftest import csrf_of, login, ui_user

UNIT = "Barn- och utbildningsförvaltningen"
OTHER_UNIT = "Kulturförvaltningen"


def sign_in(ui, db, role: str, unit: str | None = None) -> None:
    login(ui, ui_user(db, role, unit=unit, username=f"{role}-{'bou' if unit else 'alla'}"))


def audits(db, act: str) -> list[AuditEntry]:
    with db.transaction() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.act == act)
                              .order_by(AuditEntry.id)))


def count(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(PageSnapshot))


@pytest.fixture
def two(db, settings, archive):  # noqa: F811 - the archive fixture
    return made(db, settings, PAGE), made(db, settings, OTHER)


def test_each_role_sees_the_pages_it_may(ui, db, two):
    mine, theirs = two
    sign_in(ui, db, "moderator", UNIT)
    page = ui.get("/ui/snapshots")
    assert page.status_code == 200
    assert "Slätta skola" in page.text and mine.pdf_sha256 in page.text
    assert "Kulturhuset" not in page.text and theirs.pdf_sha256 not in page.text
    assert 'action="/ui/snapshots"' in page.text  # a moderator may make one of own pages
    assert f'value="{OTHER}"' not in page.text

    auditor = ui_user(db, "auditor")
    ui.cookies.clear()
    login(ui, auditor)
    page = ui.get("/ui/snapshots")
    assert mine.html_sha256 in page.text and theirs.html_sha256 in page.text
    assert 'action="/ui/snapshots"' not in page.text  # auditors only look

    ui.cookies.clear()
    sign_in(ui, db, "registrar")
    assert ui.get("/ui/snapshots").status_code == 403


def test_downloads_are_the_recorded_files(ui, db, settings, two):
    mine, theirs = two
    sign_in(ui, db, "moderator", UNIT)
    pdf = ui.get(f"/ui/snapshots/{mine.id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert hashlib.sha256(pdf.content).hexdigest() == mine.pdf_sha256
    html = ui.get(f"/ui/snapshots/{mine.id}/html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.headers["content-disposition"].startswith("attachment;")
    assert html.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert hashlib.sha256(html.content).hexdigest() == mine.html_sha256
    # Another unit's snapshot, or none: not found.
    assert ui.get(f"/ui/snapshots/{theirs.id}/pdf").status_code == 404
    assert ui.get("/ui/snapshots/999999/pdf").status_code == 404
    assert ui.get(f"/ui/snapshots/{mine.id}/exe").status_code == 404
    downloaded = audits(db, "snapshot.downloaded")
    assert [(e.detail["snapshot"], e.detail["kind"]) for e in downloaded] == [
        (mine.id, "pdf"), (mine.id, "html")]


def test_a_changed_file_is_refused(ui, db, settings, two):
    mine, _ = two
    path = settings.archive_dir / mine.pdf_path
    path.write_bytes(path.read_bytes() + b"\n% changed\n")
    sign_in(ui, db, "information_officer")
    refused = ui.get(f"/ui/snapshots/{mine.id}/pdf")
    assert refused.status_code == 409
    assert "kontrollsumman" in refused.text and "%PDF" not in refused.text
    assert audits(db, "snapshot.downloaded")[-1].detail["verified"] is False
    path.unlink()
    assert ui.get(f"/ui/snapshots/{mine.id}/pdf").status_code == 409


def test_an_information_officer_makes_one_on_demand(ui, db, settings, archive):  # noqa: F811
    officer = ui_user(db, "information_officer", display_name="Ingrid Info")
    login(ui, officer)
    csrf = csrf_of(ui.get("/ui/snapshots").text)
    form = {"csrf": csrf, "page_id": OTHER, "date_from": "2026-01-01",
            "date_to": "2026-06-30"}
    assert ui.post("/ui/snapshots", data={**form, "csrf": "wrong"}).status_code == 403
    assert count(db) == 0
    done = ui.post("/ui/snapshots", data=form)
    assert done.status_code == 303 and done.headers["location"].startswith("/ui/snapshots?gjord=")
    with db.transaction() as s:
        snap = s.scalars(select(PageSnapshot)).one()
        assert (snap.trigger, snap.created_by) == ("on_demand", officer)
    data = (settings.archive_dir / snap.pdf_path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == snap.pdf_sha256
    assert audits(db, "snapshot.made")[0].actor == officer
    shown = ui.get(done.headers["location"])
    assert "Skärmdumpen är gjord och sparad." in shown.text and snap.pdf_sha256 in shown.text


@pytest.mark.parametrize(("date_from", "date_to", "message"), [
    ("2026-06-30", "2026-01-01", "Första dagen är efter den sista."),
    ("2025-01-01", "2026-06-30", "Perioden får vara högst ett år."),
    ("2026-11-01", "2999-12-31", "Perioden får inte sluta efter i dag."),
    ("1 januari", "2026-06-30", "Ange datumen som ÅÅÅÅ-MM-DD."),
    ("", "2026-06-30", "Ange både första och sista dagen."),
])
def test_bad_periods_are_refused(ui, db, archive, date_from, date_to, message):  # noqa: F811
    sign_in(ui, db, "information_officer")
    csrf = csrf_of(ui.get("/ui/snapshots").text)
    refused = ui.post("/ui/snapshots", data={"csrf": csrf, "page_id": PAGE,
                                             "date_from": date_from, "date_to": date_to})
    assert refused.status_code == 422 and message in refused.text
    assert count(db) == 0


def test_who_may_make_one(ui, db, archive):  # noqa: F811
    sign_in(ui, db, "moderator", UNIT)
    csrf = csrf_of(ui.get("/ui/snapshots").text)
    form = {"csrf": csrf, "date_from": "2026-01-01", "date_to": "2026-06-30"}
    assert ui.post("/ui/snapshots", data={**form, "page_id": OTHER}).status_code == 404
    assert ui.post("/ui/snapshots", data={**form, "page_id": "nope"}).status_code == 404
    assert count(db) == 0
    assert ui.post("/ui/snapshots", data={**form, "page_id": PAGE}).status_code == 303
    assert count(db) == 1
    ui.cookies.clear()
    sign_in(ui, db, "auditor")
    csrf = csrf_of(ui.get("/ui/snapshots").text)
    assert ui.post("/ui/snapshots", data={**form, "csrf": csrf,
                                          "page_id": PAGE}).status_code == 403
    assert count(db) == 1
