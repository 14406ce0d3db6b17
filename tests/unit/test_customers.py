"""core/customers.py: one function creates, one changes; every rule checked once, by field."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import exc
from sqlmodel import select

from smslinks.core import customers
from smslinks.core.company import FieldErrors
from smslinks.core.customers import CustomerDraft
from smslinks.core.errors import NotAllowed, NotFound
from smslinks.core.permissions import Permission, set_permission
from smslinks.models import (
    AuditEvent,
    Business,
    Channel,
    Customer,
    EmailAddress,
    InvoiceReminder,
    Location,
    MessageStatus,
    MessageStatusEvent,
    OutboundMessage,
    PhoneNumber,
    utcnow,
)
from tests import factories

DENVER = (None, "Home", "1600 Broadway", "Denver", "CO", "80202")


@pytest.fixture
def office(session):
    business = factories.business(session, time_zone="America/Chicago")
    return factories.employee(session, business, name="Olivia Office")


def _draft(**overrides) -> CustomerDraft:
    values = dict(
        name="  Dana   Whitfield ",
        phones=[("303-555-0101", "Mobile", "Cell"), ("(303) 555-0102", "Home", "")],
        emails=[("Dana@Example.NET", "")],
        locations=[DENVER],
    )
    values.update(overrides)
    return CustomerDraft(**values)


def _errors(call) -> dict[str, str]:
    with pytest.raises(FieldErrors) as caught:
        call()
    return caught.value.fields


def _count(session, model) -> int:
    return len(session.exec(select(model)).all())


def test_create_saves_the_whole_record_with_zone_from_zip_and_mobile_consent(session, office):
    made = customers.create_customer(session, office, _draft())
    assert made.name == "Dana Whitfield"
    assert [(p.e164, p.type, p.label) for p in made.phones] == [
        ("+13035550101", "Mobile", "Cell"),
        ("+13035550102", "Home", ""),
    ]
    assert [(e.address, e.label) for e in made.emails] == [("dana@example.net", "Primary")]
    [place] = made.locations
    assert (place.time_zone, place.zone_label, place.zone_warning) == ("America/Denver", "Mountain Time", "")
    assert place.address == "1600 Broadway, Denver, CO 80202"
    mobile, home = session.exec(select(PhoneNumber).order_by(PhoneNumber.id)).all()
    assert mobile.consent_by_employee_id == office.id and mobile.consent_at is not None
    assert mobile.consent_method == "Given to Olivia Office when adding the customer"
    assert home.consent_at is None and home.consent_method is None
    assert session.get(Customer, made.id).search_name == "dana whitfield"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "customer.created")).one()
    assert event.actor_employee_id == office.id and json.loads(event.detail)["name"] == "Dana Whitfield"


def test_unknown_zip_falls_back_to_the_business_zone_with_a_warning(session, office):
    made = customers.create_customer(session, office, _draft(locations=[(None, "", "1 Main", "Nowhere", "", "00000")]))
    [place] = made.locations
    assert place.name == "1 Main"  # a location without a name is called by its street
    assert place.time_zone == "America/Chicago"
    assert place.zone_warning.startswith("Time zone not known from the service address (ZIP 00000)")


def test_errors_name_their_fields_and_nothing_is_written(session, office):
    draft = _draft(
        name="",
        phones=[
            ("303-555-0101", "Mobile", ""),
            ("1-800-555-0199", "Mobile", ""),
            ("303 555 0101", "Home", ""),
            ("12", "Work", ""),
            ("303-555-0103", "Pager", ""),
        ],
        emails=[("not-an-email", "")],
        locations=[(None, "Home", "", "", "CO", "80202")],
    )
    errors = _errors(lambda: customers.create_customer(session, office, draft))
    assert errors["name"] == "Enter the customer's name."
    assert errors["phones.1.number"].startswith("Toll-free numbers can't receive texts here.")
    assert "Save it as Home, Work or Other" in errors["phones.1.number"]
    assert "already on this customer" in errors["phones.2.number"]
    assert "is not a" in errors["phones.3.number"]
    assert errors["phones.4.type"] == "Choose Mobile, Home, Work or Other."
    assert "emails.0.address" in errors
    assert {"locations.0.street", "locations.0.city"} <= errors.keys()
    for model in (Customer, PhoneNumber, EmailAddress, Location):
        assert _count(session, model) == 0
    assert session.exec(select(AuditEvent).where(AuditEvent.subject_type == "customer")).all() == []


def test_toll_free_is_fine_for_calls_but_not_as_mobile(session, office):
    made = customers.create_customer(session, office, _draft(phones=[("800-555-0199", "Work", "Office line")]))
    assert made.phones[0].e164 == "+18005550199"


def test_a_name_over_160_characters_is_refused(session, office):
    assert "name" in _errors(lambda: customers.create_customer(session, office, _draft(name="x" * 161)))


def test_update_adds_changes_and_removes_rows_and_audits_what_changed(session, office):
    made = customers.create_customer(session, office, _draft())
    place = made.locations[0]
    draft = _draft(
        name="Dana Whitfield-Ortiz",
        phones=[("303-555-0101", "Mobile", "Cell"), ("303-555-0104", "Mobile", "Work cell")],
        emails=[("dana@example.net", "Home"), ("d.w@example.org", "Work")],
        locations=[
            (place.id, "Home", "1600 Broadway", "Boulder", "CO", "80302"),
            (None, "Cabin", "9 Pine Rd", "Phoenix", "AZ", "85004"),
        ],
    )
    updated = customers.update_customer(session, office, made.id, draft)
    assert updated.name == "Dana Whitfield-Ortiz"
    assert [p.e164 for p in updated.phones] == ["+13035550101", "+13035550104"]
    assert updated.phones[0].id == made.phones[0].id  # kept, not re-created: its consent stays
    added = session.get(PhoneNumber, updated.phones[1].id)
    assert added.consent_method == "Given to Olivia Office when adding the number to the customer"
    assert [(e.address, e.label) for e in updated.emails] == [("dana@example.net", "Home"), ("d.w@example.org", "Work")]
    assert [(loc.id == place.id, loc.city, loc.time_zone) for loc in updated.locations] == [
        (True, "Boulder", "America/Denver"),
        (False, "Phoenix", "America/Phoenix"),
    ]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "customer.updated")).one()
    detail = json.loads(event.detail)
    assert detail["name"] == ["Dana Whitfield", "Dana Whitfield-Ortiz"]
    assert detail["phones_added"] == ["+13035550104 (Mobile)"]
    assert [row["e164"] for row in detail["phones_removed"]] == ["+13035550102"]
    assert detail["emails_added"] == ["d.w@example.org"]
    assert len(detail["locations_changed"]) == 1 and detail["locations_added"] == [
        "Cabin: 9 Pine Rd, Phoenix, AZ 85004"
    ]


def test_saving_an_unchanged_record_writes_no_audit_row(session, office):
    made = customers.create_customer(session, office, _draft())
    customers.update_customer(session, office, made.id, customers.draft_of(made))
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "customer.updated")).all() == []


def test_a_number_already_on_the_customer_is_refused_beside_it(session, office):
    made = customers.create_customer(session, office, _draft())
    draft = customers.draft_of(made)
    draft = CustomerDraft(draft.name, [*draft.phones, ("+1 303 555 0102", "Work", "")], draft.emails, draft.locations)
    errors = _errors(lambda: customers.update_customer(session, office, made.id, draft))
    assert errors == {
        "phones.2.number": "(303) 555-0102 is already on this customer (number 2). "
        "One number is saved once per customer."
    }


def test_the_database_refuses_a_number_twice_on_one_customer_but_not_on_two(session, office):
    first = customers.create_customer(session, office, _draft())
    second = customers.create_customer(session, office, _draft(name="Sam Whitfield"))  # same household numbers
    assert second.phones[0].e164 == first.phones[0].e164
    customer = session.get(Customer, first.id)
    with pytest.raises(exc.IntegrityError):
        factories.phone(session, "303-555-0101", customer=customer)
    session.rollback()


def test_marking_a_number_mobile_checks_it_can_text_and_records_consent(session, office):
    made = customers.create_customer(session, office, _draft(phones=[("303-555-0102", "Home", "")]))
    assert session.get(PhoneNumber, made.phones[0].id).consent_at is None
    updated = customers.update_customer(
        session, office, made.id, _draft(phones=[("303-555-0102", "Mobile", "")], locations=[])
    )
    row = session.get(PhoneNumber, updated.phones[0].id)
    assert row.type == "Mobile" and row.consent_method == "Given to Olivia Office when marking the number Mobile"


def test_removing_a_texted_number_keeps_the_texts_and_their_number(session, office):
    made = customers.create_customer(session, office, _draft())
    mobile_id = made.phones[0].id
    message = OutboundMessage(
        business_id=office.business_id,
        channel=Channel.SMS,
        to_address="+13035550101",
        body="Pay here",
        phone_number_id=mobile_id,
    )
    session.add(message)
    session.flush()
    customers.update_customer(
        session,
        office,
        made.id,
        _draft(phones=[("303-555-0102", "Home", "")], locations=[(made.locations[0].id, *DENVER[1:])]),
    )
    assert session.get(PhoneNumber, mobile_id) is None
    session.refresh(message)
    assert (message.phone_number_id, message.to_address) == (None, "+13035550101")
    detail = json.loads(session.exec(select(AuditEvent).where(AuditEvent.action == "customer.updated")).one().detail)
    assert detail["phones_removed"][0]["consent_method"] == "Given to Olivia Office when adding the customer"


def test_taking_a_mobile_number_away_cancels_its_unsent_texts_and_stops_its_reminders(session, office):
    """A text held for quiet hours, or next week's reminder, must not reach a number the office has
    just removed or said is a landline. Texts already gone stay as they were; other numbers' go on."""
    mobiles = [("303-555-0101", "Mobile", ""), ("303-555-0103", "Mobile", ""), ("303-555-0104", "Mobile", "")]
    made = customers.create_customer(session, office, _draft(phones=mobiles))
    invoice = factories.invoice(session, session.get(Location, made.locations[0].id))

    def text(to: str, status: MessageStatus) -> OutboundMessage:
        message = OutboundMessage(
            business_id=office.business_id,
            channel=Channel.SMS,
            to_address=to,
            body="Pay here",
            invoice_id=invoice.id,
            status=status,
        )
        session.add(message)
        session.flush()
        return message

    texts = [
        text("+13035550101", MessageStatus.SCHEDULED),  # held for quiet hours
        text("+13035550101", MessageStatus.QUEUED),
        text("+13035550101", MessageStatus.SENT),
        text("+13035550103", MessageStatus.SCHEDULED),
        text("+13035550104", MessageStatus.SCHEDULED),
    ]
    now = utcnow()
    plan = InvoiceReminder(
        business_id=office.business_id,
        invoice_id=invoice.id,
        to_address="+13035550101",
        first_text_at=now,
        next_reminder_at=now + timedelta(days=3),
    )
    session.add(plan)
    session.flush()

    kept_place = [(made.locations[0].id, *DENVER[1:])]
    customers.update_customer(
        session, office, made.id, _draft(phones=[mobiles[2], ("303-555-0103", "Home", "")], locations=kept_place)
    )
    for message in [*texts, plan]:
        session.refresh(message)
    assert [message.status for message in texts] == ["canceled", "canceled", "sent", "canceled", "scheduled"]
    removed = "Olivia Office removed (303) 555-0101 from the customer"
    assert texts[0].failure_reason == f"Not sent: {removed} before it went out."
    assert texts[3].failure_reason == "Not sent: Olivia Office marked (303) 555-0103 Home before it went out."
    timeline = session.exec(select(MessageStatusEvent).where(MessageStatusEvent.message_id == texts[0].id)).all()
    assert timeline[-1].status == "canceled" and timeline[-1].detail == texts[0].failure_reason
    assert (plan.stop_reason, plan.next_reminder_at) == (removed, None)


def test_a_number_still_mobile_on_the_service_location_keeps_its_texts(session, office):
    made = customers.create_customer(session, office, _draft(phones=[("303-555-0101", "Mobile", "")]))
    location = session.get(Location, made.locations[0].id)
    factories.phone(session, "+13035550101", location=location)
    invoice = factories.invoice(session, location)
    held = OutboundMessage(
        business_id=office.business_id,
        channel=Channel.SMS,
        to_address="+13035550101",
        body="Pay here",
        invoice_id=invoice.id,
        status=MessageStatus.SCHEDULED,
    )
    session.add(held)
    session.flush()
    customers.update_customer(session, office, made.id, _draft(phones=[], locations=[(location.id, *DENVER[1:])]))
    session.refresh(held)
    assert held.status == "scheduled"


def test_a_location_with_invoices_cannot_be_removed(session, office):
    made = customers.create_customer(session, office, _draft())
    factories.invoice(session, session.get(Location, made.locations[0].id))
    errors = _errors(lambda: customers.update_customer(session, office, made.id, _draft(locations=[])))
    assert errors["locations"].startswith('"Home" has invoices or jobs')
    assert _count(session, Location) == 1


def test_update_is_all_or_nothing(session, office):
    made = customers.create_customer(session, office, _draft())
    bad = _draft(name="Renamed", phones=[("303-555-0101", "Mobile", ""), ("888-555-0100", "Mobile", "")])
    assert "phones.1.number" in _errors(lambda: customers.update_customer(session, office, made.id, bad))
    session.expire_all()
    again = customers.detail(session, office, made.id)
    assert again.name == "Dana Whitfield" and len(again.phones) == 2


def test_another_business_customer_and_location_are_refused(session, office):
    other_business = factories.business(session, name="Other HVAC")
    other = factories.employee(session, other_business)
    theirs = customers.create_customer(session, other, _draft(name="Their Customer"))
    with pytest.raises(NotFound):
        customers.detail(session, office, theirs.id)
    with pytest.raises(NotFound):
        customers.update_customer(session, office, theirs.id, _draft())
    mine = customers.create_customer(session, office, _draft())
    # A location id of another customer's record cannot be slipped into a draft (no IDOR).
    stolen = _draft(locations=[(theirs.locations[0].id, "Home", "1 Elm", "Austin", "TX", "78701")])
    assert "locations.0" in _errors(lambda: customers.update_customer(session, office, mine.id, stolen))
    assert "locations.0" in _errors(lambda: customers.create_customer(session, office, stolen))
    assert session.get(Location, theirs.locations[0].id).city == "Denver"
    assert [row.name for row in customers.search(session, office, "").rows] == ["Dana Whitfield"]


def test_permissions(session, office):
    made = customers.create_customer(session, office, _draft())
    set_permission(session, office, Permission.MANAGE_CUSTOMERS, False)
    with pytest.raises(NotAllowed, match="Manage customers"):
        customers.create_customer(session, office, _draft(name="Another"))
    with pytest.raises(NotAllowed):
        customers.update_customer(session, office, made.id, _draft())
    assert customers.detail(session, office, made.id).name == "Dana Whitfield"  # viewing is still allowed
    tech = factories.employee(session, session.get(Business, office.business_id), role="Technician")
    with pytest.raises(NotAllowed, match="View invoices"):
        customers.search(session, tech)
    with pytest.raises(NotAllowed):
        customers.detail(session, tech, made.id)


def test_search_by_name_words_and_phone_with_pages(session, office):
    for index, name in enumerate(["Maria Garcia", "Mario Gomez", "Ann Lee", "Bob Marley"]):
        customers.create_customer(
            session, office, _draft(name=name, phones=[(f"303-555-01{10 + index}", "Mobile", "")], locations=[])
        )
    names = lambda page: [row.name for row in page.rows]  # noqa: E731
    assert names(customers.search(session, office, "mar")) == ["Bob Marley", "Maria Garcia", "Mario Gomez"]
    assert names(customers.search(session, office, "garcia, maria")) == ["Maria Garcia"]
    assert names(customers.search(session, office, "(303) 555-0112")) == ["Ann Lee"]
    assert names(customers.search(session, office, "0113")) == ["Bob Marley"]
    first = customers.search(session, office, "", page_size=3)
    assert names(first) == ["Ann Lee", "Bob Marley", "Maria Garcia"] and first.next_cursor
    assert first.rows[0].phone == "(303) 555-0112 · Mobile"
    second = customers.search(session, office, "", after=first.next_cursor, page_size=3)
    assert names(second) == ["Mario Gomez"] and second.next_cursor is None


def test_detail_lists_the_customers_invoices_newest_first(session, office):
    made = customers.create_customer(session, office, _draft())
    location = session.get(Location, made.locations[0].id)
    older = factories.invoice(session, location, number="A-1")
    newer = factories.invoice(session, location, number="A-2")
    rows = customers.detail(session, office, made.id).invoices
    assert {row.number for row in rows} == {"A-1", "A-2"} and {row.id for row in rows} == {older.id, newer.id}
