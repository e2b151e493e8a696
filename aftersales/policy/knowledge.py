"""Product knowledge: a size from the customer's height and weight against the size chart, and the passage of the
product's care, materials, dimensions, usage or warranty text (or the shop's FAQ) that answers a question.

Only what the shop ingested is ever answered; where nothing fits, the answer says so and a person takes over.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from aftersales.integrations.ingest import KNOWLEDGE_FIELDS
from aftersales.understanding.slots import fold
from aftersales.store.views import FaqView, ProductView

# Words that ask for one knowledge field, in the seven languages (matched on the diacritic-folded, lower-cased text).
FIELD_CUES: dict[str, tuple[str, ...]] = {
    "care": ("wash", "dryer", "tumble", "iron", "bleach", "dry clean", "machine", "laundry", "care", "洗", "烘", "熨",
             "干洗", "机洗", "手洗", "漂白", "晾", "cuci", "dicuci", "mesin cuci", "setrika", "pengering", "basuh",
             "dibasuh", "mesin basuh", "seterika", "giat", "may giat", "may say", "say kho", "ui do", "tay trang", "ซัก",
             "เครื่องซัก", "อบแห้ง", "รีด", "ฟอก", "labhan", "nilalabhan", "plantsa", "dryer ba"),
    "materials": ("material", "made of", "fabric", "cotton", "wool", "polyester", "leather", "材质", "面料", "成分",
                  "什么做的", "含量", "纯棉", "bahan", "terbuat", "kain", "fabrik", "diperbuat", "chat lieu", "vai gi",
                  "lam bang", "vai", "ผ้า", "วัสดุ", "ทำจาก", "เนื้อผ้า", "tela", "gawa sa", "yari sa", "materyal"),
    "dimensions": ("dimension", "how big", "how large", "how tall", "capacity", "measure", "inches", "尺寸", "多大",
                   "多高", "多长", "容量", "长宽高", "ukuran", "dimensi", "kapasitas", "saiz", "besar mana", "kich thuoc",
                   "dung tich", "bao lon", "ขนาด", "ความจุ", "กว้าง", "sukat", "gaano kalaki", "kalaki"),
    "usage": ("how to use", "how do i use", "install", "assemble", "set up", "setup", "instructions", "怎么用",
              "怎么装", "安装", "使用方法", "如何使用", "组装", "cara pakai", "cara pasang", "cara guna", "pasang",
              "memasang", "cach dung", "cach lap", "lap dat", "huong dan", "วิธีใช้", "ติดตั้ง", "ใช้ยังไง", "ประกอบ",
              "paano gamitin", "paano i-install", "paano ikabit", "gamitin"),
    "warranty": ("warranty", "guarantee", "guaranteed", "保修", "质保", "保固", "包修", "garansi", "jaminan", "waranti",
                 "bao hanh", "รับประกัน", "ประกัน", "warranty ba", "garantiya"),
}
# A body measurement: "170/65", "170cm 65kg", "1m70", "tinggi 160 berat 50", "5'7 140 lbs".
_HEIGHT = re.compile(r"(?i)(?<![\d.])(1[.,m]\s?[4-9]\d?|1[4-9]\d)\s?(?:cm|公分|厘米)?(?![\d.])")
_WEIGHT = re.compile(r"(?i)(?<![\d.])([3-9]\d|1[0-4]\d)(?:[.,]\d)?\s?(kg|公斤|千克|kilo|ký|ki lô|กก|กิโล)")
_JIN = re.compile(r"(?<![\d.])(\d{2,3})\s?斤")
_POUNDS = re.compile(r"(?i)(?<![\d.])(\d{2,3})\s?(?:lbs?|pounds)")
_FEET = re.compile(r"(?<!\d)([4-6])\s?(?:'|ft|feet|foot)\s?(\d{1,2})?")
_PAIR = re.compile(r"(?<![\d.])(1[4-9]\d)\s?[/,，、\s]\s?([3-9]\d|1[0-4]\d)(?![\d.])")


@dataclass(frozen=True)
class Body:
    """The customer's measurements, as far as the message gives them.

    Attributes:
        height_cm: Height in centimetres, None when not given.
        weight_kg: Weight in kilograms, None when not given.
    """

    height_cm: float | None = None
    weight_kg: float | None = None

    @property
    def given(self) -> bool:
        return self.height_cm is not None or self.weight_kg is not None


def body_measurements(text: str) -> Body:
    """Height and weight in the ways customers write them (170/65kg, 1m70, 5'7 140lbs, 身高160体重100斤)."""
    height = weight = None
    pair = _PAIR.search(text)
    if pair:
        height, weight = float(pair.group(1)), float(pair.group(2))
    if (m := _WEIGHT.search(text)) is not None:
        weight = float(m.group(1))
    elif (m := _JIN.search(text)) is not None:
        weight = float(m.group(1)) / 2
    elif (m := _POUNDS.search(text)) is not None:
        weight = round(float(m.group(1)) * 0.4536, 1)
    if (m := _FEET.search(text)) is not None:
        height = round(int(m.group(1)) * 30.48 + int(m.group(2) or 0) * 2.54, 1)
    elif (m := _HEIGHT.search(text)) is not None:
        value = m.group(1).replace(",", ".").replace(" ", "")
        height = float(value.replace("m", ".")) * 100 if value[:2] in ("1.", "1m") else float(value)
        if height < 100:
            height *= 10 if height < 20 else 1  # "1m7" → 170
    return Body(height, weight)


def recommend_size(chart: dict[str, Any], body: Body) -> tuple[str, str] | None:
    """The size of the chart whose ranges hold the body, and what it was chosen by ("height and weight", "height",
    "weight"); between two sizes (height says one, weight the next) the larger. None when nothing fits."""
    rows = chart.get("rows") or []

    def index(key: str, value: float | None) -> int | None:
        if value is None:
            return None
        holding = [i for i, r in enumerate(rows) if r.get(key) and r[key][0] <= value <= r[key][1]]
        if holding:
            return max(holding)
        ranged = [(i, r[key]) for i, r in enumerate(rows) if r.get(key)]
        if not ranged:
            return None
        # Just outside the chart: the nearest end size, but not a size for someone far outside it.
        nearest, (low, high) = min(ranged, key=lambda p: min(abs(value - p[1][0]), abs(value - p[1][1])))
        return nearest if min(abs(value - low), abs(value - high)) <= 5 else None

    by_height, by_weight = index("height", body.height_cm), index("weight", body.weight_kg)
    chosen = [i for i in (by_height, by_weight) if i is not None]
    if not chosen:
        return None
    basis = ("height and weight" if len(chosen) == 2 else "height" if by_height is not None else "weight")
    return str(rows[max(chosen)]["size"]), basis


@dataclass(frozen=True)
class Passage:
    """A piece of what the shop wrote that may answer a question.

    Attributes:
        source: "product" (the product's own knowledge) or "faq".
        field: The knowledge field (care, materials, ...) or the FAQ entry's id.
        text: The text, in `language`.
        language: The language it is written in.
        question: For an FAQ entry, its question; else "".
    """

    source: str
    field: str
    text: str
    language: str
    question: str = ""


@dataclass(frozen=True)
class Answer:
    """What the knowledge says to one question.

    Attributes:
        kind: "size" (a recommended size), "ask_measurements" (a chart but no height or weight), "passage" (a
            passage of the product's knowledge or the FAQ), or "none" (nothing ingested answers it).
        sku: The product asked about, None when not known.
        title: Its title in the customer's language.
        params: What the reply needs (size, basis, height_cm, weight_kg, sizes; or answer, field, source).
    """

    kind: str
    sku: str | None
    title: str
    params: dict[str, Any] = field(default_factory=dict)


class Embedder(Protocol):
    """models.text.sentence.SentenceEncoder: texts → unit vectors."""

    def embed(self, texts: list[str], kind: str = "query") -> np.ndarray: ...


def product_passages(product: ProductView, language: str) -> list[Passage]:
    """The product's knowledge fields, each in the customer's language where written so, else in English, else
    in the first language the shop wrote it in."""
    out = []
    for name in KNOWLEDGE_FIELDS:
        value = product.knowledge.get(name)
        if not value:
            continue
        if isinstance(value, str):
            out.append(Passage("product", name, value, ""))
            continue
        lang = language if language in value else "en" if "en" in value else next(iter(value))
        out.append(Passage("product", name, value[lang], lang))
    return out


def cued_fields(text: str) -> list[str]:
    """Knowledge fields the question's words ask for, most cues first."""
    folded = fold(text)
    hits = {name: sum(1 for cue in cues if _cue(cue).search(folded)) for name, cues in FIELD_CUES.items()}
    return [name for name, n in sorted(hits.items(), key=lambda kv: -kv[1]) if n]


def _cue(cue: str) -> re.Pattern[str]:
    cue = fold(cue)
    if re.search(r"[\u0e00-\u0e7f\u4e00-\u9fff]", cue):
        return re.compile(re.escape(cue))
    return re.compile(rf"\b{re.escape(cue)}\b")


# e5 cosines of unrelated short texts sit near 0.8; an FAQ question must be close to the customer's.
FAQ_MIN_SIMILARITY = 0.88
FAQ_MARGIN = 0.02


def answer(question: str, language: str, product: ProductView | None, faqs: Sequence[FaqView],
           embedder: Embedder | None, size_question: bool) -> Answer:
    """What the shop's knowledge says to `question` about `product` (None: the shop's FAQ only)."""
    title = product.title_in(language) if product else ""
    sku = product.sku if product else None
    if size_question and product is not None and product.knowledge.get("size_chart"):
        chart = product.knowledge["size_chart"]
        sizes = ", ".join(str(r["size"]) for r in chart.get("rows", []))
        body = body_measurements(question)
        if not body.given:
            return Answer("ask_measurements", sku, title, {"sizes": sizes})
        picked = recommend_size(chart, body)
        if picked is not None:
            size, basis = picked
            said = ", ".join(part for part in (f"{body.height_cm:g} cm" if body.height_cm else "",
                                               f"{body.weight_kg:g} kg" if body.weight_kg else "") if part)
            return Answer("size", sku, title, {"size": size, "basis": basis, "sizes": sizes, "body": said,
                                               "height_cm": body.height_cm, "weight_kg": body.weight_kg})
    if product is not None:
        passages = {p.field: p for p in product_passages(product, language)}
        for name in cued_fields(question):
            if name in passages:
                p = passages[name]
                return Answer("passage", sku, title, {"answer": p.text, "field": name, "source": "product",
                                                      "answer_language": p.language})
    mine = [f for f in faqs if f.sku is None or f.sku == sku]
    if mine and embedder is not None:
        vectors = embedder.embed([question, *(f.question for f in mine)])
        scores = vectors[1:] @ vectors[0]
        order = np.argsort(-scores)
        best = int(order[0])
        runner_up = float(scores[order[1]]) if len(order) > 1 else 0.0
        if scores[best] >= FAQ_MIN_SIMILARITY and scores[best] - runner_up >= FAQ_MARGIN:
            entry = mine[best]
            return Answer("passage", sku, title, {"answer": entry.answer, "field": entry.id, "source": "faq",
                                                  "answer_language": entry.language,
                                                  "similarity": round(float(scores[best]), 3)})
    return Answer("none", sku, title)
