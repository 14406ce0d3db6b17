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
    # Last changed on the day they were issued, not all this minute.
    """
    INSERT INTO invoice (business_id, number, customer_id, location_id, kind, status, issued_on, due_on,
                         subtotal_cents, tax_cents, total_cents, amount_paid_cents, created_at, updated_at)
    SELECT %(business_id)s, (1000000 + g)::text, l.customer_id, l.id,
           CASE WHEN mod(g, 50) = 0 THEN 'membership' ELSE 'job' END,
           (ARRAY['open','open','paid','paid','paid','draft','void'])[1 + mod(g, 7)],
           current_date - mod(g, 1500), current_date - mod(g, 1500) + 30,
           10000 + mod(g, 90000), 0, 10000 + mod(g, 90000),
           CASE WHEN mod(g, 7) IN (2,3,4) THEN 10000 + mod(g, 90000) ELSE 0 END,
           (current_date - mod(g, 1500))::timestamp AT TIME ZONE 'UTC' + interval '12 hours',
           (current_date - mod(g, 1500))::timestamp AT TIME ZONE 'UTC' + interval '12 hours'
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


# What texting a million invoices leaves behind, for the Insights bench: when paid invoices were
# paid, a pay link and its text or email for 8 in 10 finalized invoices (most delivered; some
# failed with Twilio's codes), link visits by people and by scanners, payments started, payments
# by method, and reminder plans. Deterministic from the ids, like the rows above; each row last
# changed when it happened, as in a business's history (the Insights rollup pass goes by that).
_ACTIVITY_SQL = [
    """
    WITH paid AS (
        SELECT id, least(now(), (issued_on + mod(id, 14))::timestamp AT TIME ZONE 'UTC'
                                + interval '15 hours' + mod(id, 600) * interval '1 minute') AS at
        FROM invoice WHERE business_id = %(business_id)s AND status = 'paid' AND paid_at IS NULL
    )
    UPDATE invoice SET paid_at = paid.at, updated_at = greatest(updated_at, paid.at) FROM paid
    WHERE invoice.id = paid.id
    """,
    """
    INSERT INTO payment_link (invoice_id, token_hash, created_at, expires_at)
    SELECT i.id, md5(i.id::text) || md5('bench' || i.id::text), s.at, s.at + interval '30 days'
    FROM invoice i
    CROSS JOIN LATERAL (SELECT i.issued_on::timestamp AT TIME ZONE 'UTC' + interval '13 hours'
                               + mod(i.id * 7, 600) * interval '1 minute' AS at) s
    WHERE i.business_id = %(business_id)s AND i.id > %(first_invoice)s AND i.status <> 'draft' AND mod(i.id, 10) < 8
    """,
    """
    INSERT INTO outbound_message (business_id, invoice_id, channel, to_address, body, status, send_after,
                                  attempts, payment_link_id, error_code, via, created_at, updated_at)
    SELECT %(business_id)s, l.invoice_id, c.channel,
           CASE WHEN c.channel = 'sms' THEN '+15125550100' ELSE 'customer@example.com' END,
           'Pay your invoice: https://pay.example.com/p/x', o.status, l.created_at, 1, l.id,
           CASE WHEN o.status IN ('undelivered', 'failed')
                THEN (ARRAY['30006','30003','30007','21610','30008','21614'])[1 + mod(l.id, 6)] END,
           'office', l.created_at, l.created_at
    FROM payment_link l
    CROSS JOIN LATERAL (SELECT CASE WHEN mod(l.invoice_id, 10) < 7 THEN 'sms' ELSE 'email' END AS channel) c
    CROSS JOIN LATERAL (SELECT CASE
        WHEN mod(l.id * 13, 100) < 88 THEN CASE WHEN c.channel = 'sms' THEN 'delivered' ELSE 'sent' END
        WHEN c.channel = 'email' THEN 'sent'
        WHEN mod(l.id * 13, 100) < 95 THEN 'undelivered' ELSE 'failed' END AS status) o
    WHERE l.id > %(first_link)s
    """,
    # People open most delivered links (some twice); scanners fetch a quarter of them.
    """
    INSERT INTO link_open (payment_link_id, opened_at, user_agent, by_person)
    SELECT m.payment_link_id, m.created_at + mod(m.id, 300) * interval '1 minute' + k * interval '1 hour',
           'Mozilla/5.0 (iPhone) Mobile Safari', true
    FROM outbound_message m CROSS JOIN generate_series(0, 1) AS k
    WHERE m.payment_link_id > %(first_link)s AND m.status IN ('delivered', 'sent')
      AND mod(m.id, 3) < 2 AND (k = 0 OR mod(m.id, 5) = 0)
    UNION ALL
    SELECT m.payment_link_id, m.created_at + interval '5 seconds', 'facebookexternalhit/1.1', false
    FROM outbound_message m
    WHERE m.payment_link_id > %(first_link)s AND m.status IN ('delivered', 'sent') AND mod(m.id, 4) = 0
    """,
    """
    INSERT INTO stripe_payment_intent (invoice_id, stripe_id, idempotency_key, amount_cents, status, method,
                                       active, payment_link_id, language, created_at, updated_at, tip_cents)
    SELECT l.invoice_id, 'pi_bench_' || l.id, 'bench-' || l.id, 10000, 'succeeded', 'card', false, l.id, 'en',
           l.created_at + interval '10 minutes', l.created_at + interval '10 minutes', 0
    FROM payment_link l JOIN invoice i ON i.id = l.invoice_id
    WHERE l.id > %(first_link)s AND (i.status = 'paid' OR mod(l.id, 5) = 0)
    """,
    """
    INSERT INTO payment (invoice_id, amount_cents, method, status, refunded_cents, disputed_cents,
                         payment_link_id, created_at, updated_at, tip_cents)
    SELECT i.id, i.total_cents,
           (ARRAY['card','card','card','card','card','card','ach','ach','cash','check'])[1 + mod(i.id, 10)],
           'succeeded', 0, 0, CASE WHEN mod(i.id, 10) < 8 THEN l.id END, i.paid_at, i.paid_at, 0
    FROM invoice i LEFT JOIN payment_link l ON l.invoice_id = i.id AND l.id > %(first_link)s
    WHERE i.business_id = %(business_id)s AND i.id > %(first_invoice)s AND i.status = 'paid'
    """,
    """
    INSERT INTO invoice_reminder (business_id, invoice_id, to_address, first_text_at, sent, created_at, updated_at)
    SELECT %(business_id)s, l.invoice_id, '+15125550100', l.created_at, mod(l.id, 4), l.created_at, l.created_at
    FROM payment_link l
    WHERE l.id > %(first_link)s AND mod(l.invoice_id, 10) < 7 AND mod(l.id, 3) = 0
    """,
    "VACUUM ANALYZE",
]


def seed_activity(url: str) -> float:
    """Add the links, messages, visits, payments and reminder plans of the bulk invoices; seconds taken."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as connection:
        business_id = connection.execute("SELECT id FROM business").fetchone()[0]
        params = dict(
            business_id=business_id,
            first_invoice=connection.execute("SELECT min(id) - 1 FROM invoice WHERE number ~ '^1[0-9]{6}$'").fetchone()[
                0
            ],
            first_link=connection.execute("SELECT coalesce(max(id), 0) FROM payment_link").fetchone()[0],
        )
        for statement in _ACTIVITY_SQL:
            connection.execute(statement, params if "%(" in statement else None)
    return time.perf_counter() - started
