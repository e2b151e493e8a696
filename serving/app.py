"""The app builder: `serving.app:build_app` turns AppArgs into the bound Serve application (YAML `import_path`)."""

# No `from __future__ import annotations` here: Ray Serve reads the builder's real annotation to validate the
# YAML `args` into AppArgs.
from ray.serve import Application
from ray.serve.config import BackpressureConfig

from serving.config import AppArgs
from serving.deployments import CatalogSearch, Transcriber, Vision
from serving.dialogue import Desk, Dialogue
from serving.ingress import Ingress


def _options(args: AppArgs, name: str) -> dict:
    opts = args.options_for(name)
    return {
        "num_replicas": opts.num_replicas,
        "max_ongoing_requests": opts.max_ongoing_requests,
        # Refused past the queue bound: the proxy answers the Ingress's refusals itself, the Ingress those of the
        # deployments it calls (in kefu's error envelope); both say when to come back.
        "max_queued_requests": opts.max_queued_requests,
        "backpressure_config": BackpressureConfig(status_code=503, retry_after_s=opts.retry_after_s),
        "ray_actor_options": {"num_cpus": opts.num_cpus, "num_gpus": opts.num_gpus},
    }


def build_app(args: AppArgs) -> Application:
    """Ingress → Transcriber, Vision, CatalogSearch (→ Vision), Dialogue and Desk, each bound to its own settings."""
    if not isinstance(args, AppArgs):
        args = AppArgs.model_validate(args)
    vision = Vision.options(**_options(args, "Vision")).bind(args.vision_args())
    return Ingress.options(**_options(args, "Ingress")).bind(
        transcriber=Transcriber.options(**_options(args, "Transcriber")).bind(args.transcriber_args()),
        vision=vision,
        catalog=CatalogSearch.options(**_options(args, "CatalogSearch")).bind(vision, args.catalog_search_args()),
        dialogue=Dialogue.options(**_options(args, "Dialogue")).bind(args.dialogue, args.defect_taxonomy),
        desk=Desk.options(**_options(args, "Desk")).bind(args.desk_args()),
        settings=args.ingress_args(),
    )
