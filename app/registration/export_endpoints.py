"""The e-archive export over the API: registered cases as a CITS ERMS 3.0 document.

The XML only (media referred to as media/<sha256>); the package with the media files is
made by ``uppsikt export erms --out FILE.zip``. The document is built in memory: for long
periods the command is the better tool.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.accounts.models import Role, User
from app.api.deps import SessionDep, require_roles
from app.audit.service import record
from app.core.errors import AppError
from app.core.logging import get_logger
from app.registration.erms import parse_day, write_erms

router = APIRouter(prefix="/api/v1/registration/export", tags=["registration"])
log = get_logger("uppsikt.registration")
EXPORTERS = (Role.registrar, Role.information_officer)
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {}},
          "description": "the CITS ERMS document, as an attachment"},
    401: {"description": "no or bad token"}, 403: {"description": "role may not do this"},
    404: {"description": "no registered case in the period, or an unknown page"},
    422: {"description": "bad dates"}}


def _day(value: str, name: str) -> date:
    try:
        return parse_day(value)
    except ValueError as exc:
        raise AppError(422, f"{name}: {exc}") from None


@router.get("/erms", response_class=Response, responses=RESPONSES)
def export_erms(
    request: Request,
    session: SessionDep,
    date_from: Annotated[str, Query(alias="from", examples=["2026-01-01"],
                                    description="first day of registration (Swedish time)")],
    date_to: Annotated[str, Query(alias="to", examples=["2026-01-31"],
                                  description="last day of registration, included")],
    page: Annotated[str | None, Query(description="only this page (its Facebook id)")] = None,
    media: Annotated[bool, Query(description="refer to the media files (media/<sha256>)")]
    = True,
    user: User = require_roles(*EXPORTERS),
) -> Response:
    """Cases registered from `from` to `to` (whole days, Europe/Stockholm), one aggregation
    each, with the preserved content; secret content included, marked with its
    restriction."""
    first, last = _day(date_from, "from"), _day(date_to, "to")
    buffer = io.BytesIO()
    result = write_erms(session, buffer, date_from=first, date_to=last, page_platform_id=page,
                        media_dir=Path(request.app.state.settings.media_dir),
                        include_media=media)
    data = buffer.getvalue()
    # The document holds secret content: who took it out is in the audit log. It is built
    # in a read transaction and audited in a short write, so SQLite's lock is held briefly.
    with request.app.state.db.transaction(immediate=True) as audit:
        record(audit, actor=user.username, act="registration.exported",
               subject_type="erms_export", subject_id=f"{first}/{last}",
               detail={"from": str(first), "to": str(last), "page": page,
                       "cases": result.cases, "media": len(result.media),
                       "sha256": hashlib.sha256(data).hexdigest(), "via": "api"})
    log.info("registration.exported", user=user.username, date_from=str(first),
             date_to=str(last), page=page, cases=result.cases, media=len(result.media))
    name = f"erms-{first}-{last}"
    if page is not None:
        name += "-" + re.sub(r"[^A-Za-z0-9_.-]", "_", page)
    return Response(data, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}.xml"',
                             "Cache-Control": "no-store"})
