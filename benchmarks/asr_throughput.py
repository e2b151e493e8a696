"""Voice-note throughput: real-time factor per note length, and closed-loop load from concurrent clients.

Two systems on the same whisper-base int8 weights and 2 CPU threads: the baseline is plain faster-whisper behind a
lock, one clip at a time (a replica without batching); kefu is `WhisperTranscriber` behind a dynamic batcher that
mimics Ray Serve's `@serve.batch` (up to 16 pending clips, at most 50 ms of waiting for more, one `transcribe` call).
Each client sends a 5-10 s English note, waits for its transcript and sends the next. Run from the repository root:
    .venv/bin/python benchmarks/asr_throughput.py           (about 7 minutes on 2 cores; --quick: about 2)
Writes benchmarks/results/asr_throughput.json and asr_throughput.png (`asr_throughput_quick.*` with --quick).
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.asr_accuracy import (  # noqa: E402
    Baseline,
    checked_provenance,
    kefu_config,
    load_kefu,
    machine,
    provenance,
    save_or_replot,
)
from benchmarks.asr_set import Note, load_set  # noqa: E402

logger = logging.getLogger("kefu.benchmarks")
GOAL_RATIO = 2.0  # kefu's throughput over the baseline's at 8 concurrent clients


@dataclass
class Options:
    """What one run measures.

    Attributes:
        lengths: Note lengths (seconds) whose real-time factor is measured.
        rtf_notes: Notes per length in the real-time-factor runs.
        concurrency: Numbers of concurrent clients in the closed-loop runs.
        notes: Notes sent in all per closed-loop run (shared out among its clients).
        max_batch: Most clips kefu's batcher hands to one `transcribe` call (Serve's `max_batch_size`).
        wait_ms: Longest the batcher waits for more clips once it has one (Serve's `batch_wait_timeout_s`).
        auto_language_clients: Concurrency of the extra run with the language left to detection.
        out: Folder for the results.
        name: File stem of the results.
    """

    lengths: tuple[float, ...] = (5.0, 10.0, 30.0)
    rtf_notes: int = 4
    concurrency: tuple[int, ...] = (1, 4, 8, 16)
    notes: int = 48
    max_batch: int = 16
    wait_ms: float = 50.0
    auto_language_clients: int = 8
    out: Path = ROOT / "benchmarks" / "results"
    name: str = "asr_throughput"


class DynamicBatcher:
    """Ray Serve's `@serve.batch` on one replica, in a thread.

    Clips queue up; the worker takes the first, waits at most `wait_s` for up to `max_batch - 1` more, hands them all
    to `handler` in one call and resolves each caller's future with its own result. Clips that arrive while a batch
    is being decoded wait for the next one, as in Serve with one batch in flight.
    """

    def __init__(self, handler: Callable[[list], list], max_batch: int, wait_s: float):
        self.handler, self.max_batch, self.wait_s = handler, max_batch, wait_s
        self.sizes: list[int] = []
        self._queue: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="batcher", daemon=True)
        self._worker.start()

    def submit(self, item) -> Future:
        future: Future = Future()
        self._queue.put((item, future))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._worker.join()

    def _run(self) -> None:
        while (first := self._queue.get()) is not None:
            batch = [first]
            deadline = time.perf_counter() + self.wait_s
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get(timeout=max(deadline - time.perf_counter(), 0.0))
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                batch.append(item)
            self.sizes.append(len(batch))
            try:
                results = self.handler([item for item, _ in batch])
            except Exception as exc:  # noqa: BLE001 - every caller of the batch gets the failure, as in Serve
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results):
                future.set_result(result)


def nearest(notes: Sequence[Note], seconds: float, count: int) -> list[Note]:
    """The `count` notes closest to `seconds` long."""
    return sorted(notes, key=lambda n: abs(n.seconds - seconds))[:count]


def real_time_factors(options: Options, notes: Sequence[Note], kefu, baseline: Baseline) -> dict:
    rows = {}
    for length in options.lengths:
        chosen = nearest(notes, length, options.rtf_notes)
        audio_s = sum(n.seconds for n in chosen)
        started = time.perf_counter()
        for note in chosen:
            baseline.transcribe(note.audio, "en")
        base_s = time.perf_counter() - started
        started = time.perf_counter()
        for note in chosen:
            kefu.transcribe([note.audio], language="en")
        single_s = time.perf_counter() - started
        started = time.perf_counter()
        kefu.transcribe([n.audio for n in chosen], language="en")
        batch_s = time.perf_counter() - started
        rows[f"{length:g}"] = {
            "notes": len(chosen),
            "mean_note_s": round(audio_s / len(chosen), 2),
            "baseline": round(base_s / audio_s, 4),
            "kefu_one_note_per_call": round(single_s / audio_s, 4),
            "kefu_all_notes_in_one_call": round(batch_s / audio_s, 4),
        }
        logger.info("RTF %4.1f s notes: baseline %.3f, kefu one per call %.3f, kefu %d in one call %.3f",
                    audio_s / len(chosen), base_s / audio_s, single_s / audio_s, len(chosen), batch_s / audio_s)
    return rows


def closed_loop(send: Callable[[np.ndarray], object], pool: Sequence[Note], clients: int, total: int) -> dict:
    """`clients` threads each send a note, wait for its answer and send the next, until `total` notes are done."""
    taken = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[BaseException] = []

    def client() -> None:
        while True:
            with lock:
                i = next(taken, None)
            if i is None or failures:
                return
            started = time.perf_counter()
            try:
                send(pool[i % len(pool)].audio)
            except Exception as exc:  # noqa: BLE001 - re-raised in the main thread after the run
                failures.append(exc)
                return
            latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, name=f"client-{c}") for c in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise failures[0]
    audio_s = sum(pool[i % len(pool)].seconds for i in range(total))
    return {
        "clients": clients,
        "notes": total,
        "wall_s": round(wall, 2),
        "notes_per_s": round(total / wall, 3),
        "audio_s_per_s": round(audio_s / wall, 2),
        "p50_ms": round(float(np.percentile(latencies, 50)) * 1000),
        "p95_ms": round(float(np.percentile(latencies, 95)) * 1000),
    }


def load_runs(options: Options, pool: Sequence[Note], kefu, baseline: Baseline) -> dict:
    model_lock = threading.Lock()
    runs: dict[str, list[dict]] = {"baseline": [], "kefu": []}

    def baseline_sender(language: str | None) -> Callable[[np.ndarray], object]:
        def send(audio: np.ndarray) -> object:
            with model_lock:  # one model, one clip at a time
                return baseline.transcribe(audio, language)

        return send

    def kefu_run(clients: int, language: str | None) -> dict:
        batcher = DynamicBatcher(lambda audios: kefu.transcribe(audios, language=language), options.max_batch,
                                 options.wait_ms / 1000)
        try:
            row = closed_loop(lambda audio: batcher.submit(audio).result(), pool, clients, options.notes)
        finally:
            batcher.close()
        row["mean_batch"] = round(float(np.mean(batcher.sizes)), 2)
        row["max_batch"] = max(batcher.sizes)
        return row

    for clients in options.concurrency:
        runs["baseline"].append(closed_loop(baseline_sender("en"), pool, clients, options.notes))
        runs["kefu"].append(kefu_run(clients, "en"))
        logger.info("%2d clients: baseline %.2f notes/s p95 %d ms | kefu %.2f notes/s p95 %d ms (mean batch %.1f)",
                    clients, runs["baseline"][-1]["notes_per_s"], runs["baseline"][-1]["p95_ms"],
                    runs["kefu"][-1]["notes_per_s"], runs["kefu"][-1]["p95_ms"], runs["kefu"][-1]["mean_batch"])
    clients = options.auto_language_clients
    auto = {
        "baseline": closed_loop(baseline_sender(None), pool, clients, options.notes),
        "kefu": kefu_run(clients, None),
    }
    logger.info("%2d clients, language detected: baseline %.2f notes/s | kefu %.2f notes/s", clients,
                auto["baseline"]["notes_per_s"], auto["kefu"]["notes_per_s"])
    return {"language_en": runs, "language_detected": auto}


def run(options: Options) -> dict:
    load_at_start = os.getloadavg()[0]
    notes = load_set("en")
    pool = [n for n in notes if 5.0 <= n.seconds <= 10.5]
    kefu, baseline = load_kefu(), Baseline()
    started_with = provenance()  # the code just imported, before anyone edits it during a long run
    kefu.transcribe([pool[0].audio], language="en")  # first calls initialise VAD and CTranslate2: not measured
    baseline.transcribe(pool[0].audio, "en")
    rtf = real_time_factors(options, notes, kefu, baseline)
    load = load_runs(options, pool, kefu, baseline)
    ratios = {}
    for base_row, kefu_row in zip(load["language_en"]["baseline"], load["language_en"]["kefu"]):
        ratios[str(base_row["clients"])] = round(kefu_row["notes_per_s"] / base_row["notes_per_s"], 2)
    auto = load["language_detected"]
    ratio_auto = round(auto["kefu"]["notes_per_s"] / auto["baseline"]["notes_per_s"], 2)
    goal_at = str(8 if 8 in options.concurrency else options.concurrency[-1])
    logger.info("kefu / baseline throughput: %s (goal ≥ %.0f× at %s clients); language detected: %.2f×", ratios,
                GOAL_RATIO, goal_at, ratio_auto)
    return {
        "what": "whisper-base int8 on CPU, beam 5, VAD on, English espeak-ng notes (benchmarks/asr_set.py); "
                "baseline: faster-whisper one clip at a time behind a lock; kefu: WhisperTranscriber behind a "
                f"@serve.batch-like batcher (max {options.max_batch}, wait {options.wait_ms:g} ms)",
        "machine": machine(load_at_start),
        "provenance": checked_provenance(started_with),
        "kefu_config": kefu_config(kefu),
        "rtf": {"unit": "seconds of compute per second of audio", "by_length_s": rtf},
        "load": {
            "notes_per_run": options.notes,
            "pool": {"notes": len(pool), "seconds": [round(n.seconds, 1) for n in pool]},
            **load,
        },
        "throughput_ratio": {"by_clients": ratios, "language_detected": ratio_auto,
                             "goal": f">= {GOAL_RATIO:g}x at {goal_at} clients",
                             "goal_met": ratios.get(goal_at, 0.0) >= GOAL_RATIO},
        "kefu_stats": dict(getattr(kefu, "stats", {})),
    }


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"baseline": "#dd8452", "kefu": "#4c72b0"}
    fig, (rtf_ax, tput_ax, p95_ax) = plt.subplots(1, 3, figsize=(14, 4))
    rows = result["rtf"]["by_length_s"]
    x = np.arange(len(rows))
    series = (("baseline", "baseline", colours["baseline"]),
              ("kefu_one_note_per_call", "kefu, one note per call", "#9ecae9"),
              ("kefu_all_notes_in_one_call", f"kefu, {next(iter(rows.values()))['notes']} notes in one call",
               colours["kefu"]))
    for k, (key, label, colour) in enumerate(series):
        values = [rows[length][key] for length in rows]
        bars = rtf_ax.bar(x + (k - 1) * 0.27, values, 0.27, label=label, color=colour)
        rtf_ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=7)
    rtf_ax.set_xticks(x, [f"{rows[length]['mean_note_s']:.0f} s notes" for length in rows])
    rtf_ax.set_ylabel("real-time factor (compute s / audio s)")
    rtf_ax.set_title("Real-time factor by note length", fontsize=10)
    rtf_ax.legend(fontsize=7)

    load = result["load"]
    for system in ("baseline", "kefu"):
        runs = load["language_en"][system]
        clients = [r["clients"] for r in runs]
        tput_ax.plot(clients, [r["notes_per_s"] for r in runs], "o-", color=colours[system], label=system)
        p95_ax.plot(clients, [r["p95_ms"] / 1000 for r in runs], "o-", color=colours[system], label=system)
        auto = load["language_detected"][system]
        tput_ax.plot([auto["clients"]], [auto["notes_per_s"]], "x", color=colours[system], markersize=9,
                     label=f"{system}, language detected")
        p95_ax.plot([auto["clients"]], [auto["p95_ms"] / 1000], "x", color=colours[system], markersize=9,
                    label=f"{system}, language detected")
    for ax in (tput_ax, p95_ax):
        ax.set_xscale("log", base=2)
        ax.set_xticks(clients, [str(c) for c in clients])
        ax.set_xlabel("concurrent clients (closed loop)")
        ax.legend(fontsize=7)
    ratio = result["throughput_ratio"]
    tput_ax.set_ylabel("notes per second")
    ratios = ", ".join(f"{r:.2f}x at {c}" for c, r in ratio["by_clients"].items())
    tput_ax.set_ylim(bottom=0)
    tput_ax.set_title(f"Throughput, 5-10 s notes; kefu/baseline {ratios}", fontsize=9)
    p95_ax.set_ylabel("p95 latency, s")
    p95_ax.set_title("p95 latency per note", fontsize=10)
    fig.suptitle(f"whisper-base int8, 2-core CPU; kefu = {result['provenance']['kefu_engine']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=Options.notes, help="notes per closed-loop run")
    parser.add_argument("--concurrency", default="1,4,8,16", help="comma-separated client counts")
    parser.add_argument("--rtf-notes", type=int, default=Options.rtf_notes, help="notes per length for the RTF")
    parser.add_argument("--quick", action="store_true", help="16 notes per run at 1 and 8 clients, 2 RTF notes")
    parser.add_argument("--out", type=Path, default=Options.out)
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from the saved JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # it logs every clip at INFO
    concurrency = tuple(int(c) for c in args.concurrency.split(","))
    if not concurrency or min(concurrency) < 1 or args.notes < 1 or args.rtf_notes < 1:
        parser.error("--notes, --rtf-notes and every --concurrency value must be positive")
    options = Options(rtf_notes=args.rtf_notes, concurrency=concurrency, notes=args.notes, out=args.out)
    if args.quick:
        options = Options(rtf_notes=2, concurrency=(1, 8), notes=16, out=args.out, name="asr_throughput_quick")
    save_or_replot(options.out / f"{options.name}.json", lambda: run(options), plot, args.plot_only)


if __name__ == "__main__":
    main()
