"""Mandates, receipts and the pay page name the business's calendar day, not UTC's: at 7 PM in
Chicago on Dec 3 it is already Dec 4 in UTC, and a customer's papers must still say Dec 3."""

from datetime import UTC, datetime

from sqlmodel import select

from smslinks.core import consent, display, payments, receipts
from smslinks.models import AchMandate, OutboundMessage, Payment
from tests.unit.test_payments import _connect_bank, _pay_bank, paying, stripe  # noqa: F401 (fixtures)

# 7 PM Central Standard Time on Thursday, Dec 3, 2026.
EVENING = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)


def test_the_business_day_at_7_pm_in_chicago_is_still_dec_3():
    assert display.local_day(EVENING, "America/Chicago").isoformat() == "2026-12-03"


def test_an_ach_mandate_accepted_at_7_pm_central_is_dated_dec_3(session, stripe, paying, monkeypatch):  # noqa: F811
    business, _invoice, _link, token = paying
    assert business.time_zone == "America/Chicago"
    monkeypatch.setattr(payments, "utcnow", lambda: EVENING)
    _connect_bank(session, stripe, token)
    _pay_bank(session, stripe, token)
    mandate = session.exec(select(AchMandate)).one()
    assert "Dec 3, 2026" in mandate.text and "Dec 4" not in mandate.text


def test_an_emailed_receipt_for_a_payment_at_7_pm_central_is_dated_dec_3(session, paying):  # noqa: F811
    business, invoice, link, _token = paying
    consent.opt_out(session, business.id, "+15125550134", 'reply "STOP"')  # so the receipt goes by email
    payment = Payment(
        invoice_id=invoice.id,
        amount_cents=25_000,
        method="card",
        status="succeeded",
        payment_link_id=link.id,
        updated_at=EVENING,
    )
    session.add(payment)
    session.flush()
    assert receipts.send(session, invoice, payment, language="en") == "email"
    receipt = session.exec(select(OutboundMessage).where(OutboundMessage.channel == "email")).one()
    assert "Dec 3, 2026" in receipt.body and "Dec 4" not in receipt.body
