"""Domain exceptions of the after-sales brain; the serving layer maps them to HTTP codes."""

from __future__ import annotations

from pathlib import Path


class AftersalesError(Exception):
    """Base of every error `aftersales` raises on purpose; `code` is a stable machine-readable id."""

    code = "aftersales_error"


class InvalidInput(AftersalesError, ValueError):
    """A caller handed over something malformed (a bad turn, a negative quantity, an unknown channel)."""

    code = "invalid_input"


class UnknownReference(InvalidInput):
    """Ingested data names a row the store lacks (an order line's sku, a coupon id); `field` is the path in the body
    ("items.0.sku"), so the API can answer as it answers any bad field."""

    code = "unknown_reference"

    def __init__(self, field: str, kind: str, key: str):
        super().__init__(f"{field}: unknown {kind} {key!r}")
        self.field, self.kind, self.key = field, kind, key

    def __reduce__(self):
        return (type(self), (self.field, self.kind, self.key))


class NotFound(AftersalesError, LookupError):
    """An order, product, customer or conversation that does not exist (or is not the caller's)."""

    def __init__(self, kind: str, key: str):
        super().__init__(f"{kind} {key!r} not found")
        self.kind, self.key = kind, key
        self.code = f"{kind}_not_found"

    def __reduce__(self):
        # Ray pickles a replica's exception to the caller; rebuild from our own arguments, not from `args`.
        return (type(self), (self.kind, self.key))


class Conflict(AftersalesError):
    """A write that would contradict what is stored (an existing order id, a conversation of another customer)."""

    code = "conflict"


class SeedError(AftersalesError):
    """The demo catalog CSV cannot be read into products."""

    code = "seed_error"


class ConfigError(AftersalesError):
    """A data file (policy, lexicon, reply templates) says something kefu cannot honour; names the file and key."""

    code = "config_error"

    def __init__(self, file: Path | str, key: str, reason: str):
        super().__init__(f"{file}: {key}: {reason}")
        self.file, self.key, self.reason = str(file), key, reason

    def __reduce__(self):
        return (type(self), (self.file, self.key, self.reason))


class PolicyConfigError(ConfigError):
    """A policy YAML file says something the engine cannot honour (unknown key, negative window, duplicate id)."""

    code = "policy_config_error"
