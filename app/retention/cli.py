"""CLI: retention."""

from __future__ import annotations

import typer

app = typer.Typer(help="retention", no_args_is_help=True)
