"""How kefu loads and runs faster-whisper: `WhisperConfig`, and the device and precision it resolves to."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictStr, field_validator
from pydantic.dataclasses import dataclass

from models.errors import ModelError

TASKS = ("transcribe", "translate")
# Whole numbers given as such: YAML's `true` is not a thread count.
_Count = Annotated[int, Field(strict=True, ge=1)]
# Captions Whisper learned from subtitled videos and emits on noise or silence; never what a customer said.
DEFAULT_DROP_PHRASES = (
    "字幕由Amara.org社区提供",
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
    "明镜与点点栏目",
    "谢谢观看",
    "Thank you for watching",
    "Thanks for watching",
    "Please subscribe to my channel",
    "Subtitles by the Amara.org community",
)


@dataclass
class WhisperConfig:
    """How to load and run faster-whisper.

    Attributes:
        model: A registry name ("whisper-base", assembled by `python -m models prepare`), a local CTranslate2 model
            folder, or a hub id ("Systran/faster-whisper-small") which faster-whisper downloads, so only an online
            host that opts in may use one.
        device: "auto" (CUDA when CTranslate2 sees a GPU, else CPU), "cpu" or "cuda".
        compute_type: CTranslate2 precision: "auto" (float16 on CUDA, int8 on CPU), or any type CTranslate2 accepts
            ("int8", "int8_float16", "float16", "float32", ...).
        cpu_threads: Intra-op threads per model on CPU; several replicas on one box should share the cores.
        num_workers: Concurrent transcriptions one model serves when called from several threads.
        beam_size: Beam width; 1 is greedy (fastest), 5 is Whisper's default quality.
        vad_filter: Cut silence with Silero VAD first: faster on voice notes, and fewer hallucinated words in pauses.
        temperature_fallback: Re-decode a window at rising temperatures when its text looks like a hallucination
            (Whisper's default). False decodes once at temperature 0: faster and deterministic, never more accurate.
        max_new_tokens: Cap on tokens decoded per 30-s window; None is the model's own limit (448).
        pack_notes: Lay the speech of several notes in one 30-s window (with `gap_s` of silence between them).
            False gives every note windows of its own, still decoded in batches.
        batch_windows: Most windows decoded in one CTranslate2 call (memory grows with it; 8-16 on CPU, more on GPU).
        gap_s: Silence between packed notes; Whisper closes a segment on it, which is how text finds its note.
            0.5 s beats 1 s on the espeak sets (fewer windows Whisper ends early, lower WER/CER); 0.3 s or 2 s
            let it run notes together more often.
        busy_notes: A batch of at least this many distinct notes means a queue (requests arrive faster than they
            are decoded): it is decoded at `busy_beam_size`. None keeps `beam_size` always; 1 never does.
        busy_beam_size: Beam width under a queue (1: greedy, about half the decoding time of a packed batch).
        languages: When set, language detection picks among these codes only (e.g. a shop's zh, en, id, th, vi,
            ms, tl); a caller's explicit language is still taken as given.
        hotwords: Shop vocabulary (product names, brand terms) given to the decoder as earlier context on every
            note, so it spells them the shop's way.
        simplified_chinese: Convert Chinese output to Simplified characters (Whisper often writes Traditional).
        drop_phrases: Segments that are exactly one of these (case, spaces and punctuation aside) are dropped as
            hallucinations: captions Whisper learned from subtitled videos and emits on noise.
    """

    model: str = Field("whisper-base", pattern=r"\S")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    compute_type: str = "auto"
    cpu_threads: _Count = 2
    num_workers: _Count = 1
    beam_size: _Count = 5
    vad_filter: bool = True
    temperature_fallback: bool = True
    max_new_tokens: _Count | None = None
    pack_notes: bool = True
    batch_windows: _Count = 8
    gap_s: float = Field(0.5, ge=0.0, le=5.0)
    busy_notes: _Count | None = 2
    busy_beam_size: _Count = 1
    languages: list[str] = Field(default_factory=list)
    hotwords: list[StrictStr] = Field(default_factory=list)
    simplified_chinese: bool = True
    drop_phrases: list[StrictStr] = Field(default_factory=lambda: list(DEFAULT_DROP_PHRASES))

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        unknown = [code for code in value if code not in _LANGUAGE_CODES]
        if unknown:
            raise ValueError(f"whisper languages {unknown} are not codes Whisper knows (ISO 639-1, e.g. zh, en, id)")
        return value


def pick_ct2_device(requested: str) -> str:
    """"auto" → "cuda" when CTranslate2 (not torch: it has its own CUDA build) sees a GPU, else "cpu"."""
    import ctranslate2

    if requested == "auto":
        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if requested == "cuda" and ctranslate2.get_cuda_device_count() == 0:
        raise ModelError("whisper device 'cuda' was requested but CTranslate2 sees no CUDA GPU; use auto or cpu")
    return requested


def pick_compute_type(requested: str, device: str) -> str:
    """"auto" → float16 on CUDA, int8 on CPU (falling back to float32 where this CPU build lacks int8)."""
    import ctranslate2

    if requested != "auto":
        return requested
    if device == "cuda":
        return "float16"
    return "int8" if "int8" in ctranslate2.get_supported_compute_types("cpu") else "float32"
