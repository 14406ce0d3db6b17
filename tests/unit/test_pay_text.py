import re
from datetime import date

import pytest

from smslinks.core import pay_text, sms_text
from smslinks.core.sms_text import PayBy


def test_every_string_exists_in_both_languages_with_the_same_placeholders():
    english, spanish = pay_text.TEXT["en"], pay_text.TEXT["es"]
    assert english.keys() == spanish.keys()
    for key in english:
        assert set(re.findall(r"\{(\w+)\}", english[key])) == set(re.findall(r"\{(\w+)\}", spanish[key])), key
        assert spanish[key] != english[key] or key in {"tab_ach", "subtotal", "total"}, key


def test_the_tabs_promise_what_the_text_message_promised():
    for pay_by, key in ((PayBy.CARD, "card_intro"), (PayBy.ACH, "ach_intro")):
        message = sms_text.invoice_text("Biz", "1", 100, "https://x/pay/t", pay_by)
        assert f"{pay_text.t('en', key)}: https://x/pay/t" in message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("fr-FR,es;q=0.5,en;q=0.4", "es"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
        ("es;q=0, en", "en"),
        ("es;q=bad", "en"),
    ],
)
def test_language_comes_from_accept_language(header, expected):
    assert pay_text.choose_language(header) == expected


def test_spanish_dates_receipts_and_decline_messages():
    assert pay_text.day("es", date(2026, 11, 24)) == "24 nov 2026"
    assert pay_text.day("en", date(2026, 11, 24)) == "Nov 24, 2026"
    text = pay_text.receipt_sms("es", business="Biz", number="7", amount_cents=1050, balance_cents=0)
    assert (
        text
        == "Biz: recibimos su pago de $10.50 de la factura #7. Saldo: $0.00. ¡Gracias! Responda STOP para no recibir mensajes."
    )
    assert pay_text.decline_message("es", "insufficient_funds", "Your card has insufficient funds.") == (
        "Su tarjeta no tiene fondos suficientes."
    )
    assert pay_text.decline_message("en", "insufficient_funds", "Your card has insufficient funds.") == (
        "Your card has insufficient funds."
    )
    assert pay_text.decline_message("es", "odd_code", "Stripe said so.") == "Stripe said so."


def test_the_mandate_names_business_amount_invoice_and_how_to_revoke():
    text = pay_text.mandate_text(
        "en", business="Biz", phone="(512) 555-0100", amount_cents=12_345, number="42", on=date(2026, 11, 24)
    )
    for part in ("Biz", "$123.45", "#42", "Nov 24, 2026", "(512) 555-0100", "4 business days"):
        assert part in text
