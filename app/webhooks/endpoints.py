"""``/webhooks/meta``: verify, store, commit, answer. Nothing else happens here."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from app.core.errors import AppError
from app.core.logging import get_logger
from app.webhooks.signature import SignatureInvalid, SignatureMissing, verify

router = APIRouter(tags=["webhooks"])
log = get_logger("uppsikt.webhooks")

# Headers worth keeping beside the raw body; nothing that could hold a credential.
KEPT_HEADERS = ("content-type", "user-agent", "x-hub-signature-256", "x-hub-signature",
                "x-forwarded-for")


@router.get("/webhooks/meta", response_class=PlainTextResponse,
            summary="Meta's subscription verification")
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


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise AppError(413, f"body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise AppError(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/webhooks/meta",
    summary="Receive Meta webhook deliveries (signed)",
    responses={200: {"description": "stored"}, 401: {"description": "no signature"},
               403: {"description": "bad signature"}, 413: {"description": "too large"},
               503: {"description": "could not be stored; Meta will retry"}},
)
async def receive(request: Request) -> Response:
    settings = request.app.state.settings
    body = await _read_limited(request, settings.webhook_max_body_bytes)
    try:
        verify(settings.meta_app_secret.get_secret_value(), body,
               request.headers.get("x-hub-signature-256"))
    except SignatureMissing as exc:
        raise AppError(401, str(exc)) from exc
    except SignatureInvalid as exc:
        log.warning("webhook.signature_invalid", size=len(body))
        raise AppError(403, str(exc)) from exc
    headers = {k: request.headers[k] for k in KEPT_HEADERS if k in request.headers}
    try:
        await request.app.state.intake.submit(body, headers)
    except Exception as exc:
        raise AppError(503, "the delivery could not be stored; retry later") from exc
    return Response(status_code=200)
