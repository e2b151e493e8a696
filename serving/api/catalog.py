"""`/v1/catalog/search`: a photo, a short video or a text → the closest catalog products."""

from __future__ import annotations

from fastapi import APIRouter, Request
from ray.serve.handle import DeploymentHandle

from serving import errors
from serving.access import needs
from serving.api.base import MULTIPART, Routes, form, int_field, is_json, json_body, parse
from serving.errors import ApiError
from serving.api.schemas import CatalogSearchResponse, SearchTextIn

router = APIRouter()


class CatalogRoutes(Routes):
    vision: DeploymentHandle
    catalog: DeploymentHandle

    @router.post(
        "/v1/catalog/search",
        response_model=CatalogSearchResponse,
        responses=errors.ERROR_RESPONSES,
        openapi_extra={**needs("converse"), "requestBody": {"content": {
            MULTIPART: {"schema": {"type": "object", "properties": {
                "image": {"type": "string", "format": "binary"},
                "video": {"type": "string", "format": "binary"},
                "top_k": {"type": "integer"}}}},
            "application/json": {"schema": SearchTextIn.model_json_schema()},
        }}},
    )
    async def catalog_search(self, request: Request) -> dict:
        """A photo or a short video (multipart), or a text query (JSON) → the closest catalog products."""
        if is_json(request):
            body = parse(SearchTextIn, await json_body(request))
            matches = await self._call(self.catalog.search_text.remote(body.text, body.top_k))
            return {"matches": [m.to_dict() for m in matches]}
        parts = await form(request)
        top_k = int_field(parts.get("top_k"), "top_k", 1, 100)
        if parts.get("image") is not None:
            images = [await self._read(f, "image") for f in parts.getlist("image")]
            vectors = await self._call(self.vision.embed_images.remote(images))
            matches = await self._call(self.catalog.search_vectors.remote(vectors, top_k))
        elif parts.get("video") is not None:
            video = await self._read(parts.get("video"), "video")
            frames = await self._call(self.vision.embed_video.remote(video))
            matches = await self._call(self.catalog.search_frames.remote(frames, top_k))
        elif parts.get("text"):
            matches = await self._call(self.catalog.search_text.remote(str(parts.get("text")), top_k))
        else:
            raise ApiError(400, "send an 'image' or 'video' file, or JSON {\"text\": ...}", "missing_query")
        return {"matches": [m.to_dict() for m in matches]}
