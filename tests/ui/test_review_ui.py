"""The review queue and the item page: what moderators see and do."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.audit.service import record
from app.content.models import Author, Item, ItemStateEvent, ItemVersion
from app.core.db import Database
from app.moderation.models import Action, MediaBlob, RegistrationCase, Snapshot, SnapshotMedia
from app.pages.models import Page
from app.review import service
from app.review.models import FalsePositive, ItemNote, ReviewOutcome
from app.review.service import queue_counts
from app.rules.models import ItemDecision
from app.ui.review import excerpt, highlight
from tests.conftest import FEED_PAGE, add_test_page
from tests.test_actions import RUDE, due_now, send
from tests.test_processing import comment
from tests.ui.conftest import browser_login, csrf_of, login, screenshot, ui_user

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PAGE_A = "1001"  # Kultur- och fritidsförvaltningen
PAGE_B = "2002"  # Barn- och utbildningsförvaltningen
UNIT_A = "Kultur- och fritidsförvaltningen"
UNIT_B = "Barn- och utbildningsförvaltningen"


def page_pk(session: Session, platform_id: str) -> int:
    return session.scalars(select(Page.id).where(Page.platform_id == platform_id)).one()


def add_item(session: Session, platform_id: str, text: str, *, page: str = PAGE_A,
             at: datetime = T0, state: str = "hidden", decision: str | None = "hide",
             kind: str = "comment", matches: list[dict[str, Any]] | None = None,
             categories: list[str] | None = None, by_page: bool = False,
             author: tuple[str, str] | None = ("555", "Åsa Öberg"),
             post: str | None = None) -> Item:
    """An item with one version and, unless ``decision`` is None, the rules' decision."""
    author_row = None
    if author is not None:
        author_row = session.scalar(select(Author).where(Author.platform_id == author[0]))
        if author_row is None:
            author_row = Author(platform_id=author[0], name=author[1])
            session.add(author_row)
            session.flush()
    item = Item(platform_id=platform_id, page_id=page_pk(session, page), kind=kind,
                platform_type=kind, author_id=author_row.id if author_row else None,
                state=state, state_at=at, created_time=at, first_seen_at=at,
                by_page=by_page, post_platform_id=post or f"{page}_77",
                parent_platform_id=post or f"{page}_77")
    session.add(item)
    session.flush()
    add_version(session, item, 1, text, at, decision=decision, matches=matches,
                categories=categories)
    return item


def add_version(session: Session, item: Item, seq: int, text: str, at: datetime, *,
                decision: str | None = "hide", matches: list[dict[str, Any]] | None = None,
                categories: list[str] | None = None) -> ItemVersion:
    version = ItemVersion(item_id=item.id, seq=seq, text=text, media=[],
                          content_sha256="0" * 64, observed_at=at, recorded_at=at,
                          verb="add" if seq == 1 else "edited")
    session.add(version)
    session.flush()
    if decision is not None:
        matches = matches if matches is not None else []
        cats = categories if categories is not None else sorted(
            {m["category"] for m in matches}) or (["profanity"] if decision != "allow" else [])
        session.add(ItemDecision(
            item_id=item.id, item_version_id=version.id, decision=decision, register=False,
            observe=False, categories=cats, engine_version="1", policy_version="test",
            explanation={"decision": decision, "categories": cats, "matches": matches},
            decided_at=at))
        session.flush()
    return version


def match(text: str, word: str, category: str = "profanity", rule: str = "profanity-sv",
          term: str | None = None) -> dict[str, Any]:
    start = text.index(word)
    return {"category": category, "source": "list", "rule": rule, "version": "1",
            "term": term or word.lower(), "text": word, "start": start,
            "end": start + len(word), "how": "exact", "action": "hide"}


def two_pages(db: Database) -> None:
    add_test_page(db, PAGE_A, unit=UNIT_A, name="Kulturhuset")
    add_test_page(db, PAGE_B, unit=UNIT_B, name="Skolan")


def test_queue_counts_per_page(db):
    two_pages(db)
    with db.transaction() as s:
        a, b = page_pk(s, PAGE_A), page_pk(s, PAGE_B)
        add_item(s, "1", "dold av reglerna")  # hidden by the rules: waits
        add_item(s, "2", "bara granskning", state="visible", decision="review")  # waits
        add_item(s, "3", "helt okej", state="visible", decision="allow")  # allowed
        add_item(s, "4", "dold på Facebook", decision=None)  # hidden by a person: waits
        handled = add_item(s, "5", "redan granskad")
        add_item(s, "6", "sidans eget", by_page=True)  # the page's own: not reviewed
        add_item(s, "7", "ett meddelande", kind="message", state="visible")
        add_item(s, "8", "annan förvaltning", page=PAGE_B, decision="delete",
                 state="removed")
        decision_id = s.scalar(select(ItemDecision.id).where(
            ItemDecision.item_id == handled.id))
        s.add(ReviewOutcome(item_id=handled.id, item_decision_id=decision_id,
                            outcome="kept", handled_by="moa"))
    with db.transaction() as s:
        assert queue_counts(s, [a, b]) == {a: 3, b: 1}
        assert queue_counts(s, [b]) == {b: 1}
        assert queue_counts(s, []) == {}


def test_new_decision_puts_a_handled_item_back(db):
    two_pages(db)
    with db.transaction() as s:
        a = page_pk(s, PAGE_A)
        item = add_item(s, "1", "dumt ord")
        decision_id = s.scalar(select(ItemDecision.id).where(ItemDecision.item_id == item.id))
        s.add(ReviewOutcome(item_id=item.id, item_decision_id=decision_id, outcome="kept",
                            handled_by="moa"))
    with db.transaction() as s:
        assert queue_counts(s, [a]) == {a: 0}
        item = s.scalars(select(Item)).one()
        add_version(s, item, 2, "ännu dummare ord", T0 + timedelta(hours=1))
    with db.transaction() as s:
        assert queue_counts(s, [a]) == {a: 1}


# --- the web UI -----------------------------------------------------------------------

HOSTILE = ('Titta <script>alert(1)</script> och <img src=x onerror=alert(1)> '
           '<a href="javascript:alert(1)">klicka</a> javascript:alert(1) fan')
DUMT = "Det här är ett dumt inlägg, fan vad dåligt"


PEOPLE = {"mod_a": ("moderator", UNIT_A, "moa"), "mod_b": ("moderator", UNIT_B, "bo"),
          "info": ("information_officer", None, "ida"), "auditor": ("auditor", None, "gun"),
          "registrar": ("registrar", None, "rut")}


class People(dict[str, str]):
    """The users of a test, each made when first asked for (password hashing is slow)."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    def __missing__(self, key: str) -> str:
        role, unit, username = PEOPLE[key]
        self[key] = ui_user(self.db, role, unit=unit, username=username)
        return self[key]


def hidden_comment(db: Database, platform_id: str = f"{PAGE_A}_77_1", text: str = DUMT, *,
                   page: str = PAGE_A, at: datetime = T0, word: str = "fan",
                   **kwargs: Any) -> str:
    with db.transaction() as s:
        add_item(s, platform_id, text, page=page, at=at, matches=[match(text, word)],
                 **kwargs)
    return platform_id


def get_csrf(client: Any, url: str = "/ui/review") -> str:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return csrf_of(r.text)


def seen_of(db: Database, platform_id: str) -> str:
    with db.transaction() as s:
        decision = service.latest_decision(s, s.scalars(
            select(Item).where(Item.platform_id == platform_id)).one())
        return str(decision.id) if decision else ""


def act(client: Any, db: Database, platform_id: str, verb: str, *, csrf: str | None,
        back: str = "/ui/review", **extra: str) -> Any:
    data = {"back": back, "seen": seen_of(db, platform_id), **extra}
    if csrf is not None:
        data["csrf"] = csrf
    return client.post(f"/ui/items/{platform_id}/{verb}", data=data)


def counts(db: Database) -> dict[str, int]:
    """How many rows each table a review act writes to has."""
    with db.transaction() as s:
        return {model.__name__: s.scalar(select(func.count()).select_from(model)) or 0
                for model in (Action, ReviewOutcome, FalsePositive, ItemNote, AuditEntry,
                              RegistrationCase, Snapshot)}


def audited(db: Database, act_name: str) -> list[AuditEntry]:
    with db.transaction() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.act == act_name)))


def waiting(db: Database, page: str = PAGE_A) -> int:
    with db.transaction() as s:
        pk = page_pk(s, page)
        return queue_counts(s, [pk])[pk]


def test_the_queue_shows_what_waits_and_nothing_else(ui, db):
    two_pages(db)
    who = People(db)
    with db.transaction() as s:
        add_item(s, "1001_77_1", "gammal dold kommentar fan", at=T0,
                 matches=[match("gammal dold kommentar fan", "fan")])
        add_item(s, "1001_77_2", "ny kommentar att granska", at=T0 + timedelta(hours=2),
                 state="visible", decision="review")
        add_item(s, "1001_77_3", "helt vanlig tillåten kommentar", state="visible",
                 decision="allow")
        add_item(s, "1001_77_4", "dold av en administratör", decision=None,
                 at=T0 + timedelta(hours=1))
        done = add_item(s, "1001_77_5", "redan granskad kommentar")
        s.add(ReviewOutcome(item_id=done.id, item_decision_id=s.scalar(
            select(ItemDecision.id).where(ItemDecision.item_id == done.id)),
            outcome="kept", handled_by="moa"))
        add_item(s, "1001_77_6", "sidans eget inlägg", by_page=True)
        add_item(s, "2002_77_1", "skolans dolda kommentar", page=PAGE_B)
    login(ui, who["mod_a"])
    html = ui.get("/ui/review").text
    for shown in ("ny kommentar att granska", "dold av en administratör", "gammal dold"):
        assert shown in html
    for not_shown in ("tillåten kommentar", "redan granskad", "sidans eget", "skolans"):
        assert not_shown not in html
    # Newest first (by the latest version).
    assert html.index("ny kommentar") < html.index("dold av en administratör") \
        < html.index("gammal dold")
    assert "3 väntar på granskning." in html
    # Information officers see every unit's pages; so do auditors.
    for role in ("info", "auditor"):
        login(ui, who[role])
        html = ui.get("/ui/review").text
        assert "skolans dolda kommentar" in html and "ny kommentar att granska" in html
        assert "4 väntar på granskning." in html


def test_the_queue_row_has_sender_post_and_link_and_the_word_marked(ui, db):
    two_pages(db)
    who = People(db)
    with db.transaction() as s:
        add_item(s, f"{PAGE_A}_77", "Sommarens konserter i parken", kind="post",
                 state="visible", decision=None, author=None)
    hidden_comment(db, post=f"{PAGE_A}_77")
    login(ui, who["mod_a"])
    html = ui.get("/ui/review").text
    assert "Det här är ett dumt inlägg, <mark>fan</mark> vad dåligt" in html
    assert "Åsa Öberg" in html
    assert "Sommarens konserter i parken" in html
    assert 'href="https://www.facebook.com/1001_77?comment_id=1"' in html
    assert "Svordomar" in html  # the category badge


def test_a_long_text_is_shortened_with_a_way_to_all_of_it(ui, db):
    two_pages(db)
    who = People(db)
    text = "början " + "ord " * 300 + "fan" + " slut" * 50
    hidden_comment(db, text=text)
    login(ui, who["mod_a"])
    html = ui.get("/ui/review").text
    assert "<mark>fan</mark>" in html  # the window is around the first match
    assert "början" not in html and "Visa hela texten" in html
    assert text in ui.get(f"/ui/items/{PAGE_A}_77_1").text.replace("<mark>fan</mark>", "fan")


def test_queue_filters_by_page_category_and_state(ui, db):
    two_pages(db)
    who = People(db)
    with db.transaction() as s:
        add_item(s, "1001_1", "zebra svordom", matches=[
            match("zebra svordom", "svordom")])
        add_item(s, "1001_2", "giraff länk", state="visible", decision="review",
                 matches=[match("giraff länk", "länk", category="spam",
                                rule="links")])
        add_item(s, "2002_1", "kamel svordom", page=PAGE_B,
                 matches=[match("kamel svordom", "svordom")])
    login(ui, who["info"])

    def shown(**params: str) -> set[str]:
        r = ui.get("/ui/review", params=params)
        assert r.status_code == 200, r.text
        return {t for t in ("zebra", "giraff", "kamel") if t in r.text}

    assert shown() == {"zebra", "giraff", "kamel"}
    assert shown(page_id=PAGE_B) == {"kamel"}
    assert shown(category="spam") == {"giraff"}
    assert shown(category="profanity") == {"zebra", "kamel"}
    assert shown(state="visible") == {"giraff"}
    assert shown(state="hidden", page_id=PAGE_A) == {"zebra"}
    assert shown(page_id="", category="", state="") == {"zebra", "giraff", "kamel"}
    assert ui.get("/ui/review", params={"category": "nonsense"}).status_code == 422
    assert ui.get("/ui/review", params={"state": "blocked'--"}).status_code == 422
    # A moderator asking for another unit's page gets nothing of it.
    login(ui, who["mod_a"])
    assert shown(page_id=PAGE_B) == set()


def test_the_queue_is_paged_fifty_at_a_time(ui, db):
    two_pages(db)
    who = People(db)
    with db.transaction() as s:
        for n in range(51):
            add_item(s, f"1001_9_{n}", f"kommentar nummer {n:02d} fan",
                     at=T0 + timedelta(minutes=n),
                     matches=[match(f"kommentar nummer {n:02d} fan", "fan")])
    login(ui, who["mod_a"])
    first = ui.get("/ui/review").text
    assert first.count('class="comment"') == 50
    assert "kommentar nummer 50" in first and "kommentar nummer 00" not in first
    assert 'href="/ui/review?offset=50"' in first
    second = ui.get("/ui/review?offset=50").text
    assert second.count('class="comment"') == 1 and "kommentar nummer 00" in second
    assert 'href="/ui/review"' in second and "offset=100" not in second


def test_registrars_may_not_see_the_queue(ui, db):
    two_pages(db)
    who = People(db)
    item = hidden_comment(db)
    login(ui, who["registrar"])
    assert ui.get("/ui/review").status_code == 403
    assert ui.get("/ui/review/false-positives").status_code == 403
    # The item page they may read (the registrar's own cases link to it), without buttons.
    r = ui.get(f"/ui/items/{item}")
    assert r.status_code == 200 and "/restore" not in r.text
    before = counts(db)
    assert act(ui, db, item, "restore", csrf=csrf_of(r.text)).status_code == 403
    assert counts(db) == before


def test_auditors_see_the_queue_without_buttons_and_cannot_act(ui, db):
    two_pages(db)
    who = People(db)
    item = hidden_comment(db)
    login(ui, who["auditor"])
    html = ui.get("/ui/review").text
    assert "dumt inlägg" in html
    assert "<button" not in html.split("<main", 1)[1].replace(
        '<button type="submit">Visa</button>', "")
    page_html = ui.get(f"/ui/items/{item}").text
    for verb in ("restore", "delete", "keep", "secret", "false-positive", "notes"):
        assert f"/{verb}" not in page_html
    token = csrf_of(page_html)
    before = counts(db)
    for verb in ("restore", "delete", "keep", "secret", "false-positive"):
        assert act(ui, db, item, verb, csrf=token).status_code == 403
    assert ui.post(f"/ui/items/{item}/notes",
                   data={"csrf": token, "text": "hej"}).status_code == 403
    assert counts(db) == before
    assert waiting(db) == 1


def test_a_moderator_restores_a_hidden_comment(ui, db):
    two_pages(db)
    who = People(db)
    item = hidden_comment(db)
    other = hidden_comment(db, f"{PAGE_A}_77_2", "en annan kommentar med fan")
    login(ui, who["mod_a"])
    token = get_csrf(ui)
    r = act(ui, db, item, "restore", csrf=token, back="/ui/review?state=hidden")
    assert r.status_code == 303
    assert r.headers["location"] == f"/ui/review?state=hidden&klart=restored&kommentar={item}"
    with db.transaction() as s:
        action = s.scalars(select(Action)).one()
        assert (action.kind, action.status, action.requested_by) == ("unhide", "pending", "moa")
        outcome = s.scalars(select(ReviewOutcome)).one()
        assert (outcome.outcome, outcome.handled_by) == ("restored", "moa")
    entry = audited(db, "review.restored")
    assert [(e.actor, e.subject_id) for e in entry] == [("moa", item)]
    assert [e.actor for e in audited(db, "action.requested")] == ["moa"]
    html = ui.get(r.headers["location"]).text
    assert f"Kommentaren {item} återställs på Facebook" in html
    assert "dumt inlägg" not in html and "en annan kommentar" in html
    assert waiting(db) == 1
    # The item page shows the action and who asked for it.
    page_html = ui.get(f"/ui/items/{item}").text
    assert "Återställ" in page_html and "Väntar" in page_html and "moa" in page_html
    # A restore is on its way: no second one.
    assert f'action="/ui/items/{item}/restore"' not in page_html
    assert f'action="/ui/items/{other}/restore"' in ui.get("/ui/review").text
    before = counts(db)
    r = act(ui, db, item, "restore", csrf=token)
    assert r.status_code == 409 and "kan inte återställas nu" in r.text
    assert counts(db) == before


def test_a_moderator_confirms_a_deletion(ui, db):
    two_pages(db)
    who = People(db)
    item = hidden_comment(db)
    login(ui, who["mod_a"])
    r = act(ui, db, item, "delete", csrf=get_csrf(ui), back=f"/ui/items/{item}")
    assert r.status_code == 303
    assert r.headers["location"] == f"/ui/items/{item}?klart=deleted&kommentar={item}"
    with db.transaction() as s:
        assert [(a.kind, a.requested_by) for a in s.scalars(select(Action))] == [
            ("delete", "moa")]
        assert s.scalars(select(ReviewOutcome.outcome)).all() == ["deleted"]
    assert [e.actor for e in audited(db, "review.deleted")] == ["moa"]
    assert "tas bort från Facebook" in ui.get(r.headers["location"]).text
    assert waiting(db) == 0


def test_keep_hidden_settles_the_item_without_asking_facebook(ui, db):
    two_pages(db)
    who = People(db)
    item = hidden_comment(db)
    login(ui, who["mod_a"])
    r = act(ui, db, item, "keep", csrf=get_csrf(ui))
    assert r.status_code == 303
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Action)) == 0
        assert s.scalars(select(ReviewOutcome.outcome)).all() == ["kept"]
    assert [e.detail["state"] for e in audited(db, "review.kept")] == ["hidden"]
    assert waiting(db) == 0
    assert "granskad och lämnas som den är" in ui.get(r.headers["location"]).text
    # Nothing waits any more, so keeping again is refused.
    assert act(ui, db, item, "keep", csrf=get_csrf(ui)).status_code == 409


def test_marking_secret_sends_to_the_registrar_and_hides(ui, db, settings):
    two_pages(db)
    who = People(db)
    with db.transaction() as s:
        add_item(s, "1001_77_9", "Min granne Sven har LSS-beslut", state="visible",
                 decision="review")
    login(ui, who["mod_a"])
    r = act(ui, db, "1001_77_9", "secret", csrf=get_csrf(ui))
    assert r.status_code == 303
    with db.transaction() as s:
        case = s.scalars(select(RegistrationCase)).one()
        assert (case.secret, case.source, case.requested_by, case.status) == (
            True, "moderator", "moa", "pending")
        assert [(a.kind, a.requested_by) for a in s.scalars(select(Action))] == [
            ("hide", "moa")]
    assert [e.actor for e in audited(db, "review.secret")] == ["moa"]
    assert [e.actor for e in audited(db, "registration.queued")] == ["moa"]
    assert waiting(db) == 0
    # From now on the text is the registrar's: the moderator no longer sees it.
    html = ui.get("/ui/items/1001_77_9").text
    assert "LSS-beslut" not in html and "Texten visas bara för registrator" in html
    # The case is named, but not linked: the registration pages are not the moderator's.
    assert "Ärende " in html and '/ui/registration/' not in html
    media_id = add_media(db, settings, "1001_77_9", png(), "image/png")
    assert ui.get(f"/ui/items/1001_77_9/media/{media_id}").status_code == 404
    assert "<img" not in ui.get("/ui/items/1001_77_9").text
    login(ui, who["info"])
    html = ui.get("/ui/items/1001_77_9").text
    assert "LSS-beslut" in html and re.search(r'href="/ui/registration/\d+"', html)
    assert ui.get(f"/ui/items/1001_77_9/media/{media_id}").status_code == 200


def test_a_false_positive_counts_against_each_rule_and_restores(ui, db):
    two_pages(db)
    who = People(db)
    text = "Vilken jävla bra konsert, skitbra"
    hidden_comment(db, f"{PAGE_A}_77_1", text, word="jävla")
    with db.transaction() as s:
        item = s.scalars(select(Item)).one()
        decision = s.scalars(select(ItemDecision)).one()
        decision.explanation = {"matches": [match(text, "jävla"),
                                            match(text, "skit", term="skit*")]}
    hidden_comment(db, f"{PAGE_A}_77_2", "jävla fin dag", word="jävla")
    hidden_comment(db, f"{PAGE_B}_77_3", "jävla skola", page=PAGE_B, word="jävla")
    login(ui, who["mod_a"])
    r = act(ui, db, f"{PAGE_A}_77_1", "false-positive", csrf=get_csrf(ui))
    assert r.status_code == 303
    assert "klart=false_positive_restored" in r.headers["location"]
    with db.transaction() as s:
        marks = s.scalars(select(FalsePositive).order_by(FalsePositive.id)).all()
        assert [(m.rule, m.term, m.marked_by, m.item_id) for m in marks] == [
            ("profanity-sv", "jävla", "moa", item.id), ("profanity-sv", "skit*", "moa", item.id)]
        assert [(a.kind, a.requested_by) for a in s.scalars(select(Action))] == [
            ("unhide", "moa")]
        assert s.scalars(select(ReviewOutcome.outcome)).all() == ["false_positive"]
    assert [e.detail["matches"] for e in audited(db, "review.false_positive")] == [2]
    assert act(ui, db, f"{PAGE_A}_77_2", "false-positive",
               csrf=get_csrf(ui)).status_code == 303
    login(ui, who["mod_b"])
    assert act(ui, db, f"{PAGE_B}_77_3", "false-positive",
               csrf=get_csrf(ui)).status_code == 303

    def rows(html: str) -> list[tuple[str, str, str]]:
        body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        cells = [re.findall(r"<td>(.*?)</td>", row) for row in body.split("<tr>")[1:]]
        return [(c[0], c[1], c[3]) for c in cells]

    # Moderators count their own unit's marks; information officers and auditors all.
    assert rows(ui.get("/ui/review/false-positives").text) == [("profanity-sv", "jävla", "1")]
    login(ui, who["mod_a"])
    assert rows(ui.get("/ui/review/false-positives").text) == [
        ("profanity-sv", "jävla", "2"), ("profanity-sv", "skit*", "1")]
    for role in ("info", "auditor"):
        login(ui, who[role])
        assert rows(ui.get("/ui/review/false-positives").text) == [
            ("profanity-sv", "jävla", "3"), ("profanity-sv", "skit*", "1")]
        assert rows(ui.get("/ui/review/false-positives", params={"page_id": PAGE_B}).text) \
            == [("profanity-sv", "jävla", "1")]


def test_a_note_is_kept_with_the_item(ui, db):
    two_pages(db)
    who = People(db)
    item = hidden_comment(db)
    login(ui, who["mod_a"])
    token = get_csrf(ui, f"/ui/items/{item}")
    r = ui.post(f"/ui/items/{item}/notes", data={
        "csrf": token, "back": f"/ui/items/{item}",
        "text": "Polisanmält. <script>alert(1)</script>"})
    assert r.status_code == 303
    with db.transaction() as s:
        note = s.scalars(select(ItemNote)).one()
        assert (note.created_by, note.text) == ("moa", "Polisanmält. <script>alert(1)</script>")
    assert [e.actor for e in audited(db, "review.note")] == ["moa"]
    html = ui.get(r.headers["location"]).text
    assert "Anteckningen är sparad." in html
    assert "Polisanmält. &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert waiting(db) == 1  # a note is not a verdict
    assert ui.post(f"/ui/items/{item}/notes",
                   data={"csrf": token, "text": "   "}).status_code == 422


def test_every_act_without_the_csrf_token_is_refused(ui, db):
    two_pages(db)
    who = People(db)
    item = hidden_comment(db)
    login(ui, who["mod_a"])
    token = get_csrf(ui)
    before = counts(db)
    for verb in ("restore", "delete", "keep", "secret", "false-positive"):
        assert act(ui, db, item, verb, csrf=None).status_code == 403
        assert act(ui, db, item, verb, csrf="not-the-token").status_code == 403
        r = ui.post(f"/ui/items/{item}/{verb}", data={"csrf": token, "seen": seen_of(db, item)},
                    headers={"Origin": "https://evil.example"})
        assert r.status_code == 403
    assert ui.post(f"/ui/items/{item}/notes", data={"text": "hej"}).status_code == 403
    assert counts(db) == before
    assert waiting(db) == 1


def test_another_units_items_are_not_found(ui, db, settings):
    two_pages(db)
    who = People(db)
    item = hidden_comment(db)
    media_id = add_media(db, settings, item, b"\x89PNG\r\n\x1a\n fake", "image/png")
    login(ui, who["mod_b"])
    token = get_csrf(ui)
    missing = ui.get("/ui/items/1001_77_404")
    assert missing.status_code == 404
    r = ui.get(f"/ui/items/{item}")
    assert r.status_code == 404
    assert r.text.replace(item, "?") == missing.text.replace("1001_77_404", "?")
    assert "dumt" not in r.text
    assert ui.get(f"/ui/items/{item}/media/{media_id}").status_code == 404
    assert "dumt" not in ui.get("/ui/review").text
    before = counts(db)
    for verb in ("restore", "delete", "keep", "secret", "false-positive"):
        assert act(ui, db, item, verb, csrf=token).status_code == 404
    assert ui.post(f"/ui/items/{item}/notes",
                   data={"csrf": token, "text": "hej"}).status_code == 404
    assert counts(db) == before
    # The same moderator's own unit works, so the 404 above is the unit's doing.
    login(ui, who["mod_a"])
    assert ui.get(f"/ui/items/{item}/media/{media_id}").status_code == 200


def test_hostile_text_is_inert_in_the_queue_and_on_the_item_page(ui, db):
    two_pages(db)
    who = People(db)
    # The match spans the script tag itself and the javascript: link.
    start = HOSTILE.index("<script>")
    spanning = {**match(HOSTILE, "fan"), "start": start, "end": start + 20}
    link = match(HOSTILE, "javascript:alert(1)", category="spam", rule="links")
    with db.transaction() as s:
        add_item(s, f"{PAGE_A}_77_1", HOSTILE, matches=[spanning, link, match(HOSTILE, "fan")],
                 author=("666", "<img src=x onerror=alert(2)>"))
        s.add(ItemNote(item_id=s.scalars(select(Item.id)).one(), created_by="moa",
                       text='<a href="javascript:alert(3)">x</a>'))
    login(ui, who["mod_a"])
    for url in ("/ui/review", f"/ui/items/{PAGE_A}_77_1"):
        html = ui.get(url).text
        assert "<script>alert" not in html
        assert "<img src=x" not in html and "onerror=alert" not in html.replace(
            "onerror=alert(1)&gt;", "").replace("onerror=alert(2)&gt;", "")
        assert 'href="javascript:' not in html and "href='javascript:" not in html
        assert "<mark>&lt;script&gt;alert(1)&lt;/sc</mark>" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "&lt;img src=x onerror=alert(2)&gt;" in html  # the sender's name
        assert "<mark>fan</mark>" in html
    assert "&lt;a href=&#34;javascript:alert(3)&#34;&gt;" in ui.get(
        f"/ui/items/{PAGE_A}_77_1").text


def test_highlight_escapes_every_piece():
    text = "a<b>c & d"
    assert str(highlight(text, [(1, 4)])) == "a<mark>&lt;b&gt;</mark>c &amp; d"
    assert str(highlight(text, [])) == "a&lt;b&gt;c &amp; d"
    assert service.spans_of([{"start": 0, "end": 3}, {"start": 2, "end": 5},
                             {"start": 7, "end": 99}, {"start": "1", "end": 2},
                             {"start": None, "end": None}], 9) == [(0, 5)]
    body, cut = excerpt("x" * 1000 + "fan" + "y" * 1000, [(1000, 1003)], limit=100)
    assert cut and "<mark>fan</mark>" in body and str(body).startswith("…")


def add_media(db: Database, settings: Any, platform_id: str, data: bytes, mime: str,
              *, path: str | None = None) -> int:
    """A preserved media file of the item (a snapshot with one stored file)."""
    digest = hashlib.sha256(data + mime.encode()).hexdigest()
    relative = path or f"{digest[:2]}/{digest}"
    if path is None:
        target = Path(settings.media_dir) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    with db.transaction() as s:
        item = s.scalars(select(Item).where(Item.platform_id == platform_id)).one()
        version = s.scalars(select(ItemVersion).where(ItemVersion.item_id == item.id)).first()
        snap = Snapshot(item_id=item.id, item_version_id=version.id, reason="decision",
                        taken_by="system", item_platform_id=platform_id,
                        page_platform_id=PAGE_A, observed_at=T0, text=version.text,
                        sha256="0" * 64, media_count=1)
        s.add(snap)
        if s.get(MediaBlob, digest) is None:
            s.add(MediaBlob(sha256=digest, size=len(data), mime=mime, path=relative))
        s.flush()
        media = SnapshotMedia(snapshot_id=snap.id, position=0, kind="photo",
                              url="https://example.invalid/x", status="stored",
                              blob_sha256=digest)
        s.add(media)
        s.flush()
        return media.id


def test_media_inline_only_for_raster_images(ui, db, settings):
    two_pages(db)
    who = People(db)
    item = hidden_comment(db)
    png = add_media(db, settings, item, b"\x89PNG\r\n\x1a\n not really", "image/png")
    svg = add_media(db, settings, item, b"<svg onload=alert(1)></svg>", "image/svg+xml")
    video = add_media(db, settings, item, b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    unknown = add_media(db, settings, item, b"<html><script>alert(1)</script>", "")
    escape_root = add_media(db, settings, item, b"x", "image/png", path="../../etc/passwd")
    login(ui, who["mod_a"])
    r = ui.get(f"/ui/items/{item}/media/{png}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "attachment" not in r.headers.get("content-disposition", "")
    assert r.headers["cache-control"] == "no-store"
    for media_id in (svg, video, unknown):
        r = ui.get(f"/ui/items/{item}/media/{media_id}")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/octet-stream"
        assert r.headers["content-disposition"].startswith("attachment")
        assert r.headers["x-content-type-options"] == "nosniff"
    assert ui.get(f"/ui/items/{item}/media/{escape_root}").status_code == 404
    assert ui.get(f"/ui/items/{item}/media/999999").status_code == 404
    html = ui.get(f"/ui/items/{item}").text
    assert re.findall(r'<img src="([^"]+)"', html) == [
        f"/ui/items/{item}/media/{n}" for n in (png, escape_root)]
    assert f'href="/ui/items/{item}/media/{svg}" download' in html
    # A file of another item is not served under this one.
    other = hidden_comment(db, f"{PAGE_A}_77_2")
    assert ui.get(f"/ui/items/{other}/media/{png}").status_code == 404


def test_the_item_page_tells_the_whole_story(ui, db):
    two_pages(db)
    who = People(db)
    with db.transaction() as s:
        item = add_item(s, "1001_77_1", "första versionen fan",
                        matches=[match("första versionen fan", "fan")])
        add_version(s, item, 2, "andra versionen utan svordom", T0 + timedelta(hours=1),
                    decision="allow")
        s.add(ItemStateEvent(item_id=item.id, verb="hide", state="hidden", occurred_at=T0,
                             source="uppsikt"))
        version = s.scalars(select(ItemVersion).where(ItemVersion.seq == 1)).one()
        snap = Snapshot(item_id=item.id, item_version_id=version.id, reason="decision",
                        taken_by="system", item_platform_id=item.platform_id,
                        page_platform_id=PAGE_A, observed_at=T0, text=version.text,
                        sha256="0" * 64)
        s.add(snap)
        s.flush()
        s.add(Action(snapshot_id=snap.id, item_id=item.id, page_id=item.page_id, kind="hide",
                     status="failed", requested_by="system", reason="rules: profanity",
                     last_error="(#10) Permission denied"))
        s.add(RegistrationCase(item_id=item.id, snapshot_id=snap.id, status="pending",
                               source="rules", secret=False, reason="test"))
        s.add(ItemNote(item_id=item.id, text="Ring kommunikationschefen", created_by="ida"))
        record(s, actor="system", act="decision", subject_type="item",
               subject_id="1001_77_1", detail={"version": 1, "decision": "hide"})
        record(s, actor="system", act="decision", subject_type="item",
               subject_id="1001_77_999", detail={"version": 1, "decision": "other item"})
    login(ui, who["mod_a"])
    html = ui.get("/ui/items/1001_77_1").text
    assert "första versionen <mark>fan</mark>" in html
    assert "andra versionen utan svordom" in html
    assert "Version 2" in html and "Version 1" in html
    assert "Misslyckades" in html and "(#10) Permission denied" in html
    assert "Uppsikt (reglerna)" in html
    assert "Ärende " in html and not re.search(r'href="/ui/registration/\d+"', html)
    assert "Ring kommunikationschefen" in html
    assert "&#34;decision&#34;: &#34;hide&#34;" in html and "other item" not in html
    assert "Kulturhuset" in html and "Åsa Öberg" in html
    # The rules' latest decision allows the second version: the item is hidden, though,
    # so it still waits, and the form carries the decision it was shown for.
    assert "Väntar i granskningskön" in html


def test_a_form_for_an_older_version_is_refused(ui, db):
    two_pages(db)
    who = People(db)
    item = hidden_comment(db)
    login(ui, who["mod_a"])
    token = get_csrf(ui)
    stale = seen_of(db, item)
    with db.transaction() as s:
        add_version(s, s.scalars(select(Item)).one(), 2, "ännu värre fan fan",
                    T0 + timedelta(hours=1))
    before = counts(db)
    r = ui.post(f"/ui/items/{item}/restore", data={"csrf": token, "seen": stale})
    assert r.status_code == 409 and "har ändrats" in r.text
    assert counts(db) == before


def test_information_officers_act_on_every_unit(ui, db):
    two_pages(db)
    who = People(db)
    item = hidden_comment(db, f"{PAGE_B}_77_1", page=PAGE_B)
    login(ui, who["info"])
    assert act(ui, db, item, "keep", csrf=get_csrf(ui)).status_code == 303
    assert [e.actor for e in audited(db, "review.kept")] == ["ida"]


def png(width: int = 240, height: int = 160) -> bytes:
    """A small real PNG: a blue sky over green grass."""
    rows = b"".join(b"\x00" + (b"\x5b\x9b\xd5" if y < height * 0.6 else b"\x3a\x8a\x3f") * width
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def test_a_moderator_reviews_in_the_browser(live_server, db, page, settings):
    two_pages(db)
    name = ui_user(db, "moderator", unit=UNIT_A, username="moa", display_name="Moa Lind")
    with db.transaction() as s:
        add_item(s, f"{PAGE_A}_77", "Välkommen till sommarens konserter i Folkparken! "
                 "Programmet finns på kommunens webbplats.", kind="post", state="visible",
                 decision=None, author=None, at=T0 - timedelta(days=1))
        text = "Vilken jävla skitkonsert, arrangörerna borde skämmas"
        item = add_item(s, f"{PAGE_A}_77_1", text, post=f"{PAGE_A}_77",
                        matches=[match(text, "jävla"), match(text, "skit", term="skit*")],
                        at=T0 + timedelta(hours=3))
        add_item(s, f"{PAGE_A}_77_2", "Köp billiga solglasögon på http://rea-glas.example "
                 "innan det tar slut!!", post=f"{PAGE_A}_77", author=("556", "Rea Glas"),
                 matches=[match("Köp billiga solglasögon på http://rea-glas.example innan "
                                "det tar slut!!", "http://rea-glas.example", category="spam",
                                rule="links", term="unknown shortener")],
                 at=T0 + timedelta(hours=2))
        add_item(s, f"{PAGE_A}_77_3", "Finns det parkering vid scenen? Och hur dags börjar "
                 "det på lördag?", post=f"{PAGE_A}_77", state="visible", decision="review",
                 author=("557", "Per Persson"), at=T0 + timedelta(hours=1), categories=[
                     "copyright"])
        s.add(ItemStateEvent(item_id=item.id, verb="hide", state="hidden",
                             occurred_at=T0 + timedelta(hours=3, seconds=20), source="uppsikt"))
        s.add(ItemNote(item_id=item.id, created_by="ida",
                       text="Samma person skrev liknande förra veckan."))
        record(s, actor="system", act="decision", subject_type="item",
               subject_id=item.platform_id, detail={"version": 1, "decision": "hide",
                                                    "categories": ["profanity"]})
    add_media(db, settings, f"{PAGE_A}_77_1", png(), "image/png")

    browser_login(page, live_server, name)
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link",
                                                                 name="Granskning").click()
    page.wait_for_url("**/ui/review")
    row = page.locator(f"#rad-{PAGE_A}_77_1")
    assert row.locator("mark").first.inner_text() == "jävla"
    assert [m.inner_text() for m in row.locator("mark").all()] == ["jävla", "skit"]
    screenshot(page, "10-review-queue")

    row.get_by_role("link", name="Öppna").click()
    page.wait_for_url(f"**/ui/items/{PAGE_A}_77_1")
    assert page.get_by_role("heading", name=f"Kommentar {PAGE_A}_77_1").is_visible()
    assert page.locator("img").first.evaluate("img => img.naturalWidth") == 240
    screenshot(page, "11-item-page")

    page.go_back()
    row = page.locator(f"#rad-{PAGE_A}_77_1")
    row.get_by_role("button", name="Återställ").click()
    page.wait_for_url("**/ui/review?klart=restored*")
    assert page.get_by_role("status").inner_text().startswith(
        f"Kommentaren {PAGE_A}_77_1 återställs på Facebook")
    assert page.locator(f"#rad-{PAGE_A}_77_1").count() == 0
    assert page.locator(f"#rad-{PAGE_A}_77_2").count() == 1
    screenshot(page, "12-review-restored")

    page.goto(f"{live_server}/ui/items/{PAGE_A}_77_1")
    assert page.get_by_text("Väntar inte på granskning").is_visible()
    screenshot(page, "13-item-after-restore")

    page.goto(f"{live_server}/ui/review")
    page.locator(f"#rad-{PAGE_A}_77_2").get_by_role("button", name="Felaktig träff").click()
    page.wait_for_url("**/ui/review?klart=false_positive_restored*")
    page.get_by_role("link", name="Felaktiga träffar per regel").click()
    page.wait_for_url("**/ui/review/false-positives")
    assert page.get_by_role("cell", name="unknown shortener").is_visible()
    screenshot(page, "14-false-positives")


def test_from_webhook_to_restored_on_facebook(client, ui, db, processor, graph_state):
    """The whole way: the rules hide a comment, a moderator restores it in the queue, and
    the worker puts it back on Facebook."""
    add_test_page(db, FEED_PAGE, unit="Kommunstyrelsen")
    cid = f"{FEED_PAGE}_100_1"
    send(client, processor, graph_state, comment(cid, message=RUDE))
    assert graph_state.hidden(cid) is True
    login(ui, ui_user(db, "moderator", unit="Kommunstyrelsen", username="moa"))
    html = ui.get("/ui/review").text
    assert "Din <mark>jävla</mark>" in html  # the engine's own offsets
    assert act(ui, db, cid, "restore", csrf=csrf_of(html)).status_code == 303
    due_now(db)
    processor.run_until_idle()
    assert graph_state.hidden(cid) is False
    assert "Din <mark>jävla</mark>" not in ui.get("/ui/review").text
    page_html = ui.get(f"/ui/items/{cid}").text
    assert re.search(r"<td>Återställ</td>\s*<td>Utförd", page_html)
    assert "Visas igen" in page_html and 'class="badge ">Synlig' in page_html
