"""Voice-note accuracy: WER (English), CER (Mandarin) and language identification, kefu's engine vs faster-whisper.

kefu's `WhisperTranscriber` gets all notes of a language in one call (language given); the baseline is plain
faster-whisper, one clip at a time. Language identification runs with no language given: kefu gets every note in one
call, the baseline's answer is `info.language` of its `transcribe`. Run from the repository root:
    .venv/bin/python benchmarks/asr_accuracy.py    (20 + 20 notes: about 5 minutes on 2 cores; --full: 10; --quick: 3)
Writes benchmarks/results/asr_accuracy.json and asr_accuracy.png (`asr_accuracy_quick.*` with --quick).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.asr_metrics import cer, normalize_en, normalize_zh, wer  # noqa: E402
from benchmarks.asr_set import Note, load_set  # noqa: E402
from models import registry  # noqa: E402

logger = logging.getLogger("kefu.benchmarks")
MODEL = "whisper-base"
BEAM_SIZE = 5


# ------------------------------------------------------------------------------- the systems compared (shared)


class Baseline:
    """Plain faster-whisper, one clip at a time, as a replica without kefu's engine would run it."""

    name = "faster-whisper one clip at a time"

    def __init__(self, cpu_threads: int = 2):
        from faster_whisper import WhisperModel

        self.model = WhisperModel(registry.resolve(MODEL), device="cpu", compute_type="int8", cpu_threads=cpu_threads)

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> tuple[str, str]:
        """(text, language) of one note; the segment generator is drained, so all of the note is decoded."""
        segments, info = self.model.transcribe(
            audio, language=language, beam_size=BEAM_SIZE, vad_filter=True, condition_on_previous_text=False
        )
        return " ".join(s.text.strip() for s in segments).strip(), info.language

    def detect(self, audio: np.ndarray) -> str:
        """The language faster-whisper's `transcribe` settles on before it decodes anything."""
        _, info = self.model.transcribe(audio, beam_size=BEAM_SIZE, vad_filter=True, condition_on_previous_text=False)
        return info.language


def load_kefu():
    """kefu's transcriber on the same weights, device, precision and threads as the baseline; engine defaults."""
    from models.whisper.engine import WhisperConfig, WhisperTranscriber

    return WhisperTranscriber(WhisperConfig(model=MODEL, device="cpu", compute_type="int8", cpu_threads=2,
                                            beam_size=BEAM_SIZE))


def kefu_config(transcriber) -> dict:
    return {k: v for k, v in dataclasses.asdict(transcriber.config).items() if k != "drop_phrases"}


def provenance() -> dict:
    """Which kefu code produced the numbers: the commit, and whether the speech files differ from it."""
    import models.whisper.engine as whisper

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    files = {}
    for path in sorted((ROOT / "models").glob("whisper*.py")):
        relative = path.relative_to(ROOT).as_posix()
        committed = subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=ROOT, capture_output=True).stdout
        content = path.read_bytes()
        files[relative] = {"sha256": hashlib.sha256(content).hexdigest()[:12], "as_committed": content == committed}
    packed = hasattr(whisper.WhisperTranscriber, "transcribe_jobs") and (ROOT / "models/whisper/packing.py").is_file()
    return {
        "git_head": head,
        "speech_files": files,
        "kefu_engine": "packed + batched windows" if packed else "one clip at a time (before the batching engine)",
    }


def checked_provenance(before: dict) -> dict:
    """`before` (taken when the run started), marked if kefu's speech code changed on disk while it ran."""
    # Other commits may land while a long run goes on; only the speech files' contents matter.
    if {f: v["sha256"] for f, v in provenance()["speech_files"].items()} != {
            f: v["sha256"] for f, v in before["speech_files"].items()}:
        logger.warning("models/whisper*.py changed during the run: the kefu numbers may mix two versions")
        return before | {"changed_during_run": True}
    return before


def machine(started_load: float) -> dict:
    import ctranslate2
    import faster_whisper

    cpu = platform.processor()
    if Path("/proc/cpuinfo").is_file():
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return {"cpus": os.cpu_count(), "cpu": cpu, "gpu": "none used (device=cpu)", "platform": platform.platform(),
            "faster_whisper": faster_whisper.__version__, "ctranslate2": ctranslate2.__version__,
            # Other work on a shared box skews timings: the 1-minute load when the run started and ended (this
            # run's own threads add about 2 at the end).
            "load_average_1m": {"start": round(started_load, 2), "end": round(os.getloadavg()[0], 2)}}


def spread(notes: Sequence[Note], count: int) -> list[Note]:
    """`count` notes spread over the set (which is ordered by length), not just the first, shortest ones."""
    if count <= 0 or count >= len(notes):
        return list(notes)
    return [notes[int(i)] for i in np.linspace(0, len(notes) - 1, count).round()]


# ------------------------------------------------------------------------------------------------------ accuracy


@dataclass
class Options:
    """What one run measures.

    Attributes:
        notes: English and Mandarin notes scored for WER/CER, spread over the lengths (0: all 40 of each).
        lid_notes: English and Mandarin notes in the language-identification run (0: all).
        sea_notes: Notes per SEA language in the language-identification run (0: all 5).
        out: Folder for the results.
        name: File stem of the results.
    """

    notes: int = 20
    lid_notes: int = 6
    sea_notes: int = 3
    out: Path = ROOT / "benchmarks" / "results"
    name: str = "asr_accuracy"


def score(language: str, refs: list[str], hyps: list[str]) -> float:
    return wer(refs, hyps) if language == "en" else cer(refs, hyps)


def cut_short(language: str, refs: list[str], hyps: list[str], share: float = 0.75) -> list[int]:
    """Notes whose transcript holds under `share` of the reference's words (characters in Chinese): text was lost,
    as when a decoder stops before the speech does, rather than misheard."""
    def size(text: str) -> int:
        return len(normalize_en(text).split()) if language == "en" else len(normalize_zh(text))

    return [i for i, (ref, hyp) in enumerate(zip(refs, hyps)) if size(hyp) < share * size(ref)]


def accuracy(language: str, notes: list[Note], kefu, baseline: Baseline) -> dict:
    audio_s = sum(n.seconds for n in notes)
    started = time.perf_counter()
    kefu_texts = [t.text for t in kefu.transcribe([n.audio for n in notes], language=language)]
    kefu_s = time.perf_counter() - started
    started = time.perf_counter()
    base_texts = [baseline.transcribe(n.audio, language)[0] for n in notes]
    base_s = time.perf_counter() - started
    refs = [n.text for n in notes]
    by_voice: dict[str, dict] = {}
    for voice in sorted({f"{n.voice}@{n.speed}" for n in notes}):
        picked = [i for i, n in enumerate(notes) if f"{n.voice}@{n.speed}" == voice]
        by_voice[voice] = {
            "notes": len(picked),
            "kefu": round(score(language, [refs[i] for i in picked], [kefu_texts[i] for i in picked]), 4),
            "baseline": round(score(language, [refs[i] for i in picked], [base_texts[i] for i in picked]), 4),
        }
    per_note = [score(language, [r], [k]) - score(language, [r], [b]) for r, k, b in zip(refs, kefu_texts, base_texts)]
    # Where the two systems disagree most: the notes to read when kefu's rate moves.
    differing = sorted(range(len(notes)), key=lambda i: -abs(per_note[i]))[:4]
    result = {
        "metric": "WER" if language == "en" else "CER",
        "notes": len(notes),
        "audio_s": round(audio_s, 1),
        "kefu": {"rate": round(score(language, refs, kefu_texts), 4), "compute_s": round(kefu_s, 2),
                 "rtf": round(kefu_s / audio_s, 4)},
        "baseline": {"rate": round(score(language, refs, base_texts), 4), "compute_s": round(base_s, 2),
                     "rtf": round(base_s / audio_s, 4)},
        "by_voice": by_voice,
        "cut_short": {"rule": "transcript under 75 % of the reference's length",
                      "kefu": [notes[i].id for i in cut_short(language, refs, kefu_texts)],
                      "baseline": [notes[i].id for i in cut_short(language, refs, base_texts)]},
        "largest_differences": [
            {"id": notes[i].id, "ref": refs[i], "kefu": kefu_texts[i], "baseline": base_texts[i]}
            for i in differing if per_note[i] != 0
        ],
    }
    logger.info("%s %s: kefu %.3f in %.1f s, baseline %.3f in %.1f s (%d notes, %.0f s of audio)", language,
                result["metric"], result["kefu"]["rate"], kefu_s, result["baseline"]["rate"], base_s, len(notes),
                audio_s)
    return result


def language_id(notes: list[Note], kefu, baseline: Baseline) -> dict:
    started = time.perf_counter()
    transcripts = kefu.transcribe([n.audio for n in notes])
    kefu_s = time.perf_counter() - started
    started = time.perf_counter()
    base_languages = [baseline.detect(n.audio) for n in notes]
    base_s = time.perf_counter() - started
    per_language = {}
    for language in dict.fromkeys(n.language for n in notes):
        picked = [i for i, n in enumerate(notes) if n.language == language]
        kefu_said = Counter(transcripts[i].language for i in picked)
        base_said = Counter(base_languages[i] for i in picked)
        per_language[language] = {
            "notes": len(picked),
            "kefu": round(kefu_said[language] / len(picked), 3),
            "baseline": round(base_said[language] / len(picked), 3),
            "kefu_detected": dict(kefu_said.most_common()),
            "baseline_detected": dict(base_said.most_common()),
        }
        logger.info("LID %s: kefu %.2f %s, baseline %.2f %s", language, per_language[language]["kefu"],
                    dict(kefu_said), per_language[language]["baseline"], dict(base_said))
    auto = {}
    for language, metric in (("en", wer), ("zh", cer)):
        picked = [i for i, n in enumerate(notes) if n.language == language]
        if picked:
            # The same notes transcribed with the language left to detection, as a shop that does not know it would.
            auto[language] = round(metric([notes[i].text for i in picked], [transcripts[i].text for i in picked]), 4)
    return {
        "per_language": per_language,
        "kefu_s": round(kefu_s, 2),
        "baseline_s": round(base_s, 2),
        "timing_note": "kefu detects and transcribes every note in one call; the baseline only detects "
                       "(its segment generator is not drained)",
        "kefu_rate_language_detected": auto,
    }


def run(options: Options) -> dict:
    load_at_start = os.getloadavg()[0]
    sets = {kind: load_set(kind) for kind in ("en", "zh", "sea")}
    kefu, baseline = load_kefu(), Baseline()
    started_with = provenance()  # the code just imported, before anyone edits it during a long run
    warm = sets["en"][0].audio
    kefu.transcribe([warm], language="en")  # first calls initialise VAD and CTranslate2 buffers: not measured
    baseline.transcribe(warm, "en")
    scored = {language: accuracy(language, spread(sets[language], options.notes), kefu, baseline)
              for language in ("en", "zh")}
    sea = [n for language in ("id", "ms", "vi", "th")
           for n in spread([n for n in sets["sea"] if n.language == language], options.sea_notes)]
    lid_notes = spread(sets["en"], options.lid_notes) + spread(sets["zh"], options.lid_notes) + sea
    identified = language_id(lid_notes, kefu, baseline)
    return {
        "what": "voice-note accuracy on espeak-ng speech (see benchmarks/asr_set.py), whisper-base int8 on CPU, "
                "beam 5, VAD on; kefu: all notes of a language in one call; baseline: one clip at a time",
        "machine": machine(load_at_start),
        "provenance": checked_provenance(started_with),
        "kefu_config": kefu_config(kefu),
        "baseline": "faster_whisper.WhisperModel(cpu, int8, cpu_threads=2).transcribe(beam_size=5, vad_filter=True, "
                    "condition_on_previous_text=False), generator drained",
        "accuracy": scored,
        "language_id": identified,
        "kefu_stats": dict(getattr(kefu, "stats", {})),
    }


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1, 2]})
    width = 0.38
    rates = result["accuracy"]
    names = [f"{lang} {rates[lang]['metric']}" for lang in rates]
    x = np.arange(len(names))
    for offset, system, colour in ((-width / 2, "kefu", "#4c72b0"), (width / 2, "baseline", "#dd8452")):
        values = [rates[lang][system]["rate"] * 100 for lang in rates]
        bars = left.bar(x + offset, values, width, label=system, color=colour)
        left.bar_label(bars, labels=[f"{v:.1f}" for v in values], fontsize=8)
    left.set_xticks(x, names)
    left.set_ylabel("error rate, %")
    left.set_title("Transcription errors (language given)", fontsize=10)
    left.legend(fontsize=8)

    lid = result["language_id"]["per_language"]
    x = np.arange(len(lid))
    for offset, system, colour in ((-width / 2, "kefu", "#4c72b0"), (width / 2, "baseline", "#dd8452")):
        values = [lid[lang][system] for lang in lid]
        bars = right.bar(x + offset, values, width, label=system, color=colour)
        right.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=8)
    right.set_xticks(x, [f"{lang} ({lid[lang]['notes']})" for lang in lid])
    right.set_ylim(0, 1.12)
    right.set_ylabel("accuracy")
    right.set_title("Language identification (language not given; notes)", fontsize=10)
    right.legend(fontsize=8, loc="upper right")
    fig.suptitle(f"whisper-base int8, 2-core CPU, espeak-ng notes; kefu = {result['provenance']['kefu_engine']}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=Options.notes, help="English and Mandarin notes scored (0: all)")
    parser.add_argument("--lid-notes", type=int, default=Options.lid_notes,
                        help="English and Mandarin notes in the language-ID run (0: all)")
    parser.add_argument("--sea-notes", type=int, default=Options.sea_notes,
                        help="notes per SEA language in the language-ID run (0: all 5)")
    parser.add_argument("--full", action="store_true", help="every note: 40 + 40 scored, 12 + 12 + 20 for language ID")
    parser.add_argument("--quick", action="store_true", help="8 notes per language, 4 + 4 + 2 per SEA language for ID")
    parser.add_argument("--out", type=Path, default=Options.out)
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from the saved JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # it logs every clip at INFO
    options = Options(notes=args.notes, lid_notes=args.lid_notes, sea_notes=args.sea_notes, out=args.out)
    if args.full:
        options = Options(notes=0, lid_notes=12, sea_notes=0, out=args.out)
    if args.quick:
        options = Options(notes=8, lid_notes=4, sea_notes=2, out=args.out, name="asr_accuracy_quick")
    save_or_replot(options.out / f"{options.name}.json", lambda: run(options), plot, args.plot_only)


def save_or_replot(path: Path, measure, draw, plot_only: bool) -> None:
    """Measure and write `path` (JSON) and its plot (PNG beside it), or only redraw the plot from the saved JSON."""
    if plot_only:
        return draw(json.loads(path.read_text()), path.with_suffix(".png"))
    result = measure()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    draw(result, path.with_suffix(".png"))
    logger.info("wrote %s", path)


if __name__ == "__main__":
    main()
