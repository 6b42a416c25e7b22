"""The reliability soak at full size: signed webhooks with duplicates and forgeries while
``uppsikt serve`` is SIGKILLed and restarted and the Graph API fails a tenth of the hides.

    .venv/bin/python bench/soak.py --events 50000 --kills 5
        [--database-url postgresql+psycopg://postgres@127.0.0.1/test] [--senders 8]

What it does and checks is described in tests/soak.py (shared with tests/test_soak.py,
which runs it small). On SQLite the database is a fresh file in a temporary directory; with
``--database-url`` a throwaway PostgreSQL database is created on that server for the run
and dropped after it (the database named in the URL is only connected to). Prints the
figures and every check that failed; exits 1 if one did, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from intake import ThrowawayPostgres

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from tests.soak import SoakConfig, describe, run_soak


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--events", type=int, default=50_000, help="webhook POSTs to make")
    p.add_argument("--kills", type=int, default=5, help="SIGKILLs (each followed by a start)")
    p.add_argument("--senders", type=int, default=SoakConfig.senders,
                   help="concurrent sender threads")
    p.add_argument("--seed", type=int, default=SoakConfig.seed)
    p.add_argument("--drain-timeout", type=float, default=1800.0,
                   help="seconds to wait for the service to drain after the last answer")
    p.add_argument("--database-url", default=None,
                   help="a PostgreSQL server (SQLAlchemy URL) to create a throwaway database "
                        "on; default: SQLite in the temporary directory")
    p.add_argument("--workdir", type=Path, default=None,
                   help="where the database and the service log go (default: a new temp "
                        "dir, removed at the end)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = p.parse_args()
    if args.events < 200 or args.kills < 0 or args.senders < 1:
        p.error("--events must be at least 200, --kills not negative, --senders positive")
    if args.database_url and not args.database_url.startswith("postgresql"):
        p.error("--database-url must be a PostgreSQL URL (SQLite is the default)")
    return args


def main() -> None:
    args = parse_args()
    command = shlex.join([sys.executable, *sys.argv])
    keep = args.workdir is not None
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="uppsikt-soak-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    pg = ThrowawayPostgres(args.database_url) if args.database_url else None
    config = replace(SoakConfig(), events=args.events, kills=args.kills,
                     senders=args.senders, seed=args.seed, drain_timeout=args.drain_timeout)
    print(f"command: {command}")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}; "
          f"workdir {workdir}", flush=True)
    started = time.monotonic()

    def say(line: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {line}", flush=True)

    try:
        if pg is not None:
            pg.create()
            url = pg.sqlalchemy_url
        else:
            url = f"sqlite:///{workdir / 'uppsikt.db'}"
        say(f"database: {'PostgreSQL ' + pg.name if pg else 'SQLite file'}")
        result = run_soak(config, url, workdir / "service", say)
    finally:
        if pg is not None:
            pg.drop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(describe(result)))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"command: {command}")
    if args.json:
        args.json.write_text(json.dumps({"command": command, "figures": result.figures,
                                         "problems": result.problems}, indent=2))
    sys.exit(1 if result.problems else 0)


if __name__ == "__main__":
    main()
