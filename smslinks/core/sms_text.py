"""The text a customer receives, and how many SMS segments it costs.

One function renders both the settings preview and every real send, so what the admin sees is
exactly what customers get. The wording is fixed (not editable): carriers vet registered
campaigns against sample messages, and the opt-out line is required.
"""

from dataclasses import dataclass
from enum import StrEnum

from smslinks.core import display


class PayBy(StrEnum):
    """Which tab of the pay page the link opens on."""

    CARD = "card"
    ACH = "ach"


_PAY_WORDING = {
    PayBy.CARD: "Pay securely by card",
    PayBy.ACH: "Pay from your bank account (ACH)",
}

OPT_OUT_LINE = "Reply STOP to opt out."


def invoice_text(business_name: str, invoice_number: str, amount_due_cents: int, link: str, pay_by: PayBy) -> str:
    return (
        f"{business_name}: invoice #{invoice_number} for {display.money(amount_due_cents)} is ready. "
        f"{_PAY_WORDING[PayBy(pay_by)]}: {link} {OPT_OUT_LINE}"
    )


# GSM 03.38 basic character set, and the extension table whose characters take two septets.
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = set("^{}\\[~]|€\f")


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SegmentInfo:
    characters: int
    encoding: Encoding
    segments: int

    def describe(self) -> str:
        plural = "segment" if self.segments == 1 else "segments"
        return f"{self.characters} characters · {self.encoding.value} · {self.segments} SMS {plural}"


def segment_info(text: str) -> SegmentInfo:
    """Length in the units carriers bill: septets for GSM-7, UTF-16 code units for UCS-2."""
    if all(char in _GSM7_BASIC or char in _GSM7_EXTENSION for char in text):
        units = sum(2 if char in _GSM7_EXTENSION else 1 for char in text)
        single, part = 160, 153
        encoding = Encoding.GSM7
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
        encoding = Encoding.UCS2
    segments = 1 if units <= single else -(-units // part)
    return SegmentInfo(characters=units, encoding=encoding, segments=segments if text else 0)
