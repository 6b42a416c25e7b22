"""Web UI benchmark: how fast the main pages answer with a realistic archive.

    .venv/bin/python bench/ui_pages.py [--items 100000] [--runs 5] [--requests 20]

Builds a throwaway SQLite database through the migrations in a temporary directory and
fills it, in bulk, with --items comments spread over a year (one every five minutes, the
last an hour ago) on five pages of three units, one post by the page for every 50
comments. Each comment has one version of about 200 characters of Swedish (sentences from
tests/fixtures/rules/ordinary_sv.txt), a rules decision and its audit entry (the log
hash-chained as the service writes it):

- most are allowed (the explanation of an allowed text, as the engine gives it);
- 0.5 % end in an insult or profanity and are hidden by the default policy, 0.5 % hold
  secret content (hidden, and a registration case: 60 % of them pending, the rest
  registered), 2 % have profanity that a page's policy sends to review. Their texts are
  checked by the shipped rule engine and its explanation (matches and all) is stored;
- every comment the rules hid has its snapshot, a done hide action and its state event;
  another 0.1 % were hidden on Facebook by a person (allowed by the rules);
- a verdict (review_outcome, with its audit entry) settles 90 % of the flagged and hidden
  comments, chosen at random: "kept", or for one review in five "false_positive" with its
  false-positive rows; the rest wait in the review queue.

The pages have their register entries and a month of daily sign-offs. A moderator (the unit
of pages 0 and 1) and an information officer are created with passwords. No ANALYZE is run
(the service never runs one either).

Then it starts the app in-process (``TestClient(create_app(settings))``, worker off, log
level WARNING), signs both users in through the login form, and times GET of the start
page, the review queue (all of the moderator's pages, and one page), a search for the
common word "kommunen" (in about a quarter of the texts), the page register and one hidden
comment's item page, all as the moderator; the start page (for this role it also counts
the pending registration cases per page) and the registrar's queue as the information
officer; and as the baseline, GET /healthz through the same client. Each page first gets
one untimed request (its content is checked: queue rows, search hits with marks, cases
...), then --runs rounds, each of --requests requests of every page in turn (the order
rotated each round). Every answer must be 200. The table shows per page the median of the
rounds' medians, the p95 of all its requests and the ratio of its median to the
baseline's.

Client and app share the process and the machine's cores: read the figures as ratios, and
with the load average printed at the end in mind.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from app.accounts.service import create_user  # noqa: E402
from app.audit.models import AuditEntry  # noqa: E402
from app.audit.service import GENESIS, entry_hash  # noqa: E402
from app.content.models import Author, Item, ItemStateEvent, ItemVersion  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import Database  # noqa: E402
from app.core.migrate import upgrade  # noqa: E402
from app.main import create_app  # noqa: E402
from app.moderation.models import Action, RegistrationCase, Snapshot  # noqa: E402
from app.moderation.service import snapshot_digest  # noqa: E402
from app.oversight.models import OversightSignoff  # noqa: E402
from app.pages.models import Page, PageRegister  # noqa: E402
from app.review.models import FalsePositive, ReviewOutcome  # noqa: E402
from app.review.service import queue_counts  # noqa: E402
from app.rules.engine import Policy, RuleEngine  # noqa: E402
from app.rules.models import ItemDecision  # noqa: E402

ORDINARY = ROOT / "tests" / "fixtures" / "rules" / "ordinary_sv.txt"
WORD = "kommunen"
PASSWORD = "korrekt-häst-batteri-häfte"
MODERATOR, OFFICER = "moa.moderator", "ida.informator"
UNITS = ("Kultur- och fritidsförvaltningen", "Barn- och utbildningsförvaltningen",
         "Kommunstyrelsen")
PAGES = [("104581230001", "Kulturhuset Tio14", UNITS[0]),
         ("104581230002", "Lugnets simhall", UNITS[0]),
         ("104581230003", "Förskolorna i Falun", UNITS[1]),
         ("104581230004", "Främbyskolan", UNITS[1]),
         ("104581230005", "Falu kommun", UNITS[2])]
STEP = timedelta(minutes=5)
COMMENTS_PER_POST = 50
# Appended to an ordinary text; the default policy hides each (checked with the engine).
OFFENSIVE = ("Din jävla idiot.", "Vilken jävla skitkommun.", "Du är en idiot.",
             "Ni i kommunen är ena jävla idioter.", "Dra åt helvete.",
             "Du är ett jävla svin.", "Kommunalrådet är en korrupt jävla idiot.")
# Profanity only: hidden by default, sent to review by REVIEW_POLICY.
SWEARING = ("Fan vad dåligt.", "Vilken skitkommun.", "Skitdåligt skött, ärligt talat.",
            "Fan ta det här.")
SECRET = ("Jag har skyddad identitet, skicka inte brevet till min gamla adress.",
          "Min granne har skyddad identitet, så skriv inte var hon bor.",
          "Vi har skyddade personuppgifter och barnen får inte synas på bild.")
REVIEW_POLICY = Policy(actions=(("profanity", "review"),), version="granskning")
SENDERS = ("Björn Åkesson", "Åsa Lindqvist", "Märta Öberg", "Jöns Ekström", "Ylva Sjögren",
           "Örjan Ärlig", "Anna-Lena Holm", "Per Nyström")


# -- the archive ---------------------------------------------------------------------------

class Audit:
    """Audit entries, chained in time order when written."""

    def __init__(self) -> None:
        self.rows: list[tuple[datetime, str, str, str, str, dict[str, Any]]] = []

    def add(self, at: datetime, act: str, subject: str, detail: dict[str, Any], *,
            actor: str = "system", subject_type: str = "item") -> None:
        self.rows.append((at, actor, act, subject_type, subject, detail))

    def chained(self) -> list[dict[str, Any]]:
        out, prev = [], GENESIS
        for at, actor, act, subject_type, subject, detail in sorted(self.rows,
                                                                    key=lambda r: r[0]):
            digest = entry_hash(prev, at=at, actor=actor, act=act, subject_type=subject_type,
                                subject_id=subject, detail=detail)
            out.append({"at": at, "actor": actor, "act": act, "subject_type": subject_type,
                        "subject_id": subject, "detail": detail, "prev_hash": prev,
                        "hash": digest})
            prev = digest
        return out


def ordinary_text(rng: random.Random, sentences: list[str], length: int = 200) -> str:
    words: list[str] = []
    while sum(len(s) + 1 for s in words) < length:
        words.append(rng.choice(sentences))
    return " ".join(words)


def fill(db: Database, items: int, seed: int = 7) -> dict[str, Any]:
    """The archive described in the module docstring; returns what the timing needs."""
    rng = random.Random(seed)
    engine = RuleEngine.from_directory()
    sentences = [s.strip() for s in ORDINARY.read_text(encoding="utf-8").splitlines()
                 if s.strip()]
    today = date.today()
    allow_explanation = engine.check(sentences[0], Policy(), today=today).as_dict()
    assert allow_explanation["decision"] == "allow"
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    start = end - STEP * items
    pages = [{"id": n + 1, "platform_id": pid, "name": name, "unit": unit,
              "created_at": start - timedelta(days=30)}
             for n, (pid, name, unit) in enumerate(PAGES)]
    authors = [{"id": n + 1, "platform_id": f"7345028{n:06d}",
                "name": f"{rng.choice(SENDERS)} {n}", "first_seen_at": start,
                "last_seen_at": end} for n in range(5000)]
    rows: dict[type, list[dict[str, Any]]] = {m: [] for m in (
        Item, ItemVersion, ItemDecision, ItemStateEvent, Snapshot, Action, RegistrationCase,
        ReviewOutcome, FalsePositive)}
    audit = Audit()
    posts: dict[tuple[int, int], str] = {}
    next_id = items + 1  # posts come after the comments
    snapshot_id = action_id = case_id = outcome_id = 0
    hidden_item: str | None = None
    counts = {"hide": 0, "secret": 0, "review": 0, "person_hidden": 0, "handled": 0,
              "pending_cases": 0, "registered_cases": 0}
    for n in range(1, items + 1):
        page = pages[n % 5]
        created = start + STEP * n
        observed = created + timedelta(seconds=2)
        key = (page["id"], n // (5 * COMMENTS_PER_POST))
        if key not in posts:
            post_at = created - timedelta(hours=1)
            post_id = f"{page['platform_id']}_{900000 + len(posts)}"
            posts[key] = post_id
            rows[Item].append({
                "id": next_id, "platform_id": post_id, "page_id": page["id"],
                "kind": "post", "platform_type": "status", "author_id": None,
                "by_page": True, "created_time": post_at, "first_seen_at": post_at})
            rows[ItemVersion].append({
                "id": next_id, "item_id": next_id, "seq": 1,
                "text": ordinary_text(rng, sentences, 120), "media": [],
                "content_sha256": "0" * 64, "observed_at": post_at, "recorded_at": post_at,
                "verb": "add"})
            next_id += 1
        post_id = posts[key]
        item_id = f"{post_id}_{n}"
        author = authors[rng.randrange(len(authors))]
        roll = rng.random()
        kind, policy = "allow", None
        body = ordinary_text(rng, sentences)
        if roll < 0.005:
            kind, policy = "hide", Policy()
            body = f"{ordinary_text(rng, sentences, 160)} {rng.choice(OFFENSIVE)}"
        elif roll < 0.010:
            kind, policy = "secret", Policy()
            body = f"{ordinary_text(rng, sentences, 130)} {rng.choice(SECRET)}"
        elif roll < 0.030:
            kind, policy = "review", REVIEW_POLICY
            body = f"{ordinary_text(rng, sentences, 170)} {rng.choice(SWEARING)}"
        elif roll < 0.031:
            kind = "person_hidden"
        explanation = allow_explanation
        if policy is not None:
            explanation = engine.check(body, policy, today=today).as_dict()
            wanted = "review" if kind == "review" else "hide"
            assert explanation["decision"] == wanted, (body, explanation["decision"])
            assert explanation["register"] == (kind == "secret"), body
            counts[kind] += 1
        elif kind == "person_hidden":
            counts[kind] += 1
        hidden = kind in ("hide", "secret", "person_hidden")
        hidden_at = observed + timedelta(seconds=3)
        rows[Item].append({
            "id": n, "platform_id": item_id, "page_id": page["id"], "kind": "comment",
            "platform_type": "comment", "post_platform_id": post_id,
            "parent_platform_id": post_id, "author_id": author["id"],
            "created_time": created, "first_seen_at": observed,
            "state": "hidden" if hidden else "visible",
            "state_at": hidden_at if hidden else None})
        rows[ItemVersion].append({
            "id": n, "item_id": n, "seq": 1, "text": body, "media": [],
            "content_sha256": hashlib.sha256(body.encode()).hexdigest(),
            "observed_at": observed, "recorded_at": observed, "verb": "add"})
        decided = observed + timedelta(seconds=1)
        rows[ItemDecision].append({
            "id": n, "item_id": n, "item_version_id": n,
            "decision": explanation["decision"], "register": explanation["register"],
            "observe": False, "categories": explanation["categories"],
            "explanation": explanation, "engine_version": explanation["engine_version"],
            "policy_version": explanation["policy_version"], "decided_at": decided})
        audit.add(decided, "decision", item_id, {
            "version": 1, "decision": explanation["decision"],
            "categories": explanation["categories"], "register": explanation["register"],
            "observe": False, "policy": explanation["policy_version"]})
        if kind in ("hide", "secret"):
            snapshot_id += 1
            action_id += 1
            snap = Snapshot(
                id=snapshot_id, item_id=n, item_version_id=n, reason="decision",
                taken_by="system", taken_at=decided, item_platform_id=item_id,
                page_platform_id=page["platform_id"], post_platform_id=post_id,
                parent_platform_id=post_id,
                permalink=f"https://www.facebook.com/{post_id}?comment_id={n}",
                created_time=created, observed_at=observed, text=body,
                sender_platform_id=author["platform_id"], sender_name=author["name"],
                decision_id=n, decision=explanation, media_count=0)
            snap.sha256 = snapshot_digest(snap, [])
            rows[Snapshot].append({c.key: getattr(snap, c.key)
                                   for c in Snapshot.__table__.columns})
            reason = f"rules: {', '.join(explanation['categories'])}"
            rows[Action].append({
                "id": action_id, "snapshot_id": snapshot_id, "item_id": n,
                "page_id": page["id"], "kind": "hide", "status": "done",
                "requested_by": "system", "reason": reason, "created_at": decided,
                "attempts": 1, "next_attempt_at": decided, "result": {"success": True},
                "done_at": hidden_at})
            audit.add(decided, "snapshot.taken", item_id,
                      {"snapshot": snapshot_id, "reason": "decision"})
            audit.add(decided, "action.requested", item_id,
                      {"action": action_id, "kind": "hide", "snapshot": snapshot_id})
            audit.add(hidden_at, "action.done", item_id, {"action": action_id, "kind": "hide"})
            if kind == "hide" and hidden_item is None and page["unit"] == UNITS[0]:
                hidden_item = item_id
        if hidden:
            rows[ItemStateEvent].append({
                "item_id": n, "verb": "hide", "state": "hidden", "occurred_at": hidden_at,
                "actor_platform_id": page["platform_id"],
                "source": "facebook" if kind == "person_hidden" else "uppsikt",
                "recorded_at": hidden_at})
        if kind == "secret":
            case_id += 1
            registered = rng.random() < 0.4
            categories = ", ".join(explanation["categories"])
            case = {"id": case_id, "item_id": n, "snapshot_id": snapshot_id,
                    "status": "registered" if registered else "pending", "source": "rules",
                    "secret": True, "reason": f"secret content ({categories})",
                    "created_at": decided, "requested_by": "system", "received_at": created}
            audit.add(decided, "registration.queued", item_id,
                      {"case": case_id, "snapshot": snapshot_id})
            if registered:
                at = decided + timedelta(days=1)
                case.update(diarienummer=f"KS {created.year}/{case_id:05d}",
                            description="Kommentar på Facebook med skyddade personuppgifter",
                            sender=author["name"], secrecy_provision="OSL 21 kap. 3 §",
                            withhold_sender=True, decided_by="registrator1", decided_at=at)
                audit.add(at, "registration.registered", str(case_id),
                          {"diarienummer": case["diarienummer"]}, actor="registrator1",
                          subject_type="registration_case")
                counts["registered_cases"] += 1
            else:
                counts["pending_cases"] += 1
            rows[RegistrationCase].append(case)
        if kind != "allow" and rng.random() < 0.9:
            outcome_id += 1
            at = observed + timedelta(hours=rng.uniform(0.5, 20))
            outcome = "kept"
            if kind == "review" and rng.random() < 0.2:
                outcome = "false_positive"
                for m in explanation["matches"]:
                    rows[FalsePositive].append({
                        "item_id": n, "item_decision_id": n, "category": m["category"],
                        "source": m["source"], "rule": m["rule"], "term": m["term"],
                        "marked_by": MODERATOR, "marked_at": at})
            rows[ReviewOutcome].append({"id": outcome_id, "item_id": n, "item_decision_id": n,
                                        "outcome": outcome, "handled_by": MODERATOR,
                                        "handled_at": at})
            audit.add(at, f"review.{outcome}", item_id, {"decision": n, "action": None},
                      actor=MODERATOR)
            counts["handled"] += 1
    registers = [{"page_id": p["id"], "assignment": f"Uppdrag från förvaltningschefen, {p['unit']}",
                  "responsible_name": "Karin Holm", "responsible_contact": "karin.holm@falun.se",
                  "substitute_name": "Per Nyström", "account_contact": "kommunikation@falun.se",
                  "started_on": date(2019, 3, 1), "purpose": "Dialog med invånarna.",
                  "target_group": "Invånare och besökare", "update_frequency": "Varje vecka",
                  "oversight_hours": "Vardagar 8-17", "updated_by": OFFICER, "updated_at": end}
                 for p in pages]
    signoffs = [{"page_id": p["id"], "day": today - timedelta(days=d), "signed_by": MODERATOR,
                 "signed_at": end - timedelta(days=d)} for p in pages for d in range(1, 31)]
    with db.transaction() as session:
        for model, values in ((Page, pages), (PageRegister, registers), (Author, authors),
                              *rows.items(), (OversightSignoff, signoffs),
                              (AuditEntry, audit.chained())):
            for at in range(0, len(values), 1000):
                session.execute(insert(model), values[at:at + 1000])
        create_user(session, username=MODERATOR, role="moderator", unit=UNITS[0],
                    password=PASSWORD)
        create_user(session, username=OFFICER, role="information_officer", password=PASSWORD)
    with db.transaction() as session:
        waiting = queue_counts(session, [p["id"] for p in pages])
    assert hidden_item is not None, "no hidden comment on the moderator's pages: more --items"
    return {"counts": counts, "posts": len(posts), "audit": len(audit.rows),
            "waiting": waiting, "hidden_item": hidden_item,
            "page": PAGES[0][0]}


# -- the timing ----------------------------------------------------------------------------

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def login(client: TestClient, username: str) -> httpx.Cookies:
    """Sign in through the form, as tests/ui/conftest.py does; the session's cookies."""
    client.cookies.clear()
    page = client.get("/ui/login")
    assert page.status_code == 200, page.text
    token = _FORM_TOKEN.search(page.text)
    assert token is not None, "no form token on the login page"
    answer = client.post("/ui/login", data={
        "username": username, "password": PASSWORD, "form_token": token.group(1),
        "next": "/ui/"}, follow_redirects=False)
    assert answer.status_code == 303, (answer.status_code, answer.text[:500])
    return httpx.Cookies(client.cookies)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        db = Database(url)
        began = time.perf_counter()
        facts = fill(db, args.items)
        db.dispose()
        filled = time.perf_counter() - began
        c = facts["counts"]
        print(f"filled in {filled:.1f} s: {args.items} comments and {facts['posts']} posts; "
              f"flagged {c['hide']} hide + {c['secret']} secret + {c['review']} review, "
              f"{c['person_hidden']} hidden by a person; {c['handled']} verdicts; "
              f"{c['pending_cases']} pending and {c['registered_cases']} registered cases; "
              f"{facts['audit']} audit entries; waiting in the review queue per page: "
              f"{sorted(facts['waiting'].values())}")
        settings = Settings(_env_file=None, database_url=url, worker_enabled=False,
                            media_dir=Path(tmp) / "media", log_level="WARNING")
        page, item = facts["page"], facts["hidden_item"]
        ok: dict[str, Callable[[str], bool]] = {
            "rows": lambda t: re.search(r'href="/ui/items/\d', t) is not None,
            "hits": lambda t: t.count("<mark>") >= 10,
            "item": lambda t: item in t and "<mark>" in t,
            "pages": lambda t: all(name in t for _pid, name, unit in PAGES
                                   if unit == UNITS[0]),
            "cases": lambda t: re.search(r'href="/ui/registration/\d', t) is not None,
            "ok": lambda t: '"ok"' in t,
        }
        targets = [  # label, path, user, check
            ("healthz (baseline)", "/healthz", MODERATOR, "ok"),
            ("start page", "/ui/", MODERATOR, "pages"),
            ("start page (officer)", "/ui/", OFFICER, "pages"),
            ("review queue", "/ui/review", MODERATOR, "rows"),
            ("review queue, one page", f"/ui/review?page_id={page}", MODERATOR, "rows"),
            (f"search '{WORD}'", f"/ui/search?q={WORD}", MODERATOR, "hits"),
            ("page register", "/ui/pages", MODERATOR, "pages"),
            ("item page", f"/ui/items/{item}", MODERATOR, "item"),
            ("registration (officer)", "/ui/registration", OFFICER, "cases"),
        ]
        times: dict[str, list[list[float]]] = {label: [] for label, *_ in targets}
        with TestClient(create_app(settings), follow_redirects=False) as client:
            cookies = {MODERATOR: login(client, MODERATOR), OFFICER: login(client, OFFICER)}
            for label, path, user, check in targets:  # untimed: warm, and see it works
                client.cookies = cookies[user]
                answer = client.get(path)
                assert answer.status_code == 200, (label, answer.status_code, answer.text[:500])
                assert ok[check](answer.text), f"{label}: the page lacks its content"
            for r in range(args.runs):
                turn = r % len(targets)
                for label, path, user, _check in targets[turn:] + targets[:turn]:
                    client.cookies = cookies[user]
                    samples = []
                    for _ in range(args.requests):
                        t0 = time.perf_counter()
                        answer = client.get(path)
                        samples.append((time.perf_counter() - t0) * 1000)
                        assert answer.status_code == 200, (label, answer.status_code)
                    times[label].append(samples)
    base = statistics.median(statistics.median(s) for s in times[targets[0][0]])
    print(f"\n{args.runs} rounds x {args.requests} requests per page; median of the rounds' "
          f"medians, p95 of all requests\n")
    print(f"{'page':<26} {'path':<42} {'median ms':>9} {'p95 ms':>8} {'ratio':>7}")
    for label, path, _user, _check in targets:
        medians = [statistics.median(s) for s in times[label]]
        median = statistics.median(medians)
        p95 = percentile([t for s in times[label] for t in s], 0.95)
        print(f"{label:<26} {path[:42]:<42} {median:>9.2f} {p95:>8.2f} {median / base:>7.1f}")
    load = os.getloadavg()
    print(f"\nload average after the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"({os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
