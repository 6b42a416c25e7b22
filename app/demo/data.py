"""The demo's data directory: its own SQLite database, media, archive and log, and the
secrets and logins made for it on first start (``demo.json``, readable by its owner only).

The directory is separate from the real default database (``./var/uppsikt.db``) and is
only ever removed (``--reset``) when ``demo.json`` shows that the demo made it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from app.core.config import Environment, Settings

MARKER = "demo.json"
DATABASE = "demo.db"
LOG = "demo.log"
# Minute 0 of the script lies this far before the first start, so that the last steps
# happen about "now" and the times in the UI look like a morning on the page.
SCRIPT_SPAN_SECONDS = 50 * 60


class DataDirError(Exception):
    """The directory cannot be used for the demo (the message says why)."""


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    display_name: str
    password: str
    unit: str | None = None


@dataclass(frozen=True)
class DemoData:
    path: Path
    secret_key: str
    app_secret: str
    verify_token: str
    page_token: str
    epoch: int  # Unix seconds of the script's minute 0
    logins: tuple[Login, ...]
    graph_port: int = 0  # the fake Graph's port last time (picture URLs name it)

    @property
    def database_url(self) -> str:
        return f"sqlite:///{(self.path / DATABASE).resolve()}"

    @property
    def log_path(self) -> Path:
        return self.path / LOG

    def with_graph_port(self, port: int) -> DemoData:
        if port == self.graph_port:
            return self
        updated = DemoData(**{**asdict_shallow(self), "graph_port": port})
        updated.save()
        return updated

    def save(self) -> None:
        doc = asdict_shallow(self)
        del doc["path"]
        doc["logins"] = [asdict(login) for login in self.logins]
        target = self.path / MARKER
        temporary = target.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
        os.replace(temporary, target)


def asdict_shallow(data: DemoData) -> dict[str, object]:
    return {name: getattr(data, name) for name in DemoData.__dataclass_fields__}


def demo_logins(unit: str) -> tuple[Login, ...]:
    """One user a role, each with a new random password (the demo listens on loopback
    only, but a password known from the docs would still be a bad habit to teach)."""
    def password() -> str:
        return secrets.token_urlsafe(12)

    return (
        Login("moderator", "moderator", "Maja Moderator", password(), unit),
        Login("registrator", "registrar", "Rasmus Registrator", password()),
        Login("informationschef", "information_officer", "Ines Informationschef", password()),
        Login("revisor", "auditor", "Rut Revisor", password()),
    )


def open_data_dir(path: Path, *, unit: str, reset: bool = False) -> DemoData:
    """The demo's data in ``path``: made on first use, reused after, made anew on reset."""
    marker = path / MARKER
    if path.exists() and not path.is_dir():
        raise DataDirError(f"{path} is not a directory")
    used = path.is_dir() and any(path.iterdir())
    if used and not marker.is_file():
        raise DataDirError(f"{path} is not empty and was not made by the demo; "
                           "choose another --data-dir")
    if reset and marker.is_file():
        shutil.rmtree(path)
    if marker.is_file():
        return _load(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = DemoData(
        path=path, secret_key=secrets.token_urlsafe(32), app_secret=secrets.token_hex(16),
        verify_token=secrets.token_urlsafe(16), page_token=secrets.token_urlsafe(24),
        epoch=int(time.time()) - SCRIPT_SPAN_SECONDS, logins=demo_logins(unit))
    data.save()
    return data


def _load(path: Path) -> DemoData:
    try:
        doc = json.loads((path / MARKER).read_text(encoding="utf-8"))
        return DemoData(path=path, logins=tuple(Login(**login) for login in doc.pop("logins")),
                        **doc)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise DataDirError(f"{path / MARKER} cannot be read ({exc}); start over with "
                           "--reset") from exc


def demo_settings(data: DemoData, *, graph_url: str, public_url: str) -> Settings:
    """Settings made here, not read from ``.env``: the demo must run the same on a fresh
    clone and beside a configured installation, and must never reach a real mail server,
    sign-in provider or Graph API. (Variables in the environment still apply to what is
    not set here, e.g. ``UPPSIKT_JOBS_DISABLED``.)"""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        env=Environment.development,
        database_url=data.database_url,
        secret_key=data.secret_key,
        meta_app_secret=data.app_secret,
        meta_verify_token=data.verify_token,
        graph_base_url=graph_url,
        media_dir=data.path / "media",
        archive_dir=data.path / "archive",
        worker_enabled=True,
        worker_poll_seconds=0.2,
        retry_base_seconds=1.0,
        smtp_host=None,
        oidc_issuer=None, oidc_client_id=None, oidc_client_secret=None,
        ui_secure_cookies=False,
        public_url=public_url,
        log_json=True,
    )
