"""Every log record the process creates, kept as text, to be scanned for secrets.

The records are taken where they are made (the log record factory), not by a handler:
the service sets the root logger's handlers anew each time an application is created, so
a handler added by a test would be dropped, while the factory sees every record of every
logger whatever the handlers are.
"""

from __future__ import annotations

import contextlib
import logging
import re
import traceback
from collections.abc import Callable, Iterable
from typing import Any

# The shape of an API token (app.core.crypto.new_api_token): any one in a log is a leak.
API_TOKEN = re.compile(r"upk_[A-Za-z0-9_-]{20,}")


def render(record: logging.LogRecord) -> str:
    """The record with everything a handler could print: message, arguments, the bound
    values of a structured event, and the traceback with its exception's text."""
    parts = [record.name, repr(record.msg), repr(record.args)]
    with contextlib.suppress(TypeError, ValueError):  # a bad format string: args are above
        parts.append(record.getMessage())
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(record.exc_info[1])))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


class LogScan:
    """Installed, it keeps the text of every record made until it is removed.

    Given ``secrets``, it keeps only the records that hold one of them or an API token,
    so that it can watch a whole test run. ``isolated`` hides what is logged meanwhile
    from a scan installed before (for a test that leaks on purpose).
    """

    def __init__(self, secrets: Iterable[str] | None = None, *, isolated: bool = False) -> None:
        self.secrets = None if secrets is None else [s for s in secrets if s]
        self.isolated = isolated
        self.texts: list[str] = []
        self._previous: Callable[..., logging.LogRecord] | None = None

    def install(self) -> LogScan:
        self._previous = logging.getLogRecordFactory()
        make = logging.LogRecord if self.isolated else self._previous

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make(*args, **kwargs)
            self.add(render(record))
            return record

        logging.setLogRecordFactory(factory)
        return self

    def remove(self) -> None:
        if self._previous is not None:
            logging.setLogRecordFactory(self._previous)
            self._previous = None

    def add(self, text: str) -> None:
        """A record's text, or output captured elsewhere (a subprocess's stderr)."""
        if self.secrets is None or API_TOKEN.search(text) or any(
                s in text for s in self.secrets):
            self.texts.append(text)

    def leaks(self, secrets: Iterable[str] = ()) -> list[str]:
        """Each secret found, named by its first characters, and every API token shape."""
        secrets = [*(self.secrets or []), *secrets]
        found = [f"{s[:6]}… in: {t[:300]!r}" for s in secrets for t in self.texts if s in t]
        found += [f"an API token in: {t[:300]!r}" for t in self.texts if API_TOKEN.search(t)]
        return found
