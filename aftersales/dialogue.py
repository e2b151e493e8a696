"""One conversation turn end to end: understand, find the order, decide by policy, reply, hand off, remember."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from aftersales.decisions import Case, Decision, DefectFinding
from aftersales.defects import Box, DefectTaxonomy, PhotoDetections, assess
from aftersales.erp import ErpError, HttpErpAdapter
from aftersales.errors import InvalidInput, NotFound, UnknownReference
from aftersales.language import normalize_language
from aftersales.policy import PolicyEngine
from aftersales.policy_config import Promotion
from aftersales.replies import ReplyWriter, tone_for
from aftersales.store import Store
from aftersales.understanding import Understanding, Understood
from aftersales.views import CHANNELS, ConversationContext, CustomerView, OrderView, jsonable

logger = logging.getLogger("kefu.aftersales")

# Keyword hits are reliable about what was said, less about what is wrong; below a confident photo, above the policy's
# default minimum so a described defect alone is acted on.
TEXT_DEFECT_CONFIDENCE = 0.9
# Intents a shown or described defect overrides: they say nothing the defect does not say better.
WEAK_INTENTS = frozenset({"other", "greeting_thanks", "product_question"})
WEAK_CONFIDENCE = 0.5
DEFAULT_LANGUAGE = "zh"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ProductHit:
    """The catalog product a photo or video showed.

    Attributes:
        sku: Catalog sku.
        title: Its title.
        score: Similarity of the match.
    """

    sku: str
    title: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "title": self.title, "score": round(float(self.score), 4)}


@dataclass(frozen=True)
class TurnInput:
    """One customer turn as the serving layer hands it over.

    Attributes:
        conversation_id: The conversation (chosen by the caller; one customer's).
        customer_id: The customer id the chat backend sends; unknown ids are registered.
        channel: One of CHANNELS.
        text: Typed text plus any voice-note transcript; "" when only media came.
        language_hint: Language the customer or backend asked for, None to detect.
        order_id: Order the backend says the turn is about; unknown ones raise NotFound.
        transcript_language: Language the transcriber heard, None without a voice note.
        product: Product identified from photos or video.
        photos: The detector's boxes in each photo, with the photo's size (severity depends on both).
    """

    conversation_id: str
    customer_id: str
    channel: str = "web"
    text: str = ""
    language_hint: str | None = None
    order_id: str | None = None
    transcript_language: str | None = None
    product: ProductHit | None = None
    photos: tuple[PhotoDetections, ...] = ()

    def __post_init__(self) -> None:
        for name in ("conversation_id", "customer_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidInput(f"{name} must be a non-empty string, got {value!r}")
        if self.channel not in CHANNELS:
            raise InvalidInput(f"unknown channel {self.channel!r}; expected one of {', '.join(CHANNELS)}")
        if not isinstance(self.text, str):
            raise InvalidInput(f"text must be a string, got {type(self.text).__name__}")
        object.__setattr__(self, "photos", tuple(_photo(p) for p in self.photos))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TurnInput":
        """From the JSON-ish dict the ingress builds; photos are {"width", "height", "defects": [...]} with each
        detection a dict or a (label, confidence, box) triple."""
        if not isinstance(data, Mapping):
            raise InvalidInput("a turn must be a mapping")
        product = data.get("product")
        if product is not None:
            try:
                product = ProductHit(str(product["sku"]), str(product.get("title", "")), float(product["score"]))
            except (KeyError, TypeError, ValueError, AttributeError):
                raise InvalidInput(f"product must have sku, title and score, got {product!r}") from None
        return cls(
            conversation_id=data.get("conversation_id"),  # type: ignore[arg-type]  (validated in __post_init__)
            customer_id=data.get("customer_id"),  # type: ignore[arg-type]
            channel=data.get("channel") or "web",
            text=data.get("text") or "",
            language_hint=data.get("language_hint"),
            order_id=data.get("order_id") or None,
            transcript_language=data.get("transcript_language"),
            product=product,
            photos=tuple(data.get("photos") or ()),
        )


def _photo(item: Any) -> PhotoDetections:
    if isinstance(item, PhotoDetections):
        return item
    try:
        width, height, found = int(item["width"]), int(item["height"]), item.get("defects") or ()
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"a photo must be {{width, height, defects}}, got {item!r}") from None
    if width <= 0 or height <= 0:
        raise InvalidInput(f"a photo's width and height must be positive, got {width}x{height}")
    return PhotoDetections(width, height, tuple(_defect(d) for d in found))


def _defect(item: Any) -> tuple[str, float, Box]:
    try:
        if isinstance(item, Mapping):
            label, confidence, box = item["label"], item["confidence"], item["box"]
        else:
            label, confidence, box = item
        box = tuple(float(v) for v in box)
        if len(box) != 4:
            raise ValueError("box needs 4 numbers")
        return str(label), float(confidence), box  # type: ignore[return-value]
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(f"an image defect must be (label, confidence, box), got {item!r}") from None


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
        handoff_required, handoff_reason: Whether a human must take over and why
            (customer_asked, policy_manual, angry_customer).
        promotion: The sales period running now (configs/policies/promotions.yaml), None outside them.
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language, "intent": self.intent, "intent_confidence": self.intent_confidence,
            "emotion": {"label": self.emotion, "score": self.emotion_score}, "order_id": self.order_id,
            "product": self.product.to_dict() if self.product else None,
            "defects": [d.to_dict() for d in self.defects], "decision": self.decision.to_dict(), "reply": self.reply,
            "handoff": {"required": self.handoff_required, "reason": self.handoff_reason},
            "promotion": {"id": self.promotion.id, "name": self.promotion.names.get(self.language)
                          or next(iter(self.promotion.names.values()))} if self.promotion else None,
        }


class DialogueService:
    """The after-sales brain behind the Dialogue deployment; thread-safe as its store is."""

    def __init__(self, store: Store, policy: PolicyEngine, understanding: Understanding, replies: ReplyWriter,
                 clock: Callable[[], datetime] = utc_now, default_language: str = DEFAULT_LANGUAGE,
                 taxonomy: DefectTaxonomy | None = None, erp: HttpErpAdapter | None = None):
        self.store, self.policy, self.understanding, self.replies = store, policy, understanding, replies
        self.erp = erp
        self.taxonomy = taxonomy or DefectTaxonomy.load()
        self.clock, self.default_language = clock, default_language

    def handle(self, turn: TurnInput) -> TurnResult:
        now = self.clock()
        if now.tzinfo is None:
            raise InvalidInput("the dialogue clock must return tz-aware datetimes")
        customer = self._customer(turn)
        self.store.open_conversation(turn.conversation_id, customer.id, turn.channel, now)
        context = self.store.get_context(turn.conversation_id)
        understood = self.understanding.understand(turn.text, turn.language_hint)
        language = (understood.language or normalize_language(turn.transcript_language) or customer.language
                    or self.default_language)
        order = self._order(turn, understood, customer.id, context)
        sku = turn.product.sku if turn.product else None
        if sku is None and order is not None:
            sku = context.sku if context.sku in order.skus else (order.items[0].sku if len(order.items) == 1 else None)
        defects = self._defects(turn, understood)
        intent, confidence = understood.intent, understood.intent_confidence
        # A request for a person is honoured even when a defect is shown too; the person sees the defect.
        if defects and intent != "ask_human" and (intent in WEAK_INTENTS or confidence < WEAK_CONFIDENCE):
            intent, confidence = "defect_complaint", max(d.confidence for d in defects)
        asks_coupons = intent == "coupon_question" or "coupon_question" in understood.other_intents
        if intent == "coupon_question" and "address_change" in understood.other_intents:
            intent = "address_change"  # the address rule settles the coupons in the same decision
        held = tuple(self.store.coupons_for(customer.id)) if asks_coupons else ()
        named = tuple(c.id for c in held if re.search(rf"(?<![A-Za-z0-9]){re.escape(c.id)}(?![A-Za-z0-9])",
                                                      turn.text, re.IGNORECASE))
        decision = self.policy.decide(Case(intent, order, sku, defects, now, coupons=held, mentioned_coupons=named,
                                           asks_coupons=asks_coupons,
                                           new_address=understood.slots.get("new_address")))
        reason = None
        if intent == "ask_human":
            reason = "customer_asked"
        elif decision.manual:
            reason = "policy_manual"
        elif understood.emotion == "angry" and not decision.concrete:
            reason = "angry_customer"
        tone = tone_for(understood.emotion)
        reply = self.replies.render(decision, language, tone, {"handoff_reason": reason})
        result = TurnResult(language, intent, confidence, understood.emotion, understood.emotion_score,
                            order.id if order else None, turn.product, defects, decision, reply, reason is not None,
                            reason, self.policy.settings.promotion_at(now))
        self._remember(turn, understood, result, order, sku, context, now)
        logger.info("turn %s: intent=%s order=%s rule=%s handoff=%s", turn.conversation_id, intent,
                    result.order_id, decision.rule, reason)
        return result

    def stack_cart(self, customer_id: str, lines: list[tuple[str, int, int | None]], coupon_ids: list[str],
                   currency: str) -> Decision:
        """The shop's coupon-stacking rule on a cart: (sku, quantity, unit price in cents or None for the current
        price) lines and the customer's coupons (all they hold, or those named)."""
        from aftersales.coupons import CartLine
        from aftersales.rules.coupons import cart_stacking

        rule = next((r for r in self.policy.rules if r.type == "coupon_stacking"), None)
        if rule is None:
            raise InvalidInput("the policy has no coupon_stacking rule")
        cart = []
        for i, (sku, quantity, price) in enumerate(lines):
            try:
                product = self.store.get_product(sku)
            except NotFound:
                raise UnknownReference(f"lines.{i}.sku", "product", sku) from None
            if price is None and product.currency != currency:
                raise InvalidInput(f"lines.{i}: {sku} is priced in {product.currency}, the cart in {currency}")
            cart.append(CartLine(sku, product.category, product.price_cents if price is None else price, quantity))
        held = self.store.coupons_for(customer_id)
        unknown = sorted(set(coupon_ids) - {c.id for c in held})
        if unknown:
            raise UnknownReference("coupon_ids", "coupon", ", ".join(unknown))
        chosen = [c for c in held if c.id in coupon_ids] if coupon_ids else held
        return cart_stacking(rule, cart, chosen, self.clock(), currency)

    def _customer(self, turn: TurnInput) -> CustomerView:
        # The same person on another channel is one customer: a known channel account wins over a new id.
        try:
            return self.store.customer_for(turn.channel, turn.customer_id)
        except NotFound:
            return self.store.ensure_customer(turn.customer_id, turn.channel)

    def _owned(self, order_id: str, customer_id: str) -> OrderView | None:
        try:
            order = self.store.get_order(order_id)
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
            return self.store.get_order(order_id)
        except NotFound:
            return None
        except (ErpError, InvalidInput) as exc:
            # The customer still gets an answer (the order is treated as unknown); the shop sees why in the log.
            logger.warning("order %s from the ERP: %s", order_id, exc)
            return None

    def _order(self, turn: TurnInput, understood: Understood, customer_id: str,
               context: ConversationContext) -> OrderView | None:
        if turn.order_id:
            order = self._owned(turn.order_id, customer_id)
            if order is None:
                raise NotFound("order", turn.order_id)
            return order
        mentioned = understood.slots.get("order_id")
        if mentioned:
            # A wrong number typed by the customer must not silently answer about another order: ask again.
            return self._owned(mentioned, customer_id)
        if context.order_id:
            order = self._owned(context.order_id, customer_id)
            if order is not None:
                return order
        orders = self.store.orders_for(customer_id)
        if turn.product is not None:
            with_product = next((o for o in orders if turn.product.sku in o.skus), None)
            if with_product is not None:
                return with_product
        return orders[0] if orders else None

    def _defects(self, turn: TurnInput, understood: Understood) -> tuple[DefectFinding, ...]:
        shown = [DefectFinding(i.label, min(max(i.confidence, 0.0), 1.0), "image", i.box, i.severity, i.count,
                               i.location) for i in assess(turn.photos, self.taxonomy)]
        told = [DefectFinding(label, TEXT_DEFECT_CONFIDENCE, "text", severity=self.taxonomy.labels[label].base)
                for label in understood.defect_mentions if label in self.taxonomy.labels]
        return tuple(shown + told)

    def _remember(self, turn: TurnInput, understood: Understood, result: TurnResult, order: OrderView | None,
                  sku: str | None, context: ConversationContext, now: datetime) -> None:
        self.store.append_message(turn.conversation_id, "customer", turn.text, jsonable({
            "understood": understood, "language": result.language, "product": result.product,
            "photos": [{"width": p.width, "height": p.height, "defects": [list(d) for d in p.detections]}
                       for p in turn.photos],
        }), now)
        self.store.append_message(turn.conversation_id, "assistant", result.reply, jsonable({
            "decision": result.decision, "order_id": result.order_id,
            "handoff": {"required": result.handoff_required, "reason": result.handoff_reason},
        }), now)
        self.store.update_context(turn.conversation_id, ConversationContext(
            order_id=order.id if order else context.order_id, sku=sku or context.sku))


__all__ = ["DialogueService", "ProductHit", "TurnInput", "TurnResult"]
