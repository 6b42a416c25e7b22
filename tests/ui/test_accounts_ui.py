"""Signing in and out of the web UI: passwords, throttling, sessions, CSRF, fixation,
security headers and the language; and every UI text has its English translation."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.core.crypto import sha256_hex
from app.core.db import utcnow
from app.ui.i18n import english
from app.ui.models import LoginAttempt, UiSession
from app.ui.web import NAV, ROLE_NAMES, SESSION_COOKIE
from tests.ui.conftest import (
    PASSWORD,
    browser_login,
    csrf_of,
    login,
    screenshot,
    ui_user,
)

UI = Path(__file__).resolve().parents[2] / "app" / "ui"


def test_signing_in_starts_a_session(ui, db):
    name = ui_user(db, "moderator", unit="Kommunstyrelsen", display_name="Åsa Öberg")
    r = login(ui, name)
    assert r.headers["location"] == "/ui/"
    cookie = r.cookies.get(SESSION_COOKIE) or ui.cookies.get(SESSION_COOKIE)
    assert cookie and len(cookie) >= 40
    set_cookie = r.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/ui" in set_cookie
    start = ui.get("/ui/")
    assert start.status_code == 200 and "Åsa Öberg" in start.text
    with db.transaction() as s:
        row = s.scalars(select(UiSession)).one()
        assert row.token_sha256 == sha256_hex(cookie) and row.via == "password"
        assert s.scalar(select(func.count()).where(AuditEntry.act == "ui.signed_in")) == 1


def test_pages_need_a_session(ui, db):
    r = ui.get("/ui/?page=1")
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/login?next=/ui/%3Fpage%3D1"
    ui.cookies.set(SESSION_COOKIE, "made-up-token", path="/ui")
    assert ui.get("/ui/").status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/ui/\\evil",
                                    "/api/v1/search", "javascript:alert(1)"])
def test_no_redirect_leaves_the_ui(ui, db, target):
    name = ui_user(db, "auditor")
    page = ui.get("/ui/login", params={"next": target})
    assert target not in page.text
    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
    r = ui.post("/ui/login", data={"username": name, "password": PASSWORD,
                                   "form_token": token, "next": target})
    assert r.status_code == 303 and r.headers["location"] == "/ui/"


def test_a_wrong_password_is_refused_and_recorded(ui, db):
    name = ui_user(db, "registrar")
    r = login(ui, name, "fel-lösenord-helt-fel", expect=401)
    assert "Fel användarnamn eller lösenord." in r.text
    r = login(ui, "ingen-sådan", "fel-lösenord-helt-fel", expect=401)
    assert "Fel användarnamn eller lösenord." in r.text  # the same answer
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(UiSession)) == 0
        attempts = s.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
        assert [(a.username, a.succeeded) for a in attempts] == [
            (name, False), ("ingen-sådan", False)]


def test_sign_in_is_throttled_by_user_name(ui, db, settings):
    name = ui_user(db, "registrar")
    for _ in range(settings.ui_max_failures_per_user):
        login(ui, name, "gissning-gissning", expect=401)
    r = login(ui, name, PASSWORD, expect=429)  # even the right password, for a while
    assert "För många misslyckade försök" in r.text
    login(ui, ui_user(db, "auditor"))  # another user is not held up
    with db.transaction() as s:  # a quarter of an hour later it works again
        s.execute(update(LoginAttempt).values(at=utcnow() - timedelta(minutes=16)))
    login(ui, name)


def test_sign_in_is_throttled_by_address(ui, db, settings):
    settings.ui_max_failures_per_address = 3
    for n in range(3):
        login(ui, f"gissad-{n}", "gissning-gissning", expect=401)
    login(ui, ui_user(db, "auditor"), expect=429)


def test_the_sign_in_form_needs_its_token(ui, db):
    name = ui_user(db, "auditor")
    r = ui.post("/ui/login", data={"username": name, "password": PASSWORD, "next": "/ui/"})
    assert r.status_code == 403
    ui.get("/ui/login")
    token = ui.cookies.get("uppsikt_form")
    r = ui.post("/ui/login", data={"username": name, "password": PASSWORD,
                                   "form_token": token},
                headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(UiSession)) == 0


def test_a_planted_session_is_replaced_at_sign_in(ui, db):
    """Session fixation: a cookie someone else put in the browser is revoked when the
    user signs in, and the user gets a new one."""
    attacker = ui_user(db, "auditor", username="angripare")
    login(ui, attacker)
    planted = ui.cookies.get(SESSION_COOKIE)
    victim = ui_user(db, "registrar", username="offer")
    login(ui, victim)
    fresh = ui.cookies.get(SESSION_COOKIE)
    assert fresh != planted
    ui.cookies.clear()
    ui.cookies.set(SESSION_COOKIE, planted, path="/ui")
    assert ui.get("/ui/").status_code == 303  # the planted session no longer works
    ui.cookies.set(SESSION_COOKIE, fresh, path="/ui")
    assert "offer" in ui.get("/ui/").text


def test_signing_out_ends_the_session(ui, db):
    login(ui, ui_user(db, "auditor"))
    token = ui.cookies.get(SESSION_COOKIE)
    csrf = csrf_of(ui.get("/ui/").text)
    assert ui.post("/ui/logout", data={}).status_code == 403  # no CSRF token
    assert ui.post("/ui/logout", data={"csrf": "x" * 43}).status_code == 403
    r = ui.post("/ui/logout", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/ui/login"
    ui.cookies.set(SESSION_COOKIE, token, path="/ui")  # a copy of the cookie
    assert ui.get("/ui/").status_code == 303
    with db.transaction() as s:
        assert s.scalars(select(UiSession)).one().revoked_at is not None


def test_idle_expired_and_disabled_sessions_end(ui, db, settings):
    name = ui_user(db, "auditor")
    login(ui, name)
    assert ui.get("/ui/").status_code == 200
    with db.transaction() as s:
        s.execute(update(UiSession).values(
            last_seen_at=utcnow() - timedelta(minutes=settings.ui_idle_minutes + 1)))
    assert ui.get("/ui/").status_code == 303
    login(ui, name)
    with db.transaction() as s:
        s.execute(update(UiSession).where(UiSession.revoked_at.is_(None))
                  .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert ui.get("/ui/").status_code == 303
    login(ui, name)
    with db.transaction() as s:
        s.execute(update(User).values(disabled_at=utcnow()))
    assert ui.get("/ui/").status_code == 303
    login(ui, name, expect=401)


def test_ui_pages_carry_security_headers(ui, db):
    r = ui.get("/ui/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in r.headers  # plain HTTP here
    # Outside the UI the answers are data, not pages: no scripts or frames at all.
    assert ui.get("/healthz").headers["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'")


def test_the_language_can_be_english(ui, db):
    assert "Användarnamn" in ui.get("/ui/login").text
    r = ui.post("/ui/lang", data={"lang": "en", "next": "/ui/login"})
    assert r.status_code == 303 and r.headers["location"] == "/ui/login"
    page = ui.get("/ui/login")
    assert '<html lang="en">' in page.text and "User name" in page.text
    assert ui.post("/ui/lang", data={"lang": "xx"}).status_code == 422
    ui.cookies.clear()
    assert "User name" in ui.get("/ui/login", headers={"Accept-Language": "en-GB"}).text


def test_unknown_ui_paths_are_pages_not_json(ui, db):
    login(ui, ui_user(db, "auditor"))
    r = ui.get("/ui/finns-inte")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "Sidan finns inte." in r.text


def _texts() -> set[str]:
    """Every Swedish text the UI shows: _() in templates and code, menu, roles, errors."""
    texts: set[str] = set()
    call = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
    for template in (UI / "templates").rglob("*.html"):
        for double, single in call.findall(template.read_text()):
            texts.add(double or single)
    for module in UI.rglob("*.py"):
        if "translations" in module.parts:
            continue
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (
                    getattr(node.func, "id", None) in ("_", "UiError")
                    or getattr(node.func, "attr", None) == "_"):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        texts.add(arg.value)
    texts.update(label for _, label, _ in NAV)
    texts.update(ROLE_NAMES.values())
    from app.ui.account import MESSAGES

    texts.update(MESSAGES.values())
    return texts


def test_every_ui_text_has_english():
    texts = _texts()
    assert len(texts) > 20
    missing = sorted(t for t in texts if t not in english())
    assert missing == []


def test_a_browser_signs_in_and_out(live_server, db, page):
    name = ui_user(db, "moderator", unit="Kommunstyrelsen", display_name="Åsa Öberg")
    page.goto(f"{live_server}/ui/")
    assert "/ui/login" in page.url
    screenshot(page, "01-login")
    browser_login(page, live_server, name)
    assert page.get_by_text("Åsa Öberg").is_visible()
    screenshot(page, "02-start")
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/ui/login")
    page.goto(f"{live_server}/ui/")
    assert "/ui/login" in page.url
