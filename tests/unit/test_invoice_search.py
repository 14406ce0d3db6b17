"""Finding invoices the way office staff type: number, customer name, phone in any format."""

from datetime import date, timedelta

import pytest

from smslinks.core import invoices
from tests import factories


def make_office(session):
    """Two customers' invoices and a stranger's in another business; returns the office employee."""
    business = factories.business(session)
    employee = factories.employee(session, business)
    maria = factories.customer(session, business, "Maria Garcia")
    home = factories.location(session, maria)
    rental = factories.location(session, maria)
    factories.phone(session, "512-555-0104", customer=maria)
    factories.phone(session, "512-555-0199", location=rental)
    factories.invoice(session, home, number="10012")
    factories.invoice(session, rental, number="10013", status="paid")
    james = factories.customer(session, business, "James Johnson")
    factories.phone(session, "737-555-0104", customer=james)
    factories.invoice(session, factories.location(session, james), number="10020")
    elsewhere = factories.business(session, name="Other Co")
    stranger = factories.customer(session, elsewhere, "Maria Stranger")
    factories.phone(session, "512-555-0104", customer=stranger)
    factories.invoice(session, factories.location(session, stranger), number="90001")
    return employee


@pytest.fixture
def office(session):
    return session, make_office(session)


def numbers_found(session, employee, query="", **kwargs):
    return sorted(row.number for row in invoices.search(session, employee, query, **kwargs).rows)


# What people type, and the invoices of make_office() it finds.
SEARCHES = [
    ("10012", ["10012"]),
    ("#10013", ["10013"]),
    ("maria", ["10012", "10013"]),
    ("  MARIA GAR ", ["10012", "10013"]),
    ("james", ["10020"]),
    ("garcia", ["10012", "10013"]),  # a last name
    ("Garcia, Maria", ["10012", "10013"]),  # words in any order (the comma is typed punctuation)
    ("john", ["10020"]),  # the start of a word
    ("arcia", []),  # not the middle of one
    ("maria johnson", []),  # every word must match
    ("512-555-0104", ["10012", "10013"]),
    ("(512) 555 0104", ["10012", "10013"]),
    ("+1 512.555.0104", ["10012", "10013"]),
    ("5125550104", ["10012", "10013"]),
    ("0104", ["10012", "10013", "10020"]),  # last 4 digits: both customers ending in 0104
    ("555-0199", ["10012", "10013"]),  # a service location's number finds the customer
    ("nobody", []),
    ("%", []),  # typed wildcards are text
    (",", []),
]


@pytest.mark.parametrize("query, expected", SEARCHES)
def test_search(office, query, expected):
    session, employee = office
    assert numbers_found(session, employee, query) == expected


def test_status_filter(office):
    session, employee = office
    assert numbers_found(session, employee, status="paid") == ["10013"]
    assert numbers_found(session, employee, "maria", status="open") == ["10012"]


def test_keyset_pages_walk_every_invoice_once_newest_first(session):
    business = factories.business(session)
    employee = factories.employee(session, business)
    location = factories.location(session, factories.customer(session, business))
    made = []
    for n in range(7):
        invoice = factories.invoice(session, location, number=f"3000{n}")
        invoice.issued_on = date(2026, 11, 1) + timedelta(days=n // 2)  # pairs share a day
        made.append(invoice)
    session.flush()
    seen, cursor = [], None
    while True:
        page = invoices.search(session, employee, after=cursor, page_size=3)
        seen += [row.number for row in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = [i.number for i in sorted(made, key=lambda i: (i.issued_on, i.id), reverse=True)]
    assert seen == expected
    assert invoices.search(session, employee, after="garbage", page_size=3).rows[0].number == expected[0]


def test_a_search_matching_more_customers_than_it_reads_says_so(office, monkeypatch):
    session, employee = office
    monkeypatch.setattr(invoices, "MAX_MATCHED_CUSTOMERS", 1)
    assert not invoices.search(session, employee, "garcia").too_many_customers  # one Garcia
    assert not invoices.search(session, employee, "10012").too_many_customers
    too_broad = invoices.search(session, employee, "0104")  # two customers' numbers end in 0104
    assert too_broad.too_many_customers and len(too_broad.rows) in (1, 2)
    monkeypatch.setattr(invoices, "MAX_MATCHED_CUSTOMERS", 2)
    assert not invoices.search(session, employee, "0104").too_many_customers
