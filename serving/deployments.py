"""The model deployments (Transcriber, Vision) and CatalogSearch: thin shells that build their wrappers in __init__.

Media is decoded here, in the replica that uses it, once: bytes (not pixels) cross the network and decoding scales
with the model's replicas. Blocking work runs in a thread so a replica's event loop keeps filling the next batch.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from dataclasses import asdict
from typing import Any

import numpy as np
from ray import serve
from ray.serve.handle import DeploymentHandle

from serving.config import CatalogSearchArgs, TranscriberArgs, VisionArgs
from serving import metrics
from serving.messages import FrameVectors, Look, Sight
from serving.timing import Stopwatch

logger = logging.getLogger("kefu.serving")


class _Ready:
    """Answers the ingress' readiness probe; reaching the method at all means the constructor finished."""

    def ready(self) -> bool:
        return True


@serve.deployment
class Transcriber(_Ready):
    """Voice note bytes → Transcript (faster-whisper); notes from concurrent requests are decoded together."""

    def __init__(self, args: TranscriberArgs):
        from dataclasses import replace

        from models import load_transcriber

        config = args.model
        if args.hotword_index and args.hotword_titles > 0:
            from catalog_index.versions import product_titles

            titles = product_titles(args.hotword_index, args.hotword_titles)
            config = replace(config, hotwords=list(dict.fromkeys([*config.hotwords, *titles])))
        self.model = load_transcriber(config)
        self.max_audio_seconds = args.max_audio_seconds
        self._transcribe_batch.set_max_batch_size(args.batching.max_batch_size)
        self._transcribe_batch.set_batch_wait_timeout_s(args.batching.batch_wait_timeout_s)

    async def transcribe(self, audio: bytes, **options: Any):
        """A voice note's Transcript; `options` are `models.whisper.engine.TranscriptionJob`'s (language, prompt, task...)."""
        job = await asyncio.to_thread(self._job, audio, options)
        transcript = await self._transcribe_batch(job)
        if not transcript.segments:
            raise _no_speech()
        return transcript

    async def stream(self, audio: bytes, **options: Any):
        """Server-sent-event payloads: `transcript.start`, one `transcript.text.delta` per segment, then `done`."""
        from models.whisper.engine import join_texts, separator

        job = await asyncio.to_thread(self._job, audio, options)
        info, segments = await asyncio.to_thread(self.model.stream, job)
        if info.speech_seconds == 0:
            raise _no_speech()
        yield {"type": "transcript.start", **asdict(info)}
        texts: list[str] = []
        while (segment := await asyncio.to_thread(next, segments, None)) is not None:
            delta = separator(info.language, info.task) + segment.text if texts else segment.text
            texts.append(segment.text)
            yield {"type": "transcript.text.delta", "delta": delta, "segment": asdict(segment)}
        if not texts:
            raise _no_speech()
        yield {"type": "transcript.text.done", "text": join_texts(texts, info.language, info.task)}

    def _job(self, audio: bytes, options: dict[str, Any]):
        from media.audio import decode_audio
        from models.whisper.engine import TranscriptionJob

        waveform = decode_audio(audio, max_seconds=self.max_audio_seconds)
        return self.model.check(TranscriptionJob(waveform, **options))

    @serve.batch
    async def _transcribe_batch(self, jobs: list) -> list:
        metrics.batch("whisper", len(jobs))
        return await asyncio.to_thread(self.model.transcribe_jobs, jobs)


def _no_speech() -> Exception:
    from models.errors import NoSpeech

    return NoSpeech("the audio holds no speech (silence, noise or a tone); record the voice note again")


@serve.deployment
class Vision(_Ready):
    """Photos and video frames, each decoded once: the screenshot reader (PP-OCRv5), the defect detector (YOLO) and
    the image embedder all look at the same picture; the detector and the embedder batch across requests.

    One replica holds the three models, so a photo's bytes cross to one replica and are decoded there once; on a
    GPU node the detector and the embedder share that replica's GPU.
    """

    def __init__(self, args: VisionArgs):
        from aftersales.defects import DefectTaxonomy
        from models import load_detector, load_embedder, load_reader

        self.detector = load_detector(args.detector)
        self.embedder = load_embedder(args.embedder)
        self.reader = load_reader(args.ocr)
        self.args = args
        self.taxonomy = DefectTaxonomy.load(Path(args.taxonomy))
        for batch in (self._detect_batch, self._embed_batch):
            batch.set_max_batch_size(args.batching.max_batch_size)
            batch.set_batch_wait_timeout_s(args.batching.batch_wait_timeout_s)

    def info(self) -> dict:
        """The embedder's name and size, which the catalog index must have been built with."""
        return {"name": self.embedder.name, "dim": self.embedder.dim, "supports_text": self.embedder.supports_text}

    def labels(self) -> list[str]:
        return list(self.detector.labels)

    async def look(self, images: list[bytes]) -> Look:
        """One message's photos: each is read as a screenshot, or searched for defects and embedded for the catalog."""
        clock = Stopwatch()
        pictures = await clock.time("decode", asyncio.to_thread(self._decode_all, images))
        sights = await asyncio.gather(*(self._sight(picture, clock) for picture in pictures))
        return Look(tuple(sights), clock.ms)

    async def _sight(self, picture, clock: Stopwatch) -> Sight:
        from aftersales.defects import shown
        from media.image import for_embedding

        screen = await clock.time("read", asyncio.to_thread(self.reader.read_one, picture))
        if screen.screenshot:
            return Sight(screen=screen)
        found, vector = await asyncio.gather(clock.time("detect", self._detect_batch(picture)),
                                             clock.time("embed", self._embed_batch(for_embedding(picture))))
        photo = _photo(*picture.size, found)
        return Sight(photo=photo, shown=tuple(shown(photo, self.taxonomy)), vector=vector)

    async def detect(self, image: bytes) -> dict:
        """{width, height, defects: boxes with display names and location, issues: one per label with severity}."""
        from aftersales.defects import describe
        from media.image import decode_image

        picture = await asyncio.to_thread(decode_image, image, max_pixels=self.args.max_image_pixels)
        found = await self._detect_batch(picture)
        return describe(_photo(*picture.size, found), self.taxonomy)

    async def read(self, image: bytes) -> dict:
        """{screenshot, text, lines: [{text, score, box}], flat}."""
        from media.image import decode_image

        picture = await asyncio.to_thread(decode_image, image, max_pixels=self.args.max_image_pixels)
        return asdict(await asyncio.to_thread(self.reader.read_one, picture))

    async def embed_images(self, images: list[bytes]) -> np.ndarray:
        """Photos → their catalog embeddings, one row each (as the catalog build embeds them)."""
        from media.image import for_embedding

        pictures = await asyncio.to_thread(self._decode_all, images)
        rows = await asyncio.gather(*(self._embed_batch(for_embedding(p)) for p in pictures))
        return np.stack(rows) if rows else np.zeros((0, self.embedder.dim), dtype=np.float32)

    async def embed_video(self, video: bytes) -> FrameVectors:
        """A video → its sampled frames' embeddings: frames spread over the clip plus the first of each scene."""
        from media.image import for_embedding
        from media.video import decode_video_frames

        frames = await asyncio.to_thread(
            decode_video_frames, video, max_frames=self.args.max_video_frames,
            max_seconds=self.args.max_video_seconds, max_pixels=self.args.max_image_pixels)
        rows = await asyncio.gather(*(self._embed_batch(for_embedding(picture)) for _, picture in frames))
        return FrameVectors(tuple(t for t, _ in frames), np.stack(rows))

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed_texts(texts)

    def _decode_all(self, images: list[bytes]) -> list:
        from media.image import decode_image

        return [decode_image(data, max_pixels=self.args.max_image_pixels) for data in images]

    @serve.batch
    async def _detect_batch(self, pictures: list) -> list:
        metrics.batch("detector", len(pictures))
        return await asyncio.to_thread(self.detector.detect, pictures)

    @serve.batch
    async def _embed_batch(self, pictures: list) -> list[np.ndarray]:
        metrics.batch("embedder", len(pictures))
        return list(await asyncio.to_thread(self.embedder.embed_images, pictures))


def _photo(width: int, height: int, found) -> Any:
    from aftersales.defects import PhotoDetections

    return PhotoDetections(width, height, tuple((d.label, d.confidence, d.box) for d in found))


@serve.deployment
class CatalogSearch(_Ready):
    """Embeddings of photos or video frames, or a text → catalog matches, in the FAISS catalog index.

    The index follows its versioned root without a restart (`catalog_index.live.LiveIndex`). Ray Serve 2.60 runs a
    synchronous constructor on the replica's event loop, so the watch starts in `__init__`; should a future Serve
    call it outside a running loop, the first request starts it instead.
    """

    def __init__(self, vision: DeploymentHandle, settings: CatalogSearchArgs):
        from catalog_index.live import LiveIndex

        self.vision = vision
        self.settings = settings
        self.live = LiveIndex(settings.index_dir, settings.watch_interval_s)
        self._embedder: dict | None = None  # Vision's embedder, once checked against the index
        self.live.start_watch()

    def version(self) -> str | None:
        """The index version being served ("v000003"), or None when `index_dir` is a plain index folder."""
        return self.live.version

    async def reconfigure(self, user_config: dict) -> None:
        """Serve's `user_config`: {"index_version": "v000004"} or {"reload": true}; see `LiveIndex.reconfigure`."""
        await self.live.reconfigure(user_config)

    # -- searches -----------------------------------------------------------------------------------------------

    async def _checked(self):
        """The index to answer one request with, after checking (once) that Vision's embedder fits it."""
        self.live.start_watch()
        index = self.live.index  # read once: a swap during this request does not change what it searches
        if self._embedder is None:
            # The embedder's weights must be the ones the index was built with, or every score is noise.
            info = await self.vision.info.remote()
            index.check_embedder(info["name"], info["dim"])
            self._embedder = info
            self.live.expect(info["name"], info["dim"])
        return index

    async def search_vectors(self, vectors: np.ndarray, top_k: int | None = None) -> list[Any]:
        """One ranking for all photos of one message (Matches): a SKU's score is its best over the photos."""
        top_k = top_k or self.settings.top_k
        index = await self._checked()
        best: dict[str, Any] = {}
        for matches in index.search(np.asarray(vectors, dtype=np.float32), top_k):
            for match in matches:
                if match.sku not in best or match.score > best[match.sku].score:
                    best[match.sku] = match
        return sorted(best.values(), key=lambda m: m.score, reverse=True)[:top_k]

    async def search_frames(self, frames: FrameVectors, top_k: int | None = None) -> list[Any]:
        """A video's frames (VideoMatches): near-duplicates dropped, then a vote, so a still camera cannot outvote a
        product shown less."""
        from catalog_index.video import identify_video

        top_k = top_k or self.settings.top_k
        index = await self._checked()
        return identify_video(list(frames.times), frames.vectors, index.search, top_k)

    async def search_text(self, text: str, top_k: int | None = None) -> list[Any]:
        """Keyword (BM25) search (Matches); merged with a text-embedding search when the embedder is CLIP-like."""
        from catalog_index.index import merge_scores

        top_k = top_k or self.settings.top_k
        index = await self._checked()
        by_words = index.search_text(text, top_k)
        if not self._embedder["supports_text"]:
            return by_words
        vectors = await self.vision.embed_texts.remote([text])
        return merge_scores(by_words, index.search(vectors, top_k)[0], self.settings.keyword_weight, top_k)
