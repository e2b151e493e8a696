"""Writes the generated defect-photo dataset (YOLO layout, data.yaml, recipe.json, previews) and its CLI.

    python -m training.defect_data --out var/defects/data [--train 4000 --val 500 --test 600 --seed 0 --workers 2
                                   --size 480 --split textures --preview /tmp/defects_preview.png]

--split picks what the test split keeps to itself: "textures" (default) reserves materials, palettes, prints,
backgrounds, light and every numeric range, and shares categorical defect forms; "strict" (the split of the first
datasets) reserves defect forms too.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np
import yaml

from aftersales.policy.decisions import DEFECT_TAXONOMY
from training.defect_scene import SIZES, SceneOptions, plan_scene, render_scene
from training.materials import (
    DEFAULT_PROFILE, PROFILES, Profile, check_profile, regime_of, reserved_axes, shared_axes, split_pools, variants,
)

logger = logging.getLogger("kefu.training")

# The generator version recipe.json records: 1 the strict split; 2 the textures split; 3 boxes drawn around what stands
# out (not the faint fringe), pills and pulled loops large and contrasted enough to see at 320 px; 4 snags of yarn as
# thick as a close-up shows it, bigger loops, long loose threads, a lit and shaded puckered row; per-class weights.
GENERATOR_VERSION = 4
SPLIT_RULES = {
    "strict": "val uses train's looks with other seeds; test uses only the values reserved for it",
    "textures": "val uses train's looks with other seeds; test uses only the looks and numeric ranges reserved for it, "
                "and every split draws categorical defect forms from the same values",
}
SPLITS = ("train", "val", "test")
SPLIT_IDS = {"train": 0, "val": 1, "test": 2}


@dataclass
class DataOptions:
    """What to generate.

    Attributes:
        train: Photos in the train split.
        val: Photos in the val split (same looks as train, other seeds).
        test: Photos in the test split (only the looks and parameter ranges reserved for test).
        seed: Dataset seed; photo i of split s is rendered from (seed, s, i) alone, whatever the worker count.
        workers: Processes rendering in parallel (1: render in this process).
        size: Long side of every photo in pixels.
        clean_share: Share of photos without any defect.
        max_defects: Most defects on one photo.
        distractors: Probability of each kind of defect-like intact feature (seams, buttons, print marks, joints).
        preview: When set, a contact sheet per split is written next to it as NAME_{split}.png.
        preview_count: Photos per contact sheet.
        split: Split profile (training.materials.PROFILES): "textures" reserves looks and numeric ranges for test
            and shares categorical defect forms; "strict" reserves defect forms too (as the first datasets).
    """

    train: int = 4000
    val: int = 500
    test: int = 600
    seed: int = 0
    workers: int = 2
    size: int = 480
    clean_share: float = 0.2
    max_defects: int = 3
    distractors: float = 0.3
    preview: Path | None = None
    preview_count: int = 24
    split: Profile = DEFAULT_PROFILE
    weights: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in SPLITS:
            if getattr(self, name) < 0:
                raise ValueError(f"--{name} must be 0 or more images, got {getattr(self, name)}")
        if self.train + self.val + self.test == 0:
            raise ValueError("nothing to generate: every split has 0 images")
        if self.seed < 0:
            raise ValueError(f"--seed must be 0 or more, got {self.seed}")
        if not 1 <= self.workers <= 256:
            raise ValueError(f"--workers must be between 1 and 256, got {self.workers}")
        if not 1 <= self.preview_count <= 200:
            raise ValueError(f"preview_count must be between 1 and 200, got {self.preview_count}")
        if self.preview is not None and Path(self.preview).suffix.lower() != ".png":
            raise ValueError(f"--preview must name a .png file, got {self.preview}")
        if self.split not in PROFILES:
            raise ValueError(f"--split must be one of {', '.join(PROFILES)}, got {self.split!r}")
        unknown = set(self.weights) - set(DEFECT_TAXONOMY)
        if unknown:
            raise ValueError(f"--weight names unknown classes {sorted(unknown)}; expected {DEFECT_TAXONOMY}")
        self.scene_options("train")  # validates size, clean_share, max_defects, distractors and weights

    def counts(self) -> dict[str, int]:
        return {split: getattr(self, split) for split in SPLITS}

    def scene_options(self, split: str) -> SceneOptions:
        """The composition of `split`'s photos: train and val lean on the weighted classes, test keeps all alike."""
        weights = tuple(float(self.weights.get(name, 1.0)) for name in DEFECT_TAXONOMY)
        return SceneOptions(self.size, self.clean_share, self.max_defects, self.distractors,
                            weights if self.weights and split != "test" else ())


def image_entropy(seed: int, split: str, index: int) -> tuple[int, int, int]:
    """The seed of one photo: it depends on nothing else, so output is identical for any worker count."""
    return seed, SPLIT_IDS[split], index


def _stem(split: str, index: int) -> str:
    return f"{split}_{index:06d}"


def _render_one(job: tuple[Path, str, int, int, SceneOptions, Profile]) -> dict[str, Any]:
    out, split, index, seed, scene_options, profile = job
    plan = plan_scene(image_entropy(seed, split, index), regime_of(split), scene_options, profile)
    scene = render_scene(plan)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(scene.image, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, plan.jpeg_quality])
    if not ok:
        raise RuntimeError(f"JPEG encoding failed for {split} {index}")
    stem = _stem(split, index)
    (out / "images" / split / f"{stem}.jpg").write_bytes(jpeg.tobytes())
    lines = [box.yolo(plan.width, plan.height) for box in scene.boxes]
    (out / "labels" / split / f"{stem}.txt").write_text("".join(f"{line}\n" for line in lines))
    return {"split": split, "index": index, "file": f"images/{split}/{stem}.jpg", "family": plan.family,
            "variant": plan.variant, "kind": plan.kind, "width": plan.width, "height": plan.height,
            "planned": [d.name for d in plan.defects], "labels": [b.name for b in scene.boxes],
            "jpeg_quality": plan.jpeg_quality}


def _worker_init() -> None:
    cv2.setNumThreads(1)  # one process per core already; OpenCV's own threads would only contend


def _clear(folder: Path, pattern: str) -> None:
    """Remove what an earlier run left (our own files only), so a smaller run leaves no stale photos."""
    for path in folder.glob(pattern):
        path.unlink()


def write_dataset(out: Path, options: DataOptions) -> dict[str, Any]:
    """Render every split into `out` (images/, labels/, data.yaml, recipe.json, manifest.jsonl); return the recipe."""
    out = Path(out).resolve()
    for split in SPLITS:
        for sub, pattern in (("images", "*.jpg"), ("labels", "*.txt")):
            (out / sub / split).mkdir(parents=True, exist_ok=True)
            _clear(out / sub / split, pattern)
        _clear(out / "labels", f"{split}*.cache")
    jobs = [(out, split, i, options.seed, options.scene_options(split), options.split)
            for split in SPLITS for i in range(getattr(options, split))]
    started = time.perf_counter()
    records: list[dict[str, Any]] = []
    if options.workers == 1:
        _worker_init()
        records = [_render_one(job) for job in jobs]
    else:
        with multiprocessing.get_context("fork").Pool(options.workers, initializer=_worker_init) as pool:
            for record in pool.imap(_render_one, jobs, chunksize=4):
                records.append(record)
                if len(records) % 500 == 0:
                    logger.info("%d/%d photos", len(records), len(jobs))
    seconds = time.perf_counter() - started
    logger.info("rendered %d photos in %.1f s (%.1f photos/s on %d workers)", len(jobs), seconds,
                len(jobs) / max(seconds, 1e-9), options.workers)
    with open(out / "manifest.jsonl", "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
    (out / "data.yaml").write_text(yaml.safe_dump(
        {"path": str(out), "train": "images/train", "val": "images/val", "test": "images/test",
         "names": dict(enumerate(DEFECT_TAXONOMY))}, sort_keys=False, allow_unicode=True))
    recipe = _recipe(options, records)
    (out / "recipe.json").write_text(json.dumps(recipe, indent=2, ensure_ascii=False) + "\n")
    if options.preview is not None:
        for split in SPLITS:
            if getattr(options, split):
                write_preview(out, split, preview_path(options.preview, split), options.preview_count)
    return recipe


def _recipe(options: DataOptions, records: list[dict[str, Any]]) -> dict[str, Any]:
    by_split = {split: [r for r in records if r["split"] == split] for split in SPLITS}
    boxes = {s: {name: sum(r["labels"].count(name) for r in rs) for name in DEFECT_TAXONOMY}
             for s, rs in by_split.items()}
    profile = check_profile(options.split)
    return {
        "version": GENERATOR_VERSION,
        # which axes test keeps to itself (train and val never draw its values) and which every split shares
        "split": {"profile": profile, "reserved_for_test": reserved_axes(profile), "shared": shared_axes(profile)},
        "seed": options.seed,
        "size": options.size,
        "counts": options.counts(),
        "names": list(DEFECT_TAXONOMY),
        "boxes": boxes,
        "clean_images": {s: sum(1 for r in rs if not r["labels"]) for s, rs in by_split.items()},
        "planned_but_dropped": {s: sum(len(r["planned"]) - len(r["labels"]) for r in rs)
                                for s, rs in by_split.items()},
        "variants_used": {s: dict(sorted(Counter(r["variant"] for r in rs).items())) for s, rs in by_split.items()},
        "families_per_class": {s: {name: dict(sorted(Counter(r["kind"] for r in rs if name in r["labels"]).items()))
                                   for name in DEFECT_TAXONOMY} for s, rs in by_split.items()},
        "variants": {"train_val": variants("train"), "test": variants("test")},
        "pools": {"train_val": split_pools("train", profile), "test": split_pools("test", profile)},
        "defect_size_share_of_short_side": {name: list(r) for name, r in SIZES.items()},
        "scene": {split: asdict(options.scene_options(split)) for split in SPLITS},
        "split_rule": SPLIT_RULES[profile],
    }


def preview_path(preview: Path, split: str) -> Path:
    """Where the contact sheet of a split goes: NAME_{split}.png next to the --preview path."""
    preview = Path(preview)
    return preview.with_name(f"{preview.stem}_{split}{preview.suffix}")


def _colour(cls: int) -> tuple[int, int, int]:
    hue = int(180 * cls / len(DEFECT_TAXONOMY))
    bgr = cv2.cvtColor(np.uint8([[[hue, 255, 255]]]), cv2.COLOR_HSV2BGR)[0, 0]
    return int(bgr[0]), int(bgr[1]), int(bgr[2])


def write_preview(out: Path, split: str, path: Path, count: int = 24, cell: int = 320, columns: int = 6) -> Path:
    """A contact sheet of a split's first photos at the training size, boxes and class names drawn."""
    images = sorted((Path(out) / "images" / split).glob("*.jpg"))[:count]
    if not images:
        raise FileNotFoundError(f"no photos in {Path(out) / 'images' / split}")
    tiles = []
    for image_path in images:
        image = cv2.imread(str(image_path))
        h, w = image.shape[:2]
        scale = cell / max(h, w)
        image = cv2.resize(image, (int(round(w * scale)), int(round(h * scale))), interpolation=cv2.INTER_AREA)
        tile = np.full((cell, cell, 3), 40, np.uint8)
        tile[:image.shape[0], :image.shape[1]] = image
        label = Path(out) / "labels" / split / f"{image_path.stem}.txt"
        for line in label.read_text().split("\n"):
            if not line.strip():
                continue
            cls, cx, cy, bw, bh = line.split()
            c, (x, y, bw_, bh_) = int(cls), (float(v) for v in (cx, cy, bw, bh))
            x1, y1 = int((x - bw_ / 2) * image.shape[1]), int((y - bh_ / 2) * image.shape[0])
            x2, y2 = int((x + bw_ / 2) * image.shape[1]), int((y + bh_ / 2) * image.shape[0])
            cv2.rectangle(tile, (x1, y1), (x2, y2), _colour(c), 1)
            cv2.putText(tile, DEFECT_TAXONOMY[c], (x1, max(9, y1 - 2)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, _colour(c), 1,
                        cv2.LINE_AA)
        cv2.putText(tile, image_path.stem, (3, cell - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 255), 1)
        tiles.append(tile)
    while len(tiles) % columns:
        tiles.append(np.full((cell, cell, 3), 40, np.uint8))
    sheet = np.vstack([np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), sheet)
    return Path(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.defect_data", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="dataset folder (created; old photos replaced)")
    defaults = DataOptions()
    for name in SPLITS:
        parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name), help=f"photos in {name}")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--size", type=int, default=defaults.size, help="long side of the photos in pixels")
    parser.add_argument("--clean-share", type=float, default=defaults.clean_share)
    parser.add_argument("--distractors", type=float, default=defaults.distractors)
    parser.add_argument("--split", choices=list(PROFILES), default=defaults.split,
                        help="what test keeps to itself: 'textures' (looks and numeric ranges; defect forms shared) "
                             "or 'strict' (defect forms too, as the first datasets)")
    parser.add_argument("--preview", type=Path, help="write contact sheets NAME_{split}.png")
    parser.add_argument("--weight", action="append", default=[], metavar="CLASS=W",
                        help="relative chance of CLASS as a train/val photo's main defect (default 1 each; "
                             "test keeps every class alike), e.g. --weight snag=3")
    args = parser.parse_args(argv)
    try:
        weights = {}
        for item in args.weight:
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"--weight takes CLASS=W, got {item!r}")
            weights[name.strip()] = float(value)
        options = DataOptions(args.train, args.val, args.test, args.seed, args.workers, args.size, args.clean_share,
                              defaults.max_defects, args.distractors, args.preview, split=args.split,
                              weights=weights)
    except ValueError as error:
        parser.error(str(error))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    recipe = write_dataset(args.out, options)
    total = sum(recipe["counts"].values())
    seconds = time.perf_counter() - started
    print(f"wrote {total} photos to {Path(args.out).resolve()} in {seconds:.0f} s ({total / seconds:.1f}/s), "
          f"split profile {options.split}")
    for split in SPLITS:
        print(f"  {split}: {recipe['counts'][split]} photos, {recipe['clean_images'][split]} clean, boxes "
              + ", ".join(f"{name} {n}" for name, n in recipe["boxes"][split].items()))
    if options.preview is not None:
        print("previews: " + ", ".join(str(preview_path(options.preview, s)) for s in SPLITS if recipe["counts"][s]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
