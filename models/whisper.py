"""Speech to text with faster-whisper (CTranslate2): the `Transcriber` kefu serves voice notes with."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from models import registry
from models.errors import InvalidMedia, ModelError, UnsupportedLanguage
from models.types import Segment, Transcript

logger = logging.getLogger("kefu.models")

SAMPLE_RATE = 16_000
_DEVICES = ("auto", "cpu", "cuda")
_FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # faster-whisper's (and OpenAI's) default schedule


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
    """

    model: str = "whisper-base"
    device: str = "auto"
    compute_type: str = "auto"
    cpu_threads: int = 2
    num_workers: int = 1
    beam_size: int = 5
    vad_filter: bool = True
    temperature_fallback: bool = True
    max_new_tokens: int | None = None

    def __post_init__(self) -> None:
        # ValueError, so that pydantic settings embedding this dataclass report it as a validation error.
        if not isinstance(self.model, str) or not self.model.strip():
            raise ValueError("whisper model must be a registry name, a local folder or a hub id")
        if self.device not in _DEVICES:
            raise ValueError(f"whisper device must be one of {list(_DEVICES)}, not {self.device!r}")
        for name in ("cpu_threads", "num_workers", "beam_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"whisper {name} must be a positive integer, not {value!r}")
        if self.max_new_tokens is not None and (
            isinstance(self.max_new_tokens, bool) or not isinstance(self.max_new_tokens, int) or self.max_new_tokens < 1
        ):
            raise ValueError(f"whisper max_new_tokens must be a positive integer or None, not {self.max_new_tokens!r}")


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


class WhisperTranscriber:
    """faster-whisper behind kefu's `Transcriber` protocol: 16 kHz mono float32 waveforms in, Transcripts out."""

    def __init__(self, config: WhisperConfig):
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        self.config = config
        self.device = pick_ct2_device(config.device)
        self.compute_type = pick_compute_type(config.compute_type, self.device)
        path = registry.resolve(config.model)
        started = time.perf_counter()
        try:
            self.model = WhisperModel(
                path,
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=config.cpu_threads,
                num_workers=config.num_workers,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"could not load whisper model {config.model!r} from {path}: {exc}") from exc
        self.languages = frozenset(_LANGUAGE_CODES)
        logger.info(
            "loaded whisper %s on %s (%s) in %.1f s",
            config.model,
            self.device,
            self.compute_type,
            time.perf_counter() - started,
        )

    def transcribe(
        self,
        audios: Sequence[np.ndarray],
        *,
        language: str | None = None,
        prompt: str | None = None,
    ) -> list[Transcript]:
        """One Transcript per waveform. Silence is a valid result: text "" and no segments.

        Args:
            audios: 16 kHz mono waveforms (float32 in [-1, 1]), as `models.media.decode_audio` returns.
            language: ISO 639-1 code to force ("zh", "en", ...); detected per waveform when None.
            prompt: Vocabulary hint (product names, brand terms) fed to the decoder as earlier context.

        Raises:
            InvalidMedia: A waveform is not a non-empty 1-D numeric array.
            UnsupportedLanguage: `language` is not one Whisper knows.
        """
        if isinstance(audios, np.ndarray):
            raise InvalidMedia("expected a list of waveforms, got a single array; wrap it in a list")
        if language is not None:
            language = language.strip().lower()
            if language not in self.languages:
                raise UnsupportedLanguage(f"language {language!r} is not one Whisper knows (ISO 639-1, e.g. zh, en)")
        waveforms = [_waveform(audio, i) for i, audio in enumerate(audios)]
        return [self._one(waveform, language, prompt) for waveform in waveforms]

    def _one(self, waveform: np.ndarray, language: str | None, prompt: str | None) -> Transcript:
        segments, info = self.model.transcribe(
            waveform,
            language=language,
            task="transcribe",
            beam_size=self.config.beam_size,
            vad_filter=self.config.vad_filter,
            # Voice notes are short; conditioning on earlier text mostly spreads one misheard word into the next.
            condition_on_previous_text=False,
            initial_prompt=prompt or None,
            temperature=_FALLBACK_TEMPERATURES if self.config.temperature_fallback else 0.0,
            max_new_tokens=self.config.max_new_tokens,
        )
        # faster-whisper decodes lazily: the work happens here, while the generator is drained.
        decoded = list(segments)
        duration = waveform.shape[0] / SAMPLE_RATE
        # Whisper sees 30-s windows padded with silence and may time a segment into the padding: keep it in the audio.
        parts = []
        for s in decoded:
            start = min(max(float(s.start), 0.0), duration)
            parts.append(Segment(start=start, end=min(max(float(s.end), start), duration), text=s.text.strip()))
        return Transcript(
            # Whisper's segment texts carry their own leading spaces where the language uses them (not in Chinese).
            text="".join(s.text for s in decoded).strip(),
            language=language or info.language,
            language_probability=1.0 if language else float(info.language_probability),
            duration=duration,
            segments=parts,
        )


def _waveform(audio: np.ndarray, index: int) -> np.ndarray:
    if not isinstance(audio, np.ndarray):
        raise InvalidMedia(f"waveform {index} is a {type(audio).__name__}, not a numpy array")
    if audio.ndim != 1:
        raise InvalidMedia(f"waveform {index} has shape {audio.shape}; expected 1-D mono samples at 16 kHz")
    if audio.size == 0:
        raise InvalidMedia(f"waveform {index} is empty")
    if not np.issubdtype(audio.dtype, np.number) or np.iscomplexobj(audio):
        raise InvalidMedia(f"waveform {index} has dtype {audio.dtype}; expected float32 samples")
    if np.issubdtype(audio.dtype, np.integer):
        # PCM integers: scale to [-1, 1] as Whisper's features expect.
        audio = audio.astype(np.float32) / float(np.iinfo(audio.dtype).max)
    waveform = np.ascontiguousarray(audio, dtype=np.float32)
    if not np.isfinite(waveform).all():
        raise InvalidMedia(f"waveform {index} contains NaN or infinite samples")
    return waveform
