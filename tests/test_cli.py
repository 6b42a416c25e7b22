"""The `uppsikt` command, run as a real subprocess."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import select

from app.pages.models import Page
from tests.conftest import UPPSIKT


def test_pages_add_list_remove(run, db):
    r = run("pages", "add", "--page-id", "1234567890321", "--name", "Falu kommun",
            "--unit", "Kommunstyrelsen", "--token", "EAAB-secret-page-token")
    assert "1234567890321" in r.stdout
    listed = run("pages", "list").stdout
    assert "Falu kommun" in listed and "Kommunstyrelsen" in listed
    assert "EAAB-secret-page-token" not in listed
    with db.transaction() as session:
        page = session.scalar(select(Page))
        assert b"EAAB-secret-page-token" not in page.token_encrypted
    dup = run("pages", "add", "--page-id", "1234567890321", "--name", "X", "--unit", "Y",
              "--token", "t", ok=False)
    assert dup.returncode == 2 and "already managed" in dup.stderr
    run("pages", "remove", "--page-id", "1234567890321")
    assert "1234567890321" not in run("pages", "list").stdout
    assert "removed" in run("pages", "list", "--all").stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--page-id", "abc", "--name", "N", "--unit", "U", "--token", "t"], "numeric"),
    (["--page-id", "1", "--name", " ", "--unit", "U", "--token", "t"], "must not be empty"),
])
def test_pages_add_refuses_bad_input(run, args, message):
    r = run("pages", "add", *args, ok=False)
    assert r.returncode == 2 and message in r.stderr
    assert "Traceback" not in r.stderr


def test_users_and_tokens(run, client):
    run("users", "add", "--username", "registrator", "--role", "registrar",
        "--password-stdin", stdin="ett långt lösenord\n")
    out = run("users", "token", "--username", "registrator").stdout
    token = out.strip().splitlines()[-1]
    assert token.startswith("upk_") and len(token) > 40
    r = client.get("/api/v1/items/none", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404  # authenticated, the item just does not exist
    assert "registrator\tregistrar" in run("users", "list").stdout
    run("users", "revoke", "--username", "registrator")
    r = client.get("/api/v1/items/none", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


@pytest.mark.parametrize(("args", "message"), [
    (["--username", "a b", "--role", "auditor"], "username"),
    (["--username", "anna", "--role", "admin"], "role must be one of"),
    (["--username", "anna", "--role", "moderator"], "needs a unit"),
])
def test_users_add_refuses_bad_input(run, args, message):
    r = run("users", "add", *args, ok=False)
    assert r.returncode == 2 and message in r.stderr


def test_short_password_is_refused(run):
    r = run("users", "add", "--username", "anna", "--role", "auditor", "--password-stdin",
            stdin="kort\n", ok=False)
    assert r.returncode == 2 and "12 characters" in r.stderr


def test_production_without_secrets_is_a_clear_error(run, database_url):
    env = {**os.environ, "UPPSIKT_ENV": "production", "UPPSIKT_DATABASE_URL": database_url}
    for name in ("UPPSIKT_SECRET_KEY", "UPPSIKT_META_APP_SECRET", "UPPSIKT_META_VERIFY_TOKEN"):
        env.pop(name, None)
    r = subprocess.run([*UPPSIKT, "pages", "list"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 2
    assert "UPPSIKT_SECRET_KEY" in r.stderr and "Traceback" not in r.stderr


def test_db_upgrade_and_current(run, fresh_database_url):
    url = fresh_database_url()
    env = {**os.environ, "UPPSIKT_DATABASE_URL": url}
    up = subprocess.run([*UPPSIKT, "db", "upgrade"], capture_output=True, text=True, env=env,
                        timeout=120)
    assert up.returncode == 0, up.stderr
    cur = subprocess.run([*UPPSIKT, "db", "current"], capture_output=True, text=True, env=env,
                         timeout=60)
    current, head = cur.stdout.split()[1], cur.stdout.split()[3]
    assert current == head != "None"


def test_inbox_list_and_retry(run, client, db, processor):
    from app.webhooks.models import InboxEvent
    from tests.conftest import post_signed

    assert "nothing needs attention" in run("inbox", "list").stdout
    assert post_signed(client, b'{"object":"page"}').status_code == 200
    processor.run_until_idle()
    with db.transaction() as session:
        event_id = session.scalar(select(InboxEvent.id))
    listed = run("inbox", "list").stdout
    assert f"delivery {event_id}\tfailed" in listed and "'entry'" in listed
    assert "1 queued again" in run("inbox", "retry", "--delivery", str(event_id)).stdout
    with db.transaction() as session:
        assert session.get(InboxEvent, event_id).status == "received"
    r = run("inbox", "retry", ok=False)
    assert r.returncode == 2 and "--delivery" in r.stderr


def test_rules_check_prints_json(run, db):
    import json

    out = json.loads(run("rules", "check", "Hon har skyddad identitet").stdout)
    assert out["decision"] == "hide" and out["register"] is True
    assert out["categories"] == ["secret"]
    [match] = out["matches"]
    assert match["text"] == "skyddad identitet" and match["rule"] == "secret"
    r = run("rules", "check", "--page", "999", "hej", ok=False)
    assert r.returncode == 2 and "no managed page 999" in r.stderr
