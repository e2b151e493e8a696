"""Speech to text with faster-whisper (CTranslate2): the `Transcriber` kefu serves voice notes with.

Two paths. The common one (temperature 0, segment timestamps) packs the speech of many notes into shared 30-s
windows and decodes a batch of windows in one CTranslate2 call (`whisper_packing`, `whisper_batch`): several times the
throughput of one note at a time when notes are short. Requests for word timestamps, sampling temperatures or a
stream, and windows whose text looks hallucinated, go through faster-whisper's own `transcribe`, one note at a time,
with its temperature fallback.
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Iterator, Sequence

import numpy as np

from models import registry
from models.whisper.chinese import has_hanzi, to_simplified
from models.errors import InvalidMedia, ModelError, UnsupportedLanguage, UnsupportedOperation
from models.types import Segment, Transcript, Word
from models.whisper.batch import DecodeOptions, decode_windows, detect_language
from models.whisper.config import TASKS, WhisperConfig, pick_compute_type, pick_ct2_device
from models.whisper.packing import SAMPLE_RATE as _PACKING_RATE
from models.whisper.packing import WINDOW_S, Part, Window, assign, pack, settle, split_into_parts

logger = logging.getLogger("kefu.models")

SAMPLE_RATE = _PACKING_RATE
_FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # faster-whisper's (and OpenAI's) default schedule
# Whisper's (and faster-whisper's) hallucination thresholds for one decoded window.
_COMPRESSION_RATIO_LIMIT = 2.4
_LOG_PROB_FLOOR = -1.0
_NO_SPEECH_THRESHOLD = 0.6
# Room left at a window's end: Whisper's last timestamp token is 30.00 s and it needs a little silence to close.
_WINDOW_BUDGET_S = WINDOW_S - 1.0
# A segment that overlaps two packed notes by more than this each has run them together.
_TANGLE_S = 0.3
# A window's last timestamp must come this close to a part's end for the part to count as decoded (VAD pads speech
# by 0.4 s each side, and Whisper times the end of speech a little early).
_COVER_S = 1.5
# A detected language less likely than this is a guess: the temperature schedule does not fix a wrong language.
_SURE_LANGUAGE = 0.6
# Rounds of decoding leftovers before the notes still unfinished go to faster-whisper's own loop.
_MAX_ROUNDS = 4
# Below this peak amplitude a waveform is digital silence, whatever VAD thinks (and VAD may be off).
_SILENT_PEAK = 1e-4
# Languages written without spaces between words: their segments are joined without one.
_UNSPACED = frozenset({"zh", "ja", "th", "lo", "my", "km", "bo", "yue"})


@dataclass(frozen=True)
class TranscriptionJob:
    """One note and how to transcribe it (what one request asks for).

    Attributes:
        audio: 16 kHz mono waveform (float32 in [-1, 1], or integer PCM).
        language: ISO 639-1 code to force; detected from the speech when None.
        prompt: Earlier context for the decoder (OpenAI's `prompt`), after the configured hotwords.
        task: "transcribe", or "translate" for English text from any language.
        temperature: 0 decodes deterministically (with fallback to higher temperatures on hallucination when the
            config allows); above 0 samples at that temperature first.
        word_timestamps: Time every word, not only every segment.
        hotwords: Give the decoder the configured hotwords that fit the note's language (False once the text they
            gave was found copied from them: `copied_from_prompt`).
    """

    audio: np.ndarray
    language: str | None = None
    prompt: str | None = None
    task: str = "transcribe"
    temperature: float = 0.0
    word_timestamps: bool = False
    hotwords: bool = True


@dataclass(frozen=True)
class StreamInfo:
    """What is known before a streamed transcription decodes its first segment."""

    language: str
    language_probability: float
    duration: float
    speech_seconds: float
    task: str


class WhisperTranscriber:
    """faster-whisper behind kefu's `Transcriber` protocol: 16 kHz mono float32 waveforms in, Transcripts out.

    `transcribe_jobs` takes notes from many requests at once (the serving layer batches them) and decodes them
    together; each note keeps its own language, prompt and task.
    """

    def __init__(self, config: WhisperConfig):
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import _LANGUAGE_CODES
        from faster_whisper.vad import VadOptions

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
        # faster-whisper's own VAD defaults, with speech cut into pieces that fit a window.
        self._vad = VadOptions(max_speech_duration_s=_WINDOW_BUDGET_S)
        self._drop = {_phrase_key(phrase) for phrase in config.drop_phrases}
        self.stats: dict[str, int] = defaultdict(int)
        logger.info(
            "loaded whisper %s on %s (%s) in %.1f s",
            config.model,
            self.device,
            self.compute_type,
            time.perf_counter() - started,
        )

    def check(self, job: TranscriptionJob, index: int = 0) -> TranscriptionJob:
        """The job with its waveform and language normalised, or a domain error saying what is wrong with it.

        Raises:
            InvalidMedia: The waveform is not a non-empty 1-D numeric array.
            UnsupportedLanguage: The language is not one Whisper knows.
            UnsupportedOperation: The task is not "transcribe" or "translate".
            ValueError: The temperature is outside [0, 1] (the serving layer refuses it before it gets here).
        """
        language = job.language.strip().lower() if job.language and job.language.strip() else None
        if language is not None and language not in self.languages:
            raise UnsupportedLanguage(f"language {language!r} is not one Whisper knows (ISO 639-1, e.g. zh, en)")
        if job.task not in TASKS:
            raise UnsupportedOperation(f"task must be one of {list(TASKS)}, not {job.task!r}")
        if not 0.0 <= job.temperature <= 1.0:
            raise ValueError(f"temperature must be between 0 and 1, not {job.temperature!r}")
        prompt = job.prompt.strip() if job.prompt and job.prompt.strip() else None
        return replace(job, audio=_waveform(job.audio, index), language=language, prompt=prompt)

    def transcribe(
        self,
        audios: Sequence[np.ndarray],
        *,
        language: str | None = None,
        prompt: str | None = None,
        task: str = "transcribe",
        temperature: float = 0.0,
        word_timestamps: bool = False,
    ) -> list[Transcript]:
        """One Transcript per waveform, all decoded together. Silence is a valid result: text "" and no segments.

        Args:
            audios: 16 kHz mono waveforms (float32 in [-1, 1]), as `media.audio.decode_audio` returns.
            language: ISO 639-1 code to force ("zh", "en", ...); detected per waveform when None.
            prompt: Vocabulary hint (product names, brand terms) fed to the decoder as earlier context.
            task: "transcribe", or "translate" for English text.
            temperature: See `TranscriptionJob`.
            word_timestamps: Time every word as well as every segment.

        Raises:
            InvalidMedia, UnsupportedLanguage, UnsupportedOperation: see `check`.
        """
        if isinstance(audios, np.ndarray):
            raise InvalidMedia("expected a list of waveforms, got a single array; wrap it in a list")
        jobs = [TranscriptionJob(a, language, prompt, task, temperature, word_timestamps) for a in audios]
        return self.transcribe_jobs(jobs)

    def transcribe_jobs(self, jobs: Sequence[TranscriptionJob]) -> list[Transcript]:
        """One Transcript per job, in order; jobs of one language, task and prompt share packed windows.

        The same note sent twice (a customer resending it, one note forwarded from two channels) is decoded once: a
        window packing one note several times reads as text repeating itself, which would send every copy down the
        slow one-by-one path."""
        jobs = [self.check(job, i) for i, job in enumerate(jobs)]
        first: dict[tuple, int] = {}
        copies = [first.setdefault(_same_note(job), i) for i, job in enumerate(jobs)]
        busy = self.busy(len(first))
        self.stats["busy_batches"] += busy
        beam = min(self.config.beam_size, self.config.busy_beam_size) if busy else self.config.beam_size
        if len(first) < len(jobs):
            self.stats["notes_deduplicated"] += len(jobs) - len(first)
            distinct = sorted(first.values())
            decoded = dict(zip(distinct, self._transcribe_distinct([jobs[i] for i in distinct], beam)))
            return [decoded[i] for i in copies]
        return self._transcribe_distinct(jobs, beam)

    def busy(self, notes: int) -> bool:
        """Whether a batch of `notes` distinct notes means a queue: others wait while it decodes, so it is decoded
        at `busy_beam_size` (`WhisperConfig.busy_notes`). The temperature schedule stays: without it greedy
        decoding keeps its loops (Mandarin CER 1.32 against 0.71 with it, benchmarks/asr_mandarin.py)."""
        return self.config.busy_notes is not None and notes >= self.config.busy_notes

    def _transcribe_distinct(self, jobs: list[TranscriptionJob], beam: int) -> list[Transcript]:
        results: dict[int, Transcript] = {}
        spans = [self._speech(job.audio) for job in jobs]
        detected: dict[int, tuple[str, float]] = {}
        groups: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
        alone: list[int] = []
        for i, job in enumerate(jobs):
            if not spans[i]:
                results[i] = self._finish(job, (job.language or "", 1.0 if job.language else 0.0), [])
                continue
            detected[i] = (job.language, 1.0) if job.language else self._detect(job.audio, spans[i])
            if job.word_timestamps or job.temperature > 0:
                alone.append(i)
            else:
                groups[(detected[i][0], job.task, self._prompt(job, detected[i][0]))].append(i)
        for (language, task, prompt), members in groups.items():
            decoded, suspect = self._packed(jobs, spans, members, language, task, prompt, beam)
            for i, segments in decoded.items():
                results[i] = self._finish(jobs[i], detected[i], segments)
            alone.extend(suspect)
        for i in sorted(alone):
            # Whisper unsure of the language (espeak-ng's Mandarin heard as Thai): the schedule would sample the
            # same wrong language up to five more times, so the note gets the one decode.
            unsure = detected[i][1] < _SURE_LANGUAGE
            self.stats["notes_unsure_language"] += unsure
            segments = self._one_by_one(jobs[i], detected[i][0], beam, schedule=not unsure)
            results[i] = self._finish(jobs[i], detected[i], list(segments))
        # Text copied from the hotwords rather than heard: the note is decoded again without them.
        again = [i for i in results if jobs[i].hotwords and i in detected
                 and copied_from_prompt(results[i].text, self._hotwords(detected[i][0]))]
        if again:
            self.stats["notes_without_hotwords"] += len(again)
            redone = self._transcribe_distinct([replace(jobs[i], language=detected[i][0], hotwords=False)
                                                for i in again], beam)
            for i, transcript in zip(again, redone):
                results[i] = replace(transcript, language_probability=detected[i][1])
        return [results[i] for i in range(len(jobs))]

    def stream(self, job: TranscriptionJob) -> tuple[StreamInfo, Iterator[Segment]]:
        """Language and duration now, then segments lazily as faster-whisper decodes them, window by window.

        The segments come from the one-note-at-a-time path, so the first arrives after one window, not the whole note.
        """
        job = self.check(job)
        spans = self._speech(job.audio)
        duration = job.audio.shape[0] / SAMPLE_RATE
        speech = sum(end - start for start, end in spans) / SAMPLE_RATE
        if not spans:
            return StreamInfo(job.language or "", 1.0 if job.language else 0.0, duration, 0.0, job.task), iter(())
        language, probability = (job.language, 1.0) if job.language else self._detect(job.audio, spans)
        return StreamInfo(language, probability, duration, speech, job.task), self._one_by_one(job, language)

    def _speech(self, audio: np.ndarray) -> list[tuple[int, int]]:
        """Where the note speaks, as sample spans; [] for silence (and for noise Silero VAD hears no voice in)."""
        if audio.size == 0 or float(np.max(np.abs(audio))) < _SILENT_PEAK:
            return []
        if not self.config.vad_filter:
            return [(0, audio.size)]
        from faster_whisper.vad import get_speech_timestamps

        return [(chunk["start"], chunk["end"]) for chunk in get_speech_timestamps(audio, self._vad)]

    def _detect(self, audio: np.ndarray, spans: list[tuple[int, int]]) -> tuple[str, float]:
        limit = int(WINDOW_S * SAMPLE_RATE)
        speech = np.concatenate([audio[start:end] for start, end in spans])[:limit]
        return detect_language(self.model, speech, self.config.languages or None)

    def _hotwords(self, language: str) -> list[str]:
        """The configured hotwords written in the note's language's script (Chinese titles say nothing to English
        speech and only give the decoder text to copy)."""
        return [word for word in self.config.hotwords if fits_language(word, language)]

    def _prompt(self, job: TranscriptionJob, language: str) -> str | None:
        hotwords = self._hotwords(language) if job.hotwords else []
        pieces = [", ".join(hotwords)] if hotwords else []
        if job.prompt:
            pieces.append(job.prompt)
        return " ".join(pieces) or None

    def _packed(
        self,
        jobs: Sequence[TranscriptionJob],
        spans: Sequence[list[tuple[int, int]]],
        members: list[int],
        language: str,
        task: str,
        prompt: str | None,
        beam: int,
    ) -> tuple[dict[int, list[Segment]], list[int]]:
        """Decode the notes `members` (one language, task and prompt) in packed, batched windows.

        Speech a window's decoding never reached is packed again with other leftovers (faster-whisper's seek, across
        notes); a window whose segments straddle two notes is decoded again with each note alone; the notes of a
        window, or a note, whose text looks hallucinated go to the one-by-one path, which has temperature fallback.
        Returns segments per decoded note, and the notes left for the one-by-one path.
        """
        options = DecodeOptions(beam, self.config.max_new_tokens, prompt)
        waveforms = {i: jobs[i].audio for i in members}
        parts = [part for i in members for part in split_into_parts(i, spans[i], _WINDOW_BUDGET_S)]
        windows = self._pack(parts, self.config.pack_notes)
        placed: dict[int, list[Segment]] = defaultdict(list)
        suspect: set[int] = set()
        for round_ in range(_MAX_ROUNDS):
            resume: list[Part] = []
            alone: list[Part] = []
            self.stats["windows_redecoded" if round_ else "windows"] += len(windows)
            for window, decoded in self._decode(waveforms, windows, language, task, options):
                if self._hallucinated(decoded):
                    # Straight to the one-by-one path: it starts with the same temperature-0 decode of the note
                    # alone, so decoding the note alone here first would only repeat that work.
                    suspect.update(part.clip for part in window.parts)
                    self.stats["suspect_windows"] += 1
                    continue
                if decoded.no_speech_prob > _NO_SPEECH_THRESHOLD and decoded.avg_logprob < _LOG_PROB_FLOOR:
                    continue  # Whisper's own rule: this window is silence after all
                got = assign(window, decoded.segments, tangle_s=_TANGLE_S)
                if got is None:
                    alone.extend(window.parts)
                    self.stats["tangled_windows"] += 1
                    continue
                settled = settle(window, got, _COVER_S)
                for index, part in enumerate(window.parts):
                    pieces = [piece for piece in settled.kept if piece.part == index]
                    if self._hallucinated_text("".join(piece.text for piece in pieces)):
                        suspect.add(part.clip)
                    placed[part.clip].extend(Segment(piece.start, piece.end, piece.text) for piece in pieces)
                resume.extend(settled.resume)
                alone.extend(settled.alone)
            self.stats["parts_resumed"] += len(resume)
            self.stats["parts_alone"] += len(alone)
            windows = self._pack(resume, self.config.pack_notes) + self._pack(alone, False)
            if not windows:
                break
        else:
            # Whisper kept stopping short: leave those notes to faster-whisper's own loop.
            suspect.update(part.clip for window in windows for part in window.parts)
        self.stats["notes_packed"] += len(members)
        decoded_notes = {i: sorted(placed[i], key=lambda s: s.start) for i in members if i not in suspect}
        return decoded_notes, sorted(suspect)

    def _pack(self, parts: list[Part], pack_notes: bool) -> list[Window]:
        return pack(parts, gap_s=self.config.gap_s, max_seconds=_WINDOW_BUDGET_S, pack_notes=pack_notes)

    def _decode(self, waveforms: dict[int, np.ndarray], windows: list[Window], language: str, task: str, options):
        size = self.config.batch_windows
        for first in range(0, len(windows), size):
            batch = windows[first : first + size]
            audios = [window.audio(waveforms) for window in batch]
            yield from zip(batch, decode_windows(self.model, audios, language, task, options))

    def _hallucinated(self, decoded) -> bool:
        if not self.config.temperature_fallback:
            return False
        if decoded.compression_ratio > _COMPRESSION_RATIO_LIMIT:
            return True
        return decoded.avg_logprob < _LOG_PROB_FLOOR and decoded.no_speech_prob <= _NO_SPEECH_THRESHOLD

    def _hallucinated_text(self, text: str) -> bool:
        """One note's share of a window repeating itself ("惑惑惑惑..."), which the whole window's ratio may hide."""
        from faster_whisper.transcribe import get_compression_ratio

        return self.config.temperature_fallback and bool(text) and get_compression_ratio(text) > _COMPRESSION_RATIO_LIMIT

    def _one_by_one(self, job: TranscriptionJob, language: str, beam: int | None = None,
                    schedule: bool = True) -> Iterator[Segment]:
        """faster-whisper's own `transcribe` on one note, with temperature fallback when the config and `schedule`
        allow (the schedule costs up to six decodes of a note whose text stays hallucinated); segments as they are
        decoded."""
        first = job.temperature
        fallback = self.config.temperature_fallback and schedule
        temperatures = (first, *(t for t in _FALLBACK_TEMPERATURES if t > first)) if fallback else first
        segments, _ = self.model.transcribe(
            job.audio,
            language=language,
            task=job.task,
            beam_size=beam or self.config.beam_size,
            vad_filter=self.config.vad_filter,
            vad_parameters=self._vad,
            # Voice notes are short; conditioning on earlier text mostly spreads one misheard word into the next.
            condition_on_previous_text=False,
            initial_prompt=self._prompt(job, language),
            temperature=temperatures,
            word_timestamps=job.word_timestamps,
            max_new_tokens=self.config.max_new_tokens,
        )
        self.stats["notes_one_by_one"] += 1
        duration = job.audio.shape[0] / SAMPLE_RATE
        # faster-whisper decodes lazily: each window is decoded when the generator reaches it.
        for s in segments:
            cleaned = self._clean(_clamped(s, duration), language, job.task)
            if cleaned is not None:
                yield cleaned

    def _clean(self, segment: Segment, language: str, task: str) -> Segment | None:
        """Drop known hallucinated captions; write Chinese in Simplified characters when configured."""
        text = segment.text.strip()
        if not text or _phrase_key(text) in self._drop:
            return None
        if self.config.simplified_chinese and task == "transcribe" and language in ("zh", "yue"):
            text = to_simplified(text)
            words = tuple(replace(w, text=to_simplified(w.text)) for w in segment.words)
            if _phrase_key(text) in self._drop:
                return None
            return replace(segment, text=text, words=words)
        return replace(segment, text=text)

    def _finish(self, job: TranscriptionJob, detected: tuple[str, float], segments: list[Segment]) -> Transcript:
        language, probability = detected
        cleaned = [s for s in (self._clean(s, language, job.task) for s in segments) if s is not None]
        return Transcript(
            text=join_texts([s.text for s in cleaned], language, job.task),
            language=language,
            language_probability=float(probability),
            duration=job.audio.shape[0] / SAMPLE_RATE,
            segments=cleaned,
            task=job.task,
        )


_THAI = re.compile(r"[\u0e00-\u0e7f]")
# A hotword repeated this often in one note, or a looped run of words, is the decoder copying, not the speaker.
_COPIES = 2
_LOOP_NGRAM = 3


def fits_language(word: str, language: str) -> bool:
    """Whether a hotword is written in a script speech in `language` is written in: Han for Chinese and Japanese,
    Thai for Thai; Latin letters and digits (a brand, a model number: "KF-Merino") fit every language, as speakers
    of each say them."""
    if has_hanzi(word):
        return language in ("zh", "ja", "yue")
    if _THAI.search(word):
        return language == "th"
    return True


def copied_from_prompt(text: str, hotwords: Sequence[str]) -> bool:
    """Whether `text` reads as copied from the hotwords given as the prompt: one of them twice or more, two of
    them side by side as the prompt lists them ("手工粗陶瓷马克杯, 手工粗陶瓷马克杯, …"), or a run of words or
    characters looping (the same n-gram three times in a row)."""
    if not hotwords or not text:
        return False
    key = _phrase_key(text)
    words = [k for k in (_phrase_key(w) for w in hotwords) if len(k) >= 2]
    if any(key.count(w) >= _COPIES for w in words):
        return True
    if any(a + b in key for a, b in zip(words, words[1:])):
        return True
    tokens = text.split() if " " in text.strip() else list(key)
    for n in range(1, 6):
        for start in range(len(tokens) - n * _LOOP_NGRAM + 1):
            gram = tokens[start:start + n]
            if len("".join(gram)) * _LOOP_NGRAM >= 6 and all(
                    tokens[start + k * n:start + (k + 1) * n] == gram for k in range(1, _LOOP_NGRAM)):
                return True  # ("哈哈哈" is laughter, not a loop)
    return False


def separator(language: str, task: str = "transcribe") -> str:
    """What goes between two segments' texts: a space, except in languages written without (Chinese, Thai...)."""
    return "" if task == "transcribe" and language in _UNSPACED else " "


def join_texts(texts: Sequence[str], language: str, task: str = "transcribe") -> str:
    """Segment texts → one text, with `separator` between them."""
    return separator(language, task).join(t.strip() for t in texts if t.strip()).strip()


def _clamped(segment, duration: float) -> Segment:
    """faster-whisper's segment → ours, its times kept inside the audio (Whisper may time text into the padding)."""
    start = min(max(float(segment.start), 0.0), duration)
    end = min(max(float(segment.end), start), duration)
    words = tuple(
        Word(
            start=min(max(float(w.start), 0.0), duration),
            end=min(max(float(w.end), 0.0), duration),
            text=w.word,
            probability=float(w.probability),
        )
        for w in (segment.words or ())
    )
    return Segment(start=start, end=end, text=segment.text, words=words)


_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)


def _phrase_key(text: str) -> str:
    """Case, spaces and punctuation aside, and Traditional folded to Simplified: how drop phrases are compared."""
    return _PUNCTUATION.sub("", to_simplified(text).casefold())


def _same_note(job: TranscriptionJob) -> tuple:
    """What makes two jobs the same decode: the waveform's samples and every option."""
    import hashlib

    samples = hashlib.blake2b(np.ascontiguousarray(job.audio).tobytes(), digest_size=16).digest()
    return (samples, job.audio.shape, job.language, job.prompt, job.task, job.temperature, job.word_timestamps,
            job.hotwords)


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
