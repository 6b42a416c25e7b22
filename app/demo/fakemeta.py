"""The demo's Facebook: each scripted step put on the fake Graph API, then delivered to the
running service as Meta delivers it (a signed webhook POST over HTTP).

Every start delivers byte-identical bodies (times come from the data directory's start of
time, ids from the script), so a restarted demo shows redelivery doing nothing new.
"""

from __future__ import annotations

import json
import struct
import threading
import zlib
from collections.abc import Callable
from typing import Any

import httpx

from app.core.logging import get_logger
from app.demo.script import PAGE_ID, PAGE_NAME, STEPS, Step
from app.fakegraph.server import FakeGraphState
from app.webhooks.signature import sign

log = get_logger("uppsikt.demo")

FIRST_NUMBER = 2_000_000_000_000_000
# Meta retries a delivery that was not answered 200; the demo does a few times, quickly.
ATTEMPTS = 5
# Time for the worker to process the last deliveries before the follow-up runs.
SETTLE_SECONDS = 3.0


def number(step: Step) -> int:
    """The numeric part of a step's Facebook id (stable: the step's place in the script)."""
    return FIRST_NUMBER + STEPS.index(step)


class DemoFacebook:
    """Ids, Graph objects and webhook bodies for the script, on one fake Graph state."""

    def __init__(self, state: FakeGraphState, *, epoch: int) -> None:
        self.state = state
        self.epoch = epoch  # Unix seconds of minute 0
        self.steps = {step.ref: step for step in STEPS}
        self.state.page_ids.add(PAGE_ID)
        self.state.media["gatan.png"] = ("image/png", street_picture())

    # -- ids and times ---------------------------------------------------------------
    def at(self, step: Step) -> int:
        return self.epoch + step.minute * 60

    def post_of(self, step: Step) -> Step:
        while step.kind != "post":
            assert step.parent is not None, step.ref
            step = self.steps[step.parent]
        return step

    def graph_id(self, step: Step) -> str:
        if step.kind == "edit":
            return self.graph_id(self.steps[step.parent or ""])
        if step.kind == "post":
            return f"{PAGE_ID}_{number(step)}"
        if step.kind == "message":
            return f"m_demo{number(step)}"
        return f"{number(self.post_of(step))}_{number(step)}"

    def sender(self, step: Step) -> dict[str, str]:
        if step.author is None:
            return {"id": PAGE_ID, "name": PAGE_NAME}
        return {"id": step.author[0], "name": step.author[1]}

    def media_url(self, name: str) -> str:
        # The bare URL never expires and is the same on every start, unlike a signed one.
        return f"{self.state.base_url}/media/{name}"

    # -- Facebook's side -----------------------------------------------------------------
    def publish(self, step: Step) -> None:
        """What Facebook holds once the step has happened (read by fetches, hides,
        deletes and reconciliation)."""
        at, object_id = self.at(step), self.graph_id(step)
        if step.kind == "post":
            self.state.add_post(PAGE_ID, object_id, step.text, created=at)
        elif step.kind == "comment":
            parent = self.steps[step.parent or ""]
            extra: dict[str, Any] = {}
            if step.image:
                extra["attachment"] = {"type": "photo", "media": {"image": {
                    "src": self.media_url(step.image)}}}
            self.state.add_comment(self.graph_id(parent), object_id, step.text, created=at,
                                   sender=self.sender(step), **extra)
        elif step.kind == "edit":
            self.state.edit(object_id, step.text, at=at)
        else:  # a message: the Graph API gives the sender's name by the sender's id
            self.state.objects[self.sender(step)["id"]] = {"name": self.sender(step)["name"]}

    def body(self, step: Step) -> bytes:
        """The webhook delivery, serialised as Meta does (compact, non-ASCII escaped)."""
        at = self.at(step)
        if step.kind == "message":
            entry: dict[str, Any] = {"id": PAGE_ID, "time": at * 1000, "messaging": [{
                "sender": {"id": self.sender(step)["id"]}, "recipient": {"id": PAGE_ID},
                "timestamp": at * 1000,
                "message": {"mid": self.graph_id(step), "text": step.text}}]}
        else:
            entry = {"id": PAGE_ID, "time": at,
                     "changes": [{"field": "feed", "value": self.feed_value(step)}]}
        doc = {"object": "page", "entry": [entry]}
        return json.dumps(doc, ensure_ascii=True, separators=(",", ":")).encode()

    def feed_value(self, step: Step) -> dict[str, Any]:
        object_id = self.graph_id(step)
        if step.kind == "post":
            return {"item": "status", "verb": "add", "post_id": object_id,
                    "from": self.sender(step), "message": step.text, "published": 1,
                    "created_time": self.at(step)}
        original = self.steps[step.parent or ""] if step.kind == "edit" else step
        parent = self.steps[original.parent or ""]
        value: dict[str, Any] = {
            "item": "comment", "verb": "edited" if step.kind == "edit" else "add",
            "comment_id": object_id, "post_id": self.graph_id(self.post_of(original)),
            "parent_id": self.graph_id(parent), "message": step.text,
            "created_time": self.at(original)}
        if step.send_author:
            value["from"] = self.sender(step)
        if step.image:
            value["photo"] = self.media_url(step.image)
        return value


class Deliverer(threading.Thread):
    """Plays the script against the service: one step every ``rate`` seconds, each first
    published on the fake Graph API, then delivered as a signed webhook."""

    def __init__(self, facebook: DemoFacebook, *, url: str, app_secret: str, rate: float,
                 ready: Callable[[], bool], after: Callable[[], object] | None = None) -> None:
        super().__init__(name="demo-deliveries", daemon=True)
        self.facebook, self.url, self.app_secret, self.rate = facebook, url, app_secret, rate
        self.ready = ready  # true once the service listens
        # Run once the script is played, e.g. a job that would otherwise come minutes later.
        self.after = after
        self.stopping = threading.Event()
        self.delivered = 0

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        while not self.ready():
            if self.stopping.wait(0.05):
                return
        with httpx.Client(timeout=10) as http:
            for n, step in enumerate(STEPS):
                # The first soon after the banner, so that there is something to see.
                if self.stopping.wait(min(self.rate, 1.0) if n == 0 else self.rate):
                    return
                self.facebook.publish(step)
                if not self._deliver(http, step):
                    return
        log.info("demo.script_done", delivered=self.delivered)
        if self.after is not None and not self.stopping.wait(SETTLE_SECONDS):
            try:
                self.after()
            except Exception:  # the demo goes on without it; the scheduler runs it later
                log.exception("demo.follow_up_failed")

    def _deliver(self, http: httpx.Client, step: Step) -> bool:
        body = self.facebook.body(step)
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": sign(self.app_secret, body)}
        for attempt in range(1, ATTEMPTS + 1):
            try:
                status = http.post(f"{self.url}/webhooks/meta", content=body,
                                   headers=headers).status_code
            except httpx.TransportError as exc:
                status, error = None, type(exc).__name__
            else:
                error = None
            if status == 200:
                self.delivered += 1
                log.info("demo.delivered", step=step.ref, kind=step.kind)
                return True
            log.warning("demo.delivery_failed", step=step.ref, status=status, error=error,
                        attempt=attempt)
            if self.stopping.wait(attempt):
                return False
        return True  # as Meta does in the end: give up on this one, go on with the rest


def street_picture(width: int = 160, height: int = 100) -> bytes:
    """A small PNG (sky, snow bank, grey street) for the picture comment, made here so that
    the demo ships no image file."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            if y < height * 0.45:
                shade = int(150 + 80 * y / height)
                pixel = (shade - 40, shade, 255)
            elif abs(x - width / 2) < (y - height * 0.45) * 1.2:
                pixel = (120, 120, 125)
            else:
                pixel = (240, 244, 250)
            row += bytes(pixel)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))

