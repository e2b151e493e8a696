"""Every route of the real Serve app, over HTTP, on tiny models: happy paths and the error envelope."""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections import Counter

import httpx
import pytest
from PIL import Image

from aftersales.policy.decisions import DEFECT_TAXONOMY, SEVERITIES
from aftersales.defects import location
from tests.conftest import DEMO_CATALOG
from tests.media import espeak_wav, jpeg_bytes, mp4_from_image, tone_wav
from tests.screens import make_screenshot

pytestmark = pytest.mark.serving

IMAGES = DEMO_CATALOG.parent / "images"


def product_photo(sku: str) -> bytes:
    return (IMAGES / f"{sku}.jpg").read_bytes()


def assert_envelope(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "code", "param"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def huge_png_header(width: int = 60_000, height: int = 60_000) -> bytes:
    """A PNG whose header claims a decompression bomb's size, with almost no pixel data behind it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def client(tiny_app):
    with httpx.Client(base_url=tiny_app, timeout=120) as c:
        yield c


def test_healthz_and_docs(client):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/healthz", "/v1/audio/transcriptions", "/v1/defects", "/v1/screenshots", "/v1/catalog/search",
                  "/v1/conversations/{conversation_id}/messages"):
        assert route in paths


@pytest.fixture(scope="module")
def note() -> bytes:
    return espeak_wav("Hello, my order has not arrived yet.", voice="en-us")


def post_note(client, note: bytes, route: str = "/v1/audio/transcriptions", **data) -> httpx.Response:
    return client.post(route, files={"file": ("note.wav", note, "audio/wav")}, data={"model": "whisper-1", **data})


@pytest.mark.parametrize("fmt", ["json", "text", "verbose_json", "srt", "vtt"])
def test_transcription_formats(client, note, fmt):
    r = post_note(client, note, response_format=fmt, language="en")
    assert r.status_code == 200, r.text
    if fmt == "json":
        assert r.json()["text"].strip()
    elif fmt == "verbose_json":
        body = r.json()
        assert body["language"] == "en" and body["task"] == "transcribe"
        assert 1.0 < body["duration"] < 4.0
        assert body["segments"] and all(0 <= s["start"] <= s["end"] <= body["duration"] for s in body["segments"])
        assert "words" not in body
    elif fmt == "vtt":
        assert r.text.startswith("WEBVTT") and "-->" in r.text
    elif fmt == "srt":
        assert r.text.startswith("1\n") and "-->" in r.text
    else:
        assert r.headers["content-type"].startswith("text/plain") and r.text.strip()


def test_word_timestamps(client, note):
    r = client.post(
        "/v1/audio/transcriptions",
        files={"file": ("note.wav", note, "audio/wav")},
        data={"response_format": "verbose_json", "language": "en", "timestamp_granularities[]": ["word", "segment"]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["words"] and body["segments"]
    assert all(0 <= w["start"] <= w["end"] <= body["duration"] and w["word"] for w in body["words"])
    only_words = client.post(
        "/v1/audio/transcriptions",
        files={"file": ("note.wav", note, "audio/wav")},
        data={"response_format": "verbose_json", "language": "en", "timestamp_granularities[]": "word"},
    ).json()
    assert "segments" not in only_words and only_words["words"]


def test_translation_route_answers_in_the_translate_task(client, note):
    r = post_note(client, note, route="/v1/audio/translations", response_format="verbose_json", temperature="0.2")
    assert r.status_code == 200, r.text
    assert r.json()["task"] == "translate" and r.json()["text"].strip()


def test_streamed_transcription_is_server_sent_events(client, note):
    r = post_note(client, note, language="en", stream="true")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[len("data: "):]) for line in r.text.splitlines() if line.startswith("data: ")]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "transcript.start" and kinds[-1] == "transcript.text.done"
    assert set(kinds[1:-1]) == {"transcript.text.delta"} and len(kinds) >= 3
    assert events[0]["language"] == "en"
    assert "".join(e["delta"] for e in events[1:-1]) == events[-1]["text"]


@pytest.mark.parametrize(
    ("files", "data", "status", "code"),
    [
        ({"file": ("a.wav", b"", "audio/wav")}, {}, 400, "empty_file"),
        ({"file": ("a.wav", b"this is not audio at all" * 20, "audio/wav")}, {}, 415, None),
        ({"file": ("a.wav", tone_wav(1.0), "audio/wav")}, {"response_format": "xml"}, 400, "invalid_field"),
        ({"file": ("a.wav", tone_wav(1.0), "audio/wav")}, {"timestamp_granularities[]": "word"}, 400, "invalid_field"),
        ({"file": ("a.wav", tone_wav(1.0), "audio/wav")}, {"timestamp_granularities[]": "char",
                                                          "response_format": "verbose_json"}, 400, "invalid_field"),
        ({"file": ("a.wav", tone_wav(1.0), "audio/wav")}, {"stream": "true", "response_format": "srt"}, 400,
         "invalid_field"),
        ({"file": ("a.wav", tone_wav(1.0), "audio/wav")}, {"temperature": "1.5"}, 422, "validation_error"),
        ({"file": ("a.wav", tone_wav(1.0), "audio/wav")}, {"language": "klingon"}, 400, "unsupported_language"),
        ({"file": ("a.wav", tone_wav(31.0), "audio/wav")}, {}, 413, "media_too_large"),
        ({"file": ("a.wav", tone_wav(2.0), "audio/wav")}, {}, 400, "no_speech"),
        ({"file": ("a.wav", tone_wav(2.0), "audio/wav")}, {"stream": "true"}, 400, "no_speech"),
        ({}, {"model": "whisper-base"}, 422, "validation_error"),
    ],
)
def test_transcription_bad_input(client, files, data, status, code):
    assert_envelope(client.post("/v1/audio/transcriptions", files=files or None, data=data), status, code)


def test_defects_on_a_photo_become_issues(client):
    r = client.post("/v1/defects", files={"image": ("p.jpg", product_photo("KF-SW-001"), "image/jpeg")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["width"], body["height"]) == (320, 320)
    for d in body["defects"]:
        x1, y1, x2, y2 = d["box"]
        assert 0 <= d["confidence"] <= 1 and 0 <= x1 <= x2 <= 320 and 0 <= y1 <= y2 <= 320
        assert d["location"] == location(d["box"], 320, 320)
        assert (d["name"] is None) == (d["label"] not in DEFECT_TAXONOMY)
    # One issue per taxonomy label found, counting its boxes; labels outside the taxonomy raise none.
    counts = Counter(d["label"] for d in body["defects"] if d["label"] in DEFECT_TAXONOMY)
    assert counts, "the tiny detector's scores sit near 0.5: some taxonomy label is found"
    assert {i["label"]: i["count"] for i in body["issues"]} == counts
    ranks = [SEVERITIES.index(i["severity"]) for i in body["issues"]]
    assert ranks == sorted(ranks, reverse=True)
    assert all(i["name"]["zh"] and i["group"] in ("fabric", "hard_goods") for i in body["issues"])


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"GIF89a-not-really", 415),
        (product_photo("KF-SW-001")[:600], 400),
        (huge_png_header(), 413),
    ],
)
@pytest.mark.parametrize("route", ["/v1/defects", "/v1/screenshots"])
def test_bad_images(client, route, payload, status):
    assert_envelope(client.post(route, files={"image": ("x.bin", payload, "image/png")}), status)


def test_upload_over_the_byte_limit(client):
    assert_envelope(client.post("/v1/defects", files={"image": ("x.jpg", b"\xff" * 2_100_000, "image/jpeg")}),
                    413, "media_too_large")


def test_catalog_search_by_photo_finds_the_product(client):
    r = client.post("/v1/catalog/search", files={"image": ("p.jpg", product_photo("KF-JK-001"), "image/jpeg")},
                    data={"top_k": "3"})
    assert r.status_code == 200, r.text
    matches = r.json()["matches"]
    assert len(matches) == 3 and matches[0]["sku"] == "KF-JK-001"
    assert matches[0]["score"] == pytest.approx(1.0, abs=1e-3)


def test_catalog_search_by_text(client):
    r = client.post("/v1/catalog/search", json={"text": "带拉链的牛仔外套", "top_k": 2})
    assert r.status_code == 200, r.text
    assert r.json()["matches"][0]["sku"] == "KF-JK-001"


def test_catalog_search_by_video(client):
    video = mp4_from_image(IMAGES / "KF-DR-003.jpg")
    r = client.post("/v1/catalog/search", files={"video": ("clip.mp4", video, "video/mp4")})
    assert r.status_code == 200, r.text
    top = r.json()["matches"][0]
    assert top["sku"] == "KF-DR-003"
    assert top["timestamps"] and all(0 <= t <= 2.5 for t in top["timestamps"])


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"json": {"top_k": 2}}, 422),
        ({"json": {"text": "牛仔", "top_k": 0}}, 422),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400),
        ({"data": {"top_k": "3"}, "files": {"other": ("a", b"x")}}, 400),
        ({"content": b"text", "headers": {"content-type": "text/plain"}}, 415),
        ({"files": {"video": ("v.mp4", b"\x00\x00\x00\x18ftypmp42garbage", "video/mp4")}}, 415),
    ],
)
def test_catalog_search_bad_input(client, kwargs, status):
    error = assert_envelope(client.post("/v1/catalog/search", **kwargs), status)
    assert error["type"] == "invalid_request_error"


def test_text_turn_price_protection_within_seven_days(client):
    r = client.post("/v1/conversations/t-price/messages",
                    json={"customer_id": "C1001", "channel": "tmall", "text": "我买的开衫降价了，能保价吗？"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["language"] == "zh" and body["order_id"] == "O1001"
    assert body["decision"]["rule"].startswith("price_protection")
    refund = [a for a in body["decision"]["actions"] if a["type"] == "refund_price_difference"]
    assert refund and refund[0]["amount"] == pytest.approx(30.00) and refund[0]["currency"] == "CNY"
    assert "30" in body["reply"]
    assert body["handoff"]["required"] is False
    assert {"dialogue", "total"} <= set(body["timings_ms"])


def test_multimodal_turn_voice_and_photo(client, note):
    # The words name no defect, so every defect of the answer that says it was seen must have come from the photo.
    r = client.post(
        "/v1/conversations/t-snag/messages",
        data={"customer_id": "C1003", "channel": "douyin", "text": "Please look at the sweater I got"},
        files=[("audio", ("note.wav", note, "audio/wav")),
               ("image", ("photo.jpg", product_photo("KF-SW-002"), "image/jpeg"))],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["product"]["sku"] == "KF-SW-002"
    assert body["order_id"] == "O1003"
    assert body["transcript"].strip()
    boxes = Counter(d["label"] for d in body["detections"] if d["label"] in DEFECT_TAXONOMY)
    assert boxes, "the tiny detector's scores sit near 0.5: some taxonomy label is found"
    seen = {d["label"]: d["count"] for d in body["defects"] if d["source"] == "image"}
    assert seen == dict(boxes)
    assert all(d["photo"] == 0 for d in body["detections"])
    assert {"transcribe", "detect", "identify", "dialogue", "total"} <= set(body["timings_ms"])
    # The tiny whisper's words are noise, read as anything (on some CPUs as a doubtful request for a person); the
    # photo alone with the same words decides the remedy.
    r = client.post(
        "/v1/conversations/t-snag-2/messages",
        data={"customer_id": "C1003", "channel": "douyin", "text": "Please look at the sweater I got"},
        files=[("image", ("photo.jpg", product_photo("KF-SW-002"), "image/jpeg"))],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert {d["label"]: d["count"] for d in body["defects"] if d["source"] == "image"} == dict(boxes)
    assert body["intent"] == "defect_complaint" and body["decision"]["rule"] == "defect_remedy"
    assert body["decision"]["actions"]


def test_a_screenshot_is_read_and_a_photo_of_goods_is_not(client):
    from aftersales.understanding.slots import written_order

    shot = make_screenshot("zh", "order_page", seed=11, order_id="O1003", amount_cents=12850,
                           tracking="SF1234567890123")
    r = client.post("/v1/screenshots", files={"image": ("shot.jpg", shot.jpeg(), "image/jpeg")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["screenshot"] and body["lines"]
    assert body["slots"]["tracking_number"] == "SF1234567890123" and "128.50" in body["slots"]["amounts"]
    assert written_order(body["text"], ["O1003"], read=True) == "O1003"
    goods = client.post("/v1/screenshots", files={"image": ("p.jpg", product_photo("KF-SW-002"), "image/jpeg")})
    assert goods.status_code == 200 and goods.json()["screenshot"] is False and goods.json()["slots"] is None


def test_a_screenshot_in_a_turn_names_the_order_and_is_kept_in_the_timeline(client):
    shot = make_screenshot("en", "chat", seed=5, order_id="O1006", amount_cents=8900, tracking="SF9876543210987")
    r = client.post("/v1/conversations/t-screen/messages",
                    data={"customer_id": "C1006", "channel": "wechat", "text": "is this one delivered?"},
                    files=[("image", ("chat.png", shot.png(), "image/png")),
                           ("image", ("photo.jpg", product_photo("KF-HM-001"), "image/jpeg"))])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["order_id"] == "O1006"
    assert [s["photo"] for s in body["screens"]] == [0] and "SF9876543210987" in body["screens"][0]["text"]
    assert all(d["photo"] == 1 for d in body["detections"])  # the screenshot is not searched for defects
    assert "read" in body["timings_ms"]
    timeline = client.get("/v1/customers/C1006/timeline").json()
    said = [e for e in timeline["entries"] if e["conversation_id"] == "t-screen" and e["role"] == "customer"]
    assert "SF9876543210987" in said[-1]["payload"]["screens"][0]


def test_conversation_remembers_the_order(client):
    first = client.post("/v1/conversations/t-memory/messages",
                        json={"customer_id": "C1004", "text": "我的订单O1004为什么还没发货"})
    assert first.status_code == 200, first.text
    assert first.json()["order_id"] == "O1004"
    assert any(a["type"] == "explain_presale" for a in first.json()["decision"]["actions"])
    again = client.post("/v1/conversations/t-memory/messages", json={"customer_id": "C1004", "text": "什么时候发货？"})
    assert again.json()["order_id"] == "O1004"


def _said(client, customer: str, conversation: str) -> list[dict]:
    timeline = client.get(f"/v1/customers/{customer}/timeline").json()
    return [e for e in timeline["entries"] if e["conversation_id"] == conversation and e["role"] == "customer"]


def test_a_retried_message_gets_the_same_answer_and_is_stored_once(client):
    send = {"data": {"customer_id": "C1003", "channel": "douyin", "text": "the sweater has a hole, what now?"},
            "files": [("image", ("photo.jpg", product_photo("KF-SW-002"), "image/jpeg"))],
            "headers": {"Idempotency-Key": "msg-7f3a"}}
    first = client.post("/v1/conversations/t-retry/messages", **send)
    assert first.status_code == 200, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = client.post("/v1/conversations/t-retry/messages", **send)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    fresh, replayed = first.json(), again.json()
    assert "detect" in fresh["timings_ms"] and "detect" not in replayed["timings_ms"]  # no model ran again
    assert {k: v for k, v in replayed.items() if k != "timings_ms"} == {
        k: v for k, v in fresh.items() if k != "timings_ms"}
    assert len(_said(client, "C1003", "t-retry")) == 1
    other = client.post("/v1/conversations/t-retry/messages", headers={"Idempotency-Key": "msg-7f3a"},
                        json={"customer_id": "C1003", "channel": "douyin", "text": "and where is my refund?"})
    assert_envelope(other, 409, "conflict")
    assert len(_said(client, "C1003", "t-retry")) == 1


def test_retries_sent_at_once_are_answered_alike_and_stored_once(client):
    import concurrent.futures

    def send(_):
        return client.post("/v1/conversations/t-burst/messages", headers={"Idempotency-Key": "burst-1"},
                           json={"customer_id": "C1001", "text": "开衫降价了，能保价吗"})

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(send, range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    assert len({a.json()["reply"] for a in answers}) == 1
    assert len(_said(client, "C1001", "t-burst")) == 1


@pytest.mark.parametrize("key", [b"", b"a" * 129, b"has space", "中文".encode()])
def test_a_bad_idempotency_key_is_refused(client, key):
    r = client.post("/v1/conversations/t-key/messages", headers={"Idempotency-Key": key},
                    json={"customer_id": "C1001", "text": "hello"})
    assert_envelope(r, 400, "invalid_idempotency_key")


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"json": {"text": "hi"}}, 422, "validation_error"),
        ({"json": {"customer_id": "C1001"}}, 400, "empty_message"),
        ({"json": {"customer_id": "C1001", "text": "hi", "channel": "fax"}}, 422, "validation_error"),
        ({"json": {"customer_id": "C1001", "text": "where is it", "order_id": "NOPE"}}, 404, None),
        ({"data": {"customer_id": "C1001"}, "files": {"image": ("x.png", b"not an image", "image/png")}}, 415, None),
        ({"content": "hello", "headers": {"content-type": "text/plain"}}, 415, "unsupported_content_type"),
        ({"content": "[" * 50_000 + "]" * 50_000, "headers": {"content-type": "application/json"}}, 400,
         "invalid_json"),
        ({"content": '{"customer_id": "C1001", "text": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001,
          "headers": {"content-type": "application/json"}}, 400, "invalid_json"),
    ],
)
def test_conversation_bad_input(client, kwargs, status, code):
    assert_envelope(client.post("/v1/conversations/t-bad/messages", **kwargs), status, code)


def test_bad_input_leaves_the_service_healthy(client):
    client.post("/v1/defects", files={"image": ("x", huge_png_header(), "image/png")})
    assert client.get("/healthz").status_code == 200
    ok = client.post("/v1/conversations/t-after/messages", json={"customer_id": "C1001", "text": "hello"})
    assert ok.status_code == 200
