"""Secrets stay secret: never in a log, never in an API answer or its schema; and the
headers that keep the UI from being framed, sniffed or sent over plain HTTP.

The log test runs what handles a secret (webhook signatures, the verify token, Graph
calls with the page token and its refusal, password and token sign-in, the CLI that
prints tokens, an SMTP login) with every log record of the process kept, and the output
of the subprocesses beside them, and then looks for each secret in all of it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from app.accounts.models import ApiToken, User
from app.core.config import Settings
from app.main import create_app
from app.pages.models import Page
from app.ui.models import UiSession
from app.webhooks.signature import sign
from tests.conftest import (
    APP_SECRET,
    FEED_PAGE,
    MESSENGER_PAGE,
    PAGE_TOKEN,
    SECRET_KEY,
    VERIFY_TOKEN,
    add_test_page,
    api_token,
    meta_body,
    post_signed,
)
from tests.logscan import LogScan
from tests.test_fetch import anonymous_comment
from tests.test_processing import comment, delivery
from tests.test_registration import SECRET_TEXT
from tests.ui.conftest import PASSWORD, csrf_of, login, ui_user

CLI_PAGE_TOKEN = "cli-page-token-0123456789abcdef"
CLI_PASSWORD = "cli-lösenord-0123456789"
SMTP_PASSWORD = "smtp-lösen-0123456789"
WRONG_PASSWORD = "fel-lösenord-0123456789"
STATIC_SECRETS = [APP_SECRET, VERIFY_TOKEN, SECRET_KEY, PAGE_TOKEN, PASSWORD, CLI_PAGE_TOKEN,
                  CLI_PASSWORD, SMTP_PASSWORD, WRONG_PASSWORD]


@pytest.fixture
def logs() -> Iterator[LogScan]:
    scan = LogScan().install()
    yield scan
    scan.remove()


@pytest.fixture
def debug_settings(settings: Settings) -> Settings:
    """Everything logged, DEBUG included: a secret must not hide at any level."""
    return settings.model_copy(update={"log_level": "DEBUG"})


# -- secrets never logged ----------------------------------------------------------------
def test_no_secret_reaches_a_log(logs, debug_settings, db, processor, graph_state, run,
                                 job_env):
    found: list[str] = []  # secrets made during the test: tokens, session cookies
    add_test_page(db)
    with TestClient(create_app(debug_settings), follow_redirects=False) as client:
        # Webhooks: valid and invalid signatures, the verify token right and wrong.
        graph_state.objects["100_90"] = {"from": {"id": "9", "name": "Eva"}}
        assert post_signed(client, anonymous_comment("100_90", "Hej")).status_code == 200
        assert post_signed(client, delivery(comment("100_91")), secret="wrong").status_code \
            == 403
        assert client.get("/webhooks/meta", params={
            "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "7"}).text == "7"
        assert client.get("/webhooks/meta", params={
            "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN[:-1] + "x",
            "hub.challenge": "7"}).status_code == 403
        # Processing: a fetch with the page token, then Meta refusing the token (190).
        processor.run_until_idle()
        assert graph_state.requests, "the page token was used"
        graph_state.token = "a-newer-token"
        assert post_signed(client, anonymous_comment("100_92", "Hallå")).status_code == 200
        processor.run_until_idle()
        with db.transaction() as session:
            assert session.scalar(select(Page.token_status)) == "invalid"
        # API: a good token, a revoked-looking one, and one in the wrong place.
        token = api_token(db, "information_officer")
        found.append(token)
        assert client.get("/api/v1/items/100_90", headers={
            "Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/api/v1/items/100_90", headers={
            "Authorization": f"Bearer {token[:-2]}xx"}).status_code == 401
        assert client.get(f"/api/v1/items/100_90?token={token}").status_code == 401
        # UI: a wrong password, then the right one; a page; signing out.
        name = ui_user(db, "information_officer")
        login(client, name, WRONG_PASSWORD, expect=401)
        signed_in = login(client, name)
        found.append(signed_in.cookies["uppsikt_session"])
        start = client.get("/ui/")
        assert start.status_code == 200
        assert client.post("/ui/logout", data={"csrf": csrf_of(start.text)}).status_code == 303
    # The CLI: a user with a password, a token printed, a page added with its token.
    run("users", "add", "--username", "cli-anna", "--role", "auditor", "--password-stdin",
        stdin=CLI_PASSWORD + "\n")
    issued = run("users", "token", "--username", "cli-anna")
    found.append(issued.stdout.strip().splitlines()[-1])
    added = run("pages", "add", "--page-id", "4242", "--name", "CLI-sidan", "--unit", "KS",
                "--token", CLI_PAGE_TOKEN)
    for result in (issued, added):
        logs.add(result.stderr)
    assert found[-1].startswith("upk_")
    # The digest: an SMTP login refused, then accepted.
    _smtp_logins(db, job_env)
    # The sessions' own values (kept hashed) must not be logged either.
    leaks = logs.leaks([*STATIC_SECRETS, *found])
    assert leaks == []
    assert len(logs.texts) > 20, "the scan saw the logs"


def _smtp_logins(db: Any, job_env: Any) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from app.jobs.runner import run_job
    from tests.test_digest import MONDAY, Sink, env_with_smtp, free_port, local, recipients

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == \
            SMTP_PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        add_test_page(db, "1001", unit="Kommunstyrelsen", name="KS-sidan")
        recipients(db)
        env = env_with_smtp(job_env, port)
        for password, hour in ((WRONG_PASSWORD, 7), (SMTP_PASSWORD, 8)):
            attempt = replace(env, settings=env.settings.model_copy(update={
                "smtp_username": "uppsikt", "smtp_password": SecretStr(password)}))
            run_job(attempt, "digest", now=local(MONDAY, hour))
        assert sink.received, "the right password was accepted"
    finally:
        controller.stop()


def test_the_scan_finds_a_secret_that_is_logged():
    """The scan itself: a token or secret put in an event, a message or an exception."""
    from app.core.logging import get_logger

    logs = LogScan(isolated=True).install()
    try:
        log = get_logger("uppsikt.test")
        log.info("oops", value=f"Bearer {PAGE_TOKEN}")
        try:
            raise ValueError(f"bad {SECRET_KEY}")
        except ValueError:
            log.exception("failed")
        logging.getLogger("other").warning("token %s", "upk_" + "A" * 43)
    finally:
        logs.remove()
    leaks = logs.leaks([PAGE_TOKEN, SECRET_KEY])
    assert len(leaks) == 3 and "an API token" in leaks[-1]


# -- tokens and passwords never returned -------------------------------------------------
# Field names that would hold a credential, or a hash of one.
SECRET_NAME = re.compile(r"token|passw|cookie|csrf|api_?key|secret_?key|app_?secret|hash",
                         re.IGNORECASE)
# Such names that hold none: whether a page's token works, and the audit chain's hashes.
SAFE_NAMES = {"token_status", "token_error", "entry_hash", "prev_hash", "hash"}


def _schema_properties(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name in node.get("properties", {}):
                names.add(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema.get("components", {}).get("schemas", {}))
    return names


def test_the_schema_names_no_secret_field(client):
    names = _schema_properties(client.get("/openapi.json").json())
    assert names, "the schema has models"
    assert sorted(n for n in names if SECRET_NAME.search(n) and n not in SAFE_NAMES) == []


def _walk_api(client: TestClient, headers: dict[str, str]) -> list[str]:
    """Every JSON answer of the read API for a seeded archive, as text."""
    cases = client.get("/api/v1/registration/cases", headers=headers).json()["cases"]
    paths = ["/api/v1/items/100_1", "/api/v1/items/100_2", "/api/v1/items/m_1",
             "/api/v1/items/100_2/actions", "/api/v1/inbox/deliveries?status=split",
             "/api/v1/inbox/changes?status=done", "/api/v1/registration/cases?status=pending",
             "/api/v1/search?q=Hej", "/api/v1/search", f"/api/v1/pages/{FEED_PAGE}/policy",
             f"/api/v1/pages/{MESSENGER_PAGE}/policy", "/healthz", "/readyz",
             *[f"/api/v1/registration/cases/{c['id']}" for c in cases]]
    texts = []
    for path in paths:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        texts.append(response.text)
    texts.append(client.post("/api/v1/rules/check", headers=headers, json={
        "text": SECRET_TEXT, "page_id": FEED_PAGE}).text)
    return texts


def test_no_api_answer_holds_a_secret(client, db, processor, graph_state):
    add_test_page(db)
    add_test_page(db, MESSENGER_PAGE, unit="Socialnämnden")
    changes = [comment("100_1", message="Hej där"), comment("100_2", message=SECRET_TEXT)]
    for change in changes:
        graph_state.objects[change["value"]["comment_id"]] = {
            "message": change["value"]["message"]}
    assert post_signed(client, delivery(*changes)).status_code == 200
    assert post_signed(client, meta_body({"object": "page", "entry": [{
        "id": MESSENGER_PAGE, "time": 1700000000, "messaging": [{
            "sender": {"id": "777"}, "recipient": {"id": MESSENGER_PAGE},
            "timestamp": 1700000000000, "message": {"mid": "m_1", "text": "Hej"}}]}]})
    ).status_code == 200
    processor.run_until_idle()
    token = api_token(db, "information_officer")
    name = ui_user(db, "auditor")
    session_cookie = login(client, name).cookies["uppsikt_session"]
    client.cookies.clear()
    with db.transaction() as session:
        stored = [*session.scalars(select(Page.token_encrypted)),
                  *session.scalars(select(User.password_hash).where(
                      User.password_hash.is_not(None))),
                  *session.scalars(select(ApiToken.token_sha256)),
                  *session.scalars(select(UiSession.token_sha256)),
                  *session.scalars(select(UiSession.csrf_token))]
    secrets = [APP_SECRET, VERIFY_TOKEN, SECRET_KEY, PAGE_TOKEN, PASSWORD, token,
               session_cookie, *[s.decode() if isinstance(s, bytes) else s for s in stored]]
    assert len(stored) >= 6
    texts = _walk_api(client, {"Authorization": f"Bearer {token}"})
    assert any("Hej där" in t for t in texts), "the walk reached the archive"
    found = [(s[:8], t[:200]) for s in secrets for t in texts if s and s in t]
    assert found == []
    for text in texts:  # and no field by a secret's name, at any depth
        assert not _secret_keys(json.loads(text)), text[:300]


def _secret_keys(node: Any) -> list[str]:
    if isinstance(node, dict):
        bad = [k for k in node if SECRET_NAME.search(k) and k not in SAFE_NAMES]
        return bad + [k for v in node.values() for k in _secret_keys(v)]
    if isinstance(node, list):
        return [k for v in node for k in _secret_keys(v)]
    return []


# -- headers ----------------------------------------------------------------------------
UI_PAGES = ["/ui/", "/ui/review", "/ui/registration", "/ui/search", "/ui/pages",
            "/ui/rules/test", "/ui/questions", "/ui/digest", "/ui/snapshots", "/ui/reports",
            "/ui/retention", "/ui/jobs", "/ui/login", "/ui/no-such-page", "/ui/static/ui.css"]
API_PATHS = ["/api/v1/items/none", "/api/v1/search", "/api/v1/inbox/changes", "/healthz",
             "/readyz", "/openapi.json", "/webhooks/meta"]


def _framing_refused(headers: Any) -> bool:
    csp = headers.get("content-security-policy", "")
    return "frame-ancestors 'none'" in csp or headers.get("x-frame-options") == "DENY"


def _ui_client(settings: Settings, db: Any, **update: Any) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=update)), follow_redirects=False,
                      base_url="https://testserver")


@pytest.mark.parametrize("secure", [False, True])
def test_every_ui_page_carries_the_security_headers(settings, db, secure):
    name = ui_user(db, "information_officer")
    with _ui_client(settings, db, ui_secure_cookies=secure) as client:
        signed_in = login(client, name)
        [cookie] = [c.lower().split("; ") for c in signed_in.headers.get_list("set-cookie")
                    if c.startswith("uppsikt_session=")]
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert ("secure" in cookie) is secure
        for path in UI_PAGES:
            response = client.get(path)
            assert response.status_code in (200, 404), (path, response.status_code)
            headers = response.headers
            assert _framing_refused(headers), path
            assert "script-src 'self'" in headers["content-security-policy"], path
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["referrer-policy"], path
            # HSTS only when the service is said to be behind TLS.
            assert ("strict-transport-security" in headers) is secure, path


@pytest.mark.parametrize("secure", [False, True])
def test_api_answers_are_not_sniffed_or_framed(settings, db, secure):
    token = api_token(db, "auditor")
    with _ui_client(settings, db, ui_secure_cookies=secure) as client:
        for path in API_PATHS:
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
            headers = response.headers
            assert headers.get("x-content-type-options") == "nosniff", path
            assert _framing_refused(headers), path
            assert ("strict-transport-security" in headers) is secure, path
        for secret in (APP_SECRET, "wrong"):
            body = delivery(comment("100_1"))
            response = client.post("/webhooks/meta", content=body,
                                   headers={"X-Hub-Signature-256": sign(secret, body)})
            assert response.headers.get("x-content-type-options") == "nosniff"
