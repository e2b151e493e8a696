"""The deployments over the store: Dialogue answers turns; Desk serves the agents' desk, ingest and retention."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ray import serve

from aftersales.desk.agents import AgentDesk
from serving.config import DeskArgs, DialogueSettings
from serving.deployments import _Ready

logger = logging.getLogger("kefu.serving")


@serve.deployment
class Dialogue(_Ready):
    """Understanding, order lookup, policy decision and reply for one conversation turn (aftersales/), and coupon
    stacking on a cart."""

    def __init__(self, settings: DialogueSettings, taxonomy: str):
        from aftersales.defects import DefectTaxonomy
        from aftersales.dialogue import DialogueService
        from aftersales.integrations.erp import HttpErpAdapter
        from aftersales.handoff import HandoffRules
        from aftersales.policy.engine import PolicyEngine
        from aftersales.replies.templates import ReplyWriter
        from aftersales.integrations.seed import seed_demo
        from serving.config import erp_config

        store = open_store(settings)
        if settings.seed_demo:
            seed_demo(store, Path(settings.demo_catalog))
        understanding = understanding_for(settings)
        self.service = DialogueService(
            store=store,
            policy=PolicyEngine.from_dir(Path(settings.policies_dir)),
            understanding=understanding,
            replies=ReplyWriter(),
            taxonomy=DefectTaxonomy.load(Path(taxonomy)),
            erp=HttpErpAdapter(erp_config(settings.erp)) if settings.erp else None,
            handoff=HandoffRules(**settings.handoff.model_dump()),
            memory_days=settings.memory_days,
            rewriter=rewriter_for(settings),
            embedder=getattr(getattr(understanding, "sentences", None), "retrieval", None),
        )
        self.service.warm()
        # A turn is CPU work under the GIL (models, policy, the store's ORM): a few threads keep the store's waits
        # overlapped, more only take turns on the GIL and on SQLite's write lock.
        self._workers = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="dialogue")
        self._admitted, self._capacity = 0, settings.workers + settings.max_waiting
        self._retry_after_s = settings.retry_after_s

    async def handle(self, turn: Any) -> Any:
        """A TurnInput → its TurnResult, or the StoredAnswer of its idempotency key (dataclasses across replicas).

        At most `workers + max_waiting` turns are in the replica; one more is refused at once (AtCapacity: a 503
        with Retry-After), so that what is admitted is answered within the 2-s target."""
        from serving.errors import AtCapacity

        if self._admitted >= self._capacity:
            raise AtCapacity("Dialogue", self._retry_after_s)
        self._admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._workers, self.service.handle, turn)
        finally:
            self._admitted -= 1

    def answered(self, conversation_id: str, customer_id: str, channel: str, idempotency_key: str,
                 fingerprint: str) -> Any:
        """The StoredAnswer of a turn sent before with this idempotency key, None when there is none."""
        return self.service.answered(conversation_id, customer_id, channel, idempotency_key, fingerprint)

    def stack_cart(self, customer_id: str, lines: list, coupon_ids: list, currency: str) -> dict:
        return self.service.stack_cart(customer_id, [tuple(line) for line in lines], list(coupon_ids),
                                       currency).to_dict()


# How often a Desk replica looks whether today's purge has run.
_RETENTION_CHECK_S = 3600.0
# How often a Desk replica reads the queue depth and the automation rate into the metrics.
_GAUGES_S = 15.0


@serve.deployment
class Desk(_Ready, AgentDesk):
    """The agents' desk (timelines, order data, the hand-over queue, reports, the audit log), ingest from the shop's
    systems, and retention, over the store Dialogue writes turns to: `AgentDesk`'s methods are its methods.

    Retention runs once a day per replica, in the background (purging twice is harmless).
    """

    def __init__(self, settings: DeskArgs):
        from aftersales.dialogue import utc_now

        AgentDesk.__init__(self, open_store(settings), utc_now)
        self.settings = settings
        self._purged_on = None
        self._retention: asyncio.Task | None = None
        self._start_retention()

    def put(self, kind: str, key: str, payload: dict) -> bool:
        """Upsert an order, product, customer, coupon or FAQ entry from the ingest API; True when it was created."""
        from aftersales.integrations.ingest import ingest

        self._start_retention()
        return ingest(self.store, kind, key, payload, self.clock())

    def purge_due(self) -> dict | None:
        """Purge what retention says is old, once a day; the counts when it ran, None when it already had today."""
        from datetime import timedelta

        now = self.clock()
        if self._purged_on == now.date():
            return None
        self._purged_on = now.date()
        counts = self.store.purge(now - timedelta(days=self.settings.retention_days),
                                  now - timedelta(days=self.settings.audit_retention_days))
        logger.info("retention purge: %s", counts)
        return counts

    def _start_retention(self) -> None:
        # Ray Serve 2.60 builds a replica on its event loop; should one build it outside a loop, the first call
        # starts the task instead.
        if self._retention is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._retention = loop.create_task(self._retain_daily())
        self._gauges = loop.create_task(self._read_gauges())

    def gauges(self) -> tuple[int, float | None]:
        """The hand-over queue's depth and the share of the last 24 h's turns the bot settled, as exported."""
        from datetime import timedelta

        from serving import metrics

        depth, rate = self.store.waiting(), self.store.automation(since=self.clock() - timedelta(hours=24)).rate
        metrics.desk(depth, rate)
        return depth, rate

    async def _read_gauges(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.gauges)
            except Exception:  # noqa: BLE001 - a store that is down now is read again at the next tick
                logger.exception("reading the desk gauges failed")
            await asyncio.sleep(_GAUGES_S)

    async def _retain_daily(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.purge_due)
            except Exception:  # noqa: BLE001 - a failed purge is retried in an hour; the replica keeps serving
                logger.exception("retention purge failed")
            await asyncio.sleep(_RETENTION_CHECK_S)


def open_store(settings: DialogueSettings | DeskArgs) -> Any:
    """The store the settings name, its chat records sealed with the configured key ring."""
    from aftersales.store.crypto import KeyRing
    from aftersales.store.core import Store

    from serving.settings import KefuEnvironment

    keys = KeyRing.from_config(settings.keys_file, env=KefuEnvironment().data_keys_env(), create=settings.create_keys)
    return Store(settings.store_url, keys)


def understanding_for(settings: DialogueSettings) -> Any:
    """The Understanding the settings name: kefu's trained text model blended with the embedding heads on
    multilingual-e5 (with the slot grammar and the keyword tables for defects), or the keyword tables alone."""
    from aftersales.understanding.keywords import KeywordUnderstanding

    if settings.understanding == "keywords":
        return KeywordUnderstanding()
    from aftersales.understanding.model import Blend, ModelUnderstanding
    from models.text.model import TextModel, TextModelConfig

    config = TextModelConfig(model=settings.text_model) if settings.text_model else TextModelConfig()
    if not settings.sentence_model:
        return ModelUnderstanding(TextModel(config))
    from models.text.sentence import SentenceEncoder, SentenceEncoderConfig
    from models.text.heads import SHIPPED, EmbeddingHeads, SentenceHeads, heads_encoder

    heads = EmbeddingHeads(Path(settings.text_heads) if settings.text_heads else SHIPPED)
    sentence_config = SentenceEncoderConfig(model=settings.sentence_model, engine=settings.sentence_engine)
    plain = SentenceEncoder(sentence_config)
    sentences = SentenceHeads(heads_encoder(heads, sentence_config) if heads.graph else plain, heads,
                              retrieval=plain)
    blend = Blend(sentences.blend, sentences.gate) if sentences.blend else None
    return ModelUnderstanding(TextModel(config), sentences=sentences, blend=blend)


def rewriter_for(settings: DialogueSettings) -> Any:
    """The optional reply rewriter (a local causal LM behind the fact guard), None when not configured."""
    if not settings.rewriter:
        return None
    from aftersales.replies.guard import GuardedRewriter
    from models.text.rewriter import CausalLMRewriter, RewriterConfig

    return GuardedRewriter(CausalLMRewriter(RewriterConfig(**settings.rewriter)))
