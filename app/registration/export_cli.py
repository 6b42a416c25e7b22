"""``uppsikt export erms``: registered cases as a CITS ERMS document or package.

Registered by app/cli.py, which imports this module; so this module does not import
app/cli.py back and opens the database itself (as app/audit/cli.py does).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.errors import AppError
from app.registration.erms import ExportResult, MediaFile, parse_day, write_erms

export_app = typer.Typer(help="Exports for the e-archive.", no_args_is_help=True,
                         add_completion=False)
_CHUNK = 1024 * 1024


@export_app.callback()
def _group() -> None:
    """Exports for the e-archive."""


def _day(value: str, option: str) -> date:
    try:
        return parse_day(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from None


@export_app.command("erms")
def export_erms(
    date_from: Annotated[str, typer.Option(
        "--from", metavar="YYYY-MM-DD", show_default=False,
        help="First day of registration (Swedish time).")],
    date_to: Annotated[str, typer.Option(
        "--to", metavar="YYYY-MM-DD", show_default=False,
        help="Last day of registration, included.")],
    page: Annotated[str | None, typer.Option(
        "--page", metavar="ID", help="Only this page (its Facebook id).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE", help="FILE.zip: erms.xml with the media files; FILE.xml: the "
        "XML alone. Without it, the XML goes to standard output.")] = None,
    no_media: Annotated[bool, typer.Option(
        "--no-media", help="Leave the media files out (their checksums are still listed).",
    )] = False,
) -> None:
    """Registered cases as one CITS ERMS 3.0 document (FGS Ärendehantering 2.0).

    Exit code 1, writing nothing: no case to export, unknown page, damaged media file."""
    first, last = _day(date_from, "--from"), _day(date_to, "--to")
    if first > last:
        raise typer.BadParameter(f"{first} is after --to {last}", param_hint="'--from'")
    if out is not None and out.suffix.lower() not in (".zip", ".xml"):
        raise typer.BadParameter("must end in .zip or .xml", param_hint="'--out'")
    settings = _settings()
    db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)

    def write(session: Session, stream: IO[bytes]) -> ExportResult:
        return write_erms(session, stream, date_from=first, date_to=last,
                          page_platform_id=page, media_dir=settings.media_dir,
                          include_media=not no_media)

    try:
        with db.transaction() as session:
            if out is None:
                result = write(session, sys.stdout.buffer)
                sys.stdout.buffer.flush()
            elif out.suffix.lower() == ".xml":
                with _replacing(out) as stream:
                    result = write(session, stream)
            else:
                with _replacing(out) as stream:
                    result = _package(stream, lambda xml: write(session, xml),
                                      settings.media_dir)
    except AppError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    _report(result, out)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        typer.echo(f"error: invalid settings: {problems}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def _replacing(target: Path) -> Iterator[IO[bytes]]:
    """A new file that takes the target's place only when complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _package(stream: IO[bytes], write_xml: Callable[[IO[bytes]], ExportResult],
             media_dir: Path) -> ExportResult:
    """erms.xml, then each media file once as media/<sha256>, checked while it is copied."""
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as package:
        with package.open("erms.xml", "w", force_zip64=True) as xml:
            result = write_xml(xml)
        for media in result.media.values():
            _add_media(package, media, media_dir)
    return result


def _add_media(package: zipfile.ZipFile, media: MediaFile, media_dir: Path) -> None:
    info = zipfile.ZipInfo(media.name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED  # mostly compressed already (JPEG, MP4)
    digest = hashlib.sha256()
    with (media_dir / media.path).open("rb") as source, \
            package.open(info, "w", force_zip64=media.size >= zipfile.ZIP64_LIMIT) as target:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            target.write(chunk)
    if digest.hexdigest() != media.sha256:
        raise AppError(500, f"media file {media.path}: its SHA-256 is not {media.sha256}; "
                            "the media store is damaged, nothing was written")


def _report(result: ExportResult, out: Path | None) -> None:
    where = out if out is not None else "standard output"
    media = len(result.media)
    typer.echo(f"exported {result.cases} cases, {media} media files to {where}", err=True)
    if media and (out is None or out.suffix.lower() == ".xml"):
        typer.echo(f"note: the XML refers to {media} media files as media/<sha256>; "
                   "--out FILE.zip packs them with it, --no-media leaves them out", err=True)
    if result.missing:
        typer.echo(f"warning: {len(result.missing)} media files are gone from the media "
                   "store; the XML marks them missing", err=True)
