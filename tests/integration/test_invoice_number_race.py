"""Finalizes racing on PostgreSQL take different, sequential invoice numbers, without gaps (a
finalize that rolls back gives its number back: it was never issued)."""

from sqlmodel import Session, select

from smslinks.core import invoice_editing as editing
from smslinks.core.invoice_editing import InvoiceDraft, LineDraft
from smslinks.models import Invoice
from tests import factories
from tests.concurrency import at_once

RACERS = 8


def test_finalizes_in_parallel_get_distinct_sequential_numbers(pg_engine):
    with Session(pg_engine, expire_on_commit=False) as session:
        business = factories.business(session, name="Number Race HVAC")
        office = factories.employee(session, business)
        customer = factories.customer(session, business, "Nora Numbers")
        location = factories.location(session, customer)
        factories.invoice(session, location, number="10500")
        draft = InvoiceDraft(customer_id=customer.id, location_id=location.id, lines=[LineDraft("Visit", "1", "80")])
        ids = [editing.save_invoice(session, office, None, draft) for _ in range(RACERS + 1)]
        session.commit()

    # The first finalize creates the counter row; then the racers meet on it.
    with Session(pg_engine, expire_on_commit=False) as session:
        assert editing.finalize(session, office, ids[0]) == "10501"
        session.commit()
    # A finalize that rolls back never issued its number.
    with Session(pg_engine, expire_on_commit=False) as session:
        assert editing.finalize(session, office, ids[1]) == "10502"
        session.rollback()

    def finalize(index: int, start) -> str:
        with Session(pg_engine, expire_on_commit=False) as session:
            start()
            number = editing.finalize(session, office, ids[1 + index])
            session.commit()
            return number

    numbers = at_once(RACERS, finalize)
    # On PostgreSQL the rolled-back number's UPDATE rolled back too, so 10502 is taken again by one
    # racer (it was never committed to an invoice); every committed number is distinct and sequential.
    assert sorted(numbers, key=int) == [str(n) for n in range(10502, 10502 + RACERS)]
    with Session(pg_engine) as session:
        finalized = session.exec(
            select(Invoice.number).where(Invoice.business_id == business.id, Invoice.status == "open")
        ).all()
        assert len(finalized) == len(set(finalized)) == RACERS + 2  # with 10500 and 10501
