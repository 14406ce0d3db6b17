"""`smslinks export` and `smslinks import` run as real processes against PostgreSQL: the files they
write and read, their exit codes, and a second import that changes nothing."""

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from smslinks.core import audit, imports
from smslinks.core.exports import MESSAGE_COLUMNS, PAYMENT_COLUMNS
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import (
    AuditEvent,
    Customer,
    Invoice,
    InvoiceLine,
    MessageStatusEvent,
    OutboundMessage,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PhoneNumber,
)
from tests import factories
from tests.databases import fresh_database

DUE = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture(scope="module")
def database_url():
    with fresh_database("smslinks_csv") as url:
        upgrade_to_head(url)
        yield url


@pytest.fixture(scope="module")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def business(engine):
    """A Chicago business with an administrator, an invoice, a payment that settled and a text."""
    with Session(engine, expire_on_commit=False) as session:
        business = factories.business(session, time_zone="America/Chicago")
        factories.employee(session, business, "Administrator", email="ada@example.com", name="Ada Admin")
        factories.employee(session, business, "Technician", email="tech@example.com")
        invoice = factories.invoice(
            session,
            factories.location(session, factories.customer(session, business, "Maria Garcia")),
            number="7001",
            total_cents=12_500,
        )
        payment = Payment(
            invoice_id=invoice.id,
            amount_cents=12_500,
            method=PaymentMethod.ACH,
            status=PaymentStatus.SUCCEEDED,
            created_at=datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
        )
        session.add(payment)
        session.flush()
        audit.record(session, "payment.succeeded", "payment", payment.id, business_id=business.id).at = datetime(
            2026, 11, 5, 15, 0, tzinfo=UTC
        )
        message = OutboundMessage(
            business_id=business.id,
            invoice_id=invoice.id,
            channel="sms",
            to_address="+15125550134",
            body="Pay here",
            status="failed",
            failure_reason="=cmd|' /C calc'!A0",
            created_at=datetime(2026, 11, 3, 16, 0, tzinfo=UTC),
            updated_at=datetime(2026, 11, 3, 16, 0, 5, tzinfo=UTC),
        )
        session.add(message)
        session.flush()
        session.add(MessageStatusEvent(message_id=message.id, status="failed", at=message.updated_at))
        session.commit()
        return business


def smslinks(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "smslinks.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_export_payments_to_a_file(database_url, business, tmp_path):
    path = tmp_path / "payments.csv"
    result = smslinks(
        database_url, "export", "payments", "--from", "2026-11-01", "--to", "2026-11-30", "--output", str(path)
    )
    assert result.returncode == 0, result.stderr
    assert f"Wrote 1 payments to {path}." in result.stderr
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # spreadsheets read UTF-8 by its mark
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows == [
        list(PAYMENT_COLUMNS),
        [
            "7001",
            "Maria Garcia",
            "ACH",
            "",
            "125.00",
            "",
            "",
            "",
            "",
            "",
            "Succeeded",
            "2026-11-02T09:00:00-06:00",
            "2026-11-05T09:00:00-06:00",
            "",
            "",
            "",
        ],
    ]


def test_export_messages_to_standard_output(database_url, business, engine):
    result = smslinks(database_url, "export", "messages", "--from", "2026-11-03", "--to", "2026-11-03")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [
        list(MESSAGE_COLUMNS),
        [
            "7001",
            "Maria Garcia",
            "(512) 555-0134",
            "SMS",
            "Failed",
            "2026-11-03T10:00:00-06:00",
            "",
            "",
            "2026-11-03T10:00:05-06:00",
            "",
            "'=cmd|' /C calc'!A0",
            "",
        ],
    ]
    with Session(engine) as session:
        assert session.exec(select(func.count()).where(AuditEvent.action == "export.messages")).one() == 1


def test_export_outside_the_range_has_only_the_header(database_url, business):
    result = smslinks(database_url, "export", "payments", "--from", "2026-11-03", "--to", "2026-11-30")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [",".join(PAYMENT_COLUMNS)]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2026-11-30", "--to", "2026-11-01"], "To: the last day comes before the first."),
        (["--from", "Nov 1", "--to", "2026-11-30"], "From: enter a date as YYYY-MM-DD."),
        (["--from", "2026-11-01", "--to", "2026-11-30", "--output", "/nonexistent/dir/x.csv"], "Could not write"),
    ],
)
def test_export_with_bad_input_exits_2(database_url, business, args, message):
    result = smslinks(database_url, "export", "payments", *args)
    assert result.returncode == 2
    assert message in result.stderr


def _write(path, *rows) -> str:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(imports.COLUMN_NAMES)
        for cells in rows:
            writer.writerow([cells.get(name, "") for name in imports.COLUMN_NAMES])
    return str(path)


def _counts(engine) -> tuple[int, int, int, int]:
    with Session(engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (Customer, PhoneNumber, Invoice, InvoiceLine)
        )


def test_import_exit_codes_and_a_second_run_that_changes_nothing(database_url, business, engine, tmp_path):
    good = dict(
        customer_external_id="C-1",
        customer_name="Lee Park",
        phone="(512) 555-0140",
        location_external_id="L-1",
        address_line1="1 Oak St",
        city="Austin",
        state="TX",
        postal_code="78701",
        invoice_external_id="I-1",
        due_on=DUE,
        line_description="Repair",
        quantity="1",
        unit_price="90.00",
    )
    second_line = dict(
        customer_external_id="C-1", invoice_external_id="I-1", line_description="Part", quantity="2", unit_price="5.50"
    )
    bad = dict(customer_external_id="C-2", customer_name="Kim Bad", phone="(512) 555-01")
    path = _write(tmp_path / "customers.csv", good, second_line, bad)
    before = _counts(engine)

    dry = smslinks(database_url, "import", path, "--dry-run")
    assert dry.returncode == 1, dry.stderr
    assert "Dry run, nothing written. 3 rows: 2 would be imported, 1 have errors." in dry.stdout
    assert _counts(engine) == before

    errors_path = tmp_path / "errors.csv"
    first = smslinks(database_url, "import", path, "--errors-csv", str(errors_path))
    assert first.returncode == 1, first.stderr
    assert "Importing as Ada Admin <ada@example.com>" in first.stdout
    assert "3 rows: 2 imported, 1 with errors." in first.stdout
    assert "│ 4   │ phone" in first.stdout
    errors = list(csv.reader(io.StringIO(errors_path.read_text())))
    assert errors[0] == ["row", "column", "error"] and errors[1][:2] == ["4", "phone"]
    assert _counts(engine) == (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 2)
    with Session(engine) as session:
        invoice = session.exec(select(Invoice).where(Invoice.external_id == "I-1")).one()
        assert (invoice.status, invoice.total_cents) == ("open", 10_100)
        number = invoice.number

    again = smslinks(database_url, "import", _write(tmp_path / "good.csv", good, second_line))
    assert again.returncode == 0, again.stderr
    assert "2 rows: 2 imported, 0 with errors." in again.stdout
    assert "│ customers │       0 │       0 │         1 │" in again.stdout
    assert _counts(engine) == (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 2)
    with Session(engine) as session:
        assert session.exec(select(Invoice.number).where(Invoice.external_id == "I-1")).one() == number
        assert session.exec(select(func.count()).where(AuditEvent.action == "import.csv")).one() == 2


@pytest.mark.parametrize(
    "content, args, message",
    [
        (b"name,phone\nMaria,5125550104\n", (), "Unknown column"),
        (b"", (), "The file is empty."),
        (None, (), "Could not read"),
        (b"customer_external_id\nC-1\n", ("--as", "tech@example.com"), 'You need the "Manage customers" permission'),
        (
            b"customer_external_id\nC-1\n",
            ("--as", "nobody@example.com"),
            "No employee with the email nobody@example.com",
        ),
    ],
)
def test_import_of_an_unusable_file_exits_2(database_url, business, engine, tmp_path, content, args, message):
    path = tmp_path / "upload.csv"
    if content is not None:
        path.write_bytes(content)
    before = _counts(engine)
    result = smslinks(database_url, "import", str(path), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert _counts(engine) == before


def test_streamed_export_of_many_payments(database_url, business, engine, tmp_path):
    """More rows than one fetch (the server-side cursor hands them over in batches)."""
    with Session(engine) as session:
        invoice_id = session.exec(select(Invoice.id).where(Invoice.number == "7001")).one()
        start = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
        session.add_all(
            [
                Payment(
                    invoice_id=invoice_id,
                    amount_cents=100 + n,
                    method=PaymentMethod.CARD,
                    status=PaymentStatus.SUCCEEDED,
                    created_at=start + timedelta(seconds=n),
                )
                for n in range(2_500)
            ]
        )
        session.commit()
    path = tmp_path / "october.csv"
    result = smslinks(
        database_url, "export", "payments", "--from", "2026-10-01", "--to", "2026-10-31", "--output", str(path)
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))[1:]
    assert len(rows) == 2_500
    assert [row[4] for row in rows[:2]] == ["1.00", "1.01"] and rows[-1][4] == "25.99"
