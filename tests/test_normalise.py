"""The pure normaliser, table-driven over every captured Meta payload."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.content.normalise import (
    ChangeError,
    DeliveryError,
    Ignored,
    Operation,
    RawChange,
    interpret,
    split_delivery,
    timestamp,
)
from tests.conftest import fixture_bytes, fixture_names, meta_body

# file -> (kind, platform_id, verb, author id, author name, text, media types, state verb,
#          fields to fetch)
EXPECTED = dict([
    ("feed-comment-add-211.json",
     ("comment", "901097836652708_903438993085259", "add", '1234567890321', 'Tester',
      'and the next one', (), None, ())),
    ("feed-comment-add-25.json",
     ("comment", "901097836652708_903438993085259", "add", '1234567890321', 'Tester',
      'and the next one', (), None, ())),
    ("feed-comment-add-with-photo.json",
     ("comment", "901097836652708_903438993085259", "add", '1234567890321', 'Tester',
      'and the next one', ('photo',), None, ())),
    ("feed-comment-add-with-video.json",
     ("comment", "901097836652708_903438993085259", "add", '1234567890321', 'Tester',
      'and the next one', ('video',), None, ())),
    ("feed-comment-edited-25.json",
     ("comment", "900728623356296_900744590021366", "edited", '1234567890321', 'Tester',
      "Let's see the Webhooks in action :D", (), None, ())),
    ("feed-comment-edited-with-photo.json",
     ("comment", "900728623356296_900744590021366", "edited", '1234567890321', 'Tester',
      "Let's see the Webhooks in action :D", ('photo',), None, ())),
    ("feed-comment-edited-with-video.json",
     ("comment", "900728623356296_900744590021366", "edited", '1234567890321', 'Tester',
      "Let's see the Webhooks in action :D", ('video',), None, ())),
    ("feed-comment-hide.json",
     ("comment", "900728623356296_900744590021366", "hide", '1234567890321', 'Tester',
      'and the next one', (), 'hide', ())),
    ("feed-comment-remove-25.json",
     ("comment", "905578656204626_905579239537901", "remove", '1234567890321', 'John Doe',
      None, (), 'remove', ())),
    ("feed-comment-unhide.json",
     ("comment", "900728623356296_900744590021366", "unhide", '1234567890321', 'Tester',
      'and the next one', (), 'unhide', ())),
    ("feed-photo-add-25.json",
     ("post", "1234567890321_900767076685784", "add", '1234567890321', 'Testers Paradise',
      None, ('photo',), None, ())),
    ("feed-photo-add-message.json",
     ("post", "1234567890321_900767076685784", "add", '1234567890321', 'Testers Paradise',
      'A new really great Photo', ('photo',), None, ())),
    ("feed-photo-edited-message.json",
     ("post", "1234567890321_901097836652708", "edited", '1234567890321', 'Tester',
      'Testing', ('photo',), None, ())),
    ("feed-photo-edited.json",
     ("post", "1234567890321_901097836652708", "edited", '1234567890321', 'Tester',
      None, ('photo',), None, ())),
    ("feed-photo-hide-message.json",
     ("post", "1234567890321_900767076685784", "hide", '1234567890321', 'Joe',
      'A really great photo', ('photo',), 'hide', ())),
    ("feed-photo-hide.json",
     ("post", "1234567890321_900767076685784", "hide", '1234567890321', 'Joe',
      None, ('photo',), 'hide', ())),
    ("feed-photo-remove-25.json",
     ("post", "1234567890321_900767076685784", "remove", '1234567890321', 'Joe',
      None, (), 'remove', ())),
    ("feed-post-add-25.json",
     ("post", "1234567890321_7293787835232", "add", '8423678347823', 'John Doe',
      "Let's check this", (), None, ())),
    ("feed-post-edit.json",
     ("post", "1234567890321_7293787835232", "edit", '8423678347823', 'Joe',
      "Let's check this", (), None, ())),
    ("feed-post-hide.json",
     ("post", "1234567890321_7293787835232", "hide", '8423678347823', 'Joe',
      "Let's check this", (), 'hide', ())),
    ("feed-post-remove-25.json",
     ("post", "1234567890321_901097836652708", "remove", '1234567890321', 'John Doe',
      None, (), 'remove', ())),
    ("feed-post-unhide.json",
     ("post", "1234567890321_7293787835232", "unhide", '8423678347823', 'Joe',
      "Let's check this", (), 'unhide', ())),
    ("feed-share-add-25.json",
     ("post", "1234567890321_98735342324352", "add", '1234567890321', 'Test Sender',
      'Ein Link zu was ganz anderem: www.daserste.de', ('link',), None, ())),
    ("feed-share-hide.json",
     ("post", "1234567890321_98735342324352", "hide", '1234567890321', 'Joe',
      'Let me google that for you', ('link',), 'hide', ())),
    ("feed-share-unhide.json",
     ("post", "1234567890321_98735342324352", "unhide", '1234567890321', 'Joe',
      'Let me google that for you', ('link',), 'unhide', ())),
    ("feed-status-add-25.json",
     ("post", "1234567890321_930145403745849", "add", '1234567890321', 'Tester',
      'This is just a short test message', (), None, ())),
    ("feed-status-add-photos.json",
     ("post", "1234567890321_930145403745849", "add", '1234567890321', 'Tester',
      'This is just a short test message', ('photo', 'photo', 'photo'), None, ())),
    ("feed-status-edited-25.json",
     ("post", "1234567890321_949560725137650", "edited", '1234567890321', 'Tester',
      'This is an edited test message', (), None, ())),
    ("feed-status-edited-photos.json",
     ("post", "1234567890321_949560725137650", "edited", '1234567890321', 'Tester',
      'This is an edited test message', ('photo', 'photo', 'photo'), None, ())),
    ("feed-status-hide-25.json",
     ("post", "1234567890321_7293787835232", "hide", '94847453432', 'Some Tester',
      'Hide me fast', (), 'hide', ())),
    ("feed-status-unhide.json",
     ("post", "123456789_64352426", "unhide", '876564322', 'Tester',
      'Testmessage', (), 'unhide', ())),
    ("feed-video-add.json",
     ("post", "1234567890321_901097836652708", "add", '1234567890321', 'Tester',
      'Test video', ('video',), None, ())),
    ("feed-video-block.json",
     ("post", "900767076685784", "block", None, None,
      'Test video', ('video',), 'block', ())),
    ("feed-video-edited.json",
     ("post", "1234567890321_901097836652708", "edited", '1234567890321', 'Tester',
      'Test video', ('video',), None, ())),
    ("feed-video-hide.json",
     ("post", "1234567890321_901097836652708", "hide", '1234567890321', 'Tester',
      None, ('video',), 'hide', ())),
    ("feed-video-mute.json",
     ("post", "900767076685784", "mute", None, None,
      'Test video', ('video',), 'mute', ())),
    ("feed-video-remove-25.json",
     ("post", "1234567890321_900767076685784", "remove", '1234567890321', 'Joe',
      None, (), 'remove', ())),
    ("feed-video-unblock.json",
     ("post", "900767076685784", "unblock", None, None,
      'Test video', ('video',), 'unblock', ())),
    ("messaging-message-basic-echo.json",
     ("message", "mid.1457764197618:41d102a3e1ae206a38", "add", '987654321432', None,
      'hello, world!', (), None, ())),
    ("messaging-message-basic.json",
     ("message", "mid.1457764197618:41d102a3e1ae206a38", "add", '987654321432', None,
      'hello, world!', (), None, ('from',))),
    ("messaging-message-edits.json",
     ("message", "mid.1457764197618:41d102a3e1ae206a38", "edited", '987654321432', None,
      'hello, world!', (), None, ())),
    ("messaging-message-fallback-attachment.json",
     ("message", "mid.1458696618141:b4ef9d19ec21086067", "add", '987654321432', None,
      None, ('fallback',), None, ('from',))),
    ("messaging-message-isdeleted.json",
     ("message", "message_id", "remove", '987654321432', None,
      None, (), 'remove', ())),
    ("messaging-message-media-attachment.json",
     ("message", "mid.1458696618141:b4ef9d19ec21086067", "add", '987654321432', None,
      None, ('image',), None, ('from',))),
    ("messaging-message-quickreply.json",
     ("message", "mid.1458696618141:b4ef9d19ec21086067", "add", '987654321432', None,
      'quick reply text', (), None, ('from',))),
    ("messaging-message-reply-1.json",
     ("message", "mid.1457764197618:41d102a3e1ae206a38", "add", '987654321432', None,
      'hello, world!', (), None, ('from',))),
    ("messaging-message-sticker-thumbup.json",
     ("message", "mid.1487254148673:a082abc439", "add", '987654321432', None,
      None, ('image',), None, ('from',))),
    ("messaging-message-sticker.json",
     ("message", "mid.12345654332:226a70a704", "add", '987654321432', None,
      None, ('image',), None, ('from',))),
])


def test_every_fixture_is_in_the_table():
    assert sorted(EXPECTED) == fixture_names()


@pytest.mark.parametrize("name", fixture_names())
def test_fixture_normalises_as_expected(name):
    [change] = split_delivery(fixture_bytes(name))
    op = interpret(change)
    assert isinstance(op, Operation)
    got = (op.kind, op.platform_id, op.verb, op.author.platform_id if op.author else None,
           op.author.name if op.author else None, op.text, tuple(m["type"] for m in op.media),
           op.state_verb, op.missing)
    assert got == EXPECTED[name]


def test_feed_and_messenger_times():
    [feed] = split_delivery(fixture_bytes("feed-comment-add-25.json"))
    assert feed.entry_time == datetime(2015, 12, 3, 9, 30, 3, tzinfo=UTC)
    [msg] = split_delivery(fixture_bytes("messaging-message-basic.json"))
    op = interpret(msg)
    assert op.occurred_at == datetime(2016, 3, 12, 6, 29, 57, 627000, tzinfo=UTC)
    assert timestamp("2016-01-06T19:06:22+0000") == datetime(2016, 1, 6, 19, 6, 22, tzinfo=UTC)
    assert timestamp("1449135003") == datetime(2015, 12, 3, 9, 30, 3, tzinfo=UTC)
    with pytest.raises(ChangeError):
        timestamp("yesterday")


def test_numeric_and_string_ids_are_the_same_object():
    doc = json.loads(fixture_bytes("feed-comment-add-25.json"))
    doc["entry"][0]["id"] = 1234567890321
    doc["entry"][0]["changes"][0]["value"]["sender_id"] = "1234567890321"
    [a] = split_delivery(meta_body(doc))
    [b] = split_delivery(fixture_bytes("feed-comment-add-25.json"))
    assert a.page_platform_id == b.page_platform_id == "1234567890321"
    assert interpret(a).author == interpret(b).author


def test_reply_is_a_comment_whose_parent_is_a_comment():
    doc = json.loads(fixture_bytes("feed-comment-add-211.json"))
    value = doc["entry"][0]["changes"][0]["value"]
    value["comment_id"] = "901097836652708_999"
    value["parent_id"] = "901097836652708_903438993085259"
    op = interpret(split_delivery(meta_body(doc))[0])
    assert op.kind == "reply"
    assert op.parent_platform_id == "901097836652708_903438993085259"
    assert op.post_platform_id == "1234567890321_901097836652708"


def test_missing_sender_and_text_are_marked_for_fetching():
    doc = json.loads(fixture_bytes("feed-comment-add-211.json"))
    value = doc["entry"][0]["changes"][0]["value"]
    del value["from"], value["message"]
    op = interpret(split_delivery(meta_body(doc))[0])
    assert op.author is None and op.text is None
    assert op.missing == ("from", "message")


def test_batches_keep_order_and_identify_each_change():
    entries = []
    for n, name in enumerate(["feed-comment-add-211.json", "feed-post-add-25.json"]):
        entry = json.loads(fixture_bytes(name))["entry"][0]
        entry["changes"].append({"field": "feed", "value": {**entry["changes"][0]["value"],
                                                             "verb": "edited", "message": f"v{n}"}})
        entries.append(entry)
    messaging = json.loads(fixture_bytes("messaging-message-basic.json"))["entry"][0]
    body = meta_body({"object": "page", "entry": [*entries, messaging]})
    changes = split_delivery(body)
    assert [c.field for c in changes] == ["feed"] * 4 + ["messaging"]
    assert [interpret(c).verb for c in changes] == ["add", "edited", "add", "edited", "add"]
    assert len({c.key for c in changes}) == 5
    # The same change in a later, differently composed delivery has the same key.
    again = split_delivery(meta_body({"object": "page", "entry": [entries[1]]}))
    assert again[0].key == changes[2].key


@pytest.mark.parametrize(("body", "message"), [
    (b"\xff\xfe", "not JSON"),
    (b"{", "not JSON"),
    (b"[1]", "not a JSON object"),
    (b'{"object":"instagram","entry":[]}', "unsupported object"),
    (b'{"object":"page"}', "'entry'"),
    (b'{"object":"page","entry":[1]}', "not an object"),
    (b'{"object":"page","entry":[{"time":1,"changes":[]}]}', "no page id"),
    (b'{"object":"page","entry":[{"id":"1","time":1}]}', "neither"),
    (b'{"object":"page","entry":[{"id":"1","changes":{}}]}', "not a list"),
    (b'{"object":"page","entry":[{"id":"1","changes":[{"value":{}}]}]}', "without a field"),
    (b'{"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":1}]}]}',
     "no object value"),
    (b'{"object":"page","entry":[{"id":{"a":1},"changes":[]}]}', "not an id"),
])
def test_bad_deliveries_are_rejected_with_a_reason(body, message):
    with pytest.raises(DeliveryError, match=message):
        split_delivery(body)


def _raw(field: str, value: dict) -> RawChange:
    return RawChange("1", field, None, value, "k")


@pytest.mark.parametrize(("field", "value"), [
    ("feed", {"item": "comment", "verb": "add"}),
    ("feed", {"verb": "add"}),
    ("feed", {"item": "status", "verb": "add"}),
    ("feed", {"item": "comment", "verb": "add", "comment_id": "1_2", "message": 5}),
    ("messaging", {"sender": {"id": 1}, "message": {"text": "no mid"}}),
    ("messaging", {"sender": {"id": 1}, "something_new": {}}),
])
def test_bad_changes_raise(field, value):
    with pytest.raises(ChangeError):
        interpret(_raw(field, value))


@pytest.mark.parametrize(("field", "value"), [
    ("feed", {"item": "reaction", "verb": "add", "post_id": "1_2"}),
    ("feed", {"item": "milestone", "verb": "add"}),
    ("ratings", {"item": "rating", "verb": "add"}),
    ("messaging", {"sender": {"id": 1}, "read": {"watermark": 1}}),
    ("messaging", {"sender": {"id": 1}, "delivery": {"mids": []}}),
])
def test_changes_without_content_are_ignored_with_a_reason(field, value):
    result = interpret(_raw(field, value))
    assert isinstance(result, Ignored) and result.reason
