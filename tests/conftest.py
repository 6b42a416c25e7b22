"""Shared fixtures. Every test runs against a real database built by the Alembic
migrations: SQLite by default, PostgreSQL when UPPSIKT_TEST_DATABASE_URL points at one
(a throw-away database is created beside it and dropped afterwards)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.accounts.service import create_user, issue_token
from app.audit.service import verify
from app.core.config import Settings
from app.core.db import Base, Database
from app.core.migrate import upgrade
from app.graph.client import GraphClient
from app.jobs.registry import JobEnv
from app.main import create_app
from app.pages.service import add_page
from app.processing.processor import Processor
from app.rules.engine import RuleEngine
from app.webhooks.signature import sign
from tests.fakes.graph import FakeGraphServer

# Real captured payloads (MIT, see fixtures/meta-webhooks/PROVENANCE.md).
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "meta-webhooks"
APP_SECRET = "test-app-secret-0123456789"
VERIFY_TOKEN = "test-verify-token-0123456789"
SECRET_KEY = "test-secret-key-0123456789-0123456789"
PAGE_TOKEN = "page-token-secret"
FEED_PAGE = "1234567890321"  # the page id in the feed fixtures
MESSENGER_PAGE = "12345654332"  # the page id in the messaging fixtures


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.glob("*.json"))


def meta_body(doc: Any) -> bytes:
    """Serialise as Meta does: compact, non-ASCII escaped as \\uXXXX."""
    return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode()


def _create_pg_database(base_url: str) -> str:
    url = make_url(base_url)
    name = f"uppsikt_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(test_url: str) -> None:
    url = make_url(test_url)
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def _no_secret_in_any_log() -> Iterator[None]:
    """The suite's secrets, and anything shaped like an API token, in no log record of
    the whole run (records are taken where they are made, whatever the handlers)."""
    from tests.logscan import LogScan

    scan = LogScan([APP_SECRET, VERIFY_TOKEN, SECRET_KEY, PAGE_TOKEN,
                    "korrekt-häst-batteri-häfte"]).install()
    yield
    scan.remove()
    leaks = scan.leaks()
    assert leaks == [], "secrets in the logs of the suite:\n" + "\n".join(leaks[:20])


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A factory of empty databases (no migrations applied) of the backend under test."""
    base = os.environ.get("UPPSIKT_TEST_DATABASE_URL")
    made: list[str] = []

    def make() -> str:
        if base and base.startswith("postgresql"):
            made.append(_create_pg_database(base))
            return made[-1]
        path = tmp_path_factory.mktemp("db") / "uppsikt.db"
        return f"sqlite:///{path}"

    yield make
    for url in made:
        _drop_pg_database(url)


@pytest.fixture(scope="session")
def database_url(fresh_database_url: Any) -> str:
    url = fresh_database_url()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


SQLITE_AUDIT_NO_DELETE = ("CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON "
                          "audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "db" in request.fixturenames:
        database: Database = request.getfixturevalue("db")
        if request.node.get_closest_marker("breaks_audit_chain") is None:
            # Whatever a test did, the audit chain it left must verify (invariant 6).
            with database.transaction() as session:
                result = verify(session)
            assert result.ok, f"the audit chain is broken: {result.problem}"
        clear_tables(database)


def clear_tables(database: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as conn:
        # The audit log is append-only in the database (triggers from migration 0003):
        # between tests, and only here, its triggers are set aside.
        if database.is_sqlite:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))
            conn.execute(text(SQLITE_AUDIT_NO_DELETE))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in tables)
                              + " RESTART IDENTITY CASCADE"))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


@pytest.fixture(scope="session")
def fake_graph() -> Iterator[FakeGraphServer]:
    server = FakeGraphServer().start()
    yield server
    server.stop()


@pytest.fixture
def graph_state(fake_graph: FakeGraphServer):  # noqa: ANN201
    fake_graph.state.reset()
    fake_graph.state.token = PAGE_TOKEN
    return fake_graph.state


@pytest.fixture
def settings(database_url: str, fake_graph: FakeGraphServer, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        secret_key=SECRET_KEY,
        meta_app_secret=APP_SECRET,
        meta_verify_token=VERIFY_TOKEN,
        graph_base_url=fake_graph.base_url,
        graph_api_version="v24.0",
        graph_timeout_seconds=5,
        media_dir=tmp_path / "media",
        archive_dir=tmp_path / "archive",
        worker_enabled=False,
        retry_base_seconds=30,
        log_json=True,
    )


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def rules() -> RuleEngine:
    return RuleEngine.from_directory()


def preserved_first(database_url: str) -> tuple[Any, Any]:
    """A check for the fake Graph's ``before_action`` hook: a hide or delete finds its
    snapshot committed, seen through a connection of its own, and a delete finds the
    snapshot's media stored too (invariant 3). Returns the check and its engine."""
    engine = create_engine(database_url)

    def check(method: str, object_id: str) -> None:
        with engine.connect() as conn:
            snap = conn.execute(text(
                "SELECT s.id FROM snapshot s JOIN item i ON i.id = s.item_id "
                "WHERE i.platform_id = :p ORDER BY s.id DESC"), {"p": object_id}).first()
            if snap is None:
                raise AssertionError(f"{method} {object_id} before any snapshot was committed")
            if method == "DELETE":
                waiting = conn.execute(text(
                    "SELECT count(*) FROM snapshot_media m JOIN snapshot s ON s.id = "
                    "m.snapshot_id JOIN item i ON i.id = s.item_id WHERE i.platform_id = :p "
                    "AND m.status NOT IN ('stored', 'not_media')"), {"p": object_id}).scalar()
                if waiting:
                    raise AssertionError(f"DELETE {object_id} before its media were stored")

    return check, engine


@pytest.fixture
def processor(settings: Settings, db: Database, graph_state: Any, database_url: str,
              rules: RuleEngine) -> Iterator[Processor]:
    """The processor, with the fake Graph checking every action it performs."""
    graph = GraphClient.from_settings(settings)
    check, engine = preserved_first(database_url)
    graph_state.before_action = check
    yield Processor(db, settings, graph, rules)
    graph_state.before_action = None
    graph.close()
    engine.dispose()
    assert graph_state.hook_failures == [], "an action reached Facebook before its snapshot"


@pytest.fixture
def job_env(settings: Settings, db: Database, graph_state: Any,
            rules: RuleEngine) -> Iterator[JobEnv]:
    """What the scheduled jobs get: the test database and the fake Graph API over HTTP."""
    graph = GraphClient.from_settings(settings)
    yield JobEnv(db=db, settings=settings, graph=graph, rules=rules)
    graph.close()


UPPSIKT = [sys.executable, "-m", "app"]


@pytest.fixture
def run(database_url: str, db: Database) -> Any:
    """Runs `uppsikt` as a real subprocess against the test database."""
    env = {**os.environ, "UPPSIKT_DATABASE_URL": database_url, "UPPSIKT_SECRET_KEY": SECRET_KEY}
    cwd = Path(__file__).resolve().parents[1]

    def run_(*args: str, stdin: str | None = None, ok: bool = True):
        result = subprocess.run([*UPPSIKT, *args], input=stdin, capture_output=True, text=True,
                                env=env, cwd=cwd, timeout=60)
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    return run_


def post_signed(client: TestClient, body: bytes, *, secret: str = APP_SECRET) -> Any:
    return client.post("/webhooks/meta", content=body,
                       headers={"X-Hub-Signature-256": sign(secret, body),
                                "Content-Type": "application/json"})


def add_test_page(db: Database, platform_id: str = FEED_PAGE, *, unit: str = "Kommunstyrelsen",
                  name: str = "Falu kommun") -> int:
    with db.transaction() as session:
        page, released = add_page(session, secret_key=SECRET_KEY, platform_id=platform_id,
                                  name=name, unit=unit, token=PAGE_TOKEN)
        return released


def api_token(db: Database, role: str = "auditor", *, unit: str | None = None,
              username: str | None = None) -> str:
    with db.transaction() as session:
        user = create_user(session, username=username or f"{role}-{uuid.uuid4().hex[:6]}",
                           role=role, unit=unit)
        return issue_token(session, user)
