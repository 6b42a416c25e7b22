"""A lean HTTP/1.1 load generator for ``bench/intake.py`` (standard library; uvloop if present).

Run as a separate process: it reads one JSON job from standard input and writes one JSON
result to standard output. It talks to ``127.0.0.1`` only.

Job fields::

    port          server port on 127.0.0.1
    mode          "closed" (max throughput) or "open" (fixed request rate)
    connections   keep-alive connections (at most one request in flight on each)
    warmup        seconds whose requests are sent but not measured
    duration      measured seconds after the warm-up
    rate          requests/s (open mode only)
    drain         seconds to wait for outstanding answers after the window (bounded)
    secret        the Meta app secret used to sign every body
    body_prefix, body_suffix
                  the JSON body split around the unique id (latin-1 strings of the bytes)
    id_prefix     makes ids unique across runs, e.g. "r3-"
    prebuild      how many requests to build before the clock starts
    server_pid    optional, to report the server's CPU use in the window (Linux /proc)

Method
------
Every request is a distinct, correctly signed body (``X-Hub-Signature-256`` over the exact
bytes), so the service's deduplication never short-cuts it. Requests are built before the
clock starts (``prebuild``); if the pool runs out, more are built on the fly (reported as
``built_late``). Connections are ``asyncio.Protocol`` objects writing prebuilt bytes and
parsing only the status line and ``Content-Length`` of each answer, so the client spends as
little CPU per request as Python allows.

* closed: each connection sends its next request as soon as the previous answer arrives.
  Throughput is the number of answers completed inside the window divided by its length;
  latency is send-to-answer of those answers.
* open: request *i* is due at ``t0 + i/rate`` whatever the server does. A scheduler wakes
  every millisecond or so (event loop timer resolution) and dispatches the requests that
  have come due: each goes to an idle connection at once (latency counted from that send),
  or, when every connection is waiting for the server, into a backlog, and then its latency
  is counted from the time it was due, so queueing caused by a slow server is included (no
  coordinated omission) while the scheduler's own millisecond tick is not. Requests still
  in the backlog when the window ends are not sent; their latency is counted as their age at
  the end of the window, a lower bound ("censored", reported separately).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import json
import math
import os
import sys
import time
from typing import Any

HOST = "127.0.0.1"
now = time.perf_counter


class RequestSource:
    """Distinct, signed ``POST /webhooks/meta`` requests as raw bytes."""

    def __init__(self, job: dict[str, Any]) -> None:
        self._secret = job["secret"].encode()
        self._prefix = job["body_prefix"].encode("latin-1")
        self._suffix = job["body_suffix"].encode("latin-1")
        self._id_prefix = job["id_prefix"].encode()
        self._count = 0
        self.built_late = 0
        self._pool = collections.deque(self._build() for _ in range(int(job["prebuild"])))

    def _build(self) -> bytes:
        self._count += 1
        body = self._prefix + self._id_prefix + str(self._count).encode() + self._suffix
        sig = hmac.new(self._secret, body, hashlib.sha256).hexdigest().encode()
        return (b"POST /webhooks/meta HTTP/1.1\r\nHost: " + HOST.encode()
                + b"\r\nUser-Agent: facebookexternalua\r\nContent-Type: application/json"
                + b"\r\nX-Hub-Signature-256: sha256=" + sig
                + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    def next(self) -> bytes:
        if self._pool:
            return self._pool.popleft()
        self.built_late += 1
        return self._build()


class Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.busy = False
        self.t_start = 0.0  # when the request was sent (closed) or due (open)
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.ready.set_result(None)

    def send(self, request: bytes, t_start: float) -> None:
        self.busy = True
        self.t_start = t_start
        self.transport.write(request)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buf[:head_end].lower()
            try:
                status = int(self.buf[9:12])
            except ValueError:
                status = 0
            length = 0
            pos = head.find(b"\r\ncontent-length:")
            if pos >= 0:
                line_end = head.find(b"\r\n", pos + 2)
                length = int(head[pos + 17:line_end if line_end >= 0 else None])
            elif b"\r\ntransfer-encoding:" in head:
                status = 0  # not expected from these endpoints; give up on the connection
            total = head_end + 4 + length
            if len(self.buf) < total:
                return
            self.buf = self.buf[total:]
            closing = b"\r\nconnection: close" in head or status == 0
            self.busy = False
            if closing:
                self.transport.close()  # type: ignore[union-attr]
                self.gen.on_answer(self, status, reuse=False)
                return
            self.gen.on_answer(self, status, reuse=True)

    def connection_lost(self, exc: Exception | None) -> None:
        self.gen.on_lost(self)


class Generator:
    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        self.loop = asyncio.get_running_loop()
        self.source = RequestSource(job)
        self.mode = job["mode"]
        self.conns: set[Connection] = set()
        self.idle: list[Connection] = []
        self.backlog: collections.deque[float] = collections.deque()
        self.latencies: list[float] = []
        self.censored = 0  # open mode: due in the window but never sent
        self.status_window: collections.Counter[int] = collections.Counter()
        self.status_all: collections.Counter[int] = collections.Counter()
        self.lost = 0
        self.reconnects = 0
        self.max_backlog = 0
        self.window_done = 0
        self.t_warm_end = self.t_end = float("inf")
        self.finished = False
        self.all_idle: asyncio.Event = asyncio.Event()

    # -- connections -------------------------------------------------------------------
    async def connect(self) -> Connection:
        _, conn = await self.loop.create_connection(lambda: Connection(self), HOST,
                                                    self.job["port"])
        await conn.ready
        self.conns.add(conn)
        return conn

    def on_lost(self, conn: Connection) -> None:
        self.conns.discard(conn)
        if conn in self.idle:
            self.idle.remove(conn)
        if conn.busy:  # the answer never came
            conn.busy = False
            self.lost += 1
            self.status_all[-1] += 1
        if not self.finished and self.reconnects < 10 * self.job["connections"]:
            self.reconnects += 1
            self.loop.create_task(self._replace())
        self._check_idle()

    async def _replace(self) -> None:
        try:
            conn = await self.connect()
        except OSError:
            return
        self._next_for(conn)

    # -- answers -----------------------------------------------------------------------
    def on_answer(self, conn: Connection, status: int, *, reuse: bool) -> None:
        t = now()
        self.status_all[status] += 1
        if self.mode == "closed":
            if self.t_warm_end <= t < self.t_end:
                self.window_done += 1
                self.status_window[status] += 1
                self.latencies.append(t - conn.t_start)
        else:
            if self.t_warm_end <= t < self.t_end:
                self.window_done += 1
            if self.t_warm_end <= conn.t_start < self.t_end:
                self.status_window[status] += 1
                self.latencies.append(t - conn.t_start)
        if reuse:
            self._next_for(conn)

    def _next_for(self, conn: Connection) -> None:
        t = now()
        if self.mode == "closed":
            if not self.finished and t < self.t_end:
                conn.send(self.source.next(), t)
                return
        elif self.backlog:
            conn.send(self.source.next(), self.backlog.popleft())
            return
        self.idle.append(conn)
        self._check_idle()

    def _check_idle(self) -> None:
        if self.finished and not any(c.busy for c in self.conns):
            self.all_idle.set()

    # -- the two modes -----------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        job = self.job
        conns = [await self.connect() for _ in range(job["connections"])]
        cpu0 = os.times()
        srv0 = server_cpu(job.get("server_pid"))
        t0 = now()
        self.t_warm_end = t0 + job["warmup"]
        self.t_end = self.t_warm_end + job["duration"]
        if self.mode == "closed":
            for conn in conns:
                conn.send(self.source.next(), now())
            await asyncio.sleep(max(0.0, self.t_end - now()))
        else:
            self.idle = conns
            await self._schedule(t0, float(job["rate"]))
        cpu1 = os.times()
        srv1 = server_cpu(job.get("server_pid"))
        # Stop: unsent requests are censored, in-flight ones are waited for (bounded).
        self.finished = True
        for due in self.backlog:
            if due >= self.t_warm_end:
                self.censored += 1
                self.latencies.append(self.t_end - due)
        self.backlog.clear()
        self._check_idle()
        try:
            await asyncio.wait_for(self.all_idle.wait(), timeout=job["drain"])
        except TimeoutError:
            pass
        unanswered = sum(1 for c in self.conns if c.busy)
        for conn in list(self.conns):
            conn.transport.close()  # type: ignore[union-attr]
        window_cpu = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
        elapsed = job["warmup"] + job["duration"]
        lat = sorted(self.latencies)
        return {
            "mode": self.mode,
            "rate_offered": job.get("rate"),
            "rps": self.window_done / job["duration"],
            "window_answers": self.window_done,
            "samples": len(lat),
            "p50_ms": percentile(lat, 50) * 1000 if lat else None,
            "p90_ms": percentile(lat, 90) * 1000 if lat else None,
            "p99_ms": percentile(lat, 99) * 1000 if lat else None,
            "max_ms": lat[-1] * 1000 if lat else None,
            "censored": self.censored,
            "status_window": {str(k): v for k, v in self.status_window.items()},
            "status_all": {str(k): v for k, v in self.status_all.items()},
            "ok_all": self.status_all.get(200, 0),
            "errors_all": sum(v for k, v in self.status_all.items() if k != 200),
            "unanswered": unanswered,
            "lost": self.lost,
            "reconnects": self.reconnects,
            "max_backlog": self.max_backlog,
            "built_late": self.source.built_late,
            "client_cpu_pct": 100 * window_cpu / elapsed,
            "server_cpu_pct": (100 * (srv1 - srv0) / elapsed
                               if srv0 is not None and srv1 is not None else None),
        }

    async def _schedule(self, t0: float, rate: float) -> None:
        """Make request i due at t0 + i/rate until the window ends."""
        interval = 1.0 / rate
        i = 0
        while True:
            t = now()
            if t >= self.t_end:
                return
            due = t0 + i * interval
            while due <= t and due < self.t_end:
                if self.idle:  # sent now: the server has not delayed it
                    self.idle.pop().send(self.source.next(), now())
                else:  # waits for a connection: counted from when it was due
                    self.backlog.append(due)
                i += 1
                due = t0 + i * interval
            if len(self.backlog) > self.max_backlog:
                self.max_backlog = len(self.backlog)
            # Event loop timers have 1 ms resolution; shorter sleeps would spin the CPU.
            await asyncio.sleep(max(0.001, due - now()))


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    k = math.ceil(q / 100 * len(sorted_values)) - 1
    return sorted_values[max(0, min(len(sorted_values) - 1, k))]


def server_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system, all threads) of a process, from /proc; None elsewhere."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


async def main_async(job: dict[str, Any]) -> dict[str, Any]:
    return await Generator(job).run()


def main() -> None:
    job = json.loads(sys.stdin.read())
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(main_async(job))
        result["client_loop"] = "asyncio"
    else:
        result = uvloop.run(main_async(job))
        result["client_loop"] = "uvloop"
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
