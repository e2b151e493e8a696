"""The HTTP API: the FastAPI ingress class, made of one route mixin per feature (serving/api/), served as `Ingress`."""

from __future__ import annotations

import logging

from ray import serve
from ray.serve.handle import DeploymentHandle

from serving.access import ApiKeys
from serving.access import configure as configure_access
from serving.api import mount
from serving.api.audio import AudioRoutes
from serving.api.catalog import CatalogRoutes
from serving.api.conversations import ConversationRoutes
from serving.api.desk import DeskRoutes
from serving.api.health import HealthRoutes
from serving.api.ingest import IngestRoutes
from serving.api.vision import VisionRoutes
from serving.config import IngressArgs
from serving.http import app
from serving.turn import TurnPipeline

logger = logging.getLogger("kefu.serving")


class KefuApi(HealthRoutes, AudioRoutes, VisionRoutes, CatalogRoutes, ConversationRoutes, IngestRoutes, DeskRoutes):
    """The route handlers over the deployments' handles; `Ingress` below is this class served as the ingress."""

    def __init__(
        self,
        transcriber: DeploymentHandle,
        vision: DeploymentHandle,
        catalog: DeploymentHandle,
        dialogue: DeploymentHandle,
        desk: DeploymentHandle,
        settings: IngressArgs,
    ):
        configure_access(ApiKeys.from_config(settings.access.api_keys), settings.access.require_api_keys)
        self.transcriber, self.vision, self.catalog, self.dialogue, self.desk = (
            transcriber, vision, catalog, dialogue, desk)
        self.handles = {"Transcriber": transcriber, "Vision": vision, "CatalogSearch": catalog, "Dialogue": dialogue,
                        "Desk": desk}
        self.settings = settings
        self.turns = TurnPipeline(transcriber, vision, catalog, dialogue, settings.request_timeout_s,
                                  settings.min_product_score, settings.candidates)
        self._ready = False


mount(app)
Ingress = serve.deployment(serve.ingress(app)(KefuApi), name="Ingress")
