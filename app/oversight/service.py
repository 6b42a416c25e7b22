"""Daily oversight (uppsiktsplikt): a moderator looks over each page and signs it off.

The guidelines ask for oversight every day and answers "at the latest the next working
day". A page whose previous working day has no sign-off is shown with a warning. Working
days are Monday to Friday except Swedish public holidays and the three eves the Annual
Leave Act treats as Sundays (midsommarafton, julafton, nyårsafton; semesterlagen 7 §).

Days are Swedish dates: the caller passes ``today`` (the UI's ``today()``), so that tests
and the clock agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import record
from app.oversight.models import OversightSignoff
from app.pages.models import Page

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOTE_MAX = 1000  # the column's length


@cache
def holidays_of(year: int) -> dict[date, str]:
    """The days off in a year besides Saturdays and Sundays, with their Swedish names."""
    # include_sundays=False: the package can count every Sunday as a holiday; weekends are
    # handled by the weekday check, and the names here are the real holidays'.
    days = dict(holidays.Sweden(years=year, include_sundays=False, language="sv").items())
    midsummer_eve = next(date(year, 6, d) for d in range(19, 26)
                         if date(year, 6, d).weekday() == 4)
    days.setdefault(midsummer_eve, "Midsommarafton")
    days.setdefault(date(year, 12, 24), "Julafton")
    days.setdefault(date(year, 12, 31), "Nyårsafton")
    return days


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays_of(day.year)


def previous_working_day(day: date) -> date:
    """The last working day before ``day``."""
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def next_working_day(day: date) -> date:
    """The first working day after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def answer_due(asked_at: datetime) -> date:
    """The last day on which an answer to a question asked at ``asked_at`` is in time.

    The guidelines promise an answer "samma dag, senast nästkommande arbetsdag": the aim is
    the same day, the deadline the end of the next working day after the (Swedish) day of
    the question, whichever kind of day that was. A question on a Friday afternoon is due
    on Monday; one on a Saturday or on julafton is due the first working day after it.
    """
    if asked_at.tzinfo is None:
        raise ValueError("asked_at must be timezone-aware")
    return next_working_day(asked_at.astimezone(STOCKHOLM).date())


def sign_off(session: Session, page: Page, *, username: str, day: date,
             note: str | None = None) -> tuple[OversightSignoff, bool]:
    """Sign a page off for a day; returns the sign-off and whether it is new. A user's
    second sign-off of the same page on the same day changes nothing."""
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise ValueError(f"note longer than {NOTE_MAX} characters")
    existing = _signoff(session, page.id, day, username)
    if existing is not None:
        return existing, False
    row = OversightSignoff(page_id=page.id, day=day, signed_by=username, note=note)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # the same user, in another tab, a moment earlier
        found = _signoff(session, page.id, day, username)
        if found is None:
            raise
        return found, False
    record(session, actor=username, act="oversight.signed_off", subject_type="page",
           subject_id=page.platform_id, detail={"day": day.isoformat(), "note": bool(note)})
    return row, True


def _signoff(session: Session, page_id: int, day: date, username: str) -> OversightSignoff | None:
    return session.scalar(select(OversightSignoff).where(
        OversightSignoff.page_id == page_id, OversightSignoff.day == day,
        OversightSignoff.signed_by == username))


@dataclass(frozen=True)
class Signed:
    """A sign-off as shown: the user's name as well as their user name."""

    row: OversightSignoff
    name: str


@dataclass(frozen=True)
class PageOversight:
    page: Page
    last: Signed | None  # the latest sign-off on any day
    today: list[Signed]  # today's, oldest first
    previous_day: date  # the previous working day
    missing_previous: bool  # the page existed then and nobody signed it off
    signed_by_me: bool  # the user asking has signed it off today

    @property
    def signed_today(self) -> bool:
        return bool(self.today)


def overview(session: Session, pages: Sequence[Page], *, today: date,
             username: str) -> list[PageOversight]:
    """Each page's oversight as of ``today``, in the order given."""
    previous = previous_working_day(today)
    ids = [p.id for p in pages]
    if not ids:
        return []
    latest_ids = (select(func.max(OversightSignoff.id)).where(OversightSignoff.page_id.in_(ids))
                  .group_by(OversightSignoff.page_id))
    rows = session.scalars(select(OversightSignoff).where(
        OversightSignoff.id.in_(latest_ids)
        | (OversightSignoff.page_id.in_(ids) & OversightSignoff.day.in_([today, previous])))
        .order_by(OversightSignoff.id)).all()
    names = display_names(session, {r.signed_by for r in rows})
    latest = {r.page_id: r for r in rows}  # ordered by id: the last one wins
    out = []
    for page in pages:
        today_rows = [Signed(r, names[r.signed_by]) for r in rows
                      if r.page_id == page.id and r.day == today]
        had_previous = any(r.page_id == page.id and r.day == previous for r in rows)
        existed = page.created_at.astimezone(STOCKHOLM).date() <= previous
        last = latest.get(page.id)
        out.append(PageOversight(
            page=page, last=Signed(last, names[last.signed_by]) if last else None,
            today=today_rows, previous_day=previous,
            missing_previous=existed and not had_previous,
            signed_by_me=any(s.row.signed_by == username for s in today_rows)))
    return out


def history(session: Session, page: Page, *, limit: int = 10) -> list[Signed]:
    """A page's latest sign-offs, newest first."""
    rows = session.scalars(select(OversightSignoff).where(OversightSignoff.page_id == page.id)
                           .order_by(OversightSignoff.id.desc()).limit(limit)).all()
    names = display_names(session, {r.signed_by for r in rows})
    return [Signed(r, names[r.signed_by]) for r in rows]


def display_names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    """User names to the names people know them by (the user name when there is none)."""
    wanted = set(usernames)
    names = {u: u for u in wanted}
    if wanted:
        for username, display in session.execute(
                select(User.username, User.display_name).where(User.username.in_(wanted))):
            names[username] = display or username
    return names
