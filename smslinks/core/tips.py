"""Tips on the pay page: how much a tip choice is worth, decided on the server.

A business that asks for tips offers three percentages of the invoice total, a custom amount and no
tip. The browser only says which choice the customer made (and the typed amount for "custom"); the
cents are computed here from the invoice, and a business that does not ask for tips gets none.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from smslinks.core import display, money

NONE = "none"
CUSTOM = "custom"
PERCENT_RANGE = (1, 50)


class TipRefused(ValueError):
    """A tip that cannot be charged; `code` names the customer-facing text in core/pay_text.py."""

    def __init__(self, code: str, **values: object):
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class TipPolicy:
    """What the business offers (from PaymentSettings)."""

    enabled: bool = False
    percents: tuple[int, ...] = ()

    @classmethod
    def of(cls, settings) -> "TipPolicy":
        percents = (settings.tip_percent_1, settings.tip_percent_2, settings.tip_percent_3)
        return cls(enabled=bool(settings.tips_enabled), percents=percents)


@dataclass(frozen=True)
class TipChoice:
    """What the customer chose: "none", "custom" (with the typed dollars) or a percentage ("15")."""

    choice: str = NONE
    custom: str = ""


def percent_of(total_cents: int, percent: int) -> int:
    """percent % of the total, rounded to the nearest cent (half a cent up)."""
    return int((Decimal(total_cents) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def options(policy: TipPolicy, total_cents: int) -> list[tuple[int, int]]:
    """(percent, cents) for each offered percentage, in the business's order."""
    return [(percent, percent_of(total_cents, percent)) for percent in policy.percents] if policy.enabled else []


def _custom_cents(text: str, total_cents: int) -> int:
    if not str(text or "").strip():
        return 0
    cents = money.cents(text)
    if cents is None or cents < 0:
        raise TipRefused("tip_invalid")
    if cents > total_cents:
        raise TipRefused("tip_too_large", total=display.money(total_cents))
    return cents


def tip_cents(policy: TipPolicy, total_cents: int, choice: TipChoice | None) -> int:
    """The tip to charge for this choice on an invoice of total_cents; 0 when tips are off."""
    if not policy.enabled or choice is None or choice.choice == NONE:
        return 0
    if choice.choice == CUSTOM:
        return _custom_cents(choice.custom, total_cents)
    offered = {str(percent): cents for percent, cents in options(policy, total_cents)}
    if choice.choice not in offered:
        raise TipRefused("tip_invalid")
    return offered[choice.choice]
