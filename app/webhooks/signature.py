from __future__ import annotations

import hashlib
import hmac


class SignatureMissing(Exception):
    pass


class SignatureInvalid(Exception):
    pass


def sign(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 value Meta sends for ``body`` (the exact bytes sent)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(app_secret: str, body: bytes, header: str | None) -> None:
    if not header:
        raise SignatureMissing("X-Hub-Signature-256 header is missing")
    scheme, _, given = header.strip().partition("=")
    if scheme.lower() != "sha256" or not given:
        raise SignatureInvalid("X-Hub-Signature-256 is not of the form sha256=<hex>")
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    # Constant time, on bytes so that non-ASCII garbage cannot raise.
    if not hmac.compare_digest(expected.encode(), given.strip().lower().encode("utf-8", "replace")):
        raise SignatureInvalid("signature does not match the body")
