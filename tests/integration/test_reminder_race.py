"""Two workers scheduling reminders for the same invoices on PostgreSQL: each reminder goes once."""

from datetime import timedelta

from sqlmodel import Session, func, select

from smslinks.core import accounts, reminders
from smslinks.models import InvoiceReminder, OutboundMessage, utcnow
from tests import factories
from tests.concurrency import at_once

INVOICES = 60


def _due_plans(engine) -> list[int]:
    """INVOICES texted invoices whose first reminder was due a minute ago."""
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        business = factories.business(session, name="Reminder Race Plumbing")
        settings = accounts.payment_settings(session, business.id)
        settings.sms_links_enabled = settings.office_sms_enabled = settings.reminders_enabled = True
        customer = factories.customer(session, business, "Rita Reminded")
        location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
        ids = []
        for n in range(INVOICES):
            invoice = factories.invoice(session, location)
            session.add(
                InvoiceReminder(
                    business_id=business.id,
                    invoice_id=invoice.id,
                    to_address=f"+1512555{n:04d}",
                    first_text_at=now - timedelta(days=3),
                    next_reminder_at=now - timedelta(minutes=1),
                )
            )
            ids.append(invoice.id)
        session.commit()
    return ids


def test_two_workers_send_each_due_reminder_once(pg_engine):
    invoice_ids = _due_plans(pg_engine)

    def worker(_index, start):
        scheduler = reminders.ReminderScheduler(pg_engine)
        start()
        while scheduler.run_once(limit=7):  # small passes, so the two interleave
            pass

    at_once(2, worker)
    with Session(pg_engine) as session:
        keys = session.exec(
            select(OutboundMessage.idempotency_key).where(OutboundMessage.invoice_id.in_(invoice_ids))
        ).all()
        assert sorted(keys) == sorted(f"reminder-{invoice_id}-1" for invoice_id in invoice_ids)
        counted = session.exec(
            select(func.sum(InvoiceReminder.sent)).where(InvoiceReminder.invoice_id.in_(invoice_ids))
        ).one()
        assert counted == INVOICES
