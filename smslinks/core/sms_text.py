"""The text a customer receives, and how many SMS segments it costs.

One function renders both the settings preview and every real send, so what the admin sees is
exactly what customers get. The wording is fixed (not editable): carriers vet registered
campaigns against sample messages, and the opt-out line is required. Texts are smart-encoded
(lookalikes swapped for GSM-7 characters) before anything counts, stores or sends them.
"""

import unicodedata
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

# Bidirectional marks, embeddings, overrides and isolates: in a text, U+202E before a name would
# show the link and the words after it reversed.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def plain_name(name: str) -> str:
    """A name (business, customer, technician) as it may go into a text or a subject line: control
    characters and line breaks become spaces, bidirectional controls go, runs of spaces become one."""
    kept = (
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char
        for char in name or ""
        if char not in _BIDI_CONTROLS
    )
    return " ".join("".join(kept).split())


def invoice_text(business_name: str, invoice_number: str, amount_due_cents: int, link: str, pay_by: PayBy) -> str:
    return smart_encode(
        f"{plain_name(business_name)}: invoice #{invoice_number} for {display.money(amount_due_cents)} is ready. "
        f"{_PAY_WORDING[PayBy(pay_by)]}: {link} {OPT_OUT_LINE}"
    )


# GSM 03.38 basic character set, and the extension table whose characters take two septets.
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = set("^{}\\[~]|€\f")

# Twilio's Smart Encoding list ("List of characters replaced by Smart Encoding" in its Messaging
# Services docs; sms-segments-calculator's SmartEncodingMap is the same list): GSM-7 text -> the
# lookalikes it replaces. Whitespace lookalikes become one space, where the calculator's map writes
# two (seven for a tab): a space that looks like one space is one space.
_LOOKALIKES = {
    '"': "\u00ab\u00bb\u201c\u201d\u02ba\u02ee\u201f\u201e\u275d\u275e\u301d\u301e\uff02",
    "'": "\u2018\u2019\u02bb\u02c8\u02bc\u02bd\u02b9\u201b\uff07\u00b4\u02ca\u0060\u02cb\u275b\u275c\u0313\u0314"
    "\ufe10\ufe11",
    "/": "\u00f7\u29f8\u0337\u0338\u2044\u2215\uff0f",
    "1/4": "\u00bc",
    "1/2": "\u00bd",
    "3/4": "\u00be",
    "\\": "\u29f9\u29f5\u20e5\ufe68\uff3c",
    "_": "\u0332\uff3f\u2017",
    "|": "\u20d2\u20d3\u2223\uff5c\u23b8\u23b9\u23d0\u239c\u239f",
    "-": "\u23bc\u23bd\u2015\ufe63\uff0d\u2010\u2043\u2014\u2013\u2022",
    "@": "\ufe6b\uff20",
    "$": "\ufe69\uff04",
    "!": "\u01c3\ufe15\ufe57\uff01",
    "!!": "\u203c",
    "#": "\ufe5f\uff03",
    "%": "\ufe6a\uff05",
    "&": "\ufe60\uff06",
    ",": "\u201a\u0326\ufe50\ufe51\uff0c\uff64\u3001",
    "(": "\u2768\u276a\ufe59\uff08\u27ee\u2985",
    ")": "\u2769\u276b\ufe5a\uff09\u27ef\u2986",
    "*": "\u204e\u2217\u229b\u2722\u2723\u2724\u2725\u2731\u2732\u2733\u273a\u273b\u273c\u273d\u2743\u2749\u274a"
    "\u274b\u29c6\ufe61\uff0a",
    "+": "\u02d6\ufe62\uff0b",
    ".": "\u3002\ufe52\uff0e\uff61",
    "...": "\u2026",
    ":": "\u02d0\u02f8\u2982\ua789\ufe13\uff1a",
    ";": "\u204f\ufe14\ufe54\uff1b",
    "<": "\ufe64\uff1c\u2039",
    "=": "\u0347\ua78a\ufe66\uff1d",
    ">": "\ufe65\uff1e\u203a",
    "?": "\ufe16\ufe56\uff1f",
    "^": "\u02c6\u0302\uff3e\u1dcd",
    "{": "\u2774\ufe5b\uff5b",
    "}": "\u2775\ufe5c\uff5d",
    "[": "\uff3b",
    "]": "\uff3d",
    "~": "\u02dc\u02f7\u0303\u0330\u0334\u223c\uff5e",
    # No-break, typographic and ideographic spaces, tab, separators, and C1 controls that show as one.
    " ": "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\u2028\u2029"
    "\t\u0080\u008d\u0090\u009b\u009f",
    # Invisible: zero-width characters and C0 controls.
    "": "\u200b\u200c\u2060\ufeff\u0000\u0003\u0004\u0010\u0011\u0012\u0013\u0014\u0017\u0019",
}
_SMART_ENCODING = (
    {ord(lookalike): gsm for gsm, lookalikes in _LOOKALIKES.items() for lookalike in lookalikes}
    | {
        ord(small): capital
        for capital, small in zip("ABCDEFGHIJKLMNOPRSTUVWYZ", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ", strict=True)
    }
    | {0xFF10 + digit: str(digit) for digit in range(10)}  # fullwidth digits
    | {0xFF21 + letter: chr(ord("A") + letter) for letter in range(26)}  # fullwidth capitals
)


def smart_encode(text: str) -> str:
    """Twilio's Smart Encoding, done here so that the text we store, preview and send is the one the
    customer gets: a curly apostrophe in a business name must not turn the whole text into UCS-2.
    Idempotent (no replacement contains a replaced character)."""
    return text.translate(_SMART_ENCODING)


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
    count, used = 1, 0
    first: list[int] = []
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
