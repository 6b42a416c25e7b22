"""Time-to-act benchmark: from a signed comment webhook to the hide call on the Graph API.

    .venv/bin/python bench/time_to_act.py [--rate 50] [--duration 60] [--runs 3]
        [--offending-share 0.2] [--database-url postgresql+psycopg://postgres@127.0.0.1/test]

It is a benchmark, not a test: it prints numbers and its targets beside them, and exits 0
unless something broke (the service did not start, a page could not be added).

Set-up, for each run, on one machine:

* the fake Graph API (app/fakegraph/server.py) in a thread of this process;
* ``uppsikt serve`` as a subprocess on 127.0.0.1, with its processing worker in a thread
  (the default), pointed at the fake (``UPPSIKT_GRAPH_BASE_URL``), on a fresh SQLite file
  in a temporary directory, or with ``--database-url`` on a throwaway PostgreSQL database
  created on that server for the run and dropped after it (the database named in the URL
  is only used to connect; it is not touched);
* one page, added with ``uppsikt pages add`` and the fake's token.

The benchmark sets only what it must (database, secrets, Graph base URL, media directory)
and removes inherited ``UPPSIKT_*`` variables; the service runs in a temporary working
directory so that no ``.env`` is read. Worker settings are the defaults.

Load: ``--rate`` comment webhooks a second for ``--duration`` seconds, open loop: comment
*i* is due at ``t0 + i/rate`` and its POST starts then, whatever the service is doing
(asyncio with httpx, one task per webhook, enough connections that none waits for one).
Each webhook is a Meta feed ``comment``/``add`` for a distinct comment with its sender and
text, compact and ``ensure_ascii`` as Meta sends it, signed with ``X-Hub-Signature-256``;
the comment is registered in the fake's objects before the clock starts. A share
(``--offending-share``, spread evenly) are offensive: an ordinary sentence followed by an
insult, profanity or threat that the default policy hides; the rest are one or two
sentences from tests/fixtures/rules/ordinary_sv.txt. Every text is checked against the
shipped word lists with the default policy before the run (offensive: hide, ordinary:
allow), so the expected hides are known.

Measured per hidden comment: from just before its webhook POST to the moment the fake
received ``POST /{comment-id}`` with ``is_hidden=true``, both on this process's monotonic
clock (the fake records ``time.monotonic()`` when the hide arrives). After the last send
the benchmark waits up to ``--wait`` seconds for the remaining hides; those that never
come are reported as missing. Also reported: the achieved send rate and the largest delay
of a send behind its schedule (the sender must not be the limit), non-200 webhook answers,
the webhook answer time, hide calls that failed or were repeated, hides of ordinary
comments, the service's CPU use while sending, and its log lines at WARNING or above.

Targets, at 50 comments/s on SQLite: p50 < 500 ms, p99 < 2 s, every offensive comment
hidden. Each run starts from an empty database; the verdict is on the medians of the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import random
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from intake import HOST, ThrowawayPostgres, free_port
from loadgen import percentile, server_cpu

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from app.fakegraph.server import FakeGraphServer
from app.rules.engine import Policy, RuleEngine

ORDINARY = ROOT / "tests" / "fixtures" / "rules" / "ordinary_sv.txt"
PAGE_ID = "1234567890321"
POST_ID = "901097836652708"
# Appended to an ordinary sentence; each is hidden by the default policy (checked at start).
OFFENSIVE = (
    "Din jävla idiot.", "Vilken jävla skitkommun.", "Du är en idiot.", "Jag ska döda dig.",
    "Ni i kommunen är ena jävla idioter.", "Fan ta er allihop, era jävla pajasar.",
    "Kommunalrådet är en korrupt jävla idiot.", "Dra åt helvete.", "Du är ett jävla svin.",
    "Jag ska skjuta dig.",
)
SENDERS = ("Björn Åkesson", "Åsa Lindqvist", "Märta Öberg", "Jöns Ekström", "Ylva Sjögren")
TARGET_P50_MS = 500.0
TARGET_P99_MS = 2000.0


# -- comments ------------------------------------------------------------------------------
@dataclass
class Comment:
    comment_id: str
    text: str
    offensive: bool
    body: bytes = b""
    signature: str = ""
    t_sent: float | None = None
    status: int | None = None  # the webhook's answer; -1: no answer
    t_answered: float | None = None


def make_comments(n: int, share: float, run: int, secret: str, engine: RuleEngine
                  ) -> list[Comment]:
    rng = random.Random(run)
    sentences = [s for s in ORDINARY.read_text(encoding="utf-8").splitlines() if s.strip()]
    tag = f"{os.getpid() % 100000:05d}{run:02d}"
    comments = []
    for i in range(n):
        # Spread evenly: comment i is offensive when floor((i + 1) * share) steps up.
        offensive = int((i + 1) * share) > int(i * share)
        if offensive:
            text = f"{rng.choice(sentences)} {rng.choice(OFFENSIVE)}"
        else:
            text = " ".join(rng.sample(sentences, rng.choice((1, 2))))
        comments.append(Comment(f"{POST_ID}_{tag}{i:07d}", text, offensive))
    today = date.today()
    for c in comments:
        decision = engine.check(c.text, Policy(), today=today).decision
        if decision != ("hide" if c.offensive else "allow"):
            raise SystemExit(f"the default policy decides {decision!r} on {c.text!r}; "
                             f"expected {'hide' if c.offensive else 'allow'}")
    now = int(time.time())
    for i, c in enumerate(comments):
        sender = {"id": str(7345028160000 + i % 997), "name": SENDERS[i % len(SENDERS)]}
        payload = {"object": "page", "entry": [{"id": PAGE_ID, "time": now, "changes": [{
            "field": "feed", "value": {
                "item": "comment", "verb": "add", "comment_id": c.comment_id,
                "post_id": f"{PAGE_ID}_{POST_ID}", "parent_id": f"{PAGE_ID}_{POST_ID}",
                "from": sender, "created_time": now, "message": c.text}}]}]}
        # Meta sends compact JSON with non-ASCII escaped as \uXXXX.
        c.body = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()
        c.signature = "sha256=" + hmac.new(secret.encode(), c.body, hashlib.sha256).hexdigest()
    return comments


def register(fake: FakeGraphServer, comments: list[Comment]) -> None:
    """What the Graph API would answer for each comment, should the service ask."""
    for i, c in enumerate(comments):
        fake.state.objects[c.comment_id] = {
            "message": c.text, "created_time": "2026-11-25T10:00:00+0000",
            "from": {"id": str(7345028160000 + i % 997), "name": SENDERS[i % len(SENDERS)]}}


# -- the service ---------------------------------------------------------------------------
@dataclass
class Service:
    workdir: Path
    env: dict[str, str]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "service.log"

    @staticmethod
    def exe() -> str:
        exe = Path(sys.executable).with_name("uppsikt")
        if not exe.exists():
            raise SystemExit(f"{exe} not found: run with the project's venv python "
                             "(pip install -e '.[test]')")
        return str(exe)

    def start(self, timeout: float = 90.0) -> None:
        self.port = free_port()
        cmd = [self.exe(), "serve", "--host", HOST, "--port", str(self.port)]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, cwd=self.workdir, stdout=log,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=2.0) as client:
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if client.get("/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        self.stop()
        raise SystemExit("uppsikt serve did not become ready; its log ends with:\n"
                         + self.log_path.read_text(errors="replace")[-3000:])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def add_page(self, token: str) -> str:
        # The token goes by environment, not on a command line others can read.
        proc = subprocess.run(
            [self.exe(), "pages", "add", "--page-id", PAGE_ID, "--name", "Bench kommun",
             "--unit", "Kommunledningsförvaltningen"],
            env=dict(self.env, UPPSIKT_PAGE_TOKEN=token), cwd=self.workdir,
            capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"uppsikt pages add failed:\n{proc.stdout}{proc.stderr}")
        return proc.stdout.strip()

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)  # uvicorn shuts down gracefully (lifespan runs)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def log_problems(self) -> tuple[Counter[str], list[str]]:
        """Log lines at WARNING or above: counts by level and event, and the first few."""
        counts: Counter[str] = Counter()
        first: list[str] = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
                level, event = str(entry.get("level", "?")), str(entry.get("event", "?"))
            except (ValueError, AttributeError):
                level, event = "unparsed", line[:80]
            if level in ("info", "debug"):
                continue
            counts[f"{level} {event}"] += 1
            if len(first) < 5:
                first.append(line[:400])
        return counts, first


def service_env(database_url: str, secret: str, graph_url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPPSIKT_")}
    env.update(UPPSIKT_DATABASE_URL=database_url,
               UPPSIKT_SECRET_KEY=secrets.token_urlsafe(48),
               UPPSIKT_META_APP_SECRET=secret,
               UPPSIKT_META_VERIFY_TOKEN=secrets.token_urlsafe(16),
               UPPSIKT_GRAPH_BASE_URL=graph_url,
               UPPSIKT_MEDIA_DIR=str(workdir / "media"))
    return env


# -- load ----------------------------------------------------------------------------------
async def send_all(url: str, comments: list[Comment], rate: float) -> tuple[float, float]:
    """POST comment i at t0 + i/rate, each in its own task. Returns (t0, largest lag)."""
    limits = httpx.Limits(max_connections=len(comments) + 1, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60.0) as client:

        async def send(c: Comment) -> None:
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": c.signature,
                       "User-Agent": "facebookexternalua"}
            c.t_sent = time.monotonic()
            try:
                response = await client.post("/webhooks/meta", content=c.body, headers=headers)
                c.status = response.status_code
            except httpx.HTTPError:
                c.status = -1
            c.t_answered = time.monotonic()

        tasks = []
        lag = 0.0
        t0 = time.monotonic() + 0.05
        for i, c in enumerate(comments):
            due = t0 + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            lag = max(lag, time.monotonic() - due)
            tasks.append(asyncio.create_task(send(c)))
        await asyncio.gather(*tasks)
    return t0, lag


def hide_calls(fake: FakeGraphServer) -> list[dict[str, Any]]:
    return [a for a in list(fake.state.actions)
            if a["method"] == "POST" and a["is_hidden"] is True]


def wait_for_hides(fake: FakeGraphServer, wanted: set[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        if wanted <= {a["object_id"] for a in hide_calls(fake)}:
            return
        time.sleep(0.05)


# -- one run -------------------------------------------------------------------------------
def one_run(run: int, args: argparse.Namespace, workdir: Path, engine: RuleEngine,
            pg: ThrowawayPostgres | None) -> dict[str, Any]:
    rundir = workdir / f"run-{run}"
    rundir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(16)
    n = round(args.rate * args.duration)
    comments = make_comments(n, args.offending_share, run, secret, engine)
    fake = FakeGraphServer().start()
    fake.state.token = secrets.token_urlsafe(24)
    register(fake, comments)
    if pg is not None:
        pg.create()
        database_url = pg.sqlalchemy_url
    else:
        database_url = f"sqlite:///{rundir / 'uppsikt.db'}"
    service = Service(rundir, service_env(database_url, secret, fake.base_url, rundir))
    try:
        service.start()
        added = service.add_page(fake.state.token)
        assert service.proc is not None
        cpu0 = server_cpu(service.proc.pid)
        t0, lag = asyncio.run(send_all(service.url, comments, args.rate))
        cpu1 = server_cpu(service.proc.pid)
        sent = [c.t_sent for c in comments if c.t_sent is not None]
        t_first, t_last = min(sent), max(sent)
        offensive = {c.comment_id for c in comments if c.offensive}
        wait_for_hides(fake, offensive, t_last + args.wait)
        time.sleep(0.5)  # let a repeated or late hide show up before counting
    finally:
        service.stop()
        fake.stop()
        if pg is not None:
            pg.drop()

    by_id = {c.comment_id: c for c in comments}
    first_hide: dict[str, float] = {}
    for a in hide_calls(fake):
        first_hide.setdefault(a["object_id"], a["at"])
    lat = sorted((first_hide[cid] - by_id[cid].t_sent) * 1000
                 for cid in offensive if cid in first_hide)
    missing = sorted(cid for cid in offensive if not fake.state.hidden(cid))
    answers = sorted((c.t_answered - c.t_sent) * 1000 for c in comments
                     if c.t_sent is not None and c.t_answered is not None)
    hides = hide_calls(fake)
    problems, first_lines = service.log_problems()
    return {
        "run": run, "database": database_url.split(":", 1)[0], "page": added,
        "sent": len(sent), "offensive_sent": len(offensive),
        "hidden": len(offensive) - len(missing), "missing": missing,
        "p50_ms": percentile(lat, 50) if lat else None,
        "p90_ms": percentile(lat, 90) if lat else None,
        "p99_ms": percentile(lat, 99) if lat else None,
        "max_ms": lat[-1] if lat else None,
        "rate": (len(sent) - 1) / (t_last - t_first) if t_last > t_first else None,
        "max_send_lag_ms": lag * 1000,
        "non_200": sum(1 for c in comments if c.status != 200),
        "answer_p50_ms": percentile(answers, 50), "answer_p99_ms": percentile(answers, 99),
        "hide_calls": len(hides),
        "hide_calls_failed": sum(1 for a in hides if a["status"] != 200),
        "hides_of_ordinary": len({a["object_id"] for a in hides} - offensive),
        "graph_gets": sum(1 for r in fake.state.requests if r["method"] == "GET"),
        "other_actions": sum(1 for a in fake.state.actions
                             if not (a["method"] == "POST" and a["is_hidden"] is True)),
        "service_cpu_pct": (100 * (cpu1 - cpu0) / (t_last - t0)
                            if cpu0 is not None and cpu1 is not None and t_last > t0 else None),
        "log_problems": dict(problems), "log_first": first_lines,
        "loadavg_1min_after": os.getloadavg()[0],
    }


# -- report --------------------------------------------------------------------------------
def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def describe(r: dict[str, Any]) -> list[str]:
    rate = "-" if r["rate"] is None else f"{r['rate']:.1f}/s"
    cpu = "-" if r["service_cpu_pct"] is None else f"{r['service_cpu_pct']:.0f}%"
    lines = [
        (f"  run {r['run']}: p50 {ms(r['p50_ms'])} ms, p90 {ms(r['p90_ms'])} ms, "
        f"p99 {ms(r['p99_ms'])} ms, max {ms(r['max_ms'])} ms; offensive sent "
        f"{r['offensive_sent']}, hidden {r['hidden']}, missing {len(r['missing'])}"),
        (f"         sent {r['sent']} at {rate} (largest lag behind schedule "
        f"{ms(r['max_send_lag_ms'])} ms), non-200 {r['non_200']}, webhook answer p50 "
        f"{ms(r['answer_p50_ms'])} / p99 {ms(r['answer_p99_ms'])} ms; hide calls "
        f"{r['hide_calls']} (failed {r['hide_calls_failed']}, of ordinary comments "
        f"{r['hides_of_ordinary']}), other Graph calls: {r['graph_gets']} GET, "
        f"{r['other_actions']} other; service CPU {cpu} of a core; load average "
        f"{r['loadavg_1min_after']:.2f} after"),
    ]
    if r["missing"]:
        lines.append(f"         MISSING (not hidden): {', '.join(r['missing'][:10])}"
                     + (" ..." if len(r["missing"]) > 10 else ""))
    if r["log_problems"]:
        lines.append("         service log, WARNING and above: " + ", ".join(
            f"{k} x{v}" for k, v in sorted(r["log_problems"].items())))
        lines += [f"           {line}" for line in r["log_first"]]
    return lines


def median(results: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in results if r[key] is not None]
    return statistics.median(values) if values else None


def figures(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the runs and totals, with the targets judged (for the report and --json)."""
    out: dict[str, Any] = {key: median(results, key) for key in (
        "p50_ms", "p90_ms", "p99_ms", "max_ms", "rate", "max_send_lag_ms", "answer_p50_ms",
        "answer_p99_ms", "service_cpu_pct")}
    out["missing"] = sum(len(r["missing"]) for r in results)
    out["offensive_sent"] = sum(r["offensive_sent"] for r in results)
    out["hidden"] = out["offensive_sent"] - out["missing"]
    for key in ("non_200", "hide_calls_failed", "hides_of_ordinary"):
        out[key] = sum(r[key] for r in results)
    out["repeated_hides"] = sum(r["hide_calls"] - r["hidden"] - r["hides_of_ordinary"]
                                for r in results)
    out["log_problems"] = sum(sum(r["log_problems"].values()) for r in results)
    out["worst_run_p99_ms"] = max((r["p99_ms"] for r in results if r["p99_ms"] is not None),
                                  default=None)
    out["p50_met"] = out["p50_ms"] is not None and out["p50_ms"] < TARGET_P50_MS
    out["p99_met"] = out["p99_ms"] is not None and out["p99_ms"] < TARGET_P99_MS
    out["all_hidden_met"] = out["missing"] == 0
    return out


def summary(results: list[dict[str, Any]], args: argparse.Namespace, backend: str) -> list[str]:
    f = figures(results)
    p50, p99 = f["p50_ms"], f["p99_ms"]
    missing, sent, rate = f["missing"], f["offensive_sent"], f["rate"]
    lines = [(f"Medians of {len(results)} run(s): p50 {ms(p50)} ms, p90 "
             f"{ms(median(results, 'p90_ms'))} ms, p99 {ms(p99)} ms, max "
             f"{ms(median(results, 'max_ms'))} ms; send rate "
             f"{'-' if rate is None else f'{rate:.1f}'}/s (offered {args.rate:g}/s)"),
             (f"Offensive comments sent {sent}, hidden {sent - missing}, missing {missing} "
             "(all runs).")]
    if args.rate != 50 or backend != "sqlite":
        lines.append(f"Targets are set for 50 comments/s on SQLite; this was {args.rate:g}/s "
                     f"on {backend}.")
    lines += [
        "Targets:",
        (f"  p50 < {TARGET_P50_MS:.0f} ms: {ms(p50)} ms, "
        f"{'met' if f['p50_met'] else 'NOT met'}"),
        (f"  p99 < {TARGET_P99_MS / 1000:.0f} s: {ms(p99)} ms, "
        f"{'met' if f['p99_met'] else 'NOT met'}"),
        f"  every offensive comment hidden: {'met' if f['all_hidden_met'] else 'NOT met'}",
    ]
    return lines


# -- main ----------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rate", type=float, default=50.0, help="comment webhooks a second")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of sending per run")
    p.add_argument("--runs", type=int, default=3, help="runs, each on a fresh database")
    p.add_argument("--offending-share", type=float, default=0.2,
                   help="share of the comments that are offensive (hidden by the policy)")
    p.add_argument("--wait", type=float, default=30.0,
                   help="seconds to wait for hides after the last send")
    p.add_argument("--database-url", default=None,
                   help="a PostgreSQL server (SQLAlchemy URL) to create a throwaway database "
                        "on for each run; default: SQLite in the temporary directory")
    p.add_argument("--workdir", type=Path, default=None,
                   help="where databases and service logs go (default: a new temp dir, "
                        "removed at the end)")
    p.add_argument("--json", type=Path, default=None, help="also write raw results here")
    args = p.parse_args()
    if args.runs < 1 or args.rate <= 0 or args.duration <= 0 or args.wait < 0:
        p.error("--runs, --rate and --duration must be positive, --wait not negative")
    if not 0 < args.offending_share <= 1:
        p.error("--offending-share must be in (0, 1]")
    if args.database_url and not args.database_url.startswith("postgresql"):
        p.error("--database-url must be a PostgreSQL URL (SQLite is the default)")
    return args


def main() -> None:
    args = parse_args()
    command = shlex.join([sys.executable, *sys.argv])
    keep_workdir = args.workdir is not None
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="uppsikt-tta-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    backend = "postgresql" if args.database_url else "sqlite"
    pg = ThrowawayPostgres(args.database_url) if args.database_url else None
    print(f"command: {command}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; workdir {workdir}")
    print(f"load: {args.rate:g} comment webhooks/s for {args.duration:g} s, "
          f"{args.offending_share:g} offensive, {args.runs} run(s), each on a fresh "
          + (f"PostgreSQL database {pg.name} (dropped after)" if pg else "SQLite file"))
    print("service: uppsikt serve with its worker thread; set by the benchmark: "
          "UPPSIKT_DATABASE_URL, _SECRET_KEY, _META_APP_SECRET, _META_VERIFY_TOKEN, "
          "_GRAPH_BASE_URL (the fake), _MEDIA_DIR; no worker setting changed "
          "(inherited UPPSIKT_* removed, no .env read)", flush=True)
    engine = RuleEngine.from_directory()
    results = []
    try:
        for run in range(1, args.runs + 1):
            result = one_run(run, args, workdir, engine, pg)
            results.append(result)
            print("\n".join(describe(result)), flush=True)
    finally:
        if not keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print("\n".join(summary(results, args, backend)))
    print(f"\ncommand: {command}")
    if args.json:
        args.json.write_text(json.dumps({
            "command": command, "backend": backend, "rate": args.rate,
            "duration": args.duration, "target_p50_ms": TARGET_P50_MS,
            "target_p99_ms": TARGET_P99_MS, "figures": figures(results), "runs": results},
            indent=2))


if __name__ == "__main__":
    main()
