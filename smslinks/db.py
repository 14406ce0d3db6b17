"""One engine per process, built from DATABASE_URL."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel import Session

from smslinks.config import get_settings

POOL_RECYCLE_SECONDS = 15 * 60


def normalize_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> sa.Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No ping before each checkout (a round trip per page visit): connections are replaced after
    # POOL_RECYCLE_SECONDS instead, and a connection found dead (the server restarted) fails its one
    # request and has SQLAlchemy drop every pooled connection, so the next requests connect afresh.
    return sa.create_engine(url, pool_recycle=POOL_RECYCLE_SECONDS, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the app, the worker and the tests read while one of them writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@lru_cache
def get_engine() -> sa.Engine:
    return make_engine(get_settings().database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def upgrade_to_head(url: str | None = None) -> None:
    """Apply the alembic migrations (the only way the schema changes outside unit tests)."""
    from alembic.config import Config

    from alembic import command
    from smslinks.config import PROJECT_ROOT

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    if url:
        config.attributes["database_url"] = url
    command.upgrade(config, "head")
