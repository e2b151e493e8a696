"""Up to three catalog products in the styles of a customer's past purchases, offered after an exchange or a style
or size question."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from aftersales.store.views import OrderView, ProductView

RECOMMEND_AFTER = frozenset({"exchange", "size_fit", "product_question"})
MAX_RECOMMENDATIONS = 3


def recommend(products: Iterable[ProductView], orders: Sequence[OrderView], exclude: Iterable[str] = (),
              limit: int = MAX_RECOMMENDATIONS) -> list[ProductView]:
    """Products in stock sharing style tags with what the customer bought, best match first.

    A product scores the bought items' tag counts it shares, over the square root of its own tag count (a product
    tagged with everything is not the best match for everything); ties go to the sku. Products already bought, those
    in `exclude`, presale and sold-out ones are left out.
    """
    bought = {item.sku for order in orders for item in order.items}
    catalog = {p.sku: p for p in products}
    tastes = Counter(tag for sku in bought if sku in catalog for tag in catalog[sku].style_tags)
    skip = bought | set(exclude)
    scored = []
    for product in catalog.values():
        if product.sku in skip or product.stock <= 0 or product.presale or not product.style_tags:
            continue
        score = sum(tastes[tag] for tag in product.style_tags) / math.sqrt(len(product.style_tags))
        if score > 0:
            scored.append((-score, product.sku, product))
    return [product for _, _, product in sorted(scored)[:limit]]
