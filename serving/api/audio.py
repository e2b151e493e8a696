"""The OpenAI-compatible speech routes: transcription (JSON, text, subtitles or server-sent events) and translation."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response, StreamingResponse
from ray.serve.handle import DeploymentHandle

from serving import errors
from serving.api import audio_formats
from serving.access import needs
from serving.api.base import Routes
from serving.errors import ApiError
from serving.api.schemas import TranscriptionResponse

router = APIRouter()


class AudioRoutes(Routes):
    transcriber: DeploymentHandle

    @router.post(
        "/v1/audio/transcriptions",
        response_model=TranscriptionResponse,
        responses=errors.ERROR_RESPONSES,
        openapi_extra=needs("converse"),
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
        transcript = asdict(await self._call(self.transcriber.transcribe.remote(audio, **job)))
        return audio_formats.render(transcript, *options)

    @router.post(
        "/v1/audio/translations",
        response_model=TranscriptionResponse,
        responses=errors.ERROR_RESPONSES,
        openapi_extra=needs("converse"),
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
        transcript = asdict(await self._call(self.transcriber.transcribe.remote(audio, **job)))
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
