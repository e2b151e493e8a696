"""The index a server answers with: follows a versioned root's CURRENT and swaps versions without a restart."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from catalog_index.index import CatalogIndex

logger = logging.getLogger("kefu.catalog_index")


class LiveIndex:
    """A catalog index that follows `<root>/CURRENT`.

    `path` is a versioned index root or a plain saved index folder (which never changes). With a root, a background
    task polls CURRENT every `watch_interval_s` (0 disables it) and, when it changes, loads the new version in a thread
    and swaps `index` in one assignment: callers read `index` once per request, so searches in flight finish on the
    object they started with. A version that fails to load (corrupt files, another embedder) is logged, the old index
    keeps serving, and that version is not retried until CURRENT moves again.
    """

    def __init__(self, path: str | Path, watch_interval_s: float = 2.0):
        self.root = Path(path)
        self.watch_interval_s = watch_interval_s
        self._current = self._read_current()  # what CURRENT said when last looked at (None: a plain folder)
        self.version = self._current
        self.index: CatalogIndex = self._load(self.version)
        self._expected: tuple[str, int] | None = None  # the embedder every new version must match
        self._failed: str | None = None
        self._swap_lock = asyncio.Lock()
        self._watch_task: asyncio.Task | None = None

    def expect(self, embedder_name: str, dim: int) -> None:
        """Refuse later versions built by another embedder than the one queries come from."""
        self._expected = (embedder_name, dim)

    def start_watch(self) -> None:
        """Start polling CURRENT on the running event loop (a no-op without one, for a plain folder, or if started)."""
        if self._watch_task is not None or self.watch_interval_s <= 0 or self._current is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._watch_task = loop.create_task(self._watch(), name="catalog-index-watch")

    async def reconfigure(self, user_config: dict[str, Any]) -> None:
        """{"index_version": "v000004"} serves that version now (until CURRENT next changes); {"reload": true}
        reloads whatever CURRENT names even if unchanged. A failed load is logged and the old index keeps serving.

        Raises:
            ValueError: An unknown key, or a version that is not a plain folder name.
        """
        config = dict(user_config or {})
        unknown = sorted(set(config) - {"index_version", "reload"})
        if unknown:
            raise ValueError(f"unknown CatalogSearch user_config key(s) {unknown}; expected index_version or reload")
        version = config.get("index_version")
        if version is not None:
            if not isinstance(version, str) or not _is_version_name(version):
                raise ValueError(f"index_version must be a version folder name like 'v000004', not {version!r}")
            await self._swap_to(version, forced=True)
        elif config.get("reload"):
            self._current = await asyncio.to_thread(self._read_current)
            await self._swap_to(self._current, forced=True)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.watch_interval_s)
            try:
                current = await asyncio.to_thread(self._read_current)
                if current is not None and current != self._current:
                    self._current = current
                    await self._swap_to(current, forced=False)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the watcher must outlive any one bad poll
                logger.exception("catalog index watch: polling %s failed; will retry", self.root)

    async def _swap_to(self, version: str | None, forced: bool) -> None:
        async with self._swap_lock:
            if version is None or (not forced and version in (self.version, self._failed)):
                return
            name, dim = self._expected or (self.index.embedder_name, self.index.dim)
            try:
                fresh = await asyncio.to_thread(self._load, version, name, dim)
            except Exception as exc:  # noqa: BLE001 - any failure to load keeps the old index serving
                self._failed = version
                logger.error("catalog index %s at %s could not be loaded, still serving %s: %s",
                             version, self.root, self.version, exc)
                return
            old = self.version
            self.index, self.version = fresh, version  # one reference swap: in-flight searches keep the old object
            self._failed = None
            logger.info("catalog index swapped from %s to %s (%d vectors)", old, version, len(fresh))

    def _read_current(self) -> str | None:
        """The version CURRENT names, or None when the path is a plain index folder (no CURRENT)."""
        marker = self.root / "CURRENT"
        if not marker.is_file():
            return None
        name = marker.read_text(encoding="utf-8").strip()
        return name if _is_version_name(name) else None

    def _load(self, version: str | None, expected_embedder: str | None = None,
              expected_dim: int | None = None) -> CatalogIndex:
        from catalog_index.versions import open_index

        path = self.root if version is None else self.root / "versions" / version
        return open_index(path, expected_embedder=expected_embedder, expected_dim=expected_dim)


def _is_version_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")
