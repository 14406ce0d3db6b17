from smslinks.db import POOL_RECYCLE_SECONDS, make_engine


def test_postgresql_connections_are_recycled_not_pinged_at_every_checkout():
    """A ping is a round trip per page visit; old connections are replaced instead."""
    engine = make_engine("postgresql://app@127.0.0.1:5432/smslinks")  # no connection is made here
    assert engine.url.drivername == "postgresql+psycopg"
    assert not engine.pool._pre_ping and engine.pool._recycle == POOL_RECYCLE_SECONDS
