"""core/invoice_editing and core/scheduling: every rule of creating, changing, finalizing and voiding
invoices, and of scheduling jobs."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from smslinks.core import invoice_editing as editing
from smslinks.core import jobs, scheduling
from smslinks.core.company import FieldErrors
from smslinks.core.errors import DomainError, NotAllowed, NotFound
from smslinks.core.invoice_editing import InvoiceDraft, LineDraft
from smslinks.models import (
    AuditEvent,
    Invoice,
    InvoiceLine,
    MessageStatus,
    MessageStatusEvent,
    OutboundMessage,
    Payment,
    PaymentLink,
    PaymentStatus,
)
from tests import factories


@pytest.fixture
def shop(session):
    business = factories.business(session)
    office = factories.employee(session, business, "Office employee", name="Olive Office")
    manager = factories.employee(session, business, "Manager", name="Mona Manager")
    terry = factories.employee(session, business, "Technician", name="Terry Tech")
    sam = factories.employee(session, business, "Technician", name="Sam Tech")
    customer = factories.customer(session, business, "Maria Garcia")
    location = factories.location(session, customer)
    return business, office, manager, terry, sam, customer, location


def _draft(customer, location, **overrides) -> InvoiceDraft:
    values = dict(
        customer_id=customer.id,
        location_id=location.id,
        lines=[LineDraft("Diagnostic visit", "1", "89.00"), LineDraft("Capacitor", "2", 4550)],
        tax="7.50",
    )
    values.update(overrides)
    return InvoiceDraft(**values)


def _errors(call) -> dict[str, str]:
    with pytest.raises(FieldErrors) as caught:
        call()
    return caught.value.fields


def test_a_new_invoice_is_a_draft_with_totals_computed_and_a_provisional_label(session, shop):
    _b, office, *_rest, customer, location = shop
    invoice_id = editing.save_invoice(session, office, None, _draft(customer, location))
    invoice = session.get(Invoice, invoice_id)
    assert invoice.status == "draft" and invoice.number == f"DRAFT-{invoice_id}"
    assert (invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents) == (8900 + 9100, 750, 18750)
    lines = session.exec(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.position)
    ).all()
    assert [(line.description, line.amount_cents) for line in lines] == [
        ("Diagnostic visit", 8900),
        ("Capacitor", 9100),
    ]
    assert invoice.due_on == invoice.issued_on + timedelta(days=30)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "invoice.created")).one().actor == "Olive Office"


def test_line_amounts_round_half_up_to_the_cent(session, shop):
    _b, office, *_rest, customer, location = shop
    invoice_id = editing.save_invoice(
        session, office, None, _draft(customer, location, lines=[LineDraft("Labor", "1.25", "33.33")], tax=0)
    )
    assert session.get(Invoice, invoice_id).total_cents == 4166  # 41.6625


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        (LineDraft("Part", "1", "-5.00"), "lines.0.unit_price", "cannot be negative"),
        (LineDraft("Part", "1", "1000000.01"), "lines.0.unit_price", "$1,000,000.00"),
        (LineDraft("Part", "1", "1e30"), "lines.0.unit_price", "too large"),
        (LineDraft("Part", "1", "12.345"), "lines.0.unit_price", "2 decimals"),
        (LineDraft("Part", "1", "abc"), "lines.0.unit_price", "amount"),
        (LineDraft("Part", "0", "5"), "lines.0.quantity", "more than 0"),
        (LineDraft("Part", "-1", "5"), "lines.0.quantity", "more than 0"),
        (LineDraft("Part", "10000.01", "5"), "lines.0.quantity", "at most 10,000"),
        (LineDraft("Part", "1.234", "5"), "lines.0.quantity", "2 decimals"),
        (LineDraft("Part", "NaN", "5"), "lines.0.quantity", "number"),
        (LineDraft("   ", "1", "5"), "lines.0.description", "Describe"),
        (LineDraft("x" * 301, "1", "5"), "lines.0.description", "300"),
    ],
)
def test_absurd_or_wrong_lines_are_refused_naming_the_field(session, shop, line, field, words):
    _b, office, *_rest, customer, location = shop
    errors = _errors(lambda: editing.save_invoice(session, office, None, _draft(customer, location, lines=[line])))
    assert field in errors and words in errors[field]
    assert session.exec(select(Invoice)).all() == []


def test_every_wrong_field_is_named_at_once_and_nothing_is_written(session, shop):
    _b, office, *_rest, customer, location = shop
    errors = _errors(
        lambda: editing.save_invoice(
            session,
            office,
            None,
            _draft(
                customer,
                location,
                lines=[LineDraft("Ok", "1", "5"), LineDraft("", "0", "-1")],
                tax="-1",
                due_on=date(2000, 1, 1),
                kind="gift",
            ),
        )
    )
    assert set(errors) == {"lines.1.description", "lines.1.quantity", "lines.1.unit_price", "tax", "due_on", "kind"}
    assert session.exec(select(Invoice)).all() == [] and session.exec(select(InvoiceLine)).all() == []


def test_an_invoice_needs_a_line(session, shop):
    _b, office, *_rest, customer, location = shop
    assert "lines" in _errors(lambda: editing.save_invoice(session, office, None, _draft(customer, location, lines=[])))


def test_the_location_must_be_the_customers_and_the_job_theirs(session, shop):
    business, office, _m, terry, *_rest, customer, location = shop
    other = factories.customer(session, business, "Other Person")
    other_location = factories.location(session, other)
    assert "location_id" in _errors(
        lambda: editing.save_invoice(session, office, None, _draft(customer, other_location))
    )
    other_job = factories.job(session, other_location, terry)
    assert "job_id" in _errors(
        lambda: editing.save_invoice(session, office, None, _draft(customer, location, job_id=other_job.id))
    )
    foreign = factories.business(session, name="Elsewhere")
    stranger = factories.customer(session, foreign)
    assert "customer_id" in _errors(
        lambda: editing.save_invoice(session, office, None, _draft(stranger, factories.location(session, stranger)))
    )


def test_finalize_gives_the_next_number_after_the_highest_existing_and_never_reuses_one(session, shop):
    _b, office, *_rest, customer, location = shop
    factories.invoice(session, location, number="10042")
    factories.invoice(session, location, number="INV-99999")  # not numeric: ignored
    first = editing.save_invoice(session, office, None, _draft(customer, location))
    second = editing.save_invoice(session, office, None, _draft(customer, location))
    assert editing.finalize(session, office, first) == "10043"
    factories.invoice(session, location, number="10044")  # given some other way meanwhile: skipped
    assert editing.finalize(session, office, second) == "10045"
    invoice = session.get(Invoice, second)
    assert (invoice.status, invoice.number) == ("open", "10045")
    with pytest.raises(DomainError, match="already finalized"):
        editing.finalize(session, office, second)
    # A voided invoice keeps its number; the next is still new.
    third = editing.save_invoice(session, office, None, _draft(customer, location))
    editing.void(session, shop[2], first, "Typo")
    assert editing.finalize(session, office, third) == "10046"


def test_numbers_are_per_business(session, shop):
    _b, office, *_rest, customer, location = shop
    other = factories.business(session, name="Other Co")
    other_office = factories.employee(session, other)
    other_customer = factories.customer(session, other)
    other_location = factories.location(session, other_customer)
    mine = editing.save_invoice(session, office, None, _draft(customer, location))
    theirs = editing.save_invoice(session, other_office, None, _draft(other_customer, other_location))
    assert editing.finalize(session, office, mine) == editing.finalize(session, other_office, theirs) == "1"


def test_an_open_invoice_can_be_changed_until_a_payment_then_not(session, shop):
    _b, office, *_rest, customer, location = shop
    invoice_id = editing.save_invoice(session, office, None, _draft(customer, location))
    editing.finalize(session, office, invoice_id)
    editing.save_invoice(
        session, office, invoice_id, _draft(customer, location, lines=[LineDraft("Tune-up", "1", "120")], tax=0)
    )
    invoice = session.get(Invoice, invoice_id)
    assert (invoice.status, invoice.total_cents, invoice.balance_cents) == ("open", 12000, 12000)
    session.add(Payment(invoice_id=invoice_id, amount_cents=100, method="card", status=PaymentStatus.FAILED))
    session.flush()
    editing.save_invoice(session, office, invoice_id, _draft(customer, location))  # a failed payment: still editable
    session.add(Payment(invoice_id=invoice_id, amount_cents=100, method="ach", status=PaymentStatus.PROCESSING))
    session.flush()
    with pytest.raises(DomainError, match="payment has been made"):
        editing.save_invoice(session, office, invoice_id, _draft(customer, location))
    assert editing.actions(session, office, invoice_id).can_edit is False


@pytest.mark.parametrize(("status", "words"), [("paid", "is paid"), ("void", "is void")])
def test_paid_and_void_invoices_cannot_be_changed(session, shop, status, words):
    _b, office, *_rest, customer, location = shop
    invoice = factories.invoice(session, location, status=status)
    with pytest.raises(DomainError, match=words):
        editing.save_invoice(session, office, invoice.id, _draft(customer, location))


def _waiting_text(session, invoice, status=MessageStatus.QUEUED, to="+15125550101"):
    link = PaymentLink(
        invoice_id=invoice.id,
        token_hash=f"h{invoice.id}{to}{status}",
        expires_at=datetime.now(UTC) + timedelta(days=30),
    )
    session.add(link)
    session.flush()
    message = OutboundMessage(
        business_id=invoice.business_id,
        invoice_id=invoice.id,
        channel="sms",
        to_address=to,
        body="Pay here",
        status=status,
        payment_link_id=link.id,
    )
    session.add(message)
    session.flush()
    return message


def test_void_cancels_waiting_texts_and_says_so(session, shop):
    _b, _office, manager, *_rest, customer, location = shop
    invoice = factories.invoice(session, location)
    waiting = _waiting_text(session, invoice)
    delivered = _waiting_text(session, invoice, MessageStatus.DELIVERED, to="+15125550102")
    said = editing.void(session, manager, invoice.id, "Customer canceled the job")
    assert "Canceled 1 waiting text." in said
    session.refresh(waiting)
    assert (waiting.status, waiting.failure_reason) == ("canceled", "Not sent: the invoice was voided.")
    assert session.get(OutboundMessage, delivered.id).status == "delivered"
    event = session.exec(select(MessageStatusEvent).where(MessageStatusEvent.message_id == waiting.id)).one()
    assert event.detail == "Not sent: the invoice was voided."
    assert session.get(Invoice, invoice.id).status == "void"
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "invoice.voided")).one()
    assert "Customer canceled the job" in audit.detail


def test_void_needs_the_permission_a_reason_and_no_payment(session, shop):
    _b, office, manager, *_rest, customer, location = shop
    invoice = factories.invoice(session, location)
    with pytest.raises(NotAllowed, match="Void invoices"):
        editing.void(session, office, invoice.id, "Mistake")
    assert "reason" in _errors(lambda: editing.void(session, manager, invoice.id, "  "))
    session.add(Payment(invoice_id=invoice.id, amount_cents=100, method="card", status=PaymentStatus.SUCCEEDED))
    session.flush()
    with pytest.raises(DomainError, match="Refund the payment first"):
        editing.void(session, manager, invoice.id, "Mistake")
    assert session.get(Invoice, invoice.id).status == "open"


def test_a_technician_edits_only_their_own_jobs_invoice(session, shop):
    _b, _office, _m, terry, sam, customer, location = shop
    mine = factories.job(session, location, terry)
    theirs = factories.job(session, location, sam)
    invoice_id = editing.save_invoice(
        session, terry, None, InvoiceDraft(job_id=mine.id, lines=[LineDraft("Repair", "1", "150")], tax="0")
    )
    invoice = session.get(Invoice, invoice_id)
    assert (invoice.customer_id, invoice.location_id, invoice.job_id) == (customer.id, location.id, mine.id)
    assert editing.finalize(session, terry, invoice_id).isdigit()
    assert jobs.detail(session, terry, mine.id).invoice_id == invoice_id
    with pytest.raises(NotAllowed, match="jobs assigned to them"):
        editing.save_invoice(session, terry, None, InvoiceDraft(job_id=theirs.id, lines=[LineDraft("x", "1", "1")]))
    with pytest.raises(NotAllowed, match="jobs assigned to them"):
        editing.save_invoice(session, terry, None, _draft(customer, location))  # no job at all
    sams_invoice = factories.invoice(session, location, job=theirs)
    with pytest.raises(NotFound):
        editing.save_invoice(
            session, terry, sams_invoice.id, InvoiceDraft(job_id=mine.id, lines=[LineDraft("x", "1", "1")])
        )
    with pytest.raises(NotFound):
        editing.finalize(session, terry, sams_invoice.id)
    with pytest.raises(NotAllowed, match="Void invoices"):
        editing.void(session, terry, invoice_id, "no")


def test_without_the_edit_permission_nothing_can_be_changed(session, shop):
    business, *_rest, customer, location = shop
    accountant = factories.employee(session, business, "Office employee")
    from smslinks.core.permissions import Permission, set_permission

    set_permission(session, accountant, Permission.EDIT_INVOICES, False)
    with pytest.raises(NotAllowed, match="Create and edit invoices"):
        editing.save_invoice(session, accountant, None, _draft(customer, location))


def test_editor_forms_and_customer_search(session, shop):
    _b, office, _m, terry, *_rest, customer, location = shop
    assert [c.label for c in editing.find_customers(session, office, "gar")] == ["Maria Garcia"]
    form = editing.new_invoice_form(session, office, customer.id)
    assert (form.location_id, form.lines[0].quantity) == (location.id, "1")
    job = factories.job(session, location, terry)
    assert editing.new_invoice_form(session, terry, job_id=job.id).job_id == job.id
    with pytest.raises(NotAllowed):
        editing.find_customers(session, terry, "gar")
    invoice_id = editing.save_invoice(session, office, None, _draft(customer, location))
    form = editing.edit_form(session, office, invoice_id)
    assert [(line.description, line.quantity, line.unit_price) for line in form.lines] == [
        ("Diagnostic visit", "1", "89.00"),
        ("Capacitor", "2", "45.50"),
    ]
    assert form.tax == "7.50"


def test_finalize_refuses_a_due_date_in_the_past(session, shop):
    _b, office, *_rest, customer, location = shop
    invoice_id = editing.save_invoice(session, office, None, _draft(customer, location))
    invoice = session.get(Invoice, invoice_id)
    invoice.issued_on = invoice.due_on = date.today() - timedelta(days=5)
    session.add(invoice)
    assert "due_on" in _errors(lambda: editing.finalize(session, office, invoice_id))


# ---------------------------------------------------------------- scheduling


def _job_draft(customer, location, technician, **overrides):
    values = dict(
        customer_id=customer.id,
        location_id=location.id,
        day=jobs.today_in(location.time_zone),
        start="23:00",
        end="23:30",
        summary="AC not cooling",
        technician_id=technician.id,
    )
    values.update(overrides)
    return scheduling.JobDraft(**values)


def test_a_scheduled_job_appears_in_the_technicians_day(session, shop):
    _b, office, manager, terry, _sam, customer, location = shop
    now = datetime.now(UTC)
    job_id = scheduling.schedule_job(
        session, manager, _job_draft(customer, location, terry, start="00:00", end="00:30")
    )
    assert [row.id for row in jobs.todays_jobs(session, terry, now)] == [job_id]
    row = scheduling.upcoming(session, manager)[0]
    assert (row.technician, row.invoice_id) == ("Terry Tech", 0)
    invoice_id = editing.save_invoice(
        session, terry, None, InvoiceDraft(job_id=job_id, lines=[LineDraft("Fix", "1", "9")])
    )
    row = scheduling.upcoming(session, manager)[0]
    assert (row.invoice_id, row.invoice_number) == (invoice_id, f"DRAFT-{invoice_id}")


def test_scheduling_rules(session, shop):
    business, office, manager, terry, _sam, customer, location = shop
    errors = _errors(
        lambda: scheduling.schedule_job(
            session,
            manager,
            _job_draft(customer, location, office, start="10:00", end="09:00", summary=" ", day="2000-01-01"),
        )
    )
    assert set(errors) == {"technician_id", "end", "summary", "day"}
    with pytest.raises(NotAllowed, match="Schedule jobs"):
        scheduling.schedule_job(session, terry, _job_draft(customer, location, terry))


def test_schedulers_find_customers_without_invoice_rights(session, shop):
    business, *_rest, customer, _location = shop
    from smslinks.core.permissions import Permission, set_permission

    dispatcher = factories.employee(session, business, "Dispatcher")
    set_permission(session, dispatcher, Permission.EDIT_INVOICES, False)
    assert [c.id for c in scheduling.find_customers(session, dispatcher, "maria")] == [customer.id]
    terry = shop[3]
    with pytest.raises(NotAllowed):
        scheduling.find_customers(session, terry, "maria")
