"""Operator CLI: build, update, delete from, verify, describe or search a versioned catalog index root."""

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

    build = commands.add_parser("build", help="embed every catalog photo and publish a new index version")
    build.add_argument("--catalog", required=True, type=Path, help="catalog .csv or .jsonl")
    build.add_argument("--out", required=True, type=Path, help="index root (a new version is published into it)")
    build.add_argument("--batch-size", type=int, default=16)
    build.add_argument("--workers", type=int, default=2, help="image-decoding threads")
    build.add_argument("--shard-size", type=int, default=512,
                       help="photos per checkpoint shard (a killed build resumes from the shards written)")
    build.add_argument("--work-dir", type=Path, default=None, help="where shards go (default: <out>/.build)")
    build.add_argument("--factory", default="auto",
                       help="FAISS index: auto (exact below 50k vectors, IVF above) or a factory string, e.g. HNSW32")
    build.add_argument("--ray", action="store_true", help="run the pipeline on Ray Data (no shards)")
    build.add_argument("--concurrency", type=int, default=1, help="--ray: embedding actors")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    _embedder_args(build)

    update = commands.add_parser("update", help="re-embed the products of a changes file and publish a new version")
    update.add_argument("--index", required=True, type=Path, help="index root")
    update.add_argument("--catalog", required=True, type=Path, help="catalog file holding only the changed products")
    update.add_argument("--batch-size", type=int, default=16)
    update.add_argument("--workers", type=int, default=2, help="image-decoding threads")
    _embedder_args(update)

    delete = commands.add_parser("delete", help="remove products and publish a new version")
    delete.add_argument("--index", required=True, type=Path, help="index root")
    delete.add_argument("--sku", required=True, action="append", help="a SKU to remove (repeat for several)")

    verify = commands.add_parser("verify", help="check the current version's manifest, checksums and ids")
    verify.add_argument("--index", required=True, type=Path, help="index root or saved index folder")

    stats = commands.add_parser("stats", help="print an index's version, manifest and counts")
    stats.add_argument("--index", required=True, type=Path, help="index root or saved index folder")

    search = commands.add_parser("search", help="look a photo or a text up in an index")
    search.add_argument("--index", required=True, type=Path)
    query = search.add_mutually_exclusive_group(required=True)
    query.add_argument("--image", type=Path, help="a photo of the product")
    query.add_argument("--text", help="words from the title, description or tags (no model needed)")
    search.add_argument("--top-k", type=int, default=5)
    search.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _embedder_args(search)
    return parser


def _embedder_config(args: argparse.Namespace):
    from models.embedder.base import EmbedderConfig

    model = args.model or ("efficientnet-lite0" if args.backend == "efficientnet" else None)
    if model is None:
        raise SystemExit("error: --backend open_clip needs --model (a local CLIP checkpoint)")
    return EmbedderConfig(backend=args.backend, model=model, arch=args.arch, arch_config=args.arch_config,
                          device=args.device, threads=args.threads, batch_size=getattr(args, "batch_size", 16))


def _embedder(args: argparse.Namespace):
    from models import load_embedder

    return load_embedder(_embedder_config(args))


def _build(args: argparse.Namespace) -> int:
    if args.ray:
        from catalog_index.ray_build import build_index_ray

        report = build_index_ray(args.catalog, args.out, _embedder_config(args), batch_size=args.batch_size,
                                 concurrency=args.concurrency, factory=args.factory)
    else:
        from catalog_index.build import build_index

        report = build_index(args.catalog, args.out, _embedder(args), batch_size=args.batch_size,
                             workers=args.workers, shard_size=args.shard_size, work_dir=args.work_dir,
                             progress=not args.no_progress, factory=args.factory)
    resumed = f", {report.resumed_images} resumed" if report.resumed_images else ""
    print(f"indexed {report.products} products ({report.images} images{resumed}) into {report.index_dir} "
          f"{report.version} in {report.seconds:.1f}s ({report.images_per_second:.1f} images/s)")
    _print_skipped(report.skipped, report.skipped_products, "left out")
    return 0


def _update(args: argparse.Namespace) -> int:
    from catalog_index.build import update_index

    report = update_index(args.catalog, args.index, _embedder(args), batch_size=args.batch_size,
                          workers=args.workers)
    print(f"updated {len(report.updated)} products ({report.vectors} images) in {report.index_dir} "
          f"{report.version}: {' '.join(report.updated)}")
    _print_skipped(report.skipped, report.skipped_products, "left as it was")
    return 0


def _print_skipped(skipped, products: Sequence[str], what: str) -> None:
    for item in skipped:
        print(f"  skipped {item.sku} {item.path}: {item.reason}")
    for sku in products:
        print(f"  {what} {sku}: no usable image")


def _delete(args: argparse.Namespace) -> int:
    from catalog_index.errors import CatalogError
    from catalog_index.versions import IndexRoot

    root = IndexRoot(args.index)
    index = root.load()
    skus = list(dict.fromkeys(args.sku))
    unknown = [sku for sku in skus if sku not in set(index.skus)]
    if unknown:
        raise CatalogError(f"no product {', '.join(unknown)} in the index at {args.index}; nothing deleted")
    removed = index.delete(skus)
    version = root.publish(index)
    print(f"deleted {len(skus)} products ({removed} vectors) from {args.index}: {version}")
    return 0


def _index_dir(path: Path) -> tuple[Path, str | None, list[str]]:
    """The folder of the index that `path` serves (a root's current version, or `path` itself)."""
    from catalog_index.versions import IndexRoot, is_root

    if is_root(path):
        root = IndexRoot(path)
        return root.current_dir(), root.current_version(), root.versions()
    return path, None, []


def _verify(args: argparse.Namespace) -> int:
    from catalog_index import index_files as files
    from catalog_index.errors import IndexCorrupt
    from catalog_index.index import CatalogIndex

    directory, version, _ = _index_dir(args.index)
    # load() checks the manifest, every checksum, and that vectors, ids and products agree.
    index = CatalogIndex.load(directory)
    manifest = files.read_json(directory, files.MANIFEST_FILE)
    problems = []
    if int(manifest.get("skus", -1)) != len(index.skus):
        problems.append(f"the manifest counts {manifest.get('skus')} SKUs, the ids name {len(index.skus)}")
    without = [sku for sku in index.skus if not _has_product(index, sku)]
    if without:
        problems.append(f"{len(without)} SKU(s) with vectors but no product data: {', '.join(without[:5])}")
    if problems:
        raise IndexCorrupt(f"catalog index {directory} is inconsistent: {'; '.join(problems)}; rebuild it")
    where = f"{args.index} {version}" if version else str(args.index)
    print(f"ok: {where}: {len(index)} vectors, {len(index.skus)} SKUs, {manifest.get('embedder')} "
          f"(dim {manifest.get('dim')}), checksums match")
    return 0


def _has_product(index, sku: str) -> bool:
    from catalog_index.errors import CatalogError

    try:
        index.product(sku)
    except CatalogError:
        return False
    return True


def _stats(args: argparse.Namespace) -> int:
    from catalog_index import index_files as files
    from catalog_index.index import CatalogIndex

    directory, version, versions = _index_dir(args.index)
    index = CatalogIndex.load(directory)
    manifest = files.read_json(directory, files.MANIFEST_FILE)
    categories: dict[str, int] = {}
    for sku in index.skus:
        category = index.product(sku).category or "(none)"
        categories[category] = categories.get(category, 0) + 1
    print(json.dumps({"version": version, "versions": versions, "factory": manifest.get("factory"),
                      "embedder": manifest.get("embedder"), "dim": manifest.get("dim"), "vectors": len(index),
                      "skus": len(index.skus), "manifest": manifest, "categories": categories},
                     ensure_ascii=False, indent=2))
    return 0


def _search(args: argparse.Namespace) -> int:
    from catalog_index.index import merge_scores
    from catalog_index.versions import open_index

    if args.image is not None:
        from PIL import Image

        embedder = _embedder(args)
        index = open_index(args.index, expected_embedder=embedder.name, expected_dim=embedder.dim)
        try:
            with Image.open(args.image) as image:
                picture = image.convert("RGB")
        except (OSError, ValueError) as exc:
            print(f"error: cannot read image {args.image}: {exc}", file=sys.stderr)
            return 1
        matches = index.search(embedder.embed_images([picture]), args.top_k)[0]
    else:
        index = open_index(args.index)
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
        commands = {"build": _build, "update": _update, "delete": _delete, "verify": _verify, "stats": _stats,
                    "search": _search}
        return commands[args.command](args)
    except (CatalogError, ModelError, ValueError) as exc:
        # ValueError: EmbedderConfig rejects bad flags (batch size, threads) with one.
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
