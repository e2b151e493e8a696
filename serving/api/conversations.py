"""`/v1/conversations/{id}/messages`: one customer turn (text, a voice note, photos, a video) → a policy answer."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Request, Response

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
        openapi_extra={**needs("converse"), "parameters": [{
            "name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 128},
            "description": "the chat backend's id for this message: sent again, the same answer comes back (with "
                           "Idempotent-Replayed: true) and the turn is stored once"}],
            "requestBody": {"content": {
            MULTIPART: {"schema": {"type": "object", "required": ["customer_id"], "properties": {
                **{k: {"type": "string"} for k in ("customer_id", "channel", "order_id", "language", "text")},
                "audio": {"type": "string", "format": "binary"},
                "image": {"type": "array", "items": {"type": "string", "format": "binary"}},
                "video": {"type": "string", "format": "binary"}}}},
            "application/json": {"schema": MessageIn.model_json_schema()},
        }}},
    )
    async def message(self, conversation_id: str, request: Request, response: Response) -> dict:
        """One customer turn: text, a voice note, photos and/or a video → an answer decided by the shop's policy.

        With an `Idempotency-Key` header, the chat backend may send the message again (after a time-out, a 503 or a
        lost connection): the same key in the same conversation gets the answer the first request got, the turn is
        stored once, and the response says `Idempotent-Replayed: true`. The same key on another message is 409."""
        key = idempotency_key(request)
        fields, media = await self._message_parts(request)
        answer, replayed = await self.turns.run(conversation_id, fields, media, key)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return answer

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


# What an idempotency key may be: what chat backends send (UUIDs, message ids), printable ASCII.
_KEY = re.compile(r"[\x21-\x7e]{1,128}")


def idempotency_key(request: Request) -> str | None:
    """The request's `Idempotency-Key` header, None without one; 400 when it is not 1-128 printable ASCII."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise ApiError(400, "Idempotency-Key must be 1-128 printable ASCII characters", "invalid_idempotency_key")
    return key


def _json_field(name: str, value: str) -> Any:
    """Multipart fields are strings: `product` and `cart` come as JSON text there."""
    if name not in ("product", "cart"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise ApiError(422, f"{name} must be JSON in a multipart message", "invalid_field") from None
