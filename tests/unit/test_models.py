from datetime import datetime

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from smslinks.core import accounts, phones
from smslinks.core.errors import DomainError
from smslinks.models import PhoneNumber
from tests import factories


@pytest.mark.parametrize("typed", ["512-555-0134", "(512) 555-0134", "+1 512 555 0134", "1.512.555.0134", "5125550134"])
def test_phone_numbers_are_stored_as_e164_however_typed(typed):
    assert phones.parse(typed) == "+15125550134"


@pytest.mark.parametrize(
    "typed, message",
    [
        ("", "Enter a phone number"),
        ("hello", "not a phone number"),
        ("555-0134", "not a valid"),
        ("+44 20 7946 0958", "Only US and Canadian"),
    ],
)
def test_bad_phone_numbers_get_a_clear_message(typed, message):
    with pytest.raises(phones.InvalidPhone, match=message):
        phones.parse(typed)


def test_phone_display_and_search_digits():
    assert phones.display("+15125550134") == "(512) 555-0134"
    assert phones.format_as_typed("5125550") == "512-5550"
    assert phones.search_digits("1-512-555-0134") == "5125550134"
    assert phones.search_digits("12") is None
    assert phones.reversed_digits("+15125550134") == "43105552151"


def test_a_phone_belongs_to_exactly_one_owner(session):
    business = factories.business(session)
    customer = factories.customer(session, business)
    location = factories.location(session, customer)
    session.add(
        PhoneNumber(
            business_id=business.id,
            customer_id=customer.id,
            location_id=location.id,
            e164="+15125550134",
            reversed_digits="43105552151",
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_invoice_balance_is_total_minus_paid(session):
    business = factories.business(session)
    location = factories.location(session, factories.customer(session, business))
    invoice = factories.invoice(session, location, total_cents=12_345)
    invoice.amount_paid_cents = 2_345
    assert invoice.balance_cents == 10_000


def test_naive_datetimes_are_refused(session):
    business = factories.business(session)
    business.created_at = datetime(2026, 1, 1)
    session.add(business)
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


@pytest.mark.parametrize(
    "email, password, name, role, message",
    [
        ("not-an-email", "long-enough", "A", "Manager", "not an email"),
        ("a@example.com", "short", "A", "Manager", "at least 8"),
        ("a@example.com", "long-enough", " ", "Manager", "name"),
        ("a@example.com", "long-enough", "A", "Wizard", "Unknown role"),
    ],
)
def test_employee_validation(session, email, password, name, role, message):
    business = factories.business(session)
    with pytest.raises(DomainError, match=message):
        accounts.create_employee(session, business, email, password, name, role)


def test_duplicate_employee_email_is_refused_whatever_the_case(session):
    business = factories.business(session)
    factories.employee(session, business, email="sam@example.com")
    with pytest.raises(DomainError, match="already exists"):
        accounts.create_employee(session, business, "SAM@example.com", "long-enough", "Sam", "Manager")
