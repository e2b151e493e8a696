"""OpenAI-compatible answers for the audio routes: json, text, verbose_json, srt, vtt, and server-sent events."""

from __future__ import annotations

import json
from typing import Any, AsyncIterator, Awaitable, Callable, Sequence

from fastapi.responses import JSONResponse, PlainTextResponse, Response

RESPONSE_FORMATS = ("json", "text", "verbose_json", "srt", "vtt")
TIMESTAMP_GRANULARITIES = ("segment", "word")
STREAM_FORMATS = ("json", "text")


def _clock(seconds: float, sep: str) -> str:
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{millis:03d}"


def srt(segments: list[dict[str, Any]]) -> str:
    blocks = [
        f"{i}\n{_clock(s['start'], ',')} --> {_clock(s['end'], ',')}\n{s['text'].strip()}\n"
        for i, s in enumerate(segments, start=1)
    ]
    return "\n".join(blocks)


def vtt(segments: list[dict[str, Any]]) -> str:
    blocks = [f"{_clock(s['start'], '.')} --> {_clock(s['end'], '.')}\n{s['text'].strip()}\n" for s in segments]
    return "WEBVTT\n\n" + "\n".join(blocks)


def verbose_json(transcript: dict[str, Any], granularities: Sequence[str] = ("segment",)) -> dict[str, Any]:
    """OpenAI's verbose_json: segments and/or words as `timestamp_granularities[]` asked, plus kefu's extras
    (`language_probability`; `language` is the ISO code, not OpenAI's English name)."""
    body: dict[str, Any] = {
        "task": transcript.get("task", "transcribe"),
        "language": transcript["language"],
        "language_probability": transcript["language_probability"],
        "duration": transcript["duration"],
        "text": transcript["text"],
    }
    if "segment" in granularities:
        body["segments"] = [
            {"id": i, "start": s["start"], "end": s["end"], "text": s["text"]}
            for i, s in enumerate(transcript["segments"])
        ]
    if "word" in granularities:
        body["words"] = [
            {"word": w["text"].strip(), "start": w["start"], "end": w["end"], "probability": w["probability"]}
            for s in transcript["segments"]
            for w in s.get("words", ())
        ]
    return body


def render(transcript: dict[str, Any], response_format: str, granularities: Sequence[str] = ("segment",)) -> Response:
    if response_format == "text":
        return PlainTextResponse(transcript["text"])
    if response_format == "srt":
        return PlainTextResponse(srt(transcript["segments"]))
    if response_format == "vtt":
        return PlainTextResponse(vtt(transcript["segments"]), media_type="text/vtt")
    if response_format == "verbose_json":
        return JSONResponse(verbose_json(transcript, granularities))
    return JSONResponse({"text": transcript["text"]})


def event(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


async def sse(
    first: dict[str, Any],
    next_payload: Callable[[], Awaitable[dict[str, Any]]],
    on_error: Callable[[BaseException], dict[str, Any]],
) -> AsyncIterator[bytes]:
    """The event stream: `first`, then each payload `next_payload` gives until it raises StopAsyncIteration.

    The HTTP status is already 200 once the first event is out, so a later failure becomes an `error` event (with the
    same envelope a 4xx/5xx would carry) and the stream ends.
    """
    yield event(first)
    while True:
        try:
            payload = await next_payload()
        except StopAsyncIteration:
            return
        except Exception as exc:  # any failure must reach the client as an event, not a cut connection
            yield event({"type": "error", **on_error(exc)})
            return
        yield event(payload)
