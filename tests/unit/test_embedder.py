"""Image/text embedders on tiny random-init models: shapes, normalisation, determinism, batching and errors."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from models.embedder.base import EmbedderConfig, build_embedder
from models.errors import InvalidMedia, ModelError, UnsupportedOperation, WeightsNotFound


def stripes(width: int = 300, height: int = 200) -> Image.Image:
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[:, (np.arange(width) // 15) % 2 == 0] = (230, 200, 40)
    return Image.fromarray(pixels)


def checkerboard(width: int = 300, height: int = 200) -> Image.Image:
    y, x = np.mgrid[:height, :width]
    dark = (((x // 25) + (y // 25)) % 2 == 0)[..., None]
    return Image.fromarray(np.where(dark, [20, 60, 200], [240, 240, 240]).astype(np.uint8))


def disc(width: int = 300, height: int = 200) -> Image.Image:
    y, x = np.mgrid[:height, :width]
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[np.hypot(x - width / 2, y - height / 2) < min(width, height) / 3] = (250, 250, 250)
    pixels[..., 1] = (x * 255 // width).astype(np.uint8)
    return Image.fromarray(pixels)


def jpeg(image: Image.Image) -> Image.Image:
    """`image` as a lazily opened JPEG, the way an upload arrives."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return Image.open(io.BytesIO(buffer.getvalue()))


@pytest.fixture(scope="session")
def tiny_efficientnet(tiny_dir) -> Path:
    from tests.tiny.vision import make_tiny_efficientnet

    return make_tiny_efficientnet(tiny_dir / "efficientnet")


@pytest.fixture(scope="module")
def effnet(tiny_efficientnet):
    return build_embedder(EmbedderConfig(model=str(tiny_efficientnet), device="cpu"))


@pytest.fixture(scope="module")
def clip(tiny_clip):
    checkpoint, config = tiny_clip
    return build_embedder(
        EmbedderConfig(backend="open_clip", model=str(checkpoint), arch_config=str(config), device="cpu")
    )


@pytest.fixture(params=["effnet", "clip"])
def embedder(request):
    return request.getfixturevalue(request.param)


def test_rows_are_unit_float32_vectors_of_dim(embedder):
    vectors = embedder.embed_images([stripes(), checkerboard(), disc()])
    assert vectors.shape == (3, embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.isfinite(vectors).all()


def test_same_image_gives_same_vector(embedder):
    first = embedder.embed_images([disc()])
    second = embedder.embed_images([disc()])
    np.testing.assert_allclose(first, second, atol=1e-6)


def test_different_images_give_different_vectors(embedder):
    vectors = embedder.embed_images([stripes(), checkerboard()])
    assert float(vectors[0] @ vectors[1]) < 0.9999


def test_batch_equals_singles_and_chunking_does_not_change_vectors(embedder, monkeypatch):
    images = [stripes(), checkerboard(), disc(), stripes(120, 340), checkerboard(64, 64)]
    together = embedder.embed_images(images)
    singles = np.concatenate([embedder.embed_images([image]) for image in images])
    np.testing.assert_allclose(together, singles, atol=1e-4)
    monkeypatch.setattr(embedder.config, "batch_size", 2)
    np.testing.assert_allclose(embedder.embed_images(images), together, atol=1e-4)


def test_empty_list_gives_empty_matrix(embedder):
    vectors = embedder.embed_images([])
    assert vectors.shape == (0, embedder.dim)
    assert vectors.dtype == np.float32


def test_other_pixel_modes_are_converted_to_rgb(embedder):
    gray = disc().convert("L")
    rgba = checkerboard().convert("RGBA")
    vectors = embedder.embed_images([gray, rgba])
    expected = embedder.embed_images([gray.convert("RGB"), rgba.convert("RGB")])
    np.testing.assert_allclose(vectors, expected, atol=1e-5)


def test_lazily_opened_jpeg_embeds_like_the_decoded_photo(embedder):
    large = disc(2400, 1600)
    lazy = jpeg(large)
    decoded = jpeg(large)
    decoded.load()
    similarity = float(embedder.embed_images([lazy])[0] @ embedder.embed_images([decoded])[0])
    assert similarity > 0.999


def test_non_images_are_refused_with_their_position(embedder):
    with pytest.raises(InvalidMedia, match="image 1"):
        embedder.embed_images([disc(), b"\xff\xd8 not decoded"])
    with pytest.raises(InvalidMedia, match="list"):
        embedder.embed_images(disc())


def test_truncated_jpeg_is_invalid_media(embedder):
    buffer = io.BytesIO()
    disc().save(buffer, "JPEG")
    truncated = Image.open(io.BytesIO(buffer.getvalue()[: len(buffer.getvalue()) // 2]))
    with pytest.raises(InvalidMedia, match="image 0"):
        embedder.embed_images([truncated])


# EfficientNet specifics


def test_efficientnet_loads_renamed_checkpoint_by_position(effnet, tiny_efficientnet):
    import timm

    from tests.tiny.vision import _efficientnet_pytorch_key

    # Reference: the same weights loaded into timm under timm's own names, classifier included.
    reference = timm.create_model("tf_efficientnet_lite0", pretrained=False).eval()
    saved = torch.load(tiny_efficientnet, weights_only=True)
    reference.load_state_dict({name: saved[_efficientnet_pytorch_key(name)] for name in reference.state_dict()})
    image = checkerboard()
    pixels = torch.from_numpy(effnet._pixels(image, 0))[None]
    with torch.inference_mode():
        features = reference.forward_head(reference.forward_features(pixels), pre_logits=True)
    expected = torch.nn.functional.normalize(features, dim=1).numpy()
    np.testing.assert_allclose(effnet.embed_images([image]), expected, atol=1e-4)


def test_efficientnet_identity(effnet, tiny_efficientnet):
    assert effnet.dim == 1280
    assert effnet.supports_text is False
    assert effnet.name == f"efficientnet-lite0/{tiny_efficientnet.stem}"


def test_efficientnet_has_no_text(effnet):
    with pytest.raises(UnsupportedOperation, match="open_clip"):
        effnet.embed_texts(["red shoe"])


def _save_altered(source: Path, target: Path, alter) -> Path:
    state = torch.load(source, weights_only=True)
    items = list(state.items())
    alter(items)
    torch.save(dict(items), target)
    return target


def test_checkpoint_with_a_wrong_shape_is_a_clear_model_error(tiny_efficientnet, tmp_path):
    def widen(items):
        name, tensor = items[7]
        items[7] = (name, torch.zeros(tensor.shape[0] + 1, *tensor.shape[1:]))

    bad = _save_altered(tiny_efficientnet, tmp_path / "wrong-shape.pth", widen)
    with pytest.raises(ModelError, match=r"tensor 7 .*shape"):
        build_embedder(EmbedderConfig(model=str(bad), device="cpu"))


def test_checkpoint_missing_tensors_is_a_model_error(tiny_efficientnet, tmp_path):
    bad = _save_altered(tiny_efficientnet, tmp_path / "short.pth", lambda items: items.pop(3))
    with pytest.raises(ModelError):
        build_embedder(EmbedderConfig(model=str(bad), device="cpu"))


def test_checkpoint_with_extra_non_classifier_tensors_is_a_model_error(tiny_efficientnet, tmp_path):
    bad = _save_altered(
        tiny_efficientnet, tmp_path / "extra.pth", lambda items: items.append(("head.extra", torch.zeros(3, 3)))
    )
    with pytest.raises(ModelError, match="not a classifier"):
        build_embedder(EmbedderConfig(model=str(bad), device="cpu"))


def test_file_that_is_not_a_checkpoint_is_a_model_error(tmp_path):
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"definitely not torch")
    with pytest.raises(ModelError, match="junk.pth"):
        build_embedder(EmbedderConfig(model=str(junk), device="cpu"))


def test_missing_weights_file_is_weights_not_found(tmp_path):
    with pytest.raises(WeightsNotFound):
        build_embedder(EmbedderConfig(model=str(tmp_path / "absent.pth"), device="cpu"))


# open_clip specifics


def test_clip_identity(clip, tiny_clip):
    checkpoint, config = tiny_clip
    assert clip.supports_text is True
    assert clip.dim == 32
    assert clip.name == f"open_clip/{config.stem}/{checkpoint.stem}"


def test_clip_texts_share_the_image_space(clip):
    texts = clip.embed_texts(["a red running shoe", "a cracked phone screen", "a red running shoe"])
    assert texts.shape == (3, clip.embed_images([disc()]).shape[1])
    assert texts.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(texts[0], texts[2], atol=1e-6)
    assert float(texts[0] @ texts[1]) < 0.9999
    assert clip.embed_texts([]).shape == (0, clip.dim)


def test_clip_text_batch_equals_singles(clip):
    texts = ["退货", "broken zipper on the left pocket", ""]
    together = clip.embed_texts(texts)
    singles = np.concatenate([clip.embed_texts([text]) for text in texts])
    np.testing.assert_allclose(together, singles, atol=1e-4)


def test_clip_refuses_non_text(clip):
    with pytest.raises(InvalidMedia, match="text 1"):
        clip.embed_texts(["ok", 42])


def test_clip_arch_conflicting_with_config_is_refused(tiny_clip):
    checkpoint, config = tiny_clip
    with pytest.raises(ModelError, match="conflicts"):
        build_embedder(
            EmbedderConfig(backend="open_clip", model=str(checkpoint), arch="ViT-L-14", arch_config=str(config))
        )


def test_clip_malformed_config_is_refused_and_does_not_poison_open_clip(tiny_clip, tmp_path):
    checkpoint, config = tiny_clip
    broken = tmp_path / "broken-clip.json"
    broken.write_text("{ not json")
    with pytest.raises(ModelError, match="broken-clip.json"):
        build_embedder(EmbedderConfig(backend="open_clip", model=str(checkpoint), arch_config=str(broken)))
    # A later, valid config still registers and loads.
    again = build_embedder(
        EmbedderConfig(backend="open_clip", model=str(checkpoint), arch_config=str(config), device="cpu")
    )
    assert again.dim == 32


def test_clip_checkpoint_of_another_model_is_a_model_error(tiny_clip, tiny_efficientnet):
    _, config = tiny_clip
    with pytest.raises(ModelError, match="cannot load open_clip"):
        build_embedder(EmbedderConfig(backend="open_clip", model=str(tiny_efficientnet), arch_config=str(config)))


def test_clip_never_downloads_an_unknown_name(tiny_clip, tmp_path):
    _, config = tiny_clip
    with pytest.raises(WeightsNotFound):
        build_embedder(EmbedderConfig(backend="open_clip", model="no-such-tag", arch_config=str(config)))
    with pytest.raises(WeightsNotFound):
        build_embedder(
            EmbedderConfig(backend="open_clip", model=str(tmp_path / "absent.pt"), arch_config=str(config))
        )


@pytest.mark.parametrize(
    "changes",
    [{"backend": "resnet"}, {"batch_size": 0}, {"threads": 0}, {"model": " "}, {"device": "gpu"}],
)
def test_bad_config_values_are_value_errors(changes):
    with pytest.raises(ValueError):
        EmbedderConfig(**changes)
