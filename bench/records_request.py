"""Records-request benchmark: the size of the package and the time it takes to make.

    .venv/bin/python bench/records_request.py [--items 10000] [--runs 3]

Fills a throwaway SQLite database (through the migrations) with the same data as
bench/erms_export.py: --items registered comments of about 250 characters on five pages,
one in three secret (content and sender withheld). Then, --runs times, it makes the
records-request package for the whole month (every item: the PDF, the two CSV files and
the manifest, zipped) and, as a baseline on the same data in the same run, the ERMS
document of the same month. It prints the package's size, the median times and their
ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import date
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from erms_export import fill  # noqa: E402

from app.core.db import Database  # noqa: E402
from app.core.migrate import upgrade  # noqa: E402
from app.records.service import collect, package  # noqa: E402
from app.registration.erms import build_erms  # noqa: E402
from app.search.service import SearchFilters  # noqa: E402

MONTH = SearchFilters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        media_dir = Path(tmp) / "media"
        media_dir.mkdir()
        db = Database(url)
        fill(db, media_dir, args.items)
        made, baseline, sizes = [], [], {}
        for _ in range(args.runs):
            began = time.perf_counter()
            with db.transaction() as session:
                request = collect(session, MONTH, made_by="bench", reference="KS 2026/0001",
                                  max_records=args.items)
            data, manifest = package(request)
            made.append(time.perf_counter() - began)
            assert manifest["records"] == args.items, "records missing"
            with zipfile.ZipFile(BytesIO(data)) as archive:
                sizes = {i.filename: i.file_size for i in archive.infolist()}
            sizes["zip"] = len(data)
            began = time.perf_counter()
            with db.transaction() as session:
                build_erms(session, date_from=date(2026, 3, 1), date_to=date(2026, 3, 31),
                           page_platform_id=None, media_dir=media_dir, include_media=False)
            baseline.append(time.perf_counter() - began)
        db.dispose()
    m, b = statistics.median(made), statistics.median(baseline)
    print(f"{args.items} items, {manifest['withheld']} withheld: zip {sizes['zip'] / 1e6:.1f} MB "
          f"(PDF {sizes['handlingar.pdf'] / 1e6:.1f} MB, CSV "
          f"{sizes['handlingar.csv'] / 1e6:.1f} MB)")
    print(f"package: median {m:.2f} s of {args.runs} ({', '.join(f'{t:.2f}' for t in made)}), "
          f"{args.items / m:,.0f} items/s")
    print(f"baseline, ERMS document of the same month: median {b:.2f} s; ratio {m / b:.2f}")


if __name__ == "__main__":
    main()
