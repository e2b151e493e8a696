"""Reading catalog files: the demo CSV, JSONL, and every kind of bad row named with its file and row."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from catalog_index.catalog import CatalogProduct, read_catalog
from catalog_index.errors import CatalogError
from tests.conftest import DEMO_CATALOG

HEADER = "sku,title,description,category,price,currency,stock,presale,restock_date,style_tags,image"


def write_csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_demo_catalog_reads_every_row_exactly():
    products = read_catalog(DEMO_CATALOG)
    assert len(products) == 32
    assert len({p.sku for p in products}) == 32
    sweater = next(p for p in products if p.sku == "KF-SW-003")
    assert sweater.price_cents == 23900
    assert sweater.currency == "CNY"
    assert sweater.stock == 0 and sweater.presale is True
    assert sweater.restock_date == date(2026, 12, 5)
    assert sweater.style_tags == ("nautical", "knit", "navy")
    assert sweater.images == ((DEMO_CATALOG.parent / "images" / "KF-SW-003.jpg").resolve(),)
    assert all(p.images[0].is_absolute() for p in products)
    cardigan = products[0]
    assert cardigan.restock_date is None and cardigan.presale is False


def test_prices_become_exact_cents(tmp_path):
    path = write_csv(
        tmp_path,
        "A,a,,x,19.90,cny,1,false,,,a.jpg",
        "B,b,,x,0.29,CNY,1,false,,,b.jpg",
        "C,c,,x,1234567.01,CNY,1,false,,,c.jpg",
        "D,d,,x,5,CNY,1,false,,,d.jpg",
    )
    products = read_catalog(path)
    # 0.29 * 100 is 28.999999999999996 in binary floating point: a float implementation would say 28.
    assert [p.price_cents for p in products] == [1990, 29, 123456701, 500]
    assert products[0].currency == "CNY"


def test_jsonl_with_lists_file_urls_and_float_prices(tmp_path):
    image = tmp_path / "pics" / "one photo.jpg"
    rows = [
        {"sku": "J-1", "title": "mug", "price": 0.29, "image": [f"file://{image.as_posix().replace(' ', '%20')}",
                                                                "pics/two.jpg"],
         "style_tags": ["home", "ceramic"], "stock": 3, "presale": True},
        {"sku": "J-2", "title": "bowl", "price": "39.00", "image": "a.jpg|b.jpg", "currency": "usd"},
    ]
    path = tmp_path / "catalog.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8")
    first, second = read_catalog(path)
    assert first.price_cents == 29
    assert first.images == (image, (tmp_path / "pics" / "two.jpg").resolve())
    assert first.style_tags == ("home", "ceramic") and first.stock == 3 and first.presale
    assert second.images == ((tmp_path / "a.jpg").resolve(), (tmp_path / "b.jpg").resolve())
    assert second.currency == "USD" and second.stock == 0


def test_to_dict_round_trips():
    product = read_catalog(DEMO_CATALOG)[2]
    data = product.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert CatalogProduct.from_dict(data) == product


def test_missing_column_names_the_column_and_the_header_row(tmp_path):
    path = write_csv(tmp_path, "A,a,,x,CNY,1,false,,,a.jpg",
                     header="sku,title,description,category,currency,stock,presale,restock_date,style_tags,image")
    with pytest.raises(CatalogError) as caught:
        read_catalog(path)
    assert "price" in str(caught.value) and "row 1" in str(caught.value) and str(path) in str(caught.value)
    assert caught.value.code == "invalid_catalog" and caught.value.row == 1


@pytest.mark.parametrize("price", ["abc", "12.345", "-1.00", "1,299.00", "", "NaN"])
def test_bad_price_names_the_row(tmp_path, price):
    path = write_csv(tmp_path, "A,a,,x,10.00,CNY,1,false,,,a.jpg", f'B,b,,x,"{price}",CNY,1,false,,,b.jpg')
    with pytest.raises(CatalogError, match="price") as caught:
        read_catalog(path)
    assert caught.value.row == 3 and "row 3" in str(caught.value)


def test_duplicate_sku_names_both_rows(tmp_path):
    path = write_csv(tmp_path, "A,a,,x,1,CNY,1,false,,,a.jpg", "B,b,,x,1,CNY,1,false,,,b.jpg",
                     "A,again,,x,1,CNY,1,false,,,c.jpg")
    with pytest.raises(CatalogError, match="duplicate sku 'A'.*row 2") as caught:
        read_catalog(path)
    assert caught.value.row == 4


def test_product_without_image(tmp_path):
    path = write_csv(tmp_path, "A,a,,x,1,CNY,1,false,,,a.jpg", "B,b,,x,1,CNY,1,false,,, | ")
    with pytest.raises(CatalogError, match="B has no image") as caught:
        read_catalog(path)
    assert caught.value.row == 3


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("A,a,,x,1,CNY,many,false,,,a.jpg", "stock"),
        ("A,a,,x,1,CNY,1,maybe,,,a.jpg", "presale"),
        ("A,a,,x,1,CNY,1,false,12/05/2026,,a.jpg", "restock_date"),
        ("A,a,,x,1,YUAN,1,false,,,a.jpg", "currency"),
        ("A,,,x,1,CNY,1,false,,,a.jpg", "empty title"),
        ("A,a,,x,1,CNY,1,false,,,https://cdn.example.com/a.jpg", "never downloaded"),
        ("A,a,,x,1,CNY,1,false,,,a.jpg,extra", "cells"),
    ],
)
def test_other_bad_values(tmp_path, cells, reason):
    with pytest.raises(CatalogError, match=reason) as caught:
        read_catalog(write_csv(tmp_path, cells))
    assert caught.value.row == 2


def test_bad_jsonl_lines(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"sku": "A", "title": "a", "price": 1, "image": "a.jpg"}\n{not json\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="invalid JSON") as caught:
        read_catalog(path)
    assert caught.value.row == 2
    path.write_text('{"sku": "A", "title": "a", "image": "a.jpg"}\n', encoding="utf-8")
    with pytest.raises(CatalogError, match="price"):
        read_catalog(path)


def test_unreadable_files(tmp_path):
    with pytest.raises(CatalogError, match="does not exist"):
        read_catalog(tmp_path / "nope.csv")
    (tmp_path / "c.xlsx").write_bytes(b"PK")
    with pytest.raises(CatalogError, match="unsupported catalog format"):
        read_catalog(tmp_path / "c.xlsx")
    (tmp_path / "bin.csv").write_bytes(b"sku,title,price,image\n\xff\xfe\x00bad")
    with pytest.raises(CatalogError, match="cannot read"):
        read_catalog(tmp_path / "bin.csv")
    with pytest.raises(CatalogError, match="no products"):
        read_catalog(write_csv(tmp_path))


def write_parquet(tmp_path: Path, rows: list[dict]) -> Path:
    import pyarrow
    import pyarrow.parquet

    path = tmp_path / "catalog.parquet"
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist(rows), path)
    return path


def test_parquet_with_lists_dates_float_prices_and_videos(tmp_path):
    path = write_parquet(tmp_path, [
        {"sku": "P-1", "title": "mug", "price": 0.29, "image": ["a.jpg", "b.jpg"], "video": ["clips/p1.mp4"],
         "stock": 3.0, "presale": True, "restock_date": date(2026, 1, 2), "style_tags": ["home"]},
        {"sku": "P-2", "title": "bowl", "price": 39.0, "image": ["c.jpg"], "video": None,
         "stock": None, "presale": False, "restock_date": None, "style_tags": []},
    ])
    mug, bowl = read_catalog(path)
    assert mug.price_cents == 29 and mug.stock == 3 and mug.presale is True
    assert mug.restock_date == date(2026, 1, 2) and mug.style_tags == ("home",)
    assert mug.images == ((tmp_path / "a.jpg").resolve(), (tmp_path / "b.jpg").resolve())
    assert mug.videos == ((tmp_path / "clips" / "p1.mp4").resolve(),)
    assert bowl.price_cents == 3900 and bowl.stock == 0 and bowl.videos == () and bowl.restock_date is None
    assert CatalogProduct.from_dict(mug.to_dict()) == mug


def test_parquet_errors_name_the_file_and_record(tmp_path):
    with pytest.raises(CatalogError, match=r"catalog.parquet: missing column\(s\) price"):
        read_catalog(write_parquet(tmp_path, [{"sku": "A", "title": "a", "image": "a.jpg"}]))
    bad = write_parquet(tmp_path, [{"sku": "A", "title": "a", "price": "1", "image": "a.jpg"},
                                   {"sku": "B", "title": "b", "price": "x", "image": "b.jpg"}])
    with pytest.raises(CatalogError, match=r"catalog.parquet, row 2: product B: price 'x' is not a number"):
        read_catalog(bad)
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"not parquet at all")
    with pytest.raises(CatalogError, match="cannot read catalog"):
        read_catalog(garbage)


def test_csv_video_column_and_remote_videos_refused(tmp_path):
    header = HEADER + ",video"
    path = write_csv(tmp_path, "A,a,,x,1,CNY,1,false,,,a.jpg,v1.mp4|v2.mp4", header=header)
    assert [v.name for v in read_catalog(path)[0].videos] == ["v1.mp4", "v2.mp4"]
    path = write_csv(tmp_path, "A,a,,x,1,CNY,1,false,,,a.jpg,https://cdn.example.com/v.mp4", header=header)
    with pytest.raises(CatalogError, match="video 'https://cdn.example.com/v.mp4' is not a local path"):
        read_catalog(path)
