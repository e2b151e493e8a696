"""The operator commands: retention purge and rewrap after a key rotation, as a shell would run them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from aftersales.store.crypto import KeyRing, new_key
from aftersales.store.maintenance import main
from aftersales.store.core import Store

NOW = datetime.now(timezone.utc)


def _store_with_history(url: str, keys: KeyRing) -> Store:
    store = Store(url, keys)
    store.ensure_customer("C1", "web")
    for name, age in (("old", 400), ("recent", 3)):
        at = NOW - timedelta(days=age)
        store.open_conversation(name, "C1", "web", at)
        store.append_message(name, "customer", f"{name} words", {}, at)
    store.audit("agent-1", "agent", "order.read", "order:O1", NOW - timedelta(days=2000))
    return store


def test_purge_command_takes_its_defaults_from_the_serve_config(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    keys = KeyRing.create(tmp_path / "keys.json")
    _store_with_history(url, keys).close()
    config = tmp_path / "serve.yaml"
    config.write_text(f"applications:\n  - args:\n      dialogue:\n        store_url: {url}\n"
                      f"        retention_days: 30\n", encoding="utf-8")
    assert main(["purge", "--config", str(config), "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["dry_run"] is True
    assert [m.text for m in Store(url, keys).messages("old")] == ["old words"]  # a dry run deletes nothing
    assert main(["purge", "--config", str(config)]) == 0
    deleted = json.loads(capsys.readouterr().out)["deleted"]
    assert deleted == {"chat_records": 1, "turns": 0, "turn_answers": 0, "handoffs": 0, "conversations": 1, "audit_log": 1}
    store = Store(url, keys)
    assert store.messages("old") == [] and [m.text for m in store.messages("recent")] == ["recent words"]


def test_purge_command_validates_the_serve_config_as_serving_does(tmp_path, capsys):
    config = tmp_path / "serve.yaml"
    config.write_text("applications:\n  - name: kefu\n    args:\n      dialogue:\n        retention_days: -3\n",
                      encoding="utf-8")
    assert main(["purge", "--config", str(config), "--dry-run"]) == 2
    assert "retention_days" in capsys.readouterr().err


def test_rewrap_command_moves_records_to_the_active_key(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    old = KeyRing.create(tmp_path / "keys.json", key_id="2026-05")
    _store_with_history(url, old).close()
    rotated = {"active": "2026-11", "keys": {"2026-11": new_key(), "2026-05": json.loads(
        (tmp_path / "keys.json").read_text())["keys"]["2026-05"]}}
    (tmp_path / "keys.json").write_text(json.dumps(rotated), encoding="utf-8")
    assert main(["rewrap", "--store-url", url, "--keys-file", str(tmp_path / "keys.json")]) == 0
    assert json.loads(capsys.readouterr().out) == {"rewrapped": 2, "active_key": "2026-11"}
    only_new = KeyRing.parse(f"2026-11:{rotated['keys']['2026-11']}")
    assert [m.text for m in Store(url, only_new).messages("old")] == ["old words"]


def test_bad_arguments_exit_2_with_a_reason(tmp_path, capsys):
    assert main(["rewrap", "--store-url", f"sqlite:///{tmp_path / 'k.db'}",
                 "--keys-file", str(tmp_path / "missing.json")]) == 2
    assert "missing.json" in capsys.readouterr().err
    assert main(["purge", "--store-url", f"sqlite:///{tmp_path / 'k.db'}", "--days", "-1"]) == 2
