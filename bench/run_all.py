"""The performance suite: every benchmark with a target, on this machine, in one table.

    .venv/bin/python bench/run_all.py [--quick] [--runs N] [--only intake,rules,tta,memory]
        [--json out.json] [--markdown]

Runs, one after the other and each as its own subprocess (so that none shares a process,
an interpreter's warm caches or a database with another):

* ``intake``   bench/intake.py: ``POST /webhooks/meta`` against a bare FastAPI endpoint
               (SQLite NORMAL and FULL, and PostgreSQL when ``--pg-url`` answers);
* ``rules``    bench/rules.py: the rule engine against a bare automaton, 457 to 100,000
               list entries;
* ``tta``      bench/time_to_act.py: from a comment webhook to the hide call on the
               (fake) Graph API, 50 comments/s on SQLite;
* ``memory``   bench/memory.py: RSS, build time and speed of the engine loaded from lists
               of 100,000 entries, against the shipped lists.

Each benchmark writes its figures with ``--json``; this script reads them and prints one
table: benchmark, figure, value, baseline, ratio, target, met. The verdicts are the
benchmarks' own (the same code judges their own printed reports); a benchmark that fails
is shown as failed and the suite exits 1. Each benchmark's own report is printed as it
runs.

``--runs N`` sets every benchmark's number of runs (medians of N; default: the benchmark's
default). ``--quick`` is a smoke run of a minute or two: one short run of each, 1,000-
and 100,000-entry lists only, no PostgreSQL; its figures are not for comparison, and the
time-to-act targets, set for 60 s at 50 comments/s, are judged on a 10 s run.

The machine may be shared: the summary gives each benchmark's time and the 1-minute load
average before and after it, and ``--max-load L`` waits (up to ``--patience`` seconds)
before each benchmark until that load average is below L.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
NAMES = ("intake", "rules", "tta", "memory")
ALIASES = {"time_to_act": "tta", "time-to-act": "tta"}


@dataclass
class Row:
    benchmark: str
    figure: str
    value: float | None
    unit: str
    baseline: float | None = None  # the same figure of the baseline, same run
    baseline_name: str = ""
    ratio: float | None = None  # value / baseline
    target: str = ""  # as stated in the benchmark and docs/PERFORMANCE.md
    met: bool | None = None  # None: no target
    bound: str = ""  # ">=" when the value is a lower bound

    def cells(self) -> list[str]:
        base = "" if self.baseline is None else f"{fmt(self.baseline, self.unit)} ({self.baseline_name})"
        return [self.benchmark, self.figure, self.bound + fmt(self.value, self.unit), base,
                "" if self.ratio is None else f"{self.ratio:.0%}" if self.ratio < 2
                else f"{self.ratio:.1f}x", self.target or "-",
                "-" if self.met is None else "yes" if self.met else "NO"]


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("/s", "req/s", "entries", ""):
        return f"{value:,.0f}{' ' + unit if unit else ''}"
    if unit == "ms":
        return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"
    if unit == "%":
        return f"{value:.0%}"
    return f"{value:.2f} {unit}" if unit == "s" else f"{value:.1f} {unit}"


# -- the benchmarks --------------------------------------------------------------------------
def intake_cmd(args: argparse.Namespace, out: Path) -> list[str]:
    cmd = ["intake.py", "--json", str(out), "--pg-url", args.pg_url]
    if args.quick:
        cmd += ["--runs", "1", "--duration", "2", "--warmup", "0.5", "--pause", "0.5",
                "--drain", "5", "--skip-pg"]
    if args.runs:
        cmd += ["--runs", str(args.runs)]
    return cmd


def intake_rows(data: dict[str, Any]) -> list[Row]:
    figs = data["figures"]
    bare = figs["bare"]
    ratio_target = f">= {data['target_ratio']:.0%} of bare"
    p99_target = f"< {data['target_p99_ms']:.0f} ms"
    rows = []
    for name, f in figs.items():
        if not f["intake"]:
            continue
        rows.append(Row("intake", f"max throughput, {name}", f["rps"], "req/s", bare["rps"],
                        "bare", f["ratio"], ratio_target, f["rate_met"]))
        half = f"p99 at {f['half_rate']:,.0f} req/s (0.5 x bare), {name}"
        if f["half_short"]:
            half += f" (short: {f['half_achieved']:,.0f}/s)"
        p99_ratio = (f["half_p99_ms"] / bare["half_p99_ms"]
                     if f["half_p99_ms"] and bare["half_p99_ms"] else None)
        bare_name = "bare, >=" if bare["half_p99_censored"] else "bare"
        rows.append(Row("intake", half, f["half_p99_ms"], "ms", bare["half_p99_ms"], bare_name,
                        p99_ratio, p99_target, f["p99_met"],
                        ">= " if f["half_p99_censored"] else ""))
        rows.append(Row("intake", f"non-200 answers; inbox rows = 200s, {name}",
                        f["non_200"], "", target="0; yes",
                        met=f["non_200"] == 0 and bool(f["rows_equal_200s"])))
    if "postgres" not in figs:
        rows.append(Row("intake", "PostgreSQL target", None, "", target="not run",
                        met=None))
    return rows


def rules_cmd(args: argparse.Namespace, out: Path) -> list[str]:
    cmd = ["rules.py", "--json", str(out)]
    if args.quick:
        cmd += ["--runs", "1", "--comments", "1000", "--sizes", "1000,100000"]
    else:
        cmd += ["--runs", "5", "--comments", "3000"]
    if args.runs:
        cmd += ["--runs", str(args.runs)]
    return cmd


def rules_rows(data: dict[str, Any]) -> list[Row]:
    rows = []
    *smaller, big = data["rows"]
    met = data["targets"]
    for r in smaller:
        rows.append(Row("rules", f"comments/s, {r['entries']:,} entries", r["engine_per_s"],
                        "/s", r["bare_per_s"], "bare automaton", r["ratio"]))
    n = f"{big['entries']:,} entries"
    rows += [
        Row("rules", f"comments/s, {n}", big["engine_per_s"], "/s", big["bare_per_s"],
            "bare automaton", big["ratio"], ">= 40 % of bare", met["ratio"]),
        Row("rules", f"comments/s, {n} (absolute)", big["engine_per_s"], "/s",
            target=">= 20,000/s",
            met=met["per_s"]),
        Row("rules", f"build, {n}", big["build_s"], "s", big["bare_build_s"],
            "bare automaton", big["build_s"] / big["bare_build_s"], "< 2 s", met["build_s"]),
        Row("rules", f"memory growth (lists parsed -> engine), {n}", big["rss_growth_mb"],
            "MB", target="< 150 MB", met=met["rss_growth_mb"]),
    ]
    return rows


def tta_cmd(args: argparse.Namespace, out: Path) -> list[str]:
    cmd = ["time_to_act.py", "--json", str(out)]
    if args.quick:
        cmd += ["--runs", "1", "--duration", "10", "--wait", "15"]
    if args.runs:
        cmd += ["--runs", str(args.runs)]
    return cmd


def tta_rows(data: dict[str, Any]) -> list[Row]:
    f = data["figures"]
    load = f"{data['rate']:g}/s, {data['duration']:g} s, {data['backend']}"
    return [
        Row("time to act", f"p50, {load}", f["p50_ms"], "ms", target="< 500 ms",
            met=f["p50_met"]),
        Row("time to act", f"p99, {load}", f["p99_ms"], "ms", target="< 2 s",
            met=f["p99_met"]),
        Row("time to act", "p90 (median of runs)", f["p90_ms"], "ms"),
        Row("time to act", "max (median of runs)", f["max_ms"], "ms"),
        Row("time to act", f"offensive hidden (of {f['offensive_sent']:,})", f["hidden"], "",
            target="all", met=f["all_hidden_met"]),
        Row("time to act", "hides of ordinary comments", f["hides_of_ordinary"], ""),
        Row("time to act", "webhook answer p99 (worker on)", f["answer_p99_ms"], "ms"),
    ]


def memory_cmd(args: argparse.Namespace, out: Path) -> list[str]:
    cmd = ["memory.py", "--json", str(out)]
    if args.quick:
        cmd += ["--runs", "1", "--passes", "1", "--comments", "1000"]
    if args.runs:
        cmd += ["--runs", str(args.runs)]
    return cmd


def memory_rows(data: dict[str, Any]) -> list[Row]:
    s = data["summary"]
    sh = s["shipped"]
    n = f"{s['entries']:,} entries"
    return [
        Row("memory", f"RSS with the engine loaded, {n}", s["rss_after_mb"], "MB",
            sh["rss_after_mb"], f"shipped, {sh['entries']}", s["rss_after_mb"] / sh["rss_after_mb"]),
        Row("memory", f"RSS growth, whole load (before parsing -> compiled), {n}",
            s["rss_growth_mb"], "MB", sh["rss_growth_mb"], "shipped", None, "< 150 MB",
            s["growth_met"]),
        Row("memory", f"RSS growth, lists parsed -> compiled, {n}", s["engine_growth_mb"],
            "MB", target="< 150 MB", met=s["engine_growth_met"]),
        Row("memory", f"parse the list files, {n}", s["load_s"], "s", sh["load_s"], "shipped"),
        Row("memory", f"compile, {n}", s["compile_s"], "s", sh["compile_s"], "shipped",
            None, "< 2 s", s["compile_met"]),
        Row("memory", f"comments/s, {n}", s["per_s"], "/s", sh["per_s"], "shipped",
            s["ratio_to_shipped"]),
    ]


BENCHMARKS: dict[str, tuple[Callable[[argparse.Namespace, Path], list[str]],
                            Callable[[dict[str, Any]], list[Row]]]] = {
    "intake": (intake_cmd, intake_rows),
    "rules": (rules_cmd, rules_rows),
    "tta": (tta_cmd, tta_rows),
    "memory": (memory_cmd, memory_rows),
}


def settle(max_load: float | None, patience: float) -> None:
    """Wait, up to ``patience`` seconds, until the 1-minute load average is below ``max_load``.

    On a shared machine another job's burst can halve a benchmark's figures; waiting for a
    quieter moment is cheaper than rerunning everything.
    """
    if max_load is None:
        return
    deadline = time.monotonic() + patience
    while os.getloadavg()[0] >= max_load and time.monotonic() < deadline:
        print(f"  waiting: load average {os.getloadavg()[0]:.2f} >= {max_load:g}", flush=True)
        time.sleep(15)


def run_one(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Run a benchmark as a subprocess (its report to our stdout) and read its figures."""
    make_cmd, make_rows = BENCHMARKS[name]
    settle(args.max_load, args.patience)
    out = tmp / f"{name}.json"
    script, *rest = make_cmd(args, out)
    cmd = [sys.executable, str(BENCH / script), *rest]
    print(f"\n=== {name}: {shlex.join(cmd)}", flush=True)
    began, load_before = time.monotonic(), os.getloadavg()[0]
    try:
        proc = subprocess.run(cmd, cwd=BENCH.parent, timeout=args.timeout, check=False)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        code = None
    seconds = time.monotonic() - began
    # The machine is shared: the 1-minute load average shows what else ran meanwhile.
    result: dict[str, Any] = {"command": shlex.join(cmd), "seconds": round(seconds, 1),
                              "load_before": load_before, "load_after": os.getloadavg()[0]}
    if code != 0 or not out.exists():
        why = f"timed out after {args.timeout:g} s" if code is None else f"exit code {code}"
        result.update(status="failed", error=why, rows=[])
        return result
    data = json.loads(out.read_text())
    rows = make_rows(data)
    result.update(status="ok", rows=[asdict(r) for r in rows], raw=data)
    return result


# -- the table -------------------------------------------------------------------------------
HEAD = ["benchmark", "figure", "value", "baseline", "ratio", "target", "met"]


def table(rows: list[Row], markdown: bool) -> list[str]:
    cells = [r.cells() for r in rows]
    if markdown:
        lines = ["| " + " | ".join(HEAD) + " |", "|---|---|---:|---:|---:|---|---|"]
        return lines + ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
                        for row in cells]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
              for i, h in enumerate(HEAD)]
    right = {2, 3, 4}

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if i in right else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths, strict=True))).rstrip()

    return [line(HEAD), line(["-" * w for w in widths]), *(line(c) for c in cells)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a short smoke run (a minute or two)")
    p.add_argument("--runs", type=int, default=None,
                   help="runs per benchmark (medians); default: each benchmark's own")
    p.add_argument("--only", default=",".join(NAMES),
                   help=f"comma-separated, from: {', '.join(NAMES)} (default: all)")
    p.add_argument("--json", type=Path, default=None, help="write figures and table here")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                   help="PostgreSQL server for intake's throwaway database")
    p.add_argument("--max-load", type=float, default=None,
                   help="before each benchmark, wait until the 1-minute load average is "
                        "below this (at most --patience seconds)")
    p.add_argument("--patience", type=float, default=600.0,
                   help="seconds to wait for --max-load before running anyway")
    p.add_argument("--timeout", type=float, default=3600.0,
                   help="seconds after which a benchmark is stopped and counted as failed")
    args = p.parse_args(argv)
    names = [ALIASES.get(n.strip(), n.strip()) for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown or not names:
        p.error(f"--only: unknown benchmark(s) {', '.join(unknown) or '(none)'}; "
                f"choose from {', '.join(NAMES)}")
    if args.runs is not None and args.runs < 1:
        p.error("--runs must be positive")
    args.names = list(dict.fromkeys(names))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join([sys.executable, *sys.argv])
    started = datetime.now(UTC)
    machine = (f"{platform.platform()}, {os.cpu_count()} CPUs, Python "
               f"{platform.python_version()}")
    print(f"command: {command}\nmachine: {machine}\nstarted: {started:%Y-%m-%d %H:%M} UTC",
          flush=True)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="uppsikt-suite-") as tmp:
        for name in args.names:
            results[name] = run_one(name, args, Path(tmp))
    rows = [Row(**r) for name in args.names for r in results[name]["rows"]]
    rows += [Row(name, f"FAILED ({results[name]['error']})", None, "", met=False)
             for name in args.names if results[name]["status"] != "ok"]
    lines = table(rows, args.markdown)
    load = os.getloadavg()
    print(f"\n=== summary ({'quick smoke run, not for comparison; ' if args.quick else ''}"
          f"medians; ratio = value / baseline, both measured in this run)\n")
    print("\n".join(lines))
    print(f"\n{sum(r.met is True for r in rows)} targets met, "
          f"{sum(r.met is False for r in rows)} not met.")
    print(f"Time and 1-minute load average before -> after each ({os.cpu_count()} cores): "
          + "; ".join(f"{n} {results[n]['seconds']:.0f} s, {results[n]['load_before']:.1f} -> "
                      f"{results[n]['load_after']:.1f}" for n in args.names)
          + f"; load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"command: {command}")
    if args.json:
        args.json.write_text(json.dumps({
            "command": command, "machine": machine, "started": started.isoformat(),
            "quick": args.quick, "runs": args.runs, "benchmarks": results,
            "table": lines}, indent=2, ensure_ascii=False))
    return 0 if all(r["status"] == "ok" for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
