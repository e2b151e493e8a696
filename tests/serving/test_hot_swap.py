"""Publishing a new catalog index version while requests flow: the replica swaps to it with no failed request."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.conftest import DEMO_CATALOG
from tests.serving.conftest import free_port, start_kefu, stop_kefu, tiny_args

pytestmark = pytest.mark.serving

PHOTO = (DEMO_CATALOG.parent / "images" / "KF-JK-001.jpg").read_bytes()


@pytest.fixture(scope="module")
def swap_app(tmp_path_factory, tiny_whisper, tiny_clip, tiny_yolo):
    from catalog_index.versions import IndexRoot, open_index

    work = tmp_path_factory.mktemp("hot_swap")
    catalog = {"index_dir": str(work / "root"), "watch_interval_s": 0.5}
    args = tiny_args(work, tiny_whisper, tiny_clip, tiny_yolo, catalog=catalog)
    root = IndexRoot(work / "root")
    first = root.publish(open_index(work / "index"))
    url = start_kefu(args, free_port())
    yield url, root, first
    stop_kefu()


def top_sku(client: httpx.Client) -> tuple[int, str | None]:
    r = client.post("/v1/catalog/search", files={"image": ("p.jpg", PHOTO, "image/jpeg")}, data={"top_k": "3"})
    return r.status_code, (r.json()["matches"][0]["sku"] if r.status_code == 200 else r.text)


def serving_version() -> str | None:
    from ray import serve

    return serve.get_deployment_handle("CatalogSearch", app_name="kefu").version.remote().result(timeout_s=30)


def test_publishing_a_version_swaps_without_a_failed_request(swap_app):
    url, root, first = swap_app
    assert serving_version() == first
    answers: list[tuple[float, int, str | None]] = []
    stop = threading.Event()

    def client_loop() -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while not stop.is_set():
                status, sku = top_sku(client)
                answers.append((time.monotonic(), status, sku))

    thread = threading.Thread(target=client_loop, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while len(answers) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert answers and answers[0][2] == "KF-JK-001", answers[:3]

        edited = root.load()
        assert edited.delete(["KF-JK-001"]) > 0
        published = time.monotonic()
        second = root.publish(edited)
        assert second != first

        swapped_at = None
        while time.monotonic() < published + 20:
            recent = [a for a in answers if a[0] > published]
            if recent and recent[-1][2] != "KF-JK-001":
                swapped_at = recent[-1][0]
                break
            time.sleep(0.1)
        assert swapped_at is not None, "the replica did not swap to the new version within 20 s"
        time.sleep(1.0)  # a few more requests on the new version
    finally:
        stop.set()
        thread.join(timeout=60)

    assert all(status == 200 for _, status, _ in answers), [a for a in answers if a[1] != 200][:3]
    before = [a for a in answers if a[0] < published]
    after = [a for a in answers if a[0] > swapped_at]
    assert before and after
    assert all(sku == "KF-JK-001" for _, _, sku in before)
    assert all(sku != "KF-JK-001" for _, _, sku in after), "the old version answered again after the swap"
    assert serving_version() == second


def test_a_broken_version_is_skipped_and_reconfigure_forces_a_version(swap_app):
    from ray import serve

    url, root, first = swap_app
    serving = serving_version()
    assert serving is not None and serving != first  # the previous test swapped
    # A version folder with a corrupt manifest, named by CURRENT: the replica must keep serving what it has.
    broken = root.root / "versions" / "v999999"
    broken.mkdir(parents=True)
    (broken / "manifest.json").write_text("{not json")
    current = root.root / "CURRENT"
    current.write_text("v999999\n")
    time.sleep(2.0)  # four polls
    with httpx.Client(base_url=url, timeout=60) as client:
        status, sku = top_sku(client)
    assert status == 200 and sku != "KF-JK-001"
    assert serving_version() == serving

    # Serve's user_config pins a version now, without waiting for CURRENT: back to the first, with KF-JK-001.
    handle = serve.get_deployment_handle("CatalogSearch", app_name="kefu")
    replica = handle.options(method_name="reconfigure")
    replica.remote({"index_version": first}).result(timeout_s=60)
    # A handle call reaches one replica; the test app runs one CatalogSearch replica.
    assert serving_version() == first
    with httpx.Client(base_url=url, timeout=60) as client:
        assert top_sku(client) == (200, "KF-JK-001")
    with pytest.raises(Exception, match="unknown CatalogSearch user_config"):
        replica.remote({"bogus": 1}).result(timeout_s=60)
