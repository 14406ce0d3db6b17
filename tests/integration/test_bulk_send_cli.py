"""`smslinks invoices send-links` run as a real process against PostgreSQL: counts, skip reasons,
and a second run that texts nobody again."""

import os
import subprocess
import sys

import pytest
from sqlmodel import Session, func, select

from smslinks.core import accounts, bulk_send, consent, sending
from smslinks.core.permissions import Permission
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import (
    Business,
    Employee,
    InvoiceKind,
    InvoiceStatus,
    OutboundMessage,
    PhoneNumber,
    PhoneType,
)
from tests import factories
from tests.databases import fresh_database

OPEN_TEXTABLE = 24


@pytest.fixture(scope="module")
def database_url():
    with fresh_database("smslinks_bulk") as url:
        upgrade_to_head(url)
        yield url


@pytest.fixture(scope="module")
def office(database_url):
    """30 invoices: 24 that can be texted and one of each kind that cannot; returns what the test
    needs to know (emails, invoice numbers by case)."""
    engine = make_engine(database_url)
    cases: dict[str, list[str]] = {"textable": [], "skipped": {}}
    with Session(engine, expire_on_commit=False) as session:
        business = factories.business(session)
        settings = accounts.payment_settings(session, business.id)
        settings.sms_links_enabled = settings.office_sms_enabled = True
        factories.employee(session, business, email="olivia@example.com")  # the sender
        no_permission = factories.employee(session, business, email="nopermission@example.com")
        accounts.change_permission(session, no_permission, Permission.SEND_INVOICE_SMS, False, by=None)
        zone = factories.zone_where_local_hour_is(12)  # midday there: no quiet hours

        def invoice_with_phone(phone_type=PhoneType.MOBILE, **kwargs):
            customer = factories.customer(session, business)
            location = factories.location(session, customer, time_zone=zone)
            factories.phone(
                session,
                f"+1512300{len(cases['textable']) + 100 * len(cases['skipped']):04d}",
                customer=customer,
                type=phone_type,
            )
            return factories.invoice(session, location, **kwargs)

        for _ in range(OPEN_TEXTABLE):
            cases["textable"].append(invoice_with_phone().number)
        skipped = cases["skipped"]
        skipped[sending.PAID] = invoice_with_phone(status=InvoiceStatus.PAID).number
        skipped[sending.DRAFT] = invoice_with_phone(status=InvoiceStatus.DRAFT).number
        skipped[sending.TEXT_KIND_UNAVAILABLE] = invoice_with_phone(kind=InvoiceKind.MEMBERSHIP).number
        skipped[bulk_send.NO_MOBILE] = invoice_with_phone(phone_type=PhoneType.HOME).number
        opted_out = invoice_with_phone()
        consent.opt_out(session, business.id, _mobile_of(session, opted_out), 'reply "STOP"')
        skipped["opted out"] = opted_out.number
        skipped[bulk_send.NO_SUCH_INVOICE] = "99999999"
        session.commit()
    engine.dispose()
    return cases


def _mobile_of(session, invoice) -> str:
    return session.exec(select(PhoneNumber.e164).where(PhoneNumber.customer_id == invoice.customer_id)).one()


def run_cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "smslinks.cli", "invoices", "send-links", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def outbox_count(database_url: str) -> int:
    engine = make_engine(database_url)
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(OutboundMessage)).one()
    engine.dispose()
    return count


def test_bulk_send_counts_skips_with_reasons_and_a_rerun_sends_nothing(database_url, office, tmp_path):
    numbers = [*office["textable"], *office["skipped"].values()]
    assert len(numbers) == 30
    csv_path = tmp_path / "skipped.csv"
    partial = run_cli(
        database_url, "--as", "olivia@example.com", "--invoice-numbers", ",".join(numbers), "--limit", "10"
    )
    assert partial.returncode == 0, partial.stderr
    assert "10 invoices: 10 texted, 0 skipped" in partial.stdout
    # As after an interruption: the whole list again texts only the invoices not texted yet.
    first = run_cli(
        database_url,
        "--as",
        "olivia@example.com",
        "--invoice-numbers",
        ",".join(numbers),
        "--skipped-csv",
        str(csv_path),
    )
    assert first.returncode == 0, first.stderr
    assert f"30 invoices: {OPEN_TEXTABLE - 10} texted, 16 skipped" in first.stdout
    assert outbox_count(database_url) == OPEN_TEXTABLE
    reasons = dict(line.split(",", 1) for line in csv_path.read_text().splitlines()[1:])
    assert [number for number in office["textable"][:10] if reasons[number] == bulk_send.ALREADY_TEXTED]
    skipped = office["skipped"]
    for reason in (
        sending.PAID,
        sending.DRAFT,
        sending.TEXT_KIND_UNAVAILABLE,
        bulk_send.NO_MOBILE,
        bulk_send.NO_SUCH_INVOICE,
    ):
        assert reasons[skipped[reason]].strip('"') == reason
    assert "opted out of texts" in reasons[skipped["opted out"]]

    again = run_cli(database_url, "--as", "olivia@example.com", "--invoice-numbers", ",".join(numbers))
    assert again.returncode == 0, again.stderr
    assert "30 invoices: 0 texted, 30 skipped" in again.stdout
    assert bulk_send.ALREADY_TEXTED[:40] in again.stdout
    assert outbox_count(database_url) == OPEN_TEXTABLE


def test_status_selection_and_limit(database_url, office):
    """--status open --limit picks the oldest open invoices; those texted already are skipped."""
    result = run_cli(database_url, "--as", "olivia@example.com", "--status", "open", "--limit", "5")
    assert result.returncode == 0, result.stderr
    assert "5 invoices: 0 texted, 5 skipped" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--as", "nobody@example.com", "--status", "open"], "No employee with the email nobody@example.com"),
        (["--as", "nopermission@example.com", "--status", "open"], sending.NEEDS_SMS_PERMISSION),
        (["--as", "olivia@example.com"], "choose invoices with --status, --invoice-numbers or --from-file"),
        (["--as", "olivia@example.com", "--from-file", "/nonexistent/numbers.txt"], "Could not read"),
    ],
)
def test_bad_input_exits_non_zero_with_a_clear_message(database_url, office, args, message):
    result = run_cli(database_url, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_c_rolls_back_the_invoice_in_hand_and_a_rerun_finishes(database_url, office, monkeypatch, capsys):
    from smslinks import cli, db
    from smslinks.config import get_settings

    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        business_id = session.exec(select(Employee.business_id).where(Employee.email == "olivia@example.com")).one()
        numbers = []
        for n in range(3):
            customer = factories.customer(session, session.get(Business, business_id))
            location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(12))
            factories.phone(session, f"+1512301{n:04d}", customer=customer)
            numbers.append(factories.invoice(session, location).number)
        session.commit()
    before = outbox_count(database_url)
    real_send = sending.send_invoice_text
    calls = []

    def send_then_ctrl_c_on_the_second(*args, **kwargs):
        result = real_send(*args, **kwargs)  # written (flushed) but not committed yet
        calls.append(result)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return result

    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    monkeypatch.setattr(sending, "send_invoice_text", send_then_ctrl_c_on_the_second)
    try:
        with pytest.raises(SystemExit) as stopped:
            cli.main(["invoices", "send-links", "--as", "olivia@example.com", "--invoice-numbers", ",".join(numbers)])
        assert stopped.value.code == 130
        assert "1 invoices: 1 texted, 0 skipped (2 not reached)" in capsys.readouterr().out
        assert outbox_count(database_url) == before + 1  # the second invoice's rows were rolled back
    finally:
        db.get_engine().dispose()
        db.get_engine.cache_clear()
        get_settings.cache_clear()
        engine.dispose()
    again = run_cli(database_url, "--as", "olivia@example.com", "--invoice-numbers", ",".join(numbers))
    assert "3 invoices: 2 texted, 1 skipped" in again.stdout
    assert outbox_count(database_url) == before + 3
