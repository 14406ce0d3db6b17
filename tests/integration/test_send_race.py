"""Two "Send" events racing with the same key on PostgreSQL write one message, not two."""

import threading

from sqlmodel import Session, select

from smslinks.core import accounts, sending
from smslinks.core.sending import Recipient, Via
from smslinks.models import OutboundMessage, PaymentLink
from tests import factories


class RendezvousLookup:
    """A carrier lookup that holds each request until both have passed the "already sent?" check."""

    def __init__(self, parties: int):
        self.barrier = threading.Barrier(parties, timeout=20)

    def line_type(self, e164: str) -> str:
        self.barrier.wait()
        return "mobile"


def test_a_double_click_racing_in_two_transactions_sends_once(pg_engine):
    with Session(pg_engine, expire_on_commit=False) as session:
        business = factories.business(session, name="Race Plumbing")
        settings = accounts.payment_settings(session, business.id)
        settings.sms_links_enabled = settings.office_sms_enabled = True
        office = factories.employee(session, business)
        customer = factories.customer(session, business, "Riley Racer")
        location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
        invoice = factories.invoice(session, location)
        phone = factories.phone(session, "512-555-0791", customer=customer)
        session.commit()

    token = sending.new_link_token()
    lookup = RendezvousLookup(2)
    results, errors = [], []

    def click():
        try:
            with Session(pg_engine, expire_on_commit=False) as session:
                result = sending.send_invoice_text(
                    session,
                    office,
                    invoice.id,
                    Recipient(phone_number_id=phone.id),
                    "card",
                    Via.OFFICE,
                    "race-key",
                    token=token,
                    line_types=lookup,
                )
                session.commit()
                results.append(result)
        except Exception as error:  # the assertion below shows it
            errors.append(error)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len({result.message_id for result in results}) == 1
    assert sorted(result.repeated for result in results) == [False, True]
    with Session(pg_engine) as session:
        assert len(session.exec(select(OutboundMessage).where(OutboundMessage.invoice_id == invoice.id)).all()) == 1
        assert len(session.exec(select(PaymentLink).where(PaymentLink.invoice_id == invoice.id)).all()) == 1


def test_two_people_texting_one_number_at_once_leave_one_waiting_text(pg_engine):
    """The office and a technician press Send together: the partial unique index keeps one text, and
    the slower one hears which text is already on its way."""
    with Session(pg_engine, expire_on_commit=False) as session:
        business = factories.business(session, name="Race Heating")
        settings = accounts.payment_settings(session, business.id)
        settings.sms_links_enabled = settings.office_sms_enabled = True
        office = factories.employee(session, business)
        manager = factories.employee(session, business, role="Manager")
        customer = factories.customer(session, business, "Rory Racer")
        location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(23))
        invoice = factories.invoice(session, location)
        phone = factories.phone(session, "512-555-0792", customer=customer)
        session.commit()

    lookup = RendezvousLookup(2)
    results, errors = [], []

    def click(employee, key):
        try:
            with Session(pg_engine, expire_on_commit=False) as session:
                results.append(
                    sending.send_invoice_text(
                        session,
                        employee,
                        invoice.id,
                        Recipient(phone_number_id=phone.id),
                        "card",
                        Via.OFFICE,
                        key,
                        line_types=lookup,
                    )
                )
                session.commit()
        except Exception as error:  # the assertions below look at it
            errors.append(error)

    threads = [threading.Thread(target=click, args=args) for args in ((office, "office-key"), (manager, "manager-key"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], sending.TextAlreadyWaiting)
    assert errors[0].message.startswith("A text to (512) 555-0792 is already scheduled for 8:00 AM")
    assert errors[0].message_id == results[0].message_id
    with Session(pg_engine) as session:
        assert len(session.exec(select(OutboundMessage).where(OutboundMessage.invoice_id == invoice.id)).all()) == 1
