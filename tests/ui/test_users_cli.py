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


def test_names_must_differ_by_more_than_case(run, ui, db):
    run("users", "add", "--username", "Anna", "--role", "auditor", "--password-stdin",
        stdin=PASSWORD + "\n")
    r = run("users", "add", "--username", "anna", "--role", "registrar", ok=False)
    assert r.returncode != 0 and "already exists" in r.stderr
    login(ui, "ANNA")  # sign-in ignores case
    assert "Anna" in ui.get("/ui/").text


def test_an_oidc_link_can_be_removed(run, db):
    run("users", "add", "--username", "erik", "--role", "auditor")
    with db.transaction() as s:
        user = s.scalars(select(User).where(User.username == "erik")).one()
        user.oidc_issuer, user.oidc_subject = "https://idp.example", "sub-123"
    r = run("users", "unlink-oidc", "--username", "erik")
    assert "link removed" in r.stdout
    with db.transaction() as s:
        user = s.scalars(select(User).where(User.username == "erik")).one()
        assert (user.oidc_issuer, user.oidc_subject) == (None, None)
    r = run("users", "unlink-oidc", "--username", "erik", ok=False)
    assert r.returncode == 2 and "no OpenID Connect link" in r.stderr
