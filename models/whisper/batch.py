"""Decoding a batch of 30-s windows in one CTranslate2 call, and fast language detection on a note's speech alone.

These talk to faster-whisper's `WhisperModel` (its CTranslate2 model, feature extractor and tokenizer) below the level
of its `transcribe`, which takes one audio at a time; everything about notes and packing lives in `whisper_packing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

FRAMES_PER_WINDOW = 3000  # 30 s of 10-ms log-mel frames: the input Whisper was trained on
# Whisper's own context rule: at most half the 448-token decoder context may be earlier text (the prompt).
_MAX_PROMPT_TOKENS = 223


@dataclass(frozen=True)
class DecodeOptions:
    """How windows are decoded: beam width, token cap, and the text given as earlier context."""

    beam_size: int = 5
    max_new_tokens: int | None = None
    prompt: str | None = None


@dataclass(frozen=True)
class WindowText:
    """One decoded window.

    Attributes:
        segments: (start, end, text) in seconds from the window's start, from Whisper's timestamp tokens.
        avg_logprob: Mean log-probability of the decoded tokens (Whisper's hallucination signal: below -1 is poor).
        no_speech_prob: Probability the window holds no speech.
        compression_ratio: gzip ratio of the text; above ~2.4 means repeated phrases (a decoding loop).
    """

    segments: list[tuple[float, float, str]]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float

    @property
    def text(self) -> str:
        return "".join(text for _, _, text in self.segments)


def tokenizer_for(model: Any, language: str, task: str) -> Any:
    from faster_whisper.tokenizer import Tokenizer

    return Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task=task, language=language)


def window_features(model: Any, audios: Sequence[np.ndarray]) -> np.ndarray:
    """Log-mel features of each window, padded with silence (or cut) to exactly 30 s, stacked: (n, mels, 3000)."""
    batch = []
    for audio in audios:
        features = model.feature_extractor(audio)[:, :FRAMES_PER_WINDOW]
        batch.append(np.pad(features, ((0, 0), (0, FRAMES_PER_WINDOW - features.shape[1]))))
    return np.ascontiguousarray(np.stack(batch), dtype=np.float32)


def decode_windows(
    model: Any, audios: Sequence[np.ndarray], language: str, task: str, options: DecodeOptions
) -> list[WindowText]:
    """Encode and decode the windows together, all in `language` and `task`, with timestamps on."""
    from faster_whisper.transcribe import get_compression_ratio, get_suppressed_tokens

    tokenizer = tokenizer_for(model, language, task)
    previous = tokenizer.encode(" " + options.prompt.strip()) if options.prompt and options.prompt.strip() else []
    prompt = model.get_prompt(tokenizer, previous[-_MAX_PROMPT_TOKENS:], without_timestamps=False)
    max_length = model.max_length
    if options.max_new_tokens is not None:
        max_length = min(max_length, len(prompt) + options.max_new_tokens)
    encoded = model.encode(window_features(model, audios))
    results = model.model.generate(
        encoded,
        [list(prompt) for _ in audios],
        beam_size=options.beam_size,
        max_length=max_length,
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, [-1]),
        return_scores=True,
        return_no_speech_prob=True,
    )
    windows = []
    for result in results:
        tokens = result.sequences_ids[0]
        # CTranslate2 reports the length-normalised score; undo it as faster-whisper does (length_penalty 1).
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        segments = split_by_timestamps(tokenizer, tokens)
        text = "".join(t for _, _, t in segments)
        windows.append(
            WindowText(segments, float(avg_logprob), float(result.no_speech_prob), get_compression_ratio(text))
        )
    return windows


def split_by_timestamps(tokenizer: Any, tokens: Sequence[int]) -> list[tuple[float, float, str]]:
    """Whisper's output `<|t0|> words <|t1|><|t1|> words <|t2|>` → [(t0, t1, words), (t1, t2, words)].

    Text after the last timestamp (a segment Whisper did not close) runs to the last time seen.
    """
    begin = tokenizer.timestamp_begin
    segments: list[tuple[float, float, str]] = []
    start: float | None = None
    words: list[int] = []
    last = 0.0
    for token in tokens:
        if token >= begin:
            time = (token - begin) * 0.02
            if words:
                segments.append((start if start is not None else last, time, tokenizer.decode(words)))
                words = []
                start = None
            else:
                start = time
            last = time
        elif token < tokenizer.eot:
            words.append(token)
    if words:
        segments.append((start if start is not None else last, max(last, start or 0.0), tokenizer.decode(words)))
    return segments


def detect_language(model: Any, speech: np.ndarray, allowed: Sequence[str] | None = None) -> tuple[str, float]:
    """The language of a note from its speech alone (silence cut, up to 30 s), without padding to 30 s.

    Encoding only the speech is 5-20x cheaper than the padded window faster-whisper detects on, and on our
    evaluation set it agrees as often (benchmarks/asr_accuracy.py). With `allowed`, the best of those languages
    wins and its probability is renormalised over them.
    """
    features = model.feature_extractor(speech)[:, :FRAMES_PER_WINDOW]
    encoded = model.encode(np.ascontiguousarray(features[None], dtype=np.float32))
    ranked = [(token[2:-2], float(p)) for token, p in model.model.detect_language(encoded)[0]]
    if allowed:
        kept = [(code, p) for code, p in ranked if code in allowed]
        if kept:
            total = sum(p for _, p in kept) or 1.0
            return kept[0][0], kept[0][1] / total
    return ranked[0]
