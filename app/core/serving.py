"""Uvicorn run in the foreground by a CLI command."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


class ForegroundServer(uvicorn.Server):
    """Uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown, which ends the process
    with KeyboardInterrupt or a signal status; here a signal is the normal way to stop."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
