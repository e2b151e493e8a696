"""Draw the demo catalog's product photos (one 320×320 JPEG per catalog row), deterministically.

Each product gets a silhouette for its kind (cardigan, dress, jeans, mug, ...), its colours and a fabric or
surface pattern, on a light backdrop with a soft shadow, so that an ImageNet CNN can tell every product from
every other one, including those of the same category. Run: python scripts/make_demo_images.py
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import zlib
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw
from scipy.ndimage import gaussian_filter

logger = logging.getLogger("kefu.catalog_index")

S = 640  # drawn at twice the output size, then downsampled: cheap anti-aliasing
OUT = 320
HERE = Path(__file__).resolve().parents[1] / "catalog_index" / "demo"
YY, XX = np.mgrid[0:S, 0:S].astype(np.float32)

Fill = np.ndarray  # (S, S, 3) float32 in [0, 1]
Pts = list[tuple[float, float]]


def hexc(code: str) -> np.ndarray:
    return np.array([int(code[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float32) / 255.0


def tup(colour: np.ndarray | str) -> tuple[int, int, int]:
    c = hexc(colour) if isinstance(colour, str) else colour
    return tuple(int(round(float(v) * 255)) for v in np.clip(c, 0, 1))  # type: ignore[return-value]


def noise(rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Smooth noise in [-1, 1] with features about `sigma` pixels wide."""
    field = gaussian_filter(rng.standard_normal((S, S)).astype(np.float32), sigma)
    return field / (np.abs(field).max() + 1e-6)


def texture(name: str, scale: float = 1.0) -> np.ndarray:
    """A skimage texture (brick, grass, gravel) as zero-mean [-1, 1] relief, tiled to the canvas."""
    from skimage import data

    tile = Image.fromarray(getattr(data, name)())
    tile = tile.resize((max(8, int(tile.width * scale)), max(8, int(tile.height * scale))), Image.Resampling.BILINEAR)
    reps = (S // tile.height + 1, S // tile.width + 1)
    arr = np.tile(np.asarray(tile, dtype=np.float32), reps)[:S, :S] / 255.0
    arr -= arr.mean()
    return arr / (np.abs(arr).max() + 1e-6)


def solid(colour: str) -> Fill:
    return np.broadcast_to(hexc(colour), (S, S, 3)).copy()


def modulate(fill: Fill, relief: np.ndarray, amount: float) -> Fill:
    return np.clip(fill * (1.0 + amount * relief)[..., None], 0, 1)


def mix(a: Fill, b: Fill, weight: np.ndarray) -> Fill:
    return a * (1 - weight[..., None]) + b * weight[..., None]


# -- patterns -----------------------------------------------------------------------------------------------------

def rib_knit(colour: str, pitch: float = 14) -> Fill:
    rib = np.abs(np.sin(XX * math.pi / pitch)) * 2 - 1
    stitch = np.sin((YY + np.abs((XX % pitch) - pitch / 2) * 1.6) * math.pi / 7)
    return modulate(solid(colour), 0.6 * rib + 0.4 * stitch, 0.16)


def cable_knit(colour: str) -> Fill:
    period = 80
    local = (XX % period) - period / 2
    twist = np.sin(YY * 2 * math.pi / 70) * 13
    braid = np.exp(-((local - twist) ** 2) / 90) + np.exp(-((local + twist) ** 2) / 90)
    purl = (np.abs(local) > 30).astype(np.float32)
    relief = 1.4 * braid - 0.5 - 0.35 * purl + 0.25 * np.sin(YY * math.pi / 6)
    return modulate(solid(colour), relief, 0.22)


def stripes(a: str, b: str, width: float, angle: float = 0.0) -> Fill:
    t = YY * math.cos(angle) + XX * math.sin(angle)
    return mix(solid(a), solid(b), ((t // width) % 2).astype(np.float32))


def plaid(base: str, lines: list[tuple[str, float, float, float]]) -> Fill:
    """`lines`: (colour, period, width, opacity) bands drawn both horizontally and vertically (tartan)."""
    fill = solid(base)
    for colour, period, width, alpha in lines:
        band = (((XX % period) < width).astype(np.float32) + ((YY % period) < width).astype(np.float32)) * alpha
        fill = mix(fill, solid(colour), np.clip(band, 0, 1))
    return fill


def dots(base: str, dot: str, pitch: float, radius: float) -> Fill:
    row = YY // pitch
    dx = ((XX + (row % 2) * pitch / 2) % pitch) - pitch / 2
    dy = (YY % pitch) - pitch / 2
    return mix(solid(base), solid(dot), (dx * dx + dy * dy < radius * radius).astype(np.float32))


def camo(colours: list[str], rng: np.random.Generator) -> Fill:
    field = noise(rng, 22) + 0.5 * noise(rng, 9)
    edges = np.quantile(field, np.linspace(0, 1, len(colours) + 1)[1:-1])
    level = np.digitize(field, edges)
    return np.stack([hexc(c) for c in colours])[level]


def denim(colour: str, rng: np.random.Generator, fade: float = 0.25) -> Fill:
    twill = np.sin((XX + YY) * math.pi / 3.0)
    slub = noise(rng, 1.2)
    fill = modulate(solid(colour), 0.5 * twill + 0.5 * slub, 0.18)
    wash = np.exp(-(((XX - 320) / 170) ** 2 + ((YY - 330) / 200) ** 2))
    return mix(fill, solid("#E6EEF6"), fade * wash)


def flowers(base: str, petals: list[str], rng: np.random.Generator, count: int, size: float) -> Fill:
    img = Image.fromarray((solid(base) * 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(count):
        cx, cy = rng.uniform(0, S, 2)
        colour = petals[int(rng.integers(len(petals)))]
        for k in range(5):
            a = k * 2 * math.pi / 5 + rng.uniform(0, 1)
            px, py = cx + math.cos(a) * size * 0.6, cy + math.sin(a) * size * 0.6
            draw.ellipse((px - size / 2, py - size / 2, px + size / 2, py + size / 2), fill=tup(colour))
        draw.ellipse((cx - size / 3, cy - size / 3, cx + size / 3, cy + size / 3), fill=(250, 214, 90))
        leaf = (cx + size * 1.2, cy + size * 0.4)
        draw.ellipse((leaf[0] - size / 2, leaf[1] - size / 4, leaf[0] + size / 2, leaf[1] + size / 4), fill=(92, 140, 80))
    return np.asarray(img, dtype=np.float32) / 255.0


def quilted(colour: str, pitch: float = 48) -> Fill:
    u = ((XX + YY) % pitch) / pitch
    v = ((XX - YY) % pitch) / pitch
    puff = np.sin(u * math.pi) * np.sin(v * math.pi)
    return modulate(solid(colour), puff - 0.5, 0.3)


def wood(colour: str, rng: np.random.Generator) -> Fill:
    grain = np.sin((YY + 40 * noise(rng, 40) + 6 * noise(rng, 6)) * math.pi / 9)
    return modulate(solid(colour), 0.7 * grain + 0.3 * texture("grass", 0.6), 0.22)


def metal(colour: str, x0: float, x1: float) -> Fill:
    t = np.clip((XX - x0) / max(x1 - x0, 1), 0, 1)
    relief = 0.9 * np.cos(t * math.pi * 2.2 + 0.6) + 0.2 * np.sin(YY * 0.3)
    return modulate(solid(colour), relief, 0.35)


def mesh(colour: str, pitch: float = 12) -> Fill:
    hx = np.abs(((XX + (YY // pitch % 2) * pitch / 2) % pitch) - pitch / 2)
    hy = np.abs((YY % pitch) - pitch / 2)
    hole = ((hx < pitch * 0.22) & (hy < pitch * 0.22)).astype(np.float32)
    return mix(solid(colour), solid(colour) * 0.55, hole)


# -- shapes --------------------------------------------------------------------------------------------------------

def sym(half: Pts, cx: float = 320) -> Pts:
    """A left-right symmetric outline from its right half (top to bottom, x relative to the centre line)."""
    right = [(cx + x, y) for x, y in half]
    left = [(cx - x, y) for x, y in reversed(half)]
    return right + left


def mask_of(*shapes: tuple[str, object], cut: tuple[tuple[str, object], ...] = ()) -> Image.Image:
    mask = Image.new("L", (S, S), 0)
    draw = ImageDraw.Draw(mask)
    for shapes_, value in ((shapes, 255), (cut, 0)):
        for kind, geometry in shapes_:
            if kind == "poly":
                draw.polygon(geometry, fill=value)  # type: ignore[arg-type]
            elif kind == "ellipse":
                draw.ellipse(geometry, fill=value)  # type: ignore[arg-type]
            elif kind == "rect":
                draw.rounded_rectangle(geometry[0], radius=geometry[1], fill=value)  # type: ignore[index]
            elif kind == "line":
                draw.line(geometry[0], width=geometry[1], fill=value, joint="curve")  # type: ignore[index]
    return mask


def top_outline(sleeve: str, hem: float = 540, width: float = 118, shoulder: float = 150) -> Pts:
    if sleeve == "long":
        arm = [(118, shoulder + 5), (205, 330), (232, 505), (180, 518), (140, 360), (112, 275)]
    elif sleeve == "short":
        arm = [(118, shoulder + 5), (200, 215), (165, 290), (112, 262)]
    else:
        arm = [(100, shoulder + 5), (100, 250)]
    return sym([(55, shoulder - 12)] + arm + [(width, hem)])


class Photo:
    """A canvas being painted: backdrop first, then products layers with shading, shadow and outline."""

    def __init__(self, rng: np.random.Generator, backdrop: str):
        base = hexc(backdrop)
        light = 1.0 + 0.05 * (1 - YY / S)[..., None]
        self.pixels = np.clip(base * light + 0.012 * noise(rng, 3)[..., None], 0, 1)
        self.rng = rng

    def paint(self, mask: Image.Image, fill: Fill, *, shadow: float = 0.22, relief: float = 0.22,
              outline: float = 0.25, gloss: float = 0.0, light_x: float | None = None) -> None:
        alpha = np.asarray(mask, dtype=np.float32) / 255.0
        if shadow:
            shifted = np.roll(np.roll(alpha, 14, axis=0), 12, axis=1)
            self.pixels *= 1 - shadow * gaussian_filter(shifted, 16)[..., None]
        body = gaussian_filter(alpha, 14)
        shade = (1 - relief) + relief * body
        if light_x is not None:  # a cylinder lit from the left
            shade = shade * (0.72 + 0.38 * np.cos(np.clip((XX - light_x) / 150, -1.5, 1.5)))
        colour = fill * shade[..., None]
        if gloss:
            highlight = np.clip(gaussian_filter(alpha, 6) - 0.6, 0, 1) * (1 + noise(self.rng, 25)) ** 2
            colour = colour + gloss * np.clip(highlight - 0.7, 0, 1)[..., None]
        if outline:
            grown = gaussian_filter((gaussian_filter(alpha, 2) > 0.05).astype(np.float32), 1.0)
            edge = np.clip(grown - alpha, 0, 1)
            self.pixels *= 1 - outline * edge[..., None]
        self.pixels = self.pixels * (1 - alpha[..., None]) + np.clip(colour, 0, 1) * alpha[..., None]

    def ground_shadow(self, cx: float, cy: float, rx: float, ry: float, strength: float = 0.3) -> None:
        dist = ((XX - cx) / rx) ** 2 + ((YY - cy) / ry) ** 2
        self.pixels *= 1 - strength * np.exp(-dist * 2.2)[..., None]

    def draw(self, action: Callable[[ImageDraw.ImageDraw], None]) -> None:
        """Crisp details (buttons, zips, stitching) drawn straight onto the canvas."""
        img = self.image()
        action(ImageDraw.Draw(img))
        self.pixels = np.asarray(img, dtype=np.float32) / 255.0

    def image(self) -> Image.Image:
        return Image.fromarray((np.clip(self.pixels, 0, 1) * 255 + 0.5).astype(np.uint8))


def buttons(points: Pts, r: float, colour: str, rim: str = "#000000") -> Callable[[ImageDraw.ImageDraw], None]:
    def action(d: ImageDraw.ImageDraw) -> None:
        for x, y in points:
            d.ellipse((x - r, y - r, x + r, y + r), fill=tup(colour), outline=tup(rim), width=2)
            d.ellipse((x - r * 0.45, y - r * 0.6, x - r * 0.05, y - r * 0.2), fill=(255, 255, 255))
    return action


def zip_line(points: Pts, width: int = 10) -> Callable[[ImageDraw.ImageDraw], None]:
    def action(d: ImageDraw.ImageDraw) -> None:
        d.line(points, fill=(70, 70, 74), width=width + 4)
        d.line(points, fill=(200, 202, 206), width=width)
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            steps = int(math.hypot(x1 - x0, y1 - y0) // 9)
            for i in range(steps):
                x, y = x0 + (x1 - x0) * i / max(steps, 1), y0 + (y1 - y0) * i / max(steps, 1)
                d.line((x - width / 2, y, x + width / 2, y), fill=(120, 120, 126), width=2)
        x, y = points[0]
        d.rounded_rectangle((x - 9, y, x + 9, y + 34), radius=4, fill=(215, 215, 220), outline=(80, 80, 80), width=2)
    return action


def stitching(points: Pts, colour: str, width: int = 3, dash: float = 10) -> Callable[[ImageDraw.ImageDraw], None]:
    def action(d: ImageDraw.ImageDraw) -> None:
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            length = math.hypot(x1 - x0, y1 - y0)
            for i in range(int(length // (2 * dash))):
                a, b = 2 * i * dash / length, (2 * i + 1) * dash / length
                d.line((x0 + (x1 - x0) * a, y0 + (y1 - y0) * a, x0 + (x1 - x0) * b, y0 + (y1 - y0) * b),
                       fill=tup(colour), width=width)
    return action


# -- how a product looks: colour and surface from its words ---------------------------------------------------------

# Longer words first: 海军蓝 must win over 蓝, 酒红 over 红.
COLOURS: list[tuple[str, str]] = [
    ("荧光绿", "#A4F02A"), ("海军蓝", "#1F2E57"), ("水洗蓝", "#6F95C2"), ("深蓝", "#1E3461"), ("浅蓝", "#A8C6E6"),
    ("雾蓝", "#8AA3BE"), ("墨绿", "#1E4D3B"), ("军绿", "#4B5320"), ("酒红", "#6E1423"), ("正红", "#C8102E"),
    ("奶白", "#F0E4CB"), ("燕麦", "#CBB48C"), ("驼", "#BF935E"), ("米色", "#DCC9A2"), ("胡桃", "#5A3820"),
    ("琥珀", "#C47A17"), ("玫瑰", "#F2B8C3"), ("青花", "#F4F6FA"), ("银", "#B9BEC4"), ("棕", "#7A4626"),
    ("粉", "#F29BB8"), ("灰", "#8A8782"), ("黄", "#F6C81E"), ("黑", "#19191B"), ("白", "#F6F6F3"), ("红", "#B51F2B"),
    ("蓝", "#3E6FB0"), ("绿", "#3C7A45"),
    ("neon", "#A4F02A"), ("navy", "#1F2E57"), ("cream", "#F0E4CB"), ("oatmeal", "#CBB48C"), ("camel", "#BF935E"),
    ("beige", "#DCC9A2"), ("walnut", "#5A3820"), ("amber", "#C47A17"), ("silver", "#B9BEC4"), ("brown", "#7A4626"),
    ("pink", "#F29BB8"), ("grey", "#8A8782"), ("yellow", "#F6C81E"), ("black", "#19191B"), ("white", "#F6F6F3"),
    ("red", "#B51F2B"), ("blue", "#3E6FB0"), ("green", "#3C7A45"),
]
BACKDROPS = ["#F3EFE8", "#EDF1F4", "#F2ECEF", "#EDF2EC", "#F4F1E6", "#EBEEF3"]


class Look:
    """A product's words turned into drawing decisions (colour, surface) plus a per-SKU random generator."""

    def __init__(self, row: dict[str, str]):
        self.sku = row["sku"]
        self.title = row["title"]
        self.words = " ".join([row["title"], row.get("description", ""), row.get("style_tags", "").replace("|", " ")])
        self.rng = np.random.default_rng(zlib.crc32(self.sku.encode()))
        self.colour = self._colour()

    def has(self, *words: str) -> bool:
        return any(word in self.words for word in words)

    def in_title(self, *words: str) -> bool:
        return any(word in self.title for word in words)

    def _colour(self) -> str:
        for text in (self.title, self.words):
            for word, code in COLOURS:
                if word in text:
                    return code
        for words, code in ((("碎花", "floral"), "#B9D3EE"), (("帆布", "canvas"), "#E6DCC3")):
            if self.has(*words):  # no colour named: the material's usual one
                return code
        return "#%02X%02X%02X" % tuple(int(v) for v in self.rng.integers(60, 200, 3))

    def backdrop(self) -> str:
        light = float(hexc(self.colour) @ np.array([0.3, 0.59, 0.11]))
        if light > 0.8:  # white and cream products need a darker backdrop to stand out
            return ["#D5DCE4", "#DCD5CC", "#D3DBD6"][zlib.crc32(self.sku.encode()) % 3]
        return BACKDROPS[zlib.crc32(self.sku.encode()) % len(BACKDROPS)]

    def fabric(self) -> Fill:
        c, rng = self.colour, self.rng
        if self.has("条纹", "stripe"):
            return stripes(c, "#F3F1EA", 26)
        if self.has("格纹", "plaid"):
            if self.has("红黑"):
                return plaid("#B8242C", [("#1A1A1A", 120, 60, 0.75), ("#1A1A1A", 20, 3, 0.4)])
            if self.colour == "#BF935E":
                return plaid(c, [("#6B4A2C", 90, 10, 0.7), ("#E8D5B5", 90, 3, 0.8)])
            return plaid(c, [("#1E2A1E", 96, 26, 0.7), ("#2A3E6A", 96, 10, 0.6), ("#F2D24B", 48, 3, 0.8)])
        if self.has("波点", "dots"):
            return dots(c, "#FFFFFF", 46, 11)
        if self.has("碎花"):
            return flowers(c, ["#E85D75", "#FFFFFF", "#F2A541"], rng, 170, 20)
        if self.has("迷彩", "camo"):
            return camo(["#2F3A1F", "#4B5320", "#7A8450", "#8B7B58"], rng)
        if self.has("粗针", "粗棒针"):
            return cable_knit(c)
        if self.has("针织", "knit"):
            return rib_knit(c)
        if self.has("牛仔", "denim"):
            return denim(c, rng, 0.3 if self.has("浅蓝", "水洗") else 0.12)
        if self.has("皮", "leather"):
            return modulate(solid(c), texture("gravel", 0.5), 0.12)
        if self.has("帆布", "canvas", "亚麻", "linen"):
            weave = np.sin(XX * math.pi / 2.5) * np.sin(YY * math.pi / 2.5)
            return modulate(solid(c), 0.5 * weave + 0.5 * noise(rng, 1.5), 0.12)
        return modulate(solid(c), noise(rng, 2), 0.05)


# -- products -------------------------------------------------------------------------------------------------------

def draw_top(photo: Photo, look: Look) -> None:
    cardigan, turtle = look.in_title("开衫"), look.in_title("高领")
    tee = look.in_title("T恤")
    outline = top_outline("short" if tee else "long", hem=520 if tee else 540, width=112 if tee else 120)
    neck = ("ellipse", (262, 100, 378, 175)) if not turtle else ("ellipse", (290, 140, 350, 150))
    cut = [neck] + ([("poly", [(296, 150), (344, 150), (322, 330)])] if cardigan else [])
    photo.paint(mask_of(("poly", outline), cut=tuple(cut)), look.fabric())
    if turtle:
        collar = mask_of(("rect", ((262, 72, 378, 160), 26)))
        photo.paint(collar, rib_knit(look.colour, 10), shadow=0.1)
    elif not cardigan:
        band = mask_of(("ellipse", (250, 88, 390, 187)), cut=(("ellipse", (264, 101, 376, 173)),))
        photo.paint(band, rib_knit(look.colour if not look.has("条纹") else "#1F2E57", 8), shadow=0)
    for x0 in (88, 462) if not tee else ():
        photo.paint(mask_of(("rect", ((x0 + 8, 488, x0 + 90, 524), 8))), rib_knit(look.colour, 8), shadow=0)
    if cardigan:
        photo.draw(buttons([(322, 350 + 40 * i) for i in range(5)], 10, "#FBF8F2", "#B8AE9E"))
        photo.draw(lambda d: d.line([(322, 330), (322, 540)], fill=tup(hexc(look.colour) * 0.8), width=3))
    if tee and look.has("纯棉") and not look.has("印花"):
        photo.draw(stitching([(208, 505), (432, 505)], "#C9C9C4", 2, 6))


def draw_dress(photo: Photo, look: Look) -> None:
    pinafore = look.in_title("背带")
    if pinafore:  # a white blouse under the straps
        photo.paint(mask_of(("poly", top_outline("short", hem=330, width=100))), solid("#F7F7F4"))
        photo.paint(mask_of(("ellipse", (282, 120, 358, 160))), solid("#EFEFEA"), shadow=0)
        outline = sym([(70, 230), (78, 330), (190, 600)])
        parts = [("poly", outline), ("line", ([(250, 240), (262, 132)], 26)), ("line", ([(390, 240), (378, 132)], 26))]
        photo.paint(mask_of(*parts), look.fabric())
        photo.draw(buttons([(262, 236), (378, 236)], 9, "#D9B44A", "#6E5414"))
        return
    short_sleeve = look.has("碎花")
    half: Pts = [(42, 120), (96, 128)]
    half += [(160, 175), (128, 235), (96, 215)] if short_sleeve else [(92, 150)]
    half += [(84, 320), (76, 330), (210, 600)] if not short_sleeve else [(74, 300), (70, 318), (205, 600)]
    cut = (("poly", [(278, 118), (362, 118), (320, 205)]),) if short_sleeve else (("ellipse", (272, 95, 368, 150)),)
    photo.paint(mask_of(("poly", sym(half)), cut=cut), look.fabric(), gloss=0.0 if short_sleeve else 0.35)
    if short_sleeve:  # waist tie
        photo.paint(mask_of(("rect", ((244, 300, 396, 322), 6)), ("poly", [(320, 310), (300, 400), (318, 398)]),
                            ("poly", [(320, 310), (350, 396), (334, 402)])), solid("#F6F1E4"), shadow=0.05)
    else:  # a thin belt catches the light on black
        photo.draw(lambda d: d.line([(246, 322), (394, 322)], fill=(70, 70, 74), width=6))


def draw_jacket(photo: Photo, look: Look) -> None:
    coat, leather = look.in_title("大衣"), look.has("皮夹克", "leather")
    hem = 600 if coat else 500
    outline = top_outline("long", hem=hem, width=138 if coat else 124, shoulder=140)
    photo.paint(mask_of(("poly", outline)), look.fabric(), gloss=0.55 if leather else 0.0)
    dark = tup(hexc(look.colour) * 0.6)
    lapel_l, lapel_r = [(264, 128), (320, 170), (290, 300), (248, 210)], [(376, 128), (320, 170), (350, 300), (392, 210)]
    if coat:
        photo.paint(mask_of(("poly", lapel_l), ("poly", lapel_r)), look.fabric(), shadow=0.25, relief=0.4)
        photo.draw(buttons([(x, y) for y in (330, 410, 490) for x in (286, 354)], 11, "#3B2A1C", "#1A120B"))
    elif leather:
        photo.paint(mask_of(("poly", [(250, 125), (330, 150), (300, 250), (230, 215)]),
                            ("poly", [(390, 125), (320, 150), (395, 225)])), look.fabric(), gloss=0.6, relief=0.5)
        photo.draw(zip_line([(368, 190), (300, 495)], 8))
        photo.draw(zip_line([(228, 250), (262, 330)], 6))
        photo.draw(lambda d: d.rectangle((204, 478, 436, 496), fill=dark, outline=(150, 150, 155), width=2))
        photo.draw(buttons([(272, 150), (368, 150)], 7, "#D0D0D4", "#555555"))
    else:  # denim: pointed collar, central zip, two flap pockets, copper stitching
        photo.paint(mask_of(("poly", [(262, 120), (320, 150), (278, 212)]), ("poly", [(378, 120), (320, 150), (362, 212)])),
                    look.fabric(), shadow=0.3, relief=0.5)
        photo.draw(zip_line([(320, 150), (320, 498)], 10))
        for x0 in (236, 346):
            photo.draw(lambda d, x0=x0: d.rectangle((x0, 240, x0 + 58, 300), outline=(196, 134, 60), width=3))
            photo.draw(stitching([(x0, 262), (x0 + 58, 262)], "#C4863C", 3, 6))
        photo.draw(stitching([(204, 470), (436, 470)], "#C4863C", 3, 8))


def draw_jeans(photo: Photo, look: Look) -> None:
    wide = look.in_title("阔腿")
    leg = [(112, 120), (124, 600), (12, 600), (0, 280)] if not wide else [(118, 120), (178, 600), (8, 600), (0, 280)]
    photo.paint(mask_of(("poly", sym(leg))), look.fabric())
    photo.paint(mask_of(("rect", ((206, 84, 434, 124), 6))), look.fabric(), shadow=0.05, relief=0.4)
    photo.draw(buttons([(320, 104)], 9, "#B88A3E", "#5A4318"))
    photo.draw(stitching([(320, 124), (320, 250), (300, 275)], "#D9913E", 3, 6))
    photo.draw(stitching([(220, 140), (272, 190)], "#D9913E", 3, 6))
    photo.draw(stitching([(420, 140), (368, 190)], "#D9913E", 3, 6))
    if look.in_title("破洞"):
        def rips(d: ImageDraw.ImageDraw) -> None:
            for cx, cy in ((250, 360), (258, 392), (400, 330), (392, 470)):
                for k in range(6):
                    y = cy + k * 6
                    d.line((cx - 26 + 3 * (k % 2), y, cx + 26 - 2 * (k % 3), y), fill=(246, 246, 240), width=3)
        photo.draw(rips)


def draw_skirt(photo: Photo, look: Look) -> None:
    half: Pts = [(84, 120), (92, 150), (190, 560)]
    fold = np.sin(np.arctan2(XX - 320, YY + 260) * 70)
    fill = modulate(look.fabric(), fold, 0.28)
    photo.paint(mask_of(("poly", sym(half))), fill)
    photo.paint(mask_of(("rect", ((234, 108, 406, 150), 6))), solid(look.colour), shadow=0.05)


def draw_scarf(photo: Photo, look: Look) -> None:
    body = [(180, 70), (300, 70), (330, 330), (470, 430), (420, 540), (260, 420), (200, 330)]
    photo.paint(mask_of(("poly", body)), look.fabric(), relief=0.3)
    fringe = tup(hexc(look.colour) * 0.8)
    photo.draw(lambda d: [d.line((r, 540, r + 6, 575), fill=fringe, width=4) for r in range(420, 470, 9)])
    photo.draw(lambda d: [d.line((185 + i * 10, 70, 183 + i * 10, 40), fill=fringe, width=4) for i in range(12)])


def draw_hat(photo: Photo, look: Look) -> None:
    photo.paint(mask_of(("ellipse", (110, 330, 530, 470))), look.fabric(), relief=0.3)
    photo.paint(mask_of(("poly", [(220, 170), (420, 170), (452, 400), (188, 400)]), ("ellipse", (220, 140, 420, 200))),
                look.fabric(), relief=0.35, shadow=0.15)
    ring = tup(hexc(look.colour) * 0.78)
    photo.draw(lambda d: [d.arc((130 + k, 345 + k * 0.33, 510 - k, 455 - k * 0.33), 0, 180, fill=ring, width=3)
                          for k in (12, 28, 44)])
    photo.draw(lambda d: d.line([(192, 372), (448, 372)], fill=ring, width=4))


def draw_bag(photo: Photo, look: Look) -> None:
    if look.in_title("链条", "小方包"):
        photo.draw(lambda d: [d.ellipse((320 + 150 * math.cos(a) - 11, 280 - 190 * math.sin(a) - 7,
                                         320 + 150 * math.cos(a) + 11, 280 - 190 * math.sin(a) + 7),
                                        outline=(201, 160, 60), width=5) for a in np.linspace(0.05, math.pi - 0.05, 26)])
        photo.paint(mask_of(("rect", ((180, 260, 460, 500), 26))), quilted(look.colour))
        photo.paint(mask_of(("poly", [(180, 270), (460, 270), (460, 330), (320, 400), (180, 330)])), solid(look.colour),
                    shadow=0.2, relief=0.3, gloss=0.2)
        photo.draw(lambda d: d.rounded_rectangle((300, 375, 340, 405), radius=6, fill=(214, 176, 80), outline=(120, 90, 30), width=3))
        return
    canvas = look.has("帆布", "canvas")
    handle = (60 if canvas else 26, (150, 130, 100) if canvas else tup(hexc(look.colour) * 0.7))
    photo.draw(lambda d: [d.arc((x - 62, 80 if canvas else 130, x + 62, 340), 180, 360, fill=handle[1], width=handle[0] // 3)
                          for x in (250, 390)])
    if canvas:
        photo.paint(mask_of(("rect", ((160, 220, 480, 580), 6))), look.fabric())
        photo.paint(mask_of(("ellipse", (240, 300, 400, 460))), solid("#E2572B"), shadow=0, relief=0)
        photo.draw(lambda d: [d.line([(x, 470 + 26 * k + 14 * math.sin(x / 18 + k)) for x in range(190, 452, 6)],
                                     fill=(24, 70, 120), width=8) for k in (0, 1, 2)])
    else:
        photo.paint(mask_of(("poly", [(150, 250), (490, 250), (450, 560), (190, 560)])), look.fabric(), gloss=0.25)
        photo.draw(stitching([(166, 268), (474, 268)], "#E7C9A0", 3, 7))
        photo.draw(lambda d: d.rounded_rectangle((298, 255, 342, 300), radius=5, fill=(196, 160, 90), outline=(90, 60, 20), width=3))


def draw_shoe(photo: Photo, look: Look) -> None:
    runner, mary = look.in_title("跑鞋", "运动"), look.in_title("玛丽珍")
    photo.ground_shadow(320, 470, 260, 40)
    if mary:
        upper = [(100, 430), (130, 340), (250, 330), (330, 380), (470, 350), (540, 400), (545, 450), (100, 455)]
        photo.paint(mask_of(("poly", upper)), solid(look.colour), gloss=0.9, relief=0.45)
        photo.paint(mask_of(("ellipse", (230, 345, 420, 410))), solid("#3A0A12"), shadow=0, relief=0.2)
        photo.draw(lambda d: d.line([(300, 378), (440, 342)], fill=tup(hexc(look.colour) * 0.9), width=18))
        photo.draw(buttons([(438, 344)], 9, "#D8C27A", "#5B4B1F"))
        photo.paint(mask_of(("rect", ((460, 440, 530, 480), 4)), ("rect", ((96, 446, 300, 466), 6))), solid("#2A0A10"), shadow=0)
        return
    sole_h = 60 if runner else 38
    photo.paint(mask_of(("rect", ((80, 470 - sole_h, 560, 478), 22))),
                solid("#FAFAFA") if runner else solid("#E9E4D8"), shadow=0.25, relief=0.3)
    upper = [(96, 470 - sole_h), (120, 330), (230, 300), (330, 250), (430, 250), (540, 330), (558, 470 - sole_h)]
    fill = mesh(look.colour) if runner else modulate(solid(look.colour), noise(look.rng, 1.5), 0.04)
    photo.paint(mask_of(("poly", upper)), fill, relief=0.35)
    if runner:
        photo.draw(lambda d: d.line([(170, 390), (300, 340), (460, 372)], fill=(30, 36, 50), width=16, joint="curve"))
    else:
        photo.draw(lambda d: [d.ellipse((160 + 16 * i, 360, 166 + 16 * i, 366), fill=(190, 190, 185)) for i in range(8)])
        photo.paint(mask_of(("rect", ((440, 300, 545, 400), 30))), solid("#2E7D4F"), shadow=0, relief=0.2)
    lace = (245, 245, 245) if runner else (235, 235, 230)
    photo.draw(lambda d: [d.line((300 + 22 * i, 270 + 6 * i, 320 + 22 * i, 300 + 6 * i), fill=lace, width=7) for i in range(6)])


def draw_vessel(photo: Photo, look: Look) -> None:
    """Mug, bowl, vase, bottle and jar: things that stand on the table."""
    c = look.colour
    if look.in_title("马克杯"):
        photo.ground_shadow(310, 530, 200, 30)
        photo.paint(mask_of(("ellipse", (380, 250, 520, 440)), cut=(("ellipse", (408, 285, 490, 405)),)),
                    solid(c), relief=0.4)
        body = mask_of(("rect", ((160, 180, 420, 540), 30)))
        fill = flowers(c, ["#1F4E9C", "#2C5FB3"], look.rng, 70, 22)
        fill = mix(fill, solid("#1F4E9C"), (np.abs(YY - 240) < 8).astype(np.float32) + (np.abs(YY - 490) < 6).astype(np.float32))
        photo.paint(body, fill, light_x=250, relief=0.2)
        photo.paint(mask_of(("ellipse", (160, 160, 420, 200))), solid("#DDE2EA"), shadow=0, relief=0.3)
    elif look.in_title("碗"):
        photo.ground_shadow(320, 500, 230, 34)
        bowl = mask_of(("ellipse", (110, 160, 530, 520)), cut=(("rect", ((0, 0, S, 300), 0)),))
        speckle = modulate(solid(c), texture("gravel", 0.35), 0.35)
        photo.paint(bowl, speckle, light_x=260)
        photo.paint(mask_of(("ellipse", (110, 262, 530, 338))), solid("#ECE6DA"), shadow=0, relief=0.2)
        photo.paint(mask_of(("ellipse", (130, 272, 510, 330))), modulate(solid("#6F6C67"), texture("gravel", 0.35), 0.3), shadow=0)
        photo.paint(mask_of(("rect", ((250, 500, 390, 530), 10))), speckle, shadow=0)
    elif look.in_title("花瓶"):
        photo.ground_shadow(320, 575, 140, 24)
        ys = np.linspace(90, 570, 60)
        radius = 48 + 80 * np.exp(-((ys - 420) / 110) ** 2) + 20 * np.exp(-((ys - 95) / 20) ** 2)
        vase = mask_of(("poly", [(320 + r, y) for r, y in zip(radius, ys)] + [(320 - r, y) for r, y in zip(radius[::-1], ys[::-1])]))
        glass = mix(solid(c), solid("#FFE3A8"), np.clip(1 - np.abs(XX - 270) / 26, 0, 1) * 0.8)
        photo.paint(vase, glass, light_x=280, gloss=0.5, relief=0.45)
        photo.draw(lambda d: d.ellipse((272, 78, 368, 108), outline=tup(hexc(c) * 0.6), width=5))
    elif look.in_title("保温杯", "瓶"):
        photo.ground_shadow(320, 590, 120, 20)
        photo.paint(mask_of(("rect", ((236, 140, 404, 590), 40))), metal(c, 236, 404), light_x=300, gloss=0.4)
        photo.paint(mask_of(("rect", ((246, 60, 394, 150), 18))), metal("#4A4D52", 246, 394), shadow=0.1)
        photo.draw(lambda d: d.line([(240, 150), (400, 150)], fill=(60, 60, 64), width=6))
    else:  # cream jar
        photo.ground_shadow(320, 500, 220, 30)
        photo.paint(mask_of(("rect", ((140, 300, 500, 500), 40))), solid(c), light_x=260, relief=0.3)
        photo.paint(mask_of(("rect", ((130, 210, 510, 310), 26))), metal("#C9977B", 130, 510), gloss=0.4)
        label = mask_of(("ellipse", (250, 340, 390, 470)))
        photo.paint(label, flowers("#FFF7F4", ["#D6336C", "#E8577E"], look.rng, 14, 30), shadow=0, relief=0.1)


def draw_home(photo: Photo, look: Look) -> None:
    c = look.colour
    if look.in_title("砧板"):
        board = mask_of(("rect", ((110, 170, 530, 560), 60)), ("rect", ((270, 60, 370, 200), 30)), cut=(("ellipse", (300, 85, 340, 125)),))
        photo.paint(board, wood(c, look.rng), relief=0.3)
    elif look.in_title("台灯", "灯"):
        photo.ground_shadow(320, 575, 160, 22)
        photo.paint(mask_of(("ellipse", (200, 540, 440, 590))), solid(c), relief=0.5)
        photo.draw(lambda d: d.line([(320, 560), (320, 260)], fill=(205, 170, 100), width=12))
        photo.paint(mask_of(("poly", [(250, 100), (390, 100), (490, 290), (150, 290)])), solid(c), light_x=280, relief=0.3)
        photo.paint(mask_of(("ellipse", (150, 270, 490, 310))), solid("#FFF2C6"), shadow=0, relief=0.1)
    elif look.in_title("抱枕"):
        pillow = [(110, 110), (320, 140), (530, 110), (500, 320), (530, 530), (320, 500), (110, 530), (140, 320)]
        weave = np.sin(XX * math.pi / 3) * np.sin(YY * math.pi / 3)
        fill = modulate(solid(c), 0.5 * weave + 0.5 * noise(look.rng, 1.3) + 0.5 * noise(look.rng, 30), 0.12)
        photo.paint(mask_of(("poly", pillow)), fill, relief=0.45)
        photo.draw(lambda d: d.line(pillow + pillow[:1], fill=tup(hexc(c) * 0.75), width=6, joint="curve"))
    elif look.in_title("口红"):
        photo.ground_shadow(320, 560, 200, 24)
        photo.paint(mask_of(("rect", ((200, 330, 300, 560), 10))), metal("#C8A24A", 200, 300), light_x=240, gloss=0.4)
        photo.paint(mask_of(("poly", [(212, 330), (288, 330), (288, 210), (212, 250)])), solid(c), light_x=240, gloss=0.6)
        photo.paint(mask_of(("rect", ((350, 290, 460, 560), 10))), solid("#141416"), light_x=390, gloss=0.5)
        photo.paint(mask_of(("rect", ((350, 500, 460, 516), 0))), metal("#C8A24A", 350, 460), shadow=0)


def kind_of(look: Look) -> Callable[[Photo, Look], None]:
    rules: list[tuple[tuple[str, ...], Callable[[Photo, Look], None]]] = [
        (("连衣裙", "背带裙", "礼服"), draw_dress), (("外套", "夹克", "大衣"), draw_jacket),
        (("开衫", "毛衣", "T恤", "卫衣"), draw_top), (("牛仔裤", "裤"), draw_jeans), (("半身裙", "裙"), draw_skirt),
        (("围巾",), draw_scarf), (("帽",), draw_hat), (("包", "袋"), draw_bag), (("鞋",), draw_shoe),
        (("杯", "碗", "花瓶", "瓶", "霜"), draw_vessel), (("砧板", "灯", "抱枕", "口红"), draw_home),
    ]
    for words, drawer in rules:
        if look.in_title(*words):
            return drawer
    raise ValueError(f"{look.sku}: no drawing for a product titled {look.title!r}")


def render(row: dict[str, str]) -> Image.Image:
    look = Look(row)
    photo = Photo(look.rng, look.backdrop())
    kind_of(look)(photo, look)
    return photo.image().resize((OUT, OUT), Image.Resampling.LANCZOS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", type=Path, default=HERE / "catalog.csv")
    parser.add_argument("--out", type=Path, default=HERE / "images")
    parser.add_argument("--quality", type=int, default=85)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.catalog, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        path = args.out / f"{row['sku']}.jpg"
        render(row).save(path, format="JPEG", quality=args.quality, optimize=True)
        logger.info("%s %5.1f KB", path.name, path.stat().st_size / 1024)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
