import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import smslinks.models  # noqa: F401
from alembic import command
from smslinks.config import PROJECT_ROOT
from smslinks.db import make_engine


def _config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    config.attributes["database_url"] = url
    return config


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _schema_drift(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


def _round_trip(url: str) -> None:
    config = _config(url)
    command.upgrade(config, "head")
    assert _tables(url) == set(SQLModel.metadata.tables)
    assert _schema_drift(url) == [], "models and migrations disagree"
    command.downgrade(config, "base")
    assert _tables(url) == set()
    command.upgrade(config, "head")
    assert _tables(url) == set(SQLModel.metadata.tables)


# The name search's index exists on PostgreSQL only; alembic cannot compare expression indexes on SQLite.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_round_trip_on_sqlite(sqlite_url):
    _round_trip(sqlite_url)


def test_migrations_round_trip_on_postgresql(postgres_url):
    _round_trip(postgres_url)


def test_a_number_twice_on_one_customer_stops_the_upgrade_and_is_left_for_a_person(sqlite_url):
    """0012's unique index dedupes nothing silently: it names the duplicates and changes nothing."""
    from sqlmodel import Session, select

    from smslinks.models import Business, PhoneNumber

    config = _config(sqlite_url)
    command.upgrade(config, "0011")
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session:
            business = Business(name="Old Data HVAC")
            session.add(business)
            session.flush()
            # The customer table as 0011 left it (today's model has columns added since).
            customer_id = session.execute(
                sa.text(
                    "INSERT INTO customer (business_id, name, search_name, created_at) "
                    "VALUES (:business, 'Pat Twice', 'pat twice', CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"business": business.id},
            ).scalar_one()
            for kind in ("Mobile", "Home"):
                session.add(
                    PhoneNumber(
                        business_id=business.id,
                        customer_id=customer_id,
                        e164="+13035550199",
                        reversed_digits="9910555303",
                        type=kind,
                    )
                )
            session.commit()
        with pytest.raises(RuntimeError, match=r"customer \d+: \+13035550199 \(2 times\)"):
            command.upgrade(config, "head")
        with Session(engine) as session:
            assert len(session.exec(select(PhoneNumber)).all()) == 2
    finally:
        engine.dispose()
