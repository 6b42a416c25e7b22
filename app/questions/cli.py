"""CLI: questions."""

from __future__ import annotations

import typer

app = typer.Typer(help="questions", no_args_is_help=True)
