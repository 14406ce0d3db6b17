"""The email a customer receives with an invoice's payment link (plain text, like the SMS)."""

from dataclasses import dataclass

from smslinks.core import display, phones
from smslinks.core.sms_text import PayBy, plain_name

_PAY_WORDING = {
    PayBy.CARD: "Pay securely by card",
    PayBy.ACH: "Pay from your bank account (ACH)",
}


@dataclass(frozen=True)
class EmailText:
    subject: str
    body: str


def invoice_email(
    *,
    business_name: str,
    business_phone: str | None,
    customer_name: str,
    invoice_number: str,
    amount_due_cents: int,
    link: str,
    pay_by: PayBy,
    valid_days: int,
) -> EmailText:
    amount = display.money(amount_due_cents)
    business_name, customer_name = plain_name(business_name), plain_name(customer_name)
    contact = f"call us at {phones.display(business_phone)} or " if business_phone else ""
    body = "\n".join(
        [
            f"Hello {customer_name},",
            "",
            f"Your invoice #{invoice_number} from {business_name} is ready. Amount due: {amount}.",
            "",
            f"{_PAY_WORDING[PayBy(pay_by)]}:",
            link,
            "",
            f"This link is yours alone and works for {valid_days} days.",
            f"Questions? Please {contact}reply to this email.",
            "",
            "Thank you,",
            business_name,
        ]
    )
    return EmailText(subject=f"Invoice #{invoice_number} from {business_name}: {amount} due", body=body)
