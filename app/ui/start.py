"""The start page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.ui.web import UiUser, render

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def start(request: Request, principal: UiUser) -> HTMLResponse:
    return render(request, "start.html", principal)
