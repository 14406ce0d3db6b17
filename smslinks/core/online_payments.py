"""Settings > Invoicing > Online Payments: how customers may pay, and how invoice links go out.

The send path reads the same PaymentSettings row, so the rules about which options may be on
together live here and every save goes through them, whatever door it came in by.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session

from smslinks.core import accounts, audit, links, phones, sms_readiness, tips
from smslinks.core.errors import DomainError
from smslinks.core.permissions import Permission, require_permission
from smslinks.core.sms_text import PayBy, invoice_text, segment_info
from smslinks.models import Business, Employee, PaymentSettings, saved_id, utcnow

# What each setting is called on the page (also the name written into its audit rows).
LABELS = {
    "sms_links_enabled": "SMS invoice links",
    "office_sms_enabled": "Enable sending invoice links in desktop via Office",
    "mobile_email_enabled": "Enable sending email invoice links in Mobile",
    "mobile_sms_enabled": "Also enable sending SMS invoice links via Mobile",
    "office_email_enabled": "Enable sending email invoice links in desktop via Office",
    "card_enabled": "Accept credit and debit cards",
    "ach_enabled": "Accept ACH bank payments",
    "partial_payments_enabled": "Allow customers to pay part of the balance",
    "sms_per_recipient_daily_limit": "Texts per invoice and recipient per 24 hours",
    "link_valid_days": "Payment links expire after (days)",
    "tips_enabled": "Ask customers for a tip",
    "tip_percent_1": "First tip percentage",
    "tip_percent_2": "Second tip percentage",
    "tip_percent_3": "Third tip percentage",
    "email_when_text_fails": "Email the link when a text can't be delivered",
}
SWITCHES = (
    "sms_links_enabled",
    "office_sms_enabled",
    "mobile_email_enabled",
    "mobile_sms_enabled",
    "office_email_enabled",
    "card_enabled",
    "ach_enabled",
    "partial_payments_enabled",
    "tips_enabled",
    "email_when_text_fails",
)
# Whole numbers and their allowed range.
TIP_PERCENTS = ("tip_percent_1", "tip_percent_2", "tip_percent_3")
NUMBERS = {
    "sms_per_recipient_daily_limit": (1, 10),
    "link_valid_days": (1, 90),
    **dict.fromkeys(TIP_PERCENTS, tips.PERCENT_RANGE),
}
# Only offered while "SMS invoice links" is on; switched off with it.
SMS_DEPENDENTS = ("office_sms_enabled", "mobile_email_enabled", "mobile_sms_enabled")
SMS_SWITCHES = ("sms_links_enabled", *SMS_DEPENDENTS)

MOBILE_SMS_NEEDS_EMAIL = "SMS invoice links via Mobile can only be on while email invoice links in Mobile are on."
SMS_LINKS_FIRST = "Turn on SMS invoice links first."
NEEDS_A_PAYMENT_METHOD = "Accept at least one payment method (cards or ACH)."
NUMBER_RULES = {
    "sms_per_recipient_daily_limit": "Texts per invoice and recipient per 24 hours must be a whole number from 1 to 10.",
    "link_valid_days": "Payment links must expire after a whole number of days from 1 to 90.",
    **{
        name: f"Each tip percentage must be a whole number from {tips.PERCENT_RANGE[0]} to {tips.PERCENT_RANGE[1]}."
        for name in TIP_PERCENTS
    },
}
TIP_PERCENTS_DIFFERENT = "The three tip percentages must be different."
# The messages about tips (the page shows them beside the percentages).
TIP_RULES = frozenset({NUMBER_RULES[TIP_PERCENTS[0]], TIP_PERCENTS_DIFFERENT})

# The preview uses sample values; the token is shaped like a real one (22 URL-safe characters)
# but is obviously not one, and is never stored.
SAMPLE_INVOICE_NUMBER = "10482"
SAMPLE_AMOUNT_CENTS = 28_950
SAMPLE_TOKEN = "SAMPLEtokenNotARealOne"


@dataclass(frozen=True)
class MessagePreview:
    pay_by: PayBy
    text: str
    characters: int
    encoding: str
    segments: int


@dataclass(frozen=True)
class OnlinePaymentsView:
    business_name: str
    # Who the preview's text comes from: the sending number, as a customer's phone shows it.
    sender: str
    values: dict[str, bool | int]
    prerequisites: list[sms_readiness.Prerequisite]
    account_enabled: bool
    # Why texts cannot go out yet although the account is enabled (e.g. registration pending).
    sending_blocker: str | None
    previews: dict[PayBy, MessagePreview]


def values_of(settings: PaymentSettings) -> dict[str, bool | int]:
    return {name: getattr(settings, name) for name in LABELS}


def preview(business: Business, pay_by: PayBy) -> MessagePreview:
    """Exactly what a customer of this business would receive, with a sample invoice and link."""
    link = links.url(business, SAMPLE_TOKEN, pay_by)
    text = invoice_text(business.name, SAMPLE_INVOICE_NUMBER, SAMPLE_AMOUNT_CENTS, link, pay_by)
    info = segment_info(text)
    return MessagePreview(pay_by, text, info.characters, info.encoding.value, info.segments)


def view(session: Session, employee: Employee) -> OnlinePaymentsView:
    require_permission(session, employee, Permission.MANAGE_ONLINE_PAYMENTS)
    business = session.get_one(Business, employee.business_id)
    blocker = sms_readiness.account_blocker(business)
    return OnlinePaymentsView(
        business_name=business.name,
        sender=phones.display(business.default_sending_number) if business.default_sending_number else "",
        values=values_of(accounts.payment_settings(session, saved_id(business))),
        prerequisites=sms_readiness.prerequisites(business),
        account_enabled=business.sms_links_available,
        sending_blocker=blocker if business.sms_links_available else None,
        previews={pay_by: preview(business, pay_by) for pay_by in PayBy},
    )


def switch(values: Mapping[str, object], name: str, on: bool, business: Business) -> dict[str, object]:
    """The values after a person flips one switch: turning an option off also turns off what
    depends on it; turning one on that needs another is refused."""
    if name not in SWITCHES:
        raise DomainError(f"There is no setting called {name!r}.")
    if not isinstance(on, bool):
        raise DomainError(f'"{LABELS[name]}" is either on or off.')
    if on and name in SMS_SWITCHES and not business.sms_links_available:
        raise DomainError(sms_readiness.ACCOUNT_NOT_ENABLED)
    if on and name in SMS_DEPENDENTS and not values.get("sms_links_enabled"):
        raise DomainError(SMS_LINKS_FIRST)
    if on and name == "mobile_sms_enabled" and not values.get("mobile_email_enabled"):
        raise DomainError(MOBILE_SMS_NEEDS_EMAIL)
    changed = {**values, name: on}
    if name == "sms_links_enabled" and not on:
        changed.update(dict.fromkeys(SMS_DEPENDENTS, False))
    if name == "mobile_email_enabled" and not on:
        changed["mobile_sms_enabled"] = False
    return changed


def _whole_number(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise DomainError(NUMBER_RULES[name])
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()):
            raise DomainError(NUMBER_RULES[name])
        value = int(text)
    if not isinstance(value, int):
        raise DomainError(NUMBER_RULES[name])
    low, high = NUMBERS[name]
    if not low <= value <= high:
        raise DomainError(NUMBER_RULES[name])
    return value


def checked(
    before: Mapping[str, bool | int], changes: Mapping[str, object], business: Business
) -> dict[str, bool | int]:
    """The complete new settings after applying a change set, or DomainError saying what to fix."""
    unknown = set(changes) - set(LABELS)
    if unknown:
        raise DomainError(f"There is no setting called {sorted(unknown)[0]!r}.")
    after = dict(before)
    for name, value in changes.items():
        if name in NUMBERS:
            after[name] = _whole_number(name, value)
        elif isinstance(value, bool):
            after[name] = value
        else:
            raise DomainError(f'"{LABELS[name]}" is either on or off.')
    if not after["sms_links_enabled"]:
        after.update(dict.fromkeys(SMS_DEPENDENTS, False))
    if after["mobile_sms_enabled"] and not after["mobile_email_enabled"]:
        raise DomainError(MOBILE_SMS_NEEDS_EMAIL)
    if not business.sms_links_available and any(after[name] and not before[name] for name in SMS_SWITCHES):
        raise DomainError(sms_readiness.ACCOUNT_NOT_ENABLED)
    if not (after["card_enabled"] or after["ach_enabled"]):
        raise DomainError(NEEDS_A_PAYMENT_METHOD)
    if len({after[name] for name in TIP_PERCENTS}) < len(TIP_PERCENTS):
        raise DomainError(TIP_PERCENTS_DIFFERENT)
    return after


def save(session: Session, employee: Employee, changes: Mapping[str, object]) -> list[str]:
    """Apply a change set (setting name -> new value) made by this employee; one audit row per
    setting that really changed. Returns the names of the changed settings."""
    require_permission(session, employee, Permission.MANAGE_ONLINE_PAYMENTS)
    business = session.get_one(Business, employee.business_id)
    settings = accounts.payment_settings(session, saved_id(business))
    before = values_of(settings)
    after = checked(before, changes, business)
    changed = [name for name in LABELS if after[name] != before[name]]
    for name in changed:
        setattr(settings, name, after[name])
        audit.record(
            session,
            "settings.online_payments",
            "payment_settings",
            settings.id,
            business_id=business.id,
            employee=employee,
            setting=name,
            label=LABELS[name],
            before=before[name],
            after=after[name],
        )
    if changed:
        settings.updated_at = utcnow()
        session.add(settings)
    return changed
