"""`uppsikt digest`: the daily oversight digest, its recipients, and sending it by hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.oversight.service import STOCKHOLM

app = typer.Typer(help="The daily oversight digest.", no_args_is_help=True)

UnitOption = Annotated[str, typer.Option("--unit", help="The unit (förvaltning).")]
DayOption = Annotated[str | None, typer.Option("--day", help="YYYY-MM-DD (default today).")]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _day(value: str | None) -> date:
    if value is None:
        return datetime.now(STOCKHOLM).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"not a date (YYYY-MM-DD): {value!r}")
        raise


def _known_unit(session: Session, unit: str) -> None:
    from app.digest.service import units

    if unit not in units(session):
        _fail(f"no unit {unit!r} with pages in Uppsikt")


@app.command("show")
def show(unit: UnitOption, day: DayOption = None) -> None:
    """Print the text version: the digest made that day, or one built now."""
    from app.cli import transaction
    from app.digest import mail
    from app.digest.models import Digest
    from app.digest.service import build_digest

    wanted = _day(day)
    with transaction() as (session, settings):
        made = session.scalar(select(Digest).where(Digest.unit == unit, Digest.day == wanted))
        if made is None:
            _known_unit(session, unit)
            content = build_digest(session, unit, wanted)
        else:
            content = made.content
        typer.echo(mail.render_text(content, settings.public_url))


@app.command("recipients")
def recipients() -> None:
    """Every recipient: id, unit (all units when empty) and address."""
    from app.cli import transaction
    from app.digest.models import DigestRecipient

    with transaction() as (session, _settings):
        rows = list(session.scalars(select(DigestRecipient).order_by(
            DigestRecipient.unit, DigestRecipient.email)))
        for r in rows:
            typer.echo(f"{r.id}\t{r.unit or '(alla enheter)'}\t{r.email}")
    if not rows:
        typer.echo("no recipients")


@app.command("add-recipient")
def add_recipient(
    email: Annotated[str, typer.Option("--email")],
    unit: Annotated[str | None, typer.Option("--unit", help="Omit for every unit.")] = None,
    by: Annotated[str, typer.Option("--by", help="Who adds it (recorded).")] = "cli",
) -> None:
    """Add an address that receives a unit's digest (or every unit's)."""
    from app.cli import transaction
    from app.digest.recipients import RecipientError, add

    with transaction() as (session, _settings):
        try:
            row = add(session, email=email, unit=unit, by=by)
        except RecipientError as exc:
            _fail(str(exc))
            return
        typer.echo(f"added {row.id}")


@app.command("remove-recipient")
def remove_recipient(
    recipient_id: Annotated[int, typer.Argument(help="The id `recipients` shows.")],
    by: Annotated[str, typer.Option("--by", help="Who removes it (recorded).")] = "cli",
) -> None:
    """Remove a recipient."""
    from app.cli import transaction
    from app.digest.recipients import RecipientError, remove

    with transaction() as (session, _settings):
        try:
            remove(session, recipient_id, by=by)
        except RecipientError as exc:
            _fail(str(exc))
    typer.echo(f"removed {recipient_id}")


@app.command("send")
def send(unit: UnitOption, day: DayOption = None) -> None:
    """Make the unit's digest for the day (if not made yet) and e-mail it now."""
    from app.cli import settings as load_settings
    from app.core.db import Database
    from app.digest.service import make_digest, send_digest

    wanted = _day(day)
    s = load_settings()
    if not s.smtp_host:
        _fail("no SMTP host is configured (UPPSIKT_SMTP_HOST)")
    db = Database(s.database_url, sqlite_synchronous=s.sqlite_synchronous)
    try:
        with db.transaction(immediate=True) as session:
            _known_unit(session, unit)
            digest, _new = make_digest(session, unit, wanted)
            digest_id = digest.id
        outcome = send_digest(db, s, digest_id, actor="cli")
        if outcome == "failed":
            with db.transaction() as session:
                from app.digest.models import Digest

                row = session.get(Digest, digest_id)
                _fail(f"sending failed: {row.send_error if row else 'unknown'}")
        if outcome == "no_recipients":
            _fail(f"no recipients for {unit!r}: add one with `uppsikt digest add-recipient`")
    finally:
        db.dispose()
    typer.echo(f"sent the digest for {unit} {wanted.isoformat()}")
