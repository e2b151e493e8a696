"""Catalog search at scale: build time, single-query latency and recall@10 of each FAISS structure, 10k to 1M vectors.

Synthetic clustered, L2-normalised 512-d vectors (random cluster centres + noise: uniformly random vectors are the
adversarial case no real catalog looks like), one vector per SKU, queries = a stored vector + noise. Every search
goes through `CatalogIndex.search` (per-SKU aggregation included), one query at a time. Recall@10 is against exact
search. Goal: p99 ≤ 5 ms at 1M with recall@10 ≥ 0.95 for the "auto" choice.

Run from the repository root:
    .venv/bin/python benchmarks/search_scale.py                      # 10k, 100k, 1M (several minutes)
    .venv/bin/python benchmarks/search_scale.py --sizes 10000,100000
    .venv/bin/python benchmarks/search_scale.py --quick              # 10k, 100 queries: a smoke test
Writes benchmarks/results/search_scale.json and search_scale.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog_index.index import CatalogIndex, auto_factory  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
DIM = 512
TOP_K = 10
HNSW_LIMIT_S = 180.0  # HNSW builds that would take longer than this (extrapolated) are skipped


def clustered(n: int, seed: int = 0, spread: float = 0.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(16, n // 500), DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    data = centres[rng.integers(0, len(centres), n)]
    data += rng.standard_normal((n, DIM), dtype=np.float32) * (spread / math.sqrt(DIM))
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return data


def near_queries(data: np.ndarray, count: int, seed: int = 1, noise: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    queries = data[rng.choice(len(data), count, replace=False)].copy()
    queries += rng.standard_normal(queries.shape, dtype=np.float32) * (noise / math.sqrt(DIM))
    return queries / np.linalg.norm(queries, axis=1, keepdims=True)


def exact_top(data: np.ndarray, queries: np.ndarray) -> list[set[str]]:
    import faiss

    flat = faiss.IndexFlatIP(DIM)
    flat.add(data)
    _, ids = flat.search(queries, TOP_K)
    return [{f"S{i}" for i in row} for row in ids]


def measure(index: CatalogIndex, queries: np.ndarray, truth: list[set[str]], nprobe: int | None) -> dict:
    index.search(queries[:5], TOP_K, nprobe=nprobe)  # warm-up
    times, hits = [], 0
    for query, want in zip(queries, truth):
        t0 = time.perf_counter()
        (row,) = index.search(query[None, :], TOP_K, nprobe=nprobe)
        times.append((time.perf_counter() - t0) * 1000)
        hits += len({m.sku for m in row} & want)
    times.sort()
    return {"p50_ms": round(float(np.percentile(times, 50)), 3), "p99_ms": round(float(np.percentile(times, 99)), 3),
            "recall_at_10": round(hits / (TOP_K * len(queries)), 4)}


def run_size(n: int, queries_n: int, hnsw_estimate_s: float | None) -> tuple[list[dict], float | None]:
    data = clustered(n)
    queries = near_queries(data, queries_n)
    truth = exact_top(data, queries)
    skus = [f"S{i}" for i in range(n)]
    nlist = int(auto_factory(max(n, 50_000))[3:].split(",")[0])
    configs = [("Flat", [None]), (f"IVF{nlist},Flat", [8, 16, 32]), ("HNSW32", [None]),
               (f"IVF{nlist},PQ64", [16]), (f"IVF{nlist},PQ64,RFlat", [16])]
    rows: list[dict] = []
    hnsw_seconds = None
    for factory, probes in configs:
        if factory.startswith("HNSW") and hnsw_estimate_s is not None and hnsw_estimate_s > HNSW_LIMIT_S:
            rows.append({"size": n, "factory": factory, "skipped": f"build extrapolated to {hnsw_estimate_s:.0f}s "
                                                                   f"> {HNSW_LIMIT_S:.0f}s limit"})
            continue
        t0 = time.perf_counter()
        index = CatalogIndex.from_vectors("bench", DIM, data, skus, [], factory=factory)
        build_s = time.perf_counter() - t0
        if factory.startswith("HNSW"):
            hnsw_seconds = build_s
        for nprobe in probes:
            row = {"size": n, "factory": factory, "nprobe": nprobe, "auto": factory == auto_factory(n) and
                   (nprobe in (None, 16)), "build_s": round(build_s, 2), **measure(index, queries, truth, nprobe)}
            rows.append(row)
            print(json.dumps(row), flush=True)
        del index
    return rows, hnsw_seconds


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r["size"] for r in results["rows"]})
    fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 4), squeeze=False)
    for ax, size in zip(axes[0], sizes):
        for row in (r for r in results["rows"] if r["size"] == size and "p99_ms" in r):
            label = row["factory"] + (f" nprobe={row['nprobe']}" if row["nprobe"] else "")
            ax.scatter(row["recall_at_10"], row["p99_ms"], marker="*" if row["auto"] else "o", s=80)
            ax.annotate(label, (row["recall_at_10"], row["p99_ms"]), fontsize=7)
        ax.axhline(5.0, ls="--", c="grey", lw=0.8)
        ax.axvline(0.95, ls="--", c="grey", lw=0.8)
        ax.set(title=f"{size:,} vectors", xlabel="recall@10 vs exact", ylabel="single-query p99 (ms)", yscale="log")
    fig.suptitle("catalog search: p99 latency vs recall (* = auto choice); goal ≤ 5 ms at ≥ 0.95")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="10k vectors, 100 queries")
    parser.add_argument("--plot-only", action="store_true", help="redraw the plot from the committed JSON")
    opts = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if opts.plot_only:
        plot(json.loads((RESULTS / "search_scale.json").read_text()), RESULTS / "search_scale.png")
        return
    sizes = [10_000] if opts.quick else [int(s) for s in opts.sizes.split(",")]
    queries = 100 if opts.quick else opts.queries
    import faiss

    rows: list[dict] = []
    hnsw_estimate = None
    previous = None
    for n in sorted(sizes):
        size_rows, hnsw_s = run_size(n, queries, hnsw_estimate)
        rows += size_rows
        if hnsw_s is not None:
            previous = (n, hnsw_s)
        if previous is not None:
            # HNSW insertion is about n·log n: extrapolate the next size from the last measured one.
            nxt = next((s for s in sorted(sizes) if s > n), None)
            if nxt:
                hnsw_estimate = previous[1] * nxt * math.log(nxt) / (previous[0] * math.log(previous[0]))
    results = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "omp_threads": faiss.omp_get_max_threads(), "faiss": faiss.__version__},
        "setup": {"dim": DIM, "queries": queries, "top_k": TOP_K, "data": "clustered, n//500 centres (min 16), "
                  "noise 0.5/sqrt(d); queries = stored vector + noise 0.2/sqrt(d)", "one vector per SKU": True},
        "goal": "p99 <= 5 ms at 1M with recall@10 >= 0.95 for the auto choice",
        "rows": rows,
    }
    (RESULTS / "search_scale.json").write_text(json.dumps(results, indent=1) + "\n")
    plot(results, RESULTS / "search_scale.png")


if __name__ == "__main__":
    main()
