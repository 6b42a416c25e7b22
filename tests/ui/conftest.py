"""Fixtures for the web UI: users with passwords, a signed-in TestClient, a live server
over real HTTP and a real Chromium driven by Playwright (the Debian packages chromium and
chromium-driver; nothing is downloaded)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from app.accounts.service import create_user
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app

PASSWORD = "korrekt-häst-batteri-häfte"
CHROMIUM = os.environ.get("UPPSIKT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("UPPSIKT_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "artifacts"))
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def ui_user(db: Database, role: str, *, unit: str | None = None,
            username: str | None = None, password: str = PASSWORD,
            display_name: str | None = None) -> str:
    """A user who can sign in with ``password``; returns the user name."""
    username = username or f"{role}-{unit or 'alla'}".lower().replace(" ", "-")[:60]
    with db.transaction() as session:
        user = create_user(session, username=username, role=role, unit=unit,
                           password=password)
        user.display_name = display_name
    return username


def login(client: TestClient, username: str, password: str = PASSWORD, *,
          expect: int = 303) -> Any:
    """Sign in through the form, as a browser does."""
    page = client.get("/ui/login")
    assert page.status_code == 200, page.text
    token = _FORM_TOKEN.search(page.text)
    assert token is not None
    response = client.post("/ui/login", data={
        "username": username, "password": password, "form_token": token.group(1),
        "next": "/ui/"}, follow_redirects=False)
    assert response.status_code == expect, response.text
    return response


def csrf_of(html: str) -> str:
    """The CSRF token a signed-in page carries in its forms."""
    found = _CSRF.search(html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def ui(settings: Settings, db: Database) -> Iterator[TestClient]:
    """A TestClient for the UI (no redirects followed, so each step can be checked)."""
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(settings: Settings, db: Database) -> Iterator[str]:
    """The service over real HTTP on 127.0.0.1 (a thread running uvicorn); its URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: "
                    "apt-get install -y chromium chromium-driver")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def screenshot(tab: Any, name: str) -> Path:
    """A full-page screenshot in the suite's artifacts (artifacts/screenshots/NAME.png)."""
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(path), full_page=True)
    return path


def browser_login(tab: Any, base_url: str, username: str, password: str = PASSWORD) -> None:
    tab.goto(f"{base_url}/ui/login")
    tab.get_by_label("Användarnamn").fill(username)
    tab.get_by_label("Lösenord").fill(password)
    tab.get_by_role("button", name="Logga in").click()
    tab.wait_for_url(re.compile(r".*/ui/(\?.*)?$|.*/ui/(?!login).*"))
