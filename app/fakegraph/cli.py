"""`uppsikt fake-graph`: the fake Graph API in the foreground, for local runs and demos.

A callback rather than a command, so that the options work both when this app runs on its
own and when it is added to the main CLI with `cli.add_typer(fake_graph_app, name=...)`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from app.core.serving import ForegroundServer
from app.fakegraph.server import DEFAULT_TOKEN, FakeGraphState, bind, server_config

fake_graph_app = typer.Typer(
    help="Run a fake Meta Graph API (fetch, hide, unhide, delete, media) in the foreground.",
    invoke_without_command=True, add_completion=False,
)


def _load_seed(path: Path, state: FakeGraphState) -> None:
    try:
        seed: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc}", param_hint="--seed") from exc
    objects = seed.get("objects", {}) if isinstance(seed, dict) else None
    page_ids = seed.get("page_ids", []) if isinstance(seed, dict) else None
    if not isinstance(objects, dict) or not all(isinstance(v, dict) for v in objects.values()) \
            or not isinstance(page_ids, list):
        raise typer.BadParameter(
            'expected {"objects": {"<id>": {...}}, "page_ids": ["<id>", ...]}',
            param_hint="--seed")
    state.objects.update({str(k): v for k, v in objects.items()})
    state.page_ids.update(str(p) for p in page_ids)


@fake_graph_app.callback()
def fake_graph(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8765,
    token: Annotated[str, typer.Option(
        help="The page token to accept (default: the test suite's token).",
        envvar="UPPSIKT_FAKE_GRAPH_TOKEN", show_default=False, show_envvar=True,
    )] = DEFAULT_TOKEN,
    seed: Annotated[Path | None, typer.Option(
        help='JSON file {"objects": {...}, "page_ids": [...]} to preload.',
        exists=True, dir_okay=False,
    )] = None,
) -> None:
    """Serve until Ctrl-C or SIGTERM. The token is never printed."""
    state = FakeGraphState(token=token)
    if seed is not None:
        _load_seed(seed, state)
    try:
        sock = bind(host, port)
    except OSError as exc:
        typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    shown = f"[{host}]" if ":" in host else host
    state.base_url = f"http://{shown}:{sock.getsockname()[1]}"
    typer.echo(f"Fake Graph API at {state.base_url} ({len(state.objects)} objects, "
               f"{len(state.page_ids)} page ids)")
    typer.echo(f"Point Uppsikt at it: UPPSIKT_GRAPH_BASE_URL={state.base_url}")
    typer.echo("Pages must use the token given with --token. Stop with Ctrl-C.")
    try:
        ForegroundServer(server_config(state)).run(sockets=[sock])
    finally:
        sock.close()
    typer.echo("Fake Graph API stopped.")
