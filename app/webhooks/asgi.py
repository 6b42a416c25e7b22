"""``POST /webhooks/meta`` served at the ASGI level, ahead of FastAPI's routing.

This is the one hot path of the service: Meta may send bursts of thousands of deliveries,
and each must be committed before it is answered. The work is tiny (read, verify, hand
to the group commit, answer), so the per-request cost of the framework around it would
dominate; handling it here keeps intake close to the speed of an empty endpoint. Every
other request passes straight through to the FastAPI app.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.logging import get_logger
from app.core.metrics import webhook_answered
from app.webhooks.signature import SignatureInvalid, SignatureMissing, verify

log = get_logger("uppsikt.webhooks")

WEBHOOK_PATH = "/webhooks/meta"
# Headers kept beside the raw body; nothing that could hold a credential.
KEPT_HEADERS = frozenset({b"content-type", b"user-agent", b"x-hub-signature-256",
                          b"x-hub-signature", b"x-forwarded-for"})


class WebhookIntakeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["path"] != WEBHOOK_PATH
                or scope["method"] != "POST"):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        status, detail = await self._accept(state, scope, receive)
        webhook_answered(status)
        await _respond(send, status, detail)

    async def _accept(self, state: Any, scope: Scope, receive: Receive) -> tuple[int, str | None]:
        settings = state.settings
        limit = settings.webhook_max_body_bytes
        headers: dict[str, str] = {}
        declared: bytes | None = None
        for name, value in scope["headers"]:
            if name in KEPT_HEADERS:
                headers[name.decode()] = value.decode("latin-1")
            elif name == b"content-length":
                declared = value
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return 413, f"body larger than {limit} bytes"

        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return 400, "client disconnected"  # nothing was written; Meta will retry
            body += message.get("body", b"")
            if len(body) > limit:
                return 413, f"body larger than {limit} bytes"
            if not message.get("more_body", False):
                break
        raw = bytes(body)

        try:
            verify(settings.meta_app_secret.get_secret_value(), raw,
                   headers.get("x-hub-signature-256"))
        except SignatureMissing as exc:
            return 401, str(exc)
        except SignatureInvalid as exc:
            log.warning("webhook.signature_invalid", size=len(raw))
            return 403, str(exc)
        try:
            await state.intake.submit(raw, headers)
        except Exception:
            return 503, "the delivery could not be stored; retry later"
        return 200, None


async def _respond(send: Send, status: int, detail: str | None) -> None:
    body = b"" if detail is None else json.dumps({"detail": detail}).encode()
    # The answer passes no middleware: the header every other answer gets is set here.
    headers = [(b"content-length", str(len(body)).encode()),
               (b"x-content-type-options", b"nosniff")]
    if detail is not None:
        headers.append((b"content-type", b"application/json"))
    if status == 401:
        headers.append((b"www-authenticate", b'HMAC realm="X-Hub-Signature-256"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# OpenAPI for the route above, which FastAPI does not see.
OPENAPI_OPERATION: dict[str, Any] = {
    "tags": ["webhooks"],
    "summary": "Receive Meta webhook deliveries (signed)",
    "description": (
        "Meta's `feed` and `messages` deliveries for the managed Pages. The raw body is "
        "checked against `X-Hub-Signature-256` (HMAC-SHA256 with the app secret), stored "
        "and committed before the answer. A valid signature with a body Uppsikt cannot "
        "read is still stored (and answered 200) so that it is kept with its error."
    ),
    "operationId": "receive_webhooks_meta_post",
    "parameters": [{"name": "X-Hub-Signature-256", "in": "header", "required": True,
                    "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"}}],
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}}},
    "responses": {
        "200": {"description": "stored"},
        "401": {"description": "no signature"},
        "403": {"description": "signature does not match"},
        "413": {"description": "body larger than UPPSIKT_WEBHOOK_MAX_BODY_BYTES"},
        "503": {"description": "could not be stored; Meta will deliver again"},
    },
}
