"""CSV import throughput on PostgreSQL: rows/s for the preview, the import and a second import of
the same file (which changes nothing).

    .venv/bin/python -m bench.csv_import [--invoices 2000] [--lines 2] [--invoices-per-customer 2] [--import-only]

Builds a throwaway database and a file in memory (each customer with a phone, an email and a
service location; each invoice open with its lines), then times core.imports — the function the
Import page and `smslinks import` call — end to end: parsing, every rule of the office, batches
of 100 rows each in its own transaction.
"""

import argparse
import csv
import io
import time
from datetime import date, timedelta

from sqlmodel import Session, func, select

from smslinks.core import imports
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import Customer, Invoice, InvoiceLine
from tests import factories
from tests.databases import fresh_database


def make_file(invoices: int, lines: int, per_customer: int) -> bytes:
    due = (date.today() + timedelta(days=30)).isoformat()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(imports.COLUMN_NAMES)
    for number in range(invoices):
        customer = number // per_customer
        first_of_customer = number % per_customer == 0
        for line in range(lines):
            cells = dict(
                customer_external_id=f"C-{customer}",
                invoice_external_id=f"I-{number}",
                line_description=f"Line {line + 1}",
                quantity="1",
                unit_price=f"{50 + line}.25",
            )
            if line == 0:
                cells.update(kind="job", status="open", due_on=due, tax="4.10", location_external_id=f"L-{customer}")
            if first_of_customer and line == 0:
                cells.update(
                    customer_name=f"Customer {customer}",
                    email=f"c{customer}@example.com",
                    phone=f"(512) {200 + customer // 10_000:03d}-{customer % 10_000:04d}",
                    phone_type="Mobile",
                    address_line1=f"{customer} Main St",
                    city="Austin",
                    state="TX",
                    postal_code="78701",
                )
            writer.writerow([cells.get(name, "") for name in imports.COLUMN_NAMES])
    return out.getvalue().encode()


def timed_run(engine, employee_id: int, data: bytes, *, write: bool) -> tuple[float, imports.Outcome]:
    started = time.perf_counter()
    parsed = imports.parse(data)
    with Session(engine, expire_on_commit=False) as session:
        *_, outcome = imports.run(session, employee_id, parsed, write=write)  # the last report is the summary
    return time.perf_counter() - started, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=2_000)
    parser.add_argument("--lines", type=int, default=2, help="lines (rows) per invoice")
    parser.add_argument("--invoices-per-customer", type=int, default=2)
    parser.add_argument(
        "--import-only", action="store_true", help="time the import alone (no preview, no second run): for 100,000"
    )
    args = parser.parse_args()
    data = make_file(args.invoices, args.lines, args.invoices_per_customer)
    rows = args.invoices * args.lines
    print(f"{args.invoices:,} invoices, {rows:,} rows, {len(data) / 1e6:.1f} MB")
    started = time.perf_counter()
    parsed = imports.parse(data)
    parse_seconds = time.perf_counter() - started
    assert not parsed.errors, parsed.errors[:3]
    print(f"  parse only: {parse_seconds:.2f} s ({rows / parse_seconds:,.0f} rows/s)")
    with fresh_database("smslinks_bench_csv") as url:
        upgrade_to_head(url)
        engine = make_engine(url)
        with Session(engine) as session:
            business = factories.business(session)
            employee_id = factories.employee(session, business, "Administrator").id
            session.commit()
        print(f"\n{'run':<34}{'seconds':>9}{'rows/s':>9}{'invoices/s':>12}")
        runs = [("preview (all rolled back)", False), ("import", True), ("same file again (no change)", True)]
        for label, write in runs[1:2] if args.import_only else runs:
            seconds, outcome = timed_run(engine, employee_id, data, write=write)
            assert not outcome.errors, outcome.errors[:3]
            print(f"{label:<34}{seconds:>9.1f}{rows / seconds:>9,.0f}{args.invoices / seconds:>12,.0f}")
        with Session(engine) as session:
            counts = [
                session.exec(select(func.count()).select_from(model)).one()
                for model in (Customer, Invoice, InvoiceLine)
            ]
        print(f"\nin the database: {counts[0]:,} customers, {counts[1]:,} invoices, {counts[2]:,} lines")
        assert counts[1:] == [args.invoices, rows]
        engine.dispose()


if __name__ == "__main__":
    main()
