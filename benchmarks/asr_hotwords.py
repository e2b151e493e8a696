"""Do the catalog's hotwords help voice notes? kefu with and without them, against plain faster-whisper.

Held-out notes (benchmarks/heldout/voice/scripts.json, written apart from kefu's code and its other speech sets:
Mandarin and English after-sales notes, half naming a product of the demo catalog, half naming none), each spoken by
two espeak-ng voices the other speech sets do not use. Every system reads the same notes in one run, the language
given, whisper-base int8 on CPU, beam 5, VAD on:
- faster-whisper: plain, one clip at a time (the library kefu wraps);
- faster-whisper + hotwords (with `--library-hotwords`): the library's own `hotwords` argument given the titles;
- kefu, no hotwords;
- kefu, titles as before: every catalog title in every note's prompt, nothing checked (what `catalog.hotwords: 40`
  did until this benchmark);
- kefu, titles fitted: only the titles in the note's script, and text copied from them decoded again without them;
- kefu, no hotwords, in a queue: as kefu decodes notes that wait for one another (`busy_notes`): greedy.
The kefu systems take a set's notes in one call; all but the last decode them as notes arriving alone would be.
Reported per set (language × names a product or not): WER (English) or CER (Mandarin), and notes whose text repeats a
title or loops. Run from the repository root (after `make index`, about 14 minutes on 2 cores):
    .venv/bin/python benchmarks/asr_hotwords.py
Writes benchmarks/results/asr_hotwords.json and asr_hotwords.png.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.asr_accuracy import BEAM_SIZE, MODEL, Baseline, machine, provenance  # noqa: E402
from benchmarks.asr_metrics import cer, wer  # noqa: E402
from benchmarks.asr_set import speak, to_pinyin  # noqa: E402
from media.audio import decode_audio  # noqa: E402

logger = logging.getLogger("kefu.benchmarks")
SCRIPTS = ROOT / "benchmarks" / "heldout" / "voice" / "scripts.json"
CACHE = ROOT / "var" / "bench" / "asr_hotwords"
INDEX = ROOT / "var" / "index" / "demo"
# Voices the other speech sets (benchmarks/asr_set.py) do not use.
VOICES = {"zh": (("cmn-latn-pinyin+f4", 125), ("cmn-latn-pinyin+m3", 140)),
          "en": (("en-gb-scotland", 150), ("en-us+m3", 165))}


@dataclass(frozen=True)
class HeldNote:
    id: str
    text: str
    language: str
    names_product: bool
    voice: str
    audio: np.ndarray


def notes() -> list[HeldNote]:
    """Every script spoken by each voice of its language, cached as WAV under var/bench/asr_hotwords/."""
    scripts = json.loads(SCRIPTS.read_text(encoding="utf-8"))
    CACHE.mkdir(parents=True, exist_ok=True)
    out = []
    for language, rows in scripts.items():
        for row in rows:
            for voice, speed in VOICES[language]:
                spoken = to_pinyin(row["text"]) if language == "zh" else row["text"]
                key = hashlib.sha256(f"{voice}|{speed}|{spoken}".encode()).hexdigest()[:16]
                path = CACHE / f"{row['id']}-{key}.wav"
                if not path.is_file():
                    path.write_bytes(speak(spoken, voice, speed))
                out.append(HeldNote(row["id"], row["text"], language, bool(row["names_product"]), voice,
                                    decode_audio(path.read_bytes())))
    return out


def catalog_titles(limit: int = 40) -> list[str]:
    from catalog_index.versions import product_titles

    titles = product_titles(INDEX, limit)
    if not titles:
        raise SystemExit(f"no catalog at {INDEX}: run `make index` first")
    return titles


def systems(titles: list[str], library_too: bool = False):
    """name → function(list of notes of one language, language) → texts."""
    import models.whisper.engine as whisper
    from models.whisper.engine import WhisperConfig, WhisperTranscriber

    baseline = Baseline()

    def plain(batch, language):
        return [baseline.transcribe(n.audio, language)[0] for n in batch]

    def library_hotwords(batch, language):
        texts = []
        for n in batch:
            segments, _ = baseline.model.transcribe(n.audio, language=language, beam_size=BEAM_SIZE,
                                                    vad_filter=True, condition_on_previous_text=False,
                                                    hotwords=", ".join(titles))
            texts.append(" ".join(s.text.strip() for s in segments).strip())
        return texts

    def engine(hotwords, busy_notes=None):
        # Every note of a set goes in one call; busy_notes None decodes each as if it had arrived alone.
        return WhisperTranscriber(WhisperConfig(model=MODEL, device="cpu", compute_type="int8", cpu_threads=2,
                                                beam_size=BEAM_SIZE, hotwords=hotwords, busy_notes=busy_notes))

    bare, fitted, queued = engine([]), engine(titles), engine([], busy_notes=1)

    class Before(WhisperTranscriber):
        def _hotwords(self, language):
            return list(self.config.hotwords)

    before = Before(fitted.config)

    def kefu(transcriber, guard=True):
        def run(batch, language):
            checked = whisper.copied_from_prompt
            if not guard:
                whisper.copied_from_prompt = lambda text, hotwords: False
            try:
                return [t.text for t in transcriber.transcribe([n.audio for n in batch], language=language)]
            finally:
                whisper.copied_from_prompt = checked
        return run

    chosen = {"faster-whisper": plain, "faster-whisper + hotwords": library_hotwords} if library_too else {
        "faster-whisper": plain}
    return chosen | {"kefu, no hotwords": kefu(bare), "kefu, titles as before": kefu(before, guard=False),
                     "kefu, titles fitted": kefu(fitted), "kefu, no hotwords, in a queue": kefu(queued)}, {
        "kefu, titles fitted": fitted}


def run(library_too: bool = False) -> dict:
    load = os.getloadavg()[0]
    titles = catalog_titles()
    held = notes()
    chosen, engines = systems(titles, library_too)
    from models.whisper.engine import copied_from_prompt

    results: dict = {}
    timings: dict = {}
    for name, transcribe in chosen.items():
        started = time.perf_counter()
        for language in ("zh", "en"):
            batch = [n for n in held if n.language == language]
            texts = transcribe(batch, language)
            for names in (True, False):
                chosen_notes = [(n, t) for n, t in zip(batch, texts) if n.names_product == names]
                key = f"{language} {'names a product' if names else 'names none'}"
                refs, hyps = [n.text for n, _ in chosen_notes], [t for _, t in chosen_notes]
                rate = wer(refs, hyps) if language == "en" else cer(refs, hyps)
                row = results.setdefault(key, {"metric": "WER" if language == "en" else "CER",
                                               "notes": len(chosen_notes), "systems": {}})
                row["systems"][name] = {
                    "rate": round(rate, 4),
                    "copied_or_looped": sum(copied_from_prompt(h, titles) for h in hyps),
                    "examples": [{"said": r, "heard": h} for r, h in list(zip(refs, hyps))[:2]],
                }
        timings[name] = round(time.perf_counter() - started, 1)
        logger.info("%s done in %.0f s", name, timings[name])
    plain = "faster-whisper"
    default = "kefu, titles fitted"
    return {
        "what": "voice notes held out (benchmarks/heldout/voice/), two espeak-ng voices each, whisper-base int8 on "
                "CPU, beam 5, VAD on, the language given; hotwords: the demo catalog's titles",
        "machine": machine(load),
        "provenance": provenance(),
        "titles": len(titles),
        "sets": results,
        "seconds_per_system": timings,
        "fitted_no_worse_than_plain": {key: row["systems"][default]["rate"] <= row["systems"][plain]["rate"]
                                       for key, row in results.items()},
        "fitted_stats": dict(engines[default].stats),
    }


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = list(result["sets"])
    names = list(result["sets"][sets[0]]["systems"])
    fig, ax = plt.subplots(figsize=(11, 4.2))
    width = 0.8 / len(names)
    x = np.arange(len(sets))
    for k, name in enumerate(names):
        values = [result["sets"][s]["systems"][name]["rate"] * 100 for s in sets]
        bars = ax.bar(x + (k - (len(names) - 1) / 2) * width, values, width, label=name)
        ax.bar_label(bars, labels=[f"{v:.0f}" for v in values], fontsize=7)
    ax.set_xticks(x, [f"{s}\n({result['sets'][s]['metric']}, {result['sets'][s]['notes']} notes)" for s in sets])
    ax.set_ylabel("error rate, %")
    ax.set_title(f"Catalog titles as hotwords ({result['titles']} titles), held-out espeak-ng notes, whisper-base int8",
                 fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--plot-only", action="store_true")
    parser.add_argument("--library-hotwords", action="store_true",
                        help="also faster-whisper's own `hotwords` argument (one more system: ~8 more minutes)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    json_path, png_path = args.out / "asr_hotwords.json", args.out / "asr_hotwords.png"
    if args.plot_only:
        plot(json.loads(json_path.read_text()), png_path)
        return
    result = run(args.library_hotwords)
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    plot(result, png_path)
    for key, row in result["sets"].items():
        print(key, {name: (v["rate"], v["copied_or_looped"]) for name, v in row["systems"].items()})


if __name__ == "__main__":
    main()
