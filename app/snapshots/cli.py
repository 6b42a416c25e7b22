"""``uppsikt snapshots``: list, make and verify the pages' half-yearly snapshots.

Registered by app/cli.py, which imports this module; so this module does not import
app/cli.py back and opens the database itself.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy import select

from app.core.config import Settings, get_settings
from app.core.db import Database
from app.pages.models import Page
from app.snapshots.models import PageSnapshot
from app.snapshots.service import SnapshotError, make_on_demand, verify

app = typer.Typer(help="Half-yearly page snapshots.", no_args_is_help=True,
                  add_completion=False)


@app.callback()
def _group() -> None:
    """Half-yearly page snapshots (PDF and HTML, with their SHA-256)."""


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise _fail(f"invalid settings: {problems}") from None


def _database(settings: Settings) -> Database:
    return Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{option} must be a date YYYY-MM-DD, not {value!r}") from None


@app.command("list")
def list_snapshots(
    page: Annotated[str | None, typer.Option("--page", metavar="ID",
                                             help="Only this page (its Facebook id).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Every snapshot, oldest period first."""
    settings = _settings()
    db = _database(settings)
    try:
        with db.transaction() as session:
            query = (select(PageSnapshot, Page).join(Page, Page.id == PageSnapshot.page_id)
                     .order_by(PageSnapshot.period_start, Page.platform_id, PageSnapshot.id))
            if page is not None:
                if session.scalar(select(Page.id).where(Page.platform_id == page)) is None:
                    raise _fail(f"no page with id {page}")
                query = query.where(Page.platform_id == page)
            rows = [_row(snap, p) for snap, p in session.execute(query)]
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps({"snapshots": rows}, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("no snapshots")
    for row in rows:
        typer.echo(f"{row['id']:>5}  {row['page_id']}  {row['period_start']}..{row['period_end']}"
                   f"  {row['trigger']:<9}  items {row['items']:<6} pdf/a {row['pdfa']!s:<5}"
                   f"  {row['pdf_path']}")


def _row(snap: PageSnapshot, page: Page) -> dict[str, object]:
    return {"id": snap.id, "page_id": page.platform_id, "page_name": page.name,
            "unit": page.unit, "period_start": snap.period_start.isoformat(),
            "period_end": snap.period_end.isoformat(), "trigger": snap.trigger,
            "created_at": snap.created_at.isoformat(), "created_by": snap.created_by,
            "items": snap.items, "pdfa": snap.pdfa,
            "pdf_path": snap.pdf_path, "pdf_sha256": snap.pdf_sha256,
            "pdf_bytes": snap.pdf_bytes, "html_path": snap.html_path,
            "html_sha256": snap.html_sha256, "html_bytes": snap.html_bytes}


@app.command("make")
def make(
    page: Annotated[str, typer.Option("--page", metavar="ID", show_default=False,
                                      help="The page's Facebook id.")],
    date_from: Annotated[str, typer.Option("--from", metavar="YYYY-MM-DD", show_default=False,
                                           help="First day (Swedish time).")],
    date_to: Annotated[str, typer.Option("--to", metavar="YYYY-MM-DD", show_default=False,
                                         help="Last day, included.")],
    by: Annotated[str, typer.Option("--by", help="Who asks for it (kept in the audit log).")
                  ] = "cli",
) -> None:
    """A snapshot on demand; prints where its files are and their SHA-256."""
    first, last = _day(date_from, "--from"), _day(date_to, "--to")
    settings = _settings()
    db = _database(settings)
    try:
        with db.transaction() as session:
            page_id = session.scalar(select(Page.id).where(Page.platform_id == page))
        if page_id is None:
            raise _fail(f"no page with id {page}")
        try:
            snap = make_on_demand(db, settings, page_id, first, last, by.strip()[:100] or "cli")
        except SnapshotError as exc:
            raise _fail(str(exc)) from None
    finally:
        db.dispose()
    typer.echo(f"snapshot {snap.id}: {snap.items} items, PDF/A {'yes' if snap.pdfa else 'no'}")
    typer.echo(f"{snap.pdf_sha256}  {settings.archive_dir / snap.pdf_path}")
    typer.echo(f"{snap.html_sha256}  {settings.archive_dir / snap.html_path}")


@app.command("verify")
def verify_command() -> None:
    """Recompute the SHA-256 of every stored snapshot file. Exit code 1 if any is missing
    or changed."""
    settings = _settings()
    db = _database(settings)
    try:
        with db.transaction() as session:
            checked, problems = verify(session, settings)
    finally:
        db.dispose()
    for problem in problems:
        typer.echo(f"snapshot {problem.snapshot_id} {problem.kind} {problem.problem}: "
                   f"{problem.path}", err=True)
    if problems:
        typer.echo(f"{len(problems)} of {checked} files missing or changed", err=True)
        raise typer.Exit(1)
    typer.echo(f"{checked} files checked, all unchanged")
