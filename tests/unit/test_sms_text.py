import pytest

from smslinks.core.sms_text import Encoding, PayBy, invoice_text, segment_info

LINK = "https://pay.example.com/pay/AbCdEfGhIjKlMnOpQrStUv"


def test_card_text_has_business_invoice_amount_link_and_opt_out():
    text = invoice_text("Lone Star Heating & Air", "10138", 33207, LINK, PayBy.CARD)
    assert text == (
        "Lone Star Heating & Air: invoice #10138 for $332.07 is ready. "
        f"Pay securely by card: {LINK} Reply STOP to opt out."
    )


def test_ach_text_names_the_bank_account():
    text = invoice_text("Lone Star Heating & Air", "10138", 33207, LINK + "?m=ach", PayBy.ACH)
    assert "Pay from your bank account (ACH): " + LINK + "?m=ach" in text


def test_typical_text_fits_two_segments():
    info = segment_info(invoice_text("Lone Star Heating & Air", "10138", 123456, LINK, PayBy.ACH))
    assert info.encoding is Encoding.GSM7
    assert info.segments <= 2


@pytest.mark.parametrize(
    "text, encoding, characters, segments",
    [
        ("", Encoding.GSM7, 0, 0),
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        ("€" * 80, Encoding.GSM7, 160, 1),  # extension characters take two septets
        ("€" * 81, Encoding.GSM7, 162, 2),
        ("[]" * 40 + "a", Encoding.GSM7, 161, 2),
        ("é" * 160, Encoding.GSM7, 160, 1),  # é is in the basic GSM-7 set
        ("ñ" * 70, Encoding.GSM7, 70, 1),
        ("ç" * 70, Encoding.UCS2, 70, 1),  # only capital Ç is GSM-7
        ("ç" * 71, Encoding.UCS2, 71, 2),
        ("ç" * 134, Encoding.UCS2, 134, 2),
        ("ç" * 135, Encoding.UCS2, 135, 3),
        ("🔥" * 35, Encoding.UCS2, 70, 1),  # an emoji is two UTF-16 code units
    ],
)
def test_segment_counting(text, encoding, characters, segments):
    info = segment_info(text)
    assert (info.encoding, info.characters, info.segments) == (encoding, characters, segments)


def test_unicode_business_name_switches_the_whole_text_to_ucs2():
    text = invoice_text("Café Łódź Plumbing", "77", 5000, LINK, PayBy.CARD)
    info = segment_info(text)
    assert info.encoding is Encoding.UCS2
    assert info.segments == -(-len(text) // 67)
    assert info.describe() == f"{len(text)} characters · UCS-2 · {info.segments} SMS segments"
