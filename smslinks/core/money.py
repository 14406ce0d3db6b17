"""Dollars as people type them ("25", "25.5", "$1,250.00", ".99"), into integer cents: one reading for
every amount field, so none of them meets "1e26", "NaN" or a thousand digits unprepared."""

import re
from decimal import Decimal

# At most a trillion dollars; at most two decimals that count (trailing zeros are fine); no exponents.
_DOLLARS = re.compile(r"-?(?:\d{1,12}(?:\.\d{0,2}0*)?|\.\d{1,2}0*)")


def cents(text: str | None) -> int | None:
    """The amount in cents (negative when typed with a minus), or None when the text is not a plain
    dollar amount. Blank text is None too; callers decide what blank means."""
    cleaned = str(text or "").strip().replace("$", "").replace(",", "").strip()
    if not _DOLLARS.fullmatch(cleaned):
        return None
    return int(Decimal(cleaned) * 100)
