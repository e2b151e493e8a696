"""The on-disk layout of a catalog index: file names, manifest, checksums and the atomic directory swap."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from catalog_index.errors import IndexCorrupt, IndexNotFound
from models.registry import sha256_file

logger = logging.getLogger("kefu.catalog_index")

FORMAT_VERSION = 1
INDEX_FILE = "index.faiss"
IDS_FILE = "ids.json"
PRODUCTS_FILE = "products.json"
MANIFEST_FILE = "manifest.json"
REPORT_FILE = "build_report.json"


@dataclass(frozen=True)
class Manifest:
    """What an index directory holds, written last so that a directory with a manifest is complete.

    Attributes:
        format_version: Layout version of the directory (FORMAT_VERSION when written by this code).
        embedder: Name of the embedder whose vectors the index holds; queries must come from the same one.
        dim: Length of every vector.
        vectors: Number of vectors (one per embedded image).
        skus: Number of distinct products with at least one vector.
        created_at: UTC time of the save, ISO 8601.
        index_sha256: sha256 of the FAISS file.
        files: Every other data file's name → its sha256 (ids and products sidecars).
        factory: The FAISS factory string of the index ("Flat", "IVF1024,Flat", "HNSW32", ...); indexes written
            before it was recorded are exact ("Flat").
        nprobe: Inverted lists searched per query (IVF indexes only), applied on load.
        ef_search: Candidate list length of an HNSW search (HNSW indexes only), applied on load.
        refine_k_factor: How many times top-k candidates a refining index ("...,RFlat") re-ranks exactly.
    """

    format_version: int
    embedder: str
    dim: int
    vectors: int
    skus: int
    created_at: str
    index_sha256: str
    files: dict[str, str]
    factory: str = "Flat"
    nprobe: int | None = None
    ef_search: int | None = None
    refine_k_factor: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_file(path: Path) -> None:
    """Flush a file written by a library that does not (FAISS) to disk before it is published."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def read_json(directory: Path, name: str) -> Any:
    try:
        return json.loads((directory / name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorrupt(f"catalog index {directory} lacks {name}; rebuild it with python -m catalog_index build") from None
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"catalog index {directory}: {name} is unreadable ({exc}); rebuild it") from None


def read_manifest(directory: Path) -> Manifest:
    """The manifest of `directory`, checked for shape and version (not the checksums: see `verify`).

    Raises:
        IndexNotFound: No directory or no manifest there.
        IndexCorrupt: The manifest is unreadable, malformed or from an unknown format version.
    """
    if not (directory / MANIFEST_FILE).is_file():
        raise IndexNotFound(
            f"no catalog index at {directory}: build one with "
            f"python -m catalog_index build --catalog <catalog.csv> --out {directory}"
        )
    data = read_json(directory, MANIFEST_FILE)
    try:
        manifest = Manifest(
            format_version=int(data["format_version"]),
            embedder=str(data["embedder"]),
            dim=int(data["dim"]),
            vectors=int(data["vectors"]),
            skus=int(data["skus"]),
            created_at=str(data["created_at"]),
            index_sha256=str(data["index_sha256"]),
            files={str(k): str(v) for k, v in dict(data.get("files", {})).items()},
            factory=str(data.get("factory") or "Flat"),
            nprobe=_optional_int(data.get("nprobe")),
            ef_search=_optional_int(data.get("ef_search")),
            refine_k_factor=_optional_int(data.get("refine_k_factor")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexCorrupt(f"catalog index {directory}: malformed {MANIFEST_FILE} ({exc!r}); rebuild it") from None
    if manifest.format_version != FORMAT_VERSION:
        raise IndexCorrupt(
            f"catalog index {directory} has format version {manifest.format_version}, this kefu reads "
            f"{FORMAT_VERSION}; rebuild it with python -m catalog_index build"
        )
    return manifest


def verify(directory: Path, manifest: Manifest) -> None:
    """Raise IndexCorrupt unless every data file is present with the checksum the manifest recorded."""
    expected = {INDEX_FILE: manifest.index_sha256, **manifest.files}
    for name, sha in expected.items():
        path = directory / name
        if not path.is_file():
            raise IndexCorrupt(f"catalog index {directory} lacks {name}; rebuild it with python -m catalog_index build")
        actual = sha256_file(path)
        if actual != sha:
            raise IndexCorrupt(
                f"catalog index {directory}: {name} has sha256 {actual[:12]}…, the manifest says {sha[:12]}…; "
                "the file was altered or truncated: rebuild the index"
            )


def write_atomically(target: Path, fill: Callable[[Path], None]) -> Path:
    """Let `fill` write a fresh directory, then put it at `target` in one rename.

    The directory is filled next to `target` (same filesystem, so `os.replace` is a rename) and only then
    moved. An existing `target` is renamed aside first and deleted after, so readers see either the old
    complete index or the new complete one; between the two renames `target` briefly does not exist, which a
    later versioned layout (a symlink swapped onto the new version) removes.
    """
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        fill(staging)
        aside: Path | None = None
        if target.exists():
            aside = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(target, aside)
        try:
            os.replace(staging, target)
        except OSError:
            if aside is not None:
                os.replace(aside, target)
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
    fsync_dir(target.parent)
    return target


def fsync_dir(directory: Path) -> None:
    """Make renames inside `directory` durable (best effort where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
