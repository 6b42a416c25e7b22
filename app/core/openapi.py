"""Answers every operation can give that FastAPI does not write into the OpenAPI schema.

A client generated from the schema, or a fuzzer checking answers against it, must find
each status the service really sends: a body that cannot be read is refused by the
framework with 400 before any endpoint runs, and a bearer-secured operation answers 401
without a valid token (the dependency does not raise FastAPI's own, documented error).
"""

from __future__ import annotations

from typing import Any

UNREADABLE_BODY = {"description": "the body could not be read (not UTF-8, or cut short)"}
NO_VALID_TOKEN = {"description": "no bearer token, or an unknown or revoked one"}


def document_common_responses(schema: dict[str, Any]) -> None:
    """Add the 400 and 401 answers to the operations that can give them (in place)."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "requestBody" in operation:
                responses.setdefault("400", UNREADABLE_BODY)
            if operation.get("security"):
                responses.setdefault("401", NO_VALID_TOKEN)
