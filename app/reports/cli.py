"""``uppsikt reports``: the yearly report's figures, and the stored reports.

Registered by app/cli.py, which imports this module; so this module imports app/cli.py
only inside the commands (as app/jobs/cli.py does).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from app.core.config import Settings
from app.core.db import Database
from app.reports.figures import STOCKHOLM, check_year
from app.reports.pdf import hours, percent

app = typer.Typer(help="The yearly report to the head of communications.",
                  no_args_is_help=True)
Year = Annotated[int, typer.Option("--year", metavar="YYYY", help="The calendar year.")]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _today() -> date:
    return datetime.now(STOCKHOLM).date()


@contextmanager
def _database() -> Iterator[tuple[Database, Settings]]:
    from app.cli import settings
    from app.core.migrate import current_revision, head_revision

    s = settings()
    db = Database(s.database_url, sqlite_synchronous=s.sqlite_synchronous)
    try:
        if current_revision(db.engine) != head_revision():
            _fail("the database schema is not at the latest migration: run `uppsikt db upgrade`")
        yield db, s
    finally:
        db.dispose()


def _checked(year: int) -> None:
    try:
        check_year(year, _today())
    except ValueError as exc:
        _fail(str(exc))


@app.command("show")
def show(year: Year,
         as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False) -> None:
    """The year's figures (the current year: so far), without storing a report."""
    from app.reports.figures import yearly_figures

    _checked(year)
    with _database() as (db, _), db.transaction() as session:
        figures = yearly_figures(session, year, _today())
    if as_json:
        typer.echo(json.dumps(figures.as_dict(), ensure_ascii=False, indent=2))
        return
    scope = "the whole year" if figures.complete else f"so far, to {figures.through}"
    typer.echo(f"Yearly report {year} ({scope})")
    header = (f"{'unit / page':<40} {'items':>7} {'hidden':>7} {'deleted':>7} "
              f"{'restored':>8} {'registered':>10} {'oversight':>9} {'in time':>8} "
              f"{'median':>8}")
    typer.echo(header)
    for unit in figures.units:
        rows = [(f"  {p.name}", p.counts) for p in unit.pages] + [(unit.unit, unit.counts)]
        for name, c in rows:
            typer.echo(f"{name[:40]:<40} {c.items:>7} {c.hidden:>7} {c.deleted:>7} "
                       f"{c.restored:>8} {c.registered:>10} {percent(c.coverage):>9} "
                       f"{percent(c.in_time_share):>8} {hours(c.median_answer_hours):>8}")
    c = figures.total
    typer.echo(f"{'total':<40} {c.items:>7} {c.hidden:>7} {c.deleted:>7} {c.restored:>8} "
               f"{c.registered:>10} {percent(c.coverage):>9} {percent(c.in_time_share):>8} "
               f"{hours(c.median_answer_hours):>8}")
    typer.echo(f"snapshots of the year: {len(figures.snapshots)}")


@app.command("make")
def make(year: Year) -> None:
    """Make and store the year's report (PDF and CSV); prints the files and their SHA-256."""
    from app.reports.service import make_report

    _checked(year)
    with _database() as (db, s):
        report = make_report(db, s, year, trigger="on_demand", by="cli")
    assert report is not None
    archive = Path(s.archive_dir)
    typer.echo(f"report {report.id} for {year}")
    typer.echo(f"pdf {archive / report.pdf_path} sha256 {report.pdf_sha256}")
    typer.echo(f"csv {archive / report.csv_path} sha256 {report.csv_sha256}")


@app.command("list")
def list_reports(
        as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False) -> None:
    """The stored reports, newest first."""
    from app.snapshots.models import YearlyReport

    with _database() as (db, _), db.transaction() as session:
        reports = list(session.scalars(select(YearlyReport).order_by(
            YearlyReport.year.desc(), YearlyReport.id.desc())))
    rows = [{"id": r.id, "year": r.year, "trigger": r.trigger,
             "created_at": r.created_at.isoformat(), "created_by": r.created_by,
             "pdf": r.pdf_path, "pdf_sha256": r.pdf_sha256,
             "csv": r.csv_path, "csv_sha256": r.csv_sha256} for r in reports]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("no reports yet")
    for r in reports:
        typer.echo(f"{r.id:>5} {r.year} {r.created_at.astimezone(STOCKHOLM):%Y-%m-%d %H:%M} "
                   f"{r.trigger:<9} {r.pdf_path} {r.pdf_sha256}")
