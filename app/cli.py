"""The ``uppsikt`` command line."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.audit.cli import audit_app
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.errors import AppError
from app.demo.cli import demo
from app.digest.cli import app as digest_app
from app.fakegraph.cli import fake_graph_app
from app.jobs.cli import jobs_app
from app.questions.cli import app as questions_app
from app.registration.export_cli import export_app
from app.reports.cli import app as reports_app
from app.retention.cli import app as retention_app
from app.snapshots.cli import app as snapshots_app

cli = typer.Typer(help="Uppsikt: moderation and preservation for Facebook Pages.",
                  no_args_is_help=True, add_completion=False)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
pages_cli = typer.Typer(help="The Facebook Pages Uppsikt manages.", no_args_is_help=True)
users_cli = typer.Typer(help="Users and API tokens.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(pages_cli, name="pages")
inbox_cli = typer.Typer(help="Webhook deliveries and changes that need attention.",
                        no_args_is_help=True)
cli.add_typer(users_cli, name="users")
cli.add_typer(inbox_cli, name="inbox")
rules_cli = typer.Typer(help="The moderation rules.", no_args_is_help=True)
cli.add_typer(rules_cli, name="rules")
cli.add_typer(audit_app, name="audit")
cli.add_typer(fake_graph_app, name="fake-graph")
cli.add_typer(export_app, name="export")
cli.add_typer(jobs_app, name="jobs")
cli.add_typer(retention_app, name="retention",
              help="Retention (gallring): decisions, legal holds, culling.")
cli.add_typer(digest_app, name="digest", help="The daily oversight digest.")
cli.add_typer(questions_app, name="questions",
              help="Questions from the public and their answer deadlines.")
cli.add_typer(snapshots_app, name="snapshots", help="Half-yearly page snapshots.")
cli.add_typer(reports_app, name="reports", help="The yearly report.")
cli.command("demo")(demo)


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        fail(f"invalid settings: {problems}")
        raise  # unreachable: fail() exits


@contextmanager
def transaction() -> Iterator[tuple[Session, Settings]]:
    s = settings()
    db = Database(s.database_url, sqlite_synchronous=s.sqlite_synchronous)
    try:
        with db.transaction() as session:
            yield session, s
    except AppError as exc:
        fail(exc.message)
    finally:
        db.dispose()


def _setup_logging(s: Settings) -> None:
    from app.core.logging import configure_logging

    configure_logging(s.log_level, json=s.log_json)


# -- serve / worker / db ---------------------------------------------------------------
@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Apply migrations, then run the web service with its worker and scheduler."""
    import uvicorn

    from app.core.migrate import upgrade
    from app.main import create_app

    s = settings()
    _setup_logging(s)
    upgrade(s.database_url)
    uvicorn.run(create_app(s), host=host, port=port, log_config=None, proxy_headers=True)


@cli.command()
def worker() -> None:
    """Run only the processing worker and scheduler (for extra replicas)."""
    from app.core.migrate import current_revision, head_revision
    from app.graph.client import GraphClient
    from app.jobs.registry import JobEnv
    from app.jobs.scheduler import start_scheduler
    from app.processing.processor import Processor
    from app.processing.worker import Worker
    from app.rules.engine import RuleEngine

    s = settings()
    _setup_logging(s)
    if s.metrics_port:
        from app.core.queue_metrics import metrics_token, start_metrics_server

        start_metrics_server(s.metrics_port, token=metrics_token(s))
    db = Database(s.database_url, sqlite_synchronous=s.sqlite_synchronous)
    if current_revision(db.engine) != head_revision():
        fail("the database schema is not at the latest migration: run `uppsikt db upgrade`")
    graph = GraphClient.from_settings(s)
    rules = RuleEngine.from_directory()
    w = Worker(Processor(db, s, graph, rules), poll_seconds=s.worker_poll_seconds)
    scheduler = start_scheduler(JobEnv(db=db, settings=s, graph=graph, rules=rules))
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: w.stop(timeout=0))
    try:
        w.run()
    finally:
        scheduler.shutdown(wait=False)
        graph.close()
        db.dispose()


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from app.core.migrate import upgrade

    s = settings()
    upgrade(s.database_url, revision)
    typer.echo(f"database at {revision}")


@db_cli.command("current")
def db_current() -> None:
    """Print the database's migration revision and the latest one."""
    from app.core.migrate import current_revision, head_revision

    s = settings()
    db = Database(s.database_url)
    try:
        typer.echo(f"current: {current_revision(db.engine)}  head: {head_revision()}")
    finally:
        db.dispose()


# -- pages ----------------------------------------------------------------------------
@pages_cli.command("add")
def pages_add(
    page_id: Annotated[str, typer.Option("--page-id", help="Numeric Facebook Page id.")],
    name: Annotated[str, typer.Option(help="The page's name.")],
    unit: Annotated[str, typer.Option(help="Responsible department (förvaltning).")],
    token: Annotated[str, typer.Option(help="Page access token (stored encrypted).",
                                       envvar="UPPSIKT_PAGE_TOKEN")],
) -> None:
    """Manage a page. Events already received for it are processed now."""
    from app.pages.service import add_page

    with transaction() as (session, s):
        page, released = add_page(session, secret_key=s.secret_key.get_secret_value(),
                                  platform_id=page_id, name=name, unit=unit, token=token)
        typer.echo(f"page {page.platform_id} ({page.name}, {page.unit}) added; "
                   f"{released} held change(s) released")


@pages_cli.command("list")
def pages_list(
    all_: Annotated[bool, typer.Option("--all", help="Include removed pages.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List managed pages (never their tokens)."""
    from app.pages.service import list_pages

    with transaction() as (session, _):
        rows = [
            {"page_id": p.platform_id, "name": p.name, "unit": p.unit,
             "token": "set" if p.token_encrypted else "none", "token_status": p.token_status,
             "added": p.created_at.isoformat(timespec="seconds"),
             "removed": p.removed_at.isoformat(timespec="seconds") if p.removed_at else None}
            for p in list_pages(session, include_removed=all_)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        removed = f"  removed {r['removed']}" if r["removed"] else ""
        typer.echo(f"{r['page_id']}\t{r['name']}\t{r['unit']}\ttoken {r['token']} "
                   f"({r['token_status']}){removed}")
    if not rows:
        typer.echo("no pages", err=True)


@pages_cli.command("token")
def pages_token(
    page_id: Annotated[str, typer.Option("--page-id")],
    token: Annotated[str, typer.Option(help="The new page access token.",
                                       envvar="UPPSIKT_PAGE_TOKEN")],
) -> None:
    """Replace a page's access token (e.g. after Meta invalidated it)."""
    from app.pages.service import set_page_token

    with transaction() as (session, s):
        set_page_token(session, secret_key=s.secret_key.get_secret_value(),
                       platform_id=page_id, token=token)
        typer.echo(f"token of page {page_id} replaced")


@pages_cli.command("remove")
def pages_remove(page_id: Annotated[str, typer.Option("--page-id")]) -> None:
    """Stop managing a page; its archive is kept and its token forgotten."""
    from app.pages.service import remove_page

    with transaction() as (session, _):
        remove_page(session, page_id)
        typer.echo(f"page {page_id} removed (archive kept)")


# -- users ----------------------------------------------------------------------------
@users_cli.command("add")
def users_add(
    username: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(
        help="moderator, registrar, information_officer or auditor")],
    unit: Annotated[str | None, typer.Option(help="Unit (required for moderators).")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read a password for web login from standard input.")] = False,
    display_name: Annotated[str | None, typer.Option(
        help="The name the web UI shows, e.g. 'Åsa Öberg'.")] = None,
) -> None:
    """Create a user."""
    from app.accounts.service import create_user

    password = _password_from_stdin() if password_stdin else None
    if display_name is not None and not 0 < len(display_name.strip()) <= 200:
        fail("--display-name: 1-200 characters")
    with transaction() as (session, _):
        user = create_user(session, username=username, role=role, unit=unit, password=password)
        user.display_name = display_name.strip() if display_name else None
        typer.echo(f"user {user.username} ({user.role}) created")


def _password_from_stdin() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("no password on standard input")
    return password


@users_cli.command("password")
def users_password(username: Annotated[str, typer.Option()]) -> None:
    """Set a user's web login password (read from standard input); signs the user out of
    every browser."""
    from app.accounts.service import get_user, set_password
    from app.audit.service import record
    from app.ui.auth import end_sessions

    password = _password_from_stdin()
    with transaction() as (session, _):
        user = get_user(session, username)
        set_password(user, password)
        ended = end_sessions(session, user)
        record(session, actor="cli", act="user.password_set", subject_type="user",
               subject_id=user.username)
    typer.echo(f"password set for {username}; {ended} web session(s) ended")


@users_cli.command("disable")
def users_disable(username: Annotated[str, typer.Option()]) -> None:
    """Disable a user: no more sign-in, API tokens revoked, web sessions ended."""
    from app.accounts.service import get_user, revoke_tokens
    from app.audit.service import record
    from app.core.db import utcnow
    from app.ui.auth import end_sessions

    with transaction() as (session, _):
        user = get_user(session, username)
        user.disabled_at = user.disabled_at or utcnow()
        tokens, ended = revoke_tokens(session, user), end_sessions(session, user)
        record(session, actor="cli", act="user.disabled", subject_type="user",
               subject_id=user.username)
    typer.echo(f"{username} disabled; {tokens} token(s) revoked, {ended} web session(s) ended")


@users_cli.command("unlink-oidc")
def users_unlink_oidc(username: Annotated[str, typer.Option()]) -> None:
    """Forget which OpenID Connect account signs in as this user (the next sign-in by
    the user's name links again)."""
    from app.accounts.service import get_user
    from app.audit.service import record
    from app.ui.auth import end_sessions

    with transaction() as (session, _):
        user = get_user(session, username)
        if user.oidc_subject is None:
            fail(f"{username} has no OpenID Connect link")
        previous = {"issuer": user.oidc_issuer, "subject": user.oidc_subject}
        user.oidc_issuer = user.oidc_subject = None
        ended = end_sessions(session, user)
        record(session, actor="cli", act="user.oidc_unlinked", subject_type="user",
               subject_id=user.username, detail=previous)
    typer.echo(f"{username}: OpenID Connect link removed; {ended} web session(s) ended")


@users_cli.command("enable")
def users_enable(username: Annotated[str, typer.Option()]) -> None:
    """Enable a disabled user again (new tokens and sign-ins are needed)."""
    from app.accounts.service import get_user
    from app.audit.service import record

    with transaction() as (session, _):
        user = get_user(session, username)
        user.disabled_at = None
        record(session, actor="cli", act="user.enabled", subject_type="user",
               subject_id=user.username)
    typer.echo(f"{username} enabled")


@users_cli.command("token")
def users_token(username: Annotated[str, typer.Option()]) -> None:
    """Issue a new API bearer token, printed once as the last line."""
    from app.accounts.service import get_user, issue_token

    with transaction() as (session, _):
        token = issue_token(session, get_user(session, username))
    typer.echo(f"new API token for {username} (shown once, store it now):")
    typer.echo(token)


@users_cli.command("revoke")
def users_revoke(username: Annotated[str, typer.Option()]) -> None:
    """Revoke every API token of a user."""
    from app.accounts.service import get_user, revoke_tokens

    with transaction() as (session, _):
        n = revoke_tokens(session, get_user(session, username))
    typer.echo(f"{n} token(s) revoked for {username}")


@users_cli.command("list")
def users_list() -> None:
    """List users and their roles."""
    from sqlalchemy import select

    from app.accounts.models import User

    with transaction() as (session, _):
        for u in session.scalars(select(User).order_by(User.username)):
            state = " (disabled)" if u.disabled_at else ""
            typer.echo(f"{u.username}\t{u.role}\t{u.unit or '-'}{state}")


# -- inbox ----------------------------------------------------------------------------
@inbox_cli.command("list")
def inbox_list() -> None:
    """Show failed deliveries, and changes that are failed, held or being retried."""
    from sqlalchemy import or_, select

    from app.webhooks.models import ChangeStatus, DeliveryStatus, InboxChange, InboxEvent

    with transaction() as (session, _):
        events = session.scalars(select(InboxEvent).where(
            InboxEvent.status == DeliveryStatus.failed).order_by(InboxEvent.id)).all()
        changes = session.scalars(select(InboxChange).where(or_(
            InboxChange.status.in_([ChangeStatus.failed, ChangeStatus.held]),
            (InboxChange.status == ChangeStatus.pending) & (InboxChange.attempts > 0),
        )).order_by(InboxChange.id)).all()
        for e in events:
            typer.echo(f"delivery {e.id}\tfailed\t{e.received_at:%Y-%m-%d %H:%M}\t{e.error}")
        for c in changes:
            status = "retrying" if c.status == ChangeStatus.pending else c.status
            typer.echo(f"change {c.id}\t{status}\tpage {c.page_platform_id}\t"
                       f"attempts {c.attempts}\t{c.last_error}")
    if not events and not changes:
        typer.echo("nothing needs attention")


@inbox_cli.command("retry")
def inbox_retry(
    delivery: Annotated[list[int] | None, typer.Option(help="Delivery id (repeatable).")] = None,
    change: Annotated[list[int] | None, typer.Option(help="Change id (repeatable).")] = None,
) -> None:
    """Queue failed deliveries or failed/retrying changes again, now."""
    from sqlalchemy import update

    from app.core.db import utcnow
    from app.webhooks.models import ChangeStatus, DeliveryStatus, InboxChange, InboxEvent

    if not delivery and not change:
        fail("name at least one --delivery or --change")
    with transaction() as (session, _):
        n = 0
        if delivery:
            n += session.execute(
                update(InboxEvent).where(InboxEvent.id.in_(delivery),
                                         InboxEvent.status == DeliveryStatus.failed)
                .values(status=DeliveryStatus.received, error=None)).rowcount
        if change:
            n += session.execute(
                update(InboxChange).where(InboxChange.id.in_(change), InboxChange.status.in_(
                    [ChangeStatus.failed, ChangeStatus.pending]))
                .values(status=ChangeStatus.pending, next_attempt_at=utcnow())).rowcount
    typer.echo(f"{n} queued again")


# -- rules ----------------------------------------------------------------------------
@rules_cli.command("check")
def rules_check(
    text: Annotated[str, typer.Argument(help="The text to check.")],
    page: Annotated[str | None, typer.Option("--page", help="Use this page's policy.")] = None,
) -> None:
    """Print the decision for TEXT as JSON, with every match explained."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from app.rules.engine import Policy, RuleEngine
    from app.rules.wordlists import WordListError

    policy = Policy()
    if page is not None:
        from app.pages.service import get_managed_page
        from app.rules.policies import current_policy

        with transaction() as (session, _):
            policy = current_policy(session, get_managed_page(session, page))
    try:
        engine = RuleEngine.from_directory()
    except WordListError as exc:
        fail(str(exc))
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    decision = engine.check(text, policy, today=today)
    typer.echo(json.dumps(decision.as_dict(), ensure_ascii=False, indent=2))


@rules_cli.command("policy")
def rules_policy(
    page: Annotated[str, typer.Option("--page", help="The page.")],
    set_file: Annotated[str | None, typer.Option(
        "--set", help="Set a new policy version from this JSON file ('-': standard input).")]
    = None,
    actor: Annotated[str, typer.Option(help="Who makes the change (recorded).")] = "cli",
) -> None:
    """Show a page's policy and its versions, or set a new version."""
    from sqlalchemy import select

    from app.pages.service import get_managed_page
    from app.rules.models import PolicyVersion
    from app.rules.policies import set_policy

    with transaction() as (session, _):
        p = get_managed_page(session, page)
        if set_file is not None:
            raw = sys.stdin.read() if set_file == "-" else _read_text(set_file)
            try:
                body = json.loads(raw)
            except json.JSONDecodeError as exc:
                fail(f"the policy is not JSON: {exc}")
            row = set_policy(session, p, body, actor=actor)
            typer.echo(f"page {page}: policy version {row.version} set")
            return
        rows = session.scalars(select(PolicyVersion).where(PolicyVersion.page_id == p.id)
                               .order_by(PolicyVersion.version)).all()
        typer.echo(json.dumps({
            "page_id": page,
            "current": rows[-1].body if rows else None,
            "versions": [{"version": r.version, "by": r.created_by,
                          "at": r.created_at.isoformat(timespec="seconds"), "note": r.note}
                         for r in rows],
        }, ensure_ascii=False, indent=2))


@rules_cli.command("words")
def rules_words(
    page: Annotated[str, typer.Option("--page")],
    file: Annotated[str, typer.Option(help="Facebook's list, ord1,ord2,ord3 ('-': stdin).")],
    name: Annotated[str, typer.Option(help="A name for the list.")] = "facebook",
    category: Annotated[str, typer.Option(help="The category its words belong to.")]
    = "profanity",
    actor: Annotated[str, typer.Option(help="Who makes the change (recorded).")] = "cli",
) -> None:
    """Import a page's own words (Facebook's comma-separated format) as a new policy version."""
    from app.pages.service import get_managed_page
    from app.rules.policies import import_facebook_words

    text = sys.stdin.read() if file == "-" else _read_text(file)
    with transaction() as (session, _):
        row = import_facebook_words(session, get_managed_page(session, page), text, name=name,
                                    category=category, actor=actor)
        typer.echo(f"page {page}: policy version {row.version} ({row.note})")


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")
        raise


def main() -> None:
    cli()
