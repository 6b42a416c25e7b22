"""`uppsikt retention`: the rules from retention decisions, legal holds, what would be
culled now, and the culling record. The culling itself is the job: `uppsikt jobs run
retention` (with `--dry-run` to see what it would do).

Every change names the person making it with ``--by``: the audit log records a person,
and the account a server's shell runs under rarely is one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import AppError

app = typer.Typer(help="Retention (gallring): decisions, legal holds, culling.",
                  no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="Who makes the change (recorded in the audit "
                                              "log).")]
Json = Annotated[bool, typer.Option("--json", help="As JSON.")]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def _session(*, write: bool = False) -> Iterator[Session]:
    from app.cli import settings
    from app.core.db import Database
    from app.core.migrate import current_revision, head_revision

    s = settings()
    db = Database(s.database_url, sqlite_synchronous=s.sqlite_synchronous)
    try:
        if current_revision(db.engine) != head_revision():
            _fail("the database schema is not at the latest migration: run `uppsikt db upgrade`")
        with db.transaction(immediate=write) as session:
            yield session
    except AppError as exc:
        _fail(exc.message)
    finally:
        db.dispose()


def _when(value: datetime | None) -> str:
    from app.retention.service import STOCKHOLM

    return value.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M") if value else "-"


def _emit(rows: list[dict[str, Any]]) -> None:
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))


@app.command("rules")
def rules_list(
    all_: Annotated[bool, typer.Option("--all", help="Include retired rules.")] = False,
    as_json: Json = False,
) -> None:
    """The retention rules, each with its decision."""
    from app.pages.models import Page
    from app.retention.models import RetentionRule

    with _session() as session:
        stmt = select(RetentionRule, Page.platform_id).outerjoin(
            Page, Page.id == RetentionRule.page_id).order_by(RetentionRule.id)
        if not all_:
            stmt = stmt.where(RetentionRule.retired_at.is_(None))
        rows = [{"id": r.id, "page": page, "kind": r.kind, "keep_days": r.keep_days,
                 "decision_ref": r.decision_ref,
                 "decision_date": r.decision_date.isoformat() if r.decision_date else None,
                 "note": r.note, "created_by": r.created_by, "created_at": r.created_at,
                 "retired_at": r.retired_at, "retired_by": r.retired_by}
                for r, page in session.execute(stmt)]
    if as_json:
        _emit(rows)
        return
    if not rows:
        typer.echo("no retention rules")
    for row in rows:
        retired = f"  retired {_when(row['retired_at'])}" if row["retired_at"] else ""
        typer.echo(f"{row['id']:>4}  {row['page'] or 'all pages':<20} {row['kind']:<8} "
                   f"{row['keep_days']:>6} days  {row['decision_ref']}{retired}")


@app.command("add-rule")
def add_rule(
    kind: Annotated[str, typer.Option("--kind", help="post, comment, reply or message.")],
    keep_days: Annotated[int, typer.Option("--keep-days", help="Days kept after creation.")],
    decision: Annotated[str, typer.Option("--decision",
                                          help="The retention decision, e.g. 'KS 2026/0123'.")],
    by: By,
    page: Annotated[str | None, typer.Option("--page", help="Facebook page id.")] = None,
    all_pages: Annotated[bool, typer.Option("--all-pages", help="Every page.")] = False,
    decision_date: Annotated[str | None, typer.Option("--decision-date",
                                                      help="YYYY-MM-DD.")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Add a rule from a retention decision, for one page or for every page."""
    from app.retention import service

    if (page is None) == (not all_pages):
        _fail("give either --page ID or --all-pages")
    decided = None
    if decision_date is not None:
        try:
            decided = date.fromisoformat(decision_date)
        except ValueError:
            _fail("--decision-date: a date as YYYY-MM-DD")
    with _session(write=True) as session:
        rule = service.add_rule(session, page=page, kind=kind, keep_days=keep_days,
                                decision_ref=decision, decision_date=decided, note=note, by=by)
        rule_id = rule.id
    typer.echo(f"rule {rule_id} added: {kind} on {page or 'every page'} kept {keep_days} days "
               f"({decision.strip()})")


@app.command("retire-rule")
def retire_rule(rule_id: Annotated[int, typer.Argument()], by: By) -> None:
    """Retire a rule (the decision was replaced or withdrawn); it stays as history."""
    from app.retention import service

    with _session(write=True) as session:
        service.retire_rule(session, rule_id, by=by)
    typer.echo(f"rule {rule_id} retired")


@app.command("hold")
def hold(
    reason: Annotated[str, typer.Option("--reason", help="Why (e.g. a request, a case).")],
    by: By,
    item: Annotated[str | None, typer.Option("--item", help="An item's Facebook id.")] = None,
    post: Annotated[str | None, typer.Option("--post",
                                             help="A post's Facebook id: the post and "
                                                  "everything under it.")] = None,
    page: Annotated[str | None, typer.Option("--page", help="A page's Facebook id.")] = None,
) -> None:
    """Place a legal hold: nothing under it is culled until it is released."""
    from app.retention import service

    given = [(s, t) for s, t in (("item", item), ("post", post), ("page", page)) if t]
    if len(given) != 1:
        _fail("give exactly one of --item, --post, --page")
    scope, target = given[0]
    with _session(write=True) as session:
        placed = service.place_hold(session, scope=scope, target=target or "", reason=reason,
                                    by=by)
        hold_id = placed.id
    typer.echo(f"hold {hold_id} placed on {scope} {target}")


@app.command("release")
def release(hold_id: Annotated[int, typer.Argument()], by: By) -> None:
    """Release a legal hold; it stays as history."""
    from app.retention import service

    with _session(write=True) as session:
        service.release_hold(session, hold_id, by=by)
    typer.echo(f"hold {hold_id} released")


@app.command("holds")
def holds(
    all_: Annotated[bool, typer.Option("--all", help="Include released holds.")] = False,
    as_json: Json = False,
) -> None:
    """The legal holds."""
    from app.retention import service
    from app.retention.models import LegalHold

    with _session() as session:
        stmt = select(LegalHold).order_by(LegalHold.id)
        if not all_:
            stmt = stmt.where(LegalHold.released_at.is_(None))
        rows = [{"id": h.id, "scope": h.scope, "target": service.hold_target(session, h),
                 "reason": h.reason, "placed_by": h.placed_by, "placed_at": h.placed_at,
                 "released_by": h.released_by, "released_at": h.released_at}
                for h in session.scalars(stmt)]
    if as_json:
        _emit(rows)
        return
    if not rows:
        typer.echo("no legal holds")
    for row in rows:
        released = f"  released {_when(row['released_at'])}" if row["released_at"] else ""
        typer.echo(f"{row['id']:>4}  {row['scope']:<5} {row['target']:<32} "
                   f"{_when(row['placed_at'])} {row['placed_by']}{released}")


@app.command("dry-run")
def dry_run(
    at: Annotated[str | None, typer.Option("--at", help="As of this ISO time (default "
                                                        "now).")] = None,
    as_json: Json = False,
) -> None:
    """What the retention job would cull now (nothing is changed)."""
    from app.core.db import utcnow
    from app.retention import service

    now = utcnow()
    if at is not None:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            _fail("--at: an ISO date and time")
        if now.tzinfo is None:
            now = now.replace(tzinfo=service.STOCKHOLM)
    with _session() as session:
        due = service.candidates(session, now)
    if as_json:
        _emit([c.as_dict() for c in due])
        return
    typer.echo(f"{len(due)} item(s) would be culled")
    for group in service.summarise(due):
        typer.echo(f"  {group['page']:<20} {group['kind']:<8} {group['items']:>6}  "
                   f"{group['decision_ref']}")
    for c in due:
        typer.echo(f"{c.platform_id:<40} {c.kind:<8} {c.age_from.date().isoformat()}  "
                   f"rule {c.rule_id}")


@app.command("culled")
def culled(
    limit: Annotated[int, typer.Option("--limit", min=1, max=100000)] = 1000,
    as_json: Json = False,
) -> None:
    """The culling record: what was culled, under which decision, when (newest first)."""
    from app.pages.models import Page
    from app.retention.models import CullingRecord

    with _session() as session:
        rows = [{"id": r.id, "item": r.item_platform_id, "page": page, "kind": r.kind,
                 "created_time": r.created_time, "rule_id": r.rule_id,
                 "decision_ref": r.decision_ref, "versions": r.versions,
                 "media_files": r.media_files, "culled_at": r.culled_at,
                 "culled_by": r.culled_by, "run_id": r.run_id}
                for r, page in session.execute(
                    select(CullingRecord, Page.platform_id)
                    .join(Page, Page.id == CullingRecord.page_id)
                    .order_by(CullingRecord.culled_at.desc(), CullingRecord.id.desc())
                    .limit(limit))]
    if as_json:
        _emit(rows)
        return
    if not rows:
        typer.echo("nothing culled")
    for row in rows:
        typer.echo(f"{_when(row['culled_at'])}  {row['item']:<40} {row['kind']:<8} "
                   f"{row['decision_ref']}")
