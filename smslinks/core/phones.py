"""Parsing and formatting phone numbers with phonenumbers; E.164 is what we store."""

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from smslinks.core.errors import DomainError

DEFAULT_REGION = "US"
# Texting customers is offered in the US and Canada (NANP) only.
SUPPORTED_REGIONS = {"US", "CA"}
# Longer than any number typed with punctuation and a country code: refused before parsing.
MAX_LENGTH = 40
_ECHOED = 30  # characters of what was typed repeated in a message
_NOT_DIALER = re.compile(r"[^\d\s+().-]")  # anything a phone's dialer would not show

TOLL_FREE = "Toll-free numbers can't receive texts here."
EXTENSION = "Extensions can't receive texts. Enter the mobile number without an extension."
# NANP area codes by what they are, so a number phonenumbers' metadata does not know yet (or calls
# invalid) still gets the real reason.
_TOLL_FREE_AREA_CODES = {"800", "822", "833", "844", "855", "866", "877", "888"}
_PREMIUM_AREA_CODES = {"900"}
_TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_REFUSED = {
    PhoneNumberType.TOLL_FREE: TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE: "Premium-rate (900) numbers can't receive texts.",
    PhoneNumberType.PERSONAL_NUMBER: "Personal numbers (area codes such as 500 and 533) can't receive texts here.",
    PhoneNumberType.VOIP: "Non-geographic internet (VoIP) numbers can't receive texts here.",
    PhoneNumberType.PAGER: "Pager numbers can't receive texts.",
}


class InvalidPhone(DomainError):
    pass


def parse(text: str, region: str = DEFAULT_REGION, *, textable: bool = True) -> str:
    """Return the E.164 form of a number that can receive our texts, typed any way a person types
    it, or raise InvalidPhone saying why not. textable=False: any US or Canadian number people can
    call (a business's own line may be toll-free)."""
    text = (text or "").strip()
    if not text:
        raise InvalidPhone("Enter a phone number.")
    if len(text) > MAX_LENGTH:
        raise InvalidPhone(f"That is too long for a phone number: at most {MAX_LENGTH} characters.")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        raise InvalidPhone(f'"{_echo(text)}" is not a phone number.') from None
    if number.extension:  # refused, not trimmed: the text would reach the switchboard, not the person
        raise InvalidPhone(EXTENSION)
    if textable and (reason := _nanp_service_code(number)):
        raise InvalidPhone(reason)
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f'"{_echo(text)}" is not a valid phone number.')
    if phonenumbers.region_code_for_number(number) not in SUPPORTED_REGIONS:
        raise InvalidPhone("Only US and Canadian numbers can receive invoice texts.")
    if textable and (kind := phonenumbers.number_type(number)) not in _TEXTABLE:
        raise InvalidPhone(_REFUSED.get(kind, "That kind of number can't receive texts here."))
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _nanp_service_code(number: phonenumbers.PhoneNumber) -> str | None:
    """Why a +1 number in a toll-free or premium-rate area code is refused, else None."""
    national = str(number.national_number)
    if number.country_code != 1 or len(national) != 10:
        return None
    if national[:3] in _TOLL_FREE_AREA_CODES:
        return TOLL_FREE
    if national[:3] in _PREMIUM_AREA_CODES:
        return _REFUSED[PhoneNumberType.PREMIUM_RATE]
    return None


def _echo(text: str) -> str:
    """What was typed, on one line and cut short, to repeat in a message."""
    text = " ".join(text.split())
    return text if len(text) <= _ECHOED else text[:_ECHOED] + "…"


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
    """Format a partly typed number the way the phone's dialer would. Text with more than digits
    and punctuation (an extension, a vanity number) stays as typed, so parse can say why it is
    refused instead of the letters vanishing."""
    if _NOT_DIALER.search(text):
        return text
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
