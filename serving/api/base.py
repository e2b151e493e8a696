"""What every feature's routes share: bounded deployment calls, size-checked uploads, and request parsing."""

from __future__ import annotations

import json
from typing import Any, Awaitable

from fastapi import Request, UploadFile
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from serving.config import IngressArgs
from serving.errors import ApiError, bounded

MULTIPART = "multipart/form-data"


class Routes:
    """Base of the ingress' route mixins; the ingress sets the handles and `settings` in its constructor."""

    settings: IngressArgs

    async def _call(self, call: Awaitable[Any]) -> Any:
        return await bounded(call, self.settings.request_timeout_s)

    async def _read(self, upload: Any, field: str) -> bytes:
        """An uploaded file's bytes: 400 when it is not a file or empty, 413 over `settings.max_upload_bytes`."""
        if not isinstance(upload, (UploadFile, StarletteUpload)):
            raise ApiError(400, f"'{field}' must be a file upload", "invalid_field")
        data = await upload.read(self.settings.max_upload_bytes + 1)
        if len(data) > self.settings.max_upload_bytes:
            raise ApiError(413, f"'{field}' is larger than {self.settings.max_upload_bytes} bytes", "media_too_large")
        if not data:
            raise ApiError(400, f"'{field}' is an empty file", "empty_file")
        return data


def is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip() == "application/json"


async def json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}", "invalid_json") from exc
    except RecursionError as exc:  # the C decoder gives up on arrays or objects nested thousands deep
        raise ApiError(400, "body is nested too deeply to be a message", "invalid_json") from exc


async def form(request: Request):
    if request.headers.get("content-type", "").split(";")[0].strip() != MULTIPART:
        raise ApiError(415, "send multipart/form-data (files) or application/json (text only)", "unsupported_content_type")
    try:
        return await request.form(max_files=64, max_fields=64)
    except Exception as exc:  # starlette raises several types for malformed multipart bodies
        raise ApiError(400, f"malformed multipart body: {exc}", "invalid_multipart") from exc


def parse(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise ApiError(422, detail, "validation_error") from exc


def int_field(raw: Any, name: str, low: int, high: int) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise ApiError(422, f"{name}: must be an integer", "validation_error") from exc
    if not low <= value <= high:
        raise ApiError(422, f"{name}: must be between {low} and {high}", "validation_error")
    return value
