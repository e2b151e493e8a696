"""Sealed chat records: AES-256-GCM per record, bound to the customer, opened by any key of the ring."""

from __future__ import annotations

import base64
import json

import pytest

from aftersales.store.crypto import KEYS_ENV, PREFIX, KeyConfigError, KeyRing, SealedRecordError, main, new_key

OLD, NEW = new_key(), new_key()


def ring(spec: str) -> KeyRing:
    return KeyRing.parse(spec)


def test_a_sealed_record_opens_for_its_customer_and_hides_the_text():
    keys = ring(f"k1:{OLD}")
    sealed = keys.seal("我的毛衣勾丝了，电话 13812345678", "C1003")
    assert sealed.startswith(f"{PREFIX}k1:") and "毛衣" not in sealed and "13812345678" not in sealed
    assert keys.open(sealed, "C1003") == "我的毛衣勾丝了，电话 13812345678"
    assert keys.seal("same", "C1003") != keys.seal("same", "C1003")  # a fresh nonce per record


def test_a_record_does_not_open_for_another_customer_or_after_tampering():
    keys = ring(f"k1:{OLD}")
    sealed = keys.seal("refund 20.00", "C1003")
    with pytest.raises(SealedRecordError, match="another customer or was altered"):
        keys.open(sealed, "C1004")
    blob = bytearray(base64.b64decode(sealed.rsplit(":", 1)[1]))
    blob[-1] ^= 1
    with pytest.raises(SealedRecordError):
        keys.open(sealed.rsplit(":", 1)[0] + ":" + base64.b64encode(bytes(blob)).decode(), "C1003")
    for bad in ("plain text", f"{PREFIX}k1:", f"{PREFIX}k1:!!!", f"{PREFIX}k1:" + base64.b64encode(b"short").decode()):
        with pytest.raises(SealedRecordError):
            keys.open(bad, "C1003")


def test_rotation_opens_old_records_seals_new_ones_with_the_new_key_and_rewraps():
    before = ring(f"2026-05:{OLD}")
    old_record = before.seal("where is my parcel", "C1001")
    after = ring(f"2026-11:{NEW},2026-05:{OLD}")
    assert after.open(old_record, "C1001") == "where is my parcel"
    assert after.key_of(after.seal("new", "C1001")) == "2026-11"
    moved = after.rewrap(old_record, "C1001")
    assert after.key_of(moved) == "2026-11" and after.rewrap(moved, "C1001") == moved
    with pytest.raises(SealedRecordError, match="not among the keys"):
        before.open(moved, "C1001")  # a node still on the old ring says which key it lacks


def test_keys_come_from_a_file_or_the_environment(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"active": "b", "keys": {"a": OLD, "b": NEW}}))
    from_file = KeyRing.from_config(str(path))
    assert from_file.active == "b" and set(from_file.keys) == {"a", "b"}
    from_env = KeyRing.from_config(None, {KEYS_ENV: f"b:{NEW}, a:{OLD}"})
    assert from_env.open(from_file.seal("hi", "C1"), "C1") == "hi"


@pytest.mark.parametrize("spec, reason", [
    ("", "holds no key"),
    ("k1", "id:base64-key"),
    ("k1:not-base64!", "not base64"),
    (f"k1:{base64.b64encode(b'x' * 16).decode()}", "16 bytes; AES-256 needs 32"),
    (f"k1:{OLD},k1:{NEW}", "given twice"),
    (f"bad id:{OLD}", "key id"),
])
def test_bad_key_configuration_is_refused_with_a_reason(spec, reason):
    with pytest.raises(KeyConfigError, match=reason):
        KeyRing.parse(spec)


def test_bad_key_files_and_missing_keys_are_refused(tmp_path):
    with pytest.raises(KeyConfigError, match="no data keys"):
        KeyRing.from_config(None, {})
    with pytest.raises(KeyConfigError, match="cannot read"):
        KeyRing.from_config(str(tmp_path / "missing.json"))
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"active": "c", "keys": {"a": OLD}}))
    with pytest.raises(KeyConfigError, match="active key 'c'"):
        KeyRing.load(path)


def test_new_key_command(capsys):
    assert main(["new-key"]) == 0
    assert len(base64.b64decode(capsys.readouterr().out.strip())) == 32
    assert main([]) == 2


def test_create_writes_an_owner_only_key_file_once(tmp_path):
    path = tmp_path / "keys" / "data-keys.json"
    ring = KeyRing.from_config(str(path), env={}, create=True)
    assert oct(path.stat().st_mode & 0o777) == "0o600" and ring.active == "k1"
    sealed = ring.seal("勾丝", "C1")
    # A second start finds the file and keeps its key: what the first sealed still opens.
    again = KeyRing.from_config(str(path), env={}, create=True)
    assert again.open(sealed, "C1") == "勾丝" and KeyRing.create(path).keys == ring.keys
    with pytest.raises(KeyConfigError):
        KeyRing.from_config(str(tmp_path / "absent.json"), env={})


def test_replicas_creating_the_key_file_together_all_get_the_one_ring(tmp_path):
    """Dialogue and Desk replicas start at once on a fresh box: each must load the same complete ring."""
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "keys" / "data-keys.json"
    with ThreadPoolExecutor(max_workers=8) as pool:
        rings = list(pool.map(lambda _: KeyRing.from_config(str(path), create=True), range(32)))
    assert len({tuple(sorted(ring.keys.items())) for ring in rings}) == 1
    assert [p.name for p in path.parent.iterdir()] == ["data-keys.json"]  # no draft left behind
