"""open_clip embedder: images and texts in one space, from a local checkpoint (or a tag, for online hosts)."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from models.embedder.base import EmbedderConfig, check_texts, chunks, embed_in_batches, l2_normalised

logger = logging.getLogger("kefu.models")

_DEFAULT_ARCH = EmbedderConfig.arch
# open_clip keeps its architecture registry in a module global; registering configs from two threads could race.
_REGISTER_LOCK = threading.Lock()


class OpenClipEmbedder:
    """Images and texts to L2-normalised vectors of the CLIP model's embed_dim.

    Only a local file is handed to open_clip as `pretrained`: open_clip downloads anything else, so a tag is
    passed on only when the user configured one (an online host).
    """

    supports_text = True

    def __init__(self, config: EmbedderConfig):
        import open_clip

        from models.device import cap_threads, pick_device
        from models.errors import ModelError, WeightsNotFound
        from models.registry import resolve

        self.config = config
        cap_threads(config.threads)
        self.device = pick_device(config.device)
        arch = _register_arch(config)
        pretrained = resolve(config.model)
        local = Path(pretrained).is_file()
        if not local and (Path(pretrained).suffix in (".pt", ".pth", ".bin", ".safetensors") or "/" in pretrained):
            raise WeightsNotFound(f"open_clip checkpoint {config.model!r} not found")
        if not local and pretrained not in open_clip.list_pretrained_tags_by_model(arch):
            raise WeightsNotFound(
                f"open_clip weights {config.model!r} are neither a local checkpoint nor a pretrained tag of {arch} "
                f"(tags: {open_clip.list_pretrained_tags_by_model(arch) or 'none'})"
            )
        if not local:
            logger.warning("open_clip will fetch pretrained tag %r for %s (needs network access)", pretrained, arch)
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                arch, pretrained=pretrained, device=self.device, pretrained_text=False
            )
        except Exception as exc:  # a misfit state dict, a bad file and a failed download each raise differently
            raise ModelError(f"cannot load open_clip {arch} from {config.model!r}: {exc}") from exc
        self.model = model.eval()
        self.preprocess = preprocess
        self.tokenizer = open_clip.get_tokenizer(arch)
        self.arch = arch
        self.dim: int = int(open_clip.get_model_config(arch)["embed_dim"])
        weights = Path(pretrained).stem if local else pretrained
        self.name: str = f"open_clip/{arch}/{weights}"
        logger.info("open_clip embedder %s (dim %d) loaded on %s", self.name, self.dim, self.device)

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """One L2-normalised float32 row per image, shape (len(images), dim)."""
        import torch

        def forward(chunk: list[Image.Image]) -> np.ndarray:
            batch = torch.stack([self.preprocess(image) for image in chunk])
            with torch.inference_mode():
                return self.model.encode_image(batch.to(self.device)).float().cpu().numpy()

        return embed_in_batches(images, self.config.batch_size, self.dim, forward)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text, in the same space as the images; long texts are truncated."""
        import torch

        check_texts(texts)
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = []
        for chunk in chunks(list(texts), self.config.batch_size):
            tokens = self.tokenizer(list(chunk)).to(self.device)
            with torch.inference_mode():
                rows.append(self.model.encode_text(tokens).float().cpu().numpy())
        return l2_normalised(np.concatenate(rows))


def _register_arch(config: EmbedderConfig) -> str:
    """The architecture name to build, registering `config.arch_config` with open_clip first when set."""
    import open_clip

    from models.errors import ModelError, WeightsNotFound

    if config.arch_config is None:
        if config.arch.replace("/", "-") not in open_clip.list_models():
            raise ModelError(f"open_clip has no architecture {config.arch!r}; set arch_config to a model-config JSON")
        return config.arch
    path = Path(config.arch_config)
    if not path.is_file():
        raise WeightsNotFound(f"open_clip model config {path} not found")
    # open_clip registers a config under its file stem; an explicit, different arch would be silently ignored.
    if config.arch not in (_DEFAULT_ARCH, path.stem):
        raise ModelError(
            f"arch {config.arch!r} conflicts with arch_config {path.name}: open_clip names that architecture "
            f"{path.stem!r}; leave arch at its default or set it to {path.stem!r}"
        )
    try:
        wanted = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read open_clip model config {path}: {exc}") from exc
    # Checked here because open_clip keeps every registered path and re-reads them all on each registration:
    # one bad file would break every later registration in this process.
    if not isinstance(wanted, dict) or not all(key in wanted for key in ("embed_dim", "vision_cfg", "text_cfg")):
        raise ModelError(f"{path} is not an open_clip model config (it needs embed_dim, vision_cfg and text_cfg)")
    with _REGISTER_LOCK:
        if open_clip.get_model_config(path.stem) != wanted:
            open_clip.add_model_config(path)
    return path.stem
