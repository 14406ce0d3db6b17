"""core/phones.parse: only numbers that can receive our texts, each refusal with its own reason."""

import pytest

from smslinks.core import phones


@pytest.mark.parametrize(
    "typed, e164",
    [
        ("(512) 555-0108", "+15125550108"),  # the demo's and tests' 555-01XX numbers
        ("512-555-0199", "+15125550199"),
        ("+1 212 555 1212", "+12125551212"),
        ("416-555-0100", "+14165550100"),  # Canada
        ("  512.555.0134  ", "+15125550134"),
        ("512-555-0100 x", "+15125550100"),  # an "x" with no extension after it
    ],
)
def test_numbers_that_can_receive_texts(typed, e164):
    assert phones.parse(typed) == e164


@pytest.mark.parametrize(
    "typed, message",
    [
        ("800-555-0100", "Toll-free numbers can't receive texts here."),
        ("(888) 555-1212", "Toll-free numbers can't receive texts here."),
        ("+1 833 222 3333", "Toll-free numbers can't receive texts here."),
        ("1-800-FLOWERS", "Toll-free numbers can't receive texts here."),
        ("800-123-4567", "Toll-free numbers can't receive texts here."),  # invalid to phonenumbers, still toll-free
        ("900-234-5678", "Premium-rate (900) numbers can't receive texts."),
        ("500-234-5678", "Personal numbers (area codes such as 500 and 533) can't receive texts here."),
        ("533-234-5678", "Personal numbers (area codes such as 500 and 533) can't receive texts here."),
        ("+1 622 234 5678", "Personal numbers (area codes such as 500 and 533) can't receive texts here."),
        ("+1 600 234 5678", "Non-geographic internet (VoIP) numbers can't receive texts here."),
        ("512-555-0100 x12", phones.EXTENSION),
        ("512-555-0100 ext. 12", phones.EXTENSION),
        ("512-555-0100 extension 12", phones.EXTENSION),
        ("tel:+1-512-555-0100;ext=12", phones.EXTENSION),
        ("512-555-0100 #12", phones.EXTENSION),
        ("+1 876 555 0100", "Only US and Canadian numbers can receive invoice texts."),  # Jamaica shares +1
        ("+1 700 234 5678", '"+1 700 234 5678" is not a valid phone number.'),
        ("   ", "Enter a phone number."),
    ],
)
def test_numbers_that_cannot_receive_texts_say_why(typed, message):
    with pytest.raises(phones.InvalidPhone) as refused:
        phones.parse(typed)
    assert refused.value.message == message


@pytest.mark.parametrize(
    "typed, message",
    [
        ("a" * 35, '"' + "a" * 30 + '…" is not a phone number.'),
        ("5" * 35, '"' + "5" * 30 + '…" is not a phone number.'),
        ("1" * 41, "That is too long for a phone number: at most 40 characters."),
        ("512-555-0100\n" * 10_000, "That is too long for a phone number: at most 40 characters."),
    ],
)
def test_messages_never_repeat_a_long_input_whole(typed, message):
    with pytest.raises(phones.InvalidPhone) as refused:
        phones.parse(typed)
    assert refused.value.message == message


@pytest.mark.parametrize(
    "typed, shown",
    [
        ("5125550", "512-5550"),
        ("512-555-0100 x12", "512-555-0100 x12"),  # left as typed, so parse names the extension
        ("1-800-FLOWERS", "1-800-FLOWERS"),
    ],
)
def test_format_as_typed_keeps_what_it_cannot_dial(typed, shown):
    assert phones.format_as_typed(typed) == shown


def test_a_business_line_may_be_toll_free_but_a_recipient_may_not():
    assert phones.parse("(800) 555-0199", textable=False) == "+18005550199"
    with pytest.raises(phones.InvalidPhone, match="Toll-free"):
        phones.parse("(800) 555-0199")
    with pytest.raises(phones.InvalidPhone, match="Extensions"):
        phones.parse("(800) 555-0199 x12", textable=False)
