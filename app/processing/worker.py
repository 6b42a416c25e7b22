"""The processing loop: in a thread beside the web server, or alone (`uppsikt worker`)."""

from __future__ import annotations

import threading

from app.core.logging import get_logger
from app.processing.processor import Processor

log = get_logger("uppsikt.worker")


class Worker:
    def __init__(self, processor: Processor, *, poll_seconds: float) -> None:
        self.processor = processor
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="uppsikt-worker", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """New work was committed: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        log.info("worker.started")
        errors = 0
        while not self._stop.is_set():
            try:
                done = self.processor.run_once()
                errors = 0
            except Exception:  # the database may be away for a while: keep trying
                errors += 1
                log.exception("worker.pass_failed", consecutive=errors)
                self._stop.wait(min(60.0, self.poll_seconds * 2**errors))
                continue
            if done == 0:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
        log.info("worker.stopped")
