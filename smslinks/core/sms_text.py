"""The text a customer receives, and how many SMS segments it costs.

One function renders both the settings preview and every real send, so what the admin sees is
exactly what customers get. The wording is fixed (not editable): carriers vet registered
campaigns against sample messages, and the opt-out line is required.
"""

from dataclasses import dataclass
from enum import StrEnum

from smslinks.core import display, graphemes


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
    """`characters` is what Twilio's calculator calls numberOfCharacters: septets for GSM-7 (an
    extension character such as € counts two), characters as the recipient sees them for UCS-2
    (an emoji with its skin tone, a flag, a letter with a combining accent count one)."""

    characters: int
    encoding: Encoding
    segments: int

    def describe(self) -> str:
        plural = "segment" if self.segments == 1 else "segments"
        return f"{self.characters} characters · {self.encoding.value} · {self.segments} SMS {plural}"


_SEGMENT_BITS = 140 * 8
_HEADER_BITS = 6 * 8  # the user data header that numbers the parts of a longer message
_GSM7_BITS = 7
_UCS2_BITS = 16


def segment_info(text: str) -> SegmentInfo:
    """Characters, encoding and segments exactly as Twilio's calculator (npm sms-segments-calculator)
    counts them: one character outside GSM-7 makes the whole text UCS-2, and a character (an
    extension character's two septets, an emoji's surrogate pair) is never split across segments."""
    if all(char in _GSM7_BASIC or char in _GSM7_EXTENSION for char in text):
        sizes = [2 * _GSM7_BITS if char in _GSM7_EXTENSION else _GSM7_BITS for char in text]
        return SegmentInfo(sum(sizes) // _GSM7_BITS, Encoding.GSM7, _segment_count(sizes))
    characters = _characters(text)
    sizes = [_UCS2_BITS * _utf16_units(character) for character in characters]
    return SegmentInfo(len(characters), Encoding.UCS2, _segment_count(sizes))


def _characters(text: str) -> list[str]:
    """Grapheme clusters, except that CR LF is two characters, as the calculator counts it."""
    characters: list[str] = []
    for cluster in graphemes.split(text):
        characters.extend(cluster if cluster == "\r\n" else [cluster])
    return characters


def _utf16_units(character: str) -> int:
    return len(character.encode("utf-16-le", "surrogatepass")) // 2


def _segment_count(sizes: list[int]) -> int:
    """Characters of these sizes (bits) packed whole into segments the way the calculator packs them:
    once a second segment is needed, the first one takes its header too and hands on the characters
    that no longer fit. (Nor does the calculator check that they fit the second segment: only
    characters of dozens of code units, such as a letter under a pile of combining marks, could
    overflow it.) An empty text is one segment."""
    count, used, first = 1, 0, []
    for size in sizes:
        if used + size > _SEGMENT_BITS:
            used = _HEADER_BITS + (_handed_on(first) if count == 1 else 0)
            count += 1
        if count == 1:
            first.append(size)
        used += size
    return count


def _handed_on(first: list[int]) -> int:
    """Bits of the first segment's last characters that its header pushes into the second."""
    kept, handed = _HEADER_BITS + sum(first), 0
    while kept > _SEGMENT_BITS:
        size = first.pop()
        kept, handed = kept - size, handed + size
    return handed
