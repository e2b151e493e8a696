"""The foundation's acceptance case on real weights: a voice note about a snag plus a photo, answered end to end."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from tests.conftest import DEMO_CATALOG
from tests.media import espeak_wav, jpeg_bytes
from tests.serving.conftest import dev_args, free_port, start_kefu, stop_kefu

pytestmark = [pytest.mark.slow, pytest.mark.serving]


def customer_photo(sku: str) -> bytes:
    """A shopper's snapshot of the product: off-centre crop, a little tilt, recompressed."""
    image = Image.open(DEMO_CATALOG.parent / "images" / f"{sku}.jpg").convert("RGB")
    w, h = image.size
    image = image.crop((int(w * 0.06), int(h * 0.02), int(w * 0.97), int(h * 0.93))).rotate(4, fillcolor=(235, 235, 235))
    return jpeg_bytes(image.resize((480, 480)), quality=70)


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    from catalog_index.build import build_index
    from models import load_embedder, registry
    from models.embedder import EmbedderConfig

    registry.prepare()
    work = tmp_path_factory.mktemp("e2e")
    build_index(DEMO_CATALOG, work / "index", load_embedder(EmbedderConfig()), progress=False)
    args = dev_args(
        catalog={"index_dir": str(work / "index")},
        dialogue={"store_url": f"sqlite:///{work / 'kefu.db'}"},
    )
    url = start_kefu(args, free_port())
    yield url
    stop_kefu()


def test_voice_note_and_photo_of_a_snagged_sweater(real_app):
    note = espeak_wav(
        "Hello. I bought this sweater last week, and it already has a snag. "
        "A thread is pulled out of the knit. Can I exchange it?"
    )
    with httpx.Client(base_url=real_app, timeout=120) as client:
        r = client.post(
            "/v1/conversations/e2e-snag/messages",
            data={"customer_id": "C1003", "channel": "wechat"},
            files=[("audio", ("note.wav", note, "audio/wav")),
                   ("image", ("photo.jpg", customer_photo("KF-SW-002"), "image/jpeg"))],
        )
    assert r.status_code == 200, r.text
    body = r.json()
    assert "sweater" in body["transcript"].lower()
    assert body["language"] == "en"
    assert body["product"]["sku"] == "KF-SW-002", body["candidates"]
    assert body["order_id"] == "O1003"
    assert any(d["label"] == "snag" for d in body["defects"])
    assert body["decision"]["rule"].startswith("defect")
    offered = {a["type"] for a in body["decision"]["actions"]}
    assert offered & {"offer_exchange", "offer_return"}
    assert "exchange" in body["reply"].lower()


def test_real_transcription_route(real_app):
    with httpx.Client(base_url=real_app, timeout=120) as client:
        r = client.post("/v1/audio/transcriptions",
                        files={"file": ("n.wav", espeak_wav("Where is my order? It has not shipped yet."), "audio/wav")},
                        data={"response_format": "verbose_json"})
    assert r.status_code == 200, r.text
    assert r.json()["language"] == "en"
    assert "order" in r.json()["text"].lower()
