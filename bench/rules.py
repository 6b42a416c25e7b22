"""Rule-engine benchmark: comments per second against word lists of 100 to 100,000 entries.

    .venv/bin/python bench/rules.py [--runs 5] [--comments 4000]

For each size, in the same run and on the same corpus:

* ``engine``   the whole engine: normalisation (fancy letters, leetspeak, repeats, split
               letters), the word lists at level strong, the personal-data, secrecy and
               link detectors, and the explanation of every match;
* ``bare``     the baseline: one pyahocorasick automaton over the same entries' letters,
               lower-cased text, and a word-boundary check per hit; nothing else.

Entries: the shipped lists (wordlists/), topped up with generated Swedish-like words
(letter frequencies of Swedish, 4-12 letters, a fifth of them with a trailing *) to the
size. Corpus: comments of about 200 characters built from ordinary sentences
(tests/fixtures/rules/ordinary_sv.txt) with an offending word, a number or a link in a
fifth of them. Each measurement is the median of ``--runs`` passes over the corpus on one
core (the engine is single-threaded). Build time is the engine's compile time for the
size; memory is the growth of the process's peak RSS from just before the engine is
built (lists already parsed) to after it has checked 200 comments, in a fresh subprocess
per size.

Targets: with 100,000 entries the engine at >= 40 % of the bare automaton's rate and
>= 20,000 comments/s; build < 2 s; < 150 MB extra memory.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (100, 1_000, 10_000, 100_000)
TARGET_RATIO = 0.40  # of the bare automaton's rate
TARGET_PER_S = 20_000
TARGET_BUILD_S = 2.0
TARGET_GROWTH_MB = 150.0
LETTERS = "aaaaaaaaabbcddddeeeeeeeeeffgghhiiiiijkkkllllllmmmnnnnnnnnooooopprrrrrrrrssssssst" \
          "ttttttuuvvyåääö"


def synthetic_words(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < n:
        w = "".join(rng.choice(LETTERS) for _ in range(rng.randint(4, 12)))
        words.add(w + ("*" if rng.random() < 0.2 else ""))
    return sorted(words)


def corpus(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    path = ROOT / "tests" / "fixtures" / "rules" / "ordinary_sv.txt"
    sentences = [s for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]
    spice = ["din jävla idiot", "ring 070-123 45 67", "https://bit.ly/abc",
             "19121212-1212", "JÄÄÄVLA", "f a n"]
    out = []
    for _ in range(n):
        text = ""
        while len(text) < 180:
            text += rng.choice(sentences) + " "
        if rng.random() < 0.2:
            text += rng.choice(spice)
        out.append(text.strip())
    return out


def build_lists(size: int):
    from app.rules.wordlists import load_directory, parse_wordlist

    shipped = load_directory(ROOT / "wordlists")
    have = sum(len(wl.entries) for wl in shipped)
    extra = synthetic_words(max(0, size - have))
    text = "@list synthetic\n@category profanity\n@version 2026-01-01\n" + "\n".join(extra)
    return [*shipped, parse_wordlist(text, origin="synthetic")] if extra else shipped


def bare_automaton(lists):
    import ahocorasick

    a = ahocorasick.Automaton()
    for wl in lists:
        for e in wl.entries:
            if not e.pattern.startswith("re:"):
                a.add_word(e.core, (len(e.core), e.kind.value))
    a.make_automaton()
    return a


def bare_check(a, text: str) -> int:
    text = text.lower()
    n = 0
    for end, (length, kind) in a.iter(text):
        start = end - length + 1
        if kind in ("word", "prefix") and start > 0 and text[start - 1].isalpha():
            continue
        if kind in ("word", "suffix") and end + 1 < len(text) and text[end + 1].isalpha():
            continue
        n += 1
    return n


def measure(size: int, runs: int, comments: int) -> dict[str, float]:
    from app.rules.engine import Policy, RuleEngine

    texts = corpus(comments)
    lists = build_lists(size)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    entries = sum(len(wl.entries) for wl in lists)
    engine = RuleEngine(lists)
    policy = Policy()
    today = date(2026, 11, 25)
    t0 = time.perf_counter()
    engine.check("warm", policy, today=today)  # compiles the automaton for this policy
    build_s = time.perf_counter() - t0
    for text in texts[:200]:
        engine.check(text, policy, today=today)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the engine's own growth
    t0 = time.perf_counter()
    bare = bare_automaton(lists)
    bare_build_s = time.perf_counter() - t0

    def rate(fn) -> float:
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            for text in texts:
                fn(text)
            samples.append(len(texts) / (time.perf_counter() - t))
        return statistics.median(samples)

    engine_rate = rate(lambda t: engine.check(t, policy, today=today))
    bare_rate = rate(lambda t: bare_check(bare, t))
    return {"size": size, "entries": entries, "engine_per_s": engine_rate,
            "bare_per_s": bare_rate, "ratio": engine_rate / bare_rate, "build_s": build_s,
            "bare_build_s": bare_build_s, "rss_growth_mb": (rss1 - rss0) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--comments", type=int, default=4000)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="list sizes, comma-separated (the targets are judged at the last)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.runs, args.comments)))
        return
    try:
        sizes = [int(n) for n in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes must be integers separated by commas")
    rows = []
    for size in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size), "--runs",
                              str(args.runs), "--comments", str(args.comments)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{'entries':>8} {'engine/s':>10} {'bare/s':>10} {'ratio':>6} {'build s':>8} "
          f"{'RSS +MB':>8}")
    for r in rows:
        print(f"{r['entries']:>8} {r['engine_per_s']:>10,.0f} {r['bare_per_s']:>10,.0f} "
              f"{r['ratio']:>6.0%} {r['build_s']:>8.2f} {r['rss_growth_mb']:>8.1f}")
    big = rows[-1]
    note = "" if big["entries"] == SIZES[-1] else " (the targets are set for 100,000)"
    print(f"\nTargets at {big['entries']:,} entries{note}:")
    met = {k: "met" if v else "NOT met" for k, v in verdicts(big).items()}
    print(f"  engine >= 40 % of bare: {big['ratio']:.0%} ({met['ratio']})")
    print(f"  engine >= 20,000 comments/s: {big['engine_per_s']:,.0f} ({met['per_s']})")
    print(f"  build < 2 s: {big['build_s']:.2f} s ({met['build_s']})")
    print(f"  < 150 MB extra memory: {big['rss_growth_mb']:.0f} MB ({met['rss_growth_mb']})")
    print(f"\ncommand: {' '.join(sys.argv)}  (medians of {args.runs} passes over "
          f"{args.comments} comments, one core)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "targets": verdicts(big)}, indent=2))


def verdicts(big: dict[str, float]) -> dict[str, bool]:
    """The targets, judged on the largest size."""
    return {"ratio": big["ratio"] >= TARGET_RATIO, "per_s": big["engine_per_s"] >= TARGET_PER_S,
            "build_s": big["build_s"] < TARGET_BUILD_S,
            "rss_growth_mb": big["rss_growth_mb"] < TARGET_GROWTH_MB}


if __name__ == "__main__":
    main()
