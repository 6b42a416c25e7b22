"""CLI: snapshots."""

from __future__ import annotations

import typer

app = typer.Typer(help="snapshots", no_args_is_help=True)
