"""The store's conversation half: sealed chat records, turn outcomes, the agents' queue, the audit log, retention."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from collections.abc import Sequence
from typing import Any, Callable

from sqlalchemy import Connection, delete, func, inspect, select, text, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aftersales.store.crypto import KeyRing
from aftersales.errors import Conflict, InvalidInput, NotFound
from aftersales.store.sql import check_text, findable, get_row, require_aware, upsert_into
from aftersales.store.rows import conversation_view
from aftersales.store.tables import AuditEntry, ChatRecord, Conversation, Customer, Handoff, Turn, TurnAnswer
from aftersales.store.views import (
    HANDOFF_STATUSES,
    ROLES,
    AuditView,
    ConversationContext,
    ConversationView,
    HandoffView,
    MessageView,
    TimelineEntry,
)

# How long records are kept before `purge` deletes them (the shop sets its own in the Serve YAML's dialogue block).
RETENTION_DAYS = 365.0
AUDIT_RETENTION_DAYS = 1095.0

_ACTIVE = ("open", "claimed")


@dataclass(frozen=True)
class TurnOutcome:
    """What a turn concluded, stored without its words.

    Attributes:
        conversation_id, customer_id, channel: Whose turn, where.
        language, intent, emotion: What the understanding read.
        rule: The policy rule that decided.
        handoff_reason: Why a person must take over, None when the bot settled it.
        at: Tz-aware UTC.
    """

    conversation_id: str
    customer_id: str
    channel: str
    language: str
    intent: str
    emotion: str
    rule: str
    handoff_reason: str | None
    at: datetime


@dataclass(frozen=True)
class TurnState:
    """What a turn reads of its conversation before it answers (ChatRecords.open_turn).

    Attributes:
        conversation: The conversation, opened.
        context: What it remembers; when it remembers nothing, what the customer's latest other one does.
        earlier_emotions: The customer's latest turns' emotions, newest first.
        handoff_id, handoff_reason: The conversation's open or claimed hand-over, None when a person has none of it.
    """

    conversation: ConversationView
    context: ConversationContext
    earlier_emotions: list[str]
    handoff_id: int | None
    handoff_reason: str | None


@dataclass(frozen=True)
class StoredAnswer:
    """The answer a turn with an idempotency key was given (ChatRecords.stored_answer).

    Attributes:
        customer_id: Whose conversation it is.
        fingerprint: What the message carried, hashed (a key reused on another message is refused).
        body: The answer as it was sent.
    """

    customer_id: str
    fingerprint: str
    body: dict[str, Any]


@dataclass(frozen=True)
class KeptAnswer:
    """What record_exchange keeps of a turn sent with an idempotency key; `body` makes the answer from the id of
    the queue entry the turn's hand-over got (None when it did not hand over), known only inside the transaction."""

    idempotency_key: str
    fingerprint: str
    body: Callable[[int | None], dict[str, Any]]


class AnsweredBefore(Exception):
    """A turn with this idempotency key was stored first by another request (two retries at once): its answer."""

    def __init__(self, answer: StoredAnswer):
        super().__init__("this idempotency key was answered by a concurrent request")
        self.answer = answer


@dataclass(frozen=True)
class Automation:
    """Turns answered, and those the bot settled without a person, over a period."""

    turns: int
    automated: int

    @property
    def rate(self) -> float | None:
        return self.automated / self.turns if self.turns else None

    def to_dict(self) -> dict[str, Any]:
        return {"turns": self.turns, "automated": self.automated,
                "rate": round(self.rate, 4) if self.rate is not None else None}


class ChatRecords:
    """Conversations and everything said in them; mixed into Store, which provides `_tx` and `keys`."""

    keys: KeyRing
    _tx: Callable[..., AbstractContextManager[Session]]

    # Conversations ---------------------------------------------------------------------------------------------

    def open_conversation(self, conversation_id: str, customer_id: str, channel: str, now: datetime
                          ) -> ConversationView:
        """The conversation, created on its first turn. A conversation id of another customer raises Conflict, so one
        customer can never read another's context."""
        with self._tx() as s:
            return self._open_conversation(s, conversation_id, customer_id, channel, now)

    def open_turn(self, conversation_id: str, customer_id: str, channel: str, now: datetime, *,
                  memory_since: datetime, emotions_since: datetime) -> TurnState:
        """What a turn reads of its conversation before it answers, in one transaction: the conversation (opened as
        `open_conversation` does), its context or else that of the customer's latest other one since `memory_since`,
        the customer's emotions since `emotions_since` and the conversation's active hand-over."""
        with self._tx() as s:
            conversation = self._open_conversation(s, conversation_id, customer_id, channel, now)
            context = conversation.context
            if context.empty:
                context = self._latest_context(s, customer_id, memory_since, excluding=conversation_id)
            handoff = self._active_handoff_row(s, conversation_id)
            return TurnState(conversation, context, self._recent_emotions(s, customer_id, emotions_since),
                             handoff.id if handoff else None, handoff.reason if handoff else None)

    def _open_conversation(self, s: Session, conversation_id: str, customer_id: str, channel: str, now: datetime
                           ) -> ConversationView:
        if not isinstance(conversation_id, str) or not conversation_id.strip() or len(conversation_id) > 128:
            raise InvalidInput(f"conversation_id must be 1-128 characters, got {conversation_id!r}")
        require_aware("now", now)
        check_text(Conversation, id=conversation_id, channel=channel)
        row = get_row(s, Conversation, conversation_id)
        if row is None:
            if get_row(s, Customer, customer_id) is None:
                raise NotFound("customer", customer_id)
            s.execute(upsert_into(s, Conversation)
                      .values(id=conversation_id, customer_id=customer_id, channel=channel, created_at=now,
                              context={})
                      .on_conflict_do_nothing(index_elements=["id"]))
            # Ours, or the one a concurrent first turn created a moment earlier.
            row = s.get_one(Conversation, conversation_id)
        if row.customer_id != customer_id:
            raise Conflict(f"conversation {conversation_id!r} belongs to another customer")
        return conversation_view(row)

    def get_context(self, conversation_id: str) -> ConversationContext:
        with self._tx() as s:
            row = get_row(s, Conversation, conversation_id)
            if row is None:
                raise NotFound("conversation", conversation_id)
            return ConversationContext.from_dict(row.context)

    def latest_context(self, customer_id: str, since: datetime, *, excluding: str) -> ConversationContext:
        """What the customer's most recent other conversation (any channel) remembers, if it ran after `since`: the
        same person writing on another channel is about the same order."""
        with self._tx() as s:
            return self._latest_context(s, customer_id, since, excluding=excluding)

    @staticmethod
    def _latest_context(s: Session, customer_id: str, since: datetime, *, excluding: str) -> ConversationContext:
        row = s.scalar(select(Conversation).join(Turn, Turn.conversation_id == Conversation.id)
                       .where(Conversation.customer_id == customer_id, Conversation.id != excluding,
                              Turn.created_at >= since)
                       .order_by(Turn.created_at.desc(), Turn.id.desc()).limit(1))
        return ConversationContext.from_dict(row.context if row is not None else None)

    def update_context(self, conversation_id: str, context: ConversationContext) -> None:
        """Replace the known keys; keys written by newer code are kept (a new dict, so the JSON change is seen)."""
        with self._tx(write_lock=True) as s:
            self._merge_context(self._conversation(s, conversation_id, lock=True), context)

    @staticmethod
    def _merge_context(row: Conversation, context: ConversationContext) -> None:
        """Merge into the conversation's row, locked by the caller (two turns merging at once would otherwise lose
        one's keys)."""
        row.context = {**(row.context or {}), **context.to_dict()}

    # Sealed records --------------------------------------------------------------------------------------------

    def append_message(self, conversation_id: str, role: str, text: str, payload: dict[str, Any],
                       created_at: datetime) -> MessageView:
        """Store a message sealed for the conversation's customer: its text and payload never reach the database in
        the clear."""
        message = MessageView(conversation_id, role, text, payload, created_at)
        with self._tx() as s:
            self._append(s, message, self._conversation(s, conversation_id))
        return message

    def record_exchange(self, messages: Sequence[MessageView], context: ConversationContext,
                        outcome: TurnOutcome, answer: KeptAnswer | None = None) -> int | None:
        """One turn's messages, the conversation's context and the turn's outcome, in one transaction: all stored, or
        none. An outcome that hands over also puts the conversation on the queue (as `queue_handoff`); returns the
        queue entry's id then, None otherwise. With `answer`, the answer is kept under its idempotency key; when the
        key is already kept (a concurrent retry stored first), nothing is stored and AnsweredBefore carries that
        answer."""
        require_aware("at", outcome.at)
        try:
            return self._record_exchange(messages, context, outcome, answer)
        except IntegrityError:
            stored = self.stored_answer(outcome.conversation_id, answer.idempotency_key) if answer else None
            if stored is None:
                raise
            raise AnsweredBefore(stored) from None

    def _record_exchange(self, messages: Sequence[MessageView], context: ConversationContext,
                         outcome: TurnOutcome, answer: KeptAnswer | None) -> int | None:
        with self._tx(write_lock=True) as s:
            # Locked: two turns of one conversation merging their context at once would otherwise lose one's keys.
            conversation = self._conversation(s, outcome.conversation_id, lock=True)
            for message in messages:
                if message.conversation_id != conversation.id:
                    raise InvalidInput("an exchange is the messages of one conversation")
                self._append(s, message, conversation)
            self._merge_context(conversation, context)
            s.add(_turn_row(outcome))
            queued = None
            if outcome.handoff_reason is not None:
                queued = self._queue(s, conversation, outcome.handoff_reason, outcome.at).id
            if answer is not None:
                s.add(TurnAnswer(conversation_id=conversation.id, customer_id=conversation.customer_id,
                                 idempotency_key=answer.idempotency_key, fingerprint=answer.fingerprint,
                                 body=self.keys.seal(json.dumps(answer.body(queued), ensure_ascii=False),
                                                     conversation.customer_id),
                                 key_id=self.keys.active, created_at=outcome.at))
                s.flush()  # a key already kept fails here, inside the transaction, which then stores nothing
            return queued

    def stored_answer(self, conversation_id: str, idempotency_key: str) -> StoredAnswer | None:
        """The answer kept for the key in the conversation, None when there is none."""
        if not findable(conversation_id):
            return None
        with self._tx() as s:
            row = s.scalar(select(TurnAnswer).where(TurnAnswer.conversation_id == conversation_id,
                                                    TurnAnswer.idempotency_key == idempotency_key))
            if row is None:
                return None
            return StoredAnswer(row.customer_id, row.fingerprint, json.loads(self.keys.open(row.body,
                                                                                            row.customer_id)))

    @staticmethod
    def _conversation(s: Session, conversation_id: str, *, lock: bool = False) -> Conversation:
        row = get_row(s, Conversation, conversation_id, with_for_update=lock)
        if row is None:
            raise NotFound("conversation", conversation_id)
        return row

    def _append(self, s: Session, message: MessageView, conversation: Conversation) -> None:
        if message.role not in ROLES:
            raise InvalidInput(f"role must be one of {ROLES}, got {message.role!r}")
        require_aware("created_at", message.created_at)
        check_text(ChatRecord, body=message.text)
        body = self.keys.seal(json.dumps({"text": message.text, "payload": message.payload}, ensure_ascii=False),
                              conversation.customer_id)
        s.add(ChatRecord(conversation_id=message.conversation_id, customer_id=conversation.customer_id,
                         role=message.role, body=body, key_id=self.keys.active, created_at=message.created_at))

    def messages(self, conversation_id: str) -> list[MessageView]:
        """Oldest first."""
        if not findable(conversation_id):
            return []
        with self._tx() as s:
            rows = s.scalars(select(ChatRecord).where(ChatRecord.conversation_id == conversation_id)
                             .order_by(ChatRecord.created_at, ChatRecord.id))
            return [MessageView(r.conversation_id, r.role, *self._open(r), r.created_at) for r in rows]

    def timeline(self, customer_id: str, limit: int = 200) -> list[TimelineEntry]:
        """The customer's latest `limit` messages over every channel and conversation, oldest first."""
        if not findable(customer_id):
            raise NotFound("customer", customer_id)
        with self._tx() as s:
            if get_row(s, Customer, customer_id) is None:
                raise NotFound("customer", customer_id)
            rows = s.execute(select(ChatRecord, Conversation.channel)
                             .join(Conversation, Conversation.id == ChatRecord.conversation_id)
                             .where(ChatRecord.customer_id == customer_id)
                             .order_by(ChatRecord.created_at.desc(), ChatRecord.id.desc()).limit(limit)).all()
            return [TimelineEntry(r.created_at, channel, r.conversation_id, r.role, *self._open(r))
                    for r, channel in reversed(rows)]

    def _open(self, row: ChatRecord) -> tuple[str, dict[str, Any]]:
        data = json.loads(self.keys.open(row.body, row.customer_id))
        return data["text"], data.get("payload") or {}

    def rewrap(self, batch: int = 500) -> int:
        """Re-seal records (and handoff notes, kept answers) of retired keys with the active key, `batch` at a time; returns how
        many moved. Once it returns 0 the old keys may leave the ring."""
        moved = 0
        while True:
            with self._tx() as s:
                rows = list(s.scalars(select(ChatRecord).where(ChatRecord.key_id != self.keys.active).limit(batch)))
                for row in rows:
                    row.body, row.key_id = self.keys.rewrap(row.body, row.customer_id), self.keys.active
                notes = list(s.scalars(select(Handoff).where(Handoff.note != "").limit(batch)))
                for note in notes:
                    note.note = self.keys.rewrap(note.note, note.customer_id)
                answers = list(s.scalars(select(TurnAnswer).where(TurnAnswer.key_id != self.keys.active)
                                         .limit(batch)))
                for kept in answers:
                    kept.body, kept.key_id = self.keys.rewrap(kept.body, kept.customer_id), self.keys.active
            moved += len(rows) + len(answers)
            if len(rows) < batch and len(answers) < batch:
                return moved

    # Turns and automation --------------------------------------------------------------------------------------

    def record_turn(self, outcome: TurnOutcome) -> None:
        require_aware("at", outcome.at)
        with self._tx() as s:
            s.add(_turn_row(outcome))

    def recent_emotions(self, customer_id: str, since: datetime, limit: int = 5) -> list[str]:
        """The customer's latest turns' emotions over every channel, newest first."""
        with self._tx() as s:
            return self._recent_emotions(s, customer_id, since, limit)

    @staticmethod
    def _recent_emotions(s: Session, customer_id: str, since: datetime, limit: int = 5) -> list[str]:
        return list(s.scalars(select(Turn.emotion)
                              .where(Turn.customer_id == customer_id, Turn.created_at >= since)
                              .order_by(Turn.created_at.desc(), Turn.id.desc()).limit(limit)))

    def automation(self, since: datetime | None = None, until: datetime | None = None) -> Automation:
        """Turns in [since, until) and those answered without handing over."""
        with self._tx() as s:
            query = select(func.count(), func.count().filter(Turn.handoff_reason.is_(None)))
            if since is not None:
                query = query.where(Turn.created_at >= since)
            if until is not None:
                query = query.where(Turn.created_at < until)
            turns, automated = s.execute(query).one()
            return Automation(int(turns), int(automated))

    # The agents' queue -----------------------------------------------------------------------------------------

    def queue_handoff(self, conversation_id: str, reason: str, now: datetime) -> HandoffView:
        """Put the conversation on the queue; one that is already waiting or being handled keeps its entry."""
        with self._tx(write_lock=True) as s:
            return self._handoff(s, self._queue(s, self._conversation(s, conversation_id, lock=True), reason, now))

    def _queue(self, s: Session, conversation: Conversation, reason: str, now: datetime) -> Handoff:
        """The conversation's active queue entry, created when it has none (call with the conversation locked)."""
        row = self._active_handoff_row(s, conversation.id)
        if row is None:
            row = Handoff(conversation_id=conversation.id, customer_id=conversation.customer_id,
                          channel=conversation.channel, reason=reason, status="open", created_at=now, note="")
            s.add(row)
            s.flush()
        return row

    def waiting(self) -> int:
        """Conversations on the queue that no person has taken yet."""
        with self._tx() as s:
            return s.scalar(select(func.count()).select_from(Handoff).where(Handoff.status == "open")) or 0

    def active_handoff(self, conversation_id: str) -> HandoffView | None:
        with self._tx() as s:
            row = self._active_handoff_row(s, conversation_id)
            return self._handoff(s, row) if row is not None else None

    @staticmethod
    def _active_handoff_row(s: Session, conversation_id: str) -> Handoff | None:
        return s.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                              Handoff.status.in_(_ACTIVE)))

    def handoffs(self, status: str | None = "open", limit: int = 100) -> list[HandoffView]:
        """The queue, oldest first; `status` None lists every entry."""
        if status is not None and status not in HANDOFF_STATUSES:
            raise InvalidInput(f"status must be one of {HANDOFF_STATUSES}, got {status!r}")
        with self._tx() as s:
            query = select(Handoff).order_by(Handoff.created_at, Handoff.id).limit(limit)
            if status is not None:
                query = query.where(Handoff.status == status)
            return [self._handoff(s, row) for row in s.scalars(query)]

    def claim_handoff(self, handoff_id: int, agent: str, now: datetime) -> HandoffView:
        """The agent takes an open entry; taking one another agent holds raises Conflict."""
        with self._tx(write_lock=True) as s:
            row = self._locked_handoff(s, handoff_id, agent)
            if row.status == "open":
                row.status, row.claimed_by, row.claimed_at = "claimed", agent, now
            return self._handoff(s, row)

    def resolve_handoff(self, handoff_id: int, agent: str, note: str, now: datetime) -> HandoffView:
        """Close an entry the agent holds (an open one is claimed and closed at once)."""
        check_text(Handoff, note=note)
        with self._tx(write_lock=True) as s:
            row = self._locked_handoff(s, handoff_id, agent)
            if row.status == "open":
                row.claimed_by, row.claimed_at = agent, now
            row.status, row.resolved_at = "resolved", now
            row.note = self.keys.seal(note, row.customer_id) if note else ""
            return self._handoff(s, row)

    def _locked_handoff(self, s: Session, handoff_id: int, agent: str) -> Handoff:
        """The entry, locked, if `agent` may act on it: open, or claimed by them."""
        row = get_row(s, Handoff, handoff_id, with_for_update=True)
        if row is None:
            raise NotFound("handoff", str(handoff_id))
        if row.status == "resolved" or (row.status == "claimed" and row.claimed_by != agent):
            raise Conflict(f"handoff {handoff_id} is {row.status}"
                           + (f" by {row.claimed_by}" if row.status == "claimed" else ""))
        return row

    def _handoff(self, s: Session, row: Handoff) -> HandoffView:
        last = s.scalar(select(ChatRecord).where(ChatRecord.conversation_id == row.conversation_id,
                                                 ChatRecord.role == "customer")
                        .order_by(ChatRecord.created_at.desc(), ChatRecord.id.desc()).limit(1))
        return HandoffView(row.id, row.conversation_id, row.customer_id, row.channel, row.reason, row.status,
                           row.created_at, row.claimed_by, row.claimed_at, row.resolved_at,
                           self.keys.open(row.note, row.customer_id) if row.note else "",
                           self._open(last)[0] if last is not None else "")

    # Audit -----------------------------------------------------------------------------------------------------

    def audit(self, actor: str, role: str, action: str, resource: str, at: datetime) -> None:
        """Write down who read what (order data, a customer's history)."""
        check_text(AuditEntry, actor=actor, role=role, action=action, resource=resource)
        with self._tx() as s:
            s.add(AuditEntry(at=at, actor=actor, role=role, action=action, resource=resource))

    def audit_log(self, since: datetime | None = None, limit: int = 200) -> list[AuditView]:
        """Newest first."""
        with self._tx() as s:
            query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
            if since is not None:
                query = query.where(AuditEntry.at >= since)
            return [AuditView(r.at, r.actor, r.role, r.action, r.resource) for r in s.scalars(query)]

    # Retention -------------------------------------------------------------------------------------------------

    def purge(self, before: datetime, audit_before: datetime | None = None) -> dict[str, int]:
        """Delete chat records, turn outcomes and closed queue entries older than `before`, then the conversations
        left empty; audit entries older than `audit_before` (kept when None). Returns the rows deleted per table."""
        require_aware("before", before)
        with self._tx(write_lock=True) as s:
            counts = {
                "chat_records": s.execute(delete(ChatRecord).where(ChatRecord.created_at < before)).rowcount,
                "turns": s.execute(delete(Turn).where(Turn.created_at < before)).rowcount,
                "turn_answers": s.execute(delete(TurnAnswer).where(TurnAnswer.created_at < before)).rowcount,
                "handoffs": s.execute(delete(Handoff).where(Handoff.status == "resolved",
                                                            Handoff.created_at < before)).rowcount,
            }
            busy = union(select(ChatRecord.conversation_id), select(Turn.conversation_id),
                         select(Handoff.conversation_id), select(TurnAnswer.conversation_id))
            counts["conversations"] = s.execute(delete(Conversation).where(Conversation.created_at < before,
                                                                           Conversation.id.not_in(busy))).rowcount
            if audit_before is not None:
                counts["audit_log"] = s.execute(delete(AuditEntry).where(AuditEntry.at < audit_before)).rowcount
            return counts


def seal_legacy_messages(conn: Connection, keys: KeyRing) -> int:
    """Databases of kefu before encryption kept messages in the clear in `messages`: seal them into `chat_records`
    and drop that table (in the caller's transaction). Returns how many moved."""
    if "messages" not in inspect(conn).get_table_names():
        return 0
    rows = conn.execute(text("SELECT m.conversation_id, c.customer_id, m.role, m.text, m.payload, m.created_at "
                             "FROM messages m JOIN conversations c ON c.id = m.conversation_id ORDER BY m.id")).all()
    for conversation_id, customer_id, role, words, payload, created_at in rows:
        if isinstance(payload, str):
            payload = json.loads(payload or "{}")
        body = keys.seal(json.dumps({"text": words or "", "payload": payload or {}}, ensure_ascii=False), customer_id)
        conn.execute(ChatRecord.__table__.insert().values(
            conversation_id=conversation_id, customer_id=customer_id, role=role, body=body, key_id=keys.active,
            created_at=_utc(created_at)))
    conn.execute(text("DROP TABLE messages"))
    return len(rows)


def _utc(value: Any) -> datetime:
    from datetime import timezone

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _turn_row(outcome: TurnOutcome) -> Turn:
    return Turn(conversation_id=outcome.conversation_id, customer_id=outcome.customer_id, channel=outcome.channel,
                language=outcome.language, intent=outcome.intent, emotion=outcome.emotion, rule=outcome.rule,
                handoff_reason=outcome.handoff_reason, created_at=outcome.at)


__all__ = ["Automation", "ChatRecords", "TurnOutcome", "seal_legacy_messages"]
