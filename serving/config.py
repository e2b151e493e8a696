"""Typed settings for the kefu Serve application: what `build_app` receives as its YAML `args`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.detector import DetectorConfig
from models.embedder import EmbedderConfig
from models.whisper import WhisperConfig

DEPLOYMENT_NAMES = ("Ingress", "Transcriber", "DefectDetector", "Embedder", "CatalogSearch", "Dialogue")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeploymentOptions(_Strict):
    """How one deployment is scheduled.

    Attributes:
        num_replicas: Replicas to run; scale this out on a Ray cluster for promotion peaks.
        num_cpus: CPUs each replica reserves. Fractional on a small CPU box so six deployments fit on two cores.
        num_gpus: GPUs each replica reserves (fractional values share one GPU between replicas).
        max_ongoing_requests: Requests a replica accepts at once before the router queues or rejects.
        max_batch_size: Largest `@serve.batch` batch (model deployments only).
        batch_wait_timeout_s: How long a batch waits to fill before it runs.
    """

    num_replicas: int = Field(1, ge=1)
    num_cpus: float = Field(0.25, ge=0)
    num_gpus: float = Field(0.0, ge=0)
    max_ongoing_requests: int = Field(32, ge=1)
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
        top_k: Default number of matches returned.
        min_score: A photo's best match below this cosine similarity is not treated as an identified product.
        keyword_weight: Share of the keyword (BM25) score when a text query is also embedded by a CLIP-like
            embedder; the rest is the text-embedding similarity. 1.0 ranks by keywords alone.
        watch_interval_s: How often each CatalogSearch replica polls `<index_dir>/CURRENT` for a newly published
            version and swaps to it without downtime; 0 disables the watch (a restart or `reconfigure` swaps).
        hotwords: How many product titles of the index the speech model gets as the shop's vocabulary (on top of
            the transcriber's own `hotwords`), so it writes product names as the catalog does; 0 for none.
    """

    index_dir: str = "var/index/demo"
    top_k: int = Field(5, ge=1, le=100)
    min_score: float = Field(0.5, ge=-1.0, le=1.0)
    keyword_weight: float = Field(0.5, ge=0.0, le=1.0)
    watch_interval_s: float = Field(2.0, ge=0.0)
    hotwords: int = Field(40, ge=0, le=500)


class DialogueSettings(_Strict):
    """The after-sales brain.

    Attributes:
        store_url: SQLAlchemy URL of the order store (SQLite file by default, PostgreSQL by URL).
        policies_dir: Folder of the shop's policy YAML files.
        seed_demo: Seed the demo customers, products and orders on start (idempotent).
        demo_catalog: Catalog CSV the demo seed reads products from.
        erp: The shop's own HTTP ERP, asked for an order the store does not have: {base_url, order_path, fields,
            timezone, headers, timeout_s} (aftersales.erp.ErpConfig; `fields` maps kefu's order fields to the ERP's
            JSON paths). None: orders come only through the ingest API.
    """

    store_url: str = "sqlite:///var/kefu.db"
    policies_dir: str = "configs/policies"
    seed_demo: bool = True
    demo_catalog: str = "catalog_index/demo/catalog.csv"
    erp: dict[str, Any] | None = None

    @field_validator("erp")
    @classmethod
    def _erp(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            erp_config(value)  # refuse a bad ERP block before Ray starts, with the reason
        return value


def erp_config(value: dict[str, Any]) -> Any:
    """The ErpConfig an `erp:` block describes; ValueError (a validation error for pydantic) when it is nonsense."""
    from aftersales.erp import ErpConfig, field_map
    from aftersales.errors import InvalidInput

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
        catalog: Catalog index settings.
        dialogue: Store and policy settings.
        limits: Request limits.
        defect_taxonomy: The defect taxonomy file (labels, display names, severity thresholds) that turns the
            detector's boxes into after-sales issues, for DefectDetector and Dialogue alike.
        deployments: Per-deployment scheduling, keyed by deployment name; missing names take the defaults.
    """

    transcriber: WhisperConfig = Field(default_factory=WhisperConfig)
    embedder: EmbedderConfig = Field(default_factory=EmbedderConfig)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    dialogue: DialogueSettings = Field(default_factory=DialogueSettings)
    limits: Limits = Field(default_factory=Limits)
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
        return self

    def options_for(self, name: str) -> DeploymentOptions:
        return self.deployments.get(name, DeploymentOptions())


def _absolute_sqlite(url: str) -> str:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/") or url == prefix + ":memory:":
        return url
    path = Path(url[len(prefix):]).absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    return prefix + str(path)
