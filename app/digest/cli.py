"""CLI: digest."""

from __future__ import annotations

import typer

app = typer.Typer(help="digest", no_args_is_help=True)
