"""Webhook intake benchmark: Uppsikt's ``POST /webhooks/meta`` against a bare FastAPI endpoint.

    .venv/bin/python bench/intake.py [--runs 3] [--duration 5] [--connections 64] [--skip-pg]

It is a benchmark, not a test: it prints numbers and its targets beside them, and
exits 0 unless something broke (a server did not start, a client crashed).

Targets, all served on 127.0.0.1 by one uvicorn process each, with the same options
(``uvicorn.run``: one worker, loop "auto" and http "auto", i.e. uvloop and httptools):

* ``bare``           bench/bare_app.py: an ``async def`` endpoint that reads the body, answers 200.
* ``sqlite-normal``  ``uppsikt serve`` on a fresh SQLite file, ``synchronous=NORMAL``.
* ``sqlite-full``    the same with ``synchronous=FULL`` (an fsync per group commit).
* ``postgres``       ``uppsikt serve`` on a throwaway PostgreSQL database (``--skip-pg``).

Uppsikt runs with ``UPPSIKT_WORKER_ENABLED=false`` so that only intake is measured: verify
the signature, insert the raw body, wait for the (group) commit, answer 200.

Every request carries a distinct body, a Meta feed comment (the test fixture
feed-comment-add-211.json with a unique ``comment_id`` and Swedish text, serialised as Meta
does: compact, ``ensure_ascii``), signed with ``X-Hub-Signature-256``, so deduplication never
short-cuts the insert.

Method
------
The load generator (bench/loadgen.py) is a separate Python process: asyncio protocols on
keep-alive connections with prebuilt request bytes, parsing only the status line and
Content-Length. Server and client share the machine's cores; the client's CPU use is
reported so one can see whether it, rather than the server, was the limit.

1. Max throughput, closed loop: ``--connections`` connections each send the next request
   as soon as the previous answer arrives; ``--warmup`` seconds unmeasured, then
   ``--duration`` seconds measured. Requests/s, p50 and p99 of the answers in the window.
2. Latency at a fixed rate, open loop: 0.5 x the bare endpoint's median max rate from step 1
   of this same run (``--half-rate-fraction``), on the same connections. Latency counts the
   time a request waited for a free connection (no coordinated omission). If a target
   cannot keep up, the achieved rate is shown and its p99 is a lower bound (marked ">=").

Each step is repeated ``--runs`` times, the targets interleaved within each round (bare,
sqlite-normal, ... then again) so that drift on a shared machine hits all alike; the table
shows medians over runs. After each run against Uppsikt, the rows added to ``inbox_event``
are compared with the number of 200 answers (warm-up included): they must be equal.

Targets: intake >= 60 % of bare's max rate, and p99 < 50 ms at half bare's rate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
FIXTURE = ROOT / "tests" / "fixtures" / "meta-webhooks" / "feed-comment-add-211.json"
HOST = "127.0.0.1"
ID_MARKER = "@@UNIQUE@@"
MESSAGE = ("Hej! Varför är gång- och cykelvägen vid förskolan på Ängsvägen fortfarande "
           "avstängd? Vi får gå en omväg på två kilometer i mörker och halka varje morgon. "
           "Åtgärda det här snarast, tack. /Björn Åkesson, Östra Gärdet")
TARGET_RATIO = 0.60
TARGET_P99_MS = 50.0


# -- request bodies ----------------------------------------------------------------------
def body_template() -> tuple[str, str]:
    """The JSON body split around the place where each request's unique id goes."""
    payload = json.loads(FIXTURE.read_text(encoding="utf-8"))
    now = int(time.time())
    entry = payload["entry"][0]
    entry["time"] = now
    value = entry["changes"][0]["value"]
    value["comment_id"] = value["post_id"].split("_", 1)[1] + "_" + ID_MARKER
    value["created_time"] = now
    value["from"] = {"id": "7345028161934", "name": "Björn Åkesson"}
    value["message"] = MESSAGE
    # Meta sends compact JSON with non-ASCII escaped as \\uXXXX.
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    prefix, suffix = text.split(ID_MARKER)
    return prefix, suffix


# -- servers -----------------------------------------------------------------------------
@dataclass
class Target:
    name: str
    cmd: list[str]
    env: dict[str, str]
    count_rows: Callable[[], int] | None = None  # None: not an intake target
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    closed: list[dict[str, Any]] = field(default_factory=list)
    open: list[dict[str, Any]] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start(target: Target, workdir: Path, timeout: float = 90.0) -> None:
    target.port = free_port()
    target.log_path = workdir / f"{target.name}.log"
    cmd = [*target.cmd, "--host", HOST, "--port", str(target.port)]
    with open(target.log_path, "wb") as log:
        target.proc = subprocess.Popen(cmd, env=target.env, cwd=workdir, stdout=log,
                                       stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=f"http://{HOST}:{target.port}", timeout=2.0) as client:
        while time.monotonic() < deadline:
            if target.proc.poll() is not None:
                break
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    stop(target)
    tail = target.log_path.read_text(errors="replace")[-3000:]
    raise SystemExit(f"{target.name} did not become ready; its log ends with:\n{tail}")


def stop(target: Target) -> None:
    proc = target.proc
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully (lifespan runs)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def uppsikt_target(name: str, database_url: str, synchronous: str, secret: str,
                   workdir: Path, count_rows: Callable[[], int]) -> Target:
    exe = Path(sys.executable).with_name("uppsikt")
    if not exe.exists():
        raise SystemExit(f"{exe} not found: run with the project's venv python "
                         "(pip install -e '.[test]')")
    env = dict(os.environ,
               UPPSIKT_DATABASE_URL=database_url,
               UPPSIKT_META_APP_SECRET=secret,
               UPPSIKT_WORKER_ENABLED="false",
               UPPSIKT_SQLITE_SYNCHRONOUS=synchronous,
               UPPSIKT_LOG_LEVEL="WARNING",
               UPPSIKT_MEDIA_DIR=str(workdir / "media"))
    return Target(name, [str(exe), "serve"], env, count_rows)


def sqlite_counter(path: Path) -> Callable[[], int]:
    def count() -> int:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute("SELECT count(*) FROM inbox_event").fetchone()[0]
    return count


class ThrowawayPostgres:
    """A database created for this run on the server of ``--pg-url``, dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy.engine import make_url

        self.admin = make_url(admin_url)
        self.name = f"uppsikt_bench_{os.getpid()}"
        self.created = False

    def _dsn(self, database: str) -> str:
        url = self.admin.set(drivername="postgresql", database=database)
        return url.render_as_string(hide_password=False)

    @property
    def sqlalchemy_url(self) -> str:
        url = self.admin.set(drivername="postgresql+psycopg", database=self.name)
        return url.render_as_string(hide_password=False)

    def create(self) -> None:
        import psycopg

        with psycopg.connect(self._dsn(self.admin.database or "postgres"),
                             autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.created = True

    def count_rows(self) -> int:
        import psycopg

        with psycopg.connect(self._dsn(self.name), connect_timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM inbox_event").fetchone()[0]

    def drop(self) -> None:
        if not self.created:
            return
        import psycopg

        with psycopg.connect(self._dsn(self.admin.database or "postgres"),
                             autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.created = False


# -- load ----------------------------------------------------------------------------------
def run_client(target: Target, args: argparse.Namespace, template: tuple[str, str],
               secret: str, *, mode: str, run: int, rate: float | None,
               prebuild: int) -> dict[str, Any]:
    job = {
        "port": target.port, "mode": mode, "connections": args.connections,
        "warmup": args.warmup, "duration": args.duration, "rate": rate, "drain": args.drain,
        "secret": secret, "body_prefix": template[0], "body_suffix": template[1],
        # Unique across targets, modes and runs (and runs of this script).
        "id_prefix": f"{os.getpid()}{mode[0]}{run}{target.name[:2]}",
        "prebuild": prebuild, "server_pid": target.proc.pid if target.proc else None,
    }
    before = target.count_rows() if target.count_rows else None
    timeout = args.warmup + args.duration + args.drain + 120
    proc = subprocess.run([sys.executable, str(BENCH / "loadgen.py")], input=json.dumps(job),
                          capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"load generator failed against {target.name}:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout)
    if target.count_rows and before is not None:
        result["rows_added"] = target.count_rows() - before
    return result


def describe(result: dict[str, Any]) -> str:
    rows = result.get("rows_added")
    check = "" if rows is None else (f"  rows +{rows} = {result['ok_all']} x200"
                                     if rows == result["ok_all"] else
                                     f"  ROWS MISMATCH +{rows} != {result['ok_all']} x200")
    rate = "" if result["rate_offered"] is None else f"offered {result['rate_offered']:.0f}/s "
    if result["max_backlog"]:
        check += f"  backlog max {result['max_backlog']}, censored {result['censored']}"
    srv = result.get("server_cpu_pct")
    return (f"{rate}{result['rps']:8.0f} req/s  p50 {fmt_ms(result['p50_ms'])} "
            f"p99 {fmt_ms(result['p99_ms'])} ms  non-200 {errors(result)}"
            f"  cpu client {result['client_cpu_pct']:.0f}% server "
            f"{'-' if srv is None else f'{srv:.0f}'}%{check}")


def errors(result: dict[str, Any]) -> int:
    return result["errors_all"] + result["unanswered"]


# -- report --------------------------------------------------------------------------------
def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def met(ratio: float | None, p99_half: float | None, censored: bool) -> tuple[bool, bool]:
    """The two targets: max rate against bare's, and p99 at the half rate (not a bound)."""
    return (ratio is not None and ratio >= TARGET_RATIO,
            p99_half is not None and p99_half < TARGET_P99_MS and not censored)


def figures(targets: list[Target], half_rate: float) -> dict[str, dict[str, Any]]:
    """The report's medians per target, machine-readable (for --json)."""
    bare_rps = median([r["rps"] for r in targets[0].closed])
    out = {}
    for t in targets:
        rps = median([r["rps"] for r in t.closed])
        ratio = rps / bare_rps if rps is not None and bare_rps else None
        censored = any(r["censored"] for r in t.open)
        p99_half = median([r["p99_ms"] for r in t.open])
        achieved = median([r["rps"] for r in t.open])
        rate_met, p99_met = met(ratio, p99_half, censored)
        out[t.name] = {
            "intake": t.count_rows is not None, "rps": rps, "ratio": ratio,
            "p50_ms": median([r["p50_ms"] for r in t.closed]),
            "p99_ms": median([r["p99_ms"] for r in t.closed]),
            "half_rate": half_rate, "half_achieved": achieved,
            "half_short": achieved is not None and achieved < 0.97 * half_rate,
            "half_p50_ms": median([r["p50_ms"] for r in t.open]), "half_p99_ms": p99_half,
            "half_p99_censored": censored,
            "non_200": sum(errors(r) for r in t.closed + t.open),
            "rows_equal_200s": (None if t.count_rows is None else
                                all(r.get("rows_added") == r["ok_all"]
                                    for r in t.closed + t.open)),
            "rate_met": rate_met if t.count_rows is not None else None,
            "p99_met": p99_met if t.count_rows is not None else None,
        }
    return out


def report(targets: list[Target], half_rate: float, args: argparse.Namespace) -> list[str]:
    bare_rps = median([r["rps"] for r in targets[0].closed])
    head = (f"{'target':<14} {'req/s':>8} {'vs bare':>8} {'p50 ms':>7} {'p99 ms':>7} | "
            f"{'half-rate req/s':>15} {'p50 ms':>7} {'p99 ms':>8} | {'non-200':>7} "
            f"{'rows=200s':>9} | {'cpu srv/cli':>11}")
    lines = [head, "-" * len(head)]
    verdicts = []
    for t in targets:
        rps = median([r["rps"] for r in t.closed])
        ratio = rps / bare_rps if rps is not None and bare_rps else None
        achieved = median([r["rps"] for r in t.open])
        censored = any(r["censored"] for r in t.open)
        p99_half = median([r["p99_ms"] for r in t.open])
        half = f"{achieved:.0f}" if achieved is not None else "-"
        if achieved is not None and achieved < 0.97 * half_rate:
            half += " (short)"
        errs = sum(errors(r) for r in t.closed + t.open)
        if t.count_rows is None:
            rows_ok = "n/a"
        else:
            rows_ok = "yes" if all(r.get("rows_added") == r["ok_all"]
                                   for r in t.closed + t.open) else "NO"
        cpu_srv = median([r.get("server_cpu_pct") for r in t.closed])
        cpu_cli = median([r["client_cpu_pct"] for r in t.closed])
        cpu = f"{cpu_srv:.0f}/{cpu_cli:.0f}%" if cpu_srv is not None else f"-/{cpu_cli:.0f}%"
        lines.append(
            f"{t.name:<14} {rps:8.0f} {ratio * 100:7.0f}% "
            f"{fmt_ms(median([r['p50_ms'] for r in t.closed])):>7} "
            f"{fmt_ms(median([r['p99_ms'] for r in t.closed])):>7} | {half:>15} "
            f"{fmt_ms(median([r['p50_ms'] for r in t.open])):>7} "
            f"{('>=' if censored else '') + fmt_ms(p99_half):>8} | {errs:>7} "
            f"{rows_ok:>9} | {cpu:>11}")
        if t.count_rows is not None:
            ok_rate, ok_p99 = met(ratio, p99_half, censored)
            verdicts.append(
                f"  {t.name:<14} rate {ratio * 100:.0f}% of bare "
                f"(target >= {TARGET_RATIO:.0%}): {'met' if ok_rate else 'NOT met'}; "
                f"p99 at {half_rate:.0f}/s {('>=' if censored else '') + fmt_ms(p99_half)} ms "
                f"(target < {TARGET_P99_MS:.0f} ms): {'met' if ok_p99 else 'NOT met'}")
    lines += ["", (f"Medians of {args.runs} runs; max load: closed loop, {args.connections} "
              f"connections, {args.duration:g} s after {args.warmup:g} s warm-up; half rate: "
              f"open loop at {half_rate:.0f} req/s = {args.half_rate_fraction:g} x bare's "
              "median max rate."),
              ("non-200: non-200 answers + lost connections + unanswered, all runs, warm-up "
              "included. rows=200s: rows added to inbox_event == 200 answers in every run."),
              ("cpu srv/cli: server process and load generator CPU during max load, % of one "
              "core (PostgreSQL's own processes not included)."),
              "", "Targets:", *verdicts]
    return lines


# -- main ----------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=5.0, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before")
    p.add_argument("--runs", type=int, default=3, help="runs per target and step (medians)")
    p.add_argument("--connections", type=int, default=64, help="keep-alive connections")
    p.add_argument("--half-rate-fraction", type=float, default=0.5,
                   help="open-loop rate as a fraction of bare's max rate")
    p.add_argument("--drain", type=float, default=15.0,
                   help="seconds to wait for outstanding answers after a run")
    p.add_argument("--pause", type=float, default=1.0, help="seconds of rest between runs")
    p.add_argument("--skip-pg", action="store_true", help="leave out the PostgreSQL target")
    p.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                   help="a PostgreSQL server to create the throwaway database on")
    p.add_argument("--workdir", type=Path, default=None,
                   help="where the SQLite files and server logs go (default: a new temp "
                        "dir, removed at the end); must be on a real disk for FULL to mean "
                        "anything")
    p.add_argument("--json", type=Path, default=None, help="also write raw results here")
    args = p.parse_args()
    if args.runs < 1 or args.duration <= 0 or args.connections < 1:
        p.error("--runs, --duration and --connections must be positive")
    return args


def main() -> None:
    args = parse_args()
    command = shlex.join([sys.executable, *sys.argv])
    secret = secrets.token_hex(16)
    template = body_template()
    keep_workdir = args.workdir is not None
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="uppsikt-bench-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    body_len = len(template[0]) + len(template[1]) + 12
    print(f"command: {command}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; workdir {workdir}")
    print(f"load generator: bench/loadgen.py (Python asyncio, separate process); "
          f"body ~{body_len} bytes")

    targets = [Target("bare", [sys.executable, str(BENCH / "bare_app.py")], dict(os.environ))]
    for sync in ("NORMAL", "FULL"):
        db = workdir / f"bench-{sync.lower()}.db"
        for leftover in workdir.glob(f"{db.name}*"):
            leftover.unlink()
        targets.append(uppsikt_target(f"sqlite-{sync.lower()}", f"sqlite:///{db}", sync,
                                      secret, workdir, sqlite_counter(db)))
    pg: ThrowawayPostgres | None = None
    if not args.skip_pg:
        pg = ThrowawayPostgres(args.pg_url)
        try:
            pg.create()
        except Exception as exc:  # noqa: BLE001 - report and go on without it
            print(f"WARNING: PostgreSQL target left out, cannot create {pg.name}: {exc}")
            pg = None
        else:
            targets.append(uppsikt_target("postgres", pg.sqlalchemy_url, "NORMAL", secret,
                                          workdir, pg.count_rows))

    try:
        for t in targets:
            start(t, workdir)
        print("servers: " + ", ".join(f"{t.name} pid {t.proc.pid} port {t.port}"
                                      for t in targets if t.proc))
        window = args.warmup + args.duration

        def prebuild(t: Target, mode: str, rate: float | None) -> int:
            if rate is None:
                seen = [r["rps"] for r in t.closed] or [r["rps"] for r in targets[0].closed]
                rate = max(seen) if seen else 20000.0
            return int(rate * window * 1.3) + args.connections

        print(f"\n1. max throughput (closed loop, {args.connections} connections)")
        for run in range(1, args.runs + 1):
            for t in targets:
                time.sleep(args.pause)
                r = run_client(t, args, template, secret, mode="closed", run=run, rate=None,
                               prebuild=prebuild(t, "closed", None))
                t.closed.append(r)
                print(f"  run {run} {t.name:<14} {describe(r)}", flush=True)

        bare_max = median([r["rps"] for r in targets[0].closed]) or 0.0
        half_rate = args.half_rate_fraction * bare_max
        print(f"\n2. latency at {half_rate:.0f} req/s (open loop, "
              f"{args.half_rate_fraction:g} x bare's median max rate {bare_max:.0f})")
        for run in range(1, args.runs + 1):
            for t in targets:
                time.sleep(args.pause)
                r = run_client(t, args, template, secret, mode="open", run=run,
                               rate=half_rate, prebuild=prebuild(t, "open", half_rate))
                t.open.append(r)
                print(f"  run {run} {t.name:<14} {describe(r)}", flush=True)
    finally:
        for t in targets:
            stop(t)
        if pg is not None:
            try:
                pg.drop()
            except Exception as exc:  # noqa: BLE001
                print(f"WARNING: could not drop database {pg.name}: {exc}")
        if not keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print("\n".join(report(targets, half_rate, args)))
    print(f"\ncommand: {command}")
    if args.json:
        args.json.write_text(json.dumps({
            "command": command, "half_rate": half_rate, "runs": args.runs,
            "duration": args.duration, "connections": args.connections,
            "target_ratio": TARGET_RATIO, "target_p99_ms": TARGET_P99_MS,
            "figures": figures(targets, half_rate),
            "targets": {t.name: {"closed": t.closed, "open": t.open} for t in targets},
        }, indent=2))


if __name__ == "__main__":
    main()
