"""The HTTP API: one FastAPI ingress that fans a request out to the deployments and answers in one envelope."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, is_dataclass
from typing import Any, Awaitable

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError
from ray import serve
from ray.serve.handle import DeploymentHandle
from starlette.datastructures import UploadFile as StarletteUpload

from serving import audio_formats, errors
from serving.http import app
from serving.access import ApiKeys
from serving.access import configure as configure_access
from serving.config import AccessSettings, Limits
from serving.desk_routes import DeskRoutes
from serving.ingest_routes import IngestRoutes
from serving.errors import ApiError
from serving.schemas import (
    CatalogSearchResponse,
    DefectsResponse,
    MessageIn,
    MessageResponse,
    ScreenshotResponse,
    SearchTextIn,
    TranscriptionResponse,
)
from serving.turn import TurnMedia, TurnPipeline

logger = logging.getLogger("kefu.serving")


_MULTIPART = "multipart/form-data"


def _plain(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) else value


class KefuApi(IngestRoutes, DeskRoutes):
    """The route handlers; `Ingress` below is this class served as a FastAPI ingress deployment."""

    def __init__(
        self,
        transcriber: DeploymentHandle,
        vision: DeploymentHandle,
        catalog: DeploymentHandle,
        dialogue: DeploymentHandle,
        limits: Limits,
        min_product_score: float,
        candidates: int = 3,
        access: AccessSettings | None = None,
    ):
        access = access or AccessSettings()
        configure_access(ApiKeys.from_config(access.api_keys), access.require_api_keys)
        self.transcriber, self.vision, self.catalog, self.dialogue = transcriber, vision, catalog, dialogue
        self.handles = {"Transcriber": transcriber, "Vision": vision, "CatalogSearch": catalog, "Dialogue": dialogue}
        self.limits = limits
        self.turns = TurnPipeline(transcriber, vision, catalog, dialogue, limits, min_product_score, candidates)
        self._ready = False

    async def _call(self, call: Awaitable[Any]) -> Any:
        return await asyncio.wait_for(call, timeout=self.limits.request_timeout_s)

    async def _read(self, upload: Any, field: str) -> bytes:
        if not isinstance(upload, (UploadFile, StarletteUpload)):
            raise ApiError(400, f"'{field}' must be a file upload", "invalid_field")
        data = await upload.read(self.limits.max_upload_bytes + 1)
        if len(data) > self.limits.max_upload_bytes:
            raise ApiError(413, f"'{field}' is larger than {self.limits.max_upload_bytes} bytes", "media_too_large")
        if not data:
            raise ApiError(400, f"'{field}' is an empty file", "empty_file")
        return data

    @app.get("/healthz", responses={503: {"model": errors.ErrorResponse}})
    async def healthz(self) -> JSONResponse:
        """200 once every deployment has a running replica, 503 before."""
        if not self._ready:
            names = list(self.handles)
            probes = [asyncio.wait_for(h.ready.remote(), timeout=2.0) for h in self.handles.values()]
            results = await asyncio.gather(*probes, return_exceptions=True)
            waiting = [n for n, r in zip(names, results) if r is not True]
            if waiting:
                return errors.envelope(503, f"not ready: {', '.join(waiting)}", "service_unavailable", "starting")
            self._ready = True
        return JSONResponse({"status": "ok", "deployments": list(self.handles)})

    @app.post(
        "/v1/audio/transcriptions",
        response_model=TranscriptionResponse,
        responses=errors.ERROR_RESPONSES,
        summary="OpenAI-compatible transcription of a voice note",
    )
    async def transcriptions(
        self,
        file: UploadFile = File(..., description="Audio: wav, mp3, m4a/aac, ogg/opus, webm, flac, amr"),
        model: str = Form("whisper-base", description="Accepted for OpenAI compatibility; the deployment's model answers"),
        language: str | None = Form(None, description="ISO 639-1 code; detected when absent"),
        prompt: str | None = Form(None, description="Earlier context: vocabulary, names, the order id"),
        response_format: str = Form("json", description="json, text, verbose_json, srt or vtt"),
        temperature: float = Form(0.0, ge=0.0, le=1.0),
        timestamp_granularities: list[str] = Form(
            ["segment"], alias="timestamp_granularities[]", description="segment and/or word (verbose_json only)"
        ),
        stream: bool = Form(False, description="Answer with server-sent events, one per segment as it is decoded"),
    ) -> Response:
        options = _speech_options(response_format, timestamp_granularities, stream)
        audio = await self._read(file, "file")
        job = {"language": language or None, "prompt": prompt or None, "temperature": temperature,
               "word_timestamps": "word" in timestamp_granularities}
        if stream:
            return await self._stream(audio, job)
        transcript = _plain(await self._call(self.transcriber.transcribe.remote(audio, **job)))
        return audio_formats.render(transcript, *options)

    @app.post(
        "/v1/audio/translations",
        response_model=TranscriptionResponse,
        responses=errors.ERROR_RESPONSES,
        summary="OpenAI-compatible translation of a voice note into English",
    )
    async def translations(
        self,
        file: UploadFile = File(..., description="Audio in any language Whisper knows (Thai, Indonesian, ...)"),
        model: str = Form("whisper-base", description="Accepted for OpenAI compatibility; the deployment's model answers"),
        prompt: str | None = Form(None, description="Earlier context, in English"),
        response_format: str = Form("json", description="json, text, verbose_json, srt or vtt"),
        temperature: float = Form(0.0, ge=0.0, le=1.0),
    ) -> Response:
        options = _speech_options(response_format, ["segment"], False)
        audio = await self._read(file, "file")
        job = {"prompt": prompt or None, "task": "translate", "temperature": temperature}
        transcript = _plain(await self._call(self.transcriber.transcribe.remote(audio, **job)))
        return audio_formats.render(transcript, *options)

    async def _stream(self, audio: bytes, job: dict[str, Any]) -> StreamingResponse:
        # Decoding and no-speech errors surface on the first event, while a 4xx can still be the answer.
        events = self.transcriber.options(stream=True).stream.remote(audio, **job)
        first = await self._call(events.__anext__())

        async def following() -> dict:
            return await self._call(events.__anext__())

        def on_error(exc: BaseException) -> dict:
            return json.loads(errors.to_response(exc).body)

        return StreamingResponse(audio_formats.sse(first, following, on_error), media_type="text/event-stream")

    @app.post("/v1/defects", response_model=DefectsResponse, responses=errors.ERROR_RESPONSES)
    async def defects(self, image: UploadFile = File(..., description="A photo (JPEG, PNG, WebP...)")) -> dict:
        data = await self._read(image, "image")
        return await self._call(self.vision.detect.remote(data))

    @app.post("/v1/screenshots", response_model=ScreenshotResponse, responses=errors.ERROR_RESPONSES)
    async def screenshots(self, image: UploadFile = File(..., description="A screenshot or a photo")) -> dict:
        """Whether a picture is a screenshot (an order page, a chat, a parcel label) and what it says."""
        from aftersales.slots import extract

        data = await self._read(image, "image")
        screen = await self._call(self.vision.read.remote(data))
        slots = None
        if screen["screenshot"]:
            found = extract(screen["text"])
            slots = {"order_id": found.order_id, "tracking_number": found.tracking_number, "phone": found.phone,
                     "amounts": [f"{c // 100}.{c % 100:02d}" for c in found.amounts], "dates": found.dates}
        return {**screen, "slots": slots}

    @app.post(
        "/v1/catalog/search",
        response_model=CatalogSearchResponse,
        responses=errors.ERROR_RESPONSES,
        openapi_extra={"requestBody": {"content": {
            _MULTIPART: {"schema": {"type": "object", "properties": {
                "image": {"type": "string", "format": "binary"},
                "video": {"type": "string", "format": "binary"},
                "top_k": {"type": "integer"}}}},
            "application/json": {"schema": SearchTextIn.model_json_schema()},
        }}},
    )
    async def catalog_search(self, request: Request) -> dict:
        """A photo or a short video (multipart), or a text query (JSON) → the closest catalog products."""
        if _is_json(request):
            body = _parse(SearchTextIn, await _json_body(request))
            matches = await self._call(self.catalog.search_text.remote(body.text, body.top_k))
            return {"matches": matches}
        form = await _form(request)
        top_k = _int_field(form.get("top_k"), "top_k", 1, 100)
        if form.get("image") is not None:
            images = [await self._read(f, "image") for f in form.getlist("image")]
            vectors = await self._call(self.vision.embed_images.remote(images))
            matches = await self._call(self.catalog.search_vectors.remote(vectors, top_k))
        elif form.get("video") is not None:
            video = await self._read(form.get("video"), "video")
            frames = await self._call(self.vision.embed_video.remote(video))
            matches = await self._call(self.catalog.search_frames.remote(frames, top_k))
        elif form.get("text"):
            matches = await self._call(self.catalog.search_text.remote(str(form.get("text")), top_k))
        else:
            raise ApiError(400, "send an 'image' or 'video' file, or JSON {\"text\": ...}", "missing_query")
        return {"matches": matches}

    @app.post(
        "/v1/conversations/{conversation_id}/messages",
        response_model=MessageResponse,
        responses=errors.ERROR_RESPONSES,
        openapi_extra={"requestBody": {"content": {
            _MULTIPART: {"schema": {"type": "object", "required": ["customer_id"], "properties": {
                **{k: {"type": "string"} for k in ("customer_id", "channel", "order_id", "language", "text")},
                "audio": {"type": "string", "format": "binary"},
                "image": {"type": "array", "items": {"type": "string", "format": "binary"}},
                "video": {"type": "string", "format": "binary"}}}},
            "application/json": {"schema": MessageIn.model_json_schema()},
        }}},
    )
    async def message(self, conversation_id: str, request: Request) -> dict:
        """One customer turn: text, a voice note, photos and/or a video → an answer decided by the shop's policy."""
        if _is_json(request):
            fields = _parse(MessageIn, await _json_body(request))
            media = TurnMedia()
        else:
            form = await _form(request)
            fields = _parse(MessageIn, {k: _json_field(k, v) for k, v in form.items() if isinstance(v, str)})
            uploads = form.getlist("image")
            if len(uploads) > self.limits.max_images:
                raise ApiError(413, f"at most {self.limits.max_images} images per message", "too_many_images")
            media = TurnMedia(
                audio=await self._read(form["audio"], "audio") if form.get("audio") is not None else None,
                images=tuple([await self._read(f, "image") for f in uploads]),
                video=await self._read(form["video"], "video") if form.get("video") is not None else None,
            )
        if not (fields.text or media):
            raise ApiError(400, "the message has no text, audio, image or video", "empty_message")
        return await self.turns.run(conversation_id, fields, media)


def _speech_options(response_format: str, granularities: list[str], stream: bool) -> tuple[str, tuple[str, ...]]:
    if response_format not in audio_formats.RESPONSE_FORMATS:
        raise ApiError(400, f"response_format must be one of {list(audio_formats.RESPONSE_FORMATS)}", "invalid_field")
    unknown = [g for g in granularities if g not in audio_formats.TIMESTAMP_GRANULARITIES]
    if unknown or not granularities:
        raise ApiError(
            400,
            f"timestamp_granularities[] takes {list(audio_formats.TIMESTAMP_GRANULARITIES)}, not {unknown or 'nothing'}",
            "invalid_field",
        )
    if granularities != ["segment"] and response_format != "verbose_json":
        raise ApiError(400, "timestamp_granularities[] needs response_format=verbose_json", "invalid_field")
    if stream and response_format not in audio_formats.STREAM_FORMATS:
        raise ApiError(400, "stream=true answers events; use response_format json or text", "invalid_field")
    return response_format, tuple(granularities)


def _json_field(name: str, value: str) -> Any:
    """Multipart fields are strings: `product` and `cart` come as JSON text there."""
    if name not in ("product", "cart"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise ApiError(422, f"{name} must be JSON in a multipart message", "invalid_field") from None


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip() == "application/json"


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}", "invalid_json") from exc
    except RecursionError as exc:  # the C decoder gives up on arrays or objects nested thousands deep
        raise ApiError(400, "body is nested too deeply to be a message", "invalid_json") from exc


async def _form(request: Request):
    if request.headers.get("content-type", "").split(";")[0].strip() != _MULTIPART:
        raise ApiError(415, "send multipart/form-data (files) or application/json (text only)", "unsupported_content_type")
    try:
        return await request.form(max_files=64, max_fields=64)
    except Exception as exc:  # starlette raises several types for malformed multipart bodies
        raise ApiError(400, f"malformed multipart body: {exc}", "invalid_multipart") from exc


def _parse(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise ApiError(422, detail, "validation_error") from exc


def _int_field(raw: Any, name: str, low: int, high: int) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise ApiError(422, f"{name}: must be an integer", "validation_error") from exc
    if not low <= value <= high:
        raise ApiError(422, f"{name}: must be between {low} and {high}", "validation_error")
    return value


Ingress = serve.deployment(serve.ingress(app)(KefuApi), name="Ingress")
