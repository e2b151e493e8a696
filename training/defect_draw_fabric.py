"""Drawers of the fabric defects (snag, hole, stain, tear, open seam, pilling) and of the intact seams they open."""

from __future__ import annotations

import math

import cv2
import numpy as np

from training.defect_draw_base import DefectContext, Patch, blob, fill, jagged, stroke
from training.materials import Material, Profile, Regime, choice, fbm, span

# form=True: a categorical defect form, shared by every split under the "textures" split profile
STAIN = choice("defect.stain.substance", ("coffee", "wine", "ink", "oil", "mud", "bleach", "sweat"),
               ("rust", "makeup"), form=True)
STAIN_DROPS = span("defect.stain.drops", (1, 4), (4, 7))
OPENING = choice("defect.opening.behind", ("skin", "dark", "background"), ("lining",), form=True)
SNAG = choice("defect.snag.form", ("loop", "pulled_tail", "long_thread"), ("loop_cluster",), form=True)
SNAG_THREAD = choice("defect.snag.thread", ("same", "lighter"), ("darker",), form=True)
TEAR = choice("defect.tear.form", ("slit", "l_shape"), ("branched",), form=True)
SEAM_STITCH = choice("defect.seam.stitch", ("single", "double"), ("zigzag",), form=True)
PILLING = choice("defect.pilling.balls", ("lighter", "same"), ("darker", "mixed"), form=True)
SKIN = ("#f1c6a7", "#e0ac8a", "#c68863", "#8d5a3b", "#5a3825")


def _hex(code: str) -> np.ndarray:
    return np.array([int(code[i:i + 2], 16) / 255 for i in (1, 3, 5)], np.float32)


def _normals(path: np.ndarray) -> np.ndarray:
    d = np.gradient(path, axis=0)
    d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-9
    return np.stack([-d[:, 1], d[:, 0]], 1)


def _opening_fill(patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> np.ndarray:
    """What shows through a hole, tear or open seam: skin, darkness, the scene behind, or a lining fabric."""
    h, w = patch.alpha.shape
    kind = OPENING.pick(rng, ctx.regime, ctx.profile)
    if kind == "background":
        return patch.behind.copy()
    if kind == "skin":
        tone = _hex(SKIN[int(rng.integers(len(SKIN)))]) * rng.uniform(0.85, 1.05)
        return tone * (0.9 + 0.15 * fbm(rng, h, w, 20, 2))[..., None]
    if kind == "dark":
        return np.full((h, w, 3), rng.uniform(0.02, 0.12), np.float32) * (0.7 + 0.6 * fbm(rng, h, w, 30, 1))[..., None]
    colour = np.clip(1 - ctx.material.base * rng.uniform(0.6, 1.0), 0.05, 0.95)  # a lining that contrasts
    stripes = 0.85 + 0.15 * (np.indices((h, w)).sum(0) % 4 < 2)
    return (colour * stripes[..., None]).astype(np.float32)


def _show_opening(patch: Patch, hole: np.ndarray, under: np.ndarray, light: tuple[float, float],
                  depth: float = 3.0) -> None:
    """Replace the hole's pixels by `under`, shadowed along the edge the light comes from."""
    shift = np.float32([[1, 0, -light[0] * depth], [0, 1, -light[1] * depth]])
    shadow = cv2.warpAffine(1 - hole, shift, hole.shape[::-1], borderMode=cv2.BORDER_REPLICATE)
    shade = 1 - 0.55 * np.clip(shadow, 0, 1)
    inner = under * shade[..., None]
    patch.rgb[:] = patch.rgb * (1 - hole[..., None]) + inner * hole[..., None]


def _threads(patch: Patch, segments: list[np.ndarray], colour: np.ndarray, strength: float = 0.9) -> None:
    layer = np.clip(stroke(patch.alpha.shape, segments, 1) * strength, 0, 1)
    patch.rgb[:] = patch.rgb * (1 - layer[..., None]) + colour * layer[..., None]


def _frayed_ends(outline: np.ndarray, ctx: DefectContext, rng: np.random.Generator, count: int,
                 reach: float) -> list[np.ndarray]:
    """Short thread ends sticking out of a cut edge, along the warp or weft direction."""
    ends = []
    for idx in rng.integers(0, len(outline), count):
        angle = ctx.material.angle + rng.choice([0, np.pi / 2, np.pi, 3 * np.pi / 2]) + rng.normal(0, 0.25)
        length = rng.uniform(0.3, 1.0) * reach
        start = outline[idx]
        mid = start + 0.5 * length * np.array([math.cos(angle), math.sin(angle)]) + rng.normal(0, 0.6, 2)
        ends.append(np.array([start, mid, start + length * np.array([math.cos(angle), math.sin(angle)])]))
    return ends


def _thread_colour(material: Material, rng: np.random.Generator) -> np.ndarray:
    return np.clip(material.thread * rng.uniform(1.05, 1.35) + 0.04, 0, 1).astype(np.float32)


# ---------------------------------------------------------------- fabric defects


def draw_snag(patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> None:
    """A pulled thread: yarn loops standing out of the cloth, or a long thread lying loose on it, and the puckered
    row of cloth the thread was gathered out of (a ridge with a lit and a shaded side)."""
    h, w = patch.alpha.shape
    cx, cy = ctx.center
    angle = ctx.material.angle + rng.choice([0, np.pi / 2]) + rng.normal(0, 0.08)
    d = np.array([math.cos(angle), math.sin(angle)])
    n = np.array([-d[1], d[0]])
    length = ctx.size
    form = SNAG.pick(rng, ctx.regime, ctx.profile)
    # yarn seen up close is several pixels thick: a customer zooms in on the snag
    yarn = max(1, int(round(length * rng.uniform(0.025, 0.05))))
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    s = (x - cx) * d[0] + (y - cy) * d[1]
    t = (x - cx) * n[0] + (y - cy) * n[1]
    taper = np.clip(1 - (2 * np.abs(s) / length) ** 4, 0, 1)
    width = rng.uniform(2.5, 5.0) * max(1.0, length / 120) + yarn
    near = taper * np.exp(-np.abs(t) / width)
    # the gathered cloth: pulled toward the taut thread and rippled across it
    pull = rng.uniform(1.2, 2.6) * near * max(1.0, yarn / 2)
    map_x = (x + pull * np.sign(t) * n[0]).astype(np.float32)
    map_y = (y + pull * np.sign(t) * n[1]).astype(np.float32)
    patch.rgb[:] = cv2.remap(patch.rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    wavelength = rng.uniform(4, 8) * max(1.0, length / 150)
    ripple = np.sin(2 * np.pi * s / wavelength + np.abs(t) * 0.3) * near * 0.3 * ctx.strength
    patch.rgb *= (1 + ripple)[..., None]
    mode = SNAG_THREAD.pick(rng, ctx.regime, ctx.profile)
    if mode == "darker" and float(ctx.material.base.mean()) < 0.3:
        mode = "lighter"  # a dark thread on dark cloth shows nothing; a pulled thread catches the light instead
    taut = {"same": np.clip(ctx.material.base * 1.2 + 0.06, 0, 1), "lighter": _thread_colour(ctx.material, rng),
            "darker": ctx.material.base * 0.45}[mode]
    taut = np.clip(ctx.material.base + (taut - ctx.material.base) * ctx.strength, 0, 1)
    # the puckered row: the thread drawn taut under the surface lifts a ridge, lit on one side, shaded on the other
    reach = 0.85 if form != "long_thread" else rng.uniform(0.4, 0.7)
    trail = np.array([np.array([cx, cy]) + d * u * length * 0.5 for u in np.linspace(-reach, reach, 32)])
    trail += n * rng.normal(0, 0.3, (len(trail), 1))
    side = 1.0 if float(np.dot(n, ctx.light)) > 0 else -1.0
    ridge = max(1.0, yarn * 0.7)
    lit = stroke((h, w), [trail + n * side * ridge], max(1, yarn // 2)) * taper
    dark = stroke((h, w), [trail - n * side * ridge], max(1, yarn // 2)) * taper
    depth = rng.uniform(0.15, 0.35) * min(1.5, ctx.strength)
    patch.rgb *= (1 - depth * dark)[..., None]
    patch.rgb[:] = patch.rgb + (depth * lit)[..., None] * (1 - patch.rgb)
    line = stroke((h, w), [trail], max(1, yarn // 2)) * taper * min(1.0, 0.8 * ctx.strength)
    patch.rgb[:] = patch.rgb * (1 - line[..., None]) + taut * line[..., None]
    paths = _snag_paths(form, np.array([cx, cy]), d, n, angle, length, yarn, rng)
    shadow = stroke((h, w), [p - np.array(ctx.light) * (1.5 + yarn) for p in paths], yarn + 1)
    patch.rgb *= (1 - 0.55 * cv2.GaussianBlur(shadow, (0, 0), 1.0 + yarn * 0.3))[..., None]
    loop = stroke((h, w), paths, yarn)
    patch.rgb[:] = patch.rgb * (1 - loop[..., None]) + taut * loop[..., None]
    shine = stroke((h, w), [p + np.array(ctx.light) * (0.3 * yarn + 0.3) for p in paths], max(1, yarn // 3)) * loop
    patch.rgb[:] = patch.rgb + (0.35 * shine)[..., None] * (1 - patch.rgb)


def _snag_paths(form: str, center: np.ndarray, d: np.ndarray, n: np.ndarray, angle: float, length: float, yarn: int,
                rng: np.random.Generator) -> list[np.ndarray]:
    """The pulled yarn itself: one loop, a row of loops, a loop with a loose tail, or a long loose thread."""
    if form == "long_thread":
        # the thread broke and was dragged out: it lies on the cloth in a lazy curve from the end of the row
        foot = center + d * length * rng.uniform(0.2, 0.5) * rng.choice([-1, 1])
        thread = jagged(foot, angle + rng.uniform(-0.9, 0.9), rng.uniform(0.5, 0.9) * length, rng,
                        max(2.0, yarn * 1.5), 0.18)
        return [thread]
    loops = int(rng.integers(2, 5)) if form == "loop_cluster" else 1
    paths = []
    for k in range(loops):
        at = rng.uniform(-0.25, 0.25) * length if loops == 1 else (k / (loops - 1) - 0.5) * 0.6 * length
        foot = rng.uniform(0.08, 0.18) * length + 2 * yarn
        lift = (rng.uniform(0.2, 0.45) * length * (0.6 if loops > 1 else 1.0) + 2 * yarn) * rng.choice([-1, 1])
        u = np.linspace(0, 1, 32)
        base = center + d * (at + (u[:, None] - 0.5) * foot)
        bulge = np.sin(np.pi * u) ** 0.7
        paths.append(base + n * (lift * bulge)[:, None] + d * (0.45 * abs(lift) * np.sin(2 * np.pi * u))[:, None])
    if form == "pulled_tail":
        tail = jagged(paths[0][-1], angle + rng.uniform(-1.2, 1.2), rng.uniform(0.25, 0.5) * length, rng,
                      max(2.5, yarn * 1.5), 0.4)
        paths.append(tail)
    return paths


def draw_hole(patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> None:
    """An irregular opening with frayed thread ends, showing whatever is behind the cloth."""
    shape = patch.alpha.shape
    radius = ctx.size / 2 * rng.uniform(0.7, 0.95)
    outline = blob(ctx.center, radius, rng, rng.uniform(0.15, 0.35), rng.uniform(0.7, 1.3), rng.uniform(0, np.pi),
                   vertices=96)
    outline += rng.normal(0, max(0.4, radius * 0.04), outline.shape)  # torn, not cut: a ragged rim
    hole = fill(shape, [outline])
    ring = np.clip(cv2.GaussianBlur(hole, (0, 0), 1.2 + radius * 0.05) - hole, 0, 1)
    patch.rgb *= (1 - 0.45 * ring)[..., None]
    under = _opening_fill(patch, ctx, rng) * rng.uniform(0.6, 0.9)  # what is behind lies in the cloth's shade
    _show_opening(patch, hole, under, ctx.light, 2 + radius * 0.12)
    ends = _frayed_ends(outline, ctx, rng, int(rng.integers(10, 24) + radius), max(3.0, radius * 0.4))
    _threads(patch, ends, _thread_colour(ctx.material, rng))


def draw_stain(patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> None:
    """Soft irregular drops of a substance multiplied into the cloth, sometimes with a darker tide line."""
    h, w = patch.alpha.shape
    substance = STAIN.pick(rng, ctx.regime, ctx.profile)
    luminance = float(ctx.material.base.mean())
    if luminance < 0.22 and substance not in ("bleach", "makeup"):
        substance = "sweat_salt"  # on dark cloth the stains that show are the pale ones
    colours = {"coffee": "#8a5a30", "wine": "#7a1e3c", "ink": "#26357a", "oil": "#707070", "mud": "#6e5a40",
               "rust": "#a4522a", "sweat": "#c8b060", "bleach": "#f2efe2", "makeup": "#e0a888",
               "sweat_salt": "#ece8dc"}
    tint = _hex(colours[substance])
    lighten = substance in ("bleach", "makeup", "sweat_salt")
    drops = int(round(STAIN_DROPS.pick(rng, ctx.regime)))
    coverage = np.zeros((h, w), np.float32)
    main = ctx.size / 2 * rng.uniform(0.6, 0.9)
    for k in range(drops):
        if k == 0:
            centre, radius = ctx.center, main
        else:
            radius = main * rng.uniform(0.12, 0.4)
            off = rng.uniform(0.5, 1.0) * (ctx.size / 2 - radius)
            a = rng.uniform(0, 2 * np.pi)
            centre = (ctx.center[0] + off * math.cos(a), ctx.center[1] + off * math.sin(a))
        outline = blob(centre, radius, rng, rng.uniform(0.15, 0.4), rng.uniform(0.7, 1.4), rng.uniform(0, np.pi))
        coverage = np.maximum(coverage, fill((h, w), [outline]))
    soft = rng.uniform(0.04, 0.15) * main
    m = cv2.GaussianBlur(coverage, (0, 0), max(0.8, soft))
    m *= 0.75 + 0.35 * fbm(rng, h, w, max(4.0, main / 3), 2)
    if rng.random() < 0.5 and not lighten:
        edge = np.clip(coverage - cv2.erode(coverage, np.ones((3, 3), np.uint8), iterations=2), 0, 1)
        m = m + 0.6 * cv2.GaussianBlur(edge, (0, 0), 1.0)
    m = np.clip(m, 0, 1.4)
    o = np.clip(m * rng.uniform(0.45, 0.9) * ctx.strength, 0, 1)[..., None]
    if lighten:
        patch.rgb[:] = patch.rgb + o * (tint - patch.rgb) * 0.8
    elif substance == "oil":
        patch.rgb *= 1 - 0.45 * o
    else:
        patch.rgb *= 1 - o * (1 - tint * 0.9)


def _tear_paths(ctx: DefectContext, rng: np.random.Generator) -> list[np.ndarray]:
    form = TEAR.pick(rng, ctx.regime, ctx.profile)
    angle = ctx.material.angle + rng.choice([0, np.pi / 2]) + rng.normal(0, 0.3)
    c = np.array(ctx.center)
    d = np.array([math.cos(angle), math.sin(angle)])
    length = ctx.size
    if form == "slit":
        return [jagged(c - d * length / 2, angle, length, rng, 3.0, 0.3)]
    if form == "l_shape":
        corner = c + rng.uniform(-0.15, 0.15, 2) * length
        turn = angle + np.pi / 2 * rng.choice([-1, 1])
        first = jagged(corner, angle + np.pi, length * 0.55, rng, 3.0, 0.2)[::-1]
        second = jagged(corner, turn, length * 0.45, rng, 3.0, 0.2)
        return [np.vstack([first, second[1:]])]
    main = jagged(c - d * length / 2, angle, length, rng, 3.0, 0.3)
    fork = main[len(main) // 2]
    branch = jagged(fork, angle + rng.choice([-1, 1]) * rng.uniform(0.7, 1.3), length * 0.4, rng, 3.0, 0.3)
    return [main, branch]


def draw_tear(patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> None:
    """A jagged slit or L-shaped rip, its edges pulled slightly apart over what is beneath, threads frayed."""
    shape = patch.alpha.shape
    paths = _tear_paths(ctx, rng)
    gap = np.zeros(shape, np.float32)
    edges = []
    for k, path in enumerate(paths):
        t = np.linspace(0, 1, len(path))
        opening = ctx.size * rng.uniform(0.025, 0.07) * (0.6 if k else 1.0) + 1.0
        half = np.maximum(0.7, opening * np.sin(np.pi * t) ** 0.6 * rng.uniform(0.6, 1.3, len(path)))
        normals = _normals(path)
        left, right = path + normals * half[:, None], path - normals * half[:, None]
        gap = np.maximum(gap, fill(shape, [np.vstack([left, right[::-1]])]))
        edges += [left, right]
    rim = np.clip(stroke(shape, edges, 1) - gap, 0, 1)
    _show_opening(patch, gap, _opening_fill(patch, ctx, rng) * rng.uniform(0.5, 0.85), ctx.light, 2.0)
    # the torn edges curl: one lip catches the light, the other falls into shade
    shift = np.float32([[1, 0, ctx.light[0] * 1.5], [0, 1, ctx.light[1] * 1.5]])
    lit = np.clip(cv2.warpAffine(gap, shift, gap.shape[::-1]) - gap, 0, 1)
    patch.rgb[:] = patch.rgb + (0.35 * lit)[..., None] * (1 - patch.rgb)
    patch.rgb[:] = patch.rgb * (1 - 0.4 * rim[..., None]) + _thread_colour(ctx.material, rng) * 0.4 * rim[..., None]
    outline = np.vstack(edges)
    ends = _frayed_ends(outline, ctx, rng, int(6 + len(outline) / 4), max(3.0, ctx.size * 0.06))
    _threads(patch, ends, _thread_colour(ctx.material, rng), 0.8)


def draw_seam(rgb: np.ndarray, p0: tuple[float, float], p1: tuple[float, float], light: tuple[float, float],
              rng: np.random.Generator, regime: Regime, profile: Profile = "strict") -> np.ndarray:
    """Draw an intact stitched seam across `rgb` in place (a groove, a puffed edge, rows of stitches); return the
    thread colour. Not a defect: the scene draws seams so that open_seam has one to open and as a distractor.
    `profile` is the split profile (whether the stitch style, a defect form, is shared by every split)."""
    h, w = rgb.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.array(p1, np.float64) - np.array(p0, np.float64)
    d /= np.linalg.norm(d) + 1e-9
    n = np.array([-d[1], d[0]])
    s = (x - p0[0]) * d[0] + (y - p0[1]) * d[1]
    t = (x - p0[0]) * n[0] + (y - p0[1]) * n[1]
    facing = float(n[0] * light[0] + n[1] * light[1])
    shade = 1 - 0.45 * np.exp(-(t / 1.1) ** 2) + 0.12 * np.sign(t) * facing * np.exp(-np.abs(t) / 5)
    shade = shade * np.where(t > 0, rng.uniform(0.93, 1.03), 1.0)  # the other panel's grain catches light differently
    rgb *= shade[..., None].astype(np.float32)
    mean = rgb.reshape(-1, 3).mean(0)
    thread = (np.clip(mean * rng.uniform(0.6, 1.3), 0, 1) if rng.random() < 0.6
              else np.array(rng.choice([[0.85, 0.65, 0.25], [0.95, 0.95, 0.92], [0.15, 0.15, 0.18]]), np.float32))
    style = SEAM_STITCH.pick(rng, regime, profile)
    period = rng.uniform(5, 9)
    offsets = [rng.uniform(3, 6)] if style != "double" else [rng.uniform(3, 5), rng.uniform(7, 10)]
    side = rng.choice([-1, 1])
    stitches = np.zeros((h, w), np.float32)
    for off in offsets:
        phase = (s / period) % 1.0
        along = np.clip(np.minimum(phase, 0.72 - phase) * 6, 0, 1) * (phase < 0.72)
        across = t - side * off
        if style == "zigzag":
            across = across - 1.8 * (np.abs((s / period) % 2.0 - 1.0) * 2 - 1)
        stitches = np.maximum(stitches, along * np.exp(-(across / 0.8) ** 2))
    rgb[:] = rgb * (1 - stitches[..., None]) + thread * (stitches * (0.85 + 0.15 * stitches))[..., None]
    return thread.astype(np.float32)


def draw_open_seam(patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> None:
    """A stretch of a seam whose stitches broke: the panels part over a gap with ladder threads and loose ends."""
    if ctx.seam is None:
        raise ValueError("open_seam needs the seam line the scene drew")
    shape = patch.alpha.shape
    p0, p1 = (np.array(p, np.float64) for p in ctx.seam)
    d = (p1 - p0) / (np.linalg.norm(p1 - p0) + 1e-9)
    n = np.array([-d[1], d[0]])
    c = p0 + d * float(np.dot(np.array(ctx.center) - p0, d))
    length = ctx.size
    t = np.linspace(-0.5, 0.5, 40)
    opening = length * rng.uniform(0.07, 0.18)
    half = opening * np.cos(np.pi * t) ** 0.8 * rng.uniform(0.85, 1.15, len(t)) + 0.5
    skew = rng.uniform(-0.3, 0.3) * opening
    line = c + d * (t[:, None] * length)
    left = line + n * (half + skew * np.cos(np.pi * t))[:, None]
    right = line - n * (half - skew * np.cos(np.pi * t))[:, None]
    gap = fill(shape, [np.vstack([left, right[::-1]])])
    _show_opening(patch, gap, _opening_fill(patch, ctx, rng), ctx.light, 2.5)
    thread = ctx.seam_thread if ctx.seam_thread is not None else _thread_colour(ctx.material, rng)
    rungs = []
    for k in range(1, len(t) - 1, 3):
        if rng.random() < 0.55:
            sag = rng.normal(0, 1.0, 2)
            rungs.append(np.array([left[k], (left[k] + right[k]) / 2 + sag, right[k]]))
    for end in (left[0], right[0], left[-1], right[-1]):
        rungs.append(jagged(end, rng.uniform(0, 2 * np.pi), rng.uniform(4, 10) * max(1.0, length / 80), rng, 2.0,
                            0.6))
    rim = np.clip(stroke(shape, [left, right], 1) - gap, 0, 1)
    patch.rgb *= (1 - 0.3 * rim)[..., None]
    _threads(patch, rungs, thread, 0.9)


def draw_pilling(patch: Patch, ctx: DefectContext, rng: np.random.Generator) -> None:
    """A patch of many small fuzzy fibre balls, each with a highlight and a shadow."""
    h, w = patch.alpha.shape
    cx, cy = ctx.center
    a, b = ctx.size / 2, ctx.size / 2 * rng.uniform(0.5, 1.0)
    radius_hint = 2.3 * max(1.0, ctx.size / 110)
    theta = rng.uniform(0, np.pi)
    count = int(np.clip(a * b / radius_hint ** 2 * rng.uniform(0.06, 0.14), 12, 500))
    r = rng.normal(0, 0.45, (count, 2)).clip(-1, 1) * np.array([a, b])
    c, s = math.cos(theta), math.sin(theta)
    pos = np.stack([cx + r[:, 0] * c - r[:, 1] * s, cy + r[:, 0] * s + r[:, 1] * c], 1)
    mode = PILLING.pick(rng, ctx.regime, ctx.profile)
    base = ctx.material.base
    colours = {"lighter": np.clip(base * 1.3 + 0.08, 0, 1), "same": np.clip(base * 1.05, 0, 1),
               "darker": base * 0.55, "mixed": np.clip(1.0 - base * 0.7, 0, 1)}
    colour = colours[mode]
    # fibre balls stand up from the cloth and catch light or shade: never the cloth's own colour, even on a
    # pattern whose light and dark threads average to it
    contrast = 0.25 * max(1.0, ctx.strength) + min(0.2, float(patch.rgb.mean(2).std()))
    if abs(float(colour.mean() - base.mean())) < contrast:
        colour = np.clip(base + np.sign(0.5 - base.mean()) * contrast, 0, 1)
    radius = rng.uniform(2.4, 4.0) * max(1.0, ctx.size / 110)
    balls = np.zeros((h, w), np.uint8)
    shadows = np.zeros((h, w), np.uint8)
    highlights = np.zeros((h, w), np.uint8)
    lx, ly = ctx.light
    for (x, y), k in zip(pos, rng.uniform(0.6, 1.4, count)):
        rad = max(1, int(round(radius * k * 16)))
        centre = (int(round(x * 16)), int(round(y * 16)))
        cv2.circle(shadows, (centre[0] - int(lx * rad * 0.8), centre[1] - int(ly * rad * 0.8)), rad, 255, -1,
                   cv2.LINE_AA, 4)
        cv2.circle(balls, centre, rad, 255, -1, cv2.LINE_AA, 4)
        cv2.circle(highlights, (centre[0] + int(lx * rad * 0.4), centre[1] + int(ly * rad * 0.4)), rad // 2, 255, -1,
                   cv2.LINE_AA, 4)
    ball = cv2.GaussianBlur(balls.astype(np.float32) / 255, (0, 0), 0.6)
    shadow = cv2.GaussianBlur(shadows.astype(np.float32) / 255, (0, 0), 0.8)
    highlight = highlights.astype(np.float32) / 255
    fuzz = np.exp(-(((np.mgrid[0:h, 0:w][1] - cx) / (a * 1.1)) ** 2 + ((np.mgrid[0:h, 0:w][0] - cy) / (a * 1.1)) ** 2))
    patch.rgb *= (1 + 0.08 * fuzz * (rng.random((h, w), dtype=np.float32) - 0.3))[..., None]
    patch.rgb *= (1 - 0.4 * shadow * (1 - ball))[..., None]
    grain = (0.8 + 0.4 * rng.random((h, w), dtype=np.float32))[..., None]
    patch.rgb[:] = patch.rgb * (1 - ball[..., None]) + colour * grain * ball[..., None]
    patch.rgb[:] = patch.rgb + 0.18 * (highlight * ball)[..., None] * (1 - patch.rgb)
