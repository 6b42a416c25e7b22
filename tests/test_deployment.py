"""The deployment files: compose.yaml, the Dockerfile and .dockerignore say what the docs
say, name only settings that exist, and hold no secret."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from app.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
SETTING_NAMES = {f"UPPSIKT_{name.upper()}" for name in Settings.model_fields}
# Settings the deployment adds later (see docs/DEPLOYMENT.md) count once they exist.
SECRET_SETTINGS = ("SECRET_KEY", "META_APP_SECRET", "META_VERIFY_TOKEN", "PASSWORD", "TOKEN")


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def uppsikt_variables(environment: Any) -> dict[str, str]:
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {k: str(v) for k, v in (environment or {}).items() if k.startswith("UPPSIKT_")}


def test_compose_has_postgres_web_and_an_optional_worker():
    services = compose()["services"]
    assert set(services) == {"db", "web", "worker"}
    db, web, worker = services["db"], services["web"], services["worker"]

    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])

    assert web["env_file"] == ".env"
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert "8000:8000" in web["ports"]
    assert any(v.endswith(":/data") for v in web["volumes"])
    assert "/readyz" in " ".join(web["healthcheck"]["test"])
    assert web["command"][:2] == ["uppsikt", "serve"]
    assert "profiles" not in web

    assert worker["profiles"] == ["scale"]
    assert worker["command"] == ["uppsikt", "worker"]
    assert worker["depends_on"]["db"]["condition"] == "service_healthy"
    # The worker refuses an old schema: web, which migrates, must be up first.
    assert worker["depends_on"]["web"]["condition"] == "service_healthy"
    assert worker["volumes"] == web["volumes"]  # the same media and archive files
    assert set(compose()["volumes"]) >= {"pgdata", "uppsikt-data"}


def test_every_setting_compose_sets_exists_and_no_secret_is_written_in_it():
    for name, service in compose()["services"].items():
        variables = uppsikt_variables(service.get("environment"))
        unknown = set(variables) - SETTING_NAMES
        assert not unknown, f"{name} sets settings that do not exist: {unknown}"
        for variable, value in variables.items():
            if any(word in variable for word in SECRET_SETTINGS):
                raise AssertionError(f"{name} writes {variable} into compose.yaml")
            if variable == "UPPSIKT_DATABASE_URL":
                assert "${POSTGRES_PASSWORD" in value  # from .env, never written here
    assert compose()["services"]["web"]["environment"]["UPPSIKT_ENV"] == "production"
    password = compose()["services"]["db"]["environment"]["POSTGRES_PASSWORD"]
    assert password.startswith("${POSTGRES_PASSWORD")


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def final_stage(text: str) -> list[str]:
    """The instructions of the last stage, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()
             if line.strip() and not line.strip().startswith("#")]
    last = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    return lines[last:]


def test_the_image_runs_as_a_user_with_a_healthcheck_and_serves():
    stage = final_stage(dockerfile())
    users = [line.split(None, 1)[1] for line in stage if line.upper().startswith("USER ")]
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    healthchecks = [line for line in stage if line.upper().startswith("HEALTHCHECK ")]
    assert len(healthchecks) == 1 and "/readyz" in healthchecks[0]
    cmd = [line for line in stage if line.upper().startswith("CMD ")][-1]
    assert '"uppsikt", "serve"' in cmd and "0.0.0.0" in cmd
    # Nothing from the build stage but the venv and the source tree.
    copies = [line for line in stage if line.upper().startswith("COPY ")]
    assert copies and all("--from=build" in line for line in copies)
    assert not any(line.upper().startswith(("RUN APT", "RUN PIP")) for line in stage)


def test_the_image_holds_no_secret_and_names_only_real_settings():
    text = dockerfile()
    for name, _value in re.findall(r"\b(UPPSIKT_[A-Z_]+)=(\S*)", text):
        assert name in SETTING_NAMES, name
        assert not any(word in name for word in SECRET_SETTINGS), f"{name} set in the image"
    assert not re.search(r"(?i)^\s*(ENV|ARG)\s+\S*(SECRET|PASSWORD|TOKEN)", text, re.MULTILINE)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".git", ".venv", "var", "tests"} <= set(ignored)
