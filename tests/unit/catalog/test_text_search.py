"""Model-free text search over the demo catalog: Chinese and English queries, and its edge cases."""

from __future__ import annotations

import pytest

from catalog_index.catalog import read_catalog
from catalog_index.errors import CatalogError
from catalog_index.index import CatalogIndex
from catalog_index.text_search import TextIndex, tokens
from tests.conftest import DEMO_CATALOG


@pytest.fixture(scope="module")
def index() -> CatalogIndex:
    built = CatalogIndex.create("fake/1", 8)
    built.set_products(read_catalog(DEMO_CATALOG))
    return built


def test_tokens_mix_cjk_bigrams_and_latin_words():
    assert tokens("牛仔外套 Denim-JACKET") == ["牛", "仔", "外", "套", "牛仔", "仔外", "外套", "denim", "jacket"]
    assert tokens("french_retro") == ["french", "retro"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("牛仔外套", "KF-JK-001"), ("denim jacket", "KF-JK-001"), ("DENIM  Jacket!", "KF-JK-001"),
     ("保温杯", "KF-HM-005"), ("lipstick", "KF-BT-002"), ("KF-HM-004", "KF-HM-004")],
)
def test_query_finds_the_product(index, query, expected):
    assert index.search_text(query, 5)[0].sku == expected


def test_sweater_queries_find_sweaters(index):
    top = index.search_text("毛衣", 3)
    assert top[0].sku.startswith("KF-SW-")
    assert top[0].title == index.product(top[0].sku).title
    assert index.search_text("sweater", 3)[0].sku.startswith("KF-SW-")


def test_single_character_query_and_scores(index):
    matches = index.search_text("裙", 10)
    skus = {m.sku for m in matches}
    assert {"KF-SK-001", "KF-DR-001", "KF-DR-002", "KF-DR-003"} <= skus
    assert all(0.0 < m.score < 1.0 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_typed_words_outrank_glossary_translations(index):
    # "blue" expands to 蓝, shared by many products; the product tagged "blue" in English still comes first.
    first = index.search_text("linen blue", 3)[0]
    assert first.sku == "KF-HM-007"


def test_unrelated_and_empty_queries(index):
    assert index.search_text("zzqx", 5) == []
    with pytest.raises(CatalogError, match="empty"):
        index.search_text("   ", 5)
    with pytest.raises(CatalogError, match="top_k"):
        index.search_text("mug", 0)


def test_empty_text_index():
    assert TextIndex([]).search("mug", 3) == []
