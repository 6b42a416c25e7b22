"""``uppsikt audit``: check the audit log's hash chain.

Registered by app/cli.py, which imports this module; so this module does not import
app/cli.py back and opens the database itself.
"""

from __future__ import annotations

import typer
from pydantic import ValidationError

from app.audit.service import verify
from app.core.config import get_settings
from app.core.db import Database

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute every entry's hash and check the chain. Exit code 1 if it is broken."""
    try:
        s = get_settings()
    except ValidationError as exc:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        typer.echo(f"error: invalid settings: {problems}", err=True)
        raise typer.Exit(2) from None
    db = Database(s.database_url, sqlite_synchronous=s.sqlite_synchronous)
    try:
        with db.transaction() as session:
            result = verify(session)
    finally:
        db.dispose()
    if not result.ok:
        typer.echo(f"audit log BROKEN at {result.problem}", err=True)
        raise typer.Exit(1)
    if result.head_hash is None:
        typer.echo("audit log intact: 0 entries (empty)")
    else:
        typer.echo(f"audit log intact: {result.entries} entries, head {result.head_hash}")
