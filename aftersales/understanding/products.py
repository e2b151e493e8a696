"""Which product a message names in words ("the cup arrived broken"), among the customer's and the shop's.

Words of a product's titles (in any language) found in the message count most; multilingual sentence embeddings of
the message against each title decide where no word is shared ("cup" against "Handmade ceramic mug").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aftersales.policy.knowledge import Embedder
from aftersales.understanding.slots import fold
from aftersales.store.views import ProductView

# A title word shared with the message is worth this much cosine similarity.
WORD_WEIGHT = 0.04
# The named product must beat the next one by this much to count as named at all.
MARGIN = 0.025
# Title words shared with the message that name a product without the embeddings' margin over the whole catalog
# (a whole title written in the message counts as many).
NAMING_WORDS = 2
# Title embeddings this close are the same kind of product (variants, or one product listed twice).
ALIKE = 0.95
_LATIN = re.compile(r"[a-z]{3,}")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
# Words of titles that say nothing about what the product is.
_STOP = frozenset("the and with for new set pcs pack women men kids size color colour style".split())


@dataclass(frozen=True)
class Named:
    """The product a message names.

    Attributes:
        sku: The product most named, None when the message names none more than the others.
        owned: Whether that product is among the customer's (the candidates), False for another of the shop's.
        score: Its score (cosine similarity plus shared words).
    """

    sku: str | None
    owned: bool
    score: float


def _words(product: ProductView) -> tuple[set[str], list[str]]:
    latin: set[str] = set()
    han: list[str] = []
    for title in (product.title, *product.titles.values()):
        folded = fold(title)
        latin |= {w for w in _LATIN.findall(folded) if w not in _STOP}
        han += _HAN.findall(title)
    return latin, han


def shared_words(text: str, product: ProductView) -> int:
    """Title words (Latin, three letters or more), two-character pieces of Chinese titles and whole titles found in
    `text`."""
    folded = fold(text)
    latin, han = _words(product)
    count = sum(1 for w in latin if re.search(rf"\b{w}", folded))
    pieces = {run[i:i + 2] for run in han for i in range(len(run) - 1)}
    # A whole title written in the message: the only sign in a script without spaces between words (แก้วเซรามิก).
    whole = NAMING_WORDS * sum(1 for title in {fold(t) for t in (product.title, *product.titles.values())}
                               if len(title) >= 3 and title in folded)
    return count + sum(1 for piece in pieces if piece in text) + whole


class TitleCache:
    """An Embedder that keeps every title passage it embedded (a catalog's titles must not be pushed out of the
    encoder's recent-texts cache by a day of messages); messages go straight to the encoder."""

    def __init__(self, encoder: Embedder):
        self.encoder = encoder
        self._passages: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str], kind: str = "query") -> np.ndarray:
        if kind != "passage":
            return self.encoder.embed(texts, kind)
        missing = list(dict.fromkeys(t for t in texts if t not in self._passages))
        if missing:
            self._passages.update(zip(missing, self.encoder.embed(missing, "passage")))
        return np.stack([self._passages[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)


def title_passage(product: ProductView) -> str:
    """What a product's embedding is made of: its titles in every language, once each."""
    return " / ".join(dict.fromkeys((product.title, *product.titles.values())))


def named_product(text: str, owned: Sequence[ProductView], others: Sequence[ProductView],
                  embedder: Embedder | None) -> Named:
    """The product of `owned` or `others` that `text` names, by a margin; Named(None, ...) when it names none."""
    products = [*owned, *others]
    if not products or not text.strip():
        return Named(None, False, 0.0)
    words = np.array([shared_words(text, p) for p in products], dtype=np.float32)
    if embedder is not None:
        vectors = embedder.embed([text])
        titles = embedder.embed([title_passage(p) for p in products], "passage")
        scores = titles @ vectors[0] + WORD_WEIGHT * words
    elif words.max() > 0:
        scores, titles = words, None
    else:
        return Named(None, False, 0.0)
    mine = len(owned)  # products[:mine] are the customer's own
    best = int(np.argmax(scores))
    if best < mine:
        # One of the customer's own, clearly ahead of every other product.
        rivals = [j for j in range(len(products)) if j != best]
    elif mine and words[best] > 0 and words[:mine].max() >= words[best]:
        # What the customer bought shares as many title words as the shop's product closest in embeddings ("these
        # shorts" from a customer who bought running shorts): their own is meant, unless two of theirs tie.
        rivals = [j for j in range(mine) if words[j] == words[:mine].max()]
        best = max(rivals, key=lambda j: scores[j])
        rivals.remove(best)
    else:
        # Another of the shop's products, clearly ahead of the rest; shop products alike to it (two night lamps, one
        # title) do not count against it: whichever of them is meant, the customer bought none of them.
        if titles is not None:
            alike = titles @ titles[best] >= ALIKE
        else:
            alike = np.array([title_passage(p) == title_passage(products[best]) for p in products])
        rivals = [j for j in range(len(products)) if j != best and (j < mine or not alike[j])]
        if words[best] >= NAMING_WORDS:
            # Sharing more title words with the message than anything the customer bought, it needs only to be
            # clearly ahead of the customer's own: among a large catalog some other title is always about as close
            # in embeddings. One shared word is not enough: titles hold common words ("không" in a Vietnamese title).
            rivals = [j for j in rivals if j < mine]
    runner_up = float(scores[rivals].max()) if rivals else -1.0
    if float(scores[best]) - runner_up < (MARGIN if embedder is not None else 1):
        return Named(None, False, float(scores[best]))
    return Named(products[best].sku, best < mine, float(scores[best]))
