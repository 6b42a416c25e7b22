"""The service obligation: which texts are questions, their deadlines around Swedish
holidays, when the page's reply answers them, conversations in Messenger, what moderation
closes, the job's watermark, and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.audit.models import AuditEntry
from app.content.models import Item, ItemVersion
from app.content.normalise import AuthorRef
from app.content.service import upsert_author
from app.core.db import Database, utcnow
from app.jobs.runner import run_job
from app.oversight.service import STOCKHOLM, answer_due, next_working_day
from app.pages.models import Page
from app.questions import service
from app.questions.detect import looks_like_question
from app.questions.models import ServiceQuestion
from tests.conftest import FEED_PAGE, add_test_page
from tests.test_processing import comment, deliver, delivery

PAGE = FEED_PAGE
POST = f"{PAGE}_100"
PUBLIC = ("555", "Åsa Öberg")
LONG_AGO = utcnow() - timedelta(hours=1)  # recorded early enough for the watermark


def local(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=STOCKHOLM)


# --- what is a question ----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Hur bokar jag en tid?",
    "Hej! Hur gör man för att söka bygglov",
    "Hej, kan ni hjälpa mig med en ansökan",
    "När öppnar badet i sommar",
    "Vad kostar en parkeringsplats.",
    "Finns det parkering vid Lugnet",
    "Har ni öppet på lördag",
    "Är det sant att biblioteket stänger",
    "Jag undrar om tömningen är inställd",
    "Någon som vet när sophämtningen kommer",
    "Varför är gatan inte plogad",
    "Vilka tider gäller i jul",
    "Snöröjningen är sen igen？",
])
def test_questions_are_recognised(text):
    assert looks_like_question(text)


@pytest.mark.parametrize("text", [
    None, "", "Tack för informationen", "Bra jobbat!", "Vad bra!",
    "Vad fint att ni fixade det", "När jag kom dit var det stängt.",
    "Hur kul som helst!", "Läs mer på https://www.falun.se/?sida=1",
    "Var på biblioteket igår, trevligt.", "Kan inte vara enklare än så här",
])
def test_remarks_are_not_questions(text):
    assert not looks_like_question(text)


def test_every_message_from_the_public_is_a_question_but_a_thank_you():
    assert service.is_question("message", "Tack!")
    assert service.is_question("message", None)
    assert not service.is_question("message", "Tack!", follows_page_message=True)
    assert service.is_question("message", "Och när då?", follows_page_message=True)
    assert not service.is_question("comment", "Tack!")


# --- the deadline ------------------------------------------------------------------------


@pytest.mark.parametrize(("asked", "due"), [
    (local(2026, 11, 24, 9), date(2026, 11, 25)),  # an ordinary Tuesday
    (local(2026, 11, 20, 16, 30), date(2026, 11, 23)),  # Friday afternoon: Monday
    (local(2026, 11, 21, 12), date(2026, 11, 23)),  # Saturday: Monday
    (local(2026, 11, 22, 23, 59), date(2026, 11, 23)),  # late Sunday: Monday
    # 23:30 UTC on a Thursday is Friday in Sweden: due Monday, not Friday.
    (datetime(2026, 11, 19, 23, 30, tzinfo=UTC), date(2026, 11, 23)),
    (local(2026, 6, 18, 15), date(2026, 6, 22)),  # the day before midsommarafton
    (local(2026, 6, 19, 11), date(2026, 6, 22)),  # midsommarafton (Friday 19 June 2026)
    (local(2026, 12, 23, 14), date(2026, 12, 28)),  # julafton, juldagen, weekend
    (local(2026, 12, 24, 10), date(2026, 12, 28)),  # julafton
    (local(2026, 12, 26, 10), date(2026, 12, 28)),  # annandag jul (a Saturday)
    (local(2025, 12, 23, 10), date(2025, 12, 29)),  # 24-26 Dec on Wed-Fri, then weekend
    (local(2026, 12, 30, 10), date(2027, 1, 4)),  # nyårsafton, nyårsdagen, weekend
    (local(2026, 12, 31, 10), date(2027, 1, 4)),  # nyårsafton
    (local(2026, 1, 5, 10), date(2026, 1, 7)),  # trettondedag jul (Tuesday 6 Jan)
    (local(2026, 4, 2, 10), date(2026, 4, 7)),  # skärtorsdag: långfredag .. annandag påsk
    (local(2026, 4, 3, 10), date(2026, 4, 7)),  # långfredagen
    (local(2026, 4, 6, 10), date(2026, 4, 7)),  # annandag påsk
    (local(2026, 6, 5, 10), date(2026, 6, 8)),  # nationaldagen on a Saturday
])
def test_answer_due_is_the_next_working_day(asked, due):
    assert answer_due(asked) == due


def test_next_working_day_and_naive_times():
    assert next_working_day(date(2026, 5, 13)) == date(2026, 5, 15)  # Kristi himmelsfärd
    with pytest.raises(ValueError):
        answer_due(datetime(2026, 1, 1, 10))


# --- the job ------------------------------------------------------------------------------


def add(db: Database, platform_id: str, kind: str = "comment", text: str | None = "Hur?", *,
        at: datetime, by_page: bool = False, parent: str | None = POST,
        post: str | None = POST, party: str | None = None, state: str = "visible",
        page: str = PAGE, recorded: datetime | None = LONG_AGO, fetch: str = "none",
        author: tuple[str, str] | None = PUBLIC) -> int:
    """An item with one version, as the processor stores it."""
    with db.transaction() as s:
        page_row = s.scalars(select(Page).where(Page.platform_id == page)).one()
        if by_page:
            author = (page, page_row.name)
        author_id = upsert_author(s, AuthorRef(*author), at).id if author else None
        item = Item(platform_id=platform_id, page_id=page_row.id, kind=kind,
                    platform_type=kind, author_id=author_id, by_page=by_page,
                    created_time=at, first_seen_at=at, state=state, fetch_status=fetch,
                    post_platform_id=None if kind in ("message", "post") else post,
                    parent_platform_id=None if kind in ("message", "post") else parent,
                    object_platform_id=party)
        s.add(item)
        s.flush()
        s.add(ItemVersion(item_id=item.id, seq=1, text=text, media=[], content_sha256="0" * 64,
                          observed_at=at, verb="add", recorded_at=recorded or utcnow()))
        return item.id


def questions(db: Database) -> dict[str, tuple[str, date, str | None]]:
    with db.transaction() as s:
        rows = s.execute(select(Item.platform_id, ServiceQuestion.status, ServiceQuestion.due_on,
                                ServiceQuestion.answer_item_id)
                         .join(Item, Item.id == ServiceQuestion.item_id)).all()
        ids = {i: p for i, p in s.execute(select(Item.id, Item.platform_id))}
    return {p: (status, due, ids.get(answer)) for p, status, due, answer in rows}


def job(job_env, now: datetime) -> dict:
    outcome = run_job(job_env, "questions", now=now)
    assert outcome.status == "ok", outcome.error
    return outcome.summary


def audits(db: Database, act: str) -> list[AuditEntry]:
    with db.transaction() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.act == act)
                              .order_by(AuditEntry.id)))
        s.expunge_all()
    return rows


def test_a_comment_question_is_answered_by_the_pages_reply(db, job_env):
    add_test_page(db, PAGE)
    asked = local(2026, 11, 20, 15)  # Friday afternoon
    add(db, f"{POST}_1", text="Hur söker jag bygglov?", at=asked)
    add(db, f"{POST}_2", text="Fint foto!", at=asked)
    add(db, f"{POST}_3", text="Vad tycker ni?", at=asked - timedelta(hours=1),
        by_page=True)  # the page's own: never a question
    summary = job(job_env, local(2026, 11, 20, 16))
    assert questions(db) == {f"{POST}_1": ("open", date(2026, 11, 23), None)}
    assert summary["new"] == 1 and summary["open"] == 1 and summary["overdue"] == 0

    # A reply of the page to another comment answers nothing.
    add(db, f"{POST}_4", "reply", "Tack!", at=asked + timedelta(hours=1), by_page=True,
        parent=f"{POST}_2")
    job(job_env, local(2026, 11, 20, 17))
    assert questions(db)[f"{POST}_1"][0] == "open"

    add(db, f"{POST}_5", "reply", "Ansökan görs på falun.se", by_page=True,
        at=local(2026, 11, 23, 9), parent=f"{POST}_1")
    summary = job(job_env, local(2026, 11, 23, 10))
    assert questions(db)[f"{POST}_1"] == ("answered", date(2026, 11, 23), f"{POST}_5")
    assert summary["answered"] == 1 and summary["open"] == 0
    [entry] = audits(db, "question.answered")
    assert entry.subject_id == f"{POST}_1" and entry.detail["in_time"] is True
    assert "bygglov" not in json.dumps([a.detail for a in audits(db, "question.tracked")])


def test_a_reply_in_the_thread_answers_only_after_the_question(db, job_env):
    add_test_page(db, PAGE)
    top = f"{POST}_10"
    add(db, top, text="Snart stängt för säsongen.", at=local(2026, 11, 24, 8), by_page=True)
    add(db, f"{POST}_11", "reply", "Fint.", at=local(2026, 11, 24, 8, 30), parent=top)
    add(db, f"{POST}_12", "reply", "Hur länge är det öppet?", at=local(2026, 11, 24, 9),
        parent=top)
    # The page wrote in the thread before the question: that is no answer to it.
    add(db, f"{POST}_13", "reply", "Välkomna!", at=local(2026, 11, 24, 8, 45), by_page=True,
        parent=top)
    job(job_env, local(2026, 11, 24, 12))
    assert questions(db) == {f"{POST}_12": ("open", date(2026, 11, 25), None)}
    add(db, f"{POST}_14", "reply", "Till 16.", at=local(2026, 11, 24, 13), by_page=True,
        parent=top)
    job(job_env, local(2026, 11, 24, 14))
    assert questions(db)[f"{POST}_12"] == ("answered", date(2026, 11, 25), f"{POST}_14")


def test_a_page_comment_on_the_post_after_it_answers_a_top_level_question(db, job_env):
    add_test_page(db, PAGE)
    add(db, f"{POST}_20", text="Är det öppet på söndag", at=local(2026, 11, 24, 9))
    add(db, f"{POST}_21", text="Ja, 10-16.", at=local(2026, 11, 24, 8), by_page=True)
    job(job_env, local(2026, 11, 24, 10))
    assert questions(db)[f"{POST}_20"][0] == "open"
    add(db, f"{POST}_22", text="Ja, 10-16 på söndag.", at=local(2026, 11, 24, 11),
        by_page=True)
    job(job_env, local(2026, 11, 24, 12))
    assert questions(db)[f"{POST}_20"] == ("answered", date(2026, 11, 25), f"{POST}_22")


def test_messages_are_answered_in_their_conversation(db, job_env):
    add_test_page(db, PAGE)
    day = local(2026, 11, 24, 9)
    add(db, "m1", "message", "Hej, jag har fått fel faktura", at=day, party="555")
    add(db, "m2", "message", "Hej", at=day, party="777", author=("777", "Bo Ek"))
    job(job_env, day + timedelta(minutes=5))
    assert questions(db) == {"m1": ("open", date(2026, 11, 25), None),
                             "m2": ("open", date(2026, 11, 25), None)}
    # The page answers the first sender; the other conversation stays open.
    add(db, "m3", "message", "Vi kollar på det", at=day + timedelta(hours=1), by_page=True,
        party="555")
    # The sender's thanks after the answer is no new question; a new question is.
    add(db, "m4", "message", "Tack!", at=day + timedelta(hours=2), party="555")
    add(db, "m5", "message", "En sak till: när kommer den nya?", at=day + timedelta(hours=3),
        party="555")
    # A week later the same person writes again: a new question.
    add(db, "m6", "message", "Hej igen", at=local(2026, 12, 2, 9), party="555")
    job(job_env, local(2026, 12, 2, 10))
    found = questions(db)
    assert found["m1"] == ("answered", date(2026, 11, 25), "m3")
    assert found["m2"][0] == "open"
    assert "m4" not in found
    assert found["m5"] == ("open", date(2026, 11, 25), None)
    assert found["m6"] == ("open", date(2026, 12, 3), None)


def test_messages_through_the_webhook_and_the_pages_reply(client, db, processor, job_env,
                                                          graph_state):
    add_test_page(db, PAGE)
    at = int(local(2026, 11, 24, 9).timestamp())
    deliver(client, processor, delivery(comment(f"{PAGE}_100_7", message="Hur gör jag?",
                                                time=at)))
    page_reply = comment(f"{PAGE}_100_8", message="Så här.", time=at + 600,
                         parent_id=f"{PAGE}_100_7")
    page_reply["value"]["from"] = {"id": PAGE, "name": "Falu kommun"}
    job(job_env, local(2026, 11, 24, 9, 5))
    assert questions(db) == {f"{PAGE}_100_7": ("open", date(2026, 11, 25), None)}
    deliver(client, processor, delivery(page_reply))
    job(job_env, local(2026, 11, 24, 10))
    assert questions(db)[f"{PAGE}_100_7"] == ("answered", date(2026, 11, 25),
                                              f"{PAGE}_100_8")


def test_hidden_questions_are_closed_and_restored_ones_reopened(db, job_env):
    add_test_page(db, PAGE)
    at = local(2026, 11, 24, 9)
    add(db, f"{POST}_30", text="Varför svarar ni inte?", at=at)
    add(db, f"{POST}_31", text="Hur då?", at=at, state="removed")
    job(job_env, at + timedelta(hours=1))
    assert questions(db)[f"{POST}_30"][0] == "open"
    assert questions(db)[f"{POST}_31"][0] == "closed"
    with db.transaction() as s:
        s.execute(update(Item).where(Item.platform_id == f"{POST}_30").values(state="hidden"))
    summary = job(job_env, at + timedelta(hours=2))
    assert summary["closed"] == 1 and questions(db)[f"{POST}_30"][0] == "closed"
    with db.transaction() as s:
        q = s.scalar(select(ServiceQuestion).join(Item, Item.id == ServiceQuestion.item_id)
                     .where(Item.platform_id == f"{POST}_30"))
        assert (q.closed_by, q.closed_reason) == ("system", "Dold vid moderering")
        s.execute(update(Item).where(Item.platform_id == f"{POST}_30").values(state="visible"))
    summary = job(job_env, at + timedelta(hours=3))
    assert summary["reopened"] == 1 and questions(db)[f"{POST}_30"][0] == "open"


def test_overdue_questions(db, job_env):
    add_test_page(db, PAGE)
    add(db, f"{POST}_40", text="Hur?", at=local(2026, 11, 19, 9))  # due Friday 20th
    add(db, f"{POST}_41", text="Vem?", at=local(2026, 11, 20, 15))  # due Monday 23rd
    add(db, f"{POST}_42", text="Var är det?", at=local(2026, 11, 23, 8))  # due Tuesday 24th
    summary = job(job_env, local(2026, 11, 23, 9))
    assert summary["open"] == 3 and summary["overdue"] == 1
    with db.transaction() as s:
        late = service.question_views(s, units=None, overdue_before=date(2026, 11, 23))
        assert [v.item.platform_id for v in late] == [f"{POST}_40"]
        order = service.question_views(s, units=None)
        assert [v.item.platform_id for v in order] == [f"{POST}_40", f"{POST}_41",
                                                       f"{POST}_42"]
        assert service.question_views(s, units={"Annan"}) == []
        page_id = s.scalar(select(Page.id))
        assert service.overdue_counts(s, [page_id], today=date(2026, 11, 23)) == {
            page_id: (1, 1)}


def test_the_watermark_reads_each_version_once_it_has_settled(db, job_env):
    add_test_page(db, PAGE)
    at = local(2026, 11, 24, 9)
    first = add(db, f"{POST}_50", text="Hur?", at=at)
    job(job_env, at)
    with db.transaction() as s:
        v1 = s.scalar(select(ItemVersion.id).where(ItemVersion.item_id == first))
    assert service.last_watermark(db) == v1
    # Recorded just now: it may have neighbours not yet committed, so it is read again.
    fresh = add(db, f"{POST}_51", text="Vad gäller?", at=at, recorded=utcnow())
    # Text still to be fetched: held, then taken up once the text is there.
    pending = add(db, f"{POST}_52", text=None, at=at, fetch="pending")
    summary = job(job_env, at)
    with db.transaction() as s:
        v2 = s.scalar(select(ItemVersion.id).where(ItemVersion.item_id == fresh))
    assert summary["scanned"] == 2 and summary["new"] == 1
    assert service.last_watermark(db) == v2 - 1
    job(job_env, at)  # the same versions again: nothing twice
    assert len(audits(db, "question.tracked")) == 2
    with db.transaction() as s:
        s.execute(update(ItemVersion).where(ItemVersion.item_id.in_([fresh, pending]))
                  .values(recorded_at=LONG_AGO, text="Kan man boka?"))
        s.execute(update(Item).where(Item.id == pending).values(fetch_status="done"))
    summary = job(job_env, at)
    assert summary["new"] == 1 and f"{POST}_52" in questions(db)
    assert service.last_watermark(db) > v2
    assert job(job_env, at)["scanned"] == 0


def test_edits_and_old_questions(db, job_env):
    add_test_page(db, PAGE)
    at = local(2026, 11, 24, 9)
    item_id = add(db, f"{POST}_60", text="Fint.", at=at)
    add(db, f"{POST}_61", text="Hur gick det?", at=at - timedelta(days=30))  # too old
    job(job_env, at + timedelta(hours=1))
    assert questions(db) == {}
    with db.transaction() as s:
        s.add(ItemVersion(item_id=item_id, seq=2, text="Fint. Men när öppnar ni?",
                          media=[], content_sha256="1" * 64, verb="edited",
                          observed_at=local(2026, 11, 25, 9), recorded_at=LONG_AGO))
    job(job_env, local(2026, 11, 25, 10))
    assert questions(db) == {f"{POST}_60": ("open", date(2026, 11, 26), None)}


def test_closing_a_question_needs_a_reason_and_is_audited(db, job_env):
    add_test_page(db, PAGE)
    add(db, f"{POST}_70", text="Hur?", at=local(2026, 11, 24, 9))
    job(job_env, local(2026, 11, 24, 10))
    with db.transaction() as s:
        question, _item, _page = service.find_question(s, f"{POST}_70")
        for reason, by in (("  ", "anna"), ("x" * 301, "anna"), ("Retorisk", "system")):
            with pytest.raises(service.QuestionError):
                service.close_question(s, question, by=by, reason=reason)
        service.close_question(s, question, by="anna", reason="Retorisk\nfråga")
        with pytest.raises(service.QuestionError):
            service.close_question(s, question, by="anna", reason="igen")
    assert questions(db)[f"{POST}_70"][0] == "closed"
    [entry] = audits(db, "question.closed")
    assert (entry.actor, entry.subject_id) == ("anna", f"{POST}_70")
    with db.transaction() as s:
        q = s.scalar(select(ServiceQuestion))
        assert q.closed_reason == "Retorisk fråga"


def test_the_cli_lists_and_closes(db, job_env, run):
    add_test_page(db, PAGE, name="Falu <kommun>")
    add(db, f"{POST}_80", text="Hur?", at=local(2026, 11, 19, 9))
    add(db, f"{POST}_81", text="Hur?", at=datetime.now(STOCKHOLM))
    job(job_env, datetime.now(UTC))
    listed = json.loads(run("questions", "list", "--json").stdout)
    assert [(r["item_id"], r["overdue"]) for r in listed] == [(f"{POST}_80", True),
                                                             (f"{POST}_81", False)]
    overdue = json.loads(run("questions", "list", "--overdue", "--json").stdout)
    assert [r["item_id"] for r in overdue] == [f"{POST}_80"]
    assert "OVERDUE" in run("questions", "list").stdout
    bad = run("questions", "close", "nope", "--reason", "x", "--by", "anna", ok=False)
    assert bad.returncode == 2 and "no question" in bad.stderr
    bad = run("questions", "close", f"{POST}_80", "--reason", " ", "--by", "anna", ok=False)
    assert bad.returncode == 2 and "error:" in bad.stderr
    run("questions", "close", f"{POST}_80", "--reason", "Besvarad per telefon", "--by", "anna")
    assert questions(db)[f"{POST}_80"][0] == "closed"
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.act == "question.closed")) == 1
