"""Throwaway PostgreSQL databases for the integration tests and the benchmarks, and Redis databases
shared with whatever else uses them."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import redis

# The local server's maintenance database (trust authentication, as on the development machine and CI).
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """Yields the URL of a new, empty database named `prefix` plus a random suffix; drops it after."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def own_redis_keys(url: str) -> Iterator[redis.Redis]:
    """A client of the Redis database at url; the keys that appeared meanwhile are deleted after
    (others may use the same database: theirs are left alone)."""
    client = redis.Redis.from_url(url)
    before = set(client.keys("*"))
    try:
        yield client
    finally:
        if added := set(client.keys("*")) - before:
            client.delete(*added)
        client.close()
