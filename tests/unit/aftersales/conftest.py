"""Store URLs on both backends: a fresh SQLite file, and a fresh schema on the PostgreSQL of KEFU_TEST_PG_URL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "KEFU_TEST_PG_URL"
NO_PG = f"{PG_ENV} is unset: `make test` starts a PostgreSQL server and sets it (or run scripts/test_postgres.sh)"


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An engine on the test database that creates and drops the per-test schemas."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(NO_PG)
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, pool_pre_ping=True)
    yield engine
    engine.dispose()


@pytest.fixture()
def pg_url(pg_admin: Engine) -> Iterator[str]:
    """A URL whose tables live in a schema of their own, dropped afterwards; stores left open are disconnected."""
    schema = f"kefu_test_{uuid.uuid4().hex[:12]}"
    with pg_admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # The schema's name as application_name finds this test's connections again when it is over.
    url = pg_admin.url.update_query_dict({"options": f"-csearch_path={schema}", "application_name": schema})
    yield url.render_as_string(hide_password=False)
    with pg_admin.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                     {"name": schema})
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The same test on each backend; the PostgreSQL run is skipped, saying why, without KEFU_TEST_PG_URL."""
    if request.param == "sqlite":
        # A directory that does not exist yet: the store creates it.
        return f"sqlite:///{tmp_path / 'nested' / 'kefu.db'}"
    return request.getfixturevalue("pg_url")
