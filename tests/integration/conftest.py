import pytest
import reflex as rx
from sqlmodel import Session

from smslinks.config import get_settings
from smslinks.core import auth
from smslinks.db import make_engine, session_scope, upgrade_to_head
from tests import factories
from tests.databases import fresh_database


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this run, dropped afterwards."""
    with fresh_database("smslinks_test") as url:
        yield url


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_url):
    upgrade_to_head(postgres_url)
    return postgres_url


@pytest.fixture
def pg_engine(migrated_postgres_url):
    engine = make_engine(migrated_postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_session(pg_engine):
    with Session(pg_engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'smslinks.db'}"


@pytest.fixture
def app_env(monkeypatch, sqlite_url):
    """Point this process's settings at a fresh SQLite file (as the CLI and app would see it)."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    from smslinks import db

    db.get_engine.cache_clear()
    yield sqlite_url
    db.get_engine().dispose()
    db.get_engine.cache_clear()
    get_settings.cache_clear()


class SignedIn:
    """State handlers called as a browser calls them over the websocket, by people signed in here."""

    @staticmethod
    def tokens(emails: dict) -> dict:
        """{key: session token} for {key: email} of employees made by tests.factories (its password)."""
        with session_scope() as session:
            return {
                key: auth.sign_in(session, email, factories.PASSWORD, "test").token for key, email in emails.items()
            }

    @staticmethod
    def state(state_class, token: str = ""):
        """A fresh state of that class, whose browser holds this session token ("" for signed out), as its
        websocket reaches it (the cookie hashed on the way in)."""
        root = rx.State(_reflex_internal_init=True)
        state = root.get_substate(state_class.get_full_name().split(".")[1:])
        factories.sign_in_state(state, token)
        return state


@pytest.fixture
def signed_in(app_env) -> SignedIn:
    """A migrated app database (app_env) and the way in for handler tests."""
    upgrade_to_head(app_env)
    return SignedIn()
