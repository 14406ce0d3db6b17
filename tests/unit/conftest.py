import pytest
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

import smslinks.models  # noqa: F401
from smslinks.db import make_engine


@pytest.fixture
def session():
    """A fresh in-memory database per test (unit tests may use create_all; the app never does)."""
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
def engine(tmp_path):
    """A SQLite file database, for code that opens its own sessions and threads (the dispatcher)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'smslinks.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()
