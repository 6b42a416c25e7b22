"""The daily oversight digest: its content per unit, the e-mail it becomes (sent to a real
SMTP server on loopback), once per unit and day, failures kept and retried, no digest on
days off, and the CLI."""

from __future__ import annotations

import email
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import func, select, update

from app.alerts.models import Alert
from app.alerts.service import raise_alert
from app.content.models import ItemStateEvent
from app.core.db import Database
from app.digest import mail
from app.digest.models import Digest, DigestRecipient
from app.digest.service import build_digest, period
from app.jobs.runner import run_job
from app.oversight.models import OversightSignoff
from app.oversight.service import STOCKHOLM
from app.pages.models import Page
from app.questions.models import ServiceQuestion
from tests.conftest import UPPSIKT, add_test_page
from tests.test_search import add_item

KS, SOC = "Kommunstyrelsen", "Socialförvaltningen"
HOSTILE_PAGE = "Falu <b>kommun</b> & \"vänner\""
HOSTILE_TEXT = "<script>alert('x')</script> Hur gör jag?"
MONDAY = date(2026, 11, 23)  # covers Friday 20, Saturday 21 and Sunday 22 November


def local(day: date, h: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, h, tzinfo=STOCKHOLM)


class Sink:
    """An SMTP server's message handler that keeps what it gets."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def env_with_smtp(job_env: Any, port: int | None) -> Any:
    settings = job_env.settings.model_copy(update={
        "smtp_host": "127.0.0.1" if port else None, "smtp_port": port or 25,
        "smtp_timeout_seconds": 5, "public_url": "https://uppsikt.example.se/"})
    return replace(job_env, settings=settings)


def setup_units(db: Database) -> dict[str, int]:
    """Two pages of KS (one with a hostile name), one of SOC; all a month old."""
    add_test_page(db, "1001", unit=KS, name=HOSTILE_PAGE)
    add_test_page(db, "1002", unit=KS, name="Lugnets fritidsområde")
    add_test_page(db, "2001", unit=SOC, name="Socialtjänsten")
    with db.transaction() as s:
        s.execute(update(Page).values(created_at=datetime(2026, 10, 1, tzinfo=UTC)))
        return {p: i for p, i in s.execute(select(Page.platform_id, Page.id))}


def hide(db: Database, platform_id: str, page: str, at: datetime, *, state: str = "hidden",
         source: str = "uppsikt", categories: list[str] | None = None) -> None:
    with db.transaction() as s:
        version = add_item(s, platform_id, "Hemlig text om någon", page=page, at=at,
                           state=state, categories=categories)
        s.add(ItemStateEvent(item_id=version.item_id, verb="hide", state=state,
                             occurred_at=at, source=source))


def overdue_question(db: Database, page: str, platform_id: str, *, kind: str = "comment",
                     text: str = HOSTILE_TEXT) -> None:
    with db.transaction() as s:
        version = add_item(s, platform_id, text, page=page, kind=kind,
                           at=local(date(2026, 11, 19), 9))
        page_id = s.scalar(select(Page.id).where(Page.platform_id == page))
        s.add(ServiceQuestion(item_id=version.item_id, page_id=page_id,
                              asked_at=local(date(2026, 11, 19), 9),
                              due_on=date(2026, 11, 20), status="open"))


def scenario(db: Database) -> dict[str, int]:
    pages = setup_units(db)
    hide(db, "h1", "1001", local(date(2026, 11, 21)), categories=["profanity"])  # Saturday
    hide(db, "h2", "1002", local(date(2026, 11, 20), 8), state="removed", source="facebook")
    hide(db, "h3", "1001", local(date(2026, 11, 19)))  # Thursday: before the period
    hide(db, "h4", "2001", local(date(2026, 11, 21)))  # another unit
    hide(db, "h5", "1001", local(MONDAY, 6))  # this morning: tomorrow's digest
    overdue_question(db, "1001", "q1")
    overdue_question(db, "1002", "q2", kind="message", text="Mitt personnummer är ...")
    with db.transaction() as s:
        s.add(OversightSignoff(page_id=pages["1002"], day=date(2026, 11, 20),
                               signed_by="anna"))
        raise_alert(s, "page.token", "1001", "Token <b>invalid</b>", page_id=pages["1001"])
        raise_alert(s, "page.token", "2001", "SOC alert", page_id=pages["2001"])
    return pages


def test_the_period_runs_from_the_previous_working_day():
    start, end = period(MONDAY)
    assert start == datetime(2026, 11, 20, tzinfo=STOCKHOLM).astimezone(UTC)
    assert end == datetime(2026, 11, 23, tzinfo=STOCKHOLM).astimezone(UTC)
    start, _ = period(date(2026, 6, 22))  # after midsommarafton: from Thursday
    assert start == datetime(2026, 6, 18, tzinfo=STOCKHOLM).astimezone(UTC)


def test_the_digest_of_a_unit(db):
    scenario(db)
    with db.transaction() as s:
        d = build_digest(s, KS, MONDAY)
    assert d["unit"] == KS and d["day"] == "2026-11-23" and d["previous_day"] == "2026-11-20"
    assert d["totals"] == {"pages": 2, "hidden": 1, "removed": 1, "review": 3,
                           "missing_signoff": 1, "overdue": 2, "due_today": 0, "alerts": 1}
    by_page = {p["platform_id"]: p for p in d["pages"]}
    assert by_page["1001"]["missing_signoff"] and not by_page["1002"]["missing_signoff"]
    assert (by_page["1001"]["hidden"], by_page["1002"]["removed"]) == (1, 1)
    assert [(m["item"], m["state"], m["by"], m["categories"]) for m in d["moderated"]] == [
        ("h1", "hidden", "uppsikt", ["profanity"]), ("h2", "removed", "facebook", [])]
    assert {q["item"]: q["excerpt"] for q in d["overdue"]} == {
        "q1": HOSTILE_TEXT, "q2": None}  # no text of direct messages
    assert [(a["kind"], a["page"]) for a in d["alerts"]] == [("page.token", HOSTILE_PAGE)]
    assert "Hemlig" not in str(d)  # no text of hidden content


def test_the_email_escapes_what_came_from_outside(db):
    scenario(db)
    with db.transaction() as s:
        content = build_digest(s, KS, MONDAY)
    html = mail.render_html(content, "https://uppsikt.example.se")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert HOSTILE_PAGE not in html and "Falu &lt;b&gt;kommun&lt;/b&gt; &amp;" in html
    assert "Token &lt;b&gt;invalid&lt;/b&gt;" in html
    assert 'href="https://uppsikt.example.se/ui/items/q1"' in html
    text = mail.render_text(content, "https://uppsikt.example.se")
    assert HOSTILE_TEXT in text and "https://uppsikt.example.se/ui/review?page_id=1001" in text
    assert mail.subject({"unit": "KS\r\nBcc: x@evil.example", "day": "2026-11-23"}) == \
        "Uppsikt: dagsrapport för KS Bcc: x@evil.example 2026-11-23"


def recipients(db: Database) -> None:
    with db.transaction() as s:
        s.add_all([DigestRecipient(unit=KS, email="ks@falun.se", added_by="t"),
                   DigestRecipient(unit=None, email="info@falun.se", added_by="t"),
                   DigestRecipient(unit=SOC, email="soc@falun.se", added_by="t")])


def digests(db: Database) -> list[Digest]:
    with db.transaction() as s:
        rows = list(s.scalars(select(Digest).order_by(Digest.unit)))
        s.expunge_all()
    return rows


def test_the_job_makes_and_sends_each_units_digest_once(db, job_env, smtp):
    sink, port = smtp
    scenario(db)
    recipients(db)
    env = env_with_smtp(job_env, port)
    outcome = run_job(env, "digest", now=local(MONDAY, 7))
    assert outcome.status == "ok", outcome.error
    assert outcome.summary["made"] == 2 and outcome.summary["sent"] == 2
    made = digests(db)
    assert [(d.unit, d.day, d.sent_at is not None) for d in made] == [
        (KS, MONDAY, True), (SOC, MONDAY, True)]
    assert made[0].recipients == ["ks@falun.se", "info@falun.se"]
    by_subject = {m["Subject"]: (to, m) for to, m in sink.received}
    to, message = by_subject["Uppsikt: dagsrapport för Kommunstyrelsen 2026-11-23"]
    assert sorted(to) == ["info@falun.se", "ks@falun.se"]
    assert sorted(by_subject["Uppsikt: dagsrapport för Socialförvaltningen 2026-11-23"][0]) \
        == ["info@falun.se", "soc@falun.se"]
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Frågor som inte besvarats i tid: 2" in plain and HOSTILE_TEXT in plain
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "Falu &lt;b&gt;kommun&lt;/b&gt;" in html and "<b>kommun</b>" not in html
    assert "https://uppsikt.example.se/ui/digest?day=2026-11-23" in html

    again = run_job(env, "digest", now=local(MONDAY, 9))
    assert again.summary["made"] == 0 and again.summary["sent"] == 0
    assert len(sink.received) == 2


def test_a_failed_send_is_kept_and_retried(db, job_env, smtp):
    sink, port = smtp
    setup_units(db)
    recipients(db)
    closed = env_with_smtp(job_env, free_port())  # nothing listens there
    outcome = run_job(closed, "digest", now=local(MONDAY, 7))
    assert outcome.status == "ok" and outcome.summary["failed"] == 2
    assert all(d.sent_at is None and d.send_error for d in digests(db))
    with db.transaction() as s:
        alerts = list(s.scalars(select(Alert).where(Alert.kind == "digest.send",
                                                    Alert.resolved_at.is_(None))))
        assert sorted(a.key for a in alerts) == [f"{KS}/2026-11-23", f"{SOC}/2026-11-23"]
    # The next run (here the next working day) sends both and the new day's.
    outcome = run_job(env_with_smtp(job_env, port), "digest", now=local(MONDAY + timedelta(1), 7))
    assert outcome.summary["sent"] == 4 and outcome.summary["failed"] == 0
    assert all(d.sent_at is not None and d.send_error is None for d in digests(db))
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Alert).where(
            Alert.kind == "digest.send", Alert.resolved_at.is_(None))) == 0
    assert len(sink.received) == 4


def test_without_smtp_the_digest_is_made_and_not_sent(db, job_env):
    setup_units(db)
    recipients(db)
    outcome = run_job(env_with_smtp(job_env, None), "digest", now=local(MONDAY, 7))
    assert outcome.summary["made"] == 2 and outcome.summary["smtp"] is False
    assert all(d.sent_at is None and d.send_error is None for d in digests(db))


@pytest.mark.parametrize("day", [
    date(2026, 11, 21), date(2026, 11, 22),  # a weekend
    date(2026, 6, 19), date(2026, 12, 24), date(2026, 12, 25), date(2027, 1, 1),
    date(2026, 4, 3), date(2026, 4, 6),
])
def test_no_digest_on_days_off(db, job_env, day):
    setup_units(db)
    outcome = run_job(job_env, "digest", now=local(day, 7))
    assert outcome.status == "ok" and outcome.summary["working_day"] is False
    assert digests(db) == []


def test_the_cli(db, run, smtp, database_url):
    sink, port = smtp
    scenario(db)
    assert "error:" in run("digest", "add-recipient", "--email", "not an address",
                           ok=False).stderr
    run("digest", "add-recipient", "--email", "ks@falun.se", "--unit", KS)
    dup = run("digest", "add-recipient", "--email", "ks@falun.se", "--unit", KS, ok=False)
    assert dup.returncode == 2
    run("digest", "add-recipient", "--email", "all@falun.se")
    listed = run("digest", "recipients").stdout
    assert "ks@falun.se" in listed and "all@falun.se" in listed
    shown = run("digest", "show", "--unit", KS, "--day", "2026-11-23").stdout
    assert "Uppsikt: dagsrapport för Kommunstyrelsen, måndag 2026-11-23" in shown
    assert run("digest", "show", "--unit", "Okänd", ok=False).returncode == 2
    assert run("digest", "show", "--unit", KS, "--day", "igår", ok=False).returncode == 2
    no_smtp = run("digest", "send", "--unit", KS, ok=False)
    assert no_smtp.returncode == 2 and "SMTP" in no_smtp.stderr
    with db.transaction() as s:
        all_id = s.scalar(select(DigestRecipient.id).where(DigestRecipient.unit.is_(None)))
    run("digest", "remove-recipient", str(all_id))
    assert run("digest", "remove-recipient", str(all_id), ok=False).returncode == 2

    env = {**os.environ, "UPPSIKT_DATABASE_URL": database_url,
           "UPPSIKT_SMTP_HOST": "127.0.0.1", "UPPSIKT_SMTP_PORT": str(port)}
    sent = subprocess.run([*UPPSIKT, "digest", "send", "--unit", KS, "--day", "2026-11-23"],
                          check=False, capture_output=True, text=True, env=env, timeout=60)
    assert sent.returncode == 0, sent.stderr
    [(to, message)] = sink.received
    assert to == ["ks@falun.se"]
    assert message["Subject"] == "Uppsikt: dagsrapport för Kommunstyrelsen 2026-11-23"
    [made] = digests(db)
    assert made.sent_at is not None and made.unit == KS


def test_login_and_a_refused_password_is_not_repeated(db, job_env, caplog):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"r\xc3\xa4tt"
        return AuthResult(success=ok, handled=False)

    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        setup_units(db)
        recipients(db)
        env = env_with_smtp(job_env, port)
        wrong = replace(env, settings=env.settings.model_copy(update={
            "smtp_username": "uppsikt", "smtp_password": SecretStr("fel-lösen-123")}))
        outcome = run_job(wrong, "digest", now=local(MONDAY, 7))
        assert outcome.summary["failed"] == 2 and sink.received == []
        errors = [d.send_error for d in digests(db)]
        assert all(e.startswith("SMTPAuthenticationError: 535") for e in errors)
        assert "fel-lösen-123" not in str(errors) + caplog.text
        right = replace(env, settings=env.settings.model_copy(update={
            "smtp_username": "uppsikt", "smtp_password": SecretStr("rätt")}))
        outcome = run_job(right, "digest", now=local(MONDAY, 8))
        assert outcome.summary["sent"] == 2 and len(sink.received) == 2
    finally:
        controller.stop()
