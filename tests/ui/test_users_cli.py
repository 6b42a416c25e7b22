"""Managing web users from the command line: display names, passwords, disabling."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from tests.ui.conftest import PASSWORD, login

NEW_PASSWORD = "ett-helt-nytt-lösenord-2026"


def test_a_user_added_with_a_password_signs_in_with_the_display_name(run, ui, db):
    run("users", "add", "--username", "asa", "--role", "moderator", "--unit",
        "Kommunstyrelsen", "--display-name", "Åsa Öberg", "--password-stdin",
        stdin=PASSWORD + "\n")
    login(ui, "asa")
    assert "Åsa Öberg" in ui.get("/ui/").text
    r = run("users", "add", "--username", "kort", "--role", "auditor", "--password-stdin",
            stdin="kort\n", ok=False)
    assert r.returncode != 0 and "at least 12 characters" in r.stderr
    with db.transaction() as s:
        assert s.scalar(select(User).where(User.username == "kort")) is None


def test_a_new_password_ends_every_session(run, ui, db):
    run("users", "add", "--username", "reg", "--role", "registrar", "--password-stdin",
        stdin=PASSWORD + "\n")
    login(ui, "reg")
    assert ui.get("/ui/").status_code == 200
    r = run("users", "password", "--username", "reg", stdin=NEW_PASSWORD + "\n")
    assert "1 web session(s) ended" in r.stdout
    assert NEW_PASSWORD not in r.stdout + r.stderr
    assert ui.get("/ui/").status_code == 303  # signed out
    login(ui, "reg", PASSWORD, expect=401)
    login(ui, "reg", NEW_PASSWORD)
    assert run("users", "password", "--username", "reg", stdin="\n", ok=False).returncode == 2


def test_a_disabled_user_is_out_until_enabled(run, ui, db):
    run("users", "add", "--username", "aud", "--role", "auditor", "--password-stdin",
        stdin=PASSWORD + "\n")
    run("users", "token", "--username", "aud")
    login(ui, "aud")
    r = run("users", "disable", "--username", "aud")
    assert "1 token(s) revoked, 1 web session(s) ended" in r.stdout
    assert ui.get("/ui/").status_code == 303
    login(ui, "aud", expect=401)
    run("users", "enable", "--username", "aud")
    login(ui, "aud")
    assert "no user nobody" in run("users", "disable", "--username", "nobody",
                                   ok=False).stderr
