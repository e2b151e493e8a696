"""Versioned index roots: complete index folders under versions/, the live one named by an atomically replaced CURRENT.

Layout:
    <root>/CURRENT              one line, the current version's folder name ("v000003")
    <root>/versions/v000003/    a complete saved CatalogIndex

A reader reads CURRENT and loads that folder; a publisher writes the next folder completely (fsynced), then
replaces CURRENT in one rename. A reader therefore never sees a partial index, and there is no moment without one.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from catalog_index import index_files as files
from catalog_index.errors import CatalogError, IndexCorrupt, IndexNotFound
from catalog_index.index import CatalogIndex
from catalog_index.text_search import BM25Options

logger = logging.getLogger("kefu.catalog_index")

CURRENT_FILE = "CURRENT"
VERSIONS_DIR = "versions"
_LOCK_FILE = ".publish.lock"
_VERSION = re.compile(r"^v(\d{6,})$")


class IndexRoot:
    """A folder holding numbered index versions and the CURRENT pointer to the live one.

    Attributes:
        root: The folder (need not exist before the first `publish`).
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def versions_dir(self) -> Path:
        return self.root / VERSIONS_DIR

    def versions(self) -> list[str]:
        """Complete version folders present, oldest first (half-written staging folders are not listed)."""
        if not self.versions_dir.is_dir():
            return []
        names = [p.name for p in self.versions_dir.iterdir() if p.is_dir() and _VERSION.match(p.name)]
        return sorted(names, key=_number)

    def current_version(self) -> str:
        """The folder name CURRENT names.

        Raises:
            IndexNotFound: No CURRENT (nothing published yet).
            IndexCorrupt: CURRENT is malformed or names a folder that is not there.
        """
        path = self.root / CURRENT_FILE
        try:
            name = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise IndexNotFound(
                f"no catalog index at {self.root}: build one with "
                f"python -m catalog_index build --catalog <catalog.csv> --out {self.root}"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexCorrupt(f"catalog index root {self.root}: {CURRENT_FILE} is unreadable ({exc})") from None
        if not _VERSION.match(name):
            raise IndexCorrupt(f"catalog index root {self.root}: {CURRENT_FILE} holds {name[:40]!r}, not a version "
                               "name like v000001; rebuild the index")
        if not (self.versions_dir / name).is_dir():
            raise IndexCorrupt(f"catalog index root {self.root}: {CURRENT_FILE} names {name}, which is missing "
                               f"from {self.versions_dir}; rebuild the index")
        return name

    def current_dir(self) -> Path:
        """The folder of the current version (see `current_version` for the errors)."""
        return self.versions_dir / self.current_version()

    def load(self, expected_embedder: str | None = None, expected_dim: int | None = None,
             text_options: BM25Options | None = None) -> CatalogIndex:
        """The current version, checked as `CatalogIndex.load` checks a folder.

        Raises:
            IndexNotFound, IndexCorrupt, IndexMismatch: As `current_version` and `CatalogIndex.load`.
        """
        for attempt in range(2):
            directory = self.current_dir()
            try:
                return CatalogIndex.load(directory, expected_embedder, expected_dim, text_options)
            except IndexNotFound:
                # A publisher may have flipped CURRENT and pruned this version between the two reads: look again.
                if attempt or self.current_dir() == directory:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def publish(self, index: CatalogIndex, extras: dict[str, Any] | None = None, keep: int = 3) -> str:
        """Save `index` as the next version, make it current, prune old versions; returns its folder name.

        The version folder is written under a temporary name, fsynced and renamed into versions/ before CURRENT
        is replaced (temp file + os.replace + fsync of the root), so an interruption at any point leaves the
        previous version current and loadable. Pruning keeps the newest `keep` versions and never removes the
        new current one or the one it replaced (a reader may still be loading it).

        Raises:
            CatalogError: `keep` is not a positive integer, or `index` cannot be saved (see `CatalogIndex.save`).
        """
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise CatalogError(f"keep must be a positive integer, not {keep!r}")
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        with _publish_lock(self.root):
            try:
                previous: str | None = self.current_version()
            except IndexNotFound:
                previous = None
            staging = self.root / f".staging-{uuid.uuid4().hex[:12]}"
            try:
                index.save(staging, extras=extras)
                name = self._move_into_versions(staging)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            try:
                self._write_current(name)
            except BaseException:
                # CURRENT still names the previous version; the unpublished folder would only confuse `versions`.
                shutil.rmtree(self.versions_dir / name, ignore_errors=True)
                raise
            self._prune(keep, protect={name, previous})
        logger.info("published catalog index %s/%s (previous %s)", self.root, name, previous or "none")
        return name

    def _move_into_versions(self, staging: Path) -> str:
        existing = [_number(n) for n in self.versions()]
        number = max(existing, default=0) + 1
        while True:
            name = f"v{number:06d}"
            try:
                # rename refuses a non-empty target, so a folder of the same name is never overwritten.
                os.rename(staging, self.versions_dir / name)
            except OSError:
                if (self.versions_dir / name).exists():
                    number += 1
                    continue
                raise
            files.fsync_dir(self.versions_dir)
            return name

    def _write_current(self, name: str) -> None:
        fd, temp = tempfile.mkstemp(prefix=f".{CURRENT_FILE}.", dir=self.root)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(name + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, self.root / CURRENT_FILE)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        files.fsync_dir(self.root)

    def _prune(self, keep: int, protect: set[str | None]) -> None:
        names = self.versions()
        for name in names[:-keep] if len(names) > keep else []:
            if name in protect:
                continue
            shutil.rmtree(self.versions_dir / name, ignore_errors=True)
            logger.info("pruned catalog index version %s/%s", self.root, name)


def is_root(path: str | Path) -> bool:
    """Whether `path` is a versioned root (has CURRENT) rather than a plain saved index folder."""
    return (Path(path) / CURRENT_FILE).is_file()


def open_index(path: str | Path, expected_embedder: str | None = None, expected_dim: int | None = None,
               text_options: BM25Options | None = None) -> CatalogIndex:
    """The index at `path`: the current version of a root with CURRENT, or a plain folder `CatalogIndex.save` wrote.

    Raises:
        IndexNotFound: Neither layout is there.
        IndexCorrupt, IndexMismatch: As `CatalogIndex.load`.
    """
    if is_root(path):
        return IndexRoot(path).load(expected_embedder, expected_dim, text_options)
    return CatalogIndex.load(path, expected_embedder, expected_dim, text_options)


def product_titles(path: str | Path, limit: int) -> list[str]:
    """Up to `limit` distinct product titles of the index at `path` (either layout), without loading FAISS.

    The speech model takes them as the shop's vocabulary. A missing or unreadable index gives [] (the caller
    serves voice notes without hotwords rather than not at all).
    """
    try:
        folder = IndexRoot(path).current_dir() if is_root(path) else Path(path)
        products = files.read_json(folder, files.PRODUCTS_FILE)
    except (IndexNotFound, IndexCorrupt, OSError) as exc:
        logger.warning("no catalog vocabulary from %s: %s", path, exc)
        return []
    titles = [p.get("title", "").strip() for p in products if isinstance(p, dict)]
    return list(dict.fromkeys(t for t in titles if t))[: max(limit, 0)]


def _number(name: str) -> int:
    match = _VERSION.match(name)
    return int(match.group(1)) if match else -1


@contextmanager
def _publish_lock(root: Path) -> Iterator[None]:
    """Serialise publishers of one root (POSIX advisory lock; elsewhere publishers must not overlap)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(root / _LOCK_FILE, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
