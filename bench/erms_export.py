"""ERMS export benchmark: the size of the document and the time ``build_erms`` takes.

    .venv/bin/python bench/erms_export.py [--cases 10000] [--runs 3] [--no-media]

Builds a throwaway SQLite database through the migrations in a temporary directory and
fills it, in bulk, with --cases registered cases spread over March 2026 on five pages:
each an item of about 250 characters of Swedish text with its snapshot (digest computed as
the service computes it) and a rules decision; one case in three secret with a provision
and a withheld sender, one in ten with a withheld description; one case in five with a
photo (a 20 kB file in the media directory, each different) and one in twenty with a
failed video as well. Then it times ``build_erms`` over the whole month, --runs times, each
in a fresh transaction, and prints the document's size and the median time.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from app.content.models import Author, Item, ItemVersion  # noqa: E402
from app.core.db import Database  # noqa: E402
from app.core.migrate import upgrade  # noqa: E402
from app.moderation.models import (  # noqa: E402
    MediaBlob,
    RegistrationCase,
    Snapshot,
    SnapshotMedia,
)
from app.moderation.service import snapshot_digest  # noqa: E402
from app.pages.models import Page  # noqa: E402
from app.registration.erms import build_erms  # noqa: E402

WORDS = ("kommunen skolan förskolan bygglov snöröjning vägen parken biblioteket simhallen "
         "öppettider personalen beslutet nämnden fullmäktige återvinning sophämtning "
         "äldreboendet hemtjänsten gatlyktor cykelbanan detaljplanen taxan avgiften "
         "medborgare synpunkt klagomål fråga svar tack varför när hur").split()
START = datetime(2026, 3, 1, tzinfo=UTC)


def text(rng: random.Random) -> str:
    words = []
    while sum(len(w) + 1 for w in words) < 250:
        words.append(rng.choice(WORDS))
    return " ".join(words).capitalize() + "? Mitt personnummer är 19800101-1234, §§ åäö."


def fill(db: Database, media_dir: Path, cases: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    pages = [{"id": n + 1, "platform_id": f"10000{n}", "name": f"Kommunsida {n} – Åsele",
              "unit": f"Förvaltning {n}"} for n in range(5)]
    authors = [{"id": n + 1, "platform_id": f"77{n:06d}", "name": f"Användare Öberg {n}",
                "first_seen_at": START, "last_seen_at": START} for n in range(2000)]
    items, versions, snapshots, blobs, media, rows = [], [], [], [], [], []
    for n in range(1, cases + 1):
        page = pages[n % 5]
        author = authors[n % len(authors)]
        created = START + timedelta(seconds=n * 250)
        item_id = f"{page['platform_id']}_{n}"
        body = text(rng)
        items.append({"id": n, "platform_id": item_id, "page_id": page["id"],
                      "kind": "comment", "platform_type": "comment",
                      "post_platform_id": f"{page['platform_id']}_1",
                      "parent_platform_id": f"{page['platform_id']}_1",
                      "author_id": author["id"], "created_time": created,
                      "first_seen_at": created})
        attached = []
        if n % 5 == 0:
            attached.append(("photo", f"https://scontent.example/{n}.jpg"))
        if n % 20 == 0:
            attached.append(("video", f"https://video.example/{n}.mp4"))
        versions.append({"id": n, "item_id": n, "seq": 1, "text": body,
                         "media": [{"type": k, "url": u} for k, u in attached],
                         "content_sha256": "0" * 64, "observed_at": created,
                         "recorded_at": created, "verb": "add"})
        snap = Snapshot(
            id=n, item_id=n, item_version_id=n, reason="decision", taken_by="system",
            taken_at=created + timedelta(seconds=1), item_platform_id=item_id,
            page_platform_id=page["platform_id"], post_platform_id=f"{page['platform_id']}_1",
            parent_platform_id=f"{page['platform_id']}_1",
            permalink=f"https://www.facebook.com/{page['platform_id']}_1?comment_id={n}",
            created_time=created, observed_at=created, text=body,
            sender_platform_id=author["platform_id"], sender_name=author["name"],
            decision={"decision": "hide", "register": True, "categories": ["secret"],
                      "matches": [{"category": "personal_data", "start": 12, "end": 25}]},
            media_count=len(attached))
        snap.sha256 = snapshot_digest(snap, [u for _k, u in attached])
        snapshots.append({c.key: getattr(snap, c.key) for c in Snapshot.__table__.columns})
        for position, (kind, url) in enumerate(attached):
            row = {"snapshot_id": n, "position": position, "kind": kind, "url": url,
                   "status": "failed", "attempts": 6, "blob_sha256": None}
            if kind == "photo":
                data = rng.randbytes(20_000)
                sha = hashlib.sha256(data).hexdigest()
                relative = f"{sha[:2]}/{sha[2:4]}/{sha}"
                (media_dir / relative).parent.mkdir(parents=True, exist_ok=True)
                (media_dir / relative).write_bytes(data)
                blobs.append({"sha256": sha, "size": len(data), "mime": "image/jpeg",
                              "path": relative, "stored_at": created})
                row.update(status="stored", attempts=1, blob_sha256=sha)
            media.append(row)
        secret = n % 3 == 0
        rows.append({"item_id": n, "snapshot_id": n, "status": "registered",
                     "source": "rules", "secret": secret, "reason": "sekretess: personnummer",
                     "created_at": created, "requested_by": "system", "received_at": created,
                     "diarienummer": f"KS 2026/{n:05d}",
                     "description": f"Kommentar på Facebook om {rng.choice(WORDS)}",
                     "sender": author["name"],
                     "secrecy_provision": "OSL 26 kap. 1 §" if secret else None,
                     "withhold_sender": secret, "withhold_description": n % 10 == 0,
                     "decided_by": "registrator1",
                     "decided_at": created + timedelta(hours=2)})
    with db.transaction() as session:
        for model, values in ((Page, pages), (Author, authors), (Item, items),
                              (ItemVersion, versions), (Snapshot, snapshots),
                              (MediaBlob, blobs), (SnapshotMedia, media),
                              (RegistrationCase, rows)):
            for start in range(0, len(values), 1000):
                session.execute(insert(model), values[start:start + 1000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-media", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        media_dir = Path(tmp) / "media"
        media_dir.mkdir()
        db = Database(url)
        began = time.perf_counter()
        fill(db, media_dir, args.cases)
        print(f"filled {args.cases} cases in {time.perf_counter() - began:.1f} s")
        times, size = [], 0
        for _ in range(args.runs):
            began = time.perf_counter()
            with db.transaction() as session:
                document = build_erms(session, date_from=date(2026, 3, 1),
                                      date_to=date(2026, 3, 31), page_platform_id=None,
                                      media_dir=media_dir, include_media=not args.no_media)
            times.append(time.perf_counter() - began)
            size = len(document)
            assert document.count(b"<aggregation ") == args.cases, "cases missing"
            del document
        db.dispose()
    median = statistics.median(times)
    print(f"{args.cases} cases{' (no media)' if args.no_media else ''}: "
          f"{size / 1_000_000:.1f} MB, median {median:.2f} s of {args.runs} "
          f"({', '.join(f'{t:.2f}' for t in times)}), {args.cases / median:,.0f} cases/s")


if __name__ == "__main__":
    main()
