"""``GET /webhooks/meta``: Meta's subscription check. Deliveries (POST) are taken in by
:mod:`app.webhooks.asgi`, ahead of the framework."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from app.core.errors import AppError
from app.core.logging import get_logger

router = APIRouter(tags=["webhooks"])
log = get_logger("uppsikt.webhooks")


@router.get("/webhooks/meta", response_class=PlainTextResponse,
            summary="Meta's subscription verification",
            responses={403: {"description": "not a subscription check with our verify token"}})
async def verify_subscription(
    request: Request,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=1000)] = None,
) -> PlainTextResponse:
    expected = request.app.state.settings.meta_verify_token.get_secret_value()
    if (mode != "subscribe" or token is None or challenge is None
            or not hmac.compare_digest(token.encode(), expected.encode())):
        log.warning("webhook.verify_refused", mode=mode)
        raise AppError(403, "verification refused")
    return PlainTextResponse(challenge)
