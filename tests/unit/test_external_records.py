"""Upserts keyed by another system's ids: the same core rules, idempotent, errors in the caller's words."""

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from smslinks.core import invoice_editing
from smslinks.core.company import FieldErrors
from smslinks.core.errors import NotAllowed
from smslinks.core.external_records import (
    Conflict,
    ExternalCustomer,
    ExternalInvoice,
    check_customer,
    check_invoice,
    upsert_customer,
    upsert_invoice,
)
from smslinks.core.permissions import Permission, set_permission
from smslinks.models import (
    AuditEvent,
    Business,
    Customer,
    EmailAddress,
    Invoice,
    InvoiceStatus,
    Location,
    Payment,
    PhoneNumber,
)
from tests import factories


@pytest.fixture
def office(session):
    business = factories.business(session)
    return factories.employee(session, business, role="Accountant")


def _maria(**changes) -> ExternalCustomer:
    values = dict(
        name="Maria Garcia",
        phones=[("(512) 555-0104", "mobile", "cell"), ("512-555-0177", "home", "")],
        emails=["Maria@Example.com"],
        locations=[("L-1", "100 Main St", "Austin", "tx", "78701"), ("L-2", "5 Elm St", "Denver", "CO", "80202")],
    )
    values.update(changes)
    return ExternalCustomer(**values)


def _audits(session, action: str) -> int:
    return len(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_a_new_customer_is_created_with_its_numbers_emails_and_locations(session, office):
    result = upsert_customer(session, office, "C-1", _maria())

    assert result.created and result.changed
    customer = session.get(Customer, result.id)
    assert (customer.external_id, customer.name) == ("C-1", "Maria Garcia")
    numbers = session.exec(select(PhoneNumber).where(PhoneNumber.customer_id == customer.id)).all()
    assert {(p.e164, p.type, p.label) for p in numbers} == {
        ("+15125550104", "Mobile", "cell"),
        ("+15125550177", "Home", ""),
    }
    assert [e.email for e in session.exec(select(EmailAddress).where(EmailAddress.customer_id == customer.id))] == [
        "maria@example.com"
    ]
    places = session.exec(select(Location).where(Location.customer_id == customer.id).order_by(col(Location.id))).all()
    assert [(p.external_id, p.street, p.region, p.time_zone) for p in places] == [
        ("L-1", "100 Main St", "TX", "America/Chicago"),
        ("L-2", "5 Elm St", "CO", "America/Denver"),
    ]
    assert _audits(session, "customer.created") == 1


def test_the_same_customer_again_changes_nothing(session, office):
    first = upsert_customer(session, office, "C-1", _maria())
    before = session.get(Customer, first.id).updated_at

    again = upsert_customer(session, office, "C-1", _maria())

    assert (again.id, again.created, again.changed) == (first.id, False, False)
    assert _audits(session, "customer.updated") == 0
    assert session.get(Customer, first.id).updated_at == before


def test_a_changed_customer_is_updated_and_dropped_locations_go(session, office):
    first = upsert_customer(session, office, "C-1", _maria())
    kept = session.exec(select(Location).where(Location.external_id == "L-1")).one()

    result = upsert_customer(
        session,
        office,
        "C-1",
        _maria(
            name="Maria Garcia-Lopez",
            emails=[],
            locations=[("L-1", "101 Main St", "Austin", "TX", "78701"), ("L-3", "9 Oak Ave", "Phoenix", "AZ", "85004")],
        ),
    )

    assert (result.id, result.created, result.changed) == (first.id, False, True)
    places = session.exec(select(Location).where(Location.customer_id == first.id).order_by(col(Location.id))).all()
    assert [(p.id == kept.id, p.external_id, p.street) for p in places] == [
        (True, "L-1", "101 Main St"),
        (False, "L-3", "9 Oak Ave"),
    ]
    assert session.exec(select(EmailAddress).where(EmailAddress.customer_id == first.id)).all() == []
    assert _audits(session, "customer.updated") == 1


def test_locations_added_in_the_office_are_kept(session, office):
    first = upsert_customer(session, office, "C-1", _maria(locations=[("L-1", "100 Main St", "Austin", "TX", "78701")]))
    office_place = factories.location(session, session.get(Customer, first.id))

    again = upsert_customer(session, office, "C-1", _maria(locations=[("L-1", "100 Main St", "Austin", "TX", "78701")]))

    assert not again.changed
    assert session.get(Location, office_place.id) is not None


def test_errors_are_named_in_the_callers_words_and_nothing_is_written(session, office):
    bad = _maria(
        name="",
        phones=[("123", "mobile", ""), ("(512) 555-0104", "pager", "")],
        emails=["not-an-email"],
        locations=[("L-1", "", "Austin", "TX", "78701"), ("L-1", "5 Elm", "", "CO", "80202")],
    )

    errors = check_customer(session, office, bad)

    assert set(errors) == {
        "name",
        "phones.0.number",
        "phones.1.type",
        "emails.0",
        "locations.0.address_line1",
        "locations.1.external_id",
        "locations.1.city",
    }
    assert errors["locations.1.external_id"] == "This external id is listed twice."
    with pytest.raises(FieldErrors) as raised:
        upsert_customer(session, office, "C-1", bad)
    assert raised.value.fields == errors
    assert session.exec(select(Customer)).all() == []


def test_a_location_id_of_another_customer_is_refused(session, office):
    upsert_customer(session, office, "C-1", _maria())

    errors = check_customer(session, office, _maria(name="Someone Else"), external_id="C-2")

    assert errors == {
        "locations.0.external_id": "This external id is another customer's service location.",
        "locations.1.external_id": "This external id is another customer's service location.",
    }
    assert check_customer(session, office, _maria(), external_id="C-1") == {}


def test_check_customer_writes_nothing(session, office):
    assert check_customer(session, office, _maria()) == {}
    assert session.exec(select(Customer)).all() == []


def test_a_bad_external_id_is_refused(session, office):
    with pytest.raises(FieldErrors) as raised:
        upsert_customer(session, office, " ", _maria())
    assert raised.value.fields == {"external_id": "Give the external id."}


def test_someone_without_the_permissions_may_not_upsert(session, office):
    technician = factories.employee(session, session.get(Business, office.business_id), role="Technician")
    with pytest.raises(NotAllowed):
        upsert_customer(session, technician, "C-1", _maria())
    with pytest.raises(NotAllowed):
        check_customer(session, technician, _maria())
    dispatcher = factories.employee(session, session.get(Business, office.business_id), role="Dispatcher")
    _revoke_edit(session, dispatcher)
    with pytest.raises(NotAllowed):
        upsert_invoice(session, dispatcher, "INV-1", _job_invoice())


def _revoke_edit(session, employee):
    set_permission(session, employee, Permission.EDIT_INVOICES, False)
    session.flush()


# ---------------------------------------------------------------- invoices


def _job_invoice(**changes) -> ExternalInvoice:
    values = dict(
        customer_external_id="C-1",
        location_external_id="L-2",
        kind="job",
        status="open",
        due_on=(date.today() + timedelta(days=30)).isoformat(),
        lines=[("AC tune-up", "1", 12_500), ("Filter", 2, 1_999)],
        tax_cents=800,
    )
    values.update(changes)
    return ExternalInvoice(**values)


def test_an_open_invoice_is_created_finalized_with_its_number(session, office):
    upsert_customer(session, office, "C-1", _maria())

    result = upsert_invoice(session, office, "INV-9", _job_invoice())

    invoice = session.get(Invoice, result.id)
    assert result.created and result.changed
    assert (invoice.external_id, invoice.status, invoice.number.isdigit()) == ("INV-9", "open", True)
    assert (invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents) == (16_498, 800, 17_298)
    assert session.get(Location, invoice.location_id).external_id == "L-2"


def test_the_same_invoice_again_changes_nothing(session, office):
    upsert_customer(session, office, "C-1", _maria())
    first = upsert_invoice(session, office, "INV-9", _job_invoice())
    audits = len(session.exec(select(AuditEvent)).all())

    again = upsert_invoice(
        session, office, "INV-9", _job_invoice(lines=[("AC  tune-up", "1.00", 12_500), ("Filter", "2", 1_999)])
    )

    assert (again.id, again.created, again.changed) == (first.id, False, False)
    assert len(session.exec(select(AuditEvent)).all()) == audits


def test_a_draft_stays_a_draft_then_opens(session, office):
    upsert_customer(session, office, "C-1", _maria())
    draft = upsert_invoice(session, office, "INV-9", _job_invoice(status="draft"))
    assert session.get(Invoice, draft.id).number == invoice_editing.draft_label(draft.id)

    opened = upsert_invoice(session, office, "INV-9", _job_invoice(status="open"))

    assert opened.changed and session.get(Invoice, draft.id).status == "open"
    with pytest.raises(Conflict, match="cannot go back to draft"):
        upsert_invoice(session, office, "INV-9", _job_invoice(status="draft"))


def test_an_open_invoice_is_changed(session, office):
    upsert_customer(session, office, "C-1", _maria())
    first = upsert_invoice(session, office, "INV-9", _job_invoice())

    changed = upsert_invoice(session, office, "INV-9", _job_invoice(lines=[("AC tune-up", "1", 15_000)], tax_cents=0))

    assert changed.changed and not changed.created
    assert session.get(Invoice, first.id).total_cents == 15_000


def test_a_paid_invoice_cannot_be_changed_but_the_same_data_is_fine(session, office):
    upsert_customer(session, office, "C-1", _maria())
    result = upsert_invoice(session, office, "INV-9", _job_invoice())
    invoice = session.get(Invoice, result.id)
    invoice.status, invoice.amount_paid_cents = InvoiceStatus.PAID, invoice.total_cents
    session.add(Payment(invoice_id=invoice.id, amount_cents=invoice.total_cents, method="card", status="succeeded"))
    session.flush()

    assert not upsert_invoice(session, office, "INV-9", _job_invoice()).changed
    with pytest.raises(Conflict, match="paid"):
        upsert_invoice(session, office, "INV-9", _job_invoice(tax_cents=0))
    assert check_invoice(session, office, _job_invoice(tax_cents=0), external_id="INV-9") == {
        "status": "This invoice is paid, so it cannot be changed."
    }


def test_invoice_errors_are_named_in_the_callers_words(session, office):
    upsert_customer(session, office, "C-1", _maria())
    bad = _job_invoice(
        location_external_id="nowhere",
        kind="repair",
        status="paid",
        due_on="soon",
        lines=[("", "0", 100), ("Part", "1", "12.50")],
        tax_cents=-5,
    )

    errors = check_invoice(session, office, bad)

    assert set(errors) == {
        "location_external_id",
        "kind",
        "status",
        "due_on",
        "lines.0.description",
        "lines.0.quantity",
        "lines.1.unit_price_cents",
        "tax_cents",
    }
    with pytest.raises(FieldErrors):
        upsert_invoice(session, office, "INV-9", bad)
    assert session.exec(select(Invoice)).all() == []


def test_an_unknown_customer_and_an_ambiguous_location_are_named(session, office):
    assert check_invoice(session, office, _job_invoice(customer_external_id="C-404")) == {
        "customer_external_id": "No customer has this external id. Send the customer first."
    }
    upsert_customer(session, office, "C-1", _maria())
    errors = check_invoice(session, office, _job_invoice(location_external_id=None))
    assert errors == {
        "location_external_id": "This customer has 2 service locations. Say which one (location_external_id)."
    }


def test_with_one_location_it_need_not_be_named(session, office):
    upsert_customer(session, office, "C-1", _maria(locations=[("L-1", "100 Main St", "Austin", "TX", "78701")]))
    result = upsert_invoice(session, office, "INV-9", _job_invoice(location_external_id=None))
    assert session.get(Location, session.get(Invoice, result.id).location_id).external_id == "L-1"


def test_check_invoice_writes_nothing(session, office):
    upsert_customer(session, office, "C-1", _maria())
    assert check_invoice(session, office, _job_invoice()) == {}
    assert session.exec(select(Invoice)).all() == []
