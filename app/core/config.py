"""Settings from the environment (prefix ``UPPSIKT_``) and an optional ``.env`` file."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development defaults let the service start from a fresh clone; production refuses them.
DEV_SECRET_KEY = "dev-only-secret-key-change-me"
DEV_APP_SECRET = "dev-only-meta-app-secret"
DEV_VERIFY_TOKEN = "dev-only-verify-token"
_DEV_DEFAULTS = {DEV_SECRET_KEY, DEV_APP_SECRET, DEV_VERIFY_TOKEN}


class Environment(StrEnum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="UPPSIKT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Environment = Environment.development
    database_url: str = "sqlite:///./var/uppsikt.db"
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    meta_app_secret: SecretStr = SecretStr(DEV_APP_SECRET)
    meta_verify_token: SecretStr = SecretStr(DEV_VERIFY_TOKEN)
    graph_base_url: str = "https://graph.facebook.com"
    graph_api_version: str = "v24.0"
    graph_timeout_seconds: float = Field(default=10.0, gt=0)
    media_dir: Path = Path("./var/media")
    media_max_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    # Media downloads tried this many times (the URLs expire) before they count as lost.
    media_max_attempts: int = Field(default=6, gt=0)

    webhook_max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    # NORMAL survives a killed process (WAL); FULL also survives power loss.
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    # Webhook rows waiting for the same commit; more means fewer fsyncs under load.
    intake_max_batch: int = Field(default=256, gt=0)

    worker_enabled: bool = True
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    worker_batch_size: int = Field(default=100, gt=0)
    retry_base_seconds: float = Field(default=5.0, gt=0)
    retry_max_seconds: float = Field(default=3600.0, gt=0)

    # Scheduled jobs (APScheduler) run beside the worker; each takes a database lease so
    # that one replica runs it. Names listed here (comma-separated) are not scheduled.
    jobs_disabled: str = ""
    # Reconciliation polls each page's recent posts and comments this often; a page with
    # no webhook for webhook_silence_minutes gets its subscription checked and renewed.
    reconcile_minutes: int = Field(default=5, gt=0)
    reconcile_lookback_hours: float = Field(default=24.0, gt=0)
    webhook_silence_minutes: int = Field(default=60, gt=0)
    # An action or media download still failing after this long raises an alert.
    alert_after_minutes: int = Field(default=60, gt=0)
    # Half-yearly snapshots and yearly reports are stored here, with their SHA-256.
    archive_dir: Path = Path("./var/archive")
    # The daily oversight digest: sent each working day at this hour (Swedish time) when
    # an SMTP host is set; always shown in the UI.
    digest_hour: int = Field(default=7, ge=0, le=23)
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, gt=0)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_from: str = "uppsikt@localhost"
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # Where links in e-mails point (the UI's public address), e.g. https://uppsikt.kommun.se
    public_url: str = "http://127.0.0.1:8000"
    # GET /metrics: when set, only `Authorization: Bearer <token>` is answered (401 otherwise).
    metrics_token: SecretStr | None = None
    # `uppsikt worker` has no web server: with a port set it serves its own /metrics there,
    # behind the same token (internal network only). Unset: off.
    metrics_port: int | None = Field(default=None, gt=0, lt=65536)

    log_level: str = "INFO"
    log_json: bool = True

    # Web UI sessions: a sign-in lasts a working day at most, and ends after an idle hour.
    ui_session_hours: float = Field(default=10.0, gt=0)
    ui_idle_minutes: float = Field(default=60.0, gt=0)
    # Session cookies only over HTTPS; on by default in production.
    ui_secure_cookies: bool | None = None
    # Password logins refused for a while after this many failures in 15 minutes.
    ui_max_failures_per_user: int = Field(default=5, gt=0)
    ui_max_failures_per_address: int = Field(default=30, gt=0)
    # Optional OpenID Connect sign-in (e.g. Entra ID); all three needed to turn it on.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    # The user's name in Uppsikt is this claim of the ID token.
    oidc_username_claim: str = "preferred_username"

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.env is Environment.production:
            weak = [
                name
                for name in ("secret_key", "meta_app_secret", "meta_verify_token")
                if getattr(self, name).get_secret_value().strip() in _DEV_DEFAULTS | {""}
            ]
            if weak:
                names = ", ".join(f"UPPSIKT_{n.upper()}" for n in weak)
                raise ValueError(f"production mode needs real values for: {names}")
            if len(self.secret_key.get_secret_value()) < 32:
                raise ValueError("UPPSIKT_SECRET_KEY must be at least 32 characters")
        return self

    @property
    def secure_cookies(self) -> bool:
        if self.ui_secure_cookies is not None:
            return self.ui_secure_cookies
        return self.env is Environment.production

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @property
    def disabled_jobs(self) -> set[str]:
        return {name.strip() for name in self.jobs_disabled.split(",") if name.strip()}

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def graph_url(self) -> str:
        return f"{self.graph_base_url.rstrip('/')}/{self.graph_api_version}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
