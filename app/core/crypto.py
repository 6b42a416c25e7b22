"""Secrets at rest: page access tokens are encrypted with a key derived from SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class DecryptionError(Exception):
    """The ciphertext was not made with the current SECRET_KEY (or was altered)."""


def fernet(secret_key: str, purpose: bytes) -> Fernet:
    """Authenticated encryption with a key of its own for each purpose, derived from
    UPPSIKT_SECRET_KEY (HKDF-SHA256)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"uppsikt", info=purpose).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_page_token(secret_key: str, token: str) -> bytes:
    return fernet(secret_key, b"page-access-token/v1").encrypt(token.encode())


def decrypt_page_token(secret_key: str, ciphertext: bytes) -> str:
    try:
        return fernet(secret_key, b"page-access-token/v1").decrypt(ciphertext).decode()
    except InvalidToken as exc:
        raise DecryptionError("page token cannot be decrypted with this SECRET_KEY") from exc


def new_api_token() -> str:
    return "upk_" + secrets.token_urlsafe(32)


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()
