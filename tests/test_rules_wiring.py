"""Every new item version goes through the rules with its page's stored policy."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.core.errors import AppError
from app.pages.models import Page
from app.rules.policies import current_policy, import_facebook_words, set_policy
from tests.conftest import FEED_PAGE, add_test_page
from tests.test_fetch import anonymous_comment
from tests.test_processing import comment, deliver, delivery, get_item


def page_row(db):
    with db.transaction() as session:
        return session.scalar(select(Page).where(Page.platform_id == FEED_PAGE))


def test_each_version_gets_an_explained_decision(client, db, processor):
    add_test_page(db)
    deliver(client, processor,
            delivery(comment("100_90", message="Tack för svaret!"), time=1700000000),
            delivery(comment("100_90", "edited", "Din JÄÄÄVLA idiot"), time=1700000100))
    first, second = get_item(client, db, "100_90")["versions"]
    assert first["decision"]["decision"] == "allow" and first["decision"]["matches"] == []
    d = second["decision"]
    assert d["decision"] == "hide" and d["register"] is False
    assert {"profanity", "defamation"} <= set(d["categories"])
    assert d["policy_version"] == "default"
    text = second["message"]
    assert {text[m["start"]:m["end"]] for m in d["matches"]} >= {"JÄÄÄVLA", "idiot"}


def test_secret_content_is_flagged_for_registration(client, db, processor):
    add_test_page(db)
    deliver(client, processor, delivery(comment("100_91", message="Hon har skyddad identitet")))
    d = get_item(client, db, "100_91")["versions"][0]["decision"]
    assert d["register"] is True and "secret" in d["categories"] and d["decision"] == "hide"


def test_stored_policy_with_own_words_and_observe_mode(client, db, processor):
    add_test_page(db)
    with db.transaction() as session:
        page = session.scalar(select(Page))
        set_policy(session, page, {"observe": True, "actions": {"defamation": "review"}},
                   actor="anna")
        import_facebook_words(session, page, "snorkråka, bajskorv", name="egna",
                              category="defamation", actor="anna")
    deliver(client, processor, delivery(comment("100_92", message="Din snorkråka")))
    d = get_item(client, db, "100_92")["versions"][0]["decision"]
    assert d["observe"] is True and d["decision"] == "review"
    assert d["policy_version"] == f"page-{FEED_PAGE}-v2"
    [m] = d["matches"]
    assert (m["rule"], m["text"]) == (f"page-{FEED_PAGE}-egna", "snorkråka")


def test_text_fetched_later_is_decided_again(client, db, processor, graph_state):
    add_test_page(db)
    graph_state.objects["100_93"] = {"from": {"id": "7", "name": "X"},
                                     "message": "Han har skyddad identitet"}
    deliver(client, processor, anonymous_comment("100_93"))
    version = get_item(client, db, "100_93")["versions"][0]
    assert version["message"] == "Han har skyddad identitet"
    assert version["decision"]["register"] is True


@pytest.mark.parametrize(("body", "message"), [
    ({"actions": {"profanity": "burn"}}, "actions.profanity"),
    ({"actions": {"gossip": "hide"}}, "unknown categories"),
    ({"level": "loud"}, "level"),
    ({"colour": "red"}, "colour"),
    ({"custom": [{"name": "x", "category": "hate", "words": ["<script>"]}]}, "custom list x"),
    ({"custom": [{"name": "Bad Name", "category": "hate", "words": ["a"]}]}, "name"),
])
def test_bad_policies_are_refused_and_nothing_is_stored(db, body, message):
    add_test_page(db)
    with db.transaction() as session:
        page = session.scalar(select(Page))
        with pytest.raises(AppError, match=message) as refused:
            set_policy(session, page, body, actor="anna")
        assert refused.value.status == 422
        assert current_policy(session, page).version == "default"


def test_policy_and_words_from_the_cli(run, db, tmp_path):
    add_test_page(db)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"level": "medium", "link_deny": ["scam.example"]}))
    assert "policy version 1 set" in run("rules", "policy", "--page", FEED_PAGE, "--set",
                                         str(policy)).stdout
    words = tmp_path / "fb.txt"
    words.write_text("knasboll,tönt")
    out = run("rules", "words", "--page", FEED_PAGE, "--file", str(words), "--category",
              "defamation").stdout
    assert "policy version 2" in out and "imported 2 words" in out
    shown = json.loads(run("rules", "policy", "--page", FEED_PAGE).stdout)
    assert shown["current"]["level"] == "medium"
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    checked = json.loads(run("rules", "check", "--page", FEED_PAGE, "din knasboll").stdout)
    assert checked["policy_version"] == f"page-{FEED_PAGE}-v2"
    assert checked["matches"][0]["text"] == "knasboll"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = run("rules", "policy", "--page", FEED_PAGE, "--set", str(bad), ok=False)
    assert r.returncode == 2 and "not JSON" in r.stderr
