"""Names reach customers' phones inside our texts: none may bring control characters, line breaks or
bidirectional overrides with it (U+202E would show the link and the words after it reversed)."""

import pytest

from smslinks.core import email_text, inbound, pay_text, reminders, replies, sms_text
from smslinks.core.sms_text import PayBy, plain_name
from smslinks.models import Business

HOSTILE = "Acme\u202e Heating\u200f\r\nFREE MONEY\x07  \u2028Co\u2066."
SHOWN = "Acme Heating FREE MONEY Co."
UNWANTED = ["\u202e", "\u200f", "\u2066", "\r", "\n", "\x07", "\u2028"]


@pytest.mark.parametrize(
    ("name", "plain"),
    [
        (HOSTILE, SHOWN),
        ("\u202eevil.com/pay", "evil.com/pay"),
        ("Line\rone\nTwo\tthree", "Line one Two three"),
        ("  Garcia\x00 & Sons\x1b[31m ", "Garcia & Sons [31m"),
        ("Café Plomería", "Café Plomería"),  # letters and accents stay
        ("Family 👨\u200d👩\u200d👧 HVAC", "Family 👨\u200d👩\u200d👧 HVAC"),  # the joiner inside an emoji stays
        ("", ""),
    ],
)
def test_plain_name(name, plain):
    assert plain_name(name) == plain


def _texts(name: str) -> list[str]:
    business = Business(name=name, phone="+15125550100", email="office@example.com")
    return [
        sms_text.invoice_text(name, "1001", 12_000, "https://pay.example.com/pay/abc", PayBy.CARD),
        reminders.reminder_text(name, "1001", 12_000, "https://pay.example.com/pay/abc"),
        replies.answer_body(name, "On our way"),
        inbound.signed(name, inbound.OPTED_OUT),
        inbound.help_text(business),
        pay_text.receipt_sms("en", business=name, number="1001", amount_cents=12_000, balance_cents=0),
        email_text.invoice_email(
            business_name=name,
            business_phone=None,
            customer_name=f"Pat{HOSTILE}",
            invoice_number="1001",
            amount_due_cents=12_000,
            link="https://pay.example.com/pay/abc",
            pay_by=PayBy.CARD,
            valid_days=30,
        ).subject,
    ]


def test_every_text_that_carries_a_name_carries_it_plain():
    for text in _texts(HOSTILE):
        assert not [char for char in UNWANTED if char in text], text
        assert "Acme Heating FREE MONEY Co." in text or "Acme Heating FREE MONEY Co" in text
