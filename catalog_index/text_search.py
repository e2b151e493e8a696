"""Model-free text search over the catalog: BM25 on CJK character uni/bigrams and Latin words, plus a small
bilingual glossary so "denim jacket" finds 牛仔外套 and 毛衣 finds a sweater tagged "knit"."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from catalog_index.catalog import CatalogProduct

# CJK ideographs (with extension A and compatibility forms), kana and hangul: scripts written without spaces.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# English shopping words ↔ the Chinese a catalog writes them in. Expanded terms count less than typed ones
# (BM25Options.expansion_weight), so a query in the catalog's own language still ranks on its own words first.
GLOSSARY: dict[str, tuple[str, ...]] = {
    "sweater": ("毛衣", "针织"), "jumper": ("毛衣",), "cardigan": ("开衫",), "knit": ("针织",),
    "turtleneck": ("高领",), "dress": ("连衣裙", "礼服"), "skirt": ("半身裙", "裙"),
    "jacket": ("外套", "夹克"), "coat": ("大衣", "外套"), "denim": ("牛仔",), "jeans": ("牛仔裤",),
    "leather": ("皮",), "shirt": ("衬衫",), "tee": ("t恤",), "tshirt": ("t恤",), "t": ("t恤",),
    "scarf": ("围巾",), "hat": ("帽",), "cap": ("帽",), "bag": ("包", "袋"), "tote": ("托特包", "购物袋"),
    "shoes": ("鞋",), "shoe": ("鞋",), "sneakers": ("板鞋", "运动鞋"), "sneaker": ("板鞋",),
    "trainers": ("跑鞋", "运动鞋"), "running": ("跑步", "跑鞋"), "mug": ("马克杯",), "cup": ("杯",),
    "bowl": ("碗",), "vase": ("花瓶",), "cutting": ("砧板",), "board": ("砧板",), "bottle": ("保温杯", "瓶"),
    "thermos": ("保温杯",), "lamp": ("台灯", "灯"), "cushion": ("抱枕",), "pillow": ("抱枕",),
    "cream": ("面霜", "奶白"), "lipstick": ("口红",), "plaid": ("格纹",), "striped": ("条纹",),
    "stripes": ("条纹",), "floral": ("碎花",), "zip": ("拉链",), "zipper": ("拉链",), "wool": ("羊毛",),
    "cashmere": ("羊绒",), "cotton": ("棉",), "linen": ("亚麻",), "glass": ("玻璃",), "ceramic": ("陶瓷", "陶"),
    "white": ("白",), "black": ("黑",), "red": ("红",), "blue": ("蓝",), "green": ("绿",), "pink": ("粉",),
    "yellow": ("黄",), "grey": ("灰",), "gray": ("灰",), "brown": ("棕",), "silver": ("银",),
}


def _build_reverse(glossary: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    reverse: dict[str, list[str]] = defaultdict(list)
    for english, chinese in glossary.items():
        for term in chinese:
            reverse[term].append(english)
    return {term: tuple(words) for term, words in reverse.items()}


def tokens(text: str) -> list[str]:
    """Search terms of `text`: each CJK run as characters and character bigrams, other words lower-cased.

    Unigrams keep one-character queries (裙, 包) working; bigrams make "牛仔外套" prefer the product that
    has exactly those pairs over one that merely shares the characters.
    """
    out: list[str] = []
    text = text.lower()
    position = 0
    for run in _CJK.finditer(text):
        out.extend(_WORD.findall(text[position : run.start()]))
        chars = run.group()
        out.extend(chars)
        out.extend(chars[i : i + 2] for i in range(len(chars) - 1))
        position = run.end()
    out.extend(_WORD.findall(text[position:]))
    return out


@dataclass
class BM25Options:
    """Ranking knobs.

    Attributes:
        k1: Term-frequency saturation (BM25's usual 1.2).
        b: Document-length normalisation (BM25's usual 0.75).
        title_boost: How many times the title's terms are counted, so a title hit outranks a description hit.
        expansion_weight: Weight of glossary translations relative to the words typed.
        glossary: English term → the catalog-language terms it expands to (and back).
    """

    k1: float = 1.2
    b: float = 0.75
    title_boost: int = 2
    expansion_weight: float = 0.5
    glossary: Mapping[str, Sequence[str]] = field(default_factory=lambda: dict(GLOSSARY))


class TextIndex:
    """Inverted index of the products' title, description, tags and category, ranked with BM25.

    Scores are divided by the query's best attainable score, so they fall in [0, 1) and can be blended with
    cosine similarities (see `catalog_index.index.merge_scores`).
    """

    def __init__(self, products: Iterable[CatalogProduct], options: BM25Options | None = None):
        self.options = options or BM25Options()
        self._reverse = _build_reverse(self.options.glossary)
        self._skus: list[str] = []
        self._lengths: list[int] = []
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for product in products:
            terms = Counter(self._document_terms(product))
            doc = len(self._skus)
            self._skus.append(product.sku)
            self._lengths.append(sum(terms.values()))
            for term, count in terms.items():
                self._postings[term].append((doc, count))
        self._average = (sum(self._lengths) / len(self._lengths)) if self._lengths else 0.0

    def __len__(self) -> int:
        return len(self._skus)

    def _document_terms(self, product: CatalogProduct) -> list[str]:
        title = tokens(product.title) * self.options.title_boost
        tags = " ".join(product.style_tags)
        return title + tokens(f"{product.description} {tags} {product.category} {product.sku}")

    def _query_terms(self, query: str) -> dict[str, float]:
        """Query term → weight: typed terms 1, glossary translations `expansion_weight` (never lowering a term)."""
        weights: dict[str, float] = {}
        typed = tokens(query)
        for term in typed:
            weights[term] = 1.0
        expansions: list[str] = []
        for term in typed:
            expansions.extend(self.options.glossary.get(term, ()))
            expansions.extend(self._reverse.get(term, ()))
        for phrase in expansions:
            for term in tokens(phrase):
                weights.setdefault(term, self.options.expansion_weight)
        return weights

    def search(self, query: str, top_k: int) -> list[tuple[str, float]]:
        """Up to `top_k` (sku, score) pairs, best first; products sharing no term with the query are left out."""
        n = len(self._skus)
        if n == 0:
            return []
        k1, b = self.options.k1, self.options.b
        scores: dict[int, float] = defaultdict(float)
        best_possible = 0.0
        for term, weight in self._query_terms(query).items():
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = math.log(1.0 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
            # BM25's per-term contribution tends to idf·(k1+1) as tf grows: the ceiling used to normalise.
            best_possible += weight * idf * (k1 + 1)
            for doc, tf in postings:
                norm = k1 * (1 - b + b * self._lengths[doc] / self._average)
                scores[doc] += weight * idf * tf * (k1 + 1) / (tf + norm)
        if not scores:
            return []
        ranked = sorted(scores.items(), key=lambda item: (-item[1], self._skus[item[0]]))[:top_k]
        return [(self._skus[doc], score / best_possible) for doc, score in ranked]
