"""One conversation turn as a pipeline: the voice note heard, the photos looked at once, the product searched by
their vectors, then Dialogue decides and answers; every stage timed."""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable

from ray.serve.handle import DeploymentHandle

from aftersales.money import parse_amount
from aftersales.store.chat import StoredAnswer
from aftersales.turn_input import CartLine, ProductHit, TurnInput, ViewedProduct
from serving.api.schemas import MessageIn
from serving.errors import bounded
from serving import metrics
from serving.messages import Look
from serving.timing import Stopwatch


@dataclass(frozen=True)
class TurnMedia:
    """The files of one message, already read and size-checked.

    Attributes:
        audio: A voice note.
        images: Photos and screenshots, in the order sent.
        video: A short video (identified only when no photo came with it).
    """

    audio: bytes | None = None
    images: tuple[bytes, ...] = field(default=())
    video: bytes | None = None

    def __bool__(self) -> bool:
        return bool(self.audio or self.images or self.video)

    @property
    def kind(self) -> str:
        """What the turn carried, for its metrics: text, photo, voice, voice_photo or video."""
        if self.audio is not None:
            return "voice_photo" if self.images else "voice"
        return "photo" if self.images else "video" if self.video is not None else "text"

    def fingerprint(self, fields: MessageIn) -> str:
        """sha256 of the message: its fields and every file, in order (what an idempotency key stands for)."""
        digest = hashlib.sha256(fields.model_dump_json().encode())
        for name, data in (("audio", self.audio), *(("image", i) for i in self.images), ("video", self.video)):
            if data is not None:
                digest.update(f"\0{name}:{len(data)}\0".encode())
                digest.update(data)
        return digest.hexdigest()


class TurnPipeline:
    """Transcriber ∥ (Vision → CatalogSearch), then Dialogue: at most four deployment calls a turn.

    Args:
        transcriber, vision, catalog, dialogue: The deployments' handles.
        timeout_s: Bound on each deployment call (past it: 504).
        min_product_score: The best catalog match below this is not taken as the product shown.
        candidates: Catalog matches a turn returns and picks its product from.
    """

    def __init__(self, transcriber: DeploymentHandle, vision: DeploymentHandle, catalog: DeploymentHandle,
                 dialogue: DeploymentHandle, timeout_s: float, min_product_score: float, candidates: int):
        self.transcriber, self.vision, self.catalog, self.dialogue = transcriber, vision, catalog, dialogue
        self.timeout_s = timeout_s
        self.min_product_score = min_product_score
        self.candidates = candidates

    async def _call(self, call: Awaitable[Any]) -> Any:
        return await bounded(call, self.timeout_s)

    async def run(self, conversation_id: str, fields: MessageIn, media: TurnMedia,
                  idempotency_key: str | None = None) -> tuple[dict[str, Any], bool]:
        """The answer to one message, as `MessageResponse`, and whether it is the stored answer of an earlier request
        with the same idempotency key (then no model ran and nothing was stored again)."""
        clock = Stopwatch()
        started = time.perf_counter()
        fingerprint = ""
        if idempotency_key is not None:
            fingerprint = media.fingerprint(fields)
            stored = await self._call(clock.time("replay", self.dialogue.answered.remote(
                conversation_id, fields.customer_id, fields.channel, idempotency_key, fingerprint)))
            if stored is not None:
                return self._replayed(conversation_id, stored, clock, started), True
        seen = asyncio.ensure_future(self._see(media, clock))
        heard = None
        if media.audio is not None:
            heard = asyncio.ensure_future(clock.time("transcribe", self._call(
                self.transcriber.transcribe.remote(media.audio, language=fields.language))))
        try:
            # The first failure ends the turn at once (a deployment at capacity refuses in milliseconds; the other
            # stage is not waited for).
            done, _ = await asyncio.wait([t for t in (seen, heard) if t is not None],
                                         return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()
            look, candidates = seen.result()
            transcript = heard.result() if heard is not None else None
        finally:
            for task in (seen, heard):
                if task is not None and not task.done():
                    task.cancel()

        product = None
        if candidates and candidates[0].score >= self.min_product_score:
            product = ProductHit(candidates[0].sku, candidates[0].title, candidates[0].score)
        sights = look.sights if look else ()
        turn = TurnInput(
            conversation_id=conversation_id,
            customer_id=fields.customer_id,
            channel=fields.channel,
            text=" ".join(t for t in (fields.text, transcript.text if transcript else None) if t),
            language_hint=fields.language,
            order_id=fields.order_id or None,
            transcript_language=transcript.language if transcript else None,
            product=product,
            photos=tuple(s.photo for s in sights if s.photo is not None),
            viewed=ViewedProduct(**fields.product.model_dump(exclude_none=True)) if fields.product else None,
            cart=tuple(CartLine(line.sku, line.quantity,
                                None if line.unit_price is None else parse_amount(line.unit_price))
                       for line in fields.cart),
            screens=tuple(s.screen.text for s in sights if s.screen is not None),
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            shown={
                "transcript": transcript.text if transcript else None,
                "candidates": [match.to_dict() for match in candidates],
                "detections": [{**box, "photo": i} for i, s in enumerate(sights) for box in s.shown],
                "screens": [{"photo": i, "text": s.screen.text} for i, s in enumerate(sights)
                            if s.screen is not None],
            },
        )
        result = await self._call(clock.time("dialogue", self.dialogue.handle.remote(turn)))
        if isinstance(result, StoredAnswer):  # a retry of this message, sent at the same time, was stored first
            return self._replayed(conversation_id, result, clock, started), True
        clock.ms["total"] = round((time.perf_counter() - started) * 1000, 1)
        timings = {**(look.ms if look else {}), **clock.ms}
        metrics.turn(media.kind, timings)
        return {**result.to_dict(), **turn.shown, "conversation_id": conversation_id, "timings_ms": timings}, False

    @staticmethod
    def _replayed(conversation_id: str, stored: StoredAnswer, clock: Stopwatch, started: float) -> dict[str, Any]:
        clock.ms["total"] = round((time.perf_counter() - started) * 1000, 1)
        return {**stored.body, "conversation_id": conversation_id, "timings_ms": clock.ms}

    async def _see(self, media: TurnMedia, clock: Stopwatch) -> tuple[Look | None, list[Any]]:
        """Vision's look at the photos and the catalog's matches for the goods among them (or for the video)."""
        if media.images:
            look = await self._call(clock.time("vision", self.vision.look.remote(list(media.images))))
            if not look.goods:
                return look, []
            matches = await self._call(clock.time("identify", self.catalog.search_vectors.remote(
                look.vectors(), self.candidates)))
            return look, matches
        if media.video is not None:
            frames = await self._call(clock.time("vision", self.vision.embed_video.remote(media.video)))
            return None, await self._call(clock.time("identify", self.catalog.search_frames.remote(
                frames, self.candidates)))
        return None, []
