"""Composes one defect photo: a product of some material on clutter, its defects, folds, light, lens and sensor."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import cv2
import numpy as np

from aftersales.policy.decisions import DEFECT_TAXONOMY
from training.defect_draw import DefectContext, Patch, draw_defect, draw_distractors, draw_seam, fill
from training.materials import (
    BACKGROUND_PHOTOS, FAMILIES, Profile, Regime, check_profile, fbm, palette_colours, photo_crop, pick_family,
    render_material,
)
from training.photo_effects import (
    COLOUR_TEMPERATURE, LIGHT_ANGLE, MIN_BOX_PIXELS, MIN_VISIBLE_SHARE, clutter_shape, folds, hard_finish,
    lens_and_sensor, photograph, warp_box,
)

__all__ = ["ASPECTS", "BACKGROUNDS", "Box", "COLOUR_TEMPERATURE", "DefectPlan", "LIGHT_ANGLE", "MIN_BOX_PIXELS",
           "MIN_VISIBLE_SHARE", "SIZES", "Scene", "SceneOptions", "ScenePlan", "plan_scene", "render_scene"]

ASPECTS = ((3, 4), (4, 3), (1, 1), (9, 16))
# Defect extent as a fraction of the image's short side: customers zoom in, but not always.
SIZES: dict[str, tuple[float, float]] = {
    "snag": (0.08, 0.4), "hole": (0.05, 0.3), "stain": (0.06, 0.45), "tear": (0.1, 0.45), "open_seam": (0.12, 0.45),
    "pilling": (0.12, 0.45), "scratch": (0.1, 0.45), "dent": (0.08, 0.35), "crack": (0.1, 0.45), "broken": (0.08, 0.3),
}
BACKGROUNDS = ("photo", "table", "wall", "cloth")


@dataclass
class SceneOptions:
    """How photos are composed.

    Attributes:
        size: Long side of the photo in pixels.
        clean_share: Share of photos without any defect.
        max_defects: Most defects on one photo (1 to max_defects, fewer more often).
        distractors: Probability of each kind of defect-like but intact feature (seam, button, print mark...).
        weights: Relative chance of each class (taxonomy order) being a defective photo's main defect; empty: all
            alike. Training leans on the classes that are hard to learn (snags); test photos keep every class alike.
    """

    size: int = 480
    clean_share: float = 0.2
    max_defects: int = 3
    distractors: float = 0.3
    weights: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not 64 <= self.size <= 4096:
            raise ValueError(f"size must be between 64 and 4096 pixels, got {self.size}")
        if not 0 <= self.clean_share <= 1:
            raise ValueError(f"clean_share must be in [0, 1], got {self.clean_share}")
        if not 1 <= self.max_defects <= 8:
            raise ValueError(f"max_defects must be between 1 and 8, got {self.max_defects}")
        if not 0 <= self.distractors <= 1:
            raise ValueError(f"distractors must be in [0, 1], got {self.distractors}")
        if self.weights and (len(self.weights) != len(DEFECT_TAXONOMY) or min(self.weights) < 0
                             or sum(self.weights) <= 0):
            raise ValueError(f"weights must be {len(DEFECT_TAXONOMY)} numbers >= 0 (not all 0), got {self.weights}")


@dataclass
class DefectPlan:
    """One defect to draw.

    Attributes:
        name: Class name (DEFECT_TAXONOMY).
        center: (x, y) on the canvas in pixels.
        size: Extent in pixels.
        seam: For open_seam, the seam's end points on the canvas.
        outward: For broken, unit vector out of the product at the center.
    """

    name: str
    center: tuple[float, float]
    size: float
    seam: tuple[tuple[float, float], tuple[float, float]] | None = None
    outward: tuple[float, float] = (0.0, -1.0)


@dataclass
class ScenePlan:
    """Every random decision about a photo that the renders with and without defects must share.

    Attributes:
        entropy: Seed of the photo; each render stage draws from its own stream derived from it.
        regime: "train" (train and val) or "test": which looks and parameter ranges are allowed.
        width: Photo width in pixels.
        height: Photo height in pixels.
        family: Material family of the product.
        variant: "family/variant" of the product's material.
        kind: "fabric", "leather" or "hard".
        outline: Product outline polygon (N×2, canvas pixels); it covers 40–100 % of the frame.
        defects: Defects to draw (empty for a clean photo).
        seams: Intact seams drawn as distractors (end points).
        light_angle: Radians; where the light comes from in the image plane.
        jpeg_quality: Quality the photo is saved at.
        distractors: Probability of each kind of defect-like intact feature (SceneOptions.distractors).
        profile: Split profile: under "textures" every regime draws categorical defect forms from the same values.
    """

    entropy: tuple[int, ...]
    regime: Regime
    width: int
    height: int
    family: str
    variant: str
    kind: str
    outline: np.ndarray
    defects: list[DefectPlan] = field(default_factory=list)
    seams: list[tuple[tuple[float, float], tuple[float, float]]] = field(default_factory=list)
    light_angle: float = 0.0
    jpeg_quality: int = 90
    distractors: float = 0.3
    profile: Profile = "strict"

    def rng(self, stream: int) -> np.random.Generator:
        """The random stream of one render stage: independent of whether other stages ran."""
        return np.random.default_rng([*self.entropy, stream])

    @property
    def light(self) -> tuple[float, float]:
        return math.cos(self.light_angle), math.sin(self.light_angle)


@dataclass
class Box:
    """A labelled defect in the final photo.

    Attributes:
        cls: Class id (index in DEFECT_TAXONOMY).
        x1: Left edge in pixels (inclusive).
        y1: Top edge in pixels (inclusive).
        x2: Right edge in pixels (exclusive).
        y2: Bottom edge in pixels (exclusive).
    """

    cls: int
    x1: int
    y1: int
    x2: int
    y2: int

    @property
    def name(self) -> str:
        return DEFECT_TAXONOMY[self.cls]

    def yolo(self, width: int, height: int) -> str:
        """The YOLO label line: class, centre and size normalised by the photo."""
        return (f"{self.cls} {(self.x1 + self.x2) / 2 / width:.6f} {(self.y1 + self.y2) / 2 / height:.6f} "
                f"{(self.x2 - self.x1) / width:.6f} {(self.y2 - self.y1) / height:.6f}")


@dataclass
class Scene:
    """A rendered photo.

    Attributes:
        image: (H, W, 3) uint8 RGB, before JPEG.
        boxes: Labelled defects (after every transform; tiny or mostly cropped ones dropped).
        plan: The plan it was rendered from.
        masks: Per planned defect, its final boolean mask (all False when not drawn or dropped).
    """

    image: np.ndarray
    boxes: list[Box]
    plan: ScenePlan
    masks: list[np.ndarray]


# ---------------------------------------------------------------- planning


def _outline(rng: np.random.Generator, kind: str, w: int, h: int, needs_edge: bool) -> np.ndarray:
    shapes = ("full", "panel") if kind != "hard" else ("full", "rounded", "ellipse")
    weights = (0.35, 0.65) if kind != "hard" else (0.25, 0.45, 0.3)
    shape = shapes[int(rng.choice(len(shapes), p=weights))]
    if needs_edge and shape == "full":
        shape = shapes[1]
    if shape == "full":
        return np.array([[-8, -8], [w + 8, -8], [w + 8, h + 8], [-8, h + 8]], np.float64)
    share = rng.uniform(0.45, 0.95)
    bw, bh = w * math.sqrt(share) * rng.uniform(0.85, 1.15), h * math.sqrt(share) * rng.uniform(0.85, 1.15)
    bw, bh = min(bw, w * 1.1), min(bh, h * 1.1)
    cx, cy = w / 2 + rng.uniform(-0.15, 0.15) * w, h / 2 + rng.uniform(-0.15, 0.15) * h
    angle = rng.normal(0, 0.15)
    t = np.linspace(0, 2 * np.pi, 120, endpoint=False)
    if shape == "ellipse":
        x, y = bw / 2 * np.cos(t), bh / 2 * np.sin(t)
    elif shape == "rounded":
        power = rng.uniform(4, 10)  # a superellipse: a box, a phone case, a tray with rounded corners
        x = bw / 2 * np.sign(np.cos(t)) * np.abs(np.cos(t)) ** (2 / power)
        y = bh / 2 * np.sign(np.sin(t)) * np.abs(np.sin(t)) ** (2 / power)
    else:
        x = bw / 2 * np.sign(np.cos(t)) * np.abs(np.cos(t)) ** 0.2
        y = bh / 2 * np.sign(np.sin(t)) * np.abs(np.sin(t)) ** 0.2
        wobble = sum(rng.normal(0, 0.02) * np.sin(k * t + rng.uniform(0, 6)) for k in range(2, 6))
        x, y = x * (1 + wobble), y * (1 + wobble)
    c, s = math.cos(angle), math.sin(angle)
    return np.stack([cx + x * c - y * s, cy + x * s + y * c], 1)


def _alpha(outline: np.ndarray, w: int, h: int) -> np.ndarray:
    return fill((h, w), [outline])


def _place(rng: np.random.Generator, name: str, alpha: np.ndarray, short: int, taken: list[tuple[float, float, float]]
           ) -> DefectPlan | None:
    h, w = alpha.shape
    lo, hi = SIZES[name]
    # log-uniform, leaning to the large end: customers mostly photograph the damage up close
    size = short * lo * (hi / lo) ** (rng.random() ** 0.75)
    if name == "broken":
        edge = (alpha > 0.2) & (alpha < 0.8)
        ys, xs = np.nonzero(edge)
        inside = (xs > 4) & (xs < w - 4) & (ys > 4) & (ys < h - 4)
        ys, xs = ys[inside], xs[inside]
        if len(xs) == 0:
            return None
        k = int(rng.integers(len(xs)))
        gy, gx = np.gradient(cv2.GaussianBlur(alpha, (0, 0), 3))
        n = -np.array([gx[ys[k], xs[k]], gy[ys[k], xs[k]]])
        n = n / (np.linalg.norm(n) + 1e-9)
        return DefectPlan(name, (float(xs[k]), float(ys[k])), size, outward=(float(n[0]), float(n[1])))
    depth = cv2.distanceTransform((alpha > 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    for _ in range(30):
        x, y = rng.uniform(0.05, 0.95) * w, rng.uniform(0.05, 0.95) * h
        if depth[int(y), int(x)] < min(size * 0.35, 20):
            continue
        if any(math.hypot(x - tx, y - ty) < 0.6 * (size + ts) / 2 for tx, ty, ts in taken):
            continue
        plan = DefectPlan(name, (x, y), size)
        if name == "open_seam":
            a = rng.uniform(0, np.pi)
            d = np.array([math.cos(a), math.sin(a)]) * (w + h)
            plan.seam = (tuple(np.array([x, y]) - d), tuple(np.array([x, y]) + d))
        return plan
    return None


def plan_scene(entropy: Sequence[int], regime: Regime, options: SceneOptions, profile: Profile = "strict"
               ) -> ScenePlan:
    """Decide everything about one photo: size, material, outline, defects and their places, light, JPEG quality.

    `profile` (a split profile) does not change the plan's draws, only which defect forms the render may draw."""
    rng = np.random.default_rng([*entropy, 0])
    aw, ah = ASPECTS[int(rng.integers(len(ASPECTS)))]
    scale = options.size / max(aw, ah)
    width, height = int(round(aw * scale)), int(round(ah * scale))
    clean = rng.random() < options.clean_share
    if clean:
        target = None
    elif options.weights:
        target = DEFECT_TAXONOMY[int(rng.choice(len(DEFECT_TAXONOMY), p=np.divide(options.weights,
                                                                                 sum(options.weights))))]
    else:
        target = DEFECT_TAXONOMY[int(rng.integers(len(DEFECT_TAXONOMY)))]
    family = pick_family(rng, target)
    variant = f"{family.name}/{family.variants.pick(rng, regime)}"
    names: list[str] = []
    if target is not None:
        count = 1 + int(rng.choice(options.max_defects, p=_count_weights(options.max_defects)))
        names = [target] + [target if rng.random() < 0.4 else str(rng.choice(family.classes))
                            for _ in range(count - 1)]
    outline = _outline(rng, family.kind, width, height, "broken" in names)
    alpha = _alpha(outline, width, height)
    short = min(width, height)
    defects: list[DefectPlan] = []
    taken: list[tuple[float, float, float]] = []
    for name in names:
        placed = _place(rng, name, alpha, short, taken)
        if placed is not None:
            defects.append(placed)
            taken.append((*placed.center, placed.size))
    seams = []
    if family.kind != "hard" and rng.random() < options.distractors:
        a = rng.uniform(0, np.pi)
        p = np.array([rng.uniform(0.1, 0.9) * width, rng.uniform(0.1, 0.9) * height])
        d = np.array([math.cos(a), math.sin(a)]) * (width + height)
        seams.append((tuple(p - d), tuple(p + d)))
    return ScenePlan(tuple(int(e) for e in entropy), regime, width, height, family.name, variant, family.kind,
                     outline, defects, seams, math.radians(LIGHT_ANGLE.pick(rng, regime)),
                     int(rng.integers(35, 96)), options.distractors, check_profile(profile))


def _count_weights(most: int) -> np.ndarray:
    weights = np.array([0.55, 0.3, 0.15, 0.1, 0.05, 0.05, 0.05, 0.05][:most])
    return weights / weights.sum()


# ---------------------------------------------------------------- rendering


def _background(plan: ScenePlan, rng: np.random.Generator) -> np.ndarray:
    """Clutter around the product: a photo, a table top, a wall or a cloth, with a few random objects on it."""
    h, w = plan.height, plan.width
    kind = BACKGROUNDS[int(rng.choice(4, p=[0.4, 0.25, 0.2, 0.15]))]
    if kind == "photo":
        out = photo_crop(BACKGROUND_PHOTOS.pick(rng, plan.regime), h, w, rng, rng.uniform(1.0, 2.5))
    elif kind in ("table", "cloth"):
        family = FAMILIES["wood" if kind == "table" else "weave"]
        out = render_material(family, h, w, rng, plan.regime).rgb
    else:
        _, colours = palette_colours(rng, plan.regime, 2)
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        out = np.broadcast_to(colours[0] * (1 - t) + colours[1] * t * 0.8, (h, w, 3)).astype(np.float32)
        out = out * (0.92 + 0.08 * fbm(rng, h, w, 60, 2))[..., None]
    out = np.ascontiguousarray(out, dtype=np.float32)
    for _ in range(int(rng.integers(0, 4))):
        _, (colour,) = palette_colours(rng, plan.regime, 1)
        shape = fill((h, w), [clutter_shape(rng, w, h)])
        out = out * (1 - shape[..., None]) + colour * (0.8 + 0.2 * fbm(rng, h, w, 40, 1))[..., None] * shape[..., None]
    return out.astype(np.float32)


def render_scene(plan: ScenePlan, with_defects: bool = True) -> Scene:
    """Render a planned photo. Without defects it is the identical photo minus the defects (same streams)."""
    w, h = plan.width, plan.height
    material = render_material(FAMILIES[plan.family], h, w, plan.rng(1), plan.regime, plan.variant.split("/", 1)[1])
    background = _background(plan, plan.rng(2))
    alpha = _alpha(plan.outline, w, h)
    if plan.kind == "hard":
        hard_finish(material, alpha, plan.light, plan.rng(3))
    draw_distractors(plan, material, alpha, plan.rng(4), plan.distractors)
    masks: list[np.ndarray] = []
    for k, defect in enumerate(plan.defects):
        seam_thread = None
        if defect.seam is not None:
            seam_thread = draw_seam(material.rgb, *defect.seam, plan.light, plan.rng(20 + k), plan.regime,
                                    plan.profile)
        mask = np.zeros((h, w), bool)
        if with_defects:
            half = int(defect.size * 0.7) + 8
            cx, cy = int(defect.center[0]), int(defect.center[1])
            x0, y0, x1, y1 = max(0, cx - half), max(0, cy - half), min(w, cx + half), min(h, cy + half)
            patch = Patch(material.rgb[y0:y1, x0:x1], alpha[y0:y1, x0:x1], background[y0:y1, x0:x1])
            seam = None
            if defect.seam is not None:
                seam = tuple((p[0] - x0, p[1] - y0) for p in defect.seam)
            ctx = DefectContext(material, (defect.center[0] - x0, defect.center[1] - y0), defect.size, plan.light,
                                plan.regime, seam, seam_thread, defect.outward, profile=plan.profile)
            drawn, changed = draw_defect(defect.name, patch, ctx, plan.rng(10 + k))
            material.rgb[y0:y1, x0:x1] = drawn.rgb
            alpha[y0:y1, x0:x1] = drawn.alpha
            mask[y0:y1, x0:x1] = changed
        masks.append(mask)
    if plan.kind != "hard":
        map_x, map_y, shade = folds(h, w, plan.light, plan.rng(5))
        material.rgb = cv2.remap(material.rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT) * \
            shade[..., None]
        alpha = cv2.remap(alpha, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        masks = [cv2.remap(m.astype(np.uint8), map_x, map_y, cv2.INTER_NEAREST) > 0 for m in masks]
    rng = plan.rng(6)
    lx, ly = plan.light
    shift = np.float32([[1, 0, -lx * rng.uniform(3, 12)], [0, 1, -ly * rng.uniform(3, 12)]])
    drop = cv2.GaussianBlur(cv2.warpAffine(alpha, shift, (w, h)), (0, 0), rng.uniform(3, 10))
    background = background * (1 - 0.45 * drop)[..., None]
    a = alpha[..., None]
    image = material.rgb * a + background * (1 - a)
    masks = [m & (alpha > 0.5) for m in masks]
    image, homography = photograph(image, plan.light, plan.regime, rng)
    image = lens_and_sensor(image, plan.rng(7))
    boxes, final = [], []
    for defect, mask in zip(plan.defects, masks):
        warped, box = warp_box(mask, homography, w, h)
        final.append(warped)
        if box is not None:
            boxes.append(Box(DEFECT_TAXONOMY.index(defect.name), *box))
    return Scene(image, boxes, plan, final)
