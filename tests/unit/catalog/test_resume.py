"""A killed build resumes from its checkpoint shards to the same index; update and delete touch only the SKUs named."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from catalog_index.build import build_index
from catalog_index.errors import CatalogError
from catalog_index.shards import ShardStore
from catalog_index.versions import IndexRoot, open_index
from tests.conftest import DEMO_CATALOG, ROOT
from tests.unit.catalog.test_build import HistogramEmbedder

COPIES = 7  # 32 demo photos under 7 SKU prefixes: 224 plan entries, 7 shards of 32


def _write_catalog(folder: Path, copies: int = COPIES) -> Path:
    """The demo catalog repeated under `copies` SKU prefixes, its photos copied into `folder`."""
    header, *rows = DEMO_CATALOG.read_text(encoding="utf-8").splitlines()
    (folder / "images").mkdir(parents=True, exist_ok=True)
    for photo in (DEMO_CATALOG.parent / "images").glob("*.jpg"):
        shutil.copy(photo, folder / "images" / photo.name)
    lines = [header] + [f"C{copy}-{row}" for copy in range(copies) for row in rows]
    path = folder / "catalog.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _vectors(root: Path) -> dict[int, tuple[str, np.ndarray]]:
    """id → (SKU, vector) of the current version, read back from the FAISS file."""
    import faiss

    folder = IndexRoot(root).current_dir()
    ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))["ids"]
    index = faiss.read_index(str(folder / "index.faiss"))
    return {int(i): (sku, index.reconstruct(int(i))) for i, sku in ids}


def _cli(catalog: Path, out: Path, model: Path) -> list[str]:
    return [sys.executable, "-m", "catalog_index", "build", "--catalog", str(catalog), "--out", str(out),
            "--shard-size", "32", "--batch-size", "8", "--backend", "efficientnet", "--model", str(model),
            "--device", "cpu", "--threads", "1", "--no-progress"]


@pytest.fixture(scope="module")
def tiny_efficientnet(tiny_dir) -> Path:
    from tests.tiny.vision import make_tiny_efficientnet

    return make_tiny_efficientnet(tiny_dir / "efficientnet")


def test_a_killed_build_resumes_to_the_same_index(tmp_path, tiny_efficientnet):
    catalog = _write_catalog(tmp_path / "catalog")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    process = subprocess.Popen(_cli(catalog, killed, tiny_efficientnet), cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    shards = killed / ".build" / "shards"
    deadline = time.monotonic() + 120
    while len(list(shards.glob("shard_*.npz"))) < 2:
        assert process.poll() is None, f"the build ended before it could be killed: {process.stderr.read()!r}"
        assert time.monotonic() < deadline, "no two shards within 120 s"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    done_before = len(list(shards.glob("shard_*.npz")))
    assert 2 <= done_before < COPIES and not (killed / "CURRENT").exists()

    resumed = subprocess.run(_cli(catalog, killed, tiny_efficientnet), cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed" in resumed.stdout
    report = json.loads((IndexRoot(killed).current_dir() / "build_report.json").read_text(encoding="utf-8"))
    assert report["resumed_images"] >= 64 and report["images"] == 32 * COPIES
    assert not (killed / ".build").exists()

    fresh = subprocess.run(_cli(catalog, whole, tiny_efficientnet), cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=300)
    assert fresh.returncode == 0, fresh.stderr
    a, b = IndexRoot(killed).current_dir(), IndexRoot(whole).current_dir()
    for name in ("index.faiss", "ids.json", "products.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    va, vb = _vectors(killed), _vectors(whole)
    assert va.keys() == vb.keys() and len(va) == 32 * COPIES
    assert all(va[i][0] == vb[i][0] and np.array_equal(va[i][1], vb[i][1]) for i in va)


class FailingEmbedder(HistogramEmbedder):
    """Fails on its `fail_at`-th call, as a crash in the middle of a build would."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at = fail_at

    def embed_images(self, images):
        if len(self.calls) + 1 == self.fail_at:
            raise RuntimeError("simulated crash")
        return super().embed_images(images)


def test_shards_of_an_interrupted_build_are_loaded_not_recomputed(tmp_path):
    catalog = _write_catalog(tmp_path / "catalog", copies=2)  # 64 entries: 4 shards of 16, 2 batches each
    with pytest.raises(RuntimeError):
        build_index(catalog, tmp_path / "index", FailingEmbedder(fail_at=6), batch_size=8, shard_size=16,
                    progress=False)
    assert ShardStore(tmp_path / "index" / ".build").done() == [0, 1]
    embedder = HistogramEmbedder()
    report = build_index(catalog, tmp_path / "index", embedder, batch_size=8, shard_size=16, progress=False)
    assert report.resumed_images == 32 and embedder.calls == [8, 8, 8, 8]
    reference = build_index(catalog, tmp_path / "reference", HistogramEmbedder(), batch_size=8, shard_size=16,
                            progress=False)
    assert report.images == reference.images == 64
    va, vb = _vectors(tmp_path / "index"), _vectors(tmp_path / "reference")
    assert all(va[i][0] == vb[i][0] and np.array_equal(va[i][1], vb[i][1]) for i in vb) and va.keys() == vb.keys()


def test_a_changed_catalog_discards_old_shards(tmp_path, caplog):
    catalog = _write_catalog(tmp_path / "catalog", copies=2)
    with pytest.raises(RuntimeError):
        build_index(catalog, tmp_path / "index", FailingEmbedder(fail_at=6), batch_size=8, shard_size=16,
                    progress=False)
    lines = catalog.read_text(encoding="utf-8").splitlines()
    catalog.write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="utf-8")  # one product fewer
    embedder = HistogramEmbedder()
    report = build_index(catalog, tmp_path / "index", embedder, batch_size=8, shard_size=16, progress=False)
    assert report.resumed_images == 0 and report.images == 63 and sum(embedder.calls) == 63
    assert "discarding" in caplog.text
    # Other batching makes other shards too.
    with pytest.raises(RuntimeError):
        build_index(catalog, tmp_path / "again", FailingEmbedder(fail_at=3), batch_size=8, shard_size=16,
                    progress=False)
    report = build_index(catalog, tmp_path / "again", HistogramEmbedder(), batch_size=4, shard_size=16,
                         progress=False)
    assert report.resumed_images == 0


def test_update_replaces_only_the_named_skus(tmp_path):
    catalog = _write_catalog(tmp_path / "catalog", copies=2)
    root = tmp_path / "index"
    build_index(catalog, root, HistogramEmbedder(), batch_size=8, shard_size=16, progress=False)
    before = _vectors(root)
    header, *rows = catalog.read_text(encoding="utf-8").splitlines()
    # C0-KF-SW-001 now shows two other photos; its title changes too.
    changed = rows[0].split(",")
    changed[1] = "new title"
    changed[-1] = "images/KF-JK-001.jpg|images/KF-DR-001.jpg"
    changes = tmp_path / "catalog" / "changes.csv"
    changes.write_text("\n".join([header, ",".join(changed)]) + "\n", encoding="utf-8")
    embedder = HistogramEmbedder()
    from catalog_index.build import update_index

    report = update_index(changes, root, embedder)
    assert report.updated == ("C0-KF-SW-001",) and report.vectors == 2 and report.version == "v000002"
    after = _vectors(root)
    untouched = {i: v for i, v in before.items() if v[0] != "C0-KF-SW-001"}
    assert all(i in after and after[i][0] == sku and np.array_equal(after[i][1], vec)
               for i, (sku, vec) in untouched.items())
    new = [vec for sku, vec in after.values() if sku == "C0-KF-SW-001"]
    assert len(new) == 2 and len(after) == len(before) + 1
    index = open_index(root)
    assert index.product("C0-KF-SW-001").title == "new title"
    assert index.product("C1-KF-SW-001").title != "new title"
    jacket = index.search(embedder.embed_images([_photo("KF-JK-001")]), top_k=3)[0]
    assert "C0-KF-SW-001" in {m.sku for m in jacket}


def _photo(stem: str):
    from PIL import Image

    with Image.open(DEMO_CATALOG.parent / "images" / f"{stem}.jpg") as image:
        return image.convert("RGB")


def test_delete_removes_only_the_named_skus(tmp_path, capsys):
    from catalog_index.__main__ import main

    catalog = _write_catalog(tmp_path / "catalog", copies=2)
    root = tmp_path / "index"
    build_index(catalog, root, HistogramEmbedder(), batch_size=8, shard_size=16, progress=False)
    before = _vectors(root)
    assert main(["delete", "--index", str(root), "--sku", "C0-KF-SW-001", "--sku", "C1-KF-JK-001"]) == 0
    assert "deleted 2 products (2 vectors)" in capsys.readouterr().out
    after = _vectors(root)
    assert {i: v[0] for i, v in after.items()} == {
        i: v[0] for i, v in before.items() if v[0] not in ("C0-KF-SW-001", "C1-KF-JK-001")}
    assert all(np.array_equal(after[i][1], before[i][1]) for i in after)
    index = open_index(root)
    with pytest.raises(CatalogError):
        index.product("C0-KF-SW-001")
    assert IndexRoot(root).current_version() == "v000002"
    assert main(["delete", "--index", str(root), "--sku", "C0-KF-SW-001"]) == 1
    assert "C0-KF-SW-001" in capsys.readouterr().err and IndexRoot(root).current_version() == "v000002"


def test_a_bad_factory_fails_before_embedding_and_a_failed_write_keeps_the_shards(tmp_path):
    catalog = _write_catalog(tmp_path / "catalog", copies=1)
    embedder = HistogramEmbedder()
    with pytest.raises(CatalogError, match="factory"):
        build_index(catalog, tmp_path / "index", embedder, factory="NoSuchIndex", progress=False)
    assert embedder.calls == []
    # 32 vectors cannot train 4096 IVF lists: the write fails after every shard was saved.
    with pytest.raises(CatalogError):
        build_index(catalog, tmp_path / "index", embedder, shard_size=16, factory="IVF4096,Flat", progress=False)
    assert ShardStore(tmp_path / "index" / ".build").done() == [0, 1]
    again = HistogramEmbedder()
    report = build_index(catalog, tmp_path / "index", again, shard_size=16, factory="Flat", progress=False)
    assert report.resumed_images == 32 and again.calls == [] and report.version == "v000001"
