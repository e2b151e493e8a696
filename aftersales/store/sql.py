"""SQL plumbing the store modules share: engines, schema creation and upgrade, upserts and input checks."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from aftersales.errors import InvalidInput
from aftersales.store.tables import Base

_Row = TypeVar("_Row", bound=Base)

# SQLAlchemy's default driver for a bare postgresql:// is psycopg2; kefu ships psycopg 3.
_PG_SCHEMES = ("postgresql", "postgres")
# pg_advisory_xact_lock key held while creating tables ("kefu" in ASCII).
_SCHEMA_LOCK = 0x6B656675
# Columns added to tables after kefu first shipped: create_all only creates missing tables, so a database from an
# older kefu gets these by ALTER TABLE (each must have a server default, which fills the rows already there).
_ADDED_COLUMNS = {"orders": ("carrier", "tracking_number"), "products": ("titles", "knowledge")}


def make_engine(url: str) -> Engine:
    """An engine for a sqlite:/// or postgresql:// URL; anything else raises InvalidInput."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(f"bad store URL {url!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend in _PG_SCHEMES:
        if parsed.drivername in _PG_SCHEMES:
            parsed = parsed.set(drivername="postgresql+psycopg")
        # The URL's own query (?connect_timeout=..., ?options=...) wins over these defaults.
        defaults = {"connect_timeout": 10, "application_name": "kefu"}
        return create_engine(
            parsed,
            # A restarted server or a proxy that drops idle connections costs a ping, not a failed turn.
            pool_pre_ping=True, pool_recycle=1800,
            connect_args={k: v for k, v in defaults.items() if k not in parsed.query},
        )
    if backend != "sqlite":
        raise InvalidInput(f"store URL {parsed.render_as_string()!r}: the store runs on sqlite:///path or "
                           "postgresql://user@host/db")
    database = parsed.database or ":memory:"
    memory = database == ":memory:" or database.startswith("file::memory:")
    if not memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        connect_args={"check_same_thread": False},
        # One shared connection keeps an in-memory database alive across sessions.
        **({"poolclass": StaticPool} if memory else {}),
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=5000")
        if not memory:
            _wal(cursor)
            # In WAL mode NORMAL syncs the log at checkpoints instead of at every commit: a killed replica or server
            # loses nothing committed; only a power cut may lose the last commits (FULL costs an fsync per turn).
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _wal(cursor: sqlite3.Cursor) -> None:
    """Put the file in WAL mode, which it keeps. Replicas opening a new file together race to switch it, and the
    loser is told "locked" at once, without the busy wait, so it looks again a moment later."""
    for attempt in range(50):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.1)


def create_tables(engine: Engine, upgrade: Callable[[Connection], Any] | None = None) -> None:
    """Create what is missing and add the columns newer kefu versions brought; `upgrade` then runs in the same
    transaction (moving data of an older layout). Replicas starting together would each see a table missing and all
    but one fail creating it, so the check and the creation happen under a lock: an advisory one on PostgreSQL,
    SQLite's write lock (BEGIN IMMEDIATE) there."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        Base.metadata.create_all(conn)
        _add_columns(conn)
        if upgrade is not None:
            upgrade(conn)


def _add_columns(conn: Connection) -> None:
    """ALTER TABLE ... ADD COLUMN for each column of _ADDED_COLUMNS a stored table lacks (both backends add a column
    with a constant default in place, keeping every row)."""
    inspector = inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    for table_name, names in _ADDED_COLUMNS.items():
        have = {c["name"] for c in inspector.get_columns(table_name)}
        for name in names:
            if name in have:
                continue
            column = Base.metadata.tables[table_name].c[name]
            default = column.server_default.arg  # type: ignore[union-attr]
            conn.exec_driver_sql(
                f"ALTER TABLE {quote(table_name)} ADD COLUMN {quote(name)} {column.type.compile(conn.dialect)}"
                f"{'' if column.nullable else ' NOT NULL'} DEFAULT '{default}'")


def upsert_into(s: Session, model: type[Base]) -> Any:
    """INSERT ... ON CONFLICT for the session's backend: one statement whoever comes first, where a read followed by
    an insert would let two replicas both insert."""
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"{name} must be a tz-aware datetime, got naive {value.isoformat()}")


def storable(value: object) -> bool:
    """Text PostgreSQL can hold: no NUL, no lone surrogate (SQLite would keep a NUL)."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(model: type[Base], **values: str | None) -> None:
    """Refuse on every backend what PostgreSQL refuses and SQLite would keep: strings over the column's length (in
    characters, as VARCHAR(n) counts), NUL characters and lone surrogates."""
    for name, value in values.items():
        if value is None:
            continue
        if not storable(value):
            raise InvalidInput(f"{name} must be text without NUL characters or lone surrogates")
        limit = getattr(model.__table__.c[name].type, "length", None)
        if limit is not None and len(value) > limit:
            raise InvalidInput(f"{name} must be at most {limit} characters, got {len(value)}")


def check_id(name: str, value: object, model: type[Base], column: str = "id") -> None:
    """A non-blank key that fits its column."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} must be a non-blank string, got {value!r}")
    check_text(model, **{column: value})


def findable(*keys: Any) -> bool:
    """Whether a key could have been stored at all. PostgreSQL errors on a NUL even in a lookup, where SQLite finds
    nothing, so such keys are not found on either without asking."""
    return all(storable(k) for k in keys)


def get_row(s: Session, model: type[_Row], key: Any, *, with_for_update: bool = False) -> _Row | None:
    """Session.get, with unstorable keys simply absent (see findable)."""
    if not findable(*(k for k in (key if isinstance(key, tuple) else (key,)) if isinstance(k, str))):
        return None
    return s.get(model, key, with_for_update=with_for_update)
