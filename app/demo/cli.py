"""`uppsikt demo`: the whole service on this machine with a fake Facebook, for a first look.

One process: the service (web UI, worker, scheduler) on its own SQLite database in the data
directory, the fake Graph API in a thread, and a thread that plays the demo script as
signed webhook deliveries over HTTP. Logs go to the data directory; the terminal shows
only the banner. Ctrl-C stops it all.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from pathlib import Path
from typing import IO, Annotated

import typer
import uvicorn

from app.core.serving import ForegroundServer
from app.demo.data import DataDirError, DemoData, demo_settings, open_data_dir
from app.demo.fakemeta import Deliverer, DemoFacebook
from app.demo.script import PAGE_NAME, STEPS, UNIT
from app.fakegraph.server import FakeGraphServer, FakeGraphState, bind

ROLE_HINTS = {
    "moderator": "granskar kön (Granskning) för sidorna i " + UNIT,
    "registrar": "registrerar i diariet (Registrering)",
    "information_officer": "allt: sidor, policyer, Drift, årsrapport",
    "auditor": "läser allt, ändrar inget",
}


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _DemoServer(ForegroundServer):
    """Ctrl-C and SIGTERM are the normal way to stop: shut down gracefully and return,
    telling the demo's other threads to stop too."""

    def __init__(self, config: uvicorn.Config, on_exit: threading.Event) -> None:
        super().__init__(config)
        self.on_exit = on_exit

    def handle_exit(self, sig: int, frame: object) -> None:
        self.on_exit.set()
        super().handle_exit(sig, frame)  # type: ignore[arg-type]


def demo(
    port: Annotated[int, typer.Option(help="Port of the web UI.", min=0, max=65535)] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback only, unless "
                                      "--allow-remote).")] = "127.0.0.1",
    data_dir: Annotated[Path, typer.Option(
        help="The demo's own database, media and log (never the real ./var/uppsikt.db).")]
    = Path("./var/demo"),
    reset: Annotated[bool, typer.Option("--reset",
                                        help="Throw the demo's data away and start over.")]
    = False,
    rate: Annotated[float, typer.Option(help="Seconds between the demo's webhook deliveries.",
                                        min=0.01, max=600)] = 2.5,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow a non-loopback --host: anyone who can reach it sees "
        "the demo over plain HTTP.")] = False,
) -> None:
    """Try Uppsikt without a Facebook app: a demo page fills with comments within a minute.

    Its own SQLite database, a built-in fake Facebook; nothing leaves this machine.
    """
    if not is_loopback(host) and not allow_remote:
        _fail(f"--host {host} is not a loopback address; the demo's logins are printed on "
              "screen and it speaks plain HTTP. Add --allow-remote if you mean it.")
    try:
        sock = bind(host.strip("[]"), port)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
        raise
    try:
        data = open_data_dir(data_dir, unit=UNIT, reset=reset)
    except (DataDirError, OSError) as exc:
        sock.close()
        _fail(str(exc))
        raise
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}"
    with data.log_path.open("a", encoding="utf-8") as log_file:
        try:
            _run(data, sock, url, rate, log_file)
        except KeyboardInterrupt:  # Ctrl-C before the server took over the signals
            typer.echo("Demo stopped.")
        finally:
            sock.close()


def _run(data: DemoData, sock: object, url: str, rate: float, log_file: IO[str]) -> None:
    from app.core.logging import configure_logging
    from app.demo.seed import prepare
    from app.jobs.runner import run_job
    from app.main import create_app

    graph, data = _start_graph(data)
    stopping = threading.Event()
    deliverer: Deliverer | None = None
    try:
        settings = demo_settings(data, graph_url=graph.base_url, public_url=url)
        configure_logging(settings.log_level, json=settings.log_json)
        _log_to(log_file)
        prepare(settings, data)
        app = create_app(settings)
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on",
                                timeout_graceful_shutdown=5)
        server = _DemoServer(config, stopping)
        _log_to(log_file)  # create_app set up logging to the terminal again
        deliverer = Deliverer(DemoFacebook(graph.state, epoch=data.epoch), url=url,
                              app_secret=data.app_secret, rate=rate,
                              ready=lambda: server.started,
                              # The questions job runs every 10 minutes; the newcomer should
                              # see the residents' questions under Frågor at once.
                              after=lambda: run_job(app.state.job_env, "questions"))
        announcer = threading.Thread(target=_announce, args=(server, stopping, data, url, rate),
                                     name="demo-banner", daemon=True)
        deliverer.start()
        announcer.start()
        server.run(sockets=[sock])  # type: ignore[list-item]
        if not server.started:
            typer.echo(f"error: the service did not start; see {data.log_path}", err=True)
            raise typer.Exit(1)
    finally:
        stopping.set()
        if deliverer is not None:
            deliverer.stop()
            if deliverer.is_alive():
                deliverer.join(5)
        graph.stop()
    typer.echo("Demo stopped.")


def _start_graph(data: DemoData) -> tuple[FakeGraphServer, DemoData]:
    """The fake Graph API on the port it had last time where possible: the picture
    comment's URL names it, and the same URL keeps a redelivery identical."""
    state = FakeGraphState(token=data.page_token)
    try:
        server = FakeGraphServer(data.graph_port, state=state)
    except OSError:
        server = FakeGraphServer(0, state=state)
    server.start()
    return server, data.with_graph_port(server.port)


def _log_to(stream: IO[str]) -> None:
    """Send every log line to the data directory's log file: the terminal is for the
    banner. (Uvicorn's own loggers, set up by the fake Graph's server, included.)"""
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.captureWarnings(True)


def _announce(server: uvicorn.Server, stopping: threading.Event, data: DemoData, url: str,
              rate: float) -> None:
    while not server.started:
        if stopping.wait(0.05):
            return
    typer.echo(banner(data, url, rate))


def banner(data: DemoData, url: str, rate: float) -> str:
    width = max(len(login.username) for login in data.logins)
    logins = "\n".join(
        f"    {login.username:<{width}}  {login.password}   {ROLE_HINTS[login.role]}"
        for login in data.logins)
    seconds = max(1, round(rate * len(STEPS)))
    return f"""
Uppsikt demo: {url}/ui/

  Sign in as (passwords made for this data directory, {data.path}):
{logins}

  Comments, a picture and a direct message on the page "{PAGE_NAME}" arrive one by
  one over about {seconds} seconds, as signed webhooks from a fake Facebook. Try:
    - Granskning (moderator): insults, a scam link and secret content, hidden and
      saved first; restore, confirm a deletion, mark a false positive.
    - Registrering (registrator): the secret comment and the direct message, to be
      given a diarienummer.
    - Sök: search everything, e.g. "snöröjning".
    - Drift (informationschef): the scheduled jobs; Regeltest: try your own text.

  Everything stays on this machine: Facebook is played by a built-in fake, and no
  e-mail is sent. Log: {data.log_path}
  Stop with Ctrl-C; start again with the same data, or over with --reset.
"""
