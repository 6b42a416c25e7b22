"""CLI: reports."""

from __future__ import annotations

import typer

app = typer.Typer(help="reports", no_args_is_help=True)
