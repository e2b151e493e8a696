"""The shop's catalog file (CSV, JSONL or Parquet) read into validated, immutable product records."""

from __future__ import annotations

import csv
import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterator, Mapping
from urllib.parse import urlparse
from urllib.request import url2pathname

from catalog_index.errors import CatalogError

logger = logging.getLogger("kefu.catalog_index")

REQUIRED = ("sku", "title", "price", "image")
OPTIONAL = ("description", "category", "currency", "stock", "presale", "restock_date", "style_tags", "video")
DEFAULT_CURRENCY = "CNY"
LIST_SEPARATOR = "|"

_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class CatalogProduct:
    """One product of the catalog.

    Attributes:
        sku: The shop's unique product id.
        title: Display name.
        description: Free text (may be empty).
        category: Coarse category ("apparel", "home", ...; may be empty).
        price_cents: Price in the currency's minor unit (269.00 → 26900), exact.
        currency: ISO 4217 code, upper case.
        stock: Units in stock (0 or more).
        presale: Whether it is sold before it is in stock.
        restock_date: When stock is expected back, if announced.
        style_tags: Free-form tags ("knit", "french_retro", ...).
        images: Product photos, absolute paths (the first is the main one).
        videos: Product videos, absolute paths (may be empty).
    """

    sku: str
    title: str
    description: str
    category: str
    price_cents: int
    currency: str
    stock: int
    presale: bool
    restock_date: date | None
    style_tags: tuple[str, ...]
    images: tuple[Path, ...]
    videos: tuple[Path, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields; `from_dict` reverses it."""
        return {
            "sku": self.sku,
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "price_cents": self.price_cents,
            "currency": self.currency,
            "stock": self.stock,
            "presale": self.presale,
            "restock_date": self.restock_date.isoformat() if self.restock_date else None,
            "style_tags": list(self.style_tags),
            "images": [str(p) for p in self.images],
            "videos": [str(p) for p in self.videos],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CatalogProduct":
        """The product `to_dict` wrote (trusted input: the index's own sidecar)."""
        restock = data.get("restock_date")
        return cls(
            sku=str(data["sku"]),
            title=str(data["title"]),
            description=str(data.get("description", "")),
            category=str(data.get("category", "")),
            price_cents=int(data["price_cents"]),
            currency=str(data["currency"]),
            stock=int(data.get("stock", 0)),
            presale=bool(data.get("presale", False)),
            restock_date=date.fromisoformat(restock) if restock else None,
            style_tags=tuple(str(t) for t in data.get("style_tags", ())),
            images=tuple(Path(p) for p in data.get("images", ())),
            videos=tuple(Path(p) for p in data.get("videos", ())),
        )


def read_catalog(path: str | Path) -> list[CatalogProduct]:
    """The products of a `.csv`, `.jsonl` or `.parquet` catalog, in file order.

    Columns (CSV header / JSON keys): sku, title, price and image are required; description, category,
    currency (default CNY), stock (default 0), presale (default false), restock_date (YYYY-MM-DD) and style_tags
    and video are optional. style_tags, image and video hold several values separated by "|" (JSONL and Parquet
    may also use lists); an image or video is a path relative to the catalog's folder, an absolute path or a
    file:// URL. Images and videos are not opened here. A Parquet file's row numbers count its records from 1.

    Raises:
        CatalogError: Unreadable file, unknown extension, missing column, bad value, duplicate sku or a product
            without an image; the message names the file and row.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".parquet"):
        raise CatalogError(f"unsupported catalog format {suffix or '(no extension)'!r}; use .csv, .jsonl or .parquet",
                           path=path)
    if not path.is_file():
        raise CatalogError("catalog file does not exist", path=path)
    rows = {".csv": _csv_rows, ".jsonl": _jsonl_rows, ".parquet": _parquet_rows}[suffix](path)
    products: list[CatalogProduct] = []
    first_row: dict[str, int] = {}
    try:
        for row_number, row in rows:
            product = _product(path, row_number, row)
            if product.sku in first_row:
                raise CatalogError(
                    f"duplicate sku {product.sku!r} (first seen in row {first_row[product.sku]})", path=path, row=row_number
                )
            first_row[product.sku] = row_number
            products.append(product)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CatalogError(f"cannot read catalog: {exc}", path=path) from exc
    if not products:
        raise CatalogError("catalog has no products", path=path)
    logger.info("read %d products from %s", len(products), path)
    return products


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    # utf-8-sig: spreadsheets exporting "CSV UTF-8" put a byte-order mark before the first header.
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [name.strip() for name in (reader.fieldnames or [])]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise CatalogError(f"missing column(s) {', '.join(missing)} in the header", path=path, row=1)
        reader.fieldnames = header
        for row in reader:
            # DictReader puts surplus cells under None; a row with more cells than headers is malformed.
            if row.get(None):  # type: ignore[call-overload]
                raise CatalogError(
                    f"{len(header) + len(row[None])} cells but the header has {len(header)}",  # type: ignore[index]
                    path=path, row=reader.line_num,
                )
            if not any((v or "").strip() for v in row.values()):
                continue  # a blank line at the end of a hand-edited file
            yield reader.line_num, row


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with open(path, encoding="utf-8-sig") as fh:
        for line_number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                # Decimal for floats: 19.9 must stay 1990 cents, not 1989.9999.
                row = json.loads(line, parse_float=Decimal)
            except ValueError as exc:
                raise CatalogError(f"invalid JSON: {exc}", path=path, row=line_number) from None
            if not isinstance(row, dict):
                raise CatalogError(f"expected a JSON object, got {type(row).__name__}", path=path, row=line_number)
            missing = [name for name in REQUIRED if name not in row]
            if missing:
                raise CatalogError(f"missing key(s) {', '.join(missing)}", path=path, row=line_number)
            yield line_number, row


def _parquet_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow
    import pyarrow.parquet

    try:
        table = pyarrow.parquet.read_table(path)
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise CatalogError(f"cannot read catalog: {exc}", path=path) from None
    missing = [name for name in REQUIRED if name not in table.column_names]
    if missing:
        raise CatalogError(f"missing column(s) {', '.join(missing)}", path=path)
    for row_number, row in enumerate(table.to_pylist(), start=1):
        yield row_number, row


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _items(value: Any) -> list[str]:
    """A "|"-separated string or a JSON list as its non-empty stripped items."""
    if isinstance(value, (list, tuple)):
        return [_text(v) for v in value if _text(v)]
    return [item.strip() for item in _text(value).split(LIST_SEPARATOR) if item.strip()]


def _product(path: Path, row: int, data: Mapping[str, Any]) -> CatalogProduct:
    def fail(message: str) -> CatalogError:
        return CatalogError(message, path=path, row=row)

    sku = _text(data.get("sku"))
    if not sku:
        raise fail("empty sku")
    title = _text(data.get("title"))
    if not title:
        raise fail(f"product {sku} has an empty title")
    images = tuple(_image_path(path, row, sku, item) for item in _items(data.get("image")))
    videos = tuple(_image_path(path, row, sku, item, "video") for item in _items(data.get("video")))
    if not images:
        raise fail(f"product {sku} has no image")
    currency = (_text(data.get("currency")) or DEFAULT_CURRENCY).upper()
    if not _CURRENCY.match(currency):
        raise fail(f"product {sku}: currency {currency!r} is not a 3-letter ISO 4217 code")
    return CatalogProduct(
        sku=sku,
        title=title,
        description=_text(data.get("description")),
        category=_text(data.get("category")),
        price_cents=_price_cents(data.get("price"), fail, sku),
        currency=currency,
        stock=_stock(data.get("stock"), fail, sku),
        presale=_flag(data.get("presale"), fail, sku),
        restock_date=_date(data.get("restock_date"), fail, sku),
        style_tags=tuple(_items(data.get("style_tags"))),
        images=images,
        videos=videos,
    )


def _price_cents(value: Any, fail, sku: str) -> int:
    if isinstance(value, bool) or value is None:
        raise fail(f"product {sku}: price {value!r} is not a number")
    # No thousands separators: "12,50" means 12.50 in half the world and 1250 in the other half.
    raw = value if isinstance(value, (int, Decimal)) else _text(value)
    try:
        amount = Decimal(raw)
    except (InvalidOperation, TypeError, ValueError):
        raise fail(f"product {sku}: price {_text(value)!r} is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise fail(f"product {sku}: price {_text(value)!r} must be a non-negative amount")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise fail(f"product {sku}: price {_text(value)!r} has more than 2 decimal places")
    return int(cents)


def _stock(value: Any, fail, sku: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Parquet written from pandas stores integer columns with gaps as floats
    text = _text(value)
    if not text:
        return 0
    if isinstance(value, bool) or not re.fullmatch(r"\d+", text):
        raise fail(f"product {sku}: stock {text!r} is not a whole number ≥ 0")
    return int(text)


def _flag(value: Any, fail, sku: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise fail(f"product {sku}: presale {text!r} is not true/false")


def _date(value: Any, fail, sku: str) -> date | None:
    if isinstance(value, datetime):  # Parquet date and timestamp columns arrive as Python objects
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"product {sku}: restock_date {text!r} is not a YYYY-MM-DD date") from None


def _image_path(catalog: Path, row: int, sku: str, item: str, kind: str = "image") -> Path:
    if "://" in item:
        url = urlparse(item)
        if url.scheme != "file" or url.netloc not in ("", "localhost"):
            raise CatalogError(
                f"product {sku}: {kind} {item!r} is not a local path or file:// URL ({kind}s are never downloaded)",
                path=catalog, row=row,
            )
        return Path(url2pathname(url.path))
    image = Path(item).expanduser()
    return image if image.is_absolute() else (catalog.parent / image).resolve()
