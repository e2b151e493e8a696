"""The one error envelope: maps domain exceptions (and Ray's wrappers of them) to HTTP codes and JSON."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from ray.exceptions import RayError
from ray.serve.exceptions import BackPressureError, DeploymentUnavailableError
from starlette.exceptions import HTTPException as StarletteHTTPException

from aftersales import errors as aftersales_errors
from catalog_index import errors as catalog_errors
from media import errors as media_errors
from models import errors as model_errors

logger = logging.getLogger("kefu.serving")


class ErrorBody(BaseModel):
    message: str
    type: str
    code: str | None = None
    param: str | None = None  # the field at fault, as a dotted path ("items.0.unit_price"), when one is


class ErrorResponse(BaseModel):
    """Every non-2xx answer of kefu has this shape."""

    error: ErrorBody


class ApiError(Exception):
    """An error the ingress raises itself (bad form fields, limits, a deployment at capacity)."""

    def __init__(self, status: int, message: str, code: str, type_: str = "invalid_request_error",
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.type = status, message, code, type_
        self.headers = headers


class AtCapacity(Exception):
    """A replica's own bound on waiting work is reached (Dialogue's `max_waiting`): refused at once, like Ray Serve's
    BackPressureError, but decided in the replica, without the router probing replicas for room."""

    def __init__(self, deployment: str, retry_after_s: float):
        super().__init__(f"{deployment} is at capacity")
        self.retry_after_s = retry_after_s

    def __reduce__(self):  # crosses replicas inside Ray's RayTaskError
        return (AtCapacity, (str(self).removesuffix(" is at capacity"), self.retry_after_s))


# When a refused caller is told to come back, if the refusal does not say.
RETRY_AFTER_S = 1


def refused(exc: BaseException) -> ApiError:
    """A deployment's refusal (its queue is full, or it has no live replica for a moment) as kefu's 503: at once,
    never queued into a time-out, with the Retry-After the deployment's config gives; the chat backend retries then,
    with the same Idempotency-Key. (Ray Serve answers these itself in plain text when they reach the app.)"""
    retry = getattr(exc, "retry_after_s", None)
    retry = RETRY_AFTER_S if retry is None else max(1, math.ceil(retry))
    return ApiError(503, "kefu is at capacity; retry shortly", "backpressure", "service_unavailable",
                    headers={"Retry-After": str(retry)})


# Most specific first: the first class an exception is an instance of decides its status.
_STATUS: list[tuple[type[BaseException], int, str]] = [
    (media_errors.MediaTooLarge, 413, "invalid_request_error"),
    (media_errors.UnsupportedMedia, 415, "invalid_request_error"),
    (media_errors.MediaError, 400, "invalid_request_error"),
    (model_errors.UnsupportedOperation, 400, "invalid_request_error"),
    (catalog_errors.IndexMismatch, 503, "service_unavailable"),
    (catalog_errors.IndexNotFound, 503, "service_unavailable"),
    (catalog_errors.CatalogError, 400, "invalid_request_error"),
    (aftersales_errors.NotFound, 404, "not_found_error"),
    (aftersales_errors.UnknownReference, 422, "invalid_request_error"),
    (aftersales_errors.InvalidInput, 400, "invalid_request_error"),
    (aftersales_errors.Conflict, 409, "conflict_error"),
]

ERROR_RESPONSES = {
    status: {"model": ErrorResponse}
    for status in (400, 404, 409, 413, 415, 422, 503, 504)
}


async def bounded(call: Awaitable[Any], timeout_s: float) -> Any:
    """A deployment call: past `timeout_s` a 504; refused by a deployment at capacity, a 503 with Retry-After."""
    try:
        return await asyncio.wait_for(call, timeout=timeout_s)
    except (BackPressureError, DeploymentUnavailableError) as exc:  # Ray would answer these itself, in plain text
        raise refused(exc) from None


def envelope(status: int, message: str, type_: str, code: str | None, param: str | None = None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"message": message, "type": type_, "code": code, "param": param}
    return JSONResponse(status_code=status, content={"error": body}, headers=headers)


def unwrap(exc: BaseException) -> BaseException:
    """Ray re-raises a replica's exception as RayTaskError(Original); the original is its `cause`."""
    cause = getattr(exc, "cause", None)
    while isinstance(cause, BaseException):
        exc, cause = cause, getattr(cause, "cause", None)
    return exc


def to_response(exc: BaseException) -> JSONResponse:
    exc = unwrap(exc)
    if isinstance(exc, (BackPressureError, DeploymentUnavailableError, AtCapacity)):
        exc = refused(exc)
    if isinstance(exc, ApiError):
        return envelope(exc.status, exc.message, exc.type, exc.code, headers=exc.headers)
    for cls, status, type_ in _STATUS:
        if isinstance(exc, cls):
            code = getattr(exc, "code", None) or cls.__name__
            return envelope(status, str(exc), type_, code, getattr(exc, "field", None))
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return envelope(504, "a model deployment did not answer in time", "timeout_error", "deployment_timeout")
    logger.exception("unhandled error", exc_info=exc)
    return envelope(500, "internal error", "internal_error", None)


def _loc(err: dict) -> str:
    # FastAPI prefixes where the value came from (body, path, query); the field path is the rest.
    loc = list(err.get("loc", ()))
    if loc and loc[0] in ("body", "path", "query", "header"):
        loc = loc[1:]
    return ".".join(str(p) for p in loc)


def _validation_message(exc: RequestValidationError) -> str:
    parts = [f"{_loc(err) or 'body'}: {err.get('msg', 'invalid')}" for err in exc.errors()]
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    """Route every failure of `app` through the envelope."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = _loc(exc.errors()[0]) if exc.errors() else None
        return envelope(422, _validation_message(exc), "invalid_request_error", "validation_error", first or None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return envelope(exc.status_code, str(exc.detail), "invalid_request_error", f"http_{exc.status_code}")

    async def _domain(_: Request, exc: Exception) -> JSONResponse:
        return to_response(exc)

    # Registered per base class (not for Exception) so Starlette answers them in its ExceptionMiddleware and does
    # not re-raise them as server errors; Ray's RayTaskError(Original) is found through its MRO.
    for cls in (ApiError, media_errors.MediaError, model_errors.ModelError, catalog_errors.CatalogError, aftersales_errors.AftersalesError,
                RayError, asyncio.TimeoutError, TimeoutError):
        app.add_exception_handler(cls, _domain)

    @app.exception_handler(Exception)
    async def _any(_: Request, exc: Exception) -> JSONResponse:
        return to_response(exc)
