"""Operator CLI: build a catalog index, show its manifest, or search it by photo or text."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Sequence


def _embedder_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("embedder (must match the one that will serve queries)")
    group.add_argument("--backend", choices=("efficientnet", "open_clip"), default="efficientnet")
    group.add_argument("--model", default=None,
                       help="registry name or local checkpoint (default: efficientnet-lite0 for efficientnet)")
    group.add_argument("--arch", default="ViT-B-32", help="open_clip architecture")
    group.add_argument("--arch-config", default=None, help="open_clip model-config JSON for a custom architecture")
    group.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    group.add_argument("--threads", type=int, default=None, help="torch CPU threads")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m catalog_index", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="embed every catalog photo and write the index")
    build.add_argument("--catalog", required=True, type=Path, help="catalog .csv or .jsonl")
    build.add_argument("--out", required=True, type=Path, help="index directory (replaced atomically)")
    build.add_argument("--batch-size", type=int, default=16)
    build.add_argument("--workers", type=int, default=2, help="image-decoding threads")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    _embedder_args(build)

    stats = commands.add_parser("stats", help="print an index's manifest and counts")
    stats.add_argument("--index", required=True, type=Path)

    search = commands.add_parser("search", help="look a photo or a text up in an index")
    search.add_argument("--index", required=True, type=Path)
    query = search.add_mutually_exclusive_group(required=True)
    query.add_argument("--image", type=Path, help="a photo of the product")
    query.add_argument("--text", help="words from the title, description or tags (no model needed)")
    search.add_argument("--top-k", type=int, default=5)
    search.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _embedder_args(search)
    return parser


def _embedder(args: argparse.Namespace):
    from models import load_embedder
    from models.embedder import EmbedderConfig

    model = args.model or ("efficientnet-lite0" if args.backend == "efficientnet" else None)
    if model is None:
        raise SystemExit("error: --backend open_clip needs --model (a local CLIP checkpoint)")
    config = EmbedderConfig(backend=args.backend, model=model, arch=args.arch, arch_config=args.arch_config,
                            device=args.device, threads=args.threads, batch_size=getattr(args, "batch_size", 16))
    return load_embedder(config)


def _build(args: argparse.Namespace) -> int:
    from catalog_index.build import build_index

    report = build_index(args.catalog, args.out, _embedder(args), batch_size=args.batch_size, workers=args.workers,
                         progress=not args.no_progress)
    print(f"indexed {report.products} products ({report.images} images) into {report.index_dir} "
          f"in {report.seconds:.1f}s ({report.images_per_second:.1f} images/s)")
    for skipped in report.skipped:
        print(f"  skipped {skipped.sku} {skipped.path}: {skipped.reason}")
    for sku in report.skipped_products:
        print(f"  left out {sku}: no usable image")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from catalog_index.index import CatalogIndex
    from catalog_index.index_files import read_manifest

    index = CatalogIndex.load(args.index)
    manifest = read_manifest(Path(args.index)).to_dict()
    categories: dict[str, int] = {}
    for sku in index.skus:
        category = index.product(sku).category or "(none)"
        categories[category] = categories.get(category, 0) + 1
    print(json.dumps({"manifest": manifest, "vectors": len(index), "skus": len(index.skus),
                      "categories": categories}, ensure_ascii=False, indent=2))
    return 0


def _search(args: argparse.Namespace) -> int:
    from catalog_index.index import CatalogIndex, merge_scores

    if args.image is not None:
        from PIL import Image

        embedder = _embedder(args)
        index = CatalogIndex.load(args.index, expected_embedder=embedder.name, expected_dim=embedder.dim)
        try:
            with Image.open(args.image) as image:
                picture = image.convert("RGB")
        except (OSError, ValueError) as exc:
            print(f"error: cannot read image {args.image}: {exc}", file=sys.stderr)
            return 1
        matches = index.search(embedder.embed_images([picture]), args.top_k)[0]
    else:
        index = CatalogIndex.load(args.index)
        matches = index.search_text(args.text, args.top_k)
        if args.model and args.backend == "open_clip":
            # A CLIP model puts texts and photos in one space: blend its ranking with the keyword one.
            embedder = _embedder(args)
            index.check_embedder(embedder.name, embedder.dim)
            vector = index.search(embedder.embed_texts([args.text]), args.top_k)[0]
            matches = merge_scores(matches, vector, top_k=args.top_k)
    if args.json:
        print(json.dumps([m.to_dict() for m in matches], ensure_ascii=False, indent=2))
    elif not matches:
        print("no match")
    else:
        for rank, match in enumerate(matches, start=1):
            print(f"{rank:>2}  {match.score:6.3f}  {match.sku:<12} {match.title}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from catalog_index.errors import CatalogError

    try:
        from models.errors import ModelError
    except ImportError:  # the model layer is optional for stats and text search
        ModelError = CatalogError  # type: ignore[misc,assignment]
    try:
        return {"build": _build, "stats": _stats, "search": _search}[args.command](args)
    except (CatalogError, ModelError, ValueError) as exc:
        # ValueError: EmbedderConfig rejects bad flags (batch size, threads) with one.
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
