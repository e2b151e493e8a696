"""The store's conversation half on both backends: sealed records, timelines, the agents' queue, audit, retention."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text

from aftersales.store.crypto import KeyRing, SealedRecordError, new_key
from aftersales.errors import Conflict, InvalidInput, NotFound
from aftersales.store.core import Store
from aftersales.store.chat import TurnOutcome
from aftersales.store.tables import ChatRecord

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=timezone.utc)
SECRET = "我的手机13812345678，地址上海市徐汇区漕溪北路88号"


def ring(*ids: str) -> KeyRing:
    return KeyRing({i: __import__("base64").b64decode(new_key()) for i in ids}, ids[0])


@pytest.fixture()
def keys() -> KeyRing:
    return ring("k2", "k1")


@pytest.fixture()
def store(store_url, keys) -> Store:
    store = Store(store_url, keys)
    store.ensure_customer("C1", "douyin", external_id="dy-1")
    store.ensure_customer("C1", "wechat", external_id="wx-1")
    store.ensure_customer("C2", "web")
    return store


def outcome(conversation: str, customer: str = "C1", *, emotion: str = "neutral", reason: str | None = None,
            at: datetime = NOW, channel: str = "douyin") -> TurnOutcome:
    return TurnOutcome(conversation, customer, channel, "zh", "logistics_status", emotion, "logistics", reason, at)


def test_messages_are_sealed_for_their_customer_and_open_again(store, keys):
    store.open_conversation("t1", "C1", "douyin", NOW)
    store.append_message("t1", "customer", SECRET, {"slots": {"phone": "13812345678"}}, NOW)
    [message] = store.messages("t1")
    assert (message.text, message.payload) == (SECRET, {"slots": {"phone": "13812345678"}})
    with store._tx() as s:
        row = s.scalar(select(ChatRecord))
        columns = s.execute(text("SELECT * FROM chat_records")).one()
    assert row.key_id == "k2" and row.body.startswith("kefu:1:k2:")
    assert not any("13812345678" in str(value) or "徐汇" in str(value) for value in columns)
    # The customer id is bound in: the same record on another customer's row does not open.
    with pytest.raises(SealedRecordError):
        keys.open(row.body, "C2")


def test_the_sqlite_file_holds_no_plaintext(tmp_path, keys):
    path = tmp_path / "kefu.db"
    store = Store(f"sqlite:///{path}", keys)
    store.ensure_customer("C1", "web")
    store.open_conversation("t1", "C1", "web", NOW)
    store.append_message("t1", "customer", SECRET, {"note": "勾丝 snag"}, NOW)
    store.record_turn(outcome("t1", channel="web"))
    store.queue_handoff("t1", "customer_asked", NOW)
    store.resolve_handoff(1, "agent-7", "已退款 refunded to 13812345678", NOW)
    store.close()
    raw = b"".join(p.read_bytes() for p in Path(tmp_path).glob("kefu.db*"))
    for needle in ("13812345678", "漕溪北路", "勾丝", "snag", "refunded"):
        assert needle.encode() not in raw, needle
    assert b"C1" in raw  # the file was read: ids are kept in the clear


def test_timeline_joins_every_channel_oldest_first(store):
    store.open_conversation("dy", "C1", "douyin", NOW)
    store.open_conversation("wx", "C1", "wechat", NOW + timedelta(hours=1))
    store.open_conversation("other", "C2", "web", NOW)
    store.append_message("dy", "customer", "还没发货？", {}, NOW)
    store.append_message("wx", "customer", "抖音上问过了，还是没发货", {}, NOW + timedelta(hours=1))
    store.append_message("dy", "assistant", "已催促仓库", {}, NOW + timedelta(minutes=1))
    store.append_message("other", "customer", "not C1's", {}, NOW)
    timeline = store.timeline("C1")
    assert [(e.channel, e.role, e.text) for e in timeline] == [
        ("douyin", "customer", "还没发货？"), ("douyin", "assistant", "已催促仓库"),
        ("wechat", "customer", "抖音上问过了，还是没发货")]
    assert [e.text for e in store.timeline("C1", limit=1)] == ["抖音上问过了，还是没发货"]
    with pytest.raises(NotFound):
        store.timeline("nobody")


def test_a_record_sealed_under_another_ring_says_so(store_url, store):
    store.open_conversation("t1", "C1", "douyin", NOW)
    store.append_message("t1", "customer", "hi", {}, NOW)
    stranger = Store(store_url, ring("k9"))
    with pytest.raises(SealedRecordError, match="k2"):
        stranger.messages("t1")


def test_rotation_old_records_open_new_ones_use_the_new_key_and_rewrap_moves_them(store_url, store):
    store.open_conversation("t1", "C1", "douyin", NOW)
    store.append_message("t1", "customer", "第一条", {}, NOW)
    store.queue_handoff("t1", "customer_asked", NOW)
    store.resolve_handoff(1, "agent-1", "处理完毕", NOW)
    rotated = Store(store_url, KeyRing({"k3": ring("k3").keys["k3"], **store.keys.keys}, "k3"))
    rotated.append_message("t1", "assistant", "第二条", {}, NOW + timedelta(seconds=1))
    assert [m.text for m in rotated.messages("t1")] == ["第一条", "第二条"]
    assert rotated.rewrap(batch=1) == 1 and rotated.rewrap() == 0
    only_new = Store(store_url, KeyRing({"k3": rotated.keys.keys["k3"]}, "k3"))
    assert [m.text for m in only_new.messages("t1")] == ["第一条", "第二条"]
    assert only_new.handoffs(status="resolved")[0].note == "处理完毕"
    with only_new._tx() as s:
        assert set(s.scalars(select(ChatRecord.key_id))) == {"k3"}


def test_handoff_queue_claim_and_resolve(store):
    store.open_conversation("t1", "C1", "douyin", NOW)
    store.append_message("t1", "customer", "转人工！", {}, NOW)
    first = store.queue_handoff("t1", "customer_asked", NOW)
    again = store.queue_handoff("t1", "angry_repeated", NOW + timedelta(minutes=1))
    assert again.id == first.id and again.reason == "customer_asked"  # one entry per waiting conversation
    assert [(h.id, h.status, h.last_message) for h in store.handoffs()] == [(first.id, "open", "转人工！")]
    claimed = store.claim_handoff(first.id, "agent-1", NOW)
    assert (claimed.status, claimed.claimed_by) == ("claimed", "agent-1") and store.handoffs() == []
    assert store.claim_handoff(first.id, "agent-1", NOW).status == "claimed"  # claiming twice is harmless
    with pytest.raises(Conflict, match="agent-1"):
        store.claim_handoff(first.id, "agent-2", NOW)
    with pytest.raises(Conflict):
        store.resolve_handoff(first.id, "agent-2", "", NOW)
    done = store.resolve_handoff(first.id, "agent-1", "退款已处理", NOW + timedelta(minutes=5))
    assert (done.status, done.note, done.resolved_at) == ("resolved", "退款已处理", NOW + timedelta(minutes=5))
    assert store.active_handoff("t1") is None
    assert store.queue_handoff("t1", "angry_customer", NOW).id != first.id  # a new wait is a new entry
    with pytest.raises(NotFound):
        store.claim_handoff(999, "agent-1", NOW)
    with pytest.raises(InvalidInput):
        store.handoffs(status="lost")


def test_automation_counts_turns_settled_without_a_person(store):
    store.open_conversation("t1", "C1", "douyin", NOW)
    for minutes, reason in ((0, None), (1, None), (2, "customer_asked"), (3, None)):
        store.record_turn(outcome("t1", reason=reason, at=NOW + timedelta(minutes=minutes)))
    assert store.automation().to_dict() == {"turns": 4, "automated": 3, "rate": 0.75}
    assert store.automation(since=NOW + timedelta(minutes=2)).to_dict() == {"turns": 2, "automated": 1, "rate": 0.5}
    assert store.automation(until=NOW - timedelta(days=1)).to_dict() == {"turns": 0, "automated": 0, "rate": None}


def test_recent_emotions_span_channels_newest_first(store):
    store.open_conversation("dy", "C1", "douyin", NOW)
    store.open_conversation("wx", "C1", "wechat", NOW)
    store.record_turn(outcome("dy", emotion="neutral", at=NOW - timedelta(days=2)))
    store.record_turn(outcome("dy", emotion="angry", at=NOW))
    store.record_turn(outcome("wx", emotion="anxious", at=NOW + timedelta(minutes=1), channel="wechat"))
    assert store.recent_emotions("C1", NOW - timedelta(hours=1)) == ["anxious", "angry"]


def test_purge_deletes_what_is_older_than_the_retention_and_keeps_the_rest(store):
    old, new = NOW - timedelta(days=400), NOW
    for conversation, at in (("old", old), ("new", new)):
        store.open_conversation(conversation, "C1", "douyin", at)
        store.append_message(conversation, "customer", f"{conversation} text", {}, at)
        store.record_turn(outcome(conversation, at=at))
        store.queue_handoff(conversation, "customer_asked", at)
    store.resolve_handoff(store.active_handoff("old").id, "agent-1", "", old)
    store.open_conversation("waiting", "C1", "douyin", old)
    store.queue_handoff("waiting", "customer_asked", old)  # still waiting: kept, with its conversation
    store.audit("agent-1", "agent", "order.read", "order:O1", old)
    store.audit("agent-1", "agent", "order.read", "order:O2", new)
    counts = store.purge(NOW - timedelta(days=365), audit_before=NOW - timedelta(days=365))
    assert counts == {"chat_records": 1, "turns": 1, "turn_answers": 0, "handoffs": 1, "conversations": 1, "audit_log": 1}
    assert store.messages("old") == [] and [m.text for m in store.messages("new")] == ["new text"]
    assert store.active_handoff("waiting") is not None and store.active_handoff("new") is not None
    assert [a.resource for a in store.audit_log()] == ["order:O2"]
    assert store.purge(NOW - timedelta(days=365)) == {"chat_records": 0, "turns": 0, "turn_answers": 0, "handoffs": 0,
                                                      "conversations": 0}


def test_latest_context_comes_from_the_customers_last_conversation_within_the_window(store):
    from aftersales.store.views import ConversationContext

    store.open_conversation("dy", "C1", "douyin", NOW)
    store.update_context("dy", ConversationContext(order_id="O1", sku="S1"))
    store.record_turn(outcome("dy"))
    store.open_conversation("wx", "C1", "wechat", NOW)
    assert store.latest_context("C1", NOW - timedelta(days=1), excluding="wx").order_id == "O1"
    assert store.latest_context("C1", NOW + timedelta(days=1), excluding="wx").empty
    assert store.latest_context("C2", NOW - timedelta(days=1), excluding="x").empty


def test_an_answer_kept_under_a_key_is_sealed_stored_once_and_replayed(store):
    from aftersales.store.chat import AnsweredBefore, KeptAnswer
    from aftersales.store.tables import TurnAnswer
    from aftersales.store.views import ConversationContext, MessageView

    store.open_conversation("t1", "C1", "douyin", NOW)
    said = MessageView("t1", "customer", SECRET, {}, NOW)
    kept = KeptAnswer("key-1", "f" * 64, lambda queue_id: {"reply": SECRET, "handoff": {"queue_id": queue_id}})
    queued = store.record_exchange((said,), ConversationContext(order_id="O1"), outcome("t1", reason="customer_asked"),
                                   kept)
    stored = store.stored_answer("t1", "key-1")
    assert (stored.customer_id, stored.fingerprint) == ("C1", "f" * 64)
    assert stored.body == {"reply": SECRET, "handoff": {"queue_id": queued}} and queued is not None
    with store._tx() as s:
        assert SECRET not in s.scalar(select(TurnAnswer.body))
    # The same key again (a retry that raced the first): nothing of it is stored, the first answer comes back.
    with pytest.raises(AnsweredBefore) as raced:
        store.record_exchange((MessageView("t1", "customer", "again", {}, NOW),), ConversationContext(order_id="O2"),
                              outcome("t1"), KeptAnswer("key-1", "f" * 64, lambda _: {"reply": "second"}))
    assert raced.value.answer.body["reply"] == SECRET
    assert [m.text for m in store.messages("t1")] == [SECRET]
    assert store.get_context("t1").order_id == "O1" and store.automation().turns == 1
    assert store.stored_answer("t1", "key-2") is None and store.stored_answer("elsewhere", "key-1") is None


def test_rewrap_moves_kept_answers_to_the_new_key(store_url, store):
    from aftersales.store.chat import KeptAnswer
    from aftersales.store.views import ConversationContext, MessageView

    store.open_conversation("t1", "C1", "douyin", NOW)
    store.record_exchange((MessageView("t1", "customer", "hi", {}, NOW),), ConversationContext(), outcome("t1"),
                          KeptAnswer("key-1", "f" * 64, lambda _: {"reply": "你好"}))
    rotated = Store(store_url, KeyRing({"k3": ring("k3").keys["k3"], **store.keys.keys}, "k3"))
    assert rotated.rewrap() == 2  # the message and the kept answer
    only_new = Store(store_url, KeyRing({"k3": rotated.keys.keys["k3"]}, "k3"))
    assert only_new.stored_answer("t1", "key-1").body == {"reply": "你好"}
