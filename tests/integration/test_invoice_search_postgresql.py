"""The invoice search on PostgreSQL, where names are matched by full-text prefix queries."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from smslinks.core import invoices
from smslinks.models import Customer
from tests import factories
from tests.unit.test_invoice_search import SEARCHES, make_office, numbers_found

# What only PostgreSQL's word parser finds: words inside names broken by punctuation.
PUNCTUATED_NAMES = [
    ("brien", ["O'Brien"]),
    ("o'brien", ["O'Brien"]),
    ("jones", ["Ann Smith-Jones"]),
    ("smith-jones", ["Ann Smith-Jones"]),
    ("ann smith", ["Ann Smith-Jones"]),
    ("'", []),
    ("&", []),  # tsquery operators are text too
    ("zed | abbot", []),  # no OR: both words must match
    ("abbot:*", ["Bob Abbot"]),
    ("\\", []),
]


@pytest.mark.parametrize("query, expected", SEARCHES)
def test_search(pg_session, query, expected):
    assert numbers_found(pg_session, make_office(pg_session), query) == expected


@pytest.mark.parametrize("query, expected", PUNCTUATED_NAMES)
def test_names_with_punctuation(pg_session, query, expected):
    business = factories.business(pg_session)
    employee = factories.employee(pg_session, business)
    for name in ("O'Brien", "Ann Smith-Jones", "Bob Abbot"):
        factories.invoice(pg_session, factories.location(pg_session, factories.customer(pg_session, business, name)))
    assert [row.customer for row in invoices.search(pg_session, employee, query).rows] == expected


def test_the_name_search_is_served_by_its_index(pg_session):
    """The query's expression must be the index's, or PostgreSQL reads every customer."""
    pg_session.exec(text("SET LOCAL enable_seqscan = off"))
    query = select(Customer.id).where(invoices._name_matches(pg_session, "garcia, maria"))
    compiled = query.compile(pg_session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join(row[0] for row in pg_session.exec(text(f"EXPLAIN {compiled}")))
    assert "ix_customer_name_words" in plan, plan


def test_a_search_lists_the_newest_matches_first_across_pages(pg_session):
    business = factories.business(pg_session)
    employee = factories.employee(pg_session, business)
    made = []
    for n in range(5):
        invoice = factories.invoice(
            pg_session, factories.location(pg_session, factories.customer(pg_session, business, f"Lee {n}"))
        )
        invoice.issued_on = date(2026, 11, 1) + timedelta(days=n // 2)  # pairs share a day
        made.append(invoice)
    pg_session.flush()
    seen, cursor = [], None
    while True:
        page = invoices.search(pg_session, employee, "lee", after=cursor, page_size=2)
        seen += [row.number for row in page.rows]
        if (cursor := page.next_cursor) is None:
            break
    newest_first = sorted(made, key=lambda invoice: (invoice.issued_on, invoice.id), reverse=True)
    assert seen == [invoice.number for invoice in newest_first]
