"""``GET /metrics``: the process's counters, and the queues read from the database.

Queue depths are the database's truth, not a process's: every replica answers the same
numbers, each sample labelled with ``database`` (a fingerprint of the database it was
read from, without credentials) so that a query can keep one per database
(``max by (database, queue) (uppsikt_queue_depth)``). The queries are COUNTs over
indexed columns, bounded by a statement timeout, and their answer is kept for a few
seconds so that frequent scrapes from several Prometheus servers do not load the
database. Nothing here reads a token, a secret or any text a person wrote.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy import Connection, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.alerts.models import Alert
from app.core.db import Database
from app.core.logging import get_logger
from app.moderation.models import (
    Action,
    ActionStatus,
    CaseStatus,
    MediaStatus,
    RegistrationCase,
    SnapshotMedia,
)
from app.questions.models import ServiceQuestion
from app.review.service import waiting
from app.webhooks.models import ChangeStatus, DeliveryStatus, InboxChange, InboxEvent

log = get_logger("uppsikt.metrics")

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CACHE_SECONDS = 5.0
TIMEOUT_SECONDS = 2.0


def database_fingerprint(url: str) -> str:
    """A short, stable name for a database that reveals neither host nor credentials."""
    parsed = make_url(url)
    key = f"{parsed.get_backend_name()}|{parsed.host or ''}|{parsed.port or ''}|" \
          f"{parsed.database or ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def read_queues(session: Session, *, today: Any) -> dict[str, int]:
    """Each queue's depth, as the database has it now."""
    review = waiting(session).subquery()
    return {
        "inbox_deliveries": _count(session, InboxEvent,
                                   InboxEvent.status == DeliveryStatus.received),
        "changes_pending": _count(session, InboxChange,
                                  InboxChange.status == ChangeStatus.pending),
        "changes_held": _count(session, InboxChange, InboxChange.status == ChangeStatus.held),
        "actions_pending": _count(session, Action, Action.status == ActionStatus.pending),
        "media_pending": _count(session, SnapshotMedia,
                                SnapshotMedia.status == MediaStatus.pending),
        "review": session.scalar(select(func.count()).select_from(review)) or 0,
        "registration_pending": _count(session, RegistrationCase,
                                       RegistrationCase.status == CaseStatus.pending),
        "alerts_open": _count(session, Alert, Alert.resolved_at.is_(None)),
        "questions_open": _count(session, ServiceQuestion, ServiceQuestion.status == "open"),
        "questions_overdue": _count(session, ServiceQuestion, ServiceQuestion.status == "open",
                                    ServiceQuestion.due_on < today),
    }


@contextmanager
def _time_limit(conn: Connection, seconds: float) -> Iterator[None]:
    """Stop the queries if they take longer than ``seconds`` (a busy database must not
    make scrapes pile up)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL statement_timeout = {int(seconds * 1000)}"))
        yield
        return
    raw = conn.connection.dbapi_connection
    timer = threading.Timer(seconds, raw.interrupt) if hasattr(raw, "interrupt") else None
    if timer is not None:
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()


class QueueCollector(Collector):
    """Reads the queue depths at scrape time, at most once per ``ttl`` seconds."""

    def __init__(self, db: Database, *, ttl: float = CACHE_SECONDS,
                 timeout: float = TIMEOUT_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.ttl = ttl
        self.timeout = timeout
        self.database = database_fingerprint(db.url)
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._depths: dict[str, int] | None = None
        self._seconds = 0.0

    def _refresh(self) -> None:
        now = self._clock()
        if self._read_at is not None and now - self._read_at < self.ttl:
            return
        started = time.perf_counter()
        try:
            with (self.db.engine.connect() as conn, conn.begin(),
                  _time_limit(conn, self.timeout), Session(bind=conn) as session):
                depths = read_queues(session, today=datetime.now(STOCKHOLM).date())
        except Exception as exc:  # noqa: BLE001 - a scrape reports the failure instead
            log.warning("metrics.queues_unavailable", error=type(exc).__name__)
            depths = None
        self._depths, self._read_at = depths, now
        self._seconds = time.perf_counter() - started

    def collect(self) -> Iterable[GaugeMetricFamily]:
        with self._lock:
            self._refresh()
            depths, seconds = self._depths, self._seconds
        labels = ["database"]
        up = GaugeMetricFamily("uppsikt_queue_read_success", "1 when the last read of the "
                               "queue depths from the database succeeded.", labels=labels)
        up.add_metric([self.database], 1.0 if depths is not None else 0.0)
        took = GaugeMetricFamily("uppsikt_queue_read_seconds", "How long the last read of "
                                 "the queue depths took.", labels=labels)
        took.add_metric([self.database], seconds)
        yield up
        yield took
        if depths is None:
            return
        gauge = GaugeMetricFamily(
            "uppsikt_queue_depth", "Work waiting, read from the database (the same from every "
            "replica: deduplicate by the database label).", labels=["database", "queue"])
        for queue, depth in depths.items():
            gauge.add_metric([self.database, queue], float(depth))
        yield gauge


def _authorised(header: str | None, token: str | None) -> bool:
    if not token:
        return True
    expected = f"Bearer {token}".encode()
    return hmac.compare_digest((header or "").encode(), expected)


def metrics_token(settings: Any) -> str | None:
    secret = getattr(settings, "metrics_token", None)
    value = secret.get_secret_value() if secret is not None else ""
    return value.strip() or None


def exposition(queues: CollectorRegistry | None) -> bytes:
    """The text format: this process's metrics, then the database's queues."""
    body = generate_latest(REGISTRY)
    return body + generate_latest(queues) if queues is not None else body


router = APIRouter(tags=["health"])


@router.get("/metrics", summary="Prometheus metrics (text format)",
            response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}},
                       401: {"description": "UPPSIKT_METRICS_TOKEN is set and the bearer "
                                            "token does not match"}})
def metrics(request: Request) -> Response:
    token = metrics_token(request.app.state.settings)
    if not _authorised(request.headers.get("authorization"), token):
        return Response(b"a bearer token is needed\n", status_code=401,
                        media_type="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    queues = getattr(request.app.state, "queue_registry", None)
    return Response(exposition(queues), media_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


def queue_registry(db: Database, **kwargs: Any) -> CollectorRegistry:
    """A registry of its own for one database's queue collector (one per app)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(db, **kwargs))
    return registry


# -- a worker process (no web server of its own) ----------------------------------------------
class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not worth a log line each."""


def start_metrics_server(port: int, *, host: str = "0.0.0.0",
                         token: str | None = None) -> WSGIServer:
    """Serve this process's metrics on ``port`` in a daemon thread (for `uppsikt worker`,
    which has no web server); with ``token``, only to that bearer token."""
    inner = make_wsgi_app(REGISTRY)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if not _authorised(environ.get("HTTP_AUTHORIZATION"), token):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"),
                                                ("WWW-Authenticate", 'Bearer realm="metrics"')])
            return [b"a bearer token is needed\n"]
        return inner(environ, start_response)

    server = make_server(host, port, app, _Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="uppsikt-metrics", daemon=True).start()
    return server
