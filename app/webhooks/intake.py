"""Group commit for webhook intake.

Each accepted POST waits until its raw body is committed (invariant 1), but concurrent
requests share one transaction: while one commit is being written, the next requests
queue up and go together in the following one. With SQLite ``synchronous=FULL`` this is
what keeps intake fast, since every commit costs an fsync.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from app.core.crypto import sha256_hex
from app.core.db import Database, utcnow
from app.core.logging import get_logger
from app.webhooks.models import DeliveryStatus, InboxEvent

log = get_logger("uppsikt.webhooks")


@dataclass
class _Pending:
    values: dict[str, Any]
    done: asyncio.Future[None]


class IntakeWriter:
    def __init__(self, db: Database, *, max_batch: int = 256,
                 on_commit: Callable[[], None] | None = None) -> None:
        self._db = db
        self._max_batch = max_batch
        self._on_commit = on_commit
        self._queue: asyncio.Queue[_Pending] | None = None
        self._task: asyncio.Task[None] | None = None
        insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        # Core, not the ORM: an executemany of plain rows is what the hot path can afford.
        self._insert = insert(InboxEvent.__table__).on_conflict_do_nothing(
            index_elements=["body_sha256"]
        )

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="uppsikt-intake")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def submit(self, body: bytes, headers: dict[str, str]) -> None:
        """Return once the delivery is durably committed; raise if it could not be."""
        if self._queue is None or self._task is None or self._task.done():
            raise RuntimeError("intake writer is not running")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        values = dict(received_at=utcnow(), body=body, body_sha256=sha256_hex(body),
                      headers=headers, status=DeliveryStatus.received)
        self._queue.put_nowait(_Pending(values, done))
        await done

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await asyncio.to_thread(self._write, [p.values for p in batch])
            except Exception as exc:  # the requests answer 503 and Meta delivers again
                log.exception("intake.commit_failed", batch=len(batch))
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_exception(exc)
                continue
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_result(None)
            if self._on_commit is not None:
                self._on_commit()

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(self._insert, rows)
