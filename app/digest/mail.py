"""The digest as an e-mail: plain text with an HTML alternative, sent over SMTP.

Everything that came from outside (page names, unit names, excerpts, alert messages) is
escaped in the HTML part by the template's autoescaping; links are built from
``public_url`` and url-quoted ids only. The SMTP password is read from its SecretStr at
login and never logged or kept in an error message.
"""

from __future__ import annotations

import base64
import re
import smtplib
import ssl
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2

from app.core.config import Settings
from app.ui.rule_texts import CATEGORY_NAMES

HERE = Path(__file__).resolve().parent
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                          autoescape=jinja2.select_autoescape(["html"]),
                          undefined=jinja2.StrictUndefined, trim_blocks=True,
                          lstrip_blocks=True, keep_trailing_newline=True)
KIND_NAMES = {"post": "inlägg", "comment": "kommentar", "reply": "svar",
              "message": "meddelande"}
STATE_NAMES = {"hidden": "dold", "removed": "borttagen"}
BY_NAMES = {"uppsikt": "av Uppsikt", "facebook": "på Facebook"}
WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(value: str) -> str:
    """Without line breaks or control characters (a header cannot hold them)."""
    return " ".join(_CONTROL.sub(" ", value).split())


def subject(content: dict[str, Any]) -> str:
    return one_line(f"Uppsikt: dagsrapport för {content['unit']} {content['day']}")


def day_name(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{WEEKDAYS[day.weekday()]} {iso}"


class Links:
    """Addresses in the UI, from the configured public address."""

    def __init__(self, public_url: str) -> None:
        self.base = public_url.rstrip("/")

    def item(self, platform_id: str) -> str:
        return f"{self.base}/ui/items/{quote(platform_id, safe='')}"

    def review(self, page_platform_id: str | None = None) -> str:
        query = f"?{urlencode({'page_id': page_platform_id})}" if page_platform_id else ""
        return f"{self.base}/ui/review{query}"

    def digest(self, day: str) -> str:
        return f"{self.base}/ui/digest?{urlencode({'day': day})}"

    def questions(self) -> str:
        return f"{self.base}/ui/questions"

    def start(self) -> str:
        return f"{self.base}/ui/"


def _context(content: dict[str, Any], public_url: str) -> dict[str, Any]:
    return {"d": content, "links": Links(public_url), "kinds": KIND_NAMES,
            "states": STATE_NAMES, "by_names": BY_NAMES, "categories": CATEGORY_NAMES,
            "day_name": day_name}


def render_text(content: dict[str, Any], public_url: str) -> str:
    return _env.get_template("digest.txt").render(_context(content, public_url))


def render_html(content: dict[str, Any], public_url: str) -> str:
    return _env.get_template("digest.html").render(_context(content, public_url))


def build_message(settings: Settings, content: dict[str, Any],
                  recipients: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject(content)
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_text(content, settings.public_url))
    message.add_alternative(render_html(content, settings.public_url), subtype="html")
    return message


def send(settings: Settings, message: EmailMessage) -> None:
    """One SMTP session: TLS from the start (smtp_ssl) or upgraded (smtp_starttls), login
    when a user name is set."""
    host = settings.smtp_host
    if not host:
        raise ValueError("no SMTP host is configured (UPPSIKT_SMTP_HOST)")
    timeout = settings.smtp_timeout_seconds
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_ssl:
        smtp = smtplib.SMTP_SSL(host, settings.smtp_port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, settings.smtp_port, timeout=timeout)
    with smtp:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=context)
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password \
                else ""
            _login(smtp, settings.smtp_username, password)
        smtp.send_message(message)


def _login(smtp: smtplib.SMTP, username: str, password: str) -> None:
    """smtplib encodes credentials as ASCII (a non-ASCII password fails, and its error
    names the character): those go as AUTH PLAIN in UTF-8 (RFC 4616) instead."""
    if username.isascii() and password.isascii():
        smtp.login(username, password)
        return
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("auth") or "PLAIN" not in smtp.esmtp_features["auth"].upper().split():
        raise smtplib.SMTPNotSupportedError("the server offers no AUTH PLAIN for a non-ASCII "
                                            "user name or password")
    token = base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode()).decode()
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def describe(exc: BaseException) -> str:
    """An SMTP failure for the record: its kind and the server's answer, nothing of ours."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        return one_line(f"{type(exc).__name__}: {exc.smtp_code} {reply}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return one_line(f"{type(exc).__name__}: {len(exc.recipients)} recipients refused")
    if isinstance(exc, smtplib.SMTPException | OSError):
        return one_line(f"{type(exc).__name__}: {exc}")
    # Anything else (an encoding error, say) could quote what it failed on: its kind only.
    return type(exc).__name__
