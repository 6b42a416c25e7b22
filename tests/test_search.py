"""Search over the archive (GET /api/v1/search) on SQLite's FTS5 and PostgreSQL's tsvector."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

import app.models  # noqa: F401
from app.content.models import Item, ItemVersion
from app.content.normalise import AuthorRef
from app.content.service import upsert_author
from app.core.db import Base, Database, utcnow
from app.core.errors import AppError
from app.core.migrate import downgrade, upgrade
from app.main import create_app
from app.moderation.models import RegistrationCase, Snapshot
from app.pages.models import Page
from app.pages.service import add_page
from app.rules.models import ItemDecision
from app.search import INDEX_PREFIX, include_name
from app.search.endpoints import router as search_router
from app.search.service import TSVECTOR, encode_cursor, search
from tests.conftest import PAGE_TOKEN, SECRET_KEY, add_test_page, api_token

PAGE = "1001"
OTHER_PAGE = "2002"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def api(settings: Any, db: Database) -> Iterator[TestClient]:
    application = create_app(settings)
    if not any(getattr(r, "path", None) == "/api/v1/search" for r in application.routes):
        application.include_router(search_router)
    with TestClient(application) as test_client:
        yield test_client


@pytest.fixture
def pages(db: Database) -> None:
    add_test_page(db, PAGE, unit="Kommunstyrelsen")
    add_test_page(db, OTHER_PAGE, unit="Socialförvaltningen", name="Socialtjänsten")


def postgres(db: Database) -> bool:
    return not db.is_sqlite


def add_item(session: Session, platform_id: str, text_: str | None, *, page: str = PAGE,
             at: datetime = T0, kind: str = "comment", state: str = "visible",
             author: tuple[str, str] | None = ("555", "Åsa Öberg"),
             categories: list[str] | None = None, case: str | None = None,
             secret: bool = False) -> ItemVersion:
    """An item with one version; optionally its decision and its registration case."""
    page_row = session.scalars(select(Page).where(Page.platform_id == page)).one()
    author_id = upsert_author(session, AuthorRef(*author), utcnow()).id if author else None
    item = Item(platform_id=platform_id, page_id=page_row.id, kind=kind, platform_type=kind,
                author_id=author_id, state=state)
    session.add(item)
    session.flush()
    version = add_version(session, item, 1, text_, at)
    if categories is not None:
        session.add(ItemDecision(
            item_id=item.id, item_version_id=version.id, decision="hide", register=False,
            observe=False, categories=categories, explanation={}, engine_version="test",
            policy_version="test"))
    if case is not None:
        snapshot = Snapshot(item_id=item.id, item_version_id=version.id, reason="decision",
                            taken_by="system", item_platform_id=platform_id,
                            page_platform_id=page, observed_at=at, text=text_, sha256="0" * 64)
        session.add(snapshot)
        session.flush()
        session.add(RegistrationCase(item_id=item.id, snapshot_id=snapshot.id, status=case,
                                     secret=secret, reason="test"))
    session.flush()
    return version


def add_version(session: Session, item: Item, seq: int, text_: str | None,
                at: datetime) -> ItemVersion:
    version = ItemVersion(item_id=item.id, seq=seq, text=text_, media=[],
                          content_sha256="0" * 64, observed_at=at, verb="add")
    session.add(version)
    session.flush()
    return version


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(api: TestClient, token: str, **params: Any) -> dict[str, Any]:
    r = api.get("/api/v1/search", params=params, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def found(api: TestClient, token: str, **params: Any) -> list[str]:
    return [hit["item_id"] for hit in get(api, token, **params)["hits"]]


def test_search_needs_a_token(api, db, pages):
    assert api.get("/api/v1/search").status_code == 401
    assert api.get("/api/v1/search", headers=auth("upk_nope")).status_code == 401


def test_swedish_text_is_found(api, db, pages):
    with db.transaction() as s:
        add_item(s, "1", "Snöröjningen på Storgatan är försenad", at=T0)
        add_item(s, "2", "Tack för hjälpen med parkeringen!", at=T0 + timedelta(hours=1))
        add_item(s, "3", "När öppnar badhuset igen?", at=T0 + timedelta(hours=2))
    token = api_token(db)
    assert found(api, token, q="Storgatan") == ["1"]
    assert found(api, token, q="STORGATAN") == ["1"]
    assert found(api, token, q="badhuset") == ["3"]
    assert found(api, token, q="storgatan försenad") == ["1"]  # every word must occur
    assert found(api, token, q="storgatan badhuset") == []
    assert found(api, token, q="simhall") == []
    assert found(api, token) == ["3", "2", "1"]  # no words: everything, newest first
    assert found(api, token, q="   ") == ["3", "2", "1"]


def test_a_word_finds_its_longer_forms(api, db, pages):
    """A word finds the definite and plural forms of it (on both databases as a prefix;
    on PostgreSQL of the stem: the Swedish stemmer alone keeps "skolan" apart from
    "skola")."""
    with db.transaction() as s:
        add_item(s, "1", "Snöröjningen är klar på alla gator")
        add_item(s, "2", "Skolan är stängd")
        add_item(s, "3", "Snöröjningar pågår hela natten")
    token = api_token(db)
    assert sorted(found(api, token, q="snöröjning")) == ["1", "3"]
    assert found(api, token, q="skola") == ["2"]


def test_inflections_each_way_on_postgresql_only(api, db, pages):
    with db.transaction() as s:
        add_item(s, "1", "Snöröjning pågår på gatan")
        add_item(s, "2", "Alla skolor är stängda")
        add_item(s, "3", "Sol och vind")
    token = api_token(db)
    # PostgreSQL stems both sides; SQLite's prefix query cannot shorten the query word.
    expected = ["1"] if postgres(db) else []
    assert found(api, token, q="snöröjningen") == expected
    assert found(api, token, q="gatorna") == expected
    assert found(api, token, q="skola") == (["2"] if postgres(db) else [])
    # A stop word is no word to PostgreSQL: it finds nothing by it.
    assert found(api, token, q="och") == ([] if postgres(db) else ["3"])
    assert found(api, token, q="sol och") == ["3"]


def test_diacritics_stay_distinct(api, db, pages):
    with db.transaction() as s:
        add_item(s, "1", "Vi vill höra vad du tycker")
        add_item(s, "2", "Köttet var slut i skolmatsalen")
    token = api_token(db)
    assert found(api, token, q="hora") == []
    assert found(api, token, q="höra") == ["1"]
    assert found(api, token, q="HÖRA") == ["1"]
    assert found(api, token, q="kott") == []
    assert found(api, token, q="kött") == ["2"]


def test_matches_are_marked_by_offsets_in_plain_text(api, db, pages):
    filler = "Lorem ipsum dolor sit amet. " * 20
    with db.transaction() as s:
        add_item(s, "1", "<b>Snöröjningen</b> & snöröjningsfordon: <script>x</script>")
        add_item(s, "2", filler + "Snöröjningen är försenad. " + filler)
    hits = {h["item_id"]: h for h in get(api, api_token(db), q="snöröjning")["hits"]}

    short = hits["1"]
    assert short["snippet"] == "<b>Snöröjningen</b> & snöröjningsfordon: <script>x</script>"
    assert short["snippet_start"] == 0
    marked = [short["snippet"][a:b] for a, b in short["matches"]]
    assert marked == ["Snöröjningen", "snöröjningsfordon"]

    long = hits["2"]
    assert long["text_length"] == len(filler) * 2 + len("Snöröjningen är försenad. ")
    assert 0 < long["snippet_start"] < len(filler)
    assert len(long["snippet"]) <= 240
    assert [long["snippet"][a:b] for a, b in long["matches"]] == ["Snöröjningen"]
    assert long["snippet"].startswith("Lorem")  # begins at a word


def test_filters(api, db, pages):
    with db.transaction() as s:
        add_item(s, "p1", "Välkommen till sommarlovet", kind="post", at=T0)
        add_item(s, "c1", "Var kan man bada?", at=T0 + timedelta(days=1),
                 categories=["profanity", "spam"])
        add_item(s, "c2", "Mitt personnummer är ...", state="hidden",
                 at=T0 + timedelta(days=2), categories=["personal_data"],
                 case="registered", secret=True, author=("777", "Per Åkesson"))
        add_item(s, "r1", "Svar: vid stranden", kind="reply", at=T0 + timedelta(days=3),
                 case="pending", author=None)
        add_item(s, "m1", "Hej, jag vill klaga", kind="message", page=OTHER_PAGE,
                 at=T0 + timedelta(days=4), case="registered", author=("888", "ÖSTEN Ek"))
        # 23:30 UTC on 10 March is already 11 March in Sweden.
        add_item(s, "late", "Sent på kvällen", at=datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
    token = api_token(db)

    def ids(**params: Any) -> set[str]:
        return set(found(api, token, **params))

    everything = {"p1", "c1", "c2", "r1", "m1", "late"}
    assert ids() == everything
    assert ids(page_id=OTHER_PAGE) == {"m1"}
    assert ids(page_id=[PAGE, OTHER_PAGE]) == everything
    assert ids(page_id="999") == set()
    assert ids(date_from="2026-03-02", date_to="2026-03-03") == {"c1", "c2"}
    assert ids(date_from="2026-03-05") == {"m1", "late"}
    assert ids(date_to="2026-03-10") == everything - {"late"}
    assert ids(date_from="2026-03-11", date_to="2026-03-11") == {"late"}
    assert ids(author="777") == {"c2"}
    assert ids(author="åke") == {"c2"}  # part of the name, either case
    assert ids(author="åsa ÖBERG") == {"p1", "c1", "late"}
    assert ids(author="östen") == {"m1"}
    assert ids(author="%") == set()  # a LIKE wildcard is only a character
    assert ids(kind="post") == {"p1"}
    assert ids(kind="reply") == {"r1"}
    assert ids(kind="message") == {"m1"}
    assert ids(kind="comment") == {"c1", "c2", "late"}
    assert ids(category="spam") == {"c1"}
    assert ids(category="personal_data") == {"c2"}
    assert ids(category="hate") == set()
    assert ids(state="hidden") == {"c2"}
    assert ids(state="visible") == everything - {"c2"}
    assert ids(registered="true") == {"c2", "m1"}
    assert ids(registered="false") == {"p1", "c1", "r1", "late"}
    assert ids(secret="true") == {"c2"}
    assert ids(secret="false") == everything - {"c2"}
    assert ids(q="bada", category="spam", page_id=PAGE, author="555") == {"c1"}
    assert ids(q="bada", category="spam", registered="true") == set()


def test_a_category_of_another_version_does_not_count(api, db, pages):
    with db.transaction() as s:
        first = add_item(s, "1", "Köp billigt här", categories=["spam"])
        later = add_version(s, s.get(Item, first.item_id), 2, "Köp här", T0 + timedelta(1))
        s.add(ItemDecision(item_id=first.item_id, item_version_id=later.id, decision="allow",
                           register=False, observe=False, categories=[], explanation={},
                           engine_version="t", policy_version="t"))
    body = get(api, api_token(db), category="spam")
    assert [(h["item_id"], h["version_seq"]) for h in body["hits"]] == [("1", 1)]


def test_cursor_pages_through_without_duplicates_or_gaps(api, db, pages):
    with db.transaction() as s:
        for n in range(23):
            # Pairs share a timestamp: the version id orders them.
            add_item(s, f"i{n:02}", f"Fråga nummer {n} om bygglov", at=T0 + timedelta(
                minutes=n // 2), kind="comment" if n % 3 else "post")
        add_item(s, "other", "Ingenting om det", at=T0 + timedelta(minutes=5))
    token = api_token(db)
    for params in ({}, {"q": "bygglov"}, {"q": "bygglov", "kind": "comment"}):
        expected = found(api, token, limit=200, **params)
        seen: list[str] = []
        cursor = None
        pages_read = 0
        while True:
            body = get(api, token, limit=5, **params, **({"cursor": cursor} if cursor else {}))
            seen += [h["item_id"] for h in body["hits"]]
            pages_read += 1
            cursor = body["next_cursor"]
            assert body["has_more"] is (cursor is not None)
            if cursor is None:
                break
        assert seen == expected
        assert len(seen) == len(set(seen))
        assert pages_read > 2
    everything = found(api, token, limit=200)
    assert len(everything) == 24
    stamps = [h["observed_at"] for h in get(api, token, limit=200)["hits"]]
    assert stamps == sorted(stamps, reverse=True)


def test_moderators_do_not_see_secret_content(api, db, pages):
    with db.transaction() as s:
        add_item(s, "1", "Hon har skyddad identitet och bor på Lönngatan 3", case="registered",
                 secret=True)
        add_item(s, "2", "Skyddad verksamhet på Lönngatan stänger", at=T0 + timedelta(hours=1))
        add_item(s, "3", "Lönngatan är avstängd", at=T0 + timedelta(hours=2),
                 case="not_required")
    moderator = api_token(db, "moderator", unit="Kommunstyrelsen")
    hits = {h["item_id"]: h for h in get(api, moderator)["hits"]}
    assert (hits["1"]["withheld"], hits["1"]["snippet"], hits["1"]["matches"]) == (True, "", [])
    assert not hits["2"]["withheld"] and hits["2"]["snippet"].startswith("Skyddad")
    assert not hits["3"]["withheld"]
    # Words never find secret content for a moderator, so they cannot be confirmed.
    assert found(api, moderator, q="Lönngatan") == ["3", "2"]
    assert found(api, moderator, q="skyddad identitet") == []
    for role in ("registrar", "auditor", "information_officer"):
        token = api_token(db, role)
        assert found(api, token, q="skyddad identitet") == ["1"], role
        hit = get(api, token, q="Lönngatan")["hits"][-1]
        assert hit["item_id"] == "1" and not hit["withheld"]
        assert hit["snippet"].startswith("Hon har skyddad"), role


def test_moderators_see_only_their_units_pages(api, db, pages):
    with db.transaction() as s:
        add_item(s, "ks", "Fråga om bygglov", page=PAGE)
        add_item(s, "soc", "Fråga om bygglov", page=OTHER_PAGE)
    own = api_token(db, "moderator", unit="Kommunstyrelsen")
    other = api_token(db, "moderator", unit="Socialförvaltningen")
    nowhere = api_token(db, "moderator", unit="Tekniska förvaltningen")
    assert found(api, own, q="bygglov") == ["ks"]
    assert found(api, own, q="bygglov", page_id=OTHER_PAGE) == []
    assert found(api, other) == ["soc"]
    assert found(api, nowhere) == []
    for role in ("registrar", "information_officer", "auditor"):
        assert sorted(found(api, api_token(db, role), q="bygglov")) == ["ks", "soc"]


HOSTILE_QUERIES = [
    '"', '""', "'", "*", "**", "snö*", '"snöröjning', "snöröjning\"*", "NEAR(", "NEAR(a b)",
    "NEAR(snöröjning, 2)", "AND OR", "OR", "NOT", "AND", "a AND", "-", "-snöröjning",
    "text:snöröjning", "{text}: a", "^snö", "(", ")", "()", "a OR (b", "\\", "%", "_",
    "\x00", "snö\x00röjning", "x" * 10_000, "ö" * 500, "😀", "snöröjning 😀", "🇸🇪" * 50,
    "'; DROP TABLE item; --", "<script>alert(1)</script>", "a " * 300, "\u200b", "\ufffd",
    "o\u0308", "İstanbul", "ǅ", "٣", "\U0001d54a",
]


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_hostile_queries_never_fail(api, db, pages, q):
    with db.transaction() as s:
        add_item(s, "1", "Snöröjningen är försenad")
    r = api.get("/api/v1/search", params={"q": q}, headers=auth(api_token(db)))
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["detail"]


def test_operators_and_quotes_are_plain_separators(api, db, pages):
    with db.transaction() as s:
        add_item(s, "1", "Snöröjningen är försenad, NEAR stationen")
    token = api_token(db)
    assert found(api, token, q='"snöröjning') == ["1"]
    assert found(api, token, q="snöröjning* (försenad)") == ["1"]
    assert found(api, token, q="NEAR(försenad)") == ["1"]  # NEAR is a word of the text
    # AND and OR are words too, and this text has neither.
    assert found(api, token, q="snöröjning AND försenad") == []
    assert found(api, token, q="snöröjning OR simhall") == []
    r = api.get("/api/v1/search", params={"q": "\"*()"}, headers=auth(api_token(db)))
    assert r.status_code == 422 and "nothing to search for" in r.json()["detail"]
    r = api.get("/api/v1/search", params={"q": "x" * 10_000}, headers=auth(token))
    assert r.status_code == 422


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 201}, {"limit": "many"}, {"kind": "story"}, {"state": "gone"},
    {"category": "rude"}, {"registered": "maybe"}, {"date_from": "2026-13-01"},
    {"date_from": "2026-03-02", "date_to": "2026-03-01"}, {"author": "a" * 301},
    {"author": "\x00"}, {"page_id": "\x00"}, {"page_id": "1" * 129}, {"cursor": "nope"},
    {"cursor": ""}, {"cursor": "\x00"}, {"cursor": "W10"}, {"cursor": "x" * 201},
    {"cursor": encode_cursor(T0, 1)[:-3]},
    {"cursor": "WyIyMDI2LTAzLTAxVDEyOjAwOjAwIiwxXQ"},  # a naive timestamp
    {"cursor": "WyIyMDI2LTAzLTAxVDEyOjAwOjAwKzAwOjAwIiwxMDAwMDAwMDAwMDAwMDAwMDAwMDAwXQ"},
    {"cursor": encode_cursor(T0, 2**31)}, {"cursor": encode_cursor(T0, 0)},
])
def test_bad_parameters_are_422_with_a_message(api, db, pages, params):
    r = api.get("/api/v1/search", params=params, headers=auth(api_token(db)))
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


@pytest.mark.parametrize("params", [
    {"date_from": "0001-01-01", "date_to": "9999-12-31"}, {"date_to": "0001-01-01"},
    {"date_from": "9999-12-31"}, {"author": "😀"}, {"author": "_"},
    {"cursor": encode_cursor(datetime(9999, 12, 31, tzinfo=UTC), 2**31 - 1)},
    {"cursor": encode_cursor(datetime(1, 1, 1, tzinfo=UTC), 1)},
])
def test_extreme_but_valid_parameters_answer(api, db, pages, params):
    with db.transaction() as s:
        add_item(s, "1", "Snöröjningen är försenad")
    r = api.get("/api/v1/search", params=params, headers=auth(api_token(db)))
    assert r.status_code == 200, r.text


def test_text_filled_in_later_is_found(api, db, pages):
    """A version recorded before its text was fetched, then completed by an UPDATE
    (the index follows: triggers on SQLite, the expression index on PostgreSQL)."""
    with db.transaction() as s:
        version_id = add_item(s, "1", None).id
    token = api_token(db)
    assert found(api, token, q="bygglov") == []
    assert found(api, token) == ["1"]
    with db.transaction() as s:
        s.execute(update(ItemVersion).where(ItemVersion.id == version_id)
                  .values(text="Hur söker jag bygglov?"))
    assert found(api, token, q="bygglov") == ["1"]
    with db.transaction() as s:
        s.execute(update(ItemVersion).where(ItemVersion.id == version_id)
                  .values(text="Var ligger simhallen?"))
    assert found(api, token, q="bygglov") == []
    assert found(api, token, q="simhallen") == ["1"]


def test_removed_versions_leave_the_index(db, pages):
    with db.transaction() as s:
        version_id = add_item(s, "1", "Unik text om bygglov").id
        s.execute(delete(ItemVersion).where(ItemVersion.id == version_id))
    with db.transaction() as s:
        assert search(s, q="bygglov").hits == []
        # A new version may take the freed id (SQLite does), its text not yet known: it
        # must not inherit the old words.
        reused = add_item(s, "2", None)
        assert reused.id == version_id or not db.is_sqlite
        assert search(s, q="bygglov").hits == []


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60) | st.lists(st.sampled_from(
    ['"', "*", "(", ")", "NEAR", "AND", "OR", "NOT", ":", "^", "-", "+", "snö", "röj", " ",
     "\x00", "ö"]), max_size=12).map("".join))
def test_any_query_answers_or_is_refused_with_a_reason(db, q):
    with db.transaction() as s:
        try:
            search(s, q=q, limit=5)
        except AppError as exc:
            assert exc.status == 422 and exc.message


def test_migration_backfills_is_invisible_to_autogenerate_and_goes_down(fresh_database_url):
    url = fresh_database_url()
    upgrade(url, "0004")
    database = Database(url)
    try:
        with database.transaction() as s:
            add_page(s, secret_key=SECRET_KEY, platform_id=PAGE, name="Falu kommun",
                     unit="Kommunstyrelsen", token=PAGE_TOKEN)
        # The rows as the schema of 0004 has them (today's models have later columns).
        with database.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO item (platform_id, page_id, kind, platform_type, by_page, "
                "first_seen_at, state, fetch_status, fetch_attempts) SELECT '1', id, "
                "'comment', 'comment', false, :t, 'visible', 'none', 0 FROM page"), {"t": T0})
            conn.execute(text(
                "INSERT INTO item_version (item_id, seq, text, media, content_sha256, "
                "observed_at, recorded_at, verb, source) SELECT id, 1, :text, '[]', :sha, :t, "
                ":t, 'add', 'webhook' FROM item"),
                {"text": "Snöröjningen är försenad", "sha": "0" * 64, "t": T0})
        upgrade(url)  # 0005 fills the index from the rows already there
        with database.transaction() as s:
            assert [h.item_id for h in search(s, q="snöröjning").hits] == ["1"]
        with database.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            unfiltered = compare_metadata(ctx, Base.metadata)
            ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_name": include_name})
            assert compare_metadata(ctx, Base.metadata) == []
        # Without the hook autogenerate sees the index objects, and only those.
        assert unfiltered
        assert all(diff[1].name.startswith(INDEX_PREFIX) for diff in unfiltered)
        assert _index_objects(database) != []
        downgrade(url, "0004")
        assert _index_objects(database) == []
        upgrade(url)
        with database.transaction() as s:
            assert [h.item_id for h in search(s, q="försenad").hits] == ["1"]
    finally:
        database.dispose()


def _index_objects(database: Database) -> list[str]:
    with database.engine.connect() as conn:
        if database.is_sqlite:
            sql = "SELECT name FROM sqlite_master WHERE name LIKE 'fts~_%' ESCAPE '~'"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'fts~_%' ESCAPE '~'"
        return sorted(conn.execute(text(sql)).scalars())


def test_postgresql_uses_the_index(db):
    if db.is_sqlite:
        pytest.skip("the GIN index is PostgreSQL's; SQLite searches its FTS5 table")
    with db.transaction() as s:
        s.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(s.execute(text(
            f"EXPLAIN SELECT id FROM item_version WHERE {TSVECTOR} @@ "
            "to_tsquery('swedish', 'snöröjning:*')")).scalars())
    assert "fts_item_version_text" in plan
