"""Checkpoint shards of a build: the plan's fingerprint and each shard's vectors, saved atomically, so a killed build resumes."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from catalog_index.errors import CatalogError
from catalog_index.index_files import sha256_file, write_json

logger = logging.getLogger("kefu.catalog_index")

PLAN_FILE = "plan.json"
SHARDS_DIR = "shards"


@dataclass(frozen=True)
class Shard:
    """The embedded result of plan entries [start, start + len(ok)).

    Attributes:
        number: k, the shard's position; it covers entries [k·shard_size, (k+1)·shard_size).
        entries: Plan index of every entry of the shard, ascending (int64).
        ok: Per entry, whether its photo was embedded.
        reasons: Per entry, why it was skipped ("" when ok).
        vectors: One float32 row per ok entry, in entry order (shape (ok.sum(), dim)).
    """

    number: int
    entries: np.ndarray
    ok: np.ndarray
    reasons: tuple[str, ...]
    vectors: np.ndarray

    def __post_init__(self) -> None:
        if not (len(self.entries) == len(self.ok) == len(self.reasons)) or len(self.vectors) != int(self.ok.sum()):
            raise CatalogError(
                f"shard {self.number}: {len(self.entries)} entries, {len(self.ok)} flags, {len(self.reasons)} "
                f"reasons and {len(self.vectors)} vectors for {int(self.ok.sum())} embedded photos do not agree"
            )


def plan_fingerprint(catalog_path: Path, embedder_name: str, dim: int, batch_size: int, shard_size: int) -> dict:
    """What shards depend on: any change here makes old shards wrong (other photos, model or batching)."""
    return {
        "catalog_sha256": sha256_file(catalog_path),
        "embedder": embedder_name,
        "dim": int(dim),
        "batch_size": int(batch_size),
        "shard_size": int(shard_size),
    }


class ShardStore:
    """The work directory of one build: `plan.json` (fingerprint) and `shards/shard_{k:06d}.npz`."""

    def __init__(self, work_dir: str | Path):
        self.work_dir = Path(work_dir)
        self.shards_dir = self.work_dir / SHARDS_DIR

    def open(self, fingerprint: dict, entries: int) -> None:
        """Start or resume the plan `fingerprint` of `entries` photos; shards of any other plan are discarded."""
        plan = {**fingerprint, "entries": int(entries)}
        digest = hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()
        plan["digest"] = digest
        previous = self._read_plan()
        if previous is not None and previous.get("digest") != digest:
            logger.warning("the catalog, embedder or batching changed since the interrupted build in %s: "
                           "discarding its %d shard(s)", self.work_dir, len(self.done()))
            shutil.rmtree(self.shards_dir, ignore_errors=True)
        elif previous is None and self.shards_dir.exists():
            logger.warning("shards in %s have no plan.json: discarding them", self.work_dir)
            shutil.rmtree(self.shards_dir, ignore_errors=True)
        self.shards_dir.mkdir(parents=True, exist_ok=True)
        if previous is None or previous.get("digest") != digest:
            tmp = self.work_dir / f".{PLAN_FILE}.tmp-{os.getpid()}"
            write_json(tmp, plan)
            os.replace(tmp, self.work_dir / PLAN_FILE)

    def path(self, number: int) -> Path:
        return self.shards_dir / f"shard_{number:06d}.npz"

    def done(self) -> list[int]:
        """Numbers of the shards on disk, ascending."""
        if not self.shards_dir.is_dir():
            return []
        numbers = []
        for path in self.shards_dir.glob("shard_*.npz"):
            try:
                numbers.append(int(path.stem.split("_", 1)[1]))
            except ValueError:
                continue
        return sorted(numbers)

    def save(self, shard: Shard) -> Path:
        """Write `shard` to a temporary file, fsync it, then rename it into place (a shard file is always whole)."""
        target = self.path(shard.number)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        with open(tmp, "wb") as fh:
            np.savez(fh, entries=shard.entries.astype(np.int64), ok=shard.ok.astype(bool),
                     reasons=np.asarray(shard.reasons, dtype=np.str_).reshape(len(shard.reasons)),
                     vectors=np.ascontiguousarray(shard.vectors, dtype=np.float32))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        return target

    def load(self, number: int, expected_entries: np.ndarray, dim: int) -> Shard | None:
        """The saved shard `number`, or None (and the file removed) if it is unreadable or not the expected one."""
        path = self.path(number)
        try:
            with np.load(path, allow_pickle=False) as data:
                shard = Shard(number, data["entries"], data["ok"].astype(bool),
                              tuple(str(r) for r in data["reasons"]), data["vectors"].astype(np.float32))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, CatalogError) as exc:
            logger.warning("shard %s is unreadable (%s): recomputing it", path, exc)
            path.unlink(missing_ok=True)
            return None
        if not np.array_equal(shard.entries, expected_entries) or (shard.vectors.size and shard.vectors.shape[1] != dim):
            logger.warning("shard %s does not hold the planned entries: recomputing it", path)
            path.unlink(missing_ok=True)
            return None
        return shard

    def remove(self) -> None:
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def _read_plan(self) -> dict | None:
        try:
            return json.loads((self.work_dir / PLAN_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.warning("unreadable %s in %s (%s): starting over", PLAN_FILE, self.work_dir, exc)
            return {}
