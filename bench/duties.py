"""Scheduled duties on a large archive: how long each job's work takes.

    .venv/bin/python bench/duties.py [--items 100000] [--runs 3] [--database-url URL]

Fills a throwaway database (SQLite by default, through the migrations) with --items
comments of about 120 characters from January 2025 to mid-January 2026 on five pages in
three units (the last weeks hold the questions the questions job takes up): one in five a
question, one in ten hidden, the page answering every third question. Then, --runs
times, it times the work of the scheduled jobs on it: the questions job's first pass
(every question taken up) and a pass with nothing new, the yearly report's figures for
2025, a half-yearly snapshot of one page (PDF/A and HTML), the retention dry run under a
30-day rule for comments, and one unit's daily digest. The baseline, in the same run on
the same data: reading every version's text once (SELECT of all item_version rows), the
least any job that looks at the whole archive could take. It prints medians and the
ratio of each to the baseline.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, insert, select, text

from app.audit.models import AuditEntry
from app.content.models import Author, Item, ItemVersion
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.digest.service import build_digest
from app.graph.client import GraphClient
from app.jobs.models import JobRun
from app.jobs.registry import JobContext, JobEnv
from app.pages.models import Page
from app.questions.models import ServiceQuestion
from app.questions.service import questions_job
from app.reports.figures import yearly_figures
from app.retention.service import add_rule, candidates
from app.snapshots.service import build

UNITS = ("Kommunstyrelsen", "Kommunstyrelsen", "Socialförvaltningen", "Kulturförvaltningen",
         "Kulturförvaltningen")
WORDS = ("snöröjning", "förskola", "sophämtning", "bygglov", "parkering", "bibliotek",
         "badhuset", "vägarbete", "skolskjuts", "cykelbana", "elljusspår", "återvinning")
QUESTIONS = ("När kommer {w} igång igen?", "Hur ansöker man om {w}?",
             "Varför är {w} stängd idag?", "Vem ansvarar för {w} i Falun?")
REMARKS = ("Tack för bra information om {w}!", "Bra jobbat med {w} i år.",
           "Jag håller med om {w}, det fungerar fint.", "Skönt att {w} är klart nu.")
NOW = datetime(2026, 1, 20, 9, tzinfo=UTC)  # a Tuesday in January 2026


def fill(db: Database, items: int) -> None:
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with db.transaction() as s:
        pages = []
        for n, unit in enumerate(UNITS):
            page = Page(platform_id=f"10{n}", name=f"Sida {n}", unit=unit,
                        created_at=datetime(2024, 12, 1, tzinfo=UTC))
            s.add(page)
            pages.append(page)
        s.flush()
        s.execute(insert(Author), [{"platform_id": str(5000 + a), "name": f"Person {a}"}
                                   for a in range(500)])
        authors = list(s.scalars(select(Author.id)))
        posts = []
        for page in pages:
            for p in range(55):
                posts.append((page, f"{page.platform_id}_{p}",
                              start + timedelta(days=7 * p, hours=8)))
        s.execute(insert(Item), [{
            "platform_id": pid, "page_id": page.id, "kind": "post", "platform_type": "status",
            "by_page": True, "created_time": at, "first_seen_at": at, "state": "visible",
            "fetch_status": "none", "fetch_attempts": 0} for page, pid, at in posts])
    rows, versions = [], []
    for n in range(items):
        page, post, posted = posts[n % len(posts)]
        at = posted + timedelta(minutes=rng.randrange(60 * 24 * 6))
        question = rng.random() < 0.2
        template = rng.choice(QUESTIONS if question else REMARKS)
        words = template.format(w=rng.choice(WORDS)) + " " + " ".join(
            rng.choice(WORDS) for _ in range(8))
        rows.append({"platform_id": f"{post}_{n}", "page_id": page.id, "kind": "comment",
                     "platform_type": "comment", "post_platform_id": post,
                     "parent_platform_id": post, "author_id": rng.choice(authors),
                     "by_page": False, "created_time": at, "first_seen_at": at,
                     "state": "hidden" if n % 10 == 3 else "visible", "fetch_status": "none",
                     "fetch_attempts": 0})
        versions.append((f"{post}_{n}", words, at))
        if question and rng.random() < 0.33:  # the page answers in a reply the next hour
            reply_at = at + timedelta(hours=1)
            rows.append({"platform_id": f"{post}_{n}_r", "page_id": page.id, "kind": "reply",
                         "platform_type": "comment", "post_platform_id": post,
                         "parent_platform_id": f"{post}_{n}", "author_id": None,
                         "by_page": True, "created_time": reply_at, "first_seen_at": reply_at,
                         "state": "visible", "fetch_status": "none", "fetch_attempts": 0})
            versions.append((f"{post}_{n}_r", "Hej! Vi återkommer med svar i dag.", reply_at))
    for chunk in range(0, len(rows), 5000):
        with db.transaction() as s:
            s.execute(insert(Item), rows[chunk:chunk + 5000])
    with db.transaction() as s:
        ids = dict(s.execute(select(Item.platform_id, Item.id)).all())
    for chunk in range(0, len(versions), 5000):
        with db.transaction() as s:
            s.execute(insert(ItemVersion), [{
                "item_id": ids[pid], "seq": 1, "text": body, "media": [],
                "content_sha256": hashlib.sha256(body.encode()).hexdigest(),
                "observed_at": at, "recorded_at": at, "verb": "add", "source": "webhook"}
                for pid, body, at in versions[chunk:chunk + 5000]])


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        db = Database(url)
        began = time.perf_counter()
        fill(db, args.items)
        print(f"filled {args.items:,} comments in {time.perf_counter() - began:.1f} s "
              f"({db.engine.dialect.name})")
        settings = Settings(_env_file=None, database_url=url, archive_dir=Path(tmp) / "archive",
                            media_dir=Path(tmp) / "media")
        env = JobEnv(db=db, settings=settings, graph=GraphClient("http://127.0.0.1:9"),
                     rules=None)  # type: ignore[arg-type]
        with db.transaction() as s:
            add_rule(s, page=None, kind="comment", keep_days=30, decision_ref="KS 2026/1",
                     by="bench", today=NOW.date())
            page = s.scalar(select(Page).where(Page.platform_id == "100"))

        def questions() -> None:
            with db.transaction() as s:
                run = JobRun(job="questions", trigger="manual", holder="bench", started_at=NOW)
                s.add(run)
                s.flush()
                run_id = run.id
            summary = questions_job(JobContext(env=env, now=NOW + timedelta(hours=1),
                                               run_id=run_id, trigger="manual"))
            taken.append(summary["new"])
            with db.transaction() as s:
                r = s.get(JobRun, run_id)
                r.status, r.summary, r.finished_at = "ok", summary, NOW

        taken: list[int] = []

        def reset_questions() -> None:
            with db.engine.begin() as conn:
                if db.is_sqlite:
                    conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
                else:
                    conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
                conn.execute(delete(AuditEntry))
                conn.execute(delete(ServiceQuestion))
                conn.execute(delete(JobRun))
                if not db.is_sqlite:
                    conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))

        def read_all() -> None:
            with db.transaction() as s:
                for _ in s.execute(select(ItemVersion.item_id, ItemVersion.text)):
                    pass

        def figures() -> None:
            with db.transaction() as s:
                yearly_figures(s, 2025, NOW.date())

        def snapshot() -> None:
            with db.transaction() as s:
                build(s, settings, s.get(Page, page.id), date(2025, 1, 1), date(2025, 6, 30),
                      "on_demand", "bench", now=NOW)

        def dry_run() -> None:
            with db.transaction() as s:
                candidates(s, NOW)

        def digest() -> None:
            with db.transaction() as s:
                build_digest(s, "Kommunstyrelsen", date(2026, 1, 20))

        results: dict[str, list[float]] = {k: [] for k in (
            "baseline: read every version", "questions: first pass", "questions: nothing new",
            "yearly report figures 2025", "snapshot of a page, H1 2025",
            "retention dry run", "daily digest of a unit")}
        for _ in range(args.runs):
            results["baseline: read every version"].append(timed(read_all))
            reset_questions()
            results["questions: first pass"].append(timed(questions))
            results["questions: nothing new"].append(timed(questions))
            results["yearly report figures 2025"].append(timed(figures))
            results["snapshot of a page, H1 2025"].append(timed(snapshot))
            results["retention dry run"].append(timed(dry_run))
            results["daily digest of a unit"].append(timed(digest))
        env.graph.close()
        db.dispose()
    print(f"questions taken up by a first pass: {taken[0]:,} (the job looks back 14 days)")
    base = statistics.median(results["baseline: read every version"])
    print(f"{'work':<32} {'median s':>9} {'vs baseline':>12}   runs")
    for name, times in results.items():
        m = statistics.median(times)
        print(f"{name:<32} {m:>9.2f} {m / base:>11.1f}×   "
              + ", ".join(f"{t:.2f}" for t in times))


if __name__ == "__main__":
    main()
