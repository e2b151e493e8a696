"""Mandarin voice notes measured as honestly as this machine allows: kefu against plain faster-whisper.

No registry package carries Mandarin text-to-speech weights (checked: chattts, cosyvoice, kokoro-onnx, fastkokoro,
melotts and sherpa-onnx ship code that downloads its models; piper-tts ships espeak data and a Hebrew diacritiser but
no voice), so the notes are espeak-ng's Mandarin (`cmn-latn-pinyin`, from numbered pinyin) — a weak stand-in for
people. To keep it from flattering anyone, each held-out script (benchmarks/heldout/voice/scripts.json, Mandarin) is
spoken by four voice variants (two voices, slow and fast, low and high pitch) under four conditions:
- clean;
- noisy: pink noise at 10 dB SNR (a street, a shop floor);
- phone: the telephone band (resampled to 8 kHz, 300-3400 Hz, mu-law), as a phone channel or a voice message
  re-encoded by a chat app delivers it;
- phone + noisy.
Every system reads the same notes in one run, the language given, whisper-base int8 on CPU, beam 5, VAD on:
- faster-whisper: plain, one clip at a time (the library kefu wraps);
- kefu (make serve): kefu's engine with `configs/serve.dev.yaml`'s transcriber settings and its catalog hotwords
  setting (0 titles);
- kefu + titles: the same with the demo catalog's 40 titles as hotwords (fitted to the note's script and guarded);
- kefu (make serve), in a queue: the same as decoded when notes wait (`busy_notes`): greedy.
The kefu systems take every note in one call; each but the last decodes them as a note arriving alone would be.
Reported per condition: CER, and notes whose text loops or repeats a title. Run from the repository root (after
`make index`; about 20 minutes on 2 cores):
    .venv/bin/python benchmarks/asr_mandarin.py      (--only SYSTEM ...: those systems again, the rest kept)
Writes benchmarks/results/asr_mandarin.json and asr_mandarin.png.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.asr_accuracy import BEAM_SIZE, MODEL, Baseline, machine, provenance  # noqa: E402
from benchmarks.asr_hotwords import SCRIPTS, catalog_titles  # noqa: E402
from benchmarks.asr_metrics import cer  # noqa: E402
from benchmarks.asr_set import to_pinyin  # noqa: E402
from media.audio import decode_audio  # noqa: E402
from models.whisper.packing import SAMPLE_RATE  # noqa: E402

logger = logging.getLogger("kefu.benchmarks")
CACHE = ROOT / "var" / "bench" / "asr_mandarin"
# (voice, words a minute, pitch 0-99): two voices, slow and fast, low and high.
VOICES = (("cmn-latn-pinyin+f2", 115, 70), ("cmn-latn-pinyin+m1", 160, 30),
          ("cmn-latn-pinyin+f5", 165, 55), ("cmn-latn-pinyin+m6", 120, 45))
CONDITIONS = ("clean", "noisy", "phone", "phone + noisy")


def speak(text: str, voice: str, speed: int, pitch: int) -> bytes:
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "note.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(path), text],
                       check=True, capture_output=True, timeout=60)
        return path.read_bytes()


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(spectrum.size), 1))
    noise = np.fft.irfft(spectrum, n)
    return (noise / (np.std(noise) + 1e-9)).astype(np.float32)


def with_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    speech = audio[np.abs(audio) > 1e-3]
    power = float(np.mean(speech ** 2)) if speech.size else float(np.mean(audio ** 2))
    noise = pink_noise(audio.size, rng) * np.sqrt(power / 10 ** (snr_db / 10))
    return np.clip(audio + noise, -1, 1).astype(np.float32)


def phone_band(audio: np.ndarray) -> np.ndarray:
    """8 kHz, 300-3400 Hz, mu-law 8-bit, back to 16 kHz."""
    from scipy.signal import butter, resample_poly, sosfilt

    narrow = resample_poly(audio, 1, 2)
    narrow = sosfilt(butter(6, (300, 3400), btype="bandpass", fs=8000, output="sos"), narrow)
    mu = 255.0
    coded = np.sign(narrow) * np.log1p(mu * np.minimum(np.abs(narrow), 1)) / np.log1p(mu)
    coded = np.round(coded * 127) / 127
    narrow = np.sign(coded) * ((1 + mu) ** np.abs(coded) - 1) / mu
    return resample_poly(narrow, 2, 1).astype(np.float32)


def condition(audio: np.ndarray, name: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if "phone" in name:
        audio = phone_band(audio)
    if "noisy" in name:
        audio = with_noise(audio, 10.0, rng)
    return audio


def notes() -> list[dict]:
    scripts = json.loads(SCRIPTS.read_text(encoding="utf-8"))["zh"]
    CACHE.mkdir(parents=True, exist_ok=True)
    out = []
    for i, row in enumerate(scripts):
        voice, speed, pitch = VOICES[i % len(VOICES)]  # each script by one variant, the variants in turn
        spoken = to_pinyin(row["text"])
        key = hashlib.sha256(f"{voice}|{speed}|{pitch}|{spoken}".encode()).hexdigest()[:16]
        path = CACHE / f"{row['id']}-{key}.wav"
        if not path.is_file():
            path.write_bytes(speak(spoken, voice, speed, pitch))
        out.append({"id": row["id"], "text": row["text"], "voice": f"{voice} {speed}wpm p{pitch}",
                    "audio": decode_audio(path.read_bytes())})
    return out


def serve_transcriber_config() -> dict:
    args = yaml.safe_load((ROOT / "configs" / "serve.dev.yaml").read_text())["applications"][0]["args"]
    return args["transcriber"], int(args.get("catalog", {}).get("hotwords", 0) or 0)


def systems(titles: list[str]):
    from dataclasses import replace

    from models.whisper.engine import WhisperConfig, WhisperTranscriber

    baseline = Baseline()
    settings, served_titles = serve_transcriber_config()
    # Every note is handed over in one call; served, a note arrives alone (beam 5, the temperature schedule), or in
    # a queue (busy: `busy_beam_size`, no schedule): one system each.
    served = WhisperConfig(**{**settings, "model": MODEL, "device": "cpu", "compute_type": "int8"})
    alone = replace(served, busy_notes=None, hotwords=[*served.hotwords, *titles[:served_titles]])
    made = WhisperTranscriber(alone)
    queued = WhisperTranscriber(replace(alone, busy_notes=1))
    with_titles = WhisperTranscriber(replace(alone, hotwords=[*served.hotwords, *titles]))

    def plain(audios):
        return [baseline.transcribe(a, "zh")[0] for a in audios]

    def kefu(transcriber):
        return lambda audios: [t.text for t in transcriber.transcribe(audios, language="zh")]

    return {"faster-whisper": plain, "kefu (make serve)": kefu(made), "kefu + titles": kefu(with_titles),
            "kefu (make serve), in a queue": kefu(queued)}


def run(only: list[str] | None = None, earlier: dict | None = None) -> dict:
    """Every system on every condition; with `only`, just those systems, the others' rows kept from `earlier`."""
    from models.whisper.engine import copied_from_prompt

    load = os.getloadavg()[0]
    titles = catalog_titles()
    held = notes()
    chosen = {name: f for name, f in systems(titles).items() if not only or name in only}
    results: dict = (earlier or {}).get("conditions", {}) if only else {}
    for cond in CONDITIONS:
        audios = [condition(n["audio"], cond, seed=i) for i, n in enumerate(held)]
        refs = [n["text"] for n in held]
        row = results.setdefault(cond, {"notes": len(held), "systems": {}})
        for name, transcribe in chosen.items():
            started = time.perf_counter()
            hyps = transcribe(audios)
            row["systems"][name] = {
                "cer": round(cer(refs, hyps), 4),
                "looped_or_copied": sum(copied_from_prompt(h, titles) for h in hyps),
                "seconds": round(time.perf_counter() - started, 1),
                "examples": [{"said": r, "heard": h} for r, h in list(zip(refs, hyps))[:2]],
            }
            logger.info("%s / %s: CER %.3f", cond, name, row["systems"][name]["cer"])
    return {
        "what": "Mandarin held-out notes (benchmarks/heldout/voice/), espeak-ng cmn-latn-pinyin in four voice "
                "variants, four conditions; whisper-base int8 on CPU, beam 5, VAD on, language zh",
        "voices": [f"{v} {s}wpm pitch {p}" for v, s, p in VOICES],
        "machine": machine(load),
        "provenance": provenance(),
        "sample_rate": SAMPLE_RATE,
        "conditions": results,
        "default_no_worse_than_plain": {c: r["systems"]["kefu (make serve)"]["cer"]
                                        <= r["systems"]["faster-whisper"]["cer"] for c, r in results.items()},
        "command": " ".join([".venv/bin/python benchmarks/asr_mandarin.py", *sys.argv[1:]]),
    }


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conditions = list(result["conditions"])
    names = list(result["conditions"][conditions[0]]["systems"])
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        ax.bar(np.arange(len(conditions)) + (i - (len(names) - 1) / 2) * width,
               [result["conditions"][c]["systems"][name]["cer"] for c in conditions], width, label=name)
    ax.set_xticks(np.arange(len(conditions)), conditions)
    ax.set_ylabel("CER (lower is better)")
    ax.set_title("Mandarin notes (espeak-ng, 4 voice variants): kefu vs faster-whisper", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--only", nargs="+", metavar="SYSTEM",
                        help="run just these systems and keep the others' rows from the results file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    earlier = args.out / "asr_mandarin.json"
    result = run(args.only, json.loads(earlier.read_text()) if args.only and earlier.is_file() else None)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "asr_mandarin.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    plot(result, args.out / "asr_mandarin.png")
    for cond, row in result["conditions"].items():
        print(cond, {name: s["cer"] for name, s in row["systems"].items()})


if __name__ == "__main__":
    main()
