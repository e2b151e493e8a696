"""`/v1/conversations/{id}/messages`: one customer turn (text, a voice note, photos, a video) → a policy answer."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from serving import errors
from serving.access import needs
from serving.api.base import MULTIPART, Routes, form, is_json, json_body, parse
from serving.errors import ApiError
from serving.api.schemas import MessageIn, MessageResponse
from serving.turn import TurnMedia, TurnPipeline

router = APIRouter()


class ConversationRoutes(Routes):
    turns: TurnPipeline

    @router.post(
        "/v1/conversations/{conversation_id}/messages",
        response_model=MessageResponse,
        responses=errors.ERROR_RESPONSES,
        openapi_extra={**needs("converse"), "requestBody": {"content": {
            MULTIPART: {"schema": {"type": "object", "required": ["customer_id"], "properties": {
                **{k: {"type": "string"} for k in ("customer_id", "channel", "order_id", "language", "text")},
                "audio": {"type": "string", "format": "binary"},
                "image": {"type": "array", "items": {"type": "string", "format": "binary"}},
                "video": {"type": "string", "format": "binary"}}}},
            "application/json": {"schema": MessageIn.model_json_schema()},
        }}},
    )
    async def message(self, conversation_id: str, request: Request) -> dict:
        """One customer turn: text, a voice note, photos and/or a video → an answer decided by the shop's policy."""
        fields, media = await self._message_parts(request)
        return await self.turns.run(conversation_id, fields, media)

    async def _message_parts(self, request: Request) -> tuple[MessageIn, TurnMedia]:
        """The message's fields and files, read and checked (400/413/415/422 in the envelope otherwise)."""
        if is_json(request):
            fields, media = parse(MessageIn, await json_body(request)), TurnMedia()
        else:
            parts = await form(request)
            fields = parse(MessageIn, {k: _json_field(k, v) for k, v in parts.items() if isinstance(v, str)})
            uploads = parts.getlist("image")
            if len(uploads) > self.settings.max_images:
                raise ApiError(413, f"at most {self.settings.max_images} images per message", "too_many_images")
            media = TurnMedia(
                audio=await self._read(parts["audio"], "audio") if parts.get("audio") is not None else None,
                images=tuple([await self._read(f, "image") for f in uploads]),
                video=await self._read(parts["video"], "video") if parts.get("video") is not None else None,
            )
        if not (fields.text or media):
            raise ApiError(400, "the message has no text, audio, image or video", "empty_message")
        return fields, media


def _json_field(name: str, value: str) -> Any:
    """Multipart fields are strings: `product` and `cart` come as JSON text there."""
    if name not in ("product", "cart"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise ApiError(422, f"{name} must be JSON in a multipart message", "invalid_field") from None
