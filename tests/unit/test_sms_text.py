import pytest

from smslinks.core.sms_text import Encoding, PayBy, invoice_text, segment_info, smart_encode
from smslinks.providers.twilio_sms import twiml_reply

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
        ("", Encoding.GSM7, 0, 1),  # as Twilio's calculator counts it (Twilio refuses an empty body)
        ("a" * 159, Encoding.GSM7, 159, 1),
        ("a" * 160, Encoding.GSM7, 160, 1),
        ("a" * 161, Encoding.GSM7, 161, 2),  # then 153 septets a segment, beside its header
        ("a" * 306, Encoding.GSM7, 306, 2),
        ("a" * 307, Encoding.GSM7, 307, 3),
        ("€" * 80, Encoding.GSM7, 160, 1),  # extension characters take two septets
        ("€" * 81, Encoding.GSM7, 162, 2),
        ("[]" * 40 + "a", Encoding.GSM7, 161, 2),
        ("a" * 152 + "€" + "a" * 152, Encoding.GSM7, 306, 3),  # € would straddle septets 153-154: moves on
        ("a" * 151 + "€" + "a" * 153, Encoding.GSM7, 306, 2),  # fits whole in 152-153
        ("a" * 152 + "\r\n" + "a" * 152, Encoding.GSM7, 306, 2),  # CR and LF are two characters: split
        ("é" * 160, Encoding.GSM7, 160, 1),  # é is in the basic GSM-7 set
        ("ñ" * 70, Encoding.GSM7, 70, 1),
        ("ç" * 69, Encoding.UCS2, 69, 1),  # only capital Ç is GSM-7
        ("ç" * 70, Encoding.UCS2, 70, 1),
        ("ç" * 71, Encoding.UCS2, 71, 2),
        ("ç" * 134, Encoding.UCS2, 134, 2),
        ("ç" * 135, Encoding.UCS2, 135, 3),
        ("ç" + "€" * 69, Encoding.UCS2, 70, 1),  # in UCS-2 an extension character is one code unit
        ("🔥" * 35, Encoding.UCS2, 35, 1),  # an emoji is one character of two UTF-16 code units
        ("🔥" * 36, Encoding.UCS2, 36, 2),
        ("ç" * 66 + "🔥" + "ç" * 66, Encoding.UCS2, 133, 3),  # the emoji would straddle units 67-68: moves on
        ("ç" * 65 + "🔥" + "ç" * 67, Encoding.UCS2, 133, 2),
        ("👍🏽" * 17 + "ç" * 2, Encoding.UCS2, 19, 1),  # skin tone: one character, four code units
        ("🇺🇸" * 17 + "ç" * 3, Encoding.UCS2, 20, 2),  # a flag: one character, four code units
        ("e\u0301" * 35, Encoding.UCS2, 35, 1),  # a combining accent belongs to its letter
        ("ç\r\n", Encoding.UCS2, 3, 1),
    ],
)
def test_segment_counting(text, encoding, characters, segments):
    info = segment_info(text)
    assert (info.encoding, info.characters, info.segments) == (encoding, characters, segments)


def test_describe_reads_characters_encoding_and_segments():
    assert segment_info("a" * 148).describe() == "148 characters · GSM-7 · 1 SMS segment"
    assert segment_info("🔥" * 36).describe() == "36 characters · UCS-2 · 2 SMS segments"


@pytest.mark.parametrize(
    "text, encoded",
    [
        ("Joe’s Plumbing", "Joe's Plumbing"),
        ("“Best” Electric — 24/7 – call… now", '"Best" Electric - 24/7 - call... now'),
        ("O’Brien\u00a0&\u202fSons\u200b\ttoday", "O'Brien & Sons today"),  # one space each; zero-width goes
        ("½ off ＡＢＣ ｛１２｝", "1/2 off ABC {12}"),
        ("Café Łódź 🔥 ç", "Café Łódź 🔥 ç"),  # no GSM-7 lookalike: left for UCS-2
    ],
)
def test_smart_encode_swaps_lookalikes_for_gsm7(text, encoded):
    assert smart_encode(text) == encoded
    assert smart_encode(encoded) == encoded


def test_curly_quotes_in_a_business_name_keep_the_text_gsm7_and_one_segment():
    text = invoice_text("Joe’s “Best” Plumbing", "10138", 33207, LINK, PayBy.CARD)
    assert text.startswith('Joe\'s "Best" Plumbing: invoice #10138')
    assert segment_info(text).describe() == "155 characters · GSM-7 · 1 SMS segment"
    unencoded = text.replace('Joe\'s "Best"', "Joe’s “Best”")
    assert segment_info(unencoded).describe() == "155 characters · UCS-2 · 3 SMS segments"


@pytest.mark.parametrize(
    "name, pay_by, characters, encoding, segments",
    [
        ("Lone Star Heating & Air", PayBy.CARD, 157, Encoding.GSM7, 1),
        ("Lone Star Heating & Air", PayBy.ACH, 175, Encoding.GSM7, 2),
        ("Brothers {Pipe} & Drain", PayBy.CARD, 159, Encoding.GSM7, 1),  # braces take two septets each
        ("Señor Frío HVAC", PayBy.CARD, 149, Encoding.UCS2, 3),  # í is not GSM-7 (ì is)
        ("🔥 Hot Water Pros", PayBy.CARD, 150, Encoding.UCS2, 3),
    ],
)
def test_rendered_invoice_texts(name, pay_by, characters, encoding, segments):
    link = LINK + ("?m=ach" if pay_by is PayBy.ACH else "")
    info = segment_info(invoice_text(name, "10138", 33207, link, pay_by))
    assert (info.characters, info.encoding, info.segments) == (characters, encoding, segments)


def test_help_reply_goes_out_smart_encoded():
    reply = twiml_reply("Joe’s Plumbing: invoice texts… Reply STOP to stop.")
    assert "<Message>Joe's Plumbing: invoice texts... Reply STOP to stop.</Message>" in reply


def test_unicode_business_name_switches_the_whole_text_to_ucs2():
    text = invoice_text("Café Łódź Plumbing", "77", 5000, LINK, PayBy.CARD)
    info = segment_info(text)
    assert info.encoding is Encoding.UCS2
    assert info.segments == -(-len(text) // 67)
    assert info.describe() == f"{len(text)} characters · UCS-2 · {info.segments} SMS segments"
