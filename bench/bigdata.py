"""A PostgreSQL database with one business and a million invoices, built with set-based SQL.

Used by the search and send benchmarks. The demo business is loaded first (so its staff can sign
in), then 100,000 customers with locations and phones and 1,000,000 invoices are added to it.
"""

import time

import psycopg

from smslinks import demo
from smslinks.db import make_engine, upgrade_to_head

_FIRST = "ARRAY[" + ",".join(f"'{n}'" for n in demo._FIRST) + "]"
_LAST = "ARRAY[" + ",".join(f"'{n}'" for n in demo._LAST) + "]"

_SEED_SQL = [
    # Customers: name from first x last x a number, so prefixes are realistic and not unique.
    f"""
    INSERT INTO customer (business_id, name, search_name, created_at, updated_at)
    SELECT %(business_id)s, n.name, lower(n.name), now(), now()
    FROM (
        SELECT ({_FIRST})[1 + mod(g, 50)] || ' ' || ({_LAST})[1 + mod(g / 50, 50)] || ' ' || g AS name
        FROM generate_series(1, %(customers)s) AS g
    ) AS n
    """,
    """
    INSERT INTO location (business_id, customer_id, name, street, city, region, postal_code, time_zone, created_at)
    SELECT %(business_id)s, c.id, 'Home', (100 + mod(c.id, 9000)) || ' Main St', 'Austin', 'TX', '78704',
           'America/Chicago', now()
    FROM customer c WHERE c.business_id = %(business_id)s AND c.id > %(first_customer)s
    """,
    # A mobile for every customer (numbers 512-2xx-xxxx, distinct from the demo's 512-555).
    """
    INSERT INTO phone_number (business_id, customer_id, e164, reversed_digits, type, label, created_at)
    SELECT %(business_id)s, c.id, '+1512' || lpad((2000000 + c.id)::text, 7, '0'),
           reverse('1512' || lpad((2000000 + c.id)::text, 7, '0')), 'Mobile', 'Cell', now()
    FROM customer c WHERE c.business_id = %(business_id)s AND c.id > %(first_customer)s
    """,
    """
    INSERT INTO invoice (business_id, number, customer_id, location_id, kind, status, issued_on, due_on,
                         subtotal_cents, tax_cents, total_cents, amount_paid_cents, created_at, updated_at)
    SELECT %(business_id)s, (1000000 + g)::text, l.customer_id, l.id,
           CASE WHEN mod(g, 50) = 0 THEN 'membership' ELSE 'job' END,
           (ARRAY['open','open','paid','paid','paid','draft','void'])[1 + mod(g, 7)],
           current_date - mod(g, 1500), current_date - mod(g, 1500) + 30,
           10000 + mod(g, 90000), 0, 10000 + mod(g, 90000),
           CASE WHEN mod(g, 7) IN (2,3,4) THEN 10000 + mod(g, 90000) ELSE 0 END, now(), now()
    FROM generate_series(1, %(invoices)s) AS g
    JOIN location l ON l.id = %(first_location)s + 1 + mod(g, %(customers)s)
    """,
    # What autovacuum does to freshly inserted tables (PostgreSQL 13+) before long: statistics, and
    # the visibility map that lets index-only scans skip the table.
    "VACUUM ANALYZE",
]


def seed(url: str, invoices: int = 1_000_000, customers: int = 100_000) -> float:
    """Migrate, load the demo, add the bulk rows; returns seconds taken."""
    from sqlmodel import Session

    started = time.perf_counter()
    upgrade_to_head(url)
    engine = make_engine(url)
    with Session(engine) as session:
        demo.load(session)
        session.commit()
    engine.dispose()
    with psycopg.connect(url, autocommit=True) as connection:
        business_id = connection.execute("SELECT id FROM business").fetchone()[0]
        first_customer = connection.execute("SELECT max(id) FROM customer").fetchone()[0]
        first_location = connection.execute("SELECT max(id) FROM location").fetchone()[0]
        params = dict(
            business_id=business_id,
            customers=customers,
            invoices=invoices,
            first_customer=first_customer,
            first_location=first_location,
        )
        for statement in _SEED_SQL:
            connection.execute(statement, params if "%(" in statement else None)
    return time.perf_counter() - started
