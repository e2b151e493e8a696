"""The foundation's acceptance case on real weights: a voice note about a snag plus a photo, answered end to end."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from aftersales.policy.decisions import DEFECT_TAXONOMY
from tests.conftest import DEMO_CATALOG
from tests.media import espeak_wav, jpeg_bytes, unseen_defect_plans
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
    from models.embedder.base import EmbedderConfig

    registry.prepare()
    work = tmp_path_factory.mktemp("e2e")
    build_index(DEMO_CATALOG, work / "index", load_embedder(EmbedderConfig()), progress=False)
    args = dev_args(
        catalog={"index_dir": str(work / "index")},
        dialogue={"store_url": f"sqlite:///{work / 'kefu.db'}", "keys_file": str(work / "data-keys.json"),
                  "create_keys": True},
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


def fabric_defect_photos(count: int) -> list[tuple[bytes, str]]:
    """Rendered photos of one fabric defect each, in looks the detector was never trained on: (JPEG, label)."""
    from aftersales.defects import DefectTaxonomy
    from training.defect_scene import render_scene

    fabric = {label for label, info in DefectTaxonomy.load().labels.items() if info.group == "fabric"}
    photos = []
    for plan in unseen_defect_plans(4242):
        if len(photos) == count:
            break
        if plan.defects and plan.defects[0].name in fabric:
            scene = render_scene(plan)
            if scene.boxes:
                photos.append((jpeg_bytes(Image.fromarray(scene.image), quality=85), scene.boxes[0].name))
    return photos


def test_the_shipped_detector_names_defects_on_both_routes(real_app):
    named_alone = named_in_turn = 0
    with httpx.Client(base_url=real_app, timeout=120) as client:
        for k, (photo, label) in enumerate(fabric_defect_photos(6)):
            r = client.post("/v1/defects", files={"image": ("p.jpg", photo, "image/jpeg")})
            assert r.status_code == 200, r.text
            alone = r.json()
            assert all(d["label"] in DEFECT_TAXONOMY and d["name"]["zh"] for d in alone["defects"])
            named_alone += label in {d["label"] for d in alone["defects"]}
            r = client.post(f"/v1/conversations/e2e-photo-{k}/messages",
                            data={"customer_id": "C1003", "channel": "app", "text": "The sweater came like this."},
                            files=[("image", ("p.jpg", photo, "image/jpeg"))])
            assert r.status_code == 200, r.text
            turn = r.json()
            assert {d["label"] for d in turn["detections"]} == {d["label"] for d in alone["defects"]}
            if label in {d["label"] for d in turn["detections"]}:
                named_in_turn += 1
                assert turn["decision"]["rule"].startswith("defect"), turn["decision"]
                assert any(d["label"] == label for d in turn["defects"])
    # the detector's accuracy is held to its bar in test_shipped_detector.py; here: both routes carry its labels
    # (snag and stain are its weakest classes on unseen looks, so not every fabric photo is named)
    assert named_alone == named_in_turn >= 3, (named_alone, named_in_turn)
