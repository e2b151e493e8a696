"""Serving pieces that need no Ray cluster: config validation, the error mapping, transcript renderings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from serving.api import audio_formats
from serving.config import AppArgs
from serving.errors import ApiError, to_response

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["serve.dev.yaml", "serve.gpu.yaml"])
def test_shipped_serve_configs_validate(name):
    config = yaml.safe_load((ROOT / "configs" / name).read_text())
    (app,) = config["applications"]
    assert app["import_path"] == "serving.app:build_app"
    args = AppArgs.model_validate(app["args"])
    assert Path(args.catalog.index_dir).is_absolute()


def test_cpu_config_fits_two_cores():
    config = yaml.safe_load((ROOT / "configs" / "serve.dev.yaml").read_text())
    args = AppArgs.model_validate(config["applications"][0]["args"])
    total = sum(args.options_for(n).num_cpus * args.options_for(n).num_replicas for n in args.deployments)
    assert total <= 2.0


@pytest.mark.parametrize(
    "bad",
    [
        {"deployments": {"Transcrber": {"num_cpus": 0.5}}},
        {"deployments": {"Dialogue": {"num_cpus": -1}}},
        {"limits": {"max_upload_bytes": 0}},
        {"catalog": {"top_k": 0}},
        {"catalog": {"index_dirr": "x"}},
        {"unknown_section": {}},
    ],
)
def test_nonsense_config_is_rejected_early(bad):
    with pytest.raises(ValidationError):
        AppArgs.model_validate(bad)


def test_relative_paths_are_pinned_to_the_start_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = AppArgs.model_validate({"dialogue": {"store_url": "sqlite:///data/kefu.db"}, "catalog": {"index_dir": "idx"}})
    assert args.dialogue.store_url == f"sqlite:///{tmp_path}/data/kefu.db"
    assert args.catalog.index_dir == str(tmp_path / "idx")
    assert AppArgs.model_validate({"dialogue": {"store_url": "postgresql://db/kefu"}}).dialogue.store_url == \
        "postgresql://db/kefu"


class _Wrapped(Exception):
    """Stands in for ray's RayTaskError(Original), which carries the replica's exception as `cause`."""

    def __init__(self, cause):
        super().__init__("wrapped")
        self.cause = cause


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (ApiError(413, "too big", "media_too_large"), 413),
        (_Wrapped(ApiError(400, "bad", "bad_field")), 400),
        (TimeoutError(), 504),
        (RuntimeError("boom"), 500),
    ],
)
def test_every_error_leaves_in_the_envelope(exc, status):
    response = to_response(exc)
    body = json.loads(response.body)
    assert response.status_code == status
    assert set(body["error"]) == {"message", "type", "code", "param"}


def test_domain_errors_map_to_their_status():
    from aftersales.errors import NotFound
    from models.errors import InvalidMedia, MediaTooLarge, UnsupportedMedia

    for exc, status, message in [(MediaTooLarge("over 40 MP"), 413, "over 40 MP"),
                                 (UnsupportedMedia("not an image"), 415, "not an image"),
                                 (InvalidMedia("truncated"), 400, "truncated"),
                                 (_Wrapped(NotFound("order", "O9")), 404, "O9")]:
        response = to_response(exc)
        assert response.status_code == status
        assert message in json.loads(response.body)["error"]["message"]


SEGMENTS = [{"start": 0.0, "end": 1.5, "text": " 你好"}, {"start": 61.25, "end": 3723.004, "text": "再见 "}]


def test_srt_and_vtt_timestamps():
    srt = audio_formats.srt(SEGMENTS)
    assert "1\n00:00:00,000 --> 00:00:01,500\n你好\n" in srt
    assert "2\n00:01:01,250 --> 01:02:03,004\n再见\n" in srt
    vtt = audio_formats.vtt(SEGMENTS)
    assert vtt.startswith("WEBVTT\n\n") and "00:01:01.250 --> 01:02:03.004" in vtt


def test_verbose_json_numbers_segments():
    body = audio_formats.verbose_json(
        {"text": "你好 再见", "language": "zh", "language_probability": 0.9, "duration": 4.0, "segments": SEGMENTS}
    )
    assert [s["id"] for s in body["segments"]] == [0, 1] and body["task"] == "transcribe"


def test_serve_run_validates_yaml_args_into_appargs():
    # `serve run configs/serve.dev.yaml` hands the builder a plain dict and relies on its annotation to validate it.
    from ray.serve import Application
    from ray.serve._private.api import call_user_app_builder_with_args_if_necessary

    from serving.app import build_app

    config = yaml.safe_load((ROOT / "configs" / "serve.dev.yaml").read_text())
    app = call_user_app_builder_with_args_if_necessary(build_app, config["applications"][0]["args"])
    assert isinstance(app, Application)
    with pytest.raises(ValidationError):
        call_user_app_builder_with_args_if_necessary(build_app, {"deployments": {"Nope": {}}})


@pytest.mark.parametrize("erp", [
    {"base_url": "ftp://erp"},
    {"base_url": "http://erp", "order_path": "/orders"},
    {"base_url": "http://erp", "timezone": "Mars/Base"},
    {"base_url": "http://erp", "fields": {"status": {"values": {}}}},
    {"base_url": "http://erp", "colour": "red"},
])
def test_a_bad_erp_block_is_refused_before_ray_starts(erp):
    from pydantic import ValidationError

    from serving.config import AppArgs

    with pytest.raises(ValidationError, match="erp"):
        AppArgs(dialogue={"erp": erp})


def test_the_desk_purges_old_records_once_a_day_and_serves_its_methods(tmp_path):
    import asyncio
    from datetime import datetime, timedelta, timezone

    from serving.dialogue import Desk

    settings = AppArgs.model_validate({"dialogue": {
        "store_url": f"sqlite:///{tmp_path / 'kefu.db'}", "keys_file": str(tmp_path / "k.json"), "create_keys": True,
        "seed_demo": False, "retention_days": 30}}).desk_args()
    assert settings.retention_days == 30 and settings.audit_retention_days == 1095.0

    async def start():  # built on an event loop, as a replica is: the daily retention task starts with it
        desk = Desk.func_or_class(settings)
        running = desk._retention is not None
        desk._retention.cancel()
        return desk, running

    desk, running = asyncio.run(start())
    assert running
    assert desk.put("customer", "C9", {"name": "Lin"}) is True and desk.put("customer", "C9", {"name": "Lin"}) is False
    now = [datetime(2026, 11, 1, 9, tzinfo=timezone.utc)]
    desk.clock = lambda: now[0]
    assert desk.purge_due() is not None  # the first check of a day purges
    now[0] += timedelta(hours=9)
    assert desk.purge_due() is None  # later the same day: nothing
    now[0] += timedelta(hours=15)
    assert desk.purge_due() is not None  # the next day purges again
    assert desk.handoffs(None, 10) == [] and desk.automation(30.0)["turns"] == 0


def test_each_deployment_gets_its_own_settings_cut_from_the_sections():
    args = AppArgs.model_validate({
        "limits": {"max_audio_seconds": 30, "max_image_pixels": 1_000_000, "request_timeout_s": 9},
        "catalog": {"hotwords": 10, "top_k": 7, "min_score": 0.3, "turn_candidates": 4},
        "deployments": {"Vision": {"max_batch_size": 12}},
    })
    transcriber, vision, ingress = args.transcriber_args(), args.vision_args(), args.ingress_args()
    assert transcriber.max_audio_seconds == 30 and transcriber.hotword_index == args.catalog.index_dir
    assert transcriber.hotword_titles == 10 and transcriber.batching.max_batch_size == 8
    assert vision.max_image_pixels == 1_000_000 and vision.batching.max_batch_size == 12
    assert vision.taxonomy == args.defect_taxonomy
    assert args.catalog_search_args().top_k == 7 and "min_score" not in args.catalog_search_args().model_fields
    assert (ingress.request_timeout_s, ingress.min_product_score, ingress.candidates) == (9, 0.3, 4)
    assert AppArgs().transcriber_args().hotword_index is None  # no titles asked for: no catalog to read


def test_the_environment_is_read_once_typed_and_its_secrets_never_show(monkeypatch):
    from serving.access import ApiKeys
    from serving.settings import KefuEnvironment

    key = "robot-key-0123456789"
    monkeypatch.setenv("KEFU_API_KEYS", f"shop-bot:bot:{key}")
    monkeypatch.setenv("KEFU_DATA_KEYS", "k1:" + "A" * 44)
    env = KefuEnvironment()
    assert key not in repr(env) and "AAAA" not in str(env.model_dump())
    assert ApiKeys.from_config([]).principal(key).name == "shop-bot"  # read through the typed settings
    assert env.data_keys_env() == {"KEFU_DATA_KEYS": "k1:" + "A" * 44}
