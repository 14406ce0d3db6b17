"""Payment reminders: how long one scheduling pass takes with many open invoices on PostgreSQL.

    .venv/bin/python -m bench.reminders [--invoices 20000] [--due 200] [--rounds 5]

A throwaway PostgreSQL database (migrated) gets `--invoices` open, texted invoices, each with a
reminder plan; `--due` of them are due now, the rest over the next two weeks. Timed: a pass that
finds nothing due (what the workers do every second), then passes that queue the due reminders
(`--due` per pass, each a fresh link and an outbox row). Printed: the median of `--rounds` for
each, and the plan PostgreSQL uses to find due rows (it must use ix_invoice_reminder_next_reminder_at,
never scan the table).
"""

import argparse
import statistics
import time
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from smslinks.core import accounts, reminders
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import Invoice, InvoiceReminder, utcnow
from tests import factories
from tests.databases import fresh_database

CHUNK = 5000


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=20_000, help="open invoices with a reminder plan")
    parser.add_argument("--due", type=int, default=200, help="plans due per timed pass")
    parser.add_argument("--rounds", type=int, default=5, choices=range(1, 50), metavar="ROUNDS")
    return parser.parse_args()


def _seed(engine, invoices: int) -> None:
    now = utcnow()
    with Session(engine) as session:
        business = factories.business(session, name="Bench Reminders Plumbing")
        settings = accounts.payment_settings(session, business.id)
        settings.sms_links_enabled = settings.office_sms_enabled = settings.reminders_enabled = True
        customer = factories.customer(session, business, "Bench Customer")
        location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
        session.commit()
        for start in range(0, invoices, CHUNK):
            numbers = range(start, min(start + CHUNK, invoices))
            ids = session.execute(
                sa.insert(Invoice).returning(Invoice.id, sort_by_parameter_order=True),
                [
                    dict(
                        business_id=business.id,
                        number=f"B{n}",
                        customer_id=customer.id,
                        location_id=location.id,
                        issued_on=date.today(),
                        due_on=date.today() + timedelta(days=30),
                        subtotal_cents=25_000,
                        total_cents=25_000,
                    )
                    for n in numbers
                ],
            ).scalars()
            session.execute(
                sa.insert(InvoiceReminder),
                [
                    dict(
                        business_id=business.id,
                        invoice_id=invoice_id,
                        to_address=f"+1512{n:07d}",
                        first_text_at=now,
                        next_reminder_at=now + timedelta(minutes=5 + n % 20_000),
                    )
                    for invoice_id, n in zip(ids, numbers, strict=True)
                ],
            )
            session.commit()
        session.execute(sa.text("ANALYZE"))
        session.commit()


def _make_due(engine, count: int) -> None:
    """Bring the `count` soonest plans to now, as the clock would."""
    with Session(engine) as session:
        soonest = (
            sa.select(InvoiceReminder.id)
            .where(InvoiceReminder.next_reminder_at.is_not(None))
            .order_by(InvoiceReminder.next_reminder_at)
            .limit(count)
            .scalar_subquery()
        )
        session.execute(
            sa.update(InvoiceReminder)
            .where(InvoiceReminder.id.in_(soonest))
            .values(next_reminder_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()


def _timed_pass(engine, limit: int) -> tuple[float, int]:
    started = time.perf_counter()
    queued = reminders.ReminderScheduler(engine).run_once(limit)
    return time.perf_counter() - started, queued


def _plan(engine) -> str:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "EXPLAIN SELECT id FROM invoice_reminder WHERE next_reminder_at <= now() "
                "ORDER BY next_reminder_at LIMIT 200 FOR UPDATE SKIP LOCKED"
            )
        ).all()
    return "\n".join("    " + row[0] for row in rows)


def main() -> None:
    arguments = _arguments()
    with fresh_database("smslinks_bench_reminders") as url:
        upgrade_to_head(url)
        engine = make_engine(url)
        started = time.perf_counter()
        _seed(engine, arguments.invoices)
        print(
            f"seeded {arguments.invoices:,} open invoices with reminder plans in {time.perf_counter() - started:.1f} s"
        )
        idle = [_timed_pass(engine, arguments.due)[0] for _ in range(arguments.rounds)]
        busy = []
        for _ in range(arguments.rounds):
            _make_due(engine, arguments.due)
            seconds, queued = _timed_pass(engine, arguments.due)
            assert queued == arguments.due, f"queued {queued}, expected {arguments.due}"
            busy.append(seconds)
        print(f"pass with nothing due:          median {statistics.median(idle) * 1000:8.1f} ms")
        print(
            f"pass queuing {arguments.due} reminders:   median {statistics.median(busy) * 1000:8.1f} ms "
            f"({statistics.median(busy) / arguments.due * 1000:.2f} ms per reminder)"
        )
        print("how due plans are found:\n" + _plan(engine))
        engine.dispose()


if __name__ == "__main__":
    main()
