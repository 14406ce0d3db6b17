"""Parsing and formatting phone numbers with phonenumbers; E.164 is what we store."""

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from smslinks.core.errors import DomainError

DEFAULT_REGION = "US"
# Texting customers is offered in the US and Canada (NANP) only.
SUPPORTED_REGIONS = {"US", "CA"}


class InvalidPhone(DomainError):
    pass


def parse(text: str, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of a number typed any way a person types it, or raise InvalidPhone."""
    text = (text or "").strip()
    if not text:
        raise InvalidPhone("Enter a phone number.")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise InvalidPhone(f'"{text}" is not a phone number.') from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f'"{text}" is not a valid phone number.')
    if phonenumbers.region_code_for_number(number) not in SUPPORTED_REGIONS:
        raise InvalidPhone("Only US and Canadian numbers can receive invoice texts.")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display(e164: str) -> str:
    """(555) 010-1234 for domestic numbers, +44 20 ... for the rest."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) in SUPPORTED_REGIONS:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def format_as_typed(text: str, region: str = DEFAULT_REGION) -> str:
    """Format a partly typed number the way the phone's dialer would."""
    formatter = phonenumbers.AsYouTypeFormatter(region)
    result = ""
    for char in text:
        if char.isdigit() or char == "+":
            result = formatter.input_digit(char)
    return result


def reversed_digits(e164: str) -> str:
    """Digits reversed, so an index answers "ends with these digits" searches."""
    return "".join(c for c in e164 if c.isdigit())[::-1]


def search_digits(text: str) -> str | None:
    """The digits of a phone search (4+ digits typed with any punctuation), else None."""
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) < 4 or len(digits) > 15:
        return None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits
