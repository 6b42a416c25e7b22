"""Several workers at once never process a change twice (SKIP LOCKED on PostgreSQL,
the write lock on SQLite) and together leave every change done exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter

from sqlalchemy import func, select

from app.content.models import Item, ItemVersion
from app.core.db import Database
from app.graph.client import GraphClient
from app.processing.processor import Processor
from app.webhooks.models import InboxChange
from tests.conftest import add_test_page, post_signed
from tests.test_processing import comment, delivery


def test_concurrent_workers_never_process_a_row_twice(client, db, settings, monkeypatch, rules):
    add_test_page(db)
    for n in range(120):
        body = delivery(comment(f"200_{n}", message=f"nr {n}"),
                        comment(f"200_{n}", "edited", f"nr {n} ändrad"), time=1700000000 + n)
        assert post_signed(client, body).status_code == 200

    applied: Counter[int] = Counter()
    lock = threading.Lock()
    real = Processor._apply_one

    def counting(self, session, change, page, received_at, policies):
        real(self, session, change, page, received_at, policies)
        if change.status == "done":
            with lock:
                applied[change.id] += 1

    monkeypatch.setattr(Processor, "_apply_one", counting)
    fast = settings.model_copy(update={"retry_base_seconds": 0.05, "worker_batch_size": 7})
    errors: list[BaseException] = []

    def work() -> None:
        database = Database(settings.database_url)
        graph = GraphClient.from_settings(fast)
        processor = Processor(database, fast, graph, rules)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if processor.run_once() == 0:
                    with database.transaction() as session:
                        left = session.scalar(select(func.count()).select_from(InboxChange)
                                              .where(InboxChange.status != "done"))
                        if left == 0 and session.scalar(
                                select(func.count()).select_from(InboxChange)) == 240:
                            return
                    time.sleep(0.02)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            graph.close()
            database.dispose()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(applied) == 240
    assert max(applied.values()) == 1, "a change was applied by two workers"
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 120
        assert session.scalar(select(func.count()).select_from(ItemVersion)) == 240
        assert set(session.scalars(select(InboxChange.status))) == {"done"}
