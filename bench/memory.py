"""Memory benchmark: the rule engine's RSS, build time and speed with 100,000 list entries.

    .venv/bin/python bench/memory.py [--entries 100000] [--runs 3] [--comments 3000]
        [--json out.json]

The service loads its word lists once at start (``RuleEngine.from_directory()``) and
compiles them on the first check; this measures that same path with lists that total
``--entries`` entries, against the shipped lists alone, each in a fresh process.

The lists: a copy of wordlists/ in a temporary directory, plus one generated file
(``synthetic.txt``, an ordinary list file with its directives) that tops the total up to
``--entries``. Its entries are Swedish-like words made deterministically from Swedish
syllables (onsets such as "skr", "kv", "sj"; vowels with å, ä, ö; codas such as "ng",
"rt", "ck") and common endings ("-en", "-ar", "-ing", "-het", "-lig"), 4-18 letters: 70 %
whole words, 20 % prefixes ("ord*"), 5 % suffixes ("*ord") and 5 % two-word phrases
("din ord"). As in a curated list, an entry that would match a word of the ordinary
sentences in tests/fixtures/rules/ordinary_sv.txt ("från", "komm*") is left out, so that
ordinary comments stay allowed; the automaton still meets many partial hits in them.

In each child process (one per configuration and run, interleaved):

1. import the engine, then read ``VmRSS`` from /proc/self/status (before);
2. ``RuleEngine.from_directory(dir)``: parse every list file (timed: load), ``VmRSS``
   again (loaded);
3. one ``check`` with the default policy, which compiles the automaton (timed: compile);
4. check 200 comments, read ``VmRSS`` again (after) and the peak (``VmHWM``);
5. comments per second over the corpus of bench/rules.py (about 200 characters, a fifth
   with an offending word, a number or a link): the median of ``--runs`` passes.

Figures are medians over the ``--runs`` child processes of each configuration. The
baseline for speed is the shipped lists in the same run; their ratio is printed.

Targets (from the rule-engine benchmark, at 100,000 entries): compile < 2 s and < 150 MB
extra memory. bench/rules.py measures that memory from parsed lists to a compiled engine
(here: loaded to after); both that and the whole growth from before loading are judged.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

TARGET_COMPILE_S = 2.0
TARGET_GROWTH_MB = 150.0

ONSETS = ("", "", "", "b", "bl", "br", "d", "dr", "f", "fl", "fr", "g", "gl", "gr", "h", "j",
          "k", "kl", "kr", "kv", "l", "m", "n", "p", "pl", "pr", "r", "s", "sj", "sk", "skr",
          "sl", "sm", "sn", "sp", "spr", "st", "str", "sv", "t", "tj", "tr", "v")
VOWELS = "aaaaeeeeiiioooouuyåååäääöö"
CODAS = ("", "", "", "n", "r", "l", "k", "t", "s", "m", "st", "ng", "nk", "rt", "ll", "mm",
         "nn", "tt", "ck", "ft", "rd", "nd", "rk", "lk", "sk")
ENDINGS = ("", "", "", "", "en", "ar", "are", "ing", "het", "lig", "isk", "a", "e", "or",
           "na", "erna")
FOLD = str.maketrans("åäöéü", "aaoeu")


def fold(word: str) -> str:
    """Without diacritics, as the engine also matches them ("vätte" finds "vatten")."""
    return word.translate(FOLD)


def ordinary_vocabulary() -> tuple[list[str], list[str]]:
    """The words of the ordinary sentences, sorted, and sorted reversed (for suffixes)."""
    text = (ROOT / "tests" / "fixtures" / "rules" / "ordinary_sv.txt").read_text("utf-8")
    words = {fold(w) for w in re.findall(r"[^\W\d_]+", text.lower())}
    return sorted(words), sorted(w[::-1] for w in words)


def _has_prefix(ordered: list[str], prefix: str) -> bool:
    i = bisect.bisect_left(ordered, prefix)
    return i < len(ordered) and ordered[i].startswith(prefix)


def swedish_like_words(n: int, seed: int = 2026) -> list[str]:
    """``n`` distinct list entries in the list file syntax, in a fixed order for a seed."""
    rng = random.Random(seed)
    vocabulary, reversed_vocabulary = ordinary_vocabulary()
    known = set(vocabulary)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        word = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
                       for _ in range(rng.choice((1, 2, 2, 2, 3, 3, 4))))
        word += rng.choice(ENDINGS)
        if not 4 <= len(word) <= 18:
            continue
        roll = rng.random()
        entry = (word if roll < 0.70 else f"{word}*" if roll < 0.90
                 else f"*{word}" if roll < 0.95 else f"din {word}")
        folded = fold(word)
        if word in seen or folded in known:
            continue
        if entry.endswith("*") and _has_prefix(vocabulary, folded):
            continue
        if entry.startswith("*") and _has_prefix(reversed_vocabulary, folded[::-1]):
            continue
        seen.add(word)
        out.append(entry)
    return out


def write_lists(directory: Path, entries: int) -> int:
    """The shipped lists plus a generated one topping them up to ``entries``; the total."""
    from app.rules.engine import WORDLIST_DIR
    from app.rules.wordlists import load_directory

    for path in WORDLIST_DIR.glob("*.txt"):
        shutil.copy(path, directory / path.name)
    have = sum(len(wl.entries) for wl in load_directory(WORDLIST_DIR))
    extra = swedish_like_words(max(0, entries - have))
    if extra:
        head = "@list synthetic\n@category profanity\n@version 2026-11-26\n"
        (directory / "synthetic.txt").write_text(head + "\n".join(extra) + "\n",
                                                 encoding="utf-8")
    return have + len(extra)


def proc_status_mb(field: str) -> float:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status, in MB (of 1024 kB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(directory: Path | None, passes: int, comments: int) -> dict[str, Any]:
    """One child process's figures; ``directory`` None means the shipped lists."""
    from rules import corpus

    from app.rules.engine import Policy, RuleEngine

    texts = corpus(comments)
    policy, today = Policy(), date(2026, 11, 26)
    rss_before = proc_status_mb("VmRSS")
    t0 = time.perf_counter()
    engine = RuleEngine.from_directory(directory) if directory else RuleEngine.from_directory()
    load_s = time.perf_counter() - t0
    rss_loaded = proc_status_mb("VmRSS")
    t0 = time.perf_counter()
    engine.check("warm", policy, today=today)  # compiles the automaton for this policy
    compile_s = time.perf_counter() - t0
    for text in texts[:200]:
        engine.check(text, policy, today=today)
    rss_after = proc_status_mb("VmRSS")
    samples = []
    for _ in range(passes):
        t0 = time.perf_counter()
        for text in texts:
            engine.check(text, policy, today=today)
        samples.append(len(texts) / (time.perf_counter() - t0))
    return {"entries": sum(len(wl.entries) for wl in engine.lists),
            "rss_before_mb": rss_before, "rss_after_mb": rss_after,
            "rss_growth_mb": rss_after - rss_before, "rss_loaded_mb": rss_loaded,
            "engine_growth_mb": rss_after - rss_loaded, "peak_rss_mb": proc_status_mb("VmHWM"),
            "load_s": load_s, "compile_s": compile_s,
            "per_s": statistics.median(samples)}


def child(directory: Path | None, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child",
           str(directory) if directory else "shipped", "--passes", str(args.passes),
           "--comments", str(args.comments)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"memory child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def med(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def summarize(big: list[dict[str, Any]], shipped: list[dict[str, Any]]) -> dict[str, Any]:
    s = {key: med(big, key) for key in ("rss_before_mb", "rss_loaded_mb", "rss_after_mb",
                                        "rss_growth_mb", "engine_growth_mb", "peak_rss_mb",
                                        "load_s", "compile_s", "per_s")}
    s["entries"] = big[0]["entries"]
    s["shipped"] = {key: med(shipped, key) for key in ("rss_after_mb", "rss_growth_mb",
                                                       "load_s", "compile_s", "per_s")}
    s["shipped"]["entries"] = shipped[0]["entries"]
    s["ratio_to_shipped"] = s["per_s"] / s["shipped"]["per_s"]
    s["compile_met"] = s["compile_s"] < TARGET_COMPILE_S
    s["engine_growth_met"] = s["engine_growth_mb"] < TARGET_GROWTH_MB
    s["growth_met"] = s["rss_growth_mb"] < TARGET_GROWTH_MB
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="child processes per configuration")
    parser.add_argument("--passes", type=int, default=3, help="passes over the corpus per child")
    parser.add_argument("--comments", type=int, default=3000)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        directory = None if args.child == "shipped" else Path(args.child)
        print(json.dumps(measure(directory, args.passes, args.comments)))
        return
    if args.runs < 1 or args.entries < 1 or args.passes < 1 or args.comments < 200:
        parser.error("--runs, --entries and --passes must be positive, --comments >= 200")
    with tempfile.TemporaryDirectory(prefix="uppsikt-memory-") as tmp:
        total = write_lists(Path(tmp), args.entries)
        print(f"lists: {total:,} entries (shipped + generated) in {tmp}", flush=True)
        big, shipped = [], []
        for run in range(1, args.runs + 1):
            shipped.append(child(None, args))
            big.append(child(Path(tmp), args))
            b = big[-1]
            print(f"  run {run}: RSS {b['rss_before_mb']:.1f} -> {b['rss_after_mb']:.1f} MB "
                  f"(+{b['rss_growth_mb']:.1f}), load {b['load_s']:.2f} s, compile "
                  f"{b['compile_s']:.2f} s, {b['per_s']:,.0f} comments/s; shipped lists "
                  f"{shipped[-1]['per_s']:,.0f} comments/s", flush=True)
    s = summarize(big, shipped)
    sh = s["shipped"]
    print(f"\nMedians of {args.runs} processes each ({args.passes} passes over "
          f"{args.comments} comments):")
    print(f"{'lists':<26} {'entries':>8} {'RSS MB':>7} {'+MB':>6} {'load s':>7} "
          f"{'compile s':>9} {'comments/s':>11}")
    print(f"{'shipped':<26} {sh['entries']:>8,} {sh['rss_after_mb']:>7.1f} "
          f"{sh['rss_growth_mb']:>6.1f} {sh['load_s']:>7.2f} {sh['compile_s']:>9.2f} "
          f"{sh['per_s']:>11,.0f}")
    print(f"{'shipped + generated':<26} {s['entries']:>8,} {s['rss_after_mb']:>7.1f} "
          f"{s['rss_growth_mb']:>6.1f} {s['load_s']:>7.2f} {s['compile_s']:>9.2f} "
          f"{s['per_s']:>11,.0f}")
    print(f"\nspeed at {s['entries']:,} entries: {s['ratio_to_shipped']:.0%} of the shipped "
          f"lists'; RSS with the lists parsed {s['rss_loaded_mb']:.1f} MB, peak "
          f"{s['peak_rss_mb']:.1f} MB")
    print("Targets:")
    print(f"  compile < {TARGET_COMPILE_S:g} s: {s['compile_s']:.2f} s "
          f"({'met' if s['compile_met'] else 'NOT met'})")
    print(f"  < {TARGET_GROWTH_MB:g} MB extra memory, compiled engine (lists parsed -> "
          f"compiled): {s['engine_growth_mb']:.1f} MB "
          f"({'met' if s['engine_growth_met'] else 'NOT met'})")
    print(f"  < {TARGET_GROWTH_MB:g} MB extra memory, whole load (before parsing -> "
          f"compiled): {s['rss_growth_mb']:.1f} MB ({'met' if s['growth_met'] else 'NOT met'})")
    if args.json:
        args.json.write_text(json.dumps({"summary": s, "big": big, "shipped": shipped},
                                        indent=2))


if __name__ == "__main__":
    main()
