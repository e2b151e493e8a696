"""Exceptions raised by the catalog index: a bad catalog or query, and a missing, corrupt or mismatched index."""

from __future__ import annotations

from pathlib import Path


class CatalogError(ValueError):
    """The catalog file, a query or an argument is unusable; the message says what and where.

    Attributes:
        code: Stable machine-readable reason for API clients.
        path: The catalog file the error is in, when it comes from one.
        row: 1-based row of that file (the CSV header is row 1, a JSONL file's first line is row 1), when known.
    """

    code: str = "invalid_catalog"

    def __init__(self, message: str, *, path: str | Path | None = None, row: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}, row {row}: " if row is not None else f"{path}: "
        super().__init__(where + message)
        self.path = Path(path) if path is not None else None
        self.row = row


class IndexMismatch(CatalogError):
    """The index was built with other embedder weights (or another dimension) than the ones asked for."""

    code = "index_mismatch"


class IndexNotFound(CatalogError):
    """No index exists at the given directory (nothing built there yet)."""

    code = "index_not_found"


class IndexCorrupt(IndexNotFound):
    """An index directory exists but a file is missing, unreadable, inconsistent or fails its checksum.

    A subclass of IndexNotFound because to a caller both mean "there is no usable index: rebuild it".
    """

    code = "index_corrupt"
