"""The real vision weights: EfficientNet-Lite0 features must be ImageNet features, YOLOv8s-fall (the starting
checkpoint of kefu-defects) must detect."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow

registry = pytest.importorskip("models.registry", reason="models.registry (weights preparation) is not available")
skimage_data = pytest.importorskip("skimage.data", reason="scikit-image provides the sample photos")

# Sample photos bundled with scikit-image ("cat" is left out: it is the same picture as "chelsea").
PHOTOS = [
    "astronaut", "chelsea", "coffee", "rocket", "camera", "coins", "hubble_deep_field", "immunohistochemistry",
    "horse", "moon", "page", "brick", "grass", "gravel", "colorwheel", "logo", "retina",
]
CAT_CLASSES = {281, 282, 283, 284, 285}  # ImageNet tabby, tiger cat, Persian, Siamese, Egyptian cat
COFFEE_CLASSES = {967, 968}  # ImageNet espresso, cup


def photo(name: str) -> Image.Image:
    return Image.fromarray(np.asarray(getattr(skimage_data, name)())).convert("RGB")


def shopper_copy(image: Image.Image) -> Image.Image:
    """Off-centre crop, downscaled, JPEG-recompressed at quality 70, reopened lazily like an upload."""
    w, h = image.size
    image = image.crop((int(w * 0.10), int(h * 0.04), int(w * 0.95), int(h * 0.90)))
    image = image.resize((int(image.width * 0.6), int(image.height * 0.6)), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return Image.open(io.BytesIO(buffer.getvalue()))


@pytest.fixture(scope="module")
def prepared() -> dict:
    return registry.prepare(["efficientnet-lite0", "yolov8s-fall"])


@pytest.fixture(scope="module")
def effnet(prepared):
    from models.embedder.base import EmbedderConfig, build_embedder

    return build_embedder(EmbedderConfig(device="cpu"))


@pytest.fixture(scope="module")
def photos() -> dict[str, Image.Image]:
    return {name: photo(name) for name in PHOTOS}


def test_real_efficientnet_identity(effnet):
    assert effnet.name == "efficientnet-lite0/imagenet"
    assert effnet.dim == 1280
    assert effnet.supports_text is False


def test_each_shopper_copy_finds_its_own_original(effnet, photos):
    originals = effnet.embed_images(list(photos.values()))
    copies = effnet.embed_images([shopper_copy(image) for image in photos.values()])
    similarity = copies @ originals.T
    nearest = [PHOTOS[i] for i in similarity.argmax(axis=1)]
    assert nearest == PHOTOS
    # Random or misplaced weights map every photo to nearly the same direction; ImageNet features do not.
    unrelated = (originals @ originals.T)[~np.eye(len(PHOTOS), dtype=bool)]
    assert unrelated.mean() < 0.4
    wrong_best = np.where(np.eye(len(PHOTOS), dtype=bool), -1.0, similarity).max(axis=1)
    assert (similarity.diagonal() - wrong_best).min() > 0.1


def test_checkpoint_classifier_on_our_features_names_the_photos(effnet, prepared):
    # The checkpoint's own ImageNet head (dropped by the embedder) applied to the embedder's pooled features:
    # right classes only if every tensor landed in its place and preprocessing matches the training.
    import torch

    state = list(torch.load(prepared["efficientnet-lite0"], weights_only=True).values())
    weight, bias = state[-2], state[-1]
    pixels = torch.from_numpy(np.stack([effnet._pixels(photo(name), 0) for name in ("chelsea", "coffee")]))
    with torch.inference_mode():
        features = effnet.model(pixels.contiguous(memory_format=torch.channels_last))
    top = (features @ weight.T + bias).argmax(dim=1).tolist()
    assert top[0] in CAT_CLASSES
    assert top[1] in COFFEE_CLASSES


def test_real_yolo_detects_people(prepared):
    from models.detector.yolo import DetectorConfig, YoloDefectDetector
    from models.types import Detection

    detector = YoloDefectDetector(DetectorConfig(model="yolov8s-fall", imgsz=640, conf=0.25, device="cpu"))
    assert len(detector.labels) == 2
    pictures = [photo("astronaut"), photo("coffee")]
    results = detector.detect(pictures)
    assert len(results) == 2
    assert results[0], "the astronaut portrait should yield at least one person box"
    for picture, found in zip(pictures, results):
        for detection in found:
            assert isinstance(detection, Detection)
            assert detection.label in detector.labels
            assert 0.25 <= detection.confidence <= 1.0
            x1, y1, x2, y2 = detection.box
            assert 0 <= x1 < x2 <= picture.width and 0 <= y1 < y2 <= picture.height
