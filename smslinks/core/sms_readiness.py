"""Whether the account can text at all: the prerequisites shown on the settings page and checked
again (first) by every send."""

from dataclasses import dataclass

from smslinks.core import phones
from smslinks.models import Business, SmsRegistrationStatus

ACCOUNT_NOT_ENABLED = "Account configuration is required: contact support."
NO_SENDING_NUMBER = "No default sending number is set up for this account: contact support."
REGISTRATION_PENDING = (
    "SMS registration is pending carrier approval, so texts cannot be sent yet. "
    "Approval usually takes a few business days."
)
NOT_REGISTERED = (
    "This account is not registered for business texting (10DLC), so carriers would block "
    "its texts. Contact support to register."
)


@dataclass(frozen=True)
class Prerequisite:
    label: str
    met: bool
    detail: str


def prerequisites(business: Business) -> list[Prerequisite]:
    status = SmsRegistrationStatus(business.sms_registration_status)
    return [
        Prerequisite(
            "Account enabled for SMS invoice links",
            business.sms_links_available,
            "Enabled by support." if business.sms_links_available else ACCOUNT_NOT_ENABLED,
        ),
        Prerequisite(
            "Default sending number",
            bool(business.default_sending_number),
            phones.display(business.default_sending_number) if business.default_sending_number else NO_SENDING_NUMBER,
        ),
        Prerequisite(
            "SMS registration approved",
            status is SmsRegistrationStatus.APPROVED,
            {
                SmsRegistrationStatus.APPROVED: "Approved by the carriers.",
                SmsRegistrationStatus.PENDING: REGISTRATION_PENDING,
                SmsRegistrationStatus.NOT_REGISTERED: NOT_REGISTERED,
            }[status],
        ),
    ]


def account_blocker(business: Business) -> str | None:
    """The first reason this account cannot text, or None when it can."""
    for prerequisite in prerequisites(business):
        if not prerequisite.met:
            return prerequisite.detail
    return None
