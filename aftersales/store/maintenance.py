"""Operator commands on the store: purge what is past retention, re-seal records after a key rotation.

    python -m aftersales.store.maintenance purge  [--config configs/serve.dev.yaml] [--store-url URL] [--days N]
                                            [--audit-days N] [--dry-run]
    python -m aftersales.store.maintenance rewrap [--config ...] [--store-url URL] [--keys-file F]

Values not given come from the `dialogue:` block of the Serve config (`--config`), read and validated as `make serve`
reads it (serving.config.AppArgs), else from the same defaults.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from aftersales.errors import AftersalesError
from aftersales.store.core import Store
from aftersales.store.crypto import KeyConfigError, KeyRing


def dialogue_settings(config: Path | None) -> Any:
    """The `dialogue:` settings of the Serve YAML's kefu application, typed and validated (defaults without one)."""
    # The operator's entry point may read the serving layer's config; the domain code above never does.
    from serving.config import DialogueSettings, load_serve_yaml

    return load_serve_yaml(config)[1].dialogue if config is not None else DialogueSettings()


def purge(store: Store, days: float, audit_days: float, now: datetime, dry_run: bool = False) -> dict[str, Any]:
    """Delete records older than `days` (the audit log: `audit_days`); with `dry_run`, only say what would go."""
    if days <= 0 or audit_days <= 0:
        raise ValueError("retention periods must be positive")
    before, audit_before = now - timedelta(days=days), now - timedelta(days=audit_days)
    if dry_run:
        return {"dry_run": True, "before": before.isoformat(), "audit_before": audit_before.isoformat()}
    return {"before": before.isoformat(), "audit_before": audit_before.isoformat(),
            "deleted": store.purge(before, audit_before)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aftersales.store.maintenance", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("purge", "rewrap"))
    parser.add_argument("--config", type=Path, help="Serve YAML whose dialogue: block gives the defaults")
    parser.add_argument("--store-url")
    parser.add_argument("--keys-file")
    parser.add_argument("--days", type=float, help="retention of chat records, in days")
    parser.add_argument("--audit-days", type=float, help="retention of the audit log, in days")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    try:
        settings = dialogue_settings(args.config)
        url = args.store_url or settings.store_url
        keys_file = args.keys_file or settings.keys_file
        if args.command == "purge":
            # Purging reads no record, so it needs no key.
            store = Store(url)
            out = purge(store, args.days or settings.retention_days, args.audit_days or settings.audit_retention_days,
                        datetime.now(timezone.utc), args.dry_run)
        else:
            from serving.settings import KefuEnvironment

            store = Store(url, KeyRing.from_config(keys_file, env=KefuEnvironment().data_keys_env()))
            out = {"rewrapped": store.rewrap(), "active_key": store.keys.active}
        store.close()
    except (AftersalesError, KeyConfigError, ValueError, OSError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
