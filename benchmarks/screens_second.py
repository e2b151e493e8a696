"""A second, independent generator of synthetic e-commerce screenshots.

It exists to evaluate the OCR pipeline on material it was not tuned to: its layouts, wording, fonts handling,
textures and decoys were written apart from the project's own test generator. Pillow, numpy and the standard
library only; Debian's Noto CJK (Chinese, Latin, Vietnamese), Noto Sans Thai and DejaVu Sans fonts.

    shot = make("ms", "checkout", seed=3)
    shot.image, shot.order_id, shot.amount, shot.tracking

Kinds:

* ``checkout``      a marketplace order-detail page (phone app, or a desktop web page at 1366x768)
* ``logistics``     a tracking timeline (no amount)
* ``chat``          a messenger screenshot: the customer pastes the order number, the shop answers with the
                    tracking number (and sometimes a refund amount)
* ``receipt``       an e-receipt / invoice with a table of items and a total line
* ``waybill_photo`` a photographed shipping label on a textured background, rotated, skewed, unevenly lit

Facts (``order_id``, ``amount``, ``tracking``) are ``None`` when not printed. ``amount`` is the one amount a
reader should report (the paid total, the refund in a chat, the COD amount on a label) in major units with
the thousands separators removed: "128.50" for ¥128.50, "150000" for Rp150.000, "1263000" for 1.263.000₫,
"1299.00" for ₱1,299.00, "590" for ฿590 (decimals are kept exactly as printed, so compare with Decimal).

Every text is measured before it is drawn and shrunk to fit its box; a page that does not fit is laid out
again at a smaller scale, so all facts are on the canvas and fully inside it.

    .venv/bin/python benchmarks/screens_second.py OUT_DIR [--seeds 2] [--languages zh,th] [--kinds chat]
"""

from __future__ import annotations

import argparse
import colorsys
import hashlib
import io
import json
import math
import os
import random
import sys
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

__all__ = ["Shot", "KINDS", "LANGUAGES", "make", "photos_of_goods"]

# ----------------------------------------------------------------------------------------------------------------
# fonts

_CJK_REG = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
_CJK_BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
_THAI_REG = "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf"
_THAI_BOLD = "/usr/share/fonts/truetype/noto/NotoSansThai-Bold.ttf"
_DV_REG = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_DV_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
_DV_MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"

HAVE_THAI = os.path.exists(_THAI_REG)
HAVE_DEJAVU = os.path.exists(_DV_REG)


def _first(*paths: str) -> str | None:
    return next((p for p in paths if p and os.path.exists(p)), None)


# key -> (path, wants the Simplified Chinese face of a collection)
_FONT_FILES: dict[str, tuple[str | None, bool]] = {
    "cjk": (_first(_CJK_REG), True),
    "cjk_b": (_first(_CJK_BOLD, _CJK_REG), True),
    "thai": (_first(_THAI_REG), False),
    "thai_b": (_first(_THAI_BOLD, _THAI_REG), False),
    "dv": (_first(_DV_REG), False),
    "dv_b": (_first(_DV_BOLD, _DV_REG), False),
    "mono": (_first(_DV_MONO, _DV_BOLD, _DV_REG), False),
}
_LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


@lru_cache(maxsize=None)
def _sc_index(path: str) -> int:
    """The index of 'Noto Sans CJK SC' in a collection (2 in Debian's files)."""
    for i in range(12):
        try:
            name = ImageFont.truetype(path, 12, index=i).getname()[0]
        except OSError:
            break
        if name.endswith(" SC") and "Mono" not in name:
            return i
    return 0


def _usable(key: str) -> bool:
    return _FONT_FILES.get(key, (None, False))[0] is not None


@lru_cache(maxsize=None)
def _font(key: str, size: int) -> ImageFont.FreeTypeFont:
    path, sc = _FONT_FILES[key]
    if path is None:
        path, sc = _FONT_FILES["cjk"]
        if path is None:
            raise RuntimeError("Noto Sans CJK is required (apt-get install fonts-noto-cjk)")
    return ImageFont.truetype(path, max(6, int(size)), index=_sc_index(path) if sc else 0, layout_engine=_LAYOUT)


def _glyph_sig(f: ImageFont.FreeTypeFont, ch: str) -> bytes:
    im = Image.new("L", (56, 56))
    ImageDraw.Draw(im).text((6, 6), ch, font=f, fill=255)
    return im.tobytes()


@lru_cache(maxsize=None)
def _covers(key: str, ch: str) -> bool:
    """Whether the font has a glyph for ch (its rendering differs from the .notdef box)."""
    if not _usable(key):
        return False
    f = _font(key, 24)
    sig = _glyph_sig(f, ch)
    return sig != _glyph_sig(f, "\ue000") and sig != _glyph_sig(f, "\U0010fffd")


def _is_thai(ch: str) -> bool:
    return "\u0e00" <= ch <= "\u0e7f"


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3000 <= o <= 0x9FFF or 0xFF00 <= o <= 0xFFEF or 0xF900 <= o <= 0xFAFF


@lru_cache(maxsize=20000)
def _runs(s: str, chain: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Split s into (text, font key) runs: each char takes the first font of the chain that has it;
    combining marks stay with their base."""
    out: list[list[str]] = []
    for ch in s:
        if out and unicodedata.category(ch) in ("Mn", "Me", "Mc"):
            key = out[-1][1]
        else:
            key = next((k for k in chain if _covers(k, ch)), chain[0])
        if out and out[-1][1] == key:
            out[-1][0] += ch
        else:
            out.append([ch, key])
    return tuple((t, k) for t, k in out)


# ----------------------------------------------------------------------------------------------------------------
# canvas: measured text, overflow bookkeeping, a dry mode for measuring layouts

_NO_START = set("，。、；：！？）】》」』”’,.;:!?)%·")
_NO_END = set("（【《「『“‘(")
_THAI_PRE = set("เแโใไ")


def _tokens(s: str) -> list[str]:
    """Line-break units: words (with their trailing space), single CJK characters, punctuation glued."""
    toks: list[str] = []
    buf = ""
    for ch in s:
        if ch == " ":
            buf += ch
            toks.append(buf)
            buf = ""
        elif ch in _NO_END:
            if buf and not all(b in _NO_END for b in buf):
                toks.append(buf)
                buf = ""
            buf += ch
        elif _is_cjk(ch) and ch not in _NO_START:
            if buf and not all(b in _NO_END for b in buf):
                toks.append(buf)
                buf = ""
            toks.append(buf + ch)
            buf = ""
        elif ch in _NO_START and not buf and toks:
            toks[-1] += ch
        else:
            buf += ch
    if buf:
        toks.append(buf)
    return toks


def _thai_clusters(tok: str) -> list[str]:
    """Break points inside a Thai word: before a base letter, never after a preposed vowel."""
    out: list[str] = []
    for ch in tok:
        glue = (
            not out
            or unicodedata.category(ch) in ("Mn", "Mc")
            or ch in "ะาำๆฯ"
            or out[-1][-1] in _THAI_PRE
            or not _is_thai(ch)
            and not _is_thai(out[-1][-1])
        )
        if glue and out:
            out[-1] += ch
        else:
            out.append(ch)
    return out


class _Canvas:
    def __init__(self, size: tuple[int, int], fam: tuple[tuple[str, ...], tuple[str, ...]], bg):
        self.img = Image.new("RGB", size, bg)
        self.d = ImageDraw.Draw(self.img)
        self.W, self.H = size
        self.fam = fam
        self.dry = 0
        self.boxes: list[tuple[float, float, float, float, str]] = []
        self.facts: set[str] = set()
        self.overflow = False

    # measuring ---------------------------------------------------------------------------------------------
    def chain(self, bold: bool) -> tuple[str, ...]:
        return self.fam[1] if bold else self.fam[0]

    def width(self, s: str, size: float, bold: bool = False) -> float:
        size = int(round(size))
        return sum(_font(k, size).getlength(t) for t, k in _runs(s, self.chain(bold)))

    def metrics(self, size: float, bold: bool = False) -> tuple[int, int]:
        size = int(round(size))
        ms = [_font(k, size).getmetrics() for k in self.chain(bold) if _usable(k)]
        return max(m[0] for m in ms), max(m[1] for m in ms)

    def line_h(self, size: float, bold: bool = False) -> float:
        a, d = self.metrics(size, bold)
        return a + d

    def fit(self, s: str, size: float, bold: bool, max_w: float, floor: int = 11) -> int:
        size = int(round(size))
        while size > floor and self.width(s, size, bold) > max_w:
            size -= 1 if size < 30 else 2
        return size

    # drawing -----------------------------------------------------------------------------------------------
    def text(self, x, y, s, size, *, bold=False, fill=(0, 0, 0), align="l", max_w=None, fact=None, strike=False):
        """Draw one line with its top at y; returns (x0, y0, x1, y1) of the line box."""
        s = unicodedata.normalize("NFC", s)
        size = int(round(size))
        if max_w is not None:
            size = self.fit(s, size, bold, max_w)
        w = self.width(s, size, bold)
        asc, desc = self.metrics(size, bold)
        x0 = x if align == "l" else x - w if align == "r" else x - w / 2
        if not self.dry:
            base = y + asc
            cx = x0
            ink = None
            for t, k in _runs(s, self.chain(bold)):
                f = _font(k, size)
                if t.strip():
                    bb = self.d.textbbox((cx, base), t, font=f, anchor="ls")
                    ink = bb if ink is None else (min(ink[0], bb[0]), min(ink[1], bb[1]),
                                                  max(ink[2], bb[2]), max(ink[3], bb[3]))
                    self.d.text((cx, base), t, font=f, fill=fill, anchor="ls")
                cx += f.getlength(t)
            if strike:
                sy = base - size * 0.30
                self.d.line([(x0, sy), (x0 + w, sy)], fill=fill, width=max(1, size // 14))
            if ink is not None:
                self._record(ink, s)
            if fact:
                self.facts.add(fact)
        return (x0, y, x0 + w, y + asc + desc)

    def _record(self, bb, s):
        self.boxes.append((bb[0], bb[1], bb[2], bb[3], s))
        if bb[0] < 0 or bb[1] < 0 or bb[2] > self.W or bb[3] > self.H:
            self.overflow = True

    def wrap(self, s: str, size: float, bold: bool, max_w: float) -> list[str]:
        lines: list[str] = []
        cur = ""
        toks: list[str] = []
        for t in _tokens(unicodedata.normalize("NFC", s)):
            if self.width(t.rstrip(), size, bold) > max_w and any(_is_thai(ch) for ch in t):
                toks.extend(_thai_clusters(t))
            else:
                toks.append(t)
        for tok in toks:
            cand = cur + tok
            if cur and self.width(cand.rstrip(), size, bold) > max_w:
                lines.append(cur.rstrip())
                cur = tok.lstrip()
            else:
                cur = cand
        if cur.strip():
            lines.append(cur.rstrip())
        return lines or [""]

    def para(self, x, y, s, size, max_w, *, bold=False, fill=(0, 0, 0), max_lines=None, gap=1.0, fact=None,
             align="l", floor=12) -> float:
        """Wrapped text; shrinks until every line fits and there are at most max_lines; returns the bottom."""
        size = int(round(size))
        while True:
            lines = self.wrap(s, size, bold, max_w)
            wide = any(self.width(line, size, bold) > max_w for line in lines)
            if (not wide and (max_lines is None or len(lines) <= max_lines)) or size <= floor:
                break
            size -= 1
        lh = self.line_h(size, bold) * gap
        for i, line in enumerate(lines):
            self.text(x, y + i * lh, line, size, bold=bold, fill=fill, align=align, max_w=max_w, fact=fact)
        return y + len(lines) * lh

    # shapes (skipped while measuring) -------------------------------------------------------------------------
    def rect(self, box, fill=None, outline=None, width=1, radius=0):
        if self.dry:
            return
        box = [box[0], box[1], max(box[0], box[2]), max(box[1], box[3])]
        if radius:
            radius = min(radius, (box[2] - box[0]) / 2, (box[3] - box[1]) / 2)
            self.d.rounded_rectangle(box, radius=max(0, radius), fill=fill, outline=outline, width=width)
        else:
            self.d.rectangle(box, fill=fill, outline=outline, width=width)

    def line(self, pts, fill, width=1):
        if not self.dry:
            self.d.line(pts, fill=fill, width=max(1, int(round(width))), joint="curve")

    def ellipse(self, box, fill=None, outline=None, width=1):
        if not self.dry:
            self.d.ellipse(box, fill=fill, outline=outline, width=max(1, int(round(width))))

    def polygon(self, pts, fill=None, outline=None):
        if not self.dry:
            self.d.polygon(pts, fill=fill, outline=outline)

    def paste(self, im, xy, mask=None):
        if not self.dry:
            self.img.paste(im, (int(xy[0]), int(xy[1])), mask)


def _measure(c: _Canvas, fn: Callable, *args) -> float:
    c.dry += 1
    try:
        return fn(*args)
    finally:
        c.dry -= 1


def _flow(c: _Canvas, sections, cols, y_top: float, y_bot: float, gap: float) -> float:
    """Stack sections (required, fn(x0, x1, y) -> bottom, column hint) down the columns. An optional section is
    dropped where it would leave no room for the required ones that follow it in its column; a required one
    that does not fit marks the canvas as overflowing."""
    heights, guess = [], 0
    for _, fn, want in sections:
        if want is not None:
            guess = min(want, len(cols) - 1)
        x0, x1 = cols[guess]
        heights.append(_measure(c, fn, x0, x1, y_top) - y_top)
    ci, y = 0, y_top
    for k, (req, fn, want) in enumerate(sections):
        if want is not None and want > ci and want < len(cols):
            ci, y = want, y_top
        later = 0.0
        for (q, _, w), h in zip(sections[k + 1:], heights[k + 1:]):
            if w is not None and w > ci:
                break
            later += h + gap if q else 0
        while True:
            x0, x1 = cols[ci]
            end = _measure(c, fn, x0, x1, y)
            if end <= y_bot and (req or end + gap + later <= y_bot):
                fn(x0, x1, y)
                y = end + gap
                break
            if ci + 1 < len(cols) and want is None and req:
                ci, y = ci + 1, y_top
                continue
            if req:
                c.overflow = True
            break
    return y


def _card(c: _Canvas, th, x0, x1, y, pad, body, radius=None, fill=None, outline=None) -> float:
    end = _measure(c, body, x0 + pad, x1 - pad, y + pad)
    c.rect((x0, y, x1, end + pad), fill=fill or th.card, outline=outline,
           radius=th.radius if radius is None else radius)
    body(x0 + pad, x1 - pad, y + pad)
    return end + pad


def _kv(c, x0, x1, y, label, value, fs, lab_fill, val_fill, *, val_bold=False, val_fs=None, fact=None,
        lab_bold=False, val_share=0.62) -> float:
    """A label on the left and its value flush right, both shrunk to fit the row."""
    val_fs = val_fs or fs
    span = x1 - x0
    val_fs = c.fit(value, val_fs, val_bold, span * val_share)
    vw = c.width(value, val_fs, val_bold)
    lab_max = span - vw - fs * 0.8
    lab_fs = c.fit(label, fs, lab_bold, lab_max)
    lh = max(c.line_h(lab_fs, lab_bold), c.line_h(val_fs, val_bold))
    c.text(x0, y + (lh - c.line_h(lab_fs, lab_bold)) / 2, label, lab_fs, bold=lab_bold, fill=lab_fill)
    c.text(x1, y + (lh - c.line_h(val_fs, val_bold)) / 2, value, val_fs, bold=val_bold, fill=val_fill,
           align="r", fact=fact)
    return y + lh


# ----------------------------------------------------------------------------------------------------------------
# icons (simple shapes, no glyphs)

def _ico(c: _Canvas, name: str, cx: float, cy: float, s: float, col, w: float | None = None):
    w = w or max(2, s * 0.09)
    h = s / 2
    if name == "back":
        c.line([(cx + h * 0.35, cy - h * 0.8), (cx - h * 0.45, cy), (cx + h * 0.35, cy + h * 0.8)], col, w * 1.2)
    elif name == "more":
        for dx in (-h * 0.7, 0, h * 0.7):
            c.ellipse((cx + dx - w, cy - w, cx + dx + w, cy + w), fill=col)
    elif name == "copy":
        c.rect((cx - h * 0.75, cy - h * 0.45, cx + h * 0.35, cy + h * 0.85), outline=col, width=int(w), radius=w)
        c.rect((cx - h * 0.35, cy - h * 0.85, cx + h * 0.75, cy + h * 0.45), outline=col, width=int(w), radius=w)
    elif name == "home":
        c.line([(cx - h * 0.85, cy - h * 0.05), (cx, cy - h * 0.85), (cx + h * 0.85, cy - h * 0.05)], col, w)
        c.rect((cx - h * 0.6, cy - h * 0.2, cx + h * 0.6, cy + h * 0.8), outline=col, width=int(w))
    elif name == "bell":
        c.ellipse((cx - h * 0.55, cy - h * 0.85, cx + h * 0.55, cy + h * 0.3), outline=col, width=w)
        c.rect((cx - h * 0.55, cy - h * 0.25, cx + h * 0.55, cy + h * 0.5), outline=col, width=int(w))
        c.line([(cx - h * 0.85, cy + h * 0.55), (cx + h * 0.85, cy + h * 0.55)], col, w)
        c.ellipse((cx - w * 1.2, cy + h * 0.65, cx + w * 1.2, cy + h * 0.65 + w * 2.4), fill=col)
    elif name == "cart":
        c.line([(cx - h * 0.95, cy - h * 0.75), (cx - h * 0.65, cy - h * 0.75), (cx - h * 0.35, cy + h * 0.35),
                (cx + h * 0.75, cy + h * 0.35), (cx + h * 0.9, cy - h * 0.45), (cx - h * 0.5, cy - h * 0.45)], col, w)
        for dx in (-h * 0.25, h * 0.6):
            c.ellipse((cx + dx - w * 1.6, cy + h * 0.6, cx + dx + w * 1.6, cy + h * 0.6 + w * 3.2), fill=col)
    elif name == "person":
        c.ellipse((cx - h * 0.38, cy - h * 0.9, cx + h * 0.38, cy - h * 0.14), outline=col, width=w)
        c.d.arc((cx - h * 0.8, cy - h * 0.05, cx + h * 0.8, cy + h * 1.5), 180, 360, fill=col,
                width=int(w)) if not c.dry else None
    elif name == "chat":
        c.rect((cx - h * 0.85, cy - h * 0.7, cx + h * 0.85, cy + h * 0.45), outline=col, width=int(w), radius=h * 0.3)
        c.line([(cx - h * 0.3, cy + h * 0.45), (cx - h * 0.55, cy + h * 0.85), (cx + h * 0.05, cy + h * 0.45)], col, w)
    elif name == "grid":
        for gx in (-1, 1):
            for gy in (-1, 1):
                c.rect((cx + gx * h * 0.1 - (h * 0.7 if gx < 0 else 0), cy + gy * h * 0.1 - (h * 0.7 if gy < 0 else 0),
                        cx + gx * h * 0.1 + (h * 0.7 if gx > 0 else 0), cy + gy * h * 0.1 + (h * 0.7 if gy > 0 else 0)),
                       outline=col, width=int(w), radius=w)
    elif name == "play":
        c.rect((cx - h * 0.85, cy - h * 0.65, cx + h * 0.85, cy + h * 0.65), outline=col, width=int(w), radius=h * 0.25)
        c.polygon([(cx - h * 0.25, cy - h * 0.35), (cx - h * 0.25, cy + h * 0.35), (cx + h * 0.35, cy)], fill=col)
    elif name == "truck":
        c.rect((cx - h * 0.95, cy - h * 0.55, cx + h * 0.2, cy + h * 0.35), outline=col, width=int(w))
        c.line([(cx + h * 0.2, cy - h * 0.25), (cx + h * 0.6, cy - h * 0.25), (cx + h * 0.95, cy + h * 0.05),
                (cx + h * 0.95, cy + h * 0.35), (cx + h * 0.2, cy + h * 0.35)], col, w)
        for dx in (-h * 0.55, h * 0.55):
            c.ellipse((cx + dx - h * 0.2, cy + h * 0.3, cx + dx + h * 0.2, cy + h * 0.7), fill=col)
    elif name == "pin":
        c.ellipse((cx - h * 0.55, cy - h * 0.95, cx + h * 0.55, cy + h * 0.15), outline=col, width=w)
        c.line([(cx - h * 0.45, cy - h * 0.15), (cx, cy + h * 0.9), (cx + h * 0.45, cy - h * 0.15)], col, w)
        c.ellipse((cx - h * 0.15, cy - h * 0.55, cx + h * 0.15, cy - h * 0.25), fill=col)
    elif name == "shop":
        c.rect((cx - h * 0.8, cy - h * 0.15, cx + h * 0.8, cy + h * 0.8), outline=col, width=int(w))
        c.polygon([(cx - h * 0.95, cy - h * 0.15), (cx - h * 0.7, cy - h * 0.8), (cx + h * 0.7, cy - h * 0.8),
                   (cx + h * 0.95, cy - h * 0.15)], fill=col)
    elif name == "plus":
        c.ellipse((cx - h * 0.9, cy - h * 0.9, cx + h * 0.9, cy + h * 0.9), outline=col, width=w)
        c.line([(cx - h * 0.45, cy), (cx + h * 0.45, cy)], col, w)
        c.line([(cx, cy - h * 0.45), (cx, cy + h * 0.45)], col, w)
    elif name == "smile":
        c.ellipse((cx - h * 0.9, cy - h * 0.9, cx + h * 0.9, cy + h * 0.9), outline=col, width=w)
        if not c.dry:
            c.d.arc((cx - h * 0.5, cy - h * 0.4, cx + h * 0.5, cy + h * 0.5), 20, 160, fill=col, width=int(w))
        for dx in (-h * 0.3, h * 0.3):
            c.ellipse((cx + dx - w, cy - h * 0.35 - w, cx + dx + w, cy - h * 0.35 + w), fill=col)
    elif name == "send":
        c.polygon([(cx - h * 0.85, cy - h * 0.8), (cx + h * 0.9, cy), (cx - h * 0.85, cy + h * 0.8),
                   (cx - h * 0.5, cy)], fill=col)
    elif name == "share":
        c.line([(cx, cy + h * 0.3), (cx, cy - h * 0.85)], col, w)
        c.line([(cx - h * 0.4, cy - h * 0.45), (cx, cy - h * 0.85), (cx + h * 0.4, cy - h * 0.45)], col, w)
        c.line([(cx - h * 0.5, cy - h * 0.1), (cx - h * 0.8, cy - h * 0.1), (cx - h * 0.8, cy + h * 0.85),
                (cx + h * 0.8, cy + h * 0.85), (cx + h * 0.8, cy - h * 0.1), (cx + h * 0.5, cy - h * 0.1)], col, w)
    elif name == "search":
        c.ellipse((cx - h * 0.75, cy - h * 0.75, cx + h * 0.35, cy + h * 0.35), outline=col, width=w)
        c.line([(cx + h * 0.25, cy + h * 0.25), (cx + h * 0.8, cy + h * 0.8)], col, w * 1.3)
    elif name == "phone":
        c.rect((cx - h * 0.45, cy - h * 0.85, cx + h * 0.45, cy + h * 0.85), outline=col, width=int(w), radius=w * 2)
    elif name == "chev":
        c.line([(cx - h * 0.2, cy - h * 0.45), (cx + h * 0.2, cy), (cx - h * 0.2, cy + h * 0.45)], col, w)


# ----------------------------------------------------------------------------------------------------------------
# wording per market

_T: dict[str, dict] = {
    "zh": dict(
        order_detail="订单详情", status_shipped="卖家已发货", status_sub="您的包裹正在运输途中，请耐心等待",
        ship_to="收货地址", order_id="订单编号", copy="复制", subtotal="商品总价", shipping="运费",
        discount="店铺优惠", paid="实付款", order_time="下单时间", pay_time="付款时间", pay_method="支付方式",
        pay_methods=["支付宝", "微信支付", "花呗分期", "京东白条"], btns=["联系卖家", "查看物流", "确认收货"],
        nav=["首页", "逛逛", "消息", "购物车", "我的淘宝"], latest="最新物流",
        trk_title="物流详情", trk_no="运单号", carrier="快递公司", eta="预计送达", eta_val="预计11月15日 18:00前送达",
        st=["运输中", "派送中", "已签收"], courier_tel="快递员电话",
        ev=dict(prep="商家已发货，包裹等待揽收", pickup="【{place}市】{carrier} 快递员已揽收",
                hub_in="【{place}市】快件已到达【{place}转运中心】",
                hub_out="【{place}市】快件已从【{place}转运中心】发出，下一站【{next}转运中心】",
                station="【{place}市】快件已到达【{place}城区营业部】",
                out="【{place}市】快递员正在为您派件，联系电话：{tel}",
                delivered="【{place}市】已签收，签收人：{name}。感谢使用{carrier}，期待再次为您服务"),
        online="在线", type_msg="请输入消息…", today="今天",
        c_hello="你好，我双十一下的单，到现在还没收到", c_order="订单号：{oid}", c_order2="帮我查一下这个订单 {oid}",
        s_greet="亲，您好~ 这边马上帮您查询一下哦", s_trk="亲，您的包裹已经发出了，{carrier} 运单号：{trk}",
        s_trk2="运单号 {trk}，可以在物流详情里查看哦", s_eta="预计2-3天送达，请耐心等待哦~",
        s_refund="亲，已为您退款{amt}，原路退回，请注意查收哦", c_thanks="好的，谢谢", card_title="我要咨询的订单",
        card_total="实付", read="已读",
        rc_title="电子发票（普通发票）", rc_no="发票号码", rc_date="开票日期", rc_item="项目名称", rc_qty="数量",
        rc_unit="单价", rc_amt="金额", rc_sub="小计", rc_tax="税额（已含）", rc_total="价税合计",
        rc_paid="支付方式", rc_thanks="感谢您的惠顾，欢迎再次光临", rc_order="订单号",
        wb_to="收", wb_from="寄", wb_weight="重量", wb_cod="代收货款", wb_noncod="寄付月结", wb_date="寄件日期",
        wb_items="内件", footer="帮助中心 | 联系客服 | 隐私政策 | 营业执照", site_title="订单详情 - 我的订单",
    ),
    "en": dict(
        order_detail="Order Details", status_shipped="Your order is on the way",
        status_sub="Parcel has been handed over to the courier", ship_to="Delivery Address", order_id="Order ID",
        copy="Copy", subtotal="Merchandise Subtotal", shipping="Shipping Fee", discount="Voucher Discount",
        paid="Order Total", order_time="Order Time", pay_time="Payment Time", pay_method="Payment Method",
        pay_methods=["Visa •••• 4821", "PayPal", "Apple Pay", "ShopeePay"],
        btns=["Contact Seller", "Track Order", "Order Received"], nav=["Home", "Live & Video", "Notifications", "Me"],
        latest="Latest update", trk_title="Tracking Details", trk_no="Tracking Number", carrier="Carrier",
        eta="Estimated delivery", eta_val="15 Nov - 18 Nov", st=["In transit", "Out for delivery", "Delivered"],
        courier_tel="Driver",
        ev=dict(prep="Seller is preparing your parcel", pickup="Parcel picked up by {carrier}",
                hub_in="Arrived at sorting facility, {place}", hub_out="Departed sorting facility, {place}",
                station="Arrived at delivery station, {place}", out="Out for delivery, driver {tel}",
                delivered="Delivered. Signed by {name}"),
        online="Active now", type_msg="Type a message...", today="Today",
        c_hello="Hi, I ordered during the 11.11 sale and it still hasn't arrived", c_order="My order ID is {oid}",
        c_order2="Order {oid}", s_greet="Hi there! Sorry for the wait, let me check that for you",
        s_trk="Your parcel has shipped with {carrier}, tracking number {trk}", s_trk2="Tracking: {trk}",
        s_eta="It should arrive in 2-3 business days", s_refund="We've refunded {amt} to your original payment method",
        c_thanks="Great, thanks!", card_title="Order enquiry", card_total="Total", read="Read",
        rc_title="Receipt", rc_no="Invoice No.", rc_date="Date", rc_item="Item", rc_qty="Qty", rc_unit="Unit Price",
        rc_amt="Amount", rc_sub="Subtotal", rc_tax="incl. GST 9%", rc_total="Total", rc_paid="Paid with",
        rc_thanks="Thank you for your order!", rc_order="Order No.",
        wb_to="SHIP TO", wb_from="FROM", wb_weight="Weight", wb_cod="COD", wb_noncod="PREPAID", wb_date="Date",
        wb_items="Contents", footer="Help Centre | Contact Us | Privacy Policy | Terms of Service",
        site_title="Order Details | My Purchases",
    ),
    "ms": dict(
        order_detail="Butiran Pesanan", status_shipped="Pesanan sedang dihantar",
        status_sub="Bungkusan anda dalam perjalanan", ship_to="Alamat Penghantaran", order_id="No. Pesanan",
        copy="SALIN", subtotal="Jumlah Kecil Barangan", shipping="Kos Penghantaran", discount="Diskaun Baucar Kedai",
        paid="Jumlah Pembayaran", order_time="Masa Pesanan", pay_time="Masa Pembayaran", pay_method="Kaedah Pembayaran",
        pay_methods=["ShopeePay", "Kad Kredit/Debit", "Tunai Semasa Penghantaran", "Perbankan Dalam Talian"],
        btns=["Hubungi Penjual", "Jejak Pesanan", "Pesanan Diterima"], nav=["Utama", "Live & Video", "Notifikasi", "Saya"],
        latest="Kemas kini terkini", trk_title="Maklumat Penghantaran", trk_no="Nombor Penjejakan",
        carrier="Syarikat Kurier", eta="Anggaran Tiba", eta_val="15 Nov - 18 Nov",
        st=["Dalam Transit", "Sedang Dihantar", "Telah Dihantar"], courier_tel="Kurier",
        ev=dict(prep="Penjual sedang menyediakan bungkusan", pickup="Bungkusan telah diambil oleh {carrier}",
                hub_in="Bungkusan tiba di hab pengisihan {place}", hub_out="Bungkusan telah meninggalkan hab {place}",
                station="Bungkusan tiba di stesen penghantaran {place}",
                out="Bungkusan sedang dihantar kepada anda, kurier {tel}",
                delivered="Bungkusan telah dihantar. Diterima oleh: {name}"),
        online="Aktif sekarang", type_msg="Taip mesej...", today="Hari ini",
        c_hello="Hai, saya order masa 11.11 tapi barang belum sampai lagi", c_order="No. pesanan saya {oid}",
        c_order2="Pesanan {oid} ya", s_greet="Hai! Terima kasih kerana menghubungi kami, sebentar ya kami semak",
        s_trk="Pesanan anda sudah dihantar melalui {carrier}. Nombor penjejakan: {trk}", s_trk2="Nombor penjejakan {trk}",
        s_eta="Dijangka sampai dalam 2-3 hari bekerja", s_refund="Bayaran balik {amt} telah diproses ke akaun anda",
        c_thanks="Ok terima kasih!", card_title="Pertanyaan pesanan", card_total="Jumlah", read="Dibaca",
        rc_title="Resit Rasmi", rc_no="No. Invois", rc_date="Tarikh", rc_item="Perkara", rc_qty="Kuantiti",
        rc_unit="Harga Seunit", rc_amt="Jumlah", rc_sub="Jumlah Kecil", rc_tax="SST 8% (termasuk)",
        rc_total="Jumlah Keseluruhan", rc_paid="Dibayar melalui", rc_thanks="Terima kasih kerana membeli-belah!",
        rc_order="No. Pesanan",
        wb_to="Penerima", wb_from="Pengirim", wb_weight="Berat", wb_cod="COD", wb_noncod="Bukan COD",
        wb_date="Tarikh Hantar", wb_items="Kandungan", footer="Pusat Bantuan | Hubungi Kami | Dasar Privasi",
        site_title="Butiran Pesanan | Pembelian Saya",
    ),
    "id": dict(
        order_detail="Rincian Pesanan", status_shipped="Pesanan sedang dikirim", status_sub="Paketmu sedang dalam perjalanan",
        ship_to="Alamat Pengiriman", order_id="No. Pesanan", copy="SALIN", subtotal="Subtotal untuk Produk",
        shipping="Ongkos Kirim", discount="Voucher Toko", paid="Total Pembayaran", order_time="Waktu Pemesanan",
        pay_time="Waktu Pembayaran", pay_method="Metode Pembayaran",
        pay_methods=["COD (Bayar di Tempat)", "ShopeePay", "Transfer Bank BCA", "GoPay"],
        btns=["Hubungi Penjual", "Lacak Pesanan", "Pesanan Diterima"], nav=["Beranda", "Live & Video", "Notifikasi", "Saya"],
        latest="Status terbaru", trk_title="Informasi Pengiriman", trk_no="No. Resi", carrier="Jasa Kirim",
        eta="Estimasi tiba", eta_val="15 - 18 Nov", st=["Dalam Pengiriman", "Sedang Diantar", "Terkirim"],
        courier_tel="Kurir",
        ev=dict(prep="Penjual sedang menyiapkan pesanan", pickup="Paket telah diserahkan ke {carrier}",
                hub_in="Paket telah sampai di Sorting Center {place}", hub_out="Paket telah keluar dari Sorting Center {place}",
                station="Paket telah tiba di Hub {place}", out="Kurir sedang mengantar paket ke alamatmu ({tel})",
                delivered="Paket telah diterima oleh {name}"),
        online="Online", type_msg="Tulis pesan...", today="Hari ini",
        c_hello="Kak, saya pesan pas 11.11 kok paketnya belum sampai ya?", c_order="No. pesanan saya {oid}",
        c_order2="Ini no pesanannya kak {oid}", s_greet="Halo kak, mohon ditunggu sebentar ya, kami cek dulu",
        s_trk="Paketnya sudah dikirim via {carrier} ya kak, no. resi {trk}", s_trk2="No. resi: {trk}",
        s_eta="Estimasi sampai 2-3 hari lagi kak", s_refund="Dana {amt} sudah kami kembalikan ya kak",
        c_thanks="Oke kak, makasih ya", card_title="Tanya pesanan", card_total="Total", read="Dibaca",
        rc_title="Invoice", rc_no="No. Invoice", rc_date="Tanggal", rc_item="Produk", rc_qty="Jumlah",
        rc_unit="Harga Satuan", rc_amt="Total Harga", rc_sub="Subtotal", rc_tax="PPN 11% (sudah termasuk)",
        rc_total="Total Tagihan", rc_paid="Metode Pembayaran", rc_thanks="Terima kasih telah berbelanja!",
        rc_order="No. Pesanan",
        wb_to="Penerima", wb_from="Pengirim", wb_weight="Berat", wb_cod="COD", wb_noncod="NON COD", wb_date="Tgl Kirim",
        wb_items="Isi Paket", footer="Pusat Bantuan | Hubungi Kami | Kebijakan Privasi",
        site_title="Rincian Pesanan | Pesanan Saya",
    ),
    "vi": dict(
        order_detail="Thông tin đơn hàng", status_shipped="Đang giao hàng", status_sub="Đơn hàng của bạn đang trên đường giao",
        ship_to="Địa chỉ nhận hàng", order_id="Mã đơn hàng", copy="SAO CHÉP", subtotal="Tổng tiền hàng",
        shipping="Phí vận chuyển", discount="Voucher từ Shop", paid="Tổng thanh toán", order_time="Thời gian đặt hàng",
        pay_time="Thời gian thanh toán", pay_method="Phương thức thanh toán",
        pay_methods=["Thanh toán khi nhận hàng", "ShopeePay", "Thẻ tín dụng/Ghi nợ", "Ví MoMo"],
        btns=["Liên hệ Shop", "Theo dõi đơn", "Đã nhận được hàng"], nav=["Trang chủ", "Live & Video", "Thông báo", "Tôi"],
        latest="Cập nhật mới nhất", trk_title="Thông tin vận chuyển", trk_no="Mã vận đơn", carrier="Đơn vị vận chuyển",
        eta="Dự kiến giao", eta_val="15/11 - 18/11", st=["Đang vận chuyển", "Đang giao hàng", "Đã giao"],
        courier_tel="Shipper",
        ev=dict(prep="Người gửi đang chuẩn bị hàng", pickup="{carrier} đã lấy hàng thành công",
                hub_in="Đơn hàng đã đến kho phân loại {place}", hub_out="Đơn hàng đã rời kho phân loại {place}",
                station="Đơn hàng đã đến bưu cục {place}", out="Đơn hàng đang được giao đến bạn, shipper {tel}",
                delivered="Giao hàng thành công. Người nhận: {name}"),
        online="Đang hoạt động", type_msg="Nhập nội dung tin nhắn", today="Hôm nay",
        c_hello="Shop ơi, mình đặt từ ngày 11/11 mà chưa nhận được hàng", c_order="Mã đơn của mình là {oid}",
        c_order2="Đơn {oid} nha shop", s_greet="Dạ shop chào bạn ạ, bạn đợi shop kiểm tra chút nhé",
        s_trk="Đơn của bạn đã được gửi qua {carrier} rồi ạ, mã vận đơn: {trk}", s_trk2="Mã vận đơn: {trk}",
        s_eta="Dự kiến 2-3 ngày nữa bạn sẽ nhận được hàng ạ", s_refund="Shop đã hoàn tiền {amt} cho bạn rồi nhé",
        c_thanks="Cảm ơn shop ạ", card_title="Hỏi về đơn hàng", card_total="Thành tiền", read="Đã xem",
        rc_title="Hóa đơn điện tử", rc_no="Số hóa đơn", rc_date="Ngày", rc_item="Sản phẩm", rc_qty="SL",
        rc_unit="Đơn giá", rc_amt="Thành tiền", rc_sub="Tạm tính", rc_tax="Thuế GTGT 8% (đã bao gồm)",
        rc_total="Tổng cộng", rc_paid="Thanh toán bằng", rc_thanks="Cảm ơn quý khách đã mua hàng!",
        rc_order="Mã đơn hàng",
        wb_to="Người nhận", wb_from="Người gửi", wb_weight="Khối lượng", wb_cod="Thu hộ (COD)",
        wb_noncod="Không thu tiền", wb_date="Ngày gửi", wb_items="Nội dung hàng",
        footer="Trung tâm trợ giúp | Liên hệ | Chính sách bảo mật", site_title="Chi tiết đơn hàng | Đơn mua",
    ),
    "fil": dict(
        order_detail="Order Details", status_shipped="Naipadala na ang order mo", status_sub="Parating na ang parcel mo",
        ship_to="Delivery Address", order_id="Order ID", copy="KOPYAHIN", subtotal="Merchandise Subtotal",
        shipping="Shipping Fee", discount="Shop Voucher", paid="Kabuuang Bayad", order_time="Oras ng Order",
        pay_time="Oras ng Bayad", pay_method="Paraan ng Pagbayad",
        pay_methods=["Cash on Delivery", "GCash", "Maya", "Credit/Debit Card"],
        btns=["Kausapin ang Seller", "I-track ang Order", "Natanggap Ko Na"], nav=["Home", "Live & Video", "Notifications", "Ako"],
        latest="Pinakabagong update", trk_title="Shipping Information", trk_no="Tracking No.", carrier="Courier",
        eta="Inaasahang dating", eta_val="Nov 15 - Nov 18", st=["In transit", "Out for delivery", "Delivered na"],
        courier_tel="Rider",
        ev=dict(prep="Inihahanda na ng seller ang parcel", pickup="Na-pick up na ng {carrier} ang parcel",
                hub_in="Dumating na sa sorting center sa {place}", hub_out="Umalis na sa sorting center sa {place}",
                station="Nasa delivery hub na sa {place}", out="Out for delivery na ang parcel mo, rider {tel}",
                delivered="Delivered na. Natanggap ni {name}"),
        online="Active ngayon", type_msg="Mag-type ng mensahe...", today="Ngayon",
        c_hello="Hi po, nag-order ako nung 11.11 pero wala pa rin yung parcel ko", c_order="Order ID ko po: {oid}",
        c_order2="Eto po yung order {oid}", s_greet="Hello po! Sorry po sa delay, check lang po namin saglit",
        s_trk="Na-ship na po via {carrier} ang order niyo, tracking no. {trk}", s_trk2="Tracking No.: {trk}",
        s_eta="Darating po within 2-3 days", s_refund="Na-refund na po namin ang {amt} sa account niyo",
        c_thanks="Sige po, salamat!", card_title="Tanong tungkol sa order", card_total="Kabuuan", read="Nabasa",
        rc_title="Resibo", rc_no="Receipt No.", rc_date="Petsa", rc_item="Item", rc_qty="Dami", rc_unit="Presyo",
        rc_amt="Halaga", rc_sub="Subtotal", rc_tax="VAT 12% (kasama na)", rc_total="Kabuuan",
        rc_paid="Binayaran gamit ang", rc_thanks="Salamat sa pamimili!", rc_order="Order ID",
        wb_to="Receiver", wb_from="Sender", wb_weight="Weight", wb_cod="COD", wb_noncod="Non-COD", wb_date="Ship Date",
        wb_items="Laman", footer="Help Centre | Makipag-ugnayan | Privacy Policy", site_title="Order Details | Aking Binili",
    ),
    "th": dict(
        order_detail="รายละเอียดคำสั่งซื้อ", status_shipped="กำลังจัดส่ง", status_sub="พัสดุของคุณอยู่ระหว่างการขนส่ง",
        ship_to="ที่อยู่ในการจัดส่ง", order_id="หมายเลขคำสั่งซื้อ", copy="คัดลอก", subtotal="รวมค่าสินค้า",
        shipping="ค่าจัดส่ง", discount="โค้ดส่วนลดจากร้านค้า", paid="ยอดชำระเงิน", order_time="เวลาที่สั่งซื้อ",
        pay_time="เวลาชำระเงิน", pay_method="ช่องทางการชำระเงิน",
        pay_methods=["ShopeePay", "บัตรเครดิต/เดบิต", "เก็บเงินปลายทาง", "พร้อมเพย์"],
        btns=["ติดต่อผู้ขาย", "ติดตามพัสดุ", "ได้รับสินค้าแล้ว"], nav=["หน้าแรก", "ไลฟ์ & วิดีโอ", "การแจ้งเตือน", "ฉัน"],
        latest="สถานะล่าสุด", trk_title="ข้อมูลการจัดส่ง", trk_no="เลขพัสดุ", carrier="บริษัทขนส่ง",
        eta="วันที่คาดว่าจะได้รับ", eta_val="15 พ.ย. - 18 พ.ย.", st=["อยู่ระหว่างขนส่ง", "กำลังนำส่ง", "จัดส่งสำเร็จ"],
        courier_tel="พนักงาน",
        ev=dict(prep="ผู้ส่งกำลังเตรียมพัสดุ", pickup="{carrier} รับพัสดุเข้าระบบแล้ว",
                hub_in="พัสดุถึงศูนย์คัดแยกสินค้า {place}", hub_out="พัสดุออกจากศูนย์คัดแยกสินค้า {place}",
                station="พัสดุถึงสาขาปลายทาง {place}", out="พนักงานกำลังนำส่งพัสดุ โทร {tel}",
                delivered="จัดส่งพัสดุสำเร็จแล้ว ผู้รับ: {name}"),
        online="ออนไลน์", type_msg="พิมพ์ข้อความ...", today="วันนี้",
        c_hello="สวัสดีค่ะ สั่งของไปตั้งแต่วันที่ 11 ยังไม่ได้รับเลยค่ะ", c_order="หมายเลขคำสั่งซื้อ {oid} ค่ะ",
        c_order2="ออเดอร์ {oid} ค่ะ", s_greet="สวัสดีค่ะ ขออภัยในความล่าช้านะคะ ขอตรวจสอบสักครู่ค่ะ",
        s_trk="ทางร้านจัดส่งกับ {carrier} แล้วค่ะ เลขพัสดุ {trk} ค่ะ", s_trk2="เลขพัสดุ: {trk}",
        s_eta="คาดว่าจะได้รับภายใน 2-3 วันค่ะ", s_refund="ทางร้านคืนเงิน {amt} ให้เรียบร้อยแล้วนะคะ",
        c_thanks="ขอบคุณค่ะ", card_title="สอบถามคำสั่งซื้อ", card_total="ยอดรวม", read="อ่านแล้ว",
        rc_title="ใบเสร็จรับเงิน", rc_no="เลขที่ใบเสร็จ", rc_date="วันที่", rc_item="รายการ", rc_qty="จำนวน",
        rc_unit="ราคาต่อหน่วย", rc_amt="จำนวนเงิน", rc_sub="รวมเป็นเงิน", rc_tax="ภาษีมูลค่าเพิ่ม 7% (รวมแล้ว)",
        rc_total="ยอดรวมทั้งสิ้น", rc_paid="ชำระโดย", rc_thanks="ขอบคุณที่ใช้บริการ", rc_order="หมายเลขคำสั่งซื้อ",
        wb_to="ผู้รับ", wb_from="ผู้ส่ง", wb_weight="น้ำหนัก", wb_cod="เก็บเงินปลายทาง", wb_noncod="ไม่เก็บเงินปลายทาง",
        wb_date="วันที่ส่ง", wb_items="สินค้า", footer="ศูนย์ช่วยเหลือ | ติดต่อเรา | นโยบายความเป็นส่วนตัว",
        site_title="รายละเอียดคำสั่งซื้อ | การซื้อของฉัน",
    ),
}

_PRODUCTS = {
    "zh": [("纯棉宽松短袖T恤 男女同款 夏季新款", "颜色分类：白色；尺码：L"), ("无线蓝牙耳机 主动降噪 超长续航", "颜色分类：曜石黑"),
           ("304不锈钢保温杯 大容量 500ml", "颜色分类：奶油白"), ("加厚珊瑚绒四件套 床上用品", "规格：1.8m床"),
           ("儿童益智积木玩具 3-6岁", "规格：120粒"), ("原创设计帆布包 大容量托特包", "颜色分类：卡其色")],
    "en": [("Wireless Earbuds Pro - Active Noise Cancelling", "Variation: Black"),
           ("Oversized Cotton T-Shirt Unisex", "Variation: White, L"), ("Stainless Steel Tumbler 900ml", "Variation: Sage"),
           ("USB-C Fast Charging Cable 2m (2-Pack)", "Variation: 2m"), ("Minimalist Canvas Tote Bag", "Variation: Beige"),
           ("LED Desk Lamp with 3 Colour Modes", "Variation: White")],
    "ms": [("Baju Kurung Moden Cotton Premium", "Variasi: Hijau Emerald, M"),
           ("Tudung Bawal Cotton Voile Bidang 50", "Variasi: Dusty Pink"), ("Kasut Sukan Lelaki Ringan", "Variasi: Hitam, 42"),
           ("Botol Air Stainless Steel 1L", "Variasi: Biru"), ("Fon Telinga Bluetooth Tanpa Wayar", "Variasi: Putih"),
           ("Beg Galas Kalis Air Unisex", "Variasi: Kelabu")],
    "id": [("Kaos Polos Cotton Combed 30s Unisex", "Variasi: Hitam, L"), ("Sepatu Sneakers Pria Casual", "Variasi: Putih, 42"),
           ("Hijab Segi Empat Voal Premium", "Variasi: Mocca"), ("Tumbler Stainless Anti Tumpah 500ml", "Variasi: Navy"),
           ("Headset Bluetooth TWS Bass", "Variasi: Hitam"), ("Tas Selempang Wanita Kulit Sintetis", "Variasi: Cokelat")],
    "vi": [("Áo thun nam cổ tròn cotton 100%", "Phân loại: Đen, XL"),
           ("Tai nghe bluetooth không dây chống ồn", "Phân loại: Trắng"), ("Bình giữ nhiệt inox 500ml", "Phân loại: Xanh rêu"),
           ("Giày thể thao nữ đế bằng", "Phân loại: Kem, 37"), ("Túi tote vải canvas phong cách Hàn Quốc", "Phân loại: Be"),
           ("Son kem lì mịn môi lâu trôi", "Phân loại: #03 Đỏ gạch")],
    "fil": [("Oversized Shirt Unisex Cotton", "Variation: Black, XL"), ("Wireless Earphones w/ Mic", "Variation: White"),
            ("Aqua Tumbler 900ml Insulated", "Variation: Sky Blue"), ("Rubber Shoes for Men Lightweight", "Variation: Gray, 42"),
            ("Korean Sling Bag for Women", "Variation: Cream"), ("Electric Stand Fan 16 inches", "Variation: White")],
    "th": [("เสื้อยืดคอกลม ผ้าคอตตอน 100%", "ตัวเลือกสินค้า: ดำ, L"), ("หูฟังบลูทูธไร้สาย ตัดเสียงรบกวน", "ตัวเลือกสินค้า: ขาว"),
           ("กระบอกน้ำเก็บความเย็น 900ml", "ตัวเลือกสินค้า: ชมพู"), ("รองเท้าผ้าใบผู้หญิง น้ำหนักเบา", "ตัวเลือกสินค้า: ครีม, 38"),
           ("กระเป๋าสะพายข้าง สไตล์เกาหลี", "ตัวเลือกสินค้า: น้ำตาล"), ("พัดลมตั้งโต๊ะ 16 นิ้ว", "ตัวเลือกสินค้า: ขาว")],
}

_SHOPS = {
    "zh": ["优品生活旗舰店", "潮流男装专营店", "悦享数码专营店", "森林家居馆"],
    "en": ["Urban Threads", "GadgetHub Official", "The Daily Mug Co.", "Northwind Supplies"],
    "ms": ["Butik Ayu Official", "KedaiGajet.my", "Rumah Hijab KL", "Sukan Pro Store"],
    "id": ["Toko Makmur Jaya", "Grosir Fashion 88", "Hijab Cantik Official", "Gadget Murah ID"],
    "vi": ["Shop Thời Trang Nam", "Tiệm Nhà Mây", "Phụ Kiện Số 1", "Mây Store Official"],
    "fil": ["Manila Trendz", "Juan's Gadget Hub", "Lola's Home Finds", "Cebu Sneaker Spot"],
    "th": ["ร้านแฟชั่นดีดี", "BKK Gadget Shop", "บ้านสบาย Home", "ชุดกีฬาเชียงใหม่"],
}

_PEOPLE = {
    "zh": [("张*明", "138****5621", "浙江省杭州市西湖区文三路398号东方通信大厦5楼"),
           ("李**", "159****0382", "广东省深圳市南山区科技园南区高新南七道12号"),
           ("王*", "186****7719", "上海市浦东新区张江路88弄3号1202室")],
    "en": [("Alex Tan", "(+65) 9***-**21", "Blk 123 Jurong West St 41, #05-218, Singapore 640123"),
           ("Jordan Lee", "(+65) 8***-**07", "9 Tampines Grande, #12-03, Singapore 528735"),
           ("Sam Carter", "(+1) ***-***-4410", "410 Market St, Apt 7B, San Francisco, CA 94111")],
    "ms": [("Nur Aisyah", "(+60) 12-***-**89", "No. 12, Jalan SS 2/24, 47300 Petaling Jaya, Selangor"),
           ("Ahmad Faiz", "(+60) 17-***-**34", "Lot 8, Jalan Tun Razak, 50400 Kuala Lumpur"),
           ("Tan Mei Ling", "(+60) 16-***-**02", "23, Lorong Kenari 5, 11900 Bayan Lepas, Pulau Pinang")],
    "id": [("Budi Santoso", "(+62) 812****7730", "Jl. Kebon Jeruk Raya No. 27, RT 05/RW 03, Jakarta Barat 11530"),
           ("Siti Rahma", "(+62) 857****1204", "Perum Griya Asri Blok C2 No. 14, Bekasi Utara, Kota Bekasi 17121"),
           ("Dewi Lestari", "(+62) 821****9087", "Jl. Dago No. 118, Coblong, Kota Bandung 40135")],
    "vi": [("Nguyễn Văn An", "(+84) 9******12", "Số 18 ngõ 62 Trần Thái Tông, Dịch Vọng Hậu, Cầu Giấy, Hà Nội"),
           ("Trần Thị Mai", "(+84) 3******85", "123/4 Lê Văn Sỹ, Phường 13, Quận 3, TP. Hồ Chí Minh"),
           ("Lê Hoàng Nam", "(+84) 7******40", "45 Nguyễn Văn Linh, Hải Châu, Đà Nẵng")],
    "fil": [("Maria Santos", "(+63) 917****4455", "Unit 12B, 88 Kalayaan Ave, Brgy. Pinyahan, Quezon City 1100"),
            ("Juan dela Cruz", "(+63) 928****1030", "Blk 5 Lot 22, Phase 2, Brgy. San Isidro, Cainta, Rizal 1900"),
            ("Angelica Reyes", "(+63) 995****7812", "143 P. Burgos St, Brgy. Poblacion, Makati City 1210")],
    "th": [("สมชาย ใจดี", "(+66) 8*-***-4521", "99/123 ถนนสุขุมวิท แขวงคลองตันเหนือ เขตวัฒนา กรุงเทพมหานคร 10110"),
           ("วราภรณ์ ศรีสุข", "(+66) 9*-***-0876", "45/6 หมู่ 3 ตำบลสุเทพ อำเภอเมือง เชียงใหม่ 50200"),
           ("ธนพล แก้วมณี", "(+66) 6*-***-3390", "88/19 ถนนรัตนาธิเบศร์ ตำบลบางกระสอ อำเภอเมือง นนทบุรี 11000")],
}

_PLACES = {
    "zh": ["杭州", "义乌", "上海", "广州", "深圳", "武汉", "成都", "苏州"],
    "en": ["Shenzhen", "Hong Kong", "Singapore", "Changi", "Jurong West", "Tampines"],
    "ms": ["Shah Alam", "Petaling Jaya", "Johor Bahru", "Kuala Lumpur", "Bayan Lepas", "Seremban"],
    "id": ["Jakarta Barat", "Bekasi", "Cakung", "Surabaya", "Bandung", "Tangerang"],
    "vi": ["Hà Nội", "Bắc Ninh", "TP. Hồ Chí Minh", "Đà Nẵng", "Bình Dương", "Cần Thơ"],
    "fil": ["Pasig", "Quezon City", "Caloocan", "Cebu", "Makati", "Taguig"],
    "th": ["บางนา", "ลาดกระบัง", "กรุงเทพมหานคร", "เชียงใหม่", "นนทบุรี", "ขอนแก่น"],
}

_TEL = {"zh": "135****2087", "en": "+65 8***-**14", "ms": "011-***-*620", "id": "0812-****-5530",
        "vi": "09*****318", "fil": "0917-***-**08", "th": "08*-***-2214"}

# platforms: accent colour, order-id form, nav labels (None: the language's own), web address
_PLATFORMS = {
    "taobao": dict(accent=(255, 80, 0), oid=("digits", 18, 19), host="buyertrade.taobao.com/trade/detail"),
    "jd": dict(accent=(225, 37, 27), oid=("digits", 15, 16), host="details.jd.com/normal/item.action",
               nav=["首页", "分类", "逛", "购物车", "我的"]),
    "shopee": dict(accent=(238, 77, 45), oid=("sn",), host="shopee/user/purchase/order"),
    "lazada": dict(accent=(15, 20, 109), oid=("digits", 15, 16), host="lazada/customer/order/view",
                   nav={"en": ["For You", "Messages", "Cart", "Account"], "ms": ["Untuk Anda", "Mesej", "Troli", "Akaun"],
                        "id": ["Untukmu", "Chat", "Keranjang", "Akun"],
                        "vi": ["Dành cho bạn", "Tin nhắn", "Giỏ hàng", "Tài khoản"],
                        "fil": ["For You", "Messages", "Cart", "Account"], "th": ["สำหรับคุณ", "ข้อความ", "รถเข็น", "บัญชี"]}),
    "tokopedia": dict(accent=(3, 172, 14), oid=("digits", 16, 17), host="www.tokopedia.com/order-list",
                      nav=["Home", "Feed", "Official Store", "Wishlist", "Transaksi"]),
    "tiki": dict(accent=(26, 148, 255), oid=("digits", 15, 17), host="tiki.vn/sales/order/view",
                 nav=["Trang chủ", "Danh mục", "Tin mới", "Tài khoản"]),
    "tiktok": dict(accent=(254, 44, 85), oid=("digits", 18, 18), host="shop.tiktok.com/orders/detail"),
    "webshop": dict(accent=None, oid=("shop",), host="shop.northwind.example/account/orders",
                    nav=["Home", "Categories", "Cart", "Account"]),
    "aliexpress": dict(accent=(230, 46, 4), oid=("digits", 16, 16), host="www.aliexpress.com/p/order/detail.html"),
}
_LANG_PLATFORMS = {
    "zh": ["taobao", "taobao", "jd"], "en": ["shopee", "webshop", "aliexpress", "lazada"],
    "ms": ["shopee", "shopee", "lazada", "tiktok"], "id": ["shopee", "tokopedia", "lazada", "tiktok"],
    "vi": ["shopee", "shopee", "lazada", "tiki"], "fil": ["shopee", "lazada", "lazada", "tiktok"],
    "th": ["shopee", "lazada", "tiktok"],
}
_DOMAIN = {"zh": "", "en": ".sg", "ms": ".com.my", "id": ".co.id", "vi": ".vn", "fil": ".ph", "th": ".co.th"}

# tracking forms: code -> (display name, zh display name, generator)
_CARRIERS = {
    "SF": ("SF Express", "顺丰速运"), "YT": ("YTO Express", "圆通速递"), "JT": ("J&T Express", "极兔速递"),
    "SPX": ("SPX Express", "SPX"), "JX": ("J&T Express", "J&T"), "NJV": ("Ninja Van", "Ninja Van"),
    "TH": ("Flash Express", "Flash Express"), "UPS": ("UPS", "UPS"),
}
_LOGO = {"SF": ("SF", (30, 30, 30)), "YT": ("YTO", (90, 40, 140)), "JT": ("J&T", (220, 30, 40)),
         "SPX": ("SPX", (238, 77, 45)), "JX": ("J&T", (220, 30, 40)), "NJV": ("NV", (200, 20, 50)),
         "TH": ("FE", (250, 200, 0)), "UPS": ("UPS", (80, 50, 20))}
_LANG_CARRIERS = {"zh": ["SF", "YT", "JT"], "en": ["UPS", "SF", "YT", "JT"], "ms": ["SPX", "JT", "JX"],
                  "id": ["SPX", "JX", "JT"], "vi": ["SPX", "JT"], "fil": ["SPX", "NJV", "JT"], "th": ["TH", "JT", "TH"]}
_SPX_CC = {"ms": "MY", "id": "ID", "vi": "VN", "fil": "PH"}

_MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _digits(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789") for _ in range(n))


def _tracking(r: random.Random, code: str, lang: str) -> str:
    if code == "SF":
        return "SF" + str(r.randint(1, 9)) + _digits(r, r.choice([11, 12]))
    if code == "YT":
        return "YT" + str(r.randint(1, 9)) + _digits(r, 12)
    if code == "JT":
        return "JT" + str(r.randint(1, 9)) + _digits(r, 11)
    if code == "SPX":
        return "SPX" + _SPX_CC.get(lang, "MY") + "0" + _digits(r, 11)
    if code == "JX":
        return "JX" + str(r.randint(1, 9)) + _digits(r, 9)
    if code == "NJV":
        return "NJVPH" + str(r.randint(1, 9)) + _digits(r, r.randint(9, 11))
    if code == "TH":
        return "TH" + str(r.randint(1, 9)) + _digits(r, 11)
    if code == "UPS":
        al = "ABCDEFGHJKLMNPRSTUVWXY0123456789"
        return "1Z" + "".join(r.choice(al) for _ in range(6)) + _digits(r, 10)
    raise ValueError(code)


def _order_id(r: random.Random, form: tuple, dt: datetime) -> str:
    if form[0] == "sn":
        al = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"  # no I or O: a printed O and 0 cannot be told apart
        while True:
            tail = "".join(r.choice(al) for _ in range(8))
            if 3 <= sum(ch.isalpha() for ch in tail) <= 6:
                return dt.strftime("%y%m%d") + tail
    if form[0] == "shop":
        return "O" + str(r.randint(10000, 99999))
    n = r.randint(form[1], form[2])
    return str(r.randint(1, 9)) + _digits(r, n - 1)


def _fmt_dt(lang: str, dt: datetime, style: int = 0, time: bool = True) -> str:
    hm = f" {dt:%H:%M}" if time else ""
    if lang == "zh":
        return f"{dt:%Y-%m-%d}{hm}"
    if lang == "en":
        return f"{dt.day} {_MON[dt.month - 1]} {dt.year}{',' if time else ''}{hm}" if style else f"{dt:%Y-%m-%d}{hm}"
    if lang in ("ms", "id", "fil"):
        return f"{dt:%d-%m-%Y}{hm}" if style else f"{dt:%Y-%m-%d}{hm}"
    if lang == "vi":
        return f"{dt:%H:%M} {dt:%d-%m-%Y}" if style and time else f"{dt:%d-%m-%Y}{hm}"
    if lang == "th":
        year = dt.year + 543 if style else dt.year
        return f"{dt:%d/%m}/{year}{hm}"
    return f"{dt:%Y-%m-%d}{hm}"


# ----------------------------------------------------------------------------------------------------------------
# money

def _group(n: int, sep: str) -> str:
    s = str(n)
    parts = []
    while len(s) > 3:
        parts.insert(0, s[-3:])
        s = s[:-3]
    parts.insert(0, s)
    return sep.join(parts)


class _Money:
    """A market's way of printing money; amounts are integers in the printed unit of precision."""

    def __init__(self, lang: str, r: random.Random):
        self.lang = lang
        self.dec = 2
        self.sep = ","
        self.pre, self.post = "", ""
        if lang == "zh":
            self.pre, self.sep = r.choice(["¥", "￥"]), ""
        elif lang == "en":
            self.pre = "$"
        elif lang == "ms":
            self.pre = r.choice(["RM", "RM", "RM "])
        elif lang == "id":
            self.pre, self.dec, self.sep = r.choice(["Rp", "Rp", "Rp "]), 0, "."
        elif lang == "vi":
            self.dec, self.sep = 0, "."
            self.pre, self.post = r.choice([("", "₫"), ("", " đ"), ("₫", ""), ("", "đ")])
        elif lang == "fil":
            self.pre = "₱"
        elif lang == "th":
            self.pre, self.dec = "฿", r.choice([0, 0, 2])

    def fmt(self, v: int, neg: bool = False) -> str:
        if self.dec:
            major, minor = divmod(v, 100)
            num = f"{_group(major, self.sep)}.{minor:02d}"
        else:
            num = _group(v, self.sep)
        return ("-" if neg else "") + self.pre + num + self.post

    def plain(self, v: int) -> str:
        if self.dec:
            major, minor = divmod(v, 100)
            return f"{major}.{minor:02d}"
        return str(v)

    def price(self, r: random.Random, lo: float = 1.0, hi: float = 1.0) -> int:
        """A plausible shelf price for the market (lo/hi scale the range)."""
        lang = self.lang
        rng = {"zh": (9, 899), "en": (4, 190), "ms": (6, 399), "id": (9_900, 899_000), "vi": (29_000, 1_899_000),
               "fil": (99, 4_999), "th": (59, 3_990)}[lang]
        major = math.exp(r.uniform(math.log(rng[0] * lo), math.log(rng[1] * hi)))
        if lang == "id":
            return max(1000, int(major / 100) * 100 + r.choice([0, 0, -100, 900 - int(major / 100) % 10 * 100]))
        if lang == "vi":
            return max(1000, int(major / 1000) * 1000)
        if lang == "th":
            v = max(9, int(major) - int(major) % 10 + r.choice([0, 9, 9, 5]))
            return v * 100 if self.dec else v
        cents = {"zh": [0, 90, 50, 80, 99, 0], "en": [99, 49, 95, 0, 99], "ms": [90, 0, 50, 99, 90],
                 "fil": [0, 0, 0, 50, 99]}[lang]
        return int(major) * 100 + r.choice(cents)

    def shipping(self, r: random.Random) -> int:
        if r.random() < 0.3:
            return 0
        lang = self.lang
        if lang == "zh":
            return r.choice([6, 8, 10, 12]) * 100
        if lang == "en":
            return r.choice([199, 299, 499, 899])
        if lang == "ms":
            return r.choice([490, 590, 800, 1000])
        if lang == "id":
            return r.choice([9000, 12000, 15000, 18500, 24000])
        if lang == "vi":
            return r.choice([15000, 18000, 22200, 30000, 35000])
        if lang == "fil":
            return r.choice([3600, 4900, 7500, 12000])
        v = r.choice([30, 38, 45, 60])
        return v * 100 if self.dec else v

    def nice(self, v: float) -> int:
        step = {"id": 500, "vi": 1000}.get(self.lang, 100)
        if self.lang == "th" and not self.dec:
            step = 5
        return max(step, int(v / step) * step)


# ----------------------------------------------------------------------------------------------------------------
# themes and sizes

_PHONES = [(720, 1280), (720, 1560), (750, 1334), (828, 1792), (1080, 1920), (1080, 2160), (1080, 2340)]


@dataclass
class _Theme:
    dark: bool
    bg: tuple
    card: tuple
    text: tuple
    sub: tuple
    line: tuple
    accent: tuple
    on_accent: tuple
    price: tuple
    bar: tuple
    radius: int


def _lum(c) -> float:
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def _mix(a, b, t: float) -> tuple:
    return tuple(int(round(a[i] * (1 - t) + b[i] * t)) for i in range(3))


def _theme(r: random.Random, accent, dark: bool, radius: int) -> _Theme:
    if accent is None:
        h = r.random()
        accent = tuple(int(v * 255) for v in colorsys.hsv_to_rgb(h, r.uniform(0.6, 0.9), r.uniform(0.55, 0.8)))
    if dark:
        bg = r.choice([(0, 0, 0), (18, 18, 18), (22, 24, 28), (16, 20, 26)])
        card = _mix(bg, (255, 255, 255), r.uniform(0.07, 0.12))
        text, sub, line = (236, 236, 236), (150, 150, 156), _mix(card, (255, 255, 255), 0.12)
        if _lum(accent) < 90:
            accent = _mix(accent, (255, 255, 255), 0.45)
        bar = card
    else:
        bg = r.choice([(245, 245, 245), (240, 242, 245), (246, 246, 248), (250, 250, 250)])
        card = (255, 255, 255)
        text = r.choice([(33, 33, 33), (20, 20, 20), (40, 44, 52)])
        sub, line = r.choice([(117, 117, 117), (128, 128, 134), (102, 106, 112)]), (226, 226, 230)
        bar = r.choice([(255, 255, 255), bg])
    on_accent = (255, 255, 255) if _lum(accent) < 170 else (20, 20, 20)
    price = accent if r.random() < 0.7 else ((238, 60, 50) if not dark else (255, 110, 90))
    return _Theme(dark, bg, card, text, sub, line, accent, on_accent, price, bar, radius)


def _family(r: random.Random, lang: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    latin = "cjk" if lang == "zh" or not HAVE_DEJAVU or r.random() < 0.6 else "dv"
    reg = [latin, "dv", "cjk"]
    bold = [latin + "_b", "dv_b", "cjk_b"]
    if lang == "th":
        reg.insert(0, "thai")
        bold.insert(0, "thai_b")
    dedupe = lambda xs: tuple(dict.fromkeys(k for k in xs if _usable(k)))  # noqa: E731
    return dedupe(reg), dedupe(bold)


# ----------------------------------------------------------------------------------------------------------------
# textures and product-like scenes (numpy)

def _smooth(n: np.random.Generator, w: int, h: int, cell: float) -> np.ndarray:
    gw, gh = max(2, int(w / cell) + 2), max(2, int(h / cell) + 2)
    a = (n.random((gh, gw)) * 255).astype(np.uint8)
    return np.asarray(Image.fromarray(a, "L").resize((w, h), Image.BICUBIC), np.float32) / 255.0


def _texture(r: random.Random, n: np.random.Generator, w: int, h: int, kind: str) -> np.ndarray:
    """An RGB float array (0..255) of a wood / cloth / cardboard / stone / carpet surface."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "wood":
        vertical = r.random() < 0.5
        u = xx if vertical else yy  # across the planks; the grain runs along the other axis
        plank_w = r.uniform(160, 320)
        plank = np.floor(u / plank_w)
        warp = _smooth(n, w, h, 140) * r.uniform(25, 60) + _smooth(n, w, h, 25) * 5
        period = r.uniform(8, 18)
        grain = np.sin((u + warp + (plank * 53.7) % 31 * 7) * 2 * np.pi / period)
        shape = (max(2, h // 50), w) if vertical else (h, max(2, w // 50))
        streak = Image.fromarray((n.random(shape) * 255).astype(np.uint8), "L").resize((w, h), Image.BILINEAR)
        streak = np.asarray(streak, np.float32) / 255
        plank_tone = ((plank * 0.6180339) % 1.0) - 0.5
        tone = 0.78 + 0.07 * grain + 0.12 * (streak - 0.5) + 0.10 * plank_tone + n.normal(0, 0.02, (h, w))
        seam = (u % plank_w) < 2.5
        tone = np.where(seam, tone * 0.55, tone)
        base = np.array(r.choice([(150, 100, 60), (181, 136, 90), (120, 80, 50), (200, 160, 112), (96, 66, 42),
                                  (170, 120, 75)]), np.float32)
    elif kind == "cloth":
        p = r.uniform(3.0, 6.5)
        weave = np.sin(2 * np.pi * xx / p) * np.sin(2 * np.pi * yy / p)
        folds = _smooth(n, w, h, r.uniform(150, 300))
        tone = 0.8 + 0.06 * weave + 0.3 * (folds - 0.5) + n.normal(0, 0.025, (h, w))
        hue = r.random()
        base = np.array(colorsys.hsv_to_rgb(hue, r.uniform(0.15, 0.55), r.uniform(0.45, 0.85)), np.float32) * 255
    elif kind == "cardboard":
        tone = 0.9 + 0.03 * np.sin(2 * np.pi * yy / r.uniform(6, 10)) + 0.12 * (_smooth(n, w, h, 90) - 0.5)
        tone += n.normal(0, 0.03, (h, w))
        base = np.array(r.choice([(190, 150, 105), (176, 137, 94), (205, 170, 125)]), np.float32)
    elif kind == "carpet":
        tone = 0.8 + 0.2 * (_smooth(n, w, h, 4) - 0.5) + 0.1 * (_smooth(n, w, h, 60) - 0.5)
        tone += n.normal(0, 0.06, (h, w))
        base = np.array(r.choice([(90, 90, 100), (120, 60, 55), (70, 90, 80), (140, 130, 115)]), np.float32)
    else:  # stone / laminate desk
        tone = 0.88 + 0.1 * (_smooth(n, w, h, 40) - 0.5) + n.normal(0, 0.035, (h, w))
        speck = n.random((h, w)) < 0.004
        tone = np.where(speck, tone * 0.6, tone)
        base = np.array(r.choice([(200, 200, 198), (170, 172, 175), (225, 222, 215), (120, 122, 125)]), np.float32)
    return np.clip(base[None, None, :] * tone[..., None], 0, 255)


def _lighting(r: random.Random, w: int, h: int, strength: float = 1.0) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    nx, ny = xx / w - 0.5, yy / h - 0.5
    a = r.uniform(0, 2 * math.pi)
    lin = 1.0 + strength * r.uniform(0.12, 0.3) * (math.cos(a) * nx + math.sin(a) * ny) * 2
    vig = 1.0 - strength * r.uniform(0.15, 0.35) * (nx ** 2 + ny ** 2) * 2
    hx, hy = r.uniform(-0.3, 0.3), r.uniform(-0.3, 0.3)
    spot = strength * r.uniform(0.0, 0.18) * np.exp(-((nx - hx) ** 2 + (ny - hy) ** 2) / 0.05)
    return (lin * vig + spot).astype(np.float32)


def _shade_fill(arr: np.ndarray, mask: Image.Image, colour, field: np.ndarray | None = None):
    m = np.asarray(mask.filter(ImageFilter.GaussianBlur(0.7)), np.float32)[..., None] / 255
    col = np.array(colour, np.float32)[None, None, :]
    if field is not None:
        col = col * field[..., None]
    arr *= 1 - m
    arr += np.clip(col, 0, 255) * m


def _goods_scene(r: random.Random, n: np.random.Generator, W: int, H: int, n_obj: int, noise: float) -> Image.Image:
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    style = r.choice(["studio", "table", "table", "floor"])
    if style == "studio":
        c1 = np.array(colorsys.hsv_to_rgb(r.random(), r.uniform(0, 0.25), r.uniform(0.75, 0.97)), np.float32) * 255
        c2 = c1 * r.uniform(0.6, 0.85)
        t = (yy / H)[..., None]
        arr = c1 * (1 - t) + c2 * t
        horizon = H * r.uniform(0.45, 0.6)
    else:
        horizon = H * r.uniform(0.3, 0.55)
        wall = np.array(colorsys.hsv_to_rgb(r.random(), r.uniform(0.03, 0.3), r.uniform(0.6, 0.92)), np.float32) * 255
        arr = np.broadcast_to(wall, (H, W, 3)).astype(np.float32) * (0.85 + 0.15 * (yy / H))[..., None]
        surf = _texture(r, n, W, H, r.choice(["wood", "cloth", "stone", "carpet"] if style == "table"
                                             else ["wood", "carpet", "stone"]))
        below = (yy >= horizon)[..., None]
        depth = np.clip((yy - horizon) / max(1, H - horizon), 0, 1)[..., None]
        arr = np.where(below, surf * (0.75 + 0.3 * depth), arr)
        arr[int(horizon):int(horizon) + 2] *= 0.8
    kinds = ["box", "bottle", "shirt", "ball", "shoe", "mug"]
    slots = sorted(r.uniform(0.12, 0.88) for _ in range(n_obj))
    for sx in slots:
        kind = r.choice(kinds)
        size = W * r.uniform(0.26, 0.48) / max(1.0, n_obj ** 0.5)
        cx = min(max(sx * W, size * 0.75), W - size * 0.75)  # the whole object inside the frame
        base_y = horizon + (H - horizon) * r.uniform(0.35, 0.8)
        base_y = min(max(base_y, size * 2.2), H - size * 0.15)
        hue = r.random()
        colour = np.array(colorsys.hsv_to_rgb(hue, r.uniform(0.2, 0.85), r.uniform(0.35, 0.95)), np.float32) * 255
        # shadow
        sh = Image.new("L", (W, H))
        ImageDraw.Draw(sh).ellipse((cx - size * 0.6, base_y - size * 0.1, cx + size * 0.65, base_y + size * 0.12),
                                   fill=255)
        sh = np.asarray(sh.filter(ImageFilter.GaussianBlur(size * 0.08 + 1)), np.float32)[..., None] / 255
        arr *= 1 - 0.45 * sh
        mask = Image.new("L", (W, H))
        md = ImageDraw.Draw(mask)
        x0, x1 = cx - size / 2, cx + size / 2
        tx = np.clip((xx - x0) / max(1, x1 - x0), 0, 1)
        if kind == "box":
            bh = size * r.uniform(0.6, 1.1)
            d = size * 0.28
            front = [(x0, base_y - bh), (x1, base_y - bh), (x1, base_y), (x0, base_y)]
            md.polygon(front, fill=255)
            _shade_fill(arr, mask, colour, 0.95 + 0.1 * (1 - tx))
            for poly, k in (([(x0, base_y - bh), (x0 + d, base_y - bh - d * 0.7), (x1 + d, base_y - bh - d * 0.7),
                              (x1, base_y - bh)], 1.18),
                            ([(x1, base_y - bh), (x1 + d, base_y - bh - d * 0.7), (x1 + d, base_y - d * 0.7),
                              (x1, base_y)], 0.68)):
                m2 = Image.new("L", (W, H))
                ImageDraw.Draw(m2).polygon(poly, fill=255)
                _shade_fill(arr, m2, colour * k)
            if r.random() < 0.6:  # tape across the lid
                m3 = Image.new("L", (W, H))
                ImageDraw.Draw(m3).rectangle((cx - size * 0.07, base_y - bh, cx + size * 0.07, base_y - bh * 0.6), fill=255)
                _shade_fill(arr, m3, np.array([200, 170, 120], np.float32), 0.9 + 0.1 * tx)
        elif kind == "bottle":
            bh = size * r.uniform(1.3, 2.0)
            bw = size * 0.55
            bx0, bx1 = cx - bw / 2, cx + bw / 2
            md.rounded_rectangle((bx0, base_y - bh * 0.75, bx1, base_y), radius=bw * 0.2, fill=255)
            md.rectangle((cx - bw * 0.18, base_y - bh, cx + bw * 0.18, base_y - bh * 0.7), fill=255)
            txb = np.clip((xx - bx0) / max(1, bw), 0, 1)
            body = np.clip(np.sin(np.pi * txb), 0, 1) ** 0.7
            _shade_fill(arr, mask, colour, 0.5 + 0.55 * body + 0.35 * np.exp(-((txb - 0.3) / 0.07) ** 2))
            lab = Image.new("L", (W, H))
            ImageDraw.Draw(lab).rectangle((bx0, base_y - bh * 0.5, bx1, base_y - bh * 0.25), fill=255)
            lc = np.array(colorsys.hsv_to_rgb((hue + 0.5) % 1, 0.3, 0.95), np.float32) * 255
            _shade_fill(arr, lab, lc, 0.6 + 0.45 * np.clip(np.sin(np.pi * txb), 0, 1) ** 0.7)
            cap = Image.new("L", (W, H))
            ImageDraw.Draw(cap).rectangle((cx - bw * 0.2, base_y - bh * 1.05, cx + bw * 0.2, base_y - bh * 0.95), fill=255)
            _shade_fill(arr, cap, np.array([40, 40, 45], np.float32), 0.7 + 0.5 * np.sin(np.pi * txb))
        elif kind == "shirt":
            s = size * 1.1
            top = base_y - s * 0.9
            pts = [(cx - s * 0.18, top), (cx - s * 0.5, top + s * 0.1), (cx - s * 0.62, top + s * 0.32),
                   (cx - s * 0.4, top + s * 0.38), (cx - s * 0.38, base_y), (cx + s * 0.38, base_y),
                   (cx + s * 0.4, top + s * 0.38), (cx + s * 0.62, top + s * 0.32), (cx + s * 0.5, top + s * 0.1),
                   (cx + s * 0.18, top), (cx, top + s * 0.08)]
            md.polygon(pts, fill=255)
            p = r.uniform(2.5, 5)
            weave = 0.05 * np.sin(2 * np.pi * xx / p) * np.sin(2 * np.pi * yy / p)
            folds = 0.75 + 0.45 * _smooth(n, W, H, size * 0.35)
            stripes = 1.0
            if r.random() < 0.4:
                stripes = 0.85 + 0.15 * (np.sin(2 * np.pi * yy / r.uniform(10, 30)) > 0)
            _shade_fill(arr, mask, colour, (folds + weave) * stripes)
        elif kind == "ball":
            rad = size * 0.45
            md.ellipse((cx - rad, base_y - 2 * rad, cx + rad, base_y), fill=255)
            lx, ly = cx - rad * 0.35, base_y - rad * 1.4
            dist = np.sqrt((xx - lx) ** 2 + (yy - ly) ** 2) / (2 * rad)
            _shade_fill(arr, mask, colour, np.clip(1.35 - 0.9 * dist, 0.35, 1.4))
        elif kind == "shoe":
            s = size * 1.2
            sole = (cx - s * 0.5, base_y - s * 0.12, cx + s * 0.5, base_y)
            upper = [(cx - s * 0.48, base_y - s * 0.1), (cx - s * 0.42, base_y - s * 0.45), (cx - s * 0.2, base_y - s * 0.5),
                     (cx + s * 0.05, base_y - s * 0.3), (cx + s * 0.45, base_y - s * 0.22), (cx + s * 0.5, base_y - s * 0.1)]
            md.polygon(upper, fill=255)
            _shade_fill(arr, mask, colour, 0.7 + 0.45 * _smooth(n, W, H, s * 0.3))
            m2 = Image.new("L", (W, H))
            ImageDraw.Draw(m2).rounded_rectangle(sole, radius=s * 0.05, fill=255)
            _shade_fill(arr, m2, np.array([235, 235, 230], np.float32), 0.85 + 0.15 * tx)
            lace = Image.new("L", (W, H))
            ld = ImageDraw.Draw(lace)
            for k in range(4):
                px = cx - s * 0.12 + k * s * 0.07
                ld.line([(px, base_y - s * 0.42 + k * s * 0.04), (px + s * 0.06, base_y - s * 0.36 + k * s * 0.04)],
                        fill=255, width=max(1, int(s * 0.02)))
            _shade_fill(arr, lace, np.array([245, 245, 245], np.float32))
        else:  # mug
            mh = size * 0.85
            mw = size * 0.7
            mx0, mx1 = cx - mw / 2, cx + mw / 2
            md.rectangle((mx0, base_y - mh, mx1, base_y), fill=255)
            md.ellipse((mx0, base_y - mh * 0.08, mx1, base_y + mh * 0.06), fill=255)
            md.arc((mx1 - mw * 0.2, base_y - mh * 0.8, mx1 + mw * 0.35, base_y - mh * 0.25), -90, 90, fill=255,
                   width=max(2, int(mw * 0.09)))
            txm = np.clip((xx - mx0) / max(1, mw), 0, 1)
            body = np.clip(np.sin(np.pi * txm), 0, 1) ** 0.7
            _shade_fill(arr, mask, colour, 0.5 + 0.6 * body + 0.3 * np.exp(-((txm - 0.3) / 0.06) ** 2))
            top = Image.new("L", (W, H))
            ImageDraw.Draw(top).ellipse((mx0, base_y - mh - mh * 0.07, mx1, base_y - mh + mh * 0.07), fill=255)
            _shade_fill(arr, top, colour * 0.45)
    arr *= _lighting(r, W, H, 0.8)[..., None]
    if noise:
        arr += n.normal(0, noise, arr.shape).astype(np.float32)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    return img.filter(ImageFilter.GaussianBlur(r.uniform(0.3, 0.8)))


def photos_of_goods(seed: int) -> Image.Image:
    """A photographed product-like scene (backdrop or table, 1-3 shaded objects, lighting, noise); no text."""
    r = _rng("goods", seed)
    n = np.random.default_rng(r.getrandbits(63))
    W, H = r.choice([(1080, 1080), (1200, 900), (900, 1200), (1080, 1440), (1280, 960)])
    return _goods_scene(r, n, W, H, r.randint(1, 3), r.uniform(3, 8))


@lru_cache(maxsize=256)
def _thumb(seed: int, size: int) -> Image.Image:
    r = _rng("thumb", seed)
    n = np.random.default_rng(r.getrandbits(63))
    big = _goods_scene(r, n, 240, 240, 1, 2.0)
    return big.resize((size, size), Image.LANCZOS)


# ----------------------------------------------------------------------------------------------------------------
# facts: everything random is decided here, builders only lay it out

def _rng(*parts) -> random.Random:
    h = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def _facts(lang: str, kind: str, seed: int) -> SimpleNamespace:
    r = _rng("screens_second", lang, kind, seed)
    T = _T[lang]
    F = SimpleNamespace(lang=lang, kind=kind, T=T)
    F.platform = r.choice(_LANG_PLATFORMS[lang])
    if kind in ("chat", "receipt") and r.random() < 0.22:
        F.platform = "webshop"  # a small shop's own order number, O10427
    P = _PLATFORMS[F.platform]
    F.money = _Money(lang, r)
    day = 11 if r.random() < 0.55 else r.randint(1, 20)
    F.order_dt = datetime(2026, 11, day, r.randint(0, 23), r.randint(0, 59))
    if r.random() < 0.25:
        F.order_dt = datetime(2026, 11, 11, 12, 3)
    F.pay_dt = F.order_dt + timedelta(minutes=r.randint(0, 9), seconds=r.randint(0, 59))
    F.dt_style = r.randint(0, 1)
    F.order_id = _order_id(r, P["oid"], F.order_dt)
    carriers = [k for k in _LANG_CARRIERS[lang] if k != "SPX" or F.platform == "shopee"] or ["JT"]
    F.carrier_code = r.choice(carriers)
    F.carrier = _CARRIERS[F.carrier_code][1 if lang == "zh" else 0]
    F.tracking = _tracking(r, F.carrier_code, lang)
    F.shop = r.choice(_SHOPS[lang])
    F.receiver, F.phone, F.address = r.choice(_PEOPLE[lang])
    F.sender = r.choice(_SHOPS[lang])
    F.sender_phone = _TEL[lang]
    n_items = 1 if kind in ("checkout", "chat", "waybill_photo") and r.random() < 0.7 else r.randint(1, 3)
    if kind == "receipt":
        n_items = r.randint(1, 4)
    prods = r.sample(_PRODUCTS[lang], n_items)
    F.items = []
    for name, var in prods:
        unit = F.money.price(r)
        orig = F.money.nice(unit * r.uniform(1.25, 2.1)) if r.random() < 0.8 else None
        qty = 1 if r.random() < 0.75 else r.randint(2, 3)
        F.items.append(SimpleNamespace(name=name, var=var, unit=unit, orig=orig, qty=qty, thumb=r.getrandbits(31)))
    F.subtotal = sum(i.unit * i.qty for i in F.items)
    F.shipping = F.money.shipping(r)
    F.discount = F.money.nice(F.subtotal * r.uniform(0.05, 0.2)) if r.random() < 0.5 else 0
    if F.discount >= F.subtotal:
        F.discount = 0
    F.total = F.subtotal + F.shipping - F.discount
    F.pay_method = r.choice(T["pay_methods"])
    F.invoice_no = (_digits(r, 8) if lang == "zh" else
                    f"INV/{F.order_dt:%Y%m%d}/MPL/{_digits(r, 10)}" if lang == "id" else
                    f"INV-{F.order_dt:%Y}-{_digits(r, 6)}")
    # events of the parcel, oldest first
    places = r.sample(_PLACES[lang], 4)
    steps = [("pickup", places[0])]
    if r.random() < 0.5:
        steps.insert(0, ("prep", places[0]))
    steps += [("hub_in", places[1]), ("hub_out", places[1])]
    if r.random() < 0.5:
        steps += [("hub_in", places[2]), ("hub_out", places[2])]
    steps += [("station", places[3]), ("out", places[3])]
    if r.random() < 0.6:
        steps.append(("delivered", places[3]))
    want = r.randint(4, 6)
    steps = steps[-want:] if len(steps) > want else steps
    t = F.pay_dt + timedelta(hours=r.uniform(2, 20))
    F.events = []
    for i, (key, place) in enumerate(steps):
        nxt = places[min(3, places.index(place) + 1)]
        text = T["ev"][key].format(place=place, next=nxt, carrier=F.carrier, name=F.receiver, tel=_TEL[lang])
        F.events.append((t, text, key))
        t += timedelta(hours=r.uniform(1.5, 16), minutes=r.randint(0, 59))
    last = F.events[-1][2]
    F.status = T["st"][2 if last == "delivered" else 1 if last == "out" else 0]
    # what this shot prints
    F.show_tracking = F.show_order = F.show_amount = True
    F.amount_value = F.total
    if kind == "checkout":
        F.show_tracking = r.random() < 0.45
    elif kind == "logistics":
        F.show_amount = False
        F.show_order = r.random() < 0.5
    elif kind == "chat":
        F.chat_card = r.random() < 0.35
        F.card_amount = F.chat_card and r.random() < 0.5
        F.refund = None
        if not F.card_amount and r.random() < 0.55:
            F.refund = F.money.nice(F.items[0].unit * r.choice([1.0, 0.5, 0.3])) if lang not in ("zh", "en", "ms", "fil") \
                else max(100, F.items[0].unit * r.choice([100, 50, 30]) // 100)
        F.show_amount = F.card_amount or F.refund is not None
        F.amount_value = F.total if F.card_amount else F.refund
        F.oid_style = r.choice(["text", "text", "alone", "text2"])
        F.trk_style = r.choice(["s_trk", "s_trk", "s_trk2"])
        F.chat_eta = r.random() < 0.6
    elif kind == "receipt":
        F.show_order = r.random() < 0.9
        F.show_tracking = r.random() < 0.25
    elif kind == "waybill_photo":
        F.cod = lang in ("id", "vi", "fil", "th", "ms") and r.random() < 0.45
        F.show_amount = F.cod
        F.show_order = r.random() < 0.9
        F.weight = f"{r.randint(1, 30) * 0.05:.2f} kg"
        F.sort_code = r.choice(["{a}-{n:02d} {b}{m}", "{b}{m}-{n:02d}", "{a} {n:03d}-{m}"]).format(
            a=r.choice({"zh": ["SZX", "HGH", "SHA", "CAN"], "en": ["SIN", "SGP", "JFK"], "ms": ["KUL", "PEN", "JHB"],
                        "id": ["JKT", "CGK", "SUB"], "vi": ["HCM", "HAN", "DAD"], "fil": ["MNL", "CEB", "PSG"],
                        "th": ["BKK", "CNX", "NMA"]}[lang]), n=r.randint(1, 99),
            b=r.choice("ABCDEFGH"), m=r.randint(1, 9))
    # look
    F.desktop = kind in ("checkout", "logistics", "receipt", "chat") and r.random() < {
        "checkout": 0.22, "logistics": 0.2, "receipt": 0.3, "chat": 0.15}[kind]
    F.size = (1366, 768) if F.desktop else r.choice(_PHONES)
    F.fs = r.randint(22, 26) if F.desktop else max(22, min(40, round(F.size[0] / r.uniform(25, 32))))
    dark = r.random() < (0.12 if kind == "receipt" else 0.3)
    F.theme = _theme(r, P["accent"], dark, r.choice([0, 8, 14, 20]))
    F.fam = _family(r, lang)
    F.layout_seed = r.getrandbits(48)
    F.clock = f"{r.randint(7, 23)}:{r.randint(0, 59):02d}"
    F.battery = r.randint(12, 99)
    return F


def _required(F) -> set[str]:
    need = set()
    if F.show_order and F.order_id:
        need.add("order_id")
    if F.show_amount:
        need.add("amount")
    if F.show_tracking and F.tracking:
        need.add("tracking")
    return need


# ----------------------------------------------------------------------------------------------------------------
# shared chrome

def _status_bar(c: _Canvas, F, th: _Theme, bg=None, fg=None) -> float:
    h = round(c.W * 0.062)
    bg = bg or th.bar
    fg = fg or th.text
    c.rect((0, 0, c.W, h), fill=bg)
    fs = h * 0.46
    c.text(c.W * 0.06, (h - c.line_h(fs, True)) / 2, F.clock, fs, bold=True, fill=fg)
    x = c.W * 0.94
    bw, bh = h * 0.55, h * 0.28
    c.rect((x - bw, h / 2 - bh / 2, x, h / 2 + bh / 2), outline=fg, width=max(1, int(h * 0.03)), radius=bh * 0.25)
    c.rect((x - bw + 3, h / 2 - bh / 2 + 3, x - bw + 3 + (bw - 6) * F.battery / 100, h / 2 + bh / 2 - 3), fill=fg)
    x -= bw + h * 0.3
    for i in range(4):
        bx = x - (3 - i) * h * 0.12
        c.rect((bx - h * 0.07, h / 2 + bh / 2 - bh * (0.4 + 0.2 * i), bx, h / 2 + bh / 2), fill=fg)
    return h


def _app_bar(c: _Canvas, th: _Theme, y: float, title: str, fs: float, icons=("more",), bg=None, fg=None) -> float:
    h = fs * 2.5
    bg = bg or th.bar
    fg = fg or th.text
    c.rect((0, y, c.W, y + h), fill=bg)
    if bg == th.bg or bg == th.card:
        c.line([(0, y + h - 1), (c.W, y + h - 1)], th.line, 1)
    s = fs * 1.1
    _ico(c, "back", c.W * 0.055, y + h / 2, s, fg)
    for i, name in enumerate(icons):
        _ico(c, name, c.W - c.W * 0.06 - i * s * 1.5, y + h / 2, s, fg)
    room = c.W - 2 * (c.W * 0.06 + len(icons) * s * 1.5 + s)
    tfs = c.fit(title, fs * 1.12, True, room)
    c.text(c.W / 2, y + (h - c.line_h(tfs, True)) / 2, title, tfs, bold=True, fill=fg, align="c")
    return y + h


def _nav_bar(c: _Canvas, th: _Theme, labels: list[str], fs: float, active: int = 0) -> float:
    """Bottom navigation with icons and labels; returns its top."""
    n = len(labels)
    lfs = fs * 0.72
    h = fs * 1.25 + c.line_h(lfs) + fs * 0.9
    top = c.H - h
    c.rect((0, top, c.W, c.H), fill=th.bar if th.bar != th.bg else th.card)
    c.line([(0, top), (c.W, top)], th.line, 1)
    icons = ["home", "play", "bell", "cart", "person", "chat", "grid"]
    cell = c.W / n
    for i, lab in enumerate(labels):
        col = th.accent if i == active else th.sub
        cx = cell * (i + 0.5)
        _ico(c, icons[i % len(icons)] if n != 5 else ["home", "grid", "chat", "cart", "person"][i], cx,
             top + fs * 0.35 + fs * 0.5, fs * 1.05, col)
        c.text(cx, top + fs * 1.35, lab, lfs, fill=col, align="c", max_w=cell * 0.92)
    return top


def _browser(c: _Canvas, F, th: _Theme, fs: float, title: str) -> float:
    """Desktop browser chrome and a site header; returns the top of the page body."""
    light = not th.dark
    tab_bg = (222, 225, 230) if light else (32, 33, 36)
    bar_bg = (255, 255, 255) if light else (53, 54, 58)
    fg = (40, 40, 40) if light else (225, 225, 225)
    sfs = 15
    c.rect((0, 0, c.W, 36), fill=tab_bg)
    c.rect((70, 6, 330, 36), fill=bar_bg, radius=8)
    c.text(84, 10, title, sfs, fill=fg, max_w=230)
    for i, col in enumerate([(237, 106, 94), (245, 191, 79), (98, 197, 84)]):
        c.ellipse((14 + i * 18, 13, 26 + i * 18, 25), fill=col)
    c.rect((0, 36, c.W, 76), fill=bar_bg)
    c.rect((120, 42, c.W - 120, 70), fill=tab_bg, radius=14)
    host = _PLATFORMS[F.platform]["host"]
    if "/" in host and "." not in host.split("/")[0]:
        head, _, rest = host.partition("/")
        host = f"{head}{_DOMAIN[F.lang] or '.com'}/{rest}"
    c.text(140, 46, "https://" + host, sfs, fill=(110, 110, 110) if light else (170, 170, 170), max_w=c.W - 300)
    for i, name in enumerate(["back", "chev"]):
        _ico(c, name, 24 + i * 34, 56, 20, fg)
    # site header
    y = 76
    h = fs * 2.4
    c.rect((0, y, c.W, y + h), fill=th.accent)
    name = {"taobao": "淘宝网", "jd": "京东", "shopee": "Shopee", "lazada": "Lazada", "tokopedia": "tokopedia",
            "tiki": "Tiki", "tiktok": "TikTok Shop", "webshop": F.shop, "aliexpress": "AliExpress"}[F.platform]
    c.text(c.W * 0.08, y + (h - c.line_h(fs * 1.2, True)) / 2, name, fs * 1.2, bold=True, fill=th.on_accent,
           max_w=c.W * 0.3)
    c.rect((c.W * 0.4, y + h * 0.22, c.W * 0.82, y + h * 0.78), fill=(255, 255, 255), radius=4)
    _ico(c, "search", c.W * 0.8, y + h / 2, fs * 0.9, (120, 120, 120))
    _ico(c, "cart", c.W * 0.9, y + h / 2, fs * 1.1, th.on_accent)
    return y + h


def _footer(c: _Canvas, th: _Theme, F, fs: float) -> float:
    h = fs * 1.9
    top = c.H - h
    c.rect((0, top, c.W, c.H), fill=th.card)
    c.line([(0, top), (c.W, top)], th.line, 1)
    c.text(c.W / 2, top + (h - c.line_h(fs * 0.75)) / 2, F.T["footer"], fs * 0.75, fill=th.sub, align="c",
           max_w=c.W * 0.9)
    return top


def _copy_btn(c: _Canvas, th: _Theme, x1: float, y: float, lh: float, label: str, fs: float, icon: bool) -> float:
    """A copy button flush right at x1, vertically centred on a row of height lh; returns its left edge."""
    bfs = fs * 0.72
    if icon:
        s = fs * 0.95
        _ico(c, "copy", x1 - s / 2, y + lh / 2, s, th.sub)
        return x1 - s
    w = c.width(label, bfs) + fs * 0.8
    bh = c.line_h(bfs) + fs * 0.1
    by = y + (lh - bh) / 2
    c.rect((x1 - w, by, x1, by + bh), outline=th.accent, width=max(1, int(fs / 16)), radius=bh * 0.25)
    c.text(x1 - w / 2, by + (bh - c.line_h(bfs)) / 2, label, bfs, fill=th.accent, align="c")
    return x1 - w


def _id_row(c, th, x0, x1, y, label, value, fs, fact, copy_label=None, icon=False, stacked=False,
            val_bold=False) -> float:
    """'label   value [copy]' or label above value, the value never wrapped."""
    if stacked:
        y = c.text(x0, y, label, fs * 0.82, fill=th.sub, max_w=x1 - x0)[3] + fs * 0.1
    lh = c.line_h(fs, val_bold)
    right = x1
    if copy_label is not None:
        right = _copy_btn(c, th, x1, y, lh, copy_label, fs, icon) - fs * 0.5
    if stacked:
        vfs = c.fit(value, fs * 1.05, val_bold, right - x0)
        c.text(x0, y + (lh - c.line_h(vfs, val_bold)) / 2, value, vfs, bold=val_bold, fill=th.text, fact=fact)
        return y + lh
    vfs = c.fit(value, fs, val_bold, (right - x0) * 0.66)
    vw = c.width(value, vfs, val_bold)
    lfs = c.fit(label, fs, False, right - x0 - vw - fs * 0.6)
    c.text(x0, y + (lh - c.line_h(lfs)) / 2, label, lfs, fill=th.sub)
    c.text(right, y + (lh - c.line_h(vfs, val_bold)) / 2, value, vfs, bold=val_bold, fill=th.text, align="r", fact=fact)
    return y + lh


# ----------------------------------------------------------------------------------------------------------------
# checkout: an order-detail page

def _build_checkout(F, r: random.Random, scale: float) -> _Canvas:
    th, T, M = F.theme, F.T, F.money
    fs = F.fs * scale
    c = _Canvas(F.size, F.fam, th.bg)
    pad = fs * 0.75
    gap = fs * 0.45
    copy_icon = r.random() < 0.3
    stacked_id = r.random() < 0.3
    bold_id = r.random() < 0.3
    show_pay_time = F.lang == "zh" or r.random() < 0.4

    def banner(x0, x1, y):
        h0 = y
        end = _measure(c, lambda: c.para(x0 + pad, y + pad, T["status_sub"], fs * 0.8, x1 - x0 - 2 * pad - fs * 2.5,
                                         max_lines=2, fill=th.on_accent))
        tl = c.line_h(fs * 1.1, True)
        bottom = end + tl + pad
        c.rect((x0, y, x1, bottom), fill=th.accent, radius=0 if not F.desktop else th.radius)
        c.text(x0 + pad, y + pad, T["status_shipped"], fs * 1.1, bold=True, fill=th.on_accent,
               max_w=x1 - x0 - 2 * pad - fs * 2.5)
        c.para(x0 + pad, y + pad + tl, T["status_sub"], fs * 0.8, x1 - x0 - 2 * pad - fs * 2.5, max_lines=2,
               fill=th.on_accent)
        _ico(c, "truck", x1 - pad - fs, (h0 + bottom) / 2, fs * 2, th.on_accent)
        return bottom

    def tracking_card(x0, x1, y):
        def body(a, b, yy):
            _ico(c, "truck", a + fs * 0.55, yy + c.line_h(fs, True) / 2, fs * 1.1, th.accent)
            yy = c.text(a + fs * 1.5, yy, f"{T['latest']} · {F.carrier}", fs, bold=True, fill=th.accent,
                        max_w=b - a - fs * 1.5)[3] + fs * 0.2
            yy = _id_row(c, th, a + fs * 1.5, b, yy, T["trk_no"], F.tracking, fs * 0.9, "tracking",
                         copy_label=T["copy"], icon=copy_icon)
            yy += fs * 0.2
            t, text, _ = F.events[-1]
            yy = c.para(a + fs * 1.5, yy, text, fs * 0.82, b - a - fs * 1.5, fill=th.text, max_lines=2)
            return c.text(a + fs * 1.5, yy, _fmt_dt(F.lang, t, F.dt_style), fs * 0.72, fill=th.sub)[3]
        return _card(c, th, x0, x1, y, pad, body)

    def address(x0, x1, y):
        def body(a, b, yy):
            _ico(c, "pin", a + fs * 0.55, yy + fs * 0.9, fs * 1.1, th.sub)
            yy = c.text(a + fs * 1.5, yy, T["ship_to"], fs * 0.8, fill=th.sub, max_w=b - a - fs * 1.5)[3]
            yy = c.text(a + fs * 1.5, yy, f"{F.receiver}  {F.phone}", fs, bold=True, fill=th.text,
                        max_w=b - a - fs * 1.5)[3]
            return c.para(a + fs * 1.5, yy, F.address, fs * 0.85, b - a - fs * 1.5, fill=th.text, max_lines=3)
        return _card(c, th, x0, x1, y, pad, body)

    def products(x0, x1, y):
        def body(a, b, yy):
            _ico(c, "shop", a + fs * 0.5, yy + c.line_h(fs, True) / 2, fs, th.text)
            c.text(a + fs * 1.4, yy, F.shop, fs, bold=True, fill=th.text, max_w=b - a - fs * 3)
            _ico(c, "chev", b - fs * 0.3, yy + c.line_h(fs, True) / 2, fs * 0.9, th.sub)
            yy += c.line_h(fs, True) + fs * 0.5
            ts = int(fs * (2.6 if F.desktop else 3.2))
            for it in F.items:
                c.paste(_thumb(it.thumb, ts), (a, yy))
                c.rect((a, yy, a + ts, yy + ts), outline=th.line, width=1)
                tx = a + ts + fs * 0.6
                right_w = max(c.width(M.fmt(it.unit), fs * 0.9), c.width(M.fmt(it.orig), fs * 0.75) if it.orig else 0)
                name_w = b - tx
                ny = c.para(tx, yy, it.name, fs * 0.88, name_w, fill=th.text, max_lines=2)
                ny = c.text(tx, ny + fs * 0.1, it.var, fs * 0.75, fill=th.sub, max_w=name_w)[3]
                py = max(ny + fs * 0.15, yy + ts - c.line_h(fs * 0.9))
                qty = f"x{it.qty}"
                c.text(b, py, qty, fs * 0.85, fill=th.sub, align="r")
                qx = b - c.width(qty, fs * 0.85) - fs * 0.8
                px = c.text(tx, py, M.fmt(it.unit), fs * 0.9, fill=th.text, max_w=max(fs, qx - tx - right_w * 0.9))[2]
                if it.orig and px + fs * 0.5 + c.width(M.fmt(it.orig), fs * 0.72) < qx:
                    c.text(px + fs * 0.5, py + fs * 0.1, M.fmt(it.orig), fs * 0.72, fill=th.sub, strike=True)
                yy = max(yy + ts, py + c.line_h(fs * 0.9)) + fs * 0.6
            return yy - fs * 0.6
        return _card(c, th, x0, x1, y, pad, body)

    def summary(x0, x1, y):
        def body(a, b, yy):
            yy = _kv(c, a, b, yy, T["subtotal"], M.fmt(F.subtotal), fs * 0.85, th.sub, th.text) + fs * 0.25
            yy = _kv(c, a, b, yy, T["shipping"], M.fmt(F.shipping), fs * 0.85, th.sub, th.text) + fs * 0.25
            if F.discount:
                yy = _kv(c, a, b, yy, T["discount"], M.fmt(F.discount, neg=True), fs * 0.85, th.sub, th.price) + fs * 0.25
            c.line([(a, yy + fs * 0.15), (b, yy + fs * 0.15)], th.line, 1)
            yy += fs * 0.45
            return _kv(c, a, b, yy, T["paid"], M.fmt(F.total), fs, th.text, th.price, val_bold=True, val_fs=fs * 1.25,
                       fact="amount", lab_bold=True)
        return _card(c, th, x0, x1, y, pad, body)

    def order_info(x0, x1, y):
        def body(a, b, yy):
            yy = _id_row(c, th, a, b, yy, T["order_id"], F.order_id, fs * 0.9, "order_id", copy_label=T["copy"],
                         icon=copy_icon, stacked=stacked_id, val_bold=bold_id) + fs * 0.3
            yy = _kv(c, a, b, yy, T["order_time"], _fmt_dt(F.lang, F.order_dt, F.dt_style), fs * 0.85, th.sub,
                     th.text) + fs * 0.3
            if show_pay_time:
                yy = _kv(c, a, b, yy, T["pay_time"], _fmt_dt(F.lang, F.pay_dt, F.dt_style), fs * 0.85, th.sub,
                         th.text) + fs * 0.3
            return _kv(c, a, b, yy, T["pay_method"], F.pay_method, fs * 0.85, th.sub, th.text)
        return _card(c, th, x0, x1, y, pad, body)

    def actions(bottom):
        labels = T["btns"]
        bfs = fs * 0.82
        h = c.line_h(bfs) + fs * 0.9
        top = bottom - h - fs * 0.5
        c.rect((0, top, c.W, bottom), fill=th.card)
        c.line([(0, top), (c.W, top)], th.line, 1)
        x = c.W - c.W * 0.04
        for i, lab in enumerate(reversed(labels)):
            w = min(c.width(lab, bfs) + fs * 1.2, c.W * 0.3)
            primary = i == 0
            c.rect((x - w, top + fs * 0.25, x, top + fs * 0.25 + h), fill=th.accent if primary else None,
                   outline=th.accent if primary else th.sub, width=max(1, int(fs / 18)), radius=th.radius * 0.6)
            c.text(x - w / 2, top + fs * 0.25 + (h - c.line_h(bfs)) / 2, lab, bfs,
                   fill=th.on_accent if primary else th.text, align="c", max_w=w - fs * 0.4)
            x -= w + fs * 0.5
        return top

    order = r.choice(["shopee", "taobao"]) if F.platform not in ("taobao", "jd") else "taobao"
    if order == "shopee":
        secs = [(False, banner, None), (F.show_tracking, tracking_card, None), (False, address, None),
                (True, products, None), (True, summary, None), (True, order_info, None)]
    else:
        secs = [(False, address, None), (F.show_tracking, tracking_card, None), (True, products, None),
                (True, summary, None), (True, order_info, None)]
    secs = [s for s in secs if s[0] or s[1] is not tracking_card]
    if F.desktop and len(F.items) > 1:
        secs = [s for s in secs if s[1] is not banner]
    if F.desktop:
        top = _browser(c, F, th, fs, T["site_title"])
        bot = _footer(c, th, F, fs)
        mx = c.W * 0.08
        mid = c.W * 0.6
        left = [s for s in secs if s[1] in (banner, products, summary)]
        right = [s for s in secs if s[1] not in (banner, products, summary)]
        secs = [(q, f, None) for q, f, _ in left] + [(q, f, 1 if i == 0 else None) for i, (q, f, _) in enumerate(right)]
        c.text(mx, top + fs * 0.5, T["order_detail"], fs * 1.1, bold=True, fill=th.text)
        _flow(c, secs, [(mx, mid - fs * 0.5), (mid + fs * 0.5, c.W - mx)], top + fs * 2.3, bot - fs * 0.5, gap)
    else:
        y = _status_bar(c, F, th)
        y = _app_bar(c, th, y, T["order_detail"], fs, icons=("chat",) if r.random() < 0.5 else ("more",))
        nav = _PLATFORMS[F.platform].get("nav")
        nav = nav.get(F.lang, T["nav"]) if isinstance(nav, dict) else nav or T["nav"]
        bot = _nav_bar(c, th, nav, fs, active=len(nav) - 1)
        bot = actions(bot)
        m = c.W * 0.03 if r.random() < 0.7 else 0
        _flow(c, secs, [(m, c.W - m)], y + gap, bot - gap, gap)
    return c


# ----------------------------------------------------------------------------------------------------------------
# logistics: a tracking timeline

def _build_logistics(F, r: random.Random, scale: float) -> _Canvas:
    th, T = F.theme, F.T
    fs = F.fs * scale
    c = _Canvas(F.size, F.fam, th.bg)
    pad = fs * 0.8
    copy_icon = r.random() < 0.4
    left_dates = r.random() < 0.45
    show_map = r.random() < 0.5 and not F.desktop
    show_eta = r.random() < 0.6
    show_tel = r.random() < 0.5
    stacked_trk = r.random() < 0.4

    def header(x0, x1, y):
        def body(a, b, yy):
            logo, col = _LOGO[F.carrier_code]
            s = fs * 2.6
            c.ellipse((a, yy, a + s, yy + s), fill=col)
            lf = c.fit(logo, fs * 0.95, True, s * 0.82)
            c.text(a + s / 2, yy + (s - c.line_h(lf, True)) / 2, logo, lf, bold=True,
                   fill=(255, 255, 255) if _lum(col) < 170 else (20, 20, 20), align="c")
            tx = a + s + fs * 0.6
            c.text(tx, yy, F.carrier, fs * 1.05, bold=True, fill=th.text, max_w=b - tx - fs * 5)
            stf = fs * 0.8
            sw = c.width(F.status, stf) + fs * 0.8
            c.rect((b - sw, yy + fs * 0.05, b, yy + fs * 0.05 + c.line_h(stf) + fs * 0.1), fill=th.accent,
                   radius=fs * 0.3)
            c.text(b - sw / 2, yy + fs * 0.1, F.status, stf, fill=th.on_accent, align="c", max_w=sw - fs * 0.3)
            yy2 = yy + c.line_h(fs * 1.05, True) + fs * 0.2
            yy2 = _id_row(c, th, tx, b, yy2, T["trk_no"], F.tracking, fs * 0.92, "tracking", copy_label=T["copy"],
                          icon=copy_icon, stacked=stacked_trk, val_bold=True)
            yy = max(yy + s, yy2) + fs * 0.4
            if F.show_order:
                yy = _kv(c, a, b, yy, T["order_id"], F.order_id, fs * 0.85, th.sub, th.text, fact="order_id") + fs * 0.25
            if show_eta:
                yy = _kv(c, a, b, yy, T["eta"], T["eta_val"], fs * 0.85, th.sub, th.text) + fs * 0.25
            if show_tel:
                yy = _kv(c, a, b, yy, T["courier_tel"], _TEL[F.lang], fs * 0.85, th.sub, th.text) + fs * 0.25
            return yy - fs * 0.25
        return _card(c, th, x0, x1, y, pad, body)

    def map_strip(x0, x1, y):
        h = (x1 - x0) * 0.38
        if not c.dry:
            mr = _rng("map", F.layout_seed)
            base = (229, 236, 226) if not th.dark else (40, 48, 44)
            road = (255, 255, 255) if not th.dark else (75, 80, 85)
            c.rect((x0, y, x1, y + h), fill=base, radius=th.radius)
            for _ in range(9):
                if mr.random() < 0.5:
                    yy = y + mr.uniform(0.05, 0.95) * h
                    c.line([(x0 + 2, yy), (x1 - 2, yy + mr.uniform(-h * 0.2, h * 0.2))], road, fs * mr.uniform(0.2, 0.5))
                else:
                    xx = x0 + mr.uniform(0.05, 0.95) * (x1 - x0)
                    c.line([(xx, y + 2), (xx + mr.uniform(-h * 0.3, h * 0.3), y + h - 2)], road, fs * mr.uniform(0.2, 0.5))
            pts = [(x0 + (x1 - x0) * t, y + h * (0.75 - 0.5 * t + mr.uniform(-0.1, 0.1))) for t in (0.15, 0.4, 0.65, 0.85)]
            c.line(pts, th.accent, fs * 0.22)
            px, py = pts[-1]
            _ico(c, "pin", px, py - fs * 0.4, fs * 1.5, th.accent)
            _ico(c, "truck", pts[1][0], pts[1][1] - fs * 0.6, fs * 1.3, th.text)
        return y + h

    def timeline(x0, x1, y, n):
        evs = list(reversed(F.events))[:n]
        def body(a, b, yy):
            dot_x = a + (fs * 4.2 if left_dates else fs * 0.5)
            tx = dot_x + fs * 0.9
            dots = []
            for i, (t, text, _) in enumerate(evs):
                first = i == 0
                col = th.accent if first else th.sub
                top = yy
                if left_dates:
                    d1 = f"{t:%m-%d}" if F.lang in ("zh", "en") else f"{t:%d/%m}"
                    c.text(dot_x - fs * 0.7, yy, d1, fs * 0.8, fill=th.text if first else th.sub, align="r",
                           max_w=fs * 3.4)
                    c.text(dot_x - fs * 0.7, yy + c.line_h(fs * 0.8), f"{t:%H:%M}", fs * 0.72, fill=th.sub, align="r",
                           max_w=fs * 3.4)
                yy = c.para(tx, yy, text, fs * (0.92 if first else 0.85), b - tx, bold=first,
                            fill=th.text if first else th.sub if th.dark else _mix(th.text, th.sub, 0.45),
                            max_lines=3)
                if left_dates:
                    yy = max(yy, top + c.line_h(fs * 0.8) + c.line_h(fs * 0.72))
                else:
                    yy = c.text(tx, yy + fs * 0.1, _fmt_dt(F.lang, t, F.dt_style), fs * 0.72, fill=th.sub)[3]
                dots.append((top, first))
                yy += fs * 0.75
            for i, (top, first) in enumerate(dots):
                cy = top + fs * 0.6
                if i + 1 < len(dots):
                    c.line([(dot_x, cy), (dot_x, dots[i + 1][0] + fs * 0.6)], th.line, max(2, fs * 0.1))
                rad = fs * (0.38 if first else 0.24)
                c.ellipse((dot_x - rad, cy - rad, dot_x + rad, cy + rad), fill=th.accent if first else th.line)
            return yy - fs * 0.75
        return _card(c, th, x0, x1, y, pad, body)

    if F.desktop:
        top = _browser(c, F, th, fs, T["trk_title"])
        bot = c.H - fs * 0.6
        mx = c.W * 0.07
        mid = c.W * 0.45
        c.text(mx, top + fs * 0.5, T["trk_title"], fs * 1.1, bold=True, fill=th.text)
        y0 = top + fs * 2.3
        end = _measure(c, header, mx, mid - fs * 0.5, y0)
        if end > bot:
            c.overflow = True
        header(mx, mid - fs * 0.5, y0)
        cols = (mid + fs * 0.5, c.W - mx)
        ty = y0
    else:
        y = _status_bar(c, F, th)
        y = _app_bar(c, th, y, T["trk_title"], fs, icons=("more",))
        m = c.W * 0.03
        bot = c.H - fs * 0.8
        y += fs * 0.45
        if show_map:
            y = map_strip(m, c.W - m, y) + fs * 0.45 if _measure(c, map_strip, m, c.W - m, y) < c.H * 0.45 else y
        end = _measure(c, header, m, c.W - m, y)
        if end > bot:
            c.overflow = True
        y = header(m, c.W - m, y) + fs * 0.45
        cols = (m, c.W - m)
        ty = y
    for n in range(len(F.events), 3, -1):
        if _measure(c, timeline, cols[0], cols[1], ty, n) <= bot:
            timeline(cols[0], cols[1], ty, n)
            break
    else:
        c.overflow = True
    return c


# ----------------------------------------------------------------------------------------------------------------
# chat: bubbles left (shop) and right (customer)

def _build_chat(F, r: random.Random, scale: float) -> _Canvas:
    th, T, M = F.theme, F.T, F.money
    fs = F.fs * scale
    c = _Canvas(F.size, F.fam, th.bg)
    style = r.choice(["app", "green", "blue"])
    if th.dark:
        me_bg, me_fg = (_mix(th.accent, (0, 0, 0), 0.25), th.on_accent) if style == "app" else \
            ((0, 92, 75), (235, 235, 235)) if style == "green" else ((0, 110, 230), (255, 255, 255))
        other_bg, other_fg = _mix(th.bg, (255, 255, 255), 0.14), th.text
        area = th.bg
    else:
        me_bg, me_fg = (_mix(th.accent, (255, 255, 255), 0.82), th.text) if style == "app" else \
            ((217, 253, 211), (20, 20, 20)) if style == "green" else ((0, 132, 255), (255, 255, 255))
        other_bg, other_fg = (255, 255, 255), th.text
        area = r.choice([(236, 229, 221), (240, 240, 240), (245, 246, 250), (230, 235, 240)])
        if style == "blue":
            other_bg, area = (235, 235, 238), (255, 255, 255)
    sub_on_area = th.sub
    # messages: (side, kind, text, fact, required)
    oid = F.order_id
    msgs = [("c", "text", T["c_hello"], None, False)]
    if F.chat_card:
        msgs.append(("c", "card", None, "order_id", True))
    elif F.oid_style == "alone":
        msgs.append(("c", "text", oid, "order_id", True))
    else:
        msgs.append(("c", "text", T["c_order" if F.oid_style == "text" else "c_order2"].format(oid=oid), "order_id", True))
    msgs.append(("s", "text", T["s_greet"], None, False))
    msgs.append(("s", "text", T[F.trk_style].format(trk=F.tracking, carrier=F.carrier), "tracking", True))
    if F.chat_eta:
        msgs.append(("s", "text", T["s_eta"], None, False))
    if F.refund is not None:
        msgs.append(("s", "text", T["s_refund"].format(amt=M.fmt(F.refund)), "amount", True))
    msgs.append(("c", "text", T["c_thanks"], None, False))
    t0 = F.order_dt + timedelta(days=r.randint(2, 5), hours=r.randint(0, 5))
    times = []
    for i in range(len(msgs)):
        t0 += timedelta(minutes=r.randint(0, 6))
        times.append(t0)
    show_times = r.random() < 0.7

    if F.desktop:
        y_top = _browser(c, F, th, fs, F.shop)
        list_w = c.W * 0.3
        c.rect((0, y_top, list_w, c.H), fill=th.card)
        c.line([(list_w, y_top), (list_w, c.H)], th.line, 1)
        yy = y_top + fs * 0.6
        others = [F.shop] + [s for s in _SHOPS[F.lang] if s != F.shop]
        for i, name in enumerate(others[:5]):
            rowh = fs * 3.2
            if yy + rowh > c.H:
                break
            if i == 0:
                c.rect((0, yy - fs * 0.3, list_w, yy + rowh - fs * 0.3), fill=_mix(th.card, th.accent, 0.12))
            c.ellipse((fs * 0.6, yy, fs * 0.6 + fs * 2.2, yy + fs * 2.2), fill=_mix(th.accent, th.card, 0.3 + 0.12 * i))
            c.text(fs * 3.2, yy, name, fs * 0.85, bold=True, fill=th.text, max_w=list_w - fs * 6.5)
            c.text(list_w - fs * 0.5, yy, f"{times[-1]:%H:%M}" if i == 0 else f"{10 + i}/11", fs * 0.65, fill=th.sub,
                   align="r")
            snippet = T["c_thanks"] if i == 0 else T["s_greet"]
            c.text(fs * 3.2, yy + c.line_h(fs * 0.85, True), snippet, fs * 0.72, fill=th.sub, max_w=list_w - fs * 4)
            yy += rowh
        x_l, x_r = list_w, c.W
        hh = fs * 2.6
        c.rect((x_l + 1, y_top, x_r, y_top + hh), fill=th.card)
        c.line([(x_l, y_top + hh), (x_r, y_top + hh)], th.line, 1)
        c.text(x_l + fs, y_top + (hh - c.line_h(fs, True)) / 2, F.shop, fs, bold=True, fill=th.text,
               max_w=(x_r - x_l) * 0.6)
        top = y_top + hh
        ih = fs * 2.8
        in_top = c.H - ih
        c.rect((x_l + 1, in_top, x_r, c.H), fill=th.card)
        c.line([(x_l, in_top), (x_r, in_top)], th.line, 1)
        c.text(x_l + fs, in_top + (ih - c.line_h(fs * 0.85)) / 2, T["type_msg"], fs * 0.85, fill=th.sub,
               max_w=(x_r - x_l) * 0.7)
        _ico(c, "send", x_r - fs * 1.5, in_top + ih / 2, fs * 1.2, th.accent)
        c.rect((x_l + 1, top, x_r, in_top), fill=area)
        region = (x_l + fs * 0.8, x_r - fs * 0.8)
    else:
        sb = _status_bar(c, F, th, bg=th.card if not th.dark else th.bar)
        hh = fs * 2.9
        c.rect((0, sb, c.W, sb + hh), fill=th.card if not th.dark else th.bar)
        c.line([(0, sb + hh - 1), (c.W, sb + hh - 1)], th.line, 1)
        _ico(c, "back", c.W * 0.05, sb + hh / 2, fs * 1.1, th.text)
        av = fs * 1.9
        ax = c.W * 0.1
        c.ellipse((ax, sb + (hh - av) / 2, ax + av, sb + (hh + av) / 2), fill=_mix(th.accent, th.card, 0.25))
        c.text(ax + av / 2, sb + (hh - c.line_h(fs * 0.9, True)) / 2, F.shop[0], fs * 0.9, bold=True,
               fill=th.on_accent, align="c")
        nx = ax + av + fs * 0.5
        c.text(nx, sb + hh * 0.12, F.shop, fs, bold=True, fill=th.text, max_w=c.W - nx - fs * 3.5)
        oy = sb + hh * 0.12 + c.line_h(fs, True)
        c.ellipse((nx, oy + fs * 0.28, nx + fs * 0.36, oy + fs * 0.64), fill=(60, 190, 90))
        c.text(nx + fs * 0.55, oy, T["online"], fs * 0.7, fill=th.sub, max_w=c.W * 0.5)
        _ico(c, "more", c.W - c.W * 0.06, sb + hh / 2, fs * 1.1, th.text)
        top = sb + hh
        ih = fs * 2.7
        in_top = c.H - ih - (fs * 0.8 if r.random() < 0.5 else 0)
        c.rect((0, in_top, c.W, c.H), fill=th.card if not th.dark else th.bar)
        c.line([(0, in_top), (c.W, in_top)], th.line, 1)
        _ico(c, "plus", c.W * 0.06, in_top + ih / 2, fs * 1.2, th.sub)
        c.rect((c.W * 0.12, in_top + ih * 0.18, c.W * 0.8, in_top + ih * 0.82), fill=th.bg, radius=ih * 0.3)
        c.text(c.W * 0.15, in_top + (ih - c.line_h(fs * 0.82)) / 2, T["type_msg"], fs * 0.82, fill=th.sub,
               max_w=c.W * 0.6)
        _ico(c, "smile", c.W * 0.86, in_top + ih / 2, fs * 1.1, th.sub)
        _ico(c, "send", c.W * 0.94, in_top + ih / 2, fs * 1.0, th.accent)
        c.rect((0, top, c.W, in_top), fill=area)
        region = (c.W * 0.035, c.W * 0.965)

    rx0, rx1 = region
    maxw = (rx1 - rx0) * (0.72 if not F.desktop else 0.62)
    bp = fs * 0.55
    tfs = fs * 0.62

    def bubble(i, y):
        side, kind, text, fact, _ = msgs[i]
        mine = side == "c"
        bg, fg = (me_bg, me_fg) if mine else (other_bg, other_fg)
        if kind == "card":
            w = maxw
            ts = int(fs * 2.8)
            def body(a, b, yy):
                c.text(a, yy, T["card_title"], fs * 0.75, fill=th.sub, max_w=b - a)
                yy += c.line_h(fs * 0.75) + fs * 0.2
                c.paste(_thumb(F.items[0].thumb, ts), (a, yy))
                tx = a + ts + fs * 0.5
                y2 = c.text(tx, yy, F.items[0].name, fs * 0.8, fill=other_fg, max_w=b - tx)[3]
                y2 = _id_row(c, th, tx, b, y2 + fs * 0.1, T["order_id"], oid, fs * 0.78, "order_id", stacked=True,
                             val_bold=True)
                if F.card_amount:
                    y2 = c.text(tx, y2 + fs * 0.1, f"{T['card_total']}: {M.fmt(F.total)}", fs * 0.8, bold=True,
                                fill=th.price, max_w=b - tx, fact="amount")[3]
                return max(yy + ts, y2)
            x0 = rx1 - w if mine else rx0
            end = _card(c, th, x0, x0 + w, y, bp, body, radius=fs * 0.6, fill=other_bg, outline=th.line)
        else:
            lines = c.wrap(text, fs * 0.92, False, maxw - 2 * bp)
            tw = max(c.width(line, fs * 0.92) for line in lines)
            w = min(maxw, tw + 2 * bp)
            x0 = rx1 - w if mine else rx0
            def body(a, b, yy):
                return c.para(a, yy, text, fs * 0.92, maxw - 2 * bp, fill=fg, fact=fact)
            end = _card(c, th, x0, x0 + w, y, bp, body, radius=fs * 0.7, fill=bg)
        if show_times:
            lab = f"{times[i]:%H:%M}" + (f" · {T['read']}" if mine and i == len(msgs) - 1 else "")
            c.text(x0 + w if mine else x0, end + fs * 0.12, lab, tfs, fill=sub_on_area, align="r" if mine else "l")
            end += c.line_h(tfs) + fs * 0.12
        return end

    gap = fs * 0.55
    chip = _fmt_dt(F.lang, times[0], F.dt_style, time=False) if r.random() < 0.6 else T["today"]

    def chip_draw(y):
        cf = fs * 0.68
        w = c.width(chip, cf) + fs
        cx = (rx0 + rx1) / 2
        c.rect((cx - w / 2, y, cx + w / 2, y + c.line_h(cf) + fs * 0.2), fill=_mix(area, (0, 0, 0), 0.08), radius=fs * 0.4)
        c.text(cx, y + fs * 0.1, chip, cf, fill=sub_on_area, align="c")
        return y + c.line_h(cf) + fs * 0.2

    heights = [_measure(c, bubble, i, 0.0) for i in range(len(msgs))]
    chip_h = _measure(c, chip_draw, 0.0)
    avail_top, avail_bot = top + fs * 0.6, in_top - fs * 0.5
    total = chip_h + gap + sum(heights) + gap * (len(msgs) - 1)
    if total <= avail_bot - avail_top:
        y = avail_top
        y = chip_draw(y) + gap
        for i in range(len(msgs)):
            y = bubble(i, y) + gap
    else:
        room = avail_bot - avail_top
        need = lambda idx: sum(heights[i] + gap for i in idx)  # noqa: E731
        # scrolled: the latest messages, the oldest ones gone above the header ...
        keep = list(range(len(msgs)))
        while keep and need(keep) > room and not msgs[keep[0]][4]:
            keep.pop(0)
        if need(keep) > room:
            # ... or, where that would hide a fact, a shorter conversation
            keep = list(range(len(msgs)))
            drop = sorted((i for i in keep if not msgs[i][4]),
                          key=lambda i: {"s_eta": 0, "s_greet": 1, "c_hello": 2}.get(
                              next((k for k in ("s_eta", "s_greet", "c_hello") if msgs[i][2] == T[k]), ""), 3))
            for i in drop:
                if need(keep) <= room:
                    break
                keep.remove(i)
            if need(keep) > room:
                c.overflow = True
        y = avail_bot - need(keep) + gap
        for i in keep:
            y = bubble(i, y) + gap
    return c


# ----------------------------------------------------------------------------------------------------------------
# receipt: an e-receipt / invoice

def _build_receipt(F, r: random.Random, scale: float) -> _Canvas:
    th, T, M = F.theme, F.T, F.money
    fs = F.fs * scale
    c = _Canvas(F.size, F.fam, th.bg if not F.desktop else (210, 212, 216) if not th.dark else (40, 40, 44))
    paper = (255, 255, 255) if (not th.dark or r.random() < 0.5) else th.card
    ink = (25, 25, 25) if _lum(paper) > 128 else th.text
    soft = (110, 110, 110) if _lum(paper) > 128 else th.sub
    rule = (200, 200, 200) if _lum(paper) > 128 else th.line
    dashed = r.random() < 0.5
    zebra = r.random() < 0.4
    two_col = F.desktop
    pay = F.pay_method

    if F.desktop:
        y_top = _browser(c, F, th, fs, T["rc_title"])
        pw = min(c.W * 0.8, fs * 46)
        x0, x1 = (c.W - pw) / 2, (c.W + pw) / 2
        y_bot = c.H - fs * 0.5
    else:
        y = _status_bar(c, F, th)
        y_top = _app_bar(c, th, y, T["rc_title"], fs, icons=("share",))
        m = c.W * (0.04 if r.random() < 0.6 else 0.0)
        x0, x1 = m, c.W - m
        y_bot = c.H - fs * 0.8

    def hr(a, b, yy):
        if dashed:
            x = a
            while x < b:
                c.line([(x, yy), (min(b, x + fs * 0.5), yy)], rule, 1)
                x += fs * 0.8
        else:
            c.line([(a, yy), (b, yy)], rule, 1)
        return yy

    def body(a, b, yy):
        span = b - a
        # header
        s = fs * 2.2
        c.ellipse((a, yy, a + s, yy + s), fill=th.accent)
        c.text(a + s / 2, yy + (s - c.line_h(fs, True)) / 2, F.shop[0], fs, bold=True, fill=th.on_accent, align="c")
        c.text(a + s + fs * 0.5, yy, F.shop, fs * 1.05, bold=True, fill=ink, max_w=span - s - fs * 0.5)
        hb = c.text(a + s + fs * 0.5, yy + c.line_h(fs * 1.05, True), T["rc_title"], fs * 0.8, fill=soft,
                    max_w=span - s - fs * 0.5)[3]
        yy = max(yy + s, hb) + fs * 0.5
        hr(a, b, yy)
        yy += fs * 0.5
        k = fs * 0.82
        info = [(T["rc_no"], F.invoice_no, None)]
        if F.show_order:
            info.append((T["rc_order"], F.order_id, "order_id"))
        info.append((T["rc_date"], _fmt_dt(F.lang, F.pay_dt, F.dt_style), None))
        if F.show_tracking:
            info.append((T["trk_no"], F.tracking, "tracking"))
        if two_col:
            half = (span - fs) / 2
            for i in range(0, len(info), 2):
                row_end = yy
                for j, (lab, val, fact) in enumerate(info[i:i + 2]):
                    ax = a + j * (half + fs)
                    row_end = max(row_end, _kv(c, ax, ax + half, yy, lab, val, k, soft, ink, fact=fact,
                                               val_bold=fact == "order_id"))
                yy = row_end + fs * 0.2
        else:
            for lab, val, fact in info:
                yy = _kv(c, a, b, yy, lab, val, k, soft, ink, fact=fact, val_bold=fact == "order_id") + fs * 0.2
        yy += fs * 0.3
        # table
        tf = fs * 0.8
        rows = [(it.name, str(it.qty), M.fmt(it.unit), M.fmt(it.unit * it.qty)) for it in F.items]
        head = (T["rc_item"], T["rc_qty"], T["rc_unit"], T["rc_amt"])
        colw = [max(c.width(row[j], tf) for row in rows + [head]) for j in (1, 2, 3)]
        gapc = fs * 0.7
        item_w = span - sum(colw) - gapc * 3
        drop_unit = item_w < span * 0.32
        if drop_unit:
            colw[1] = 0
            item_w = span - colw[0] - colw[2] - gapc * 2
        rights = [b - colw[2] - (0 if drop_unit else colw[1] + gapc) - gapc, b - colw[2] - gapc, b]
        c.rect((a - fs * 0.2, yy, b + fs * 0.2, yy + c.line_h(tf, True) + fs * 0.3),
               fill=_mix(paper, th.accent, 0.12))
        hy = yy + fs * 0.15
        c.text(a, hy, head[0], tf, bold=True, fill=ink, max_w=item_w)
        c.text(rights[0], hy, head[1], tf, bold=True, fill=ink, align="r")
        if not drop_unit:
            c.text(rights[1], hy, head[2], tf, bold=True, fill=ink, align="r")
        c.text(rights[2], hy, head[3], tf, bold=True, fill=ink, align="r")
        yy += c.line_h(tf, True) + fs * 0.5
        for i, row in enumerate(rows):
            end = _measure(c, lambda: c.para(a, yy, row[0], tf, item_w, fill=ink, max_lines=2))
            if zebra and i % 2 == 1:
                c.rect((a - fs * 0.2, yy - fs * 0.15, b + fs * 0.2, end + fs * 0.15), fill=_mix(paper, (0, 0, 0), 0.04))
            c.para(a, yy, row[0], tf, item_w, fill=ink, max_lines=2)
            c.text(rights[0], yy, row[1], tf, fill=ink, align="r")
            if not drop_unit:
                c.text(rights[1], yy, row[2], tf, fill=ink, align="r")
            c.text(rights[2], yy, row[3], tf, fill=ink, align="r")
            yy = end + fs * 0.3
        hr(a, b, yy)
        yy += fs * 0.45
        top_tot = yy
        ta = a + span * 0.45 if two_col else a
        k = fs * 0.85
        yy = _kv(c, ta, b, yy, T["rc_sub"], M.fmt(F.subtotal), k, soft, ink) + fs * 0.2
        yy = _kv(c, ta, b, yy, T["shipping"], M.fmt(F.shipping), k, soft, ink) + fs * 0.2
        if F.discount:
            yy = _kv(c, ta, b, yy, T["discount"], M.fmt(F.discount, neg=True), k, soft, ink) + fs * 0.2
        rate = {"zh": 0.13, "en": 0.09, "ms": 0.08, "id": 0.11, "vi": 0.08, "fil": 0.12, "th": 0.07}[F.lang]
        tax = int(round(F.total * rate / (1 + rate)))
        yy = _kv(c, ta, b, yy, T["rc_tax"], M.fmt(tax), k * 0.9, soft, soft) + fs * 0.3
        c.line([(ta, yy), (b, yy)], ink, max(1, int(fs / 14)))
        yy += fs * 0.4
        yy = _kv(c, ta, b, yy, T["rc_total"], M.fmt(F.total), fs * 1.0, ink, ink, val_bold=True, val_fs=fs * 1.2,
                 fact="amount", lab_bold=True) + fs * 0.3
        yy = _kv(c, ta, b, yy, T["rc_paid"], pay, k * 0.9, soft, ink)
        if two_col:
            qy = top_tot
            qb = ta - fs * 1.5
        else:
            yy += fs * 0.5
            hr(a, b, yy)
            qy = yy + fs * 0.5
            qb = b
        q = fs * 2.6
        qr = _rng("qr", F.layout_seed)
        cells = 11
        for i in range(cells):
            for j in range(cells):
                corner = (i < 3 and j < 3) or (i < 3 and j >= cells - 3) or (i >= cells - 3 and j < 3)
                if corner or qr.random() < 0.45:
                    cx, cy = a + j * q / cells, qy + i * q / cells
                    c.rect((cx, cy, cx + q / cells, cy + q / cells), fill=ink)
        ty = c.para(a + q + fs * 0.6, qy + fs * 0.2, T["rc_thanks"], fs * 0.8, qb - a - q - fs * 0.6, fill=soft,
                    max_lines=3)
        return max(yy, qy + q, ty)

    end = _measure(c, _card, c, th, x0, x1, y_top + fs * 0.6, fs * 1.0, body, th.radius * 0.5, paper)
    if end > y_bot:
        c.overflow = True
    _card(c, th, x0, x1, y_top + fs * 0.6, fs * 1.0, body, th.radius * 0.5, paper)
    return c


# ----------------------------------------------------------------------------------------------------------------
# waybill photo: a shipping label drawn, then photographed

_C128 = ("212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 122132 122231 "
         "113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 321221 312212 322112 322211 "
         "212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 231113 231311 112133 112331 132131 "
         "113123 113321 133121 313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 "
         "314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 "
         "241211 221114 413111 241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 "
         "214121 412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 211214 "
         "211232").split()


def _code128(s: str) -> list[int]:
    """Module widths (bar, space, bar, ...) of s in Code 128 B with its check symbol and stop."""
    vals = [104] + [ord(ch) - 32 for ch in s]
    chk = (vals[0] + sum(i * v for i, v in enumerate(vals[1:], 1))) % 103
    return [int(w) for w in "".join(_C128[v] for v in vals + [chk]) + "2331112"]


def _barcode(c: _Canvas, s: str, x0: float, y0: float, x1: float, y1: float, col=(0, 0, 0)):
    widths = _code128(s)
    unit = (x1 - x0) / sum(widths)
    x = x0
    for i, w in enumerate(widths):
        if i % 2 == 0:
            c.rect((round(x), y0, round(x + w * unit) - 1, y1), fill=col)
        x += w * unit


def _label(F, r: random.Random, lw: int, lh: int, scale: float) -> _Canvas:
    T, M = F.T, F.money
    paper = r.choice([(252, 252, 250), (246, 245, 240), (255, 255, 255), (240, 240, 236)])
    c = _Canvas((lw, lh), F.fam, paper)
    ink = (18, 18, 18)
    bw = max(2, lw // 240)
    m = lw * 0.035
    x0, x1 = m, lw - m
    span = x1 - x0
    u = lw / 24 * scale  # base text size
    c.rect((x0, m, x1, lh - m), outline=ink, width=bw)
    y = m
    # row 1: carrier and service
    h1 = lh * 0.085
    logo = F.carrier if r.random() < 0.6 else _LOGO[F.carrier_code][0]
    lf = c.fit(logo, h1 * 0.6, True, span * 0.55)
    c.text(x0 + u * 0.6, y + (h1 - c.line_h(lf, True)) / 2, logo, lf, bold=True, fill=ink)
    svc = r.choice(["STD", "EZ", "ECO", "EXP"]) if F.lang != "zh" else r.choice(["标快", "特快", "标准快递"])
    if F.cod:
        svc = "COD"
    sf = h1 * 0.42
    sw = c.width(svc, sf, True) + u
    c.rect((x1 - sw - u * 0.5, y + h1 * 0.18, x1 - u * 0.5, y + h1 * 0.82), fill=ink)
    c.text(x1 - u * 0.5 - sw / 2, y + (h1 - c.line_h(sf, True)) / 2, svc, sf, bold=True, fill=paper, align="c")
    y += h1
    c.line([(x0, y), (x1, y)], ink, bw)
    # row 2: barcode and the tracking number, large
    bh = lh * 0.11
    _barcode(c, F.tracking, x0 + span * 0.07, y + u * 0.6, x1 - span * 0.07, y + u * 0.6 + bh, ink)
    y += u * 0.6 + bh + u * 0.25
    tf = c.fit(F.tracking, lw / 13 * scale, True, span * 0.88)
    y = c.text(lw / 2, y, F.tracking, tf, bold=True, fill=ink, align="c", fact="tracking")[3] + u * 0.3
    c.line([(x0, y), (x1, y)], ink, bw)
    # row 3: sort code, date, weight
    h3 = u * 2.6
    sc = F.sort_code
    scf = c.fit(sc, h3 * 0.62, True, span * 0.5)
    c.text(x0 + u * 0.6, y + (h3 - c.line_h(scf, True)) / 2, sc, scf, bold=True, fill=ink)
    c.line([(x0 + span * 0.58, y), (x0 + span * 0.58, y + h3)], ink, bw)
    c.text(x0 + span * 0.61, y + u * 0.25, f"{T['wb_date']}: {F.pay_dt:%Y-%m-%d}", u * 0.75, fill=ink,
           max_w=span * 0.37)
    c.text(x0 + span * 0.61, y + u * 0.25 + c.line_h(u * 0.75), f"{T['wb_weight']}: {F.weight}", u * 0.75, fill=ink,
           max_w=span * 0.37)
    y += h3
    c.line([(x0, y), (x1, y)], ink, bw)

    def party(yy, tag, name, phone, addr, big):
        if len(tag) <= 2:  # 收 / 寄: a square stamp
            tw = th_ = u * 2.2
            tg = c.fit(tag, u * 1.1, True, tw * 0.9)
        else:
            tg = c.fit(tag, u * 0.72, True, span * 0.3)
            tw, th_ = c.width(tag, tg, True) + u * 0.6, c.line_h(tg, True) + u * 0.15
        c.rect((x0, yy, x0 + tw, yy + th_), fill=ink)
        c.text(x0 + tw / 2, yy + (th_ - c.line_h(tg, True)) / 2, tag, tg, bold=True, fill=paper, align="c")
        tx = x0 + tw + u * 0.5
        nf = u * (1.0 if big else 0.82)
        yy2 = c.text(tx, yy + u * 0.1, f"{name}  {phone}", nf, bold=big, fill=ink, max_w=x1 - tx - u * 0.4)[3]
        ax = tx if len(tag) <= 2 else x0 + u * 0.6
        yy2 = max(yy2, yy + th_ + u * 0.1)
        yy2 = c.para(ax, yy2, addr, u * (0.82 if big else 0.7), x1 - ax - u * 0.4, fill=ink, max_lines=3 if big else 2)
        return max(yy + th_, yy2) + u * 0.4

    y = party(y + u * 0.3, T["wb_to"], F.receiver, F.phone, F.address, True)
    c.line([(x0, y), (x1, y)], ink, bw)
    y = party(y + u * 0.3, T["wb_from"], F.sender, F.sender_phone,
              {"zh": "浙江省金华市义乌市稠城街道", "en": "Singapore 408600", "ms": "Shah Alam, Selangor",
               "id": "Cakung, Jakarta Timur", "vi": "Quận Tân Bình, TP. Hồ Chí Minh", "fil": "Pasig City, Metro Manila",
               "th": "เขตบางนา กรุงเทพมหานคร"}[F.lang], False)
    c.line([(x0, y), (x1, y)], ink, bw)
    # row 6: order id (small), COD, contents
    y += u * 0.35
    sf = u * 0.8
    if F.show_order:
        lab = f"{T['order_id'] if F.lang != 'zh' else '订单号'}: "
        lw_ = c.width(lab, sf)
        of = c.fit(F.order_id, sf, False, span * 0.9 - lw_)
        c.text(x0 + u * 0.6, y, lab, sf, fill=ink)
        c.text(x0 + u * 0.6 + lw_, y + (c.line_h(sf) - c.line_h(of)) / 2, F.order_id, of, fill=ink, fact="order_id")
        y += c.line_h(sf) + u * 0.15
        _barcode(c, F.order_id, x0 + u * 0.6, y, x0 + u * 0.6 + span * 0.5, y + u * 1.4, ink)
        y += u * 1.4 + u * 0.3
    if F.cod:
        txt = f"{T['wb_cod']}: "
        cf = u * 1.15
        c.text(x0 + u * 0.6, y, txt, cf, bold=True, fill=ink)
        c.text(x0 + u * 0.6 + c.width(txt, cf, True), y, M.fmt(F.total), cf, bold=True, fill=ink, fact="amount",
               max_w=span - c.width(txt, cf, True) - u)
        y += c.line_h(cf, True) + u * 0.2
    else:
        y = c.text(x0 + u * 0.6, y, T["wb_noncod"], u * 0.9, bold=True, fill=ink, max_w=span * 0.8)[3] + u * 0.2
    it = F.items[0]
    y = c.text(x0 + u * 0.6, y, f"{T['wb_items']}: {it.name} x{it.qty}", u * 0.7, fill=ink, max_w=span - u * 1.2)[3]
    if y > lh - m:
        c.overflow = True
    # footer: a QR-like block if room remains
    q = min(lh - m - y - u * 0.6, span * 0.28)
    if q > u * 3:
        qr = _rng("qr", F.layout_seed)
        cells = 15
        qx, qy = x1 - q - u * 0.6, lh - m - q - u * 0.4
        for i in range(cells):
            for j in range(cells):
                corner = (i < 4 and j < 4) or (i < 4 and j >= cells - 4) or (i >= cells - 4 and j < 4)
                if (corner and not (1 <= i % (cells - 4) <= 2 and 1 <= j % (cells - 4) <= 2)) or (
                        not corner and qr.random() < 0.5):
                    c.rect((qx + j * q / cells, qy + i * q / cells, qx + (j + 1) * q / cells, qy + (i + 1) * q / cells),
                           fill=ink)
    return c


def _persp(dst, src):
    """Coefficients for Image.transform(PERSPECTIVE) that map output points dst onto input points src."""
    A, B = [], []
    for (x, y), (u, v) in zip(dst, src):
        A.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        B.append(u)
        A.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        B.append(v)
    return np.linalg.solve(np.array(A, float), np.array(B, float)).tolist()


def _build_waybill(F, r: random.Random, scale: float) -> tuple[_Canvas, Image.Image]:
    n = np.random.default_rng(F.layout_seed)
    W, H = r.choice([(1080, 1440), (1200, 1600), (1440, 1080), (1080, 1350), (960, 1280)])
    ratio = r.uniform(1.4, 1.55)
    angle = math.radians(r.uniform(-8, 8))
    jit = [(r.uniform(-1, 1), r.uniform(-1, 1)) for _ in range(4)]
    cx, cy = W * r.uniform(0.46, 0.54), H * r.uniform(0.46, 0.54)
    frac = r.uniform(0.72, 0.88)
    lh = H * frac
    while True:
        lw = lh / ratio
        hw, hh = lw / 2, lh / 2
        corners = []
        for (px, py), (jx, jy) in zip([(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)], jit):
            px, py = px * (1 + 0.04 * jx), py * (1 + 0.03 * jy)  # perspective-ish: corners pulled unevenly
            corners.append((cx + px * math.cos(angle) - py * math.sin(angle),
                            cy + px * math.sin(angle) + py * math.cos(angle)))
        if all(W * 0.03 < x < W * 0.97 and H * 0.03 < y < H * 0.97 for x, y in corners):
            break
        lh *= 0.95
    lw_i, lh_i = int(lw), int(lh)
    lab = _label(F, r, lw_i, lh_i, scale)
    # background
    tex = r.choice(["wood", "wood", "cloth", "cardboard", "stone", "carpet"])
    arr = _texture(r, n, W, H, tex)
    # label shadow
    quad = Image.new("L", (W, H))
    ImageDraw.Draw(quad).polygon(corners, fill=255)
    off = (r.uniform(-0.01, 0.02) * W, r.uniform(0.005, 0.025) * H)
    sh = Image.new("L", (W, H))
    ImageDraw.Draw(sh).polygon([(x + off[0], y + off[1]) for x, y in corners], fill=255)
    sh = np.asarray(sh.filter(ImageFilter.GaussianBlur(W * 0.012)), np.float32)[..., None] / 255
    arr *= 1 - r.uniform(0.25, 0.45) * sh
    # the label itself, warped
    label_img = lab.img.copy()
    ld = ImageDraw.Draw(label_img, "RGBA")
    for _ in range(r.randint(0, 2)):  # creases
        yy = r.uniform(0.2, 0.8) * lh_i
        ld.line([(0, yy), (lw_i, yy + r.uniform(-0.05, 0.05) * lh_i)], fill=(0, 0, 0, r.randint(10, 25)),
                width=max(2, lw_i // 120))
    coeffs = _persp(corners, [(0, 0), (lw_i, 0), (lw_i, lh_i), (0, lh_i)])
    warped = label_img.transform((W, H), Image.PERSPECTIVE, coeffs, Image.BICUBIC)
    mask = np.asarray(quad.filter(ImageFilter.GaussianBlur(0.8)), np.float32)[..., None] / 255
    arr = arr * (1 - mask) + np.asarray(warped, np.float32) * mask
    # photograph it: uneven light, colour cast, blur, noise, jpeg
    arr *= _lighting(r, W, H, 1.3)[..., None]
    cast = np.array([r.uniform(0.94, 1.06), r.uniform(0.96, 1.03), r.uniform(0.9, 1.04)], np.float32)
    arr *= cast[None, None, :]
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    img = img.filter(ImageFilter.GaussianBlur(r.uniform(0.4, 1.0)))
    arr = np.asarray(img, np.float32) + n.normal(0, r.uniform(2.5, 6.0), (H, W, 3)).astype(np.float32)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=r.randint(78, 92))
    buf.seek(0)
    return lab, Image.open(buf).convert("RGB")


# ----------------------------------------------------------------------------------------------------------------
# public API

KINDS = ("checkout", "logistics", "chat", "receipt", "waybill_photo")
LANGUAGES = ("zh", "en", "ms", "id", "vi", "fil") + (("th",) if HAVE_THAI else ())


@dataclass(frozen=True)
class Shot:
    image: Image.Image
    language: str  # zh, en, ms, id, vi, fil, th
    kind: str  # one of KINDS
    order_id: str | None  # exactly as printed, None if not printed
    amount: str | None  # the amount paid/total (refund in a chat, COD on a label) in major units, None if not printed
    tracking: str | None  # tracking number exactly as printed, None if not printed


_BUILDERS = {"checkout": _build_checkout, "logistics": _build_logistics, "chat": _build_chat,
             "receipt": _build_receipt}


def _render(language: str, kind: str, seed: int) -> tuple[Shot, _Canvas, float]:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    F = _facts(language, kind, int(seed))
    need = _required(F)
    scale = 1.0
    for _ in range(8):
        r = random.Random(F.layout_seed)
        if kind == "waybill_photo":
            canvas, image = _build_waybill(F, r, scale)
        else:
            canvas = _BUILDERS[kind](F, r, scale)
            image = canvas.img
        if not canvas.overflow and need <= canvas.facts:
            break
        scale *= 0.88
    else:
        raise RuntimeError(f"could not lay out {language}/{kind}/{seed}: overflow={canvas.overflow}, "
                           f"missing={sorted(need - canvas.facts)}")
    shot = Shot(
        image=image,
        language=language,
        kind=kind,
        order_id=F.order_id if "order_id" in need else None,
        amount=F.money.plain(F.amount_value) if "amount" in need else None,
        tracking=F.tracking if "tracking" in need else None,
    )
    return shot, canvas, scale


def make(language: str, kind: str, seed: int) -> Shot:
    """One synthetic screenshot (or label photo) with the facts it prints; deterministic per arguments."""
    return _render(language, kind, seed)[0]


def _main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="folder to write PNGs and facts.jsonl into")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--languages", default=",".join(LANGUAGES))
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--goods", type=int, default=2, help="how many photos_of_goods to write")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "facts.jsonl"), "w", encoding="utf-8") as fh:
        for lang in a.languages.split(","):
            for kind in a.kinds.split(","):
                for seed in range(a.seeds):
                    s = make(lang, kind, seed)
                    name = f"{lang}_{kind}_{seed}.png"
                    s.image.save(os.path.join(a.out, name))
                    rec = dict(file=name, language=lang, kind=kind, order_id=s.order_id, amount=s.amount,
                               tracking=s.tracking, size=list(s.image.size))
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    print(json.dumps(rec, ensure_ascii=False))
        for seed in range(a.goods):
            photos_of_goods(seed).save(os.path.join(a.out, f"goods_{seed}.png"))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
