"""The Ray Data build gives the same index as the local build (tiny embedder, local Ray with 2 CPUs)."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_CATALOG

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_build_matches_the_local_build(tmp_path, local_ray, tiny_dir):
    from catalog_index.build import build_index
    from catalog_index.ray_build import build_index_ray
    from catalog_index.versions import IndexRoot, open_index
    from models import load_embedder
    from models.embedder.base import EmbedderConfig
    from tests.tiny.vision import make_tiny_efficientnet
    from tests.unit.catalog.test_resume import _vectors

    config = EmbedderConfig(model=str(make_tiny_efficientnet(tiny_dir / "efficientnet")), device="cpu", batch_size=8)
    local = build_index(DEMO_CATALOG, tmp_path / "local", load_embedder(config), batch_size=8, progress=False)
    distributed = build_index_ray(DEMO_CATALOG, tmp_path / "ray", config, batch_size=8, concurrency=1,
                                  decode_batch_size=5)
    assert distributed.images == local.images == 32 and distributed.embedder == local.embedder
    assert IndexRoot(tmp_path / "ray").current_version() == "v000001"
    a, b = open_index(tmp_path / "local"), open_index(tmp_path / "ray")
    assert a.skus == b.skus and [a.product(s) for s in a.skus] == [b.product(s) for s in b.skus]
    va, vb = _vectors(tmp_path / "local"), _vectors(tmp_path / "ray")
    assert va.keys() == vb.keys()
    for vector_id, (sku, vector) in va.items():
        assert vb[vector_id][0] == sku
        assert float(abs(vb[vector_id][1] - vector).max()) < 1e-5, sku
