"""Signing in with OpenID Connect against a fake provider over real HTTP: the full flow,
linking, refusals, every way the provider can misbehave, state and PKCE, and that no code,
token or secret reaches a log or a page."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select, update

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.core.config import Settings
from app.core.db import Database, utcnow
from app.main import create_app
from app.ui import oidc
from app.ui.models import UiSession
from app.ui.web import SESSION_COOKIE
from tests.fakes.oidc import CLIENT_ID, CLIENT_SECRET, FakeOidcServer, FakeOidcState
from tests.ui.conftest import login, screenshot, ui_user

ANNA = "anna.andersson@kommun.example"


@pytest.fixture(scope="session")
def oidc_server() -> Iterator[FakeOidcServer]:
    server = FakeOidcServer().start()
    yield server
    server.stop()


@pytest.fixture
def provider(oidc_server: FakeOidcServer) -> FakeOidcState:
    oidc_server.state.reset()
    return oidc_server.state


@pytest.fixture
def settings(settings: Settings, provider: FakeOidcState) -> Settings:
    """The suite's settings with sign-in through the fake provider (so `ui` and
    `live_server` use it)."""
    return settings.model_copy(update={
        "oidc_issuer": provider.issuer, "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": SecretStr(CLIENT_SECRET)})


def start(ui: TestClient, next: str = "/ui/") -> httpx.Response:
    """/ui/oidc/login: the redirect to the provider (with the flow cookie set)."""
    response = ui.get(f"/ui/oidc/login?next={quote(next)}")
    assert response.status_code == 303, response.text
    return response


def at_provider(location: str) -> str:
    """The browser at the provider's /authorize: where it is sent back to (path?query).
    (http.client, not httpx: at DEBUG httpx's own log would print the code it receives,
    and the tests look for the code in the logs.)"""
    url = urlsplit(location)
    connection = http.client.HTTPConnection(url.netloc, timeout=5)
    try:
        connection.request("GET", f"{url.path}?{url.query}")
        answer = connection.getresponse()
        assert answer.status == 302, answer.read()
        back = urlsplit(answer.headers["location"])
    finally:
        connection.close()
    assert (back.scheme, back.netloc, back.path) == ("http", "testserver", "/ui/oidc/callback")
    return f"{back.path}?{back.query}"


def sign_in(ui: TestClient, next: str = "/ui/") -> httpx.Response:
    """The whole dance: our login, the provider, our callback; the callback's answer."""
    return ui.get(at_provider(start(ui, next).headers["location"]))


def sessions(db: Database) -> list[UiSession]:
    with db.transaction() as s:
        rows = list(s.scalars(select(UiSession)))
        s.expunge_all()
        return rows


def user_row(db: Database, username: str) -> User:
    with db.transaction() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        s.expunge(user)
        return user


def acts(db: Database, act: str) -> list[AuditEntry]:
    with db.transaction() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.act == act)))
        s.expunge_all()
        return rows


# -- the happy path ------------------------------------------------------------------------

def test_a_first_sign_in_links_the_subject_and_starts_a_session(ui, db, provider):
    name = ui_user(db, "moderator", unit="Kommunstyrelsen", username="Anna.Andersson@kommun"
                   ".example", display_name="Anna Andersson")
    went = start(ui, "/ui/review?page_id=42")
    target = urlsplit(went.headers["location"])
    params = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.issuer}/authorize"
    assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://testserver/ui/oidc/callback"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 40 and len(params["nonce"]) >= 40
    assert "openid" in params["scope"].split()
    flow_cookie = went.headers["set-cookie"].lower()
    for attribute in ("uppsikt_oidc=", "httponly", "samesite=lax", "path=/ui/oidc",
                      "max-age=600"):
        assert attribute in flow_cookie
    assert params["state"] not in went.headers["set-cookie"]  # sealed, not readable

    done = ui.get(at_provider(went.headers["location"]))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/ui/review?page_id=42"
    cookies = done.headers.get_list("set-cookie")
    assert any(c.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith("uppsikt_oidc=") and "Max-Age=0" in c for c in cookies)
    assert provider.token_requests[-1]["has_verifier"] is True

    [row] = sessions(db)
    assert row.via == "oidc"
    user = user_row(db, name)
    assert (user.oidc_issuer, user.oidc_subject) == (provider.issuer, "subject-anna")
    [linked] = acts(db, "user.oidc_linked")
    assert linked.actor == name and linked.detail["subject"] == "subject-anna"
    [signed_in] = acts(db, "ui.signed_in")
    assert signed_in.detail["via"] == "oidc"
    page = ui.get("/ui/")
    assert page.status_code == 200 and "Anna Andersson" in page.text


def test_a_later_sign_in_finds_the_user_by_subject_even_after_a_rename(ui, db, provider):
    ui_user(db, "auditor", username=ANNA)
    assert sign_in(ui).status_code == 303
    # The directory renames Anna, and someone creates an Uppsikt user with the new name:
    # Anna still reaches her own account, by her subject.
    provider.user["preferred_username"] = "anna.berg@kommun.example"
    ui_user(db, "information_officer", username="anna.berg@kommun.example")
    ui.cookies.clear()
    again = sign_in(ui)
    assert again.status_code == 303, again.text
    with db.transaction() as s:
        latest = s.scalars(select(UiSession).order_by(UiSession.id.desc())).first()
        assert latest.user.username == ANNA
    assert len(acts(db, "user.oidc_linked")) == 1
    assert provider.discovery_fetches == 1 and provider.jwks_fetches == 1  # cached


def test_signing_in_replaces_the_browsers_old_session(ui, db, provider):
    ui_user(db, "auditor", username=ANNA)
    login(ui, ANNA)
    old = ui.cookies.get(SESSION_COOKIE)
    assert sign_in(ui).status_code == 303
    by_via = {row.via: row for row in sessions(db)}
    assert by_via["password"].revoked_at is not None and by_via["oidc"].revoked_at is None
    ui.cookies.set(SESSION_COOKIE, old, path="/ui")
    assert ui.get("/ui/").status_code == 303


def test_the_client_secret_can_go_in_a_basic_header(ui, db, provider):
    provider.auth_methods = ["client_secret_basic"]
    ui_user(db, "auditor", username=ANNA)
    assert sign_in(ui).status_code == 303
    assert provider.token_requests[-1]["basic"] is True


def test_a_key_rotation_is_picked_up_by_fetching_the_keys_again(ui, db, provider):
    ui_user(db, "auditor", username=ANNA)
    assert sign_in(ui).status_code == 303
    provider.rotate_key()
    ui.cookies.clear()
    assert sign_in(ui).status_code == 303
    assert provider.jwks_fetches == 2
    assert len(sessions(db)) == 2


def test_next_never_leaves_the_ui(ui, db, provider):
    ui_user(db, "auditor", username=ANNA)
    response = sign_in(ui, "//evil.example/")
    assert response.headers["location"] == "/ui/"


# -- who may not sign in -------------------------------------------------------------------

def test_no_uppsikt_user_means_no_session(ui, db, provider):
    provider.user["preferred_username"] = "<script>alert(1)</script>"
    refused = sign_in(ui)
    assert refused.status_code == 403
    assert "Du har inget konto i Uppsikt" in refused.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in refused.text
    assert "<script>alert" not in refused.text
    assert sessions(db) == []


def test_a_token_without_the_username_claim_is_refused(ui, db, provider):
    ui_user(db, "auditor", username=ANNA)
    del provider.user["preferred_username"]
    refused = sign_in(ui)
    assert refused.status_code == 403 and "angav inget användarnamn" in refused.text
    assert sessions(db) == []


def test_a_disabled_user_is_refused_whether_linked_or_not(ui, db, provider):
    ui_user(db, "auditor", username=ANNA)
    with db.transaction() as s:
        s.execute(update(User).values(disabled_at=utcnow()))
    refused = sign_in(ui)
    assert refused.status_code == 403 and "avstängt" in refused.text
    assert user_row(db, ANNA).oidc_subject is None  # not linked either

    with db.transaction() as s:
        s.execute(update(User).values(disabled_at=None))
    ui.cookies.clear()
    assert sign_in(ui).status_code == 303  # now linked
    with db.transaction() as s:
        s.execute(update(User).values(disabled_at=utcnow()))
    ui.cookies.clear()
    assert sign_in(ui).status_code == 403
    assert len(sessions(db)) == 1


def test_a_user_linked_to_another_subject_is_not_taken_over(ui, db, provider):
    ui_user(db, "auditor", username=ANNA)
    assert sign_in(ui).status_code == 303
    # Another person at the provider now has Anna's old name.
    provider.user = {"sub": "subject-someone-else", "preferred_username": ANNA}
    ui.cookies.clear()
    refused = sign_in(ui)
    assert refused.status_code == 403 and "annan person" in refused.text
    assert len(sessions(db)) == 1
    assert user_row(db, ANNA).oidc_subject == "subject-anna"


@pytest.mark.parametrize("misbehaviour", [
    "wrong_nonce", "no_nonce", "wrong_audience", "wrong_issuer", "expired", "future_iat",
    "bad_signature", "unknown_kid", "alg_none", "hs256"])
def test_a_bad_id_token_is_refused(ui, db, provider, misbehaviour):
    ui_user(db, "auditor", username=ANNA)
    provider.misbehave = {misbehaviour}
    refused = sign_in(ui)
    assert refused.status_code == 403, refused.text
    assert "kunde inte godtas" in refused.text
    assert sessions(db) == [] and user_row(db, ANNA).oidc_subject is None
    if misbehaviour == "unknown_kid":
        assert provider.jwks_fetches == 2  # fetched again once, in case of a rotation


@pytest.mark.parametrize(("misbehaviour", "status", "text"), [
    ("access_denied", 403, "avbröts eller nekades"),
    ("token_error", 502, "gick inte att nå"),
    ("no_id_token", 502, "gick inte att nå")])
def test_a_provider_that_says_no_or_fails_gives_a_clear_page(ui, db, provider, misbehaviour,
                                                             status, text):
    ui_user(db, "auditor", username=ANNA)
    provider.misbehave = {misbehaviour}
    refused = sign_in(ui)
    assert refused.status_code == status and text in refused.text
    assert sessions(db) == []


def test_a_provider_that_cannot_be_reached_gives_502(ui, db, provider, settings):
    ui_user(db, "auditor", username=ANNA)
    provider.token_endpoint = "http://127.0.0.1:9/token"  # nobody listens there
    refused = sign_in(ui)
    assert refused.status_code == 502 and "gick inte att nå" in refused.text
    assert sessions(db) == []

    gone = settings.model_copy(update={"oidc_issuer": "http://127.0.0.1:9"})
    with TestClient(create_app(gone), follow_redirects=False) as client:
        page = client.get("/ui/oidc/login")
    assert page.status_code == 502 and "gick inte att nå" in page.text


# -- state, cookie and PKCE ----------------------------------------------------------------

def test_a_state_cannot_be_used_twice(ui, db, provider):
    ui_user(db, "auditor", username=ANNA)
    went = start(ui)
    flow = ui.cookies.get("uppsikt_oidc")
    back = at_provider(went.headers["location"])
    assert ui.get(back).status_code == 303
    exchanges = len(provider.token_requests)
    ui.cookies.clear()
    ui.cookies.set("uppsikt_oidc", flow, path="/ui/oidc")
    replay = ui.get(back)
    assert replay.status_code == 400 and "redan använd" in replay.text
    assert len(provider.token_requests) == exchanges  # refused before the code was tried
    assert len(sessions(db)) == 1


def test_a_callback_without_its_cookie_is_refused(ui, db, provider):
    ui_user(db, "auditor", username=ANNA)
    back = at_provider(start(ui).headers["location"])
    ui.cookies.clear()
    refused = ui.get(back)
    assert refused.status_code == 400
    assert provider.token_requests == [] and sessions(db) == []


def test_a_forged_or_foreign_flow_cookie_is_refused(ui, db, provider, settings):
    ui_user(db, "auditor", username=ANNA)
    went = start(ui)
    back = at_provider(went.headers["location"])
    state = parse_qs(urlsplit(back).query)["state"][0]
    genuine = ui.cookies.get("uppsikt_oidc")
    other_key = settings.model_copy(update={"secret_key": SecretStr("another-key-" * 4)})
    forgeries = [
        json.dumps({"state": state, "nonce": "n", "verifier": "v" * 43, "next": "/ui/"}),
        genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB"),
        oidc._seal(other_key, {"state": state, "nonce": "n", "verifier": "v" * 43,
                               "next": "/ui/"}),
    ]
    for forged in forgeries:
        ui.cookies.clear()
        ui.cookies.set("uppsikt_oidc", forged, path="/ui/oidc")
        assert ui.get(back).status_code == 400
    assert provider.token_requests == [] and sessions(db) == []


def test_a_callback_with_another_state_is_refused(ui, db, provider):
    """Login CSRF: someone else's code and state, with this browser's cookie."""
    ui_user(db, "auditor", username=ANNA)
    start(ui)
    ours = ui.cookies.get("uppsikt_oidc")
    theirs = at_provider(start(ui).headers["location"])  # another flow's callback
    ui.cookies.set("uppsikt_oidc", ours, path="/ui/oidc")
    assert ui.get(theirs).status_code == 400
    assert provider.token_requests == [] and sessions(db) == []


def test_a_stale_flow_is_refused(ui, db, provider, settings):
    ui_user(db, "auditor", username=ANNA)
    back = at_provider(start(ui).headers["location"])
    flow = oidc._unseal(settings, ui.cookies.get("uppsikt_oidc"))
    assert flow is not None
    old = oidc._fernet(settings).encrypt_at_time(
        json.dumps(flow).encode(), int(time.time()) - oidc.FLOW_SECONDS - 5).decode()
    ui.cookies.set("uppsikt_oidc", old, path="/ui/oidc")
    assert ui.get(back).status_code == 400
    assert provider.token_requests == [] and sessions(db) == []


def test_the_pkce_verifier_is_checked_by_the_provider(ui, db, provider, settings):
    ui_user(db, "auditor", username=ANNA)
    back = at_provider(start(ui).headers["location"])
    flow = oidc._unseal(settings, ui.cookies.get("uppsikt_oidc"))
    assert flow is not None
    flow["verifier"] = "x" * 64  # not the one the challenge was made from
    ui.cookies.set("uppsikt_oidc", oidc._seal(settings, flow), path="/ui/oidc")
    refused = ui.get(back)
    assert refused.status_code == 502
    assert provider.refusals == ["pkce"] and sessions(db) == []


def test_without_oidc_settings_both_routes_are_404(db, settings):
    off = settings.model_copy(update={"oidc_issuer": None, "oidc_client_id": None,
                                      "oidc_client_secret": None})
    with TestClient(create_app(off), follow_redirects=False) as client:
        for path in ("/ui/oidc/login", "/ui/oidc/callback?code=x&state=y"):
            response = client.get(path)
            assert response.status_code == 404 and "Sidan finns inte." in response.text
        assert "/ui/oidc/login" not in client.get("/ui/login").text


# -- secrets stay secret -------------------------------------------------------------------

def test_no_code_token_or_secret_reaches_a_log_or_a_page(ui, db, provider, caplog, capfd):
    caplog.set_level("DEBUG")
    ui_user(db, "auditor", username=ANNA)
    pages = [sign_in(ui)]
    for misbehaviour in ("bad_signature", "token_error", "wrong_nonce"):
        provider.misbehave = {misbehaviour}
        ui.cookies.clear()
        pages.append(sign_in(ui))
    provider.misbehave = set()
    provider.user["preferred_username"] = "nobody@kommun.example"
    provider.user["sub"] = "subject-nobody"
    ui.cookies.clear()
    pages.append(sign_in(ui))
    assert [p.status_code for p in pages] == [303, 403, 502, 403, 403]
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "oidc.signed_in" in logged and "oidc.refused" in logged
    secrets_seen = [CLIENT_SECRET, *provider.issued]
    assert len(provider.issued) >= 8  # codes, access tokens and ID tokens
    for secret in secrets_seen:
        assert secret not in logged
        for page in pages:
            assert secret not in page.text
            assert secret not in page.headers.get("location", "")


# -- in a browser --------------------------------------------------------------------------

def test_a_browser_signs_in_with_the_organisations_account(live_server, db, provider, page):
    ui_user(db, "moderator", unit="Kommunstyrelsen", username=ANNA,
            display_name="Anna Andersson")
    page.goto(f"{live_server}/ui/login")
    link = page.get_by_role("link", name="Logga in med organisationens konto")
    assert link.is_visible()
    screenshot(page, "50-oidc")
    link.click()
    page.wait_for_url(f"{live_server}/ui/")
    assert page.get_by_text("Anna Andersson").is_visible()
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(UiSession).where(
            UiSession.via == "oidc")) == 1

    page.context.clear_cookies()
    provider.user = {"sub": "subject-nobody", "preferred_username": "okand@kommun.example"}
    page.goto(f"{live_server}/ui/oidc/login")
    assert page.get_by_role("alert").is_visible()
    assert "okand@kommun.example" in page.content()
    screenshot(page, "51-oidc-refused")
