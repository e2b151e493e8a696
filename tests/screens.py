"""Screenshots made on the spot: an order page, a chat with the shop and a parcel label, in kefu's languages.

Drawn with Pillow and Debian's Noto CJK fonts (`make system-deps` installs them), in several looks and sizes so
that nothing is read off one layout only. Each comes with the facts written on it, to check what is read back.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
LAYOUTS = ("order_page", "chat", "label")
LANGUAGES = ("zh", "en", "ms", "id", "vi", "fil", "th")

# The words of each layout, per language: (order id, paid, tracking no., status, shop's chat line, recipient).
WORDS = {
    "zh": ("订单编号", "实付款", "运单号", "已发货，运输中", "亲，您的订单已发出", "收件人"),
    "en": ("Order ID", "Order total", "Tracking number", "Shipped - in transit", "Hi! Your order has shipped",
           "Ship to"),
    "ms": ("No. Pesanan", "Jumlah Bayaran", "No. Tracking", "Dihantar - dalam perjalanan",
           "Hai, pesanan anda sudah dihantar", "Penerima"),
    "id": ("No. Pesanan", "Total Pembayaran", "No. Resi", "Dikirim - dalam perjalanan",
           "Halo kak, pesanan sudah dikirim ya", "Penerima"),
    "vi": ("Mã đơn hàng", "Tổng thanh toán", "Mã vận đơn", "Đang vận chuyển", "Chào bạn, đơn hàng đã được gửi đi",
           "Người nhận"),
    "fil": ("Order ID", "Kabuuang bayad", "Tracking number", "Naipadala na - papunta na",
            "Hello po! Naipadala na ang order ninyo", "Tatanggap"),
    "th": ("หมายเลขคำสั่งซื้อ", "ยอดชำระ", "เลขพัสดุ", "กำลังจัดส่ง", "สวัสดีค่ะ สินค้าจัดส่งแล้ว", "ผู้รับ"),
}
# Money as each market writes it on its apps, and its value in minor units.
MONEY = {
    "zh": lambda c: f"¥{c // 100}.{c % 100:02d}",
    "en": lambda c: f"${c // 100}.{c % 100:02d}",
    "ms": lambda c: f"RM{c // 100}.{c % 100:02d}",
    "id": lambda c: f"Rp{c // 100:,}".replace(",", "."),
    "vi": lambda c: f"{c // 100:,}₫".replace(",", "."),
    "fil": lambda c: f"₱{c // 100:,}.{c % 100:02d}",
    "th": lambda c: f"฿{c // 100:,}",
}
WHOLE = {"id", "vi", "th"}  # markets whose prices have no cents
CARRIERS = {"zh": "SF", "en": "1Z", "ms": "SPXMY", "id": "JX", "vi": "SPXVN", "fil": "NJVPH", "th": "TH"}


@dataclass(frozen=True)
class Screenshot:
    """One generated screenshot and what is written on it.

    Attributes:
        image: The picture.
        language: Whose words it uses.
        layout: order_page, chat or label.
        order_id: The order id on it.
        amount_cents: The amount paid shown on it (minor units); None on a label.
        tracking: The tracking number on it.
    """

    image: Image.Image
    language: str
    layout: str
    order_id: str
    amount_cents: int | None
    tracking: str

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.image.save(buf, format="PNG")
        return buf.getvalue()

    def jpeg(self, quality: int = 85) -> bytes:
        buf = io.BytesIO()
        self.image.convert("RGB").save(buf, format="JPEG", quality=quality)
        return buf.getvalue()


def font_path(language: str, bold: bool = False) -> Path:
    """A font that draws the language: Noto Sans CJK (Chinese and Latin scripts), Noto Sans Thai for Thai."""
    names = (["NotoSansThai-Bold.ttf", "NotoSansThai-Regular.ttf"] if language == "th" else
             ["NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc", "NotoSansCJK-Regular.ttc"])
    for folder in FONT_DIRS:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    pytest.skip(f"no font for {language} screenshots (make system-deps installs fonts-noto-cjk)")


def _font(language: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(language, bold)), size)


def order_id_for(language: str, rng: random.Random) -> str:
    """An order id in one of the forms shops and marketplaces use (Tmall/JD digits, a Shopee SN, kefu's own)."""
    form = rng.choice(("digits", "shopee", "shop"))
    if form == "digits":
        return str(rng.randint(2, 9)) + "".join(rng.choice("0123456789") for _ in range(rng.choice((11, 14, 17))))
    if form == "shopee":
        letters = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
        body = "".join(rng.choice(letters) for _ in range(7))
        return f"26{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.choice('ABCDEFGHKMNPQRSTUVWXY')}{body}"
    return f"O{rng.randint(1000, 99999)}"


def tracking_for(language: str, rng: random.Random) -> str:
    prefix = CARRIERS[language]
    if prefix == "1Z":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTVWXY") for _ in range(6)) + \
            "".join(rng.choice("0123456789") for _ in range(10))
    return prefix + "".join(rng.choice("0123456789") for _ in range(rng.choice((10, 12, 13))))


def make_screenshot(language: str, layout: str, seed: int = 0, order_id: str | None = None,
                    amount_cents: int | None = None, tracking: str | None = None) -> Screenshot:
    """A screenshot of `layout` in `language`, its look (size, colours, dark mode, font size) drawn from `seed`."""
    if language not in WORDS or layout not in LAYOUTS:
        raise ValueError(f"no {layout!r} screenshot in {language!r}")
    rng = random.Random(f"{language}-{layout}-{seed}")
    order_id = order_id or order_id_for(language, rng)
    tracking = tracking or tracking_for(language, rng)
    if amount_cents is None and layout != "label":
        if language in ("id", "vi"):
            amount_cents = rng.randint(19, 1599) * 1000 * 100  # Rp150.000, 250.000₫: prices in thousands
        elif language in WHOLE:
            amount_cents = rng.randint(19, 1599) * 100
        else:
            amount_cents = rng.randint(1900, 159900)
    image = {"order_page": _order_page, "chat": _chat, "label": _label}[layout](
        language, rng, order_id, amount_cents, tracking)
    return Screenshot(image, language, layout, order_id, amount_cents if layout != "label" else None, tracking)


def _phone_canvas(rng: random.Random, dark: bool) -> tuple[Image.Image, ImageDraw.ImageDraw, tuple, tuple]:
    width, height = rng.choice(((750, 1334), (720, 1280), (828, 1792), (1080, 1920)))
    background = (18, 18, 20) if dark else rng.choice(((245, 245, 245), (255, 255, 255), (240, 242, 245)))
    ink = (230, 230, 230) if dark else rng.choice(((20, 20, 20), (51, 51, 51), (34, 34, 68)))
    image = Image.new("RGB", (width, height), background)
    return image, ImageDraw.Draw(image), background, ink


def _status_bar(draw: ImageDraw.ImageDraw, language: str, width: int, scale: float, ink: tuple) -> None:
    font = _font("en", int(26 * scale))
    draw.text((int(30 * scale), int(14 * scale)), "9:41", fill=ink, font=font)
    draw.text((width - int(120 * scale), int(14 * scale)), "5G 87%", fill=ink, font=font)


def _order_page(language, rng, order_id, amount_cents, tracking) -> Image.Image:
    dark = rng.random() < 0.25
    image, draw, background, ink = _phone_canvas(rng, dark)
    width, height = image.size
    scale = width / 750
    words = WORDS[language]
    accent = rng.choice(((238, 77, 45), (255, 80, 0), (0, 150, 136), (26, 115, 232), (208, 2, 27)))
    _status_bar(draw, language, width, scale, ink)
    draw.rectangle((0, int(60 * scale), width, int(200 * scale)), fill=accent)
    draw.text((int(40 * scale), int(100 * scale)), words[3], fill=(255, 255, 255),
              font=_font(language, int(38 * scale), bold=True))
    card = (60, 60, 64) if dark else (255, 255, 255)
    size = int(rng.choice((28, 30, 32, 34)) * scale)
    font, value_font = _font(language, size), _font(language, size, bold=rng.random() < 0.5)
    top = int(240 * scale)
    rows = [(words[0], order_id), (words[1], MONEY[language](amount_cents)), (words[2], tracking)]
    rng.shuffle(rows)
    draw.rounded_rectangle((int(24 * scale), top, width - int(24 * scale), top + int(90 * scale) * len(rows) + 40),
                           radius=int(18 * scale), fill=card)
    for i, (label, value) in enumerate(rows):
        y = top + 30 + i * int(90 * scale)
        draw.text((int(50 * scale), y), label, fill=ink, font=font)
        right = width - int(50 * scale) - draw.textlength(value, font=value_font)
        draw.text((right, y), value, fill=accent if value == rows[0][1] and rng.random() < 0.3 else ink,
                  font=value_font)
    # the rest of the page: a product line and buttons, as the apps draw them
    y = top + int(90 * scale) * len(rows) + int(90 * scale)
    draw.rounded_rectangle((int(24 * scale), y, width - int(24 * scale), y + int(200 * scale)),
                           radius=int(18 * scale), fill=card)
    draw.rectangle((int(50 * scale), y + 30, int(200 * scale), y + int(170 * scale)),
                   fill=tuple(rng.randint(90, 200) for _ in range(3)))
    return image


def _chat(language, rng, order_id, amount_cents, tracking) -> Image.Image:
    dark = rng.random() < 0.2
    image, draw, background, ink = _phone_canvas(rng, dark)
    width, height = image.size
    scale = width / 750
    words = WORDS[language]
    size = int(rng.choice((28, 30, 32)) * scale)
    font = _font(language, size)
    _status_bar(draw, language, width, scale, ink)
    mine = rng.choice(((149, 236, 105), (0, 132, 255), (220, 248, 198)))
    theirs = (44, 44, 46) if dark else (255, 255, 255)
    lines = [(False, words[4]), (False, f"{words[0]}: {order_id}"), (False, f"{words[2]}: {tracking}"),
             (False, f"{words[1]} {MONEY[language](amount_cents)}")]
    y = int(160 * scale)
    for customer, line in lines:
        box_width = draw.textlength(line, font=font) + 2 * int(24 * scale)
        left = width - box_width - int(110 * scale) if customer else int(110 * scale)
        draw.rounded_rectangle((left, y, left + box_width, y + size + int(40 * scale)), radius=int(14 * scale),
                               fill=mine if customer else theirs)
        draw.ellipse((int(20 * scale), y, int(90 * scale), y + int(70 * scale)), fill=(200, 120, 60))
        draw.text((left + int(24 * scale), y + int(16 * scale)), line, fill=ink if not customer else (0, 0, 0),
                  font=font)
        y += size + int(70 * scale)
    return image


def _label(language, rng, order_id, amount_cents, tracking) -> Image.Image:
    width, height = rng.choice(((800, 1200), (1000, 1500), (600, 900)))
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    scale = width / 800
    words = WORDS[language]
    draw.rectangle((10, 10, width - 10, height - 10), outline=(0, 0, 0), width=4)
    big, small = _font(language, int(44 * scale), bold=True), _font(language, int(30 * scale))
    draw.text((int(40 * scale), int(40 * scale)), CARRIERS[language] + " EXPRESS", fill=(0, 0, 0), font=big)
    x = int(40 * scale)
    for _ in range(60):  # a barcode
        bar = rng.choice((2, 3, 5)) * scale
        if rng.random() < 0.6:
            draw.rectangle((x, int(130 * scale), x + bar, int(300 * scale)), fill=(0, 0, 0))
        x += bar + 2 * scale
        if x > width - int(60 * scale):
            break
    draw.text((int(40 * scale), int(310 * scale)), f"{words[2]}:", fill=(0, 0, 0), font=small)
    size = int(44 * scale)
    while _font(language, size, bold=True).getlength(tracking) > width - int(80 * scale):
        size -= 2  # the number fills the label's width, as carriers print it
    draw.text((int(40 * scale), int(350 * scale)), tracking, fill=(0, 0, 0), font=_font(language, size, bold=True))
    draw.line((10, int(420 * scale), width - 10, int(420 * scale)), fill=(0, 0, 0), width=3)
    draw.text((int(40 * scale), int(440 * scale)), f"{words[5]}: Lee **** 138****5678", fill=(0, 0, 0), font=small)
    draw.text((int(40 * scale), int(500 * scale)), f"{words[0]}: {order_id}", fill=(0, 0, 0), font=small)
    return image


__all__ = ["LANGUAGES", "LAYOUTS", "Screenshot", "make_screenshot", "font_path"]
