"""LiveIndex follows CURRENT: a published version is swapped in, a broken one is skipped, reconfigure forces one."""

from __future__ import annotations

import asyncio

import pytest

from catalog_index.live import LiveIndex
from catalog_index.versions import IndexRoot
from tests.unit.catalog.test_versions import small_index


async def _until(predicate, timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def test_watch_swaps_to_a_published_version_and_skips_a_broken_one(tmp_path):
    root = IndexRoot(tmp_path / "root")
    first = root.publish(small_index(["A", "B"]))

    async def scenario():
        live = LiveIndex(tmp_path / "root", watch_interval_s=0.05)
        live.start_watch()
        held = live.index  # what an in-flight request holds
        assert live.version == first and live.index.skus == ["A", "B"]
        second = root.publish(small_index(["C"], seed=1))
        await _until(lambda: live.version == second)
        assert live.index.skus == ["C"] and held.skus == ["A", "B"]
        # CURRENT names a folder that cannot load: the old index keeps serving.
        (tmp_path / "root" / "versions" / "v000099").mkdir()
        (tmp_path / "root" / "CURRENT").write_text("v000099\n")
        await asyncio.sleep(0.3)
        assert live.version == second and live.index.skus == ["C"]
        await live.reconfigure({"index_version": first})
        assert live.version == first and live.index.skus == ["A", "B"]
        with pytest.raises(ValueError):
            await live.reconfigure({"index_versoin": first})
        with pytest.raises(ValueError):
            await live.reconfigure({"index_version": "../elsewhere"})

    asyncio.run(scenario())


def test_a_version_from_another_embedder_is_refused(tmp_path):
    root = IndexRoot(tmp_path / "root")
    root.publish(small_index(["A"]))

    async def scenario():
        live = LiveIndex(tmp_path / "root", watch_interval_s=0)
        live.expect("another/embedder", live.index.dim)
        root.publish(small_index(["B"], seed=2))
        await live.reconfigure({"reload": True})
        assert live.index.skus == ["A"]

    asyncio.run(scenario())


def test_a_plain_folder_never_changes(tmp_path):
    small_index(["A"]).save(tmp_path / "plain")
    live = LiveIndex(tmp_path / "plain", watch_interval_s=0.05)
    assert live.version is None and live.index.skus == ["A"]
