from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.core.crypto import DecryptionError, decrypt_page_token, encrypt_page_token

STRONG = {"UPPSIKT_SECRET_KEY": "k" * 40, "UPPSIKT_META_APP_SECRET": "app-secret-real",
          "UPPSIKT_META_VERIFY_TOKEN": "verify-real"}


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("ENV", "SECRET_KEY", "META_APP_SECRET", "META_VERIFY_TOKEN", "DATABASE_URL"):
        monkeypatch.delenv(f"UPPSIKT_{name}", raising=False)
    return monkeypatch


def test_defaults_work_in_development(env):
    s = Settings()
    assert s.database_url == "sqlite:///./var/uppsikt.db"
    assert s.webhook_max_body_bytes == 1024 * 1024
    assert s.graph_url == "https://graph.facebook.com/v24.0"


@pytest.mark.parametrize("missing", ["UPPSIKT_SECRET_KEY", "UPPSIKT_META_APP_SECRET",
                                     "UPPSIKT_META_VERIFY_TOKEN"])
def test_production_refuses_default_secrets(env, missing):
    env.setenv("UPPSIKT_ENV", "production")
    for name, value in STRONG.items():
        if name != missing:
            env.setenv(name, value)
    with pytest.raises(ValidationError, match=missing):
        Settings()


def test_production_refuses_empty_and_short_secrets(env):
    env.setenv("UPPSIKT_ENV", "production")
    for name, value in STRONG.items():
        env.setenv(name, value)
    env.setenv("UPPSIKT_META_APP_SECRET", "  ")
    with pytest.raises(ValidationError, match="META_APP_SECRET"):
        Settings()
    env.setenv("UPPSIKT_META_APP_SECRET", "fine")
    env.setenv("UPPSIKT_SECRET_KEY", "short")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings()


def test_production_starts_with_real_secrets_and_reads_dotenv(env, tmp_path):
    (tmp_path / ".env").write_text(
        "UPPSIKT_ENV=production\n"
        + "".join(f"{k}={v}\n" for k, v in STRONG.items())
        + "UPPSIKT_WEBHOOK_MAX_BODY_BYTES=2048\n"
    )
    s = Settings()
    assert s.env == "production" and s.webhook_max_body_bytes == 2048
    assert "app-secret-real" not in repr(s)  # secrets never in a repr (logs, tracebacks)


def test_invalid_values_are_refused(env):
    env.setenv("UPPSIKT_SQLITE_SYNCHRONOUS", "OFF")
    with pytest.raises(ValidationError):
        Settings()


def test_page_tokens_encrypt_round_trip_and_need_the_key():
    blob = encrypt_page_token("key-one" * 6, "EAAB-page-token")
    assert b"EAAB-page-token" not in blob
    assert decrypt_page_token("key-one" * 6, blob) == "EAAB-page-token"
    with pytest.raises(DecryptionError):
        decrypt_page_token("key-two" * 6, blob)


def test_env_example_names_every_setting():
    """.env.example is the operator's list of settings: none may be missing from it."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    missing = [name for name in Settings.model_fields if f"UPPSIKT_{name.upper()}=" not in text]
    assert missing == []
