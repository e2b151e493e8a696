"""A tiny random-init Whisper in CTranslate2 format that faster-whisper loads like the real one (offline, seconds)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

# The real whisper-base files the tiny model borrows: its vocabulary must be Whisper's for the tokenizer to work.
_BORROWED = ("tokenizer.json", "vocabulary.json")
TINY_CONFIG = dict(
    d_model=64,
    encoder_layers=1,
    decoder_layers=1,
    encoder_attention_heads=2,
    decoder_attention_heads=2,
    encoder_ffn_dim=128,
    decoder_ffn_dim=128,
    vocab_size=51865,
    num_mel_bins=80,
    max_source_positions=1500,
    max_target_positions=448,
)


def _real_file(name: str) -> Path:
    """A file of the real whisper-base, straight from its PyPI package (no need to run `prepare` first)."""
    from models import registry

    spec = registry.REGISTRY["whisper-base"]
    (part,) = spec.files[name]
    return registry.locate_source(spec, part)


def make_tiny_whisper(out_dir: Path) -> Path:
    """Build (or reuse) the tiny model in `out_dir` and return that folder.

    Random weights transcribe noise into noise, but every code path of loading, decoding and timestamping runs.
    """
    import ctranslate2
    import torch
    import transformers
    from ctranslate2.converters.transformers import WhisperLoader

    out_dir = Path(out_dir)
    if all((out_dir / name).is_file() for name in ("model.bin", "config.json", *_BORROWED)):
        return out_dir

    torch.manual_seed(0)
    model = transformers.WhisperForConditionalGeneration(transformers.WhisperConfig(**TINY_CONFIG)).eval()
    loader = WhisperLoader()
    spec = loader.get_model_spec(model)
    vocabulary = json.loads(_real_file("vocabulary.json").read_text(encoding="utf-8"))
    spec.register_vocabulary(vocabulary)

    real = json.loads(_real_file("config.json").read_text(encoding="utf-8"))
    spec.config.lang_ids = real["lang_ids"]
    spec.config.suppress_ids = real["suppress_ids"]
    spec.config.suppress_ids_begin = real["suppress_ids_begin"]
    # The real heads point at decoder layers 3-5; the tiny decoder has only layer 0.
    spec.config.alignment_heads = [[0, head] for head in range(TINY_CONFIG["decoder_attention_heads"])]
    spec.validate()
    spec.optimize(quantization="float32")

    # Build next to the destination and rename, so a half-written model never looks finished.
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tiny-whisper-", dir=out_dir.parent))
    try:
        spec.save(str(staging))
        for name in _BORROWED:
            shutil.copyfile(_real_file(name), staging / name)
        ctranslate2.models.Whisper(str(staging), device="cpu")  # fail here, not in the test, if the spec is off
        shutil.rmtree(out_dir, ignore_errors=True)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir
