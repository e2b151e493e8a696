"""Chat records encrypted at rest: AES-256-GCM, the customer id bound in as associated data, keys that rotate.

A stored value is text: `kefu:1:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`. The key id says which key sealed it,
so a ring holding the new key and the old ones opens every record while new records are sealed with the new key:
rotation needs no downtime, and `rewrap` moves old records onto the new key at leisure. Binding the customer id means
a record copied onto another customer's row does not open.

Keys come from a JSON file (`{"active": "2026-11", "keys": {"2026-11": "<base64 of 32 bytes>", "2026-05": "..."}}`)
or from `KEFU_DATA_KEYS` (`2026-11:<base64>,2026-05:<base64>`, the first one active).
    python -m aftersales.store.crypto new-key      (prints a fresh base64 key)
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEYS_ENV = "KEFU_DATA_KEYS"
PREFIX = "kefu:1:"
_NONCE = 12  # bytes: GCM's standard nonce, random per record
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


class KeyConfigError(ValueError):
    """The key configuration is unusable: says which key and why."""


class SealedRecordError(ValueError):
    """A stored record does not open: unknown key, wrong customer, tampered or not a sealed record at all."""


def new_key() -> str:
    """A fresh 256-bit key, base64 (what the key file and KEFU_DATA_KEYS hold)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _decode_key(key_id: str, text: str) -> bytes:
    """The raw bytes of a base64 key (its id and length are checked by KeyRing)."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"key {key_id!r} is not base64") from None


@dataclass(frozen=True)
class KeyRing:
    """The data keys: `active` seals new records, every key in `keys` opens the records it sealed.

    Attributes:
        keys: Key id → 32 raw key bytes.
        active: Id of the key new records are sealed with.
    """

    keys: Mapping[str, bytes]
    active: str
    _ciphers: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyConfigError("no data keys given")
        if self.active not in self.keys:
            raise KeyConfigError(f"the active key {self.active!r} is not among the keys {sorted(self.keys)}")
        for key_id, raw in self.keys.items():
            if not _KEY_ID.match(key_id):
                raise KeyConfigError(f"key id {key_id!r} must be 1-32 letters, digits, '.', '_' or '-'")
            if len(raw) != 32:
                raise KeyConfigError(f"key {key_id!r} is {len(raw)} bytes; AES-256 needs 32 "
                                     "(python -m aftersales.store.crypto new-key)")
            self._ciphers[key_id] = AESGCM(bytes(raw))

    @classmethod
    def parse(cls, spec: str) -> "KeyRing":
        """`id:base64,id:base64,...` (KEFU_DATA_KEYS), the first key active."""
        keys: dict[str, bytes] = {}
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            key_id, sep, text = item.partition(":")
            if not sep:
                raise KeyConfigError(f"{KEYS_ENV} entries are id:base64-key, got {item[:12]!r}...")
            if key_id in keys:
                raise KeyConfigError(f"key id {key_id!r} is given twice")
            keys[key_id] = _decode_key(key_id, text)
        if not keys:
            raise KeyConfigError(f"{KEYS_ENV} holds no key")
        return cls(keys, next(iter(keys)))

    @classmethod
    def load(cls, path: Path) -> "KeyRing":
        """A key file: {"active": id, "keys": {id: base64, ...}}."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KeyConfigError(f"cannot read the key file {path}: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), dict) or not isinstance(data.get("active"), str):
            raise KeyConfigError(f'{path}: expected {{"active": "<id>", "keys": {{"<id>": "<base64>"}}}}')
        return cls({k: _decode_key(k, str(v)) for k, v in data["keys"].items()}, data["active"])

    @classmethod
    def create(cls, path: Path, key_id: str = "k1") -> "KeyRing":
        """Write a key file holding one fresh key, readable by its owner only; an existing file is never replaced
        (the records it sealed would not open again)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"active": key_id, "keys": {key_id: new_key()}}, indent=2)
        # Written whole under a private name, then linked into place: a replica starting alongside (Dialogue and
        # Desk start together) either finds no file or the complete one, never a half-written ring.
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(data + "\n")
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another replica's ring is in place first: use it
        finally:
            draft.unlink(missing_ok=True)
        return cls.load(path)

    @classmethod
    def from_config(cls, key_file: str | None = None, env: Mapping[str, str] | None = None,
                    create: bool = False) -> "KeyRing":
        """The key file when one is named (created with a fresh key when missing and `create`), else
        KEFU_DATA_KEYS."""
        if key_file:
            if create and not Path(key_file).exists():
                return cls.create(Path(key_file))
            return cls.load(Path(key_file))
        spec = (os.environ if env is None else env).get(KEYS_ENV, "")
        if not spec.strip():
            raise KeyConfigError(f"no data keys: name a key file or set {KEYS_ENV} (python -m aftersales.store.crypto new-key)")
        return cls.parse(spec)

    def seal(self, plaintext: str, customer_id: str) -> str:
        """Encrypt `plaintext` for `customer_id` with the active key."""
        nonce = secrets.token_bytes(_NONCE)
        sealed = self._ciphers[self.active].encrypt(nonce, plaintext.encode("utf-8"), _aad(customer_id))
        return f"{PREFIX}{self.active}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, record: str, customer_id: str) -> str:
        """Decrypt a sealed record of `customer_id`."""
        key_id, blob = self._split(record)
        try:
            plain = self._ciphers[key_id].decrypt(blob[:_NONCE], blob[_NONCE:], _aad(customer_id))
        except InvalidTag:
            raise SealedRecordError(f"record sealed with key {key_id!r} does not open for this customer: "
                                    "it belongs to another customer or was altered") from None
        return plain.decode("utf-8")

    def key_of(self, record: str) -> str:
        """The id of the key that sealed `record`."""
        return self._split(record)[0]

    def rewrap(self, record: str, customer_id: str) -> str:
        """`record` sealed with the active key (unchanged when it already is)."""
        if self.key_of(record) == self.active:
            return record
        return self.seal(self.open(record, customer_id), customer_id)

    def _split(self, record: str) -> tuple[str, bytes]:
        if not isinstance(record, str) or not record.startswith(PREFIX):
            raise SealedRecordError("not a sealed kefu record")
        key_id, sep, text = record[len(PREFIX):].partition(":")
        if not sep:
            raise SealedRecordError("a sealed record names its key: kefu:1:<key id>:<data>")
        if key_id not in self._ciphers:
            raise SealedRecordError(f"record sealed with key {key_id!r}, which is not among the keys "
                                    f"{sorted(self._ciphers)}: add it back to the key ring")
        try:
            blob = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise SealedRecordError("sealed record data is not base64") from None
        if len(blob) < _NONCE + 16:
            raise SealedRecordError("sealed record is truncated")
        return key_id, blob


def _aad(customer_id: str) -> bytes:
    if not isinstance(customer_id, str) or not customer_id:
        raise ValueError("records are sealed for a customer: customer_id is required")
    return b"kefu-customer:" + customer_id.encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["new-key"]:
        print("usage: python -m aftersales.store.crypto new-key", file=sys.stderr)
        return 2
    print(new_key())
    return 0


if __name__ == "__main__":
    sys.exit(main())
