"""One conversation turn end to end: understand, find the order, decide by policy, reply, hand off, remember."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from aftersales.policy.decisions import Action, Case, Decision, DefectFinding
from aftersales.defects import DefectTaxonomy, assess
from aftersales.integrations.erp import ErpError, HttpErpAdapter
from aftersales.errors import Conflict, InvalidInput, NotFound, UnknownReference
from aftersales.understanding.language import normalize_language
from aftersales.policy.engine import PolicyEngine
from aftersales.handoff import HandoffRules
from aftersales.policy.config import Promotion
from aftersales.replies.recommend import RECOMMEND_AFTER, recommend
from aftersales.replies.templates import ReplyWriter, tone_for
from aftersales.replies.guard import GuardedRewriter
from aftersales.store.core import Store
from aftersales.store.chat import AnsweredBefore, KeptAnswer, StoredAnswer, TurnOutcome
from aftersales.store.reference import ReferenceReads
from aftersales.turn_input import ProductHit, TurnInput
from aftersales.policy.knowledge import Embedder
from aftersales.policy.knowledge import answer as answer_question
from aftersales.understanding.products import Named, TitleCache, named_product, shared_words, title_passage
from aftersales.understanding.slots import extract, written_order
from aftersales.understanding.keywords import Understanding, Understood
from aftersales.store.views import (ConversationContext, CustomerView, MessageView, OrderView, ProductView,
                             jsonable)

logger = logging.getLogger("kefu.aftersales")

# Keyword hits are reliable about what was said, less about what is wrong; below a confident photo, above the policy's
# default minimum so a described defect alone is acted on.
TEXT_DEFECT_CONFIDENCE = 0.9
# Intents a shown or described defect overrides: they say nothing the defect does not say better.
WEAK_INTENTS = frozenset({"other", "greeting_thanks", "product_question"})
WEAK_CONFIDENCE = 0.5
# Intents whose remedy is for a defect: one shown in an earlier turn of the conversation still counts.
DEFECT_FOLLOW_UPS = frozenset({"defect_complaint", "return_refund", "exchange"})
DEFAULT_LANGUAGE = "zh"
# Questions the product's knowledge and the shop's FAQ answer.
KNOWLEDGE_INTENTS = frozenset({"size_fit", "product_question"})
# Intents about one item bought: a product named in words picks the order that holds it.
ITEM_INTENTS = frozenset({"defect_complaint", "return_refund", "exchange", "price_protection"})
# At most this many products outside the customer's orders are weighed against the named one.
OTHER_PRODUCTS = 20
# Catalogs up to this many products compete by embedding with the customer's products when a message names one.
EMBEDDED_CATALOG = 500
# How long a customer's last conversation is remembered when they write again on another channel.
MEMORY_DAYS = 7.0
# Stock at or below which the urgent tone (inside a sales period) says how many are left.
LOW_STOCK = 20


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class TurnResult:
    """What the turn concluded.

    Attributes:
        language: Language of the reply.
        intent, intent_confidence: What the customer wants (after a defect overrode a weak intent).
        emotion, emotion_score: How they feel.
        order_id: The order the turn was about, None if none.
        product: The product identified from media, None if none.
        defects: Defects considered (photos first, then text).
        decision: The policy's decision.
        reply: Text for the customer.
        handoff_required, handoff_reason: Whether a human must take over and why (aftersales.handoff.HANDOFF_REASONS);
            a conversation already on the agents' queue stays handed over with its first reason.
        promotion: The sales period running now (configs/policies/promotions.yaml), None outside them.
        handoff_id: The conversation's entry on the agents' queue, None when not handed over.
        recommendations: Up to three products in the styles the customer bought before (after an exchange, a style
            or size question).
        remembered: What came from earlier turns rather than this message ("order", "product", "defects").
    """

    language: str
    intent: str
    intent_confidence: float
    emotion: str
    emotion_score: float
    order_id: str | None
    product: ProductHit | None
    defects: tuple[DefectFinding, ...]
    decision: Decision
    reply: str
    handoff_required: bool
    handoff_reason: str | None
    promotion: Promotion | None = None
    handoff_id: int | None = None
    recommendations: tuple[ProductView, ...] = ()
    remembered: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language, "intent": self.intent, "intent_confidence": self.intent_confidence,
            "emotion": {"label": self.emotion, "score": self.emotion_score}, "order_id": self.order_id,
            "product": self.product.to_dict() if self.product else None,
            "defects": [d.to_dict() for d in self.defects], "decision": self.decision.to_dict(), "reply": self.reply,
            "handoff": {"required": self.handoff_required, "reason": self.handoff_reason, "queue_id": self.handoff_id},
            "recommendations": [{"sku": p.sku, "title": p.title, "style_tags": list(p.style_tags)}
                                for p in self.recommendations],
            "remembered": list(self.remembered),
            "promotion": {"id": self.promotion.id, "name": self.promotion.names.get(self.language)
                          or next(iter(self.promotion.names.values()))} if self.promotion else None,
        }


class DialogueService:
    """The after-sales brain behind the Dialogue deployment; thread-safe as its store is."""

    def __init__(self, store: Store, policy: PolicyEngine, understanding: Understanding, replies: ReplyWriter,
                 clock: Callable[[], datetime] = utc_now, default_language: str = DEFAULT_LANGUAGE,
                 taxonomy: DefectTaxonomy | None = None, erp: HttpErpAdapter | None = None,
                 handoff: HandoffRules | None = None, memory_days: float = MEMORY_DAYS,
                 rewriter: GuardedRewriter | None = None, embedder: Embedder | None = None):
        self.store, self.policy, self.understanding, self.replies = store, policy, understanding, replies
        # Customers' accounts, products, orders, coupons and FAQ, kept while the store's revision stands.
        self.reads = ReferenceReads(store)
        self.erp = erp
        self.taxonomy = taxonomy or DefectTaxonomy.load()
        self.clock, self.default_language = clock, default_language
        self.handoff = handoff or HandoffRules()
        self.memory = timedelta(days=memory_days)
        self.rewriter = rewriter
        # Sentence embeddings for FAQ questions and for the product a message names in words; None: words only.
        self.embedder = embedder
        self.titles = TitleCache(embedder) if embedder is not None else None

    def handle(self, turn: TurnInput) -> TurnResult | StoredAnswer:
        """The answer to a turn, stored with it; a turn whose idempotency key was answered before gets that stored
        answer back instead, and nothing is stored again."""
        now = self.clock()
        if now.tzinfo is None:
            raise InvalidInput("the dialogue clock must return tz-aware datetimes")
        self.reads.refresh()
        customer = self._customer(turn)
        if turn.idempotency_key is not None:
            stored = self._answered(turn.conversation_id, customer.id, turn.idempotency_key, turn.fingerprint)
            if stored is not None:
                return stored
        # A first message on a new channel is about what the customer raised on the last one (its context).
        state = self.store.open_turn(turn.conversation_id, customer.id, turn.channel, now,
                                     memory_since=now - self.memory,
                                     emotions_since=now - timedelta(hours=self.handoff.angry_window_h))
        context = state.context
        # The customer's words say what they want; a screenshot sent with them adds its facts (the order id, the
        # amounts, the tracking number); sent alone, what it says is the message.
        text = turn.text or turn.screen_text
        understood = self.understanding.understand(text, turn.language_hint)
        if turn.text and turn.screens:
            understood = with_screen_slots(understood, turn.screen_text, understood.language)
        language = (understood.language or normalize_language(turn.transcript_language) or customer.language
                    or self.default_language)
        viewed = self._viewed(turn)
        order, order_remembered = self._order(turn, understood, customer.id, context, viewed)
        sku = turn.product.sku if turn.product else viewed.sku if viewed else None
        if sku is None and order is not None:
            sku = context.sku if context.sku in order.skus else (order.items[0].sku if len(order.items) == 1 else None)
        defects = self._defects(turn, understood)
        intent, confidence = understood.intent, understood.intent_confidence
        # A request for a person is honoured even when a defect is shown too; the person sees the defect.
        if defects and intent != "ask_human" and (intent in WEAK_INTENTS or confidence < WEAK_CONFIDENCE):
            intent, confidence = "defect_complaint", max(d.confidence for d in defects)
        remembered = ["order"] if order_remembered else []
        same_order = order is None or order.id == context.order_id
        if not defects and intent in DEFECT_FOLLOW_UPS and context.defects and same_order:
            # "Then I want a refund" after the photo of the snag: the remedy is for that defect (of that order).
            defects = tuple(DefectFinding.from_dict(d) for d in context.defects)
            remembered.append("defects")
        asks_coupons = intent == "coupon_question" or "coupon_question" in understood.other_intents
        if intent == "coupon_question" and "address_change" in understood.other_intents:
            intent = "address_change"  # the address rule settles the coupons in the same decision
        held = tuple(self.reads.coupons_for(customer.id)) if asks_coupons else ()
        named = tuple(c.id for c in held if re.search(rf"(?<![A-Za-z0-9]){re.escape(c.id)}(?![A-Za-z0-9])",
                                                      text, re.IGNORECASE))
        knowledge = None
        if intent in KNOWLEDGE_INTENTS:
            knowledge = answer_question(text, language, self._product(sku), self.reads.faqs(), self.embedder,
                                        size_question=intent == "size_fit")
        shopping = (turn.cart or viewed is not None) and not turn.order_id and not understood.slots.get("order_id")
        if intent == "coupon_question" and shopping:
            # A coupon question about what the customer is about to buy: the stacking rule on the cart (or on one
            # of the product in view), not on an earlier order.
            lines = [(line.sku, line.quantity, line.unit_price_cents) for line in turn.cart] or [(viewed.sku, 1, None)]
            order = None  # the answer is about the purchase to come, not the customer's earlier order
            decision = self.stack_cart(customer.id, lines, list(named), self._product(lines[0][0]).currency)
        else:
            decision = self.policy.decide(Case(intent, order, sku, defects, now, coupons=held,
                                               mentioned_coupons=named, asks_coupons=asks_coupons,
                                               new_address=understood.slots.get("new_address"), knowledge=knowledge))
        decision = self._localized(decision, language)
        reason = self.handoff.reason(intent, confidence, understood.emotion, decision, state.earlier_emotions,
                                     bool(defects))
        if reason is None and state.handoff_reason is not None:
            reason = state.handoff_reason  # a person has this conversation already; the bot only bridges the wait
        promotion = self.policy.settings.promotion_at(now)
        picks = self._recommend(intent, customer.id, sku, reason)
        if picks:
            decision = dataclasses.replace(decision, actions=[*decision.actions, Action(
                "recommend_products", params={"products": [{"sku": p.sku, "title": p.title} for p in picks]})])
        tone = tone_for(understood.emotion, promotion is not None)
        reply = self.replies.render(decision, language, tone, {"handoff_reason": reason,
                                                               "urgency": self._urgency(promotion, sku, now)})
        if self.rewriter is not None:
            # The template's facts must all survive the rewrite, or the template is what the customer reads.
            reply = self.rewriter.apply(reply, language, tone).text
        result = TurnResult(language, intent, confidence, understood.emotion, understood.emotion_score,
                            order.id if order else None, turn.product, defects, decision, reply, reason is not None,
                            reason, promotion, None, tuple(picks), tuple(remembered))
        # Stored with the conversation put on the queue when it hands over, in one transaction.
        try:
            handoff_id = self._remember(turn, customer.id, understood, result, order, sku, context, now)
        except AnsweredBefore as first:  # a retry of this message, sent at the same time, was stored first
            return first.answer
        result = dataclasses.replace(result, handoff_id=handoff_id)
        logger.info("turn %s: intent=%s order=%s rule=%s handoff=%s", turn.conversation_id, intent,
                    result.order_id, decision.rule, reason)
        return result

    def _product(self, sku: str | None) -> ProductView | None:
        if sku is None:
            return None
        try:
            return self.reads.get_product(sku)
        except NotFound:
            return None

    def _viewed(self, turn: TurnInput) -> ProductView | None:
        """The product the customer is looking at; one kefu does not know is a bad reference (4xx), never ignored."""
        if turn.viewed is None:
            for i, line in enumerate(turn.cart):
                if self._product(line.sku) is None:
                    raise UnknownReference(f"cart.{i}.sku", "product", line.sku)
            return self._product(turn.cart[0].sku) if turn.cart else None
        v = turn.viewed
        try:
            if v.sku is not None:
                return self.reads.get_product(v.sku)
            return self.reads.product_listed(v.channel or turn.channel if v.item_id else v.channel, v.item_id, v.url)
        except NotFound:
            which = "sku" if v.sku else "item_id" if v.item_id else "url"
            raise UnknownReference(f"product.{which}", "product", v.sku or v.item_id or v.url or "") from None

    def _localized(self, decision: Decision, language: str) -> Decision:
        """Product titles in the customer's language where the shop gave one ("title" next to a "sku")."""
        def local(params: dict[str, Any]) -> dict[str, Any]:
            product = self._product(params.get("sku")) if isinstance(params.get("sku"), str) else None
            if product is None or not product.titles or "title" not in params:
                return params
            return {**params, "title": product.title_in(language)}

        actions = [dataclasses.replace(a, params=local(a.params)) for a in decision.actions]
        return dataclasses.replace(decision, inputs=local(decision.inputs), actions=actions)

    def _recommend(self, intent: str, customer_id: str, sku: str | None, handoff: str | None) -> list[ProductView]:
        if intent not in RECOMMEND_AFTER or handoff is not None:
            return []
        return recommend(self.reads.products(), self.reads.orders_for(customer_id), exclude=[sku] if sku else ())

    def _urgency(self, promotion: Promotion | None, sku: str | None, now: datetime) -> dict[str, Any]:
        """Facts the urgent tone may state inside a sales period: stock running low, the same-day shipping cut-off."""
        if promotion is None:
            return {}
        facts: dict[str, Any] = {}
        if sku is not None:
            try:
                product = self.reads.get_product(sku)
            except NotFound:
                product = None
            if product is not None and 0 < product.stock <= LOW_STOCK:
                facts.update(title=product.title, stock_left=product.stock)
        local = now.astimezone(self.policy.settings.timezone).time()
        if promotion.ship_cutoff is not None and local < promotion.ship_cutoff:
            facts.update(promotion=promotion.names, ship_by=promotion.ship_cutoff.strftime("%H:%M"))
        return facts

    def stack_cart(self, customer_id: str, lines: list[tuple[str, int, int | None]], coupon_ids: list[str],
                   currency: str) -> Decision:
        """The shop's coupon-stacking rule on a cart: (sku, quantity, unit price in cents or None for the current
        price) lines and the customer's coupons (all they hold, or those named)."""
        from aftersales.policy.stacking import CartLine
        from aftersales.policy.rules.coupons import cart_stacking

        rule = next((r for r in self.policy.rules if r.type == "coupon_stacking"), None)
        if rule is None:
            raise InvalidInput("the policy has no coupon_stacking rule")
        self.reads.refresh()
        cart = []
        for i, (sku, quantity, price) in enumerate(lines):
            try:
                product = self.reads.get_product(sku)
            except NotFound:
                raise UnknownReference(f"lines.{i}.sku", "product", sku) from None
            if price is None and product.currency != currency:
                raise InvalidInput(f"lines.{i}: {sku} is priced in {product.currency}, the cart in {currency}")
            cart.append(CartLine(sku, product.category, product.price_cents if price is None else price, quantity))
        held = self.reads.coupons_for(customer_id)
        unknown = sorted(set(coupon_ids) - {c.id for c in held})
        if unknown:
            raise UnknownReference("coupon_ids", "coupon", ", ".join(unknown))
        chosen = [c for c in held if c.id in coupon_ids] if coupon_ids else held
        return cart_stacking(rule, cart, chosen, self.clock(), currency)

    def _customer(self, turn: TurnInput) -> CustomerView:
        # The same person on another channel is one customer: a known channel account wins over a new id.
        try:
            return self.reads.customer_for(turn.channel, turn.customer_id)
        except NotFound:
            return self.store.ensure_customer(turn.customer_id, turn.channel)

    def _owned(self, order_id: str, customer_id: str) -> OrderView | None:
        try:
            order = self.reads.get_order(order_id)
        except NotFound:
            order = self._from_erp(order_id)
            if order is None:
                return None
        # Another customer's order is reported as missing, never shown.
        return order if order.customer_id == customer_id else None

    def _from_erp(self, order_id: str) -> OrderView | None:
        """An order the store lacks, fetched from the shop's ERP and stored (products it names must be known)."""
        if self.erp is None:
            return None
        try:
            self.store.put_order(order_id, self.erp.fetch_order(order_id))
            self.reads.refresh()  # the write moved the revision; the order's absence is no longer what is kept
            return self.reads.get_order(order_id)
        except NotFound:
            return None
        except (ErpError, InvalidInput) as exc:
            # The customer still gets an answer (the order is treated as unknown); the shop sees why in the log.
            logger.warning("order %s from the ERP: %s", order_id, exc)
            return None

    def _order(self, turn: TurnInput, understood: Understood, customer_id: str, context: ConversationContext,
               viewed: ProductView | None = None) -> tuple[OrderView | None, bool]:
        """The order the turn is about, and whether it came from an earlier turn rather than this one. A product
        named in words that is in none of the customer's orders leaves the order unknown (the policy asks which)."""
        if turn.order_id:
            order = self._owned(turn.order_id, customer_id)
            if order is None:
                raise NotFound("order", turn.order_id)
            return order, False
        orders = self.reads.orders_for(customer_id)
        # One of the customer's own order ids written anywhere in the message, in any phrasing and id format.
        written = written_order(turn.text, [o.id for o in orders]) or written_order(
            turn.screen_text, [o.id for o in orders], read=True)
        if written is not None:
            return next(o for o in orders if o.id == written), False
        # A parcel's tracking number (typed, or on a screenshot of the logistics page or the label) names its order.
        tracked = written_order("\n".join((turn.text, turn.screen_text)),
                                [o.tracking_number for o in orders if o.tracking_number], read=bool(turn.screens))
        if tracked is not None:
            return next(o for o in orders if o.tracking_number == tracked), False
        mentioned = understood.slots.get("order_id")
        if mentioned:
            # A wrong number typed by the customer must not silently answer about another order: ask again.
            return self._owned(mentioned, customer_id), False
        shown = turn.product.sku if turn.product is not None else viewed.sku if viewed is not None else None
        about_item = understood.intent in ITEM_INTENTS
        if shown is None and orders and about_item:
            named = self._named(turn.text or turn.screen_text, orders)
            if named.sku is not None:
                holding = next((o for o in orders if named.sku in o.skus), None)
                return holding, False
        if context.order_id:
            order = self._owned(context.order_id, customer_id)
            if order is not None and (shown is None or shown in order.skus):
                return order, True
        if shown is not None:
            with_product = next((o for o in orders if shown in o.skus), None)
            if with_product is not None:
                return with_product, False
            if about_item:
                # A complaint about a product the customer never bought from the shop must not act on an order of
                # another product: the policy asks which order.
                return None, False
        return (orders[0] if orders else None), False

    def warm(self) -> None:
        """Embed the catalog's titles once (they are kept), so that the first complaint naming a product does not
        pay for the whole catalog."""
        products = self.reads.products()
        if self.titles is not None and len(products) <= EMBEDDED_CATALOG:
            self.titles.embed([title_passage(p) for p in products], "passage")

    def _named(self, text: str, orders: list[OrderView]) -> Named:
        """The product the text names among those the customer bought, or another of the shop's. The shop's other
        products compete by their titles' embeddings where the catalog is small enough to keep them all (the
        message may share no word with any title: "แก้วเซรามิก" against "Ceramic mug"); past that, only those
        sharing a title word with the message compete."""
        owned = [p for p in (self._product(sku) for sku in dict.fromkeys(s for o in orders for s in o.skus)) if p]
        skus = {o.sku for o in owned}
        catalog = [p for p in self.reads.products() if p.sku not in skus]
        if self.titles is None or len(catalog) > EMBEDDED_CATALOG:
            catalog = [p for p in catalog if shared_words(text, p) > 0][:OTHER_PRODUCTS]
        return named_product(text, owned, catalog, self.titles)

    def _defects(self, turn: TurnInput, understood: Understood) -> tuple[DefectFinding, ...]:
        shown = [DefectFinding(i.label, min(max(i.confidence, 0.0), 1.0), "image", i.box, i.severity, i.count,
                               i.location) for i in assess(turn.photos, self.taxonomy)]
        told = [DefectFinding(label, TEXT_DEFECT_CONFIDENCE, "text", severity=self.taxonomy.labels[label].base)
                for label in understood.defect_mentions if label in self.taxonomy.labels]
        return tuple(shown + told)

    def answered(self, conversation_id: str, customer_id: str, channel: str, idempotency_key: str,
                 fingerprint: str) -> StoredAnswer | None:
        """The answer a turn of the customer (their id on `channel`) with this idempotency key was given, None when
        there was none; Conflict when the key was another customer's, or another message's."""
        self.reads.refresh()
        try:
            customer = self.reads.customer_for(channel, customer_id)
        except NotFound:
            return None  # a first contact has no earlier turns
        return self._answered(conversation_id, customer.id, idempotency_key, fingerprint)

    def _answered(self, conversation_id: str, customer_id: str, idempotency_key: str, fingerprint: str
                  ) -> StoredAnswer | None:
        stored = self.store.stored_answer(conversation_id, idempotency_key)
        if stored is None:
            return None
        if stored.customer_id != customer_id:
            raise Conflict(f"conversation {conversation_id!r} belongs to another customer")
        if stored.fingerprint != fingerprint:
            raise Conflict(f"idempotency key {idempotency_key!r} was used for another message")
        return stored

    def _remember(self, turn: TurnInput, customer_id: str, understood: Understood, result: TurnResult,
                  order: OrderView | None, sku: str | None, context: ConversationContext, now: datetime
                  ) -> int | None:
        """Store the exchange (and the answer, for a turn with an idempotency key); the hand-over queue entry's id
        when the turn hands over."""
        said = MessageView(turn.conversation_id, "customer", turn.text, jsonable({
            "understood": understood, "language": result.language, "product": result.product,
            "photos": [{"width": p.width, "height": p.height, "defects": [list(d) for d in p.detections]}
                       for p in turn.photos],
            **({"screens": list(turn.screens)} if turn.screens else {}),
        }), now)
        answered = MessageView(turn.conversation_id, "assistant", result.reply, jsonable({
            "decision": result.decision, "order_id": result.order_id,
            "handoff": {"required": result.handoff_required, "reason": result.handoff_reason},
        }), now)
        kept = None
        if turn.idempotency_key is not None:
            kept = KeptAnswer(turn.idempotency_key, turn.fingerprint, lambda queue_id: {
                **dataclasses.replace(result, handoff_id=queue_id).to_dict(), **turn.shown})
        return self.store.record_exchange((said, answered), ConversationContext(
            order_id=order.id if order else context.order_id, sku=sku or context.sku,
            defects=tuple(d.to_dict() for d in result.defects) or context.defects),
            TurnOutcome(turn.conversation_id, customer_id, turn.channel, result.language, result.intent,
                        result.emotion, result.decision.rule, result.handoff_reason, now), kept)


def with_screen_slots(understood: Understood, screen_text: str, language: str | None) -> Understood:
    """The slots the customer's words left empty, filled from the text of their screenshots."""
    found = extract(screen_text, language)
    slots = dict(understood.slots)
    for name, value in (("order_id", found.order_id), ("phone", found.phone), ("amounts", found.amounts),
                        ("dates", found.dates), ("tracking_number", found.tracking_number)):
        if value and not slots.get(name):
            slots[name] = value
    return dataclasses.replace(understood, slots=slots)


__all__ = ["DialogueService", "ProductHit", "TurnInput", "TurnResult"]
