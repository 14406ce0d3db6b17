"""Sending an invoice's payment link by text or email: every rule, one path.

The office dialog, the technician's phone view and the command line all call these functions, so no
door skips a rule. The rules run in a fixed order and the first one that fails explains itself to the
person sending; nothing is written unless every rule passes. A send then mints a fresh payment link,
renders the exact message, saves a new number when asked (with who/when/how consent), and writes the
outbox row and audit rows in the caller's one transaction. The dispatcher delivers it afterwards.

A send carries an idempotency key chosen when the sender opened the dialog: the same key again
(a double click, a retried request, two racing events) returns the message already written.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from smslinks.core import (
    accounts,
    audit,
    consent,
    delivery,
    display,
    email_text,
    invoices,
    links,
    outbox,
    phones,
    reminders,
    sms_readiness,
    sms_text,
)
from smslinks.core.channels import ProviderError
from smslinks.core.email_text import EmailText
from smslinks.core.errors import DomainError, NotAllowed, NotFound
from smslinks.core.permissions import Permission, has_permission
from smslinks.core.sms_text import PayBy
from smslinks.core.time_zones import zone_name
from smslinks.models import (
    WAITING_STATUSES,
    Business,
    Channel,
    Customer,
    EmailAddress,
    Employee,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Location,
    MessageStatus,
    OutboundMessage,
    PaymentSettings,
    PhoneNumber,
    PhoneType,
    saved_id,
    utcnow,
)


class Via(StrEnum):
    """Where the sender is: the office (desktop) or the technician's phone view ("Mobile")."""

    OFFICE = "office"
    MOBILE = "mobile"
    # Sent by the app itself (core/text_fallback.py), never a door a person can choose.
    AUTOMATIC = "automatic"


# Texts go out between 8 AM and 9 PM in the service location's time zone (TCPA quiet hours).
SENDING_STARTS = time(8, 0)
SENDING_ENDS = time(21, 0)

_SETTINGS_PAGE = "Settings > Invoicing > Online Payments"
NEEDS_SMS_PERMISSION = f'You need the "{Permission.SEND_INVOICE_SMS.value}" permission to text invoice links.'
NEEDS_EMAIL_PERMISSION = f'You need the "{Permission.SEND_INVOICE_EMAIL.value}" permission to email invoice links.'
SMS_LINKS_OFF = f"SMS invoice links are turned off in {_SETTINGS_PAGE}."
OFFICE_SMS_OFF = f"Sending SMS invoice links from the office is turned off in {_SETTINGS_PAGE}."
MOBILE_SMS_OFF = f"Sending SMS invoice links via Mobile is turned off in {_SETTINGS_PAGE}."
OFFICE_EMAIL_OFF = f"Sending email invoice links from the office is turned off in {_SETTINGS_PAGE}."
MOBILE_EMAIL_OFF = f"Sending email invoice links in Mobile is turned off in {_SETTINGS_PAGE}."
FALLBACK_OFF = f"Emailing the link when a text can't be delivered is turned off in {_SETTINGS_PAGE}."
TEXT_KIND_UNAVAILABLE = "SMS payment links for membership payments or statement payments are not available."
EMAIL_KIND_UNAVAILABLE = "Email payment links for membership payments or statement payments are not available."
DRAFT = "Finalize the invoice before sending it."
PAID = "This invoice is paid in full."
VOID = "This invoice is void."
NO_BALANCE = "This invoice has no balance due."
NO_PAYMENT_METHOD = f"Card and ACH payments are both turned off in {_SETTINGS_PAGE}."
CARD_OFF = f"Card payments are turned off in {_SETTINGS_PAGE}."
ACH_OFF = f"ACH payments are turned off in {_SETTINGS_PAGE}."
CHOOSE_A_NUMBER = "Choose a number to text, or enter a new one."
NOT_ON_RECORD = "That number is not on this customer's or service location's record."
ONLY_MOBILE = "Only Mobile numbers can receive texts"
KEY_REUSED = "This send was already used for another message. Close the dialog and open it again."
MISSING_KEY = "This send has no request key. Close the dialog and open it again."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Carrier line types (Twilio Lookup v2 line_type_intelligence) that cannot receive texts.
_CANNOT_TEXT = {"landline"}


class LineTypeLookup(Protocol):
    """A carrier lookup (Twilio Lookup v2 line type intelligence), e.g. "mobile" or "landline"."""

    def line_type(self, e164: str) -> str | None: ...


@dataclass(frozen=True)
class NewNumber:
    """A number typed in "Use a New Number"."""

    number: str
    label: str = ""
    type: str = PhoneType.MOBILE
    save_to_customer: bool = False
    save_to_location: bool = False


@dataclass(frozen=True)
class Recipient:
    """Who gets the text: a number already on the customer's or location's record, or a new one."""

    phone_number_id: int | None = None
    new_number: NewNumber | None = None


@dataclass(frozen=True)
class RecipientOption:
    """One number in the recipient picker; those that cannot be texted say why."""

    phone_number_id: int
    number: str
    label: str
    type: str
    owner: str
    choosable: bool
    reason: str
    # A text for this invoice already waiting to go to this number: what the dialog says, and its id
    # so the sender can cancel it.
    waiting: str = ""
    waiting_message_id: int | None = None


class TextAlreadyWaiting(DomainError):
    """A text for this invoice to this number is scheduled or queued already."""

    def __init__(self, message: str, message_id: int):
        super().__init__(message)
        self.message_id = message_id


@dataclass(frozen=True)
class EmailOption:
    address: str
    label: str


@dataclass(frozen=True)
class TextPreview:
    body: str
    segments: str
    send_note: str  # when quiet hours hold the text back, when it will go; else ""
    send_label: str  # the button: "Send", or "Schedule for 8:00 AM" when quiet hours hold it


@dataclass(frozen=True)
class SendResult:
    message_id: int
    channel: Channel
    to_address: str
    to_display: str
    scheduled_for: datetime | None
    confirmation: str  # "Text queued to (512) 555-0104" / "Scheduled for 8:00 AM CST because of quiet hours"
    repeated: bool  # the key had been used already: this is the message written then


@dataclass(frozen=True)
class _Context:
    invoice: Invoice
    business: Business
    settings: PaymentSettings
    in_flight: invoices.PaymentsInFlight | None


@dataclass(frozen=True)
class _Target:
    e164: str
    type: str
    phone: PhoneNumber | None  # the record it is on, when it is on one
    new_number: NewNumber | None


# ---------------------------------------------------------------- what blocks a send


def text_blocker(
    session: Session, employee: Employee, invoice_id: int, via: Via, now: datetime | None = None
) -> str | None:
    """Why this person cannot text this invoice's link right now, or None when they can."""
    try:
        context = _check_can_text(session, employee, invoice_id, via)
    except DomainError as error:
        return error.message
    return _every_mobile_at_daily_limit(session, context, now or utcnow())


def _every_mobile_at_daily_limit(session: Session, context: _Context, now: datetime) -> str | None:
    """Texting is disabled while each Mobile number on record has had its texts for the day; the
    reason says when the first of them comes free."""
    mobiles = [phone.e164 for phone in _numbers_on_record(session, context.invoice) if phone.type == PhoneType.MOBILE]
    limit = context.settings.sms_per_recipient_daily_limit
    next_allowed = next_allowed_texts(session, context.invoice, mobiles, limit, now)
    if not mobiles or any(number not in next_allowed for number in mobiles):
        return None
    times = "its text" if limit == 1 else f"its {limit} texts"
    return (
        f"Every Mobile number on record has had {times} for invoice #{context.invoice.number} today. "
        f"The next text can go at {display.moment(min(next_allowed.values()), context.business.time_zone)}."
    )


def email_blocker(session: Session, employee: Employee, invoice_id: int, via: Via) -> str | None:
    """Why this person cannot email this invoice's link right now, or None when they can."""
    try:
        _check_can_email(session, employee, invoice_id, via)
    except DomainError as error:
        return error.message
    return None


# Which people send from where: office staff from the invoice pages, technicians from their jobs.
_VIA_PERMISSION = {Via.OFFICE: Permission.VIEW_INVOICES, Via.MOBILE: Permission.VIEW_ASSIGNED_JOBS}


def _check_via(session: Session, employee: Employee, via: Via) -> None:
    """A technician cannot take the office's door (its settings differ), nor office staff Mobile's."""
    needed = _VIA_PERMISSION[Via(via)]
    if not has_permission(session, employee, needed):
        where = "the office" if Via(via) is Via.OFFICE else "Mobile"
        raise NotAllowed(f'Sending from {where} needs the "{needed.value}" permission.')


def text_unavailable(session: Session, employee: Employee, via: Via) -> str | None:
    """Why texting invoice links is not offered to this person from this door at all (their
    permissions, the account, the settings), whatever the invoice; None when it is offered.
    A view may leave an action that is not offered out of its menu."""
    try:
        _check_text_offered(session, employee, session.get_one(Business, employee.business_id), via)
    except DomainError as error:
        return error.message
    return None


def email_unavailable(session: Session, employee: Employee, via: Via) -> str | None:
    """As text_unavailable, for emailing invoice links."""
    try:
        _check_email_offered(session, employee, via)
    except DomainError as error:
        return error.message
    return None


def channel_blocker(business: Business, settings: PaymentSettings, channel: Channel, via: Via) -> str | None:
    """Why the business does not allow pay links by this channel from this door right now (the
    account, its registration, the settings), or None. Checked at the send and again when it goes."""
    office = Via(via) is Via.OFFICE
    if Via(via) is Via.AUTOMATIC:
        return None if Channel(channel) is Channel.EMAIL and settings.email_when_text_fails else FALLBACK_OFF
    if Channel(channel) is Channel.SMS:
        if blocker := sms_readiness.account_blocker(business):
            return blocker
        if not settings.sms_links_enabled:
            return SMS_LINKS_OFF
        if office and not settings.office_sms_enabled:
            return OFFICE_SMS_OFF
        if not office and not (settings.mobile_email_enabled and settings.mobile_sms_enabled):
            return MOBILE_SMS_OFF
        return None
    if office and not settings.office_email_enabled:
        return OFFICE_EMAIL_OFF
    # In Settings the Mobile options live under the "SMS invoice links" switch.
    if not office and not (settings.sms_links_enabled and settings.mobile_email_enabled):
        return MOBILE_EMAIL_OFF
    return None


def _check_text_offered(session: Session, employee: Employee, business: Business, via: Via) -> PaymentSettings:
    _check_via(session, employee, via)
    if not has_permission(session, employee, Permission.SEND_INVOICE_SMS):
        raise NotAllowed(NEEDS_SMS_PERMISSION)
    settings = accounts.payment_settings(session, saved_id(business))
    if blocker := channel_blocker(business, settings, Channel.SMS, via):
        raise DomainError(blocker)
    return settings


def _check_email_offered(session: Session, employee: Employee, via: Via) -> PaymentSettings:
    _check_via(session, employee, via)
    if not has_permission(session, employee, Permission.SEND_INVOICE_EMAIL):
        raise NotAllowed(NEEDS_EMAIL_PERMISSION)
    settings = accounts.payment_settings(session, employee.business_id)
    business = session.get_one(Business, employee.business_id)
    if blocker := channel_blocker(business, settings, Channel.EMAIL, via):
        raise DomainError(blocker)
    return settings


def _check_can_text(session: Session, employee: Employee, invoice_id: int, via: Via) -> _Context:
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    business = session.get_one(Business, invoice.business_id)
    settings = _check_text_offered(session, employee, business, via)
    if invoice.kind != InvoiceKind.JOB:
        raise DomainError(TEXT_KIND_UNAVAILABLE)
    return _Context(invoice, business, settings, _check_payable(session, invoice, settings))


def _check_can_email(session: Session, employee: Employee, invoice_id: int, via: Via) -> _Context:
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    settings = _check_email_offered(session, employee, via)
    if invoice.kind != InvoiceKind.JOB:
        raise DomainError(EMAIL_KIND_UNAVAILABLE)
    in_flight = _check_payable(session, invoice, settings)
    return _Context(invoice, session.get_one(Business, invoice.business_id), settings, in_flight)


def _check_payable(session: Session, invoice: Invoice, settings: PaymentSettings) -> invoices.PaymentsInFlight | None:
    """Raise DomainError when the invoice cannot be paid by link now; else its bank payment in flight."""
    in_flight = invoices.payments_in_flight(session, [saved_id(invoice)]).get(saved_id(invoice))
    zone = session.get_one(Business, invoice.business_id).time_zone
    if blocker := payable_blocker(invoice, settings, in_flight, zone):
        raise DomainError(blocker)
    return in_flight


def payable_blocker(
    invoice: Invoice, settings: PaymentSettings, in_flight: invoices.PaymentsInFlight | None, time_zone: str
) -> str | None:
    """Why the invoice cannot be paid by link now, or None. Checked at the send and again when it goes."""
    status = InvoiceStatus(invoice.status)
    if status is InvoiceStatus.DRAFT:
        return DRAFT
    if status is InvoiceStatus.PAID:
        return PAID
    if status is InvoiceStatus.VOID:
        return VOID
    if invoice.balance_cents <= 0:
        return NO_BALANCE
    if not accepted_pay_by(settings):
        return NO_PAYMENT_METHOD
    if (
        in_flight is not None
        and invoices.payable_while_in_flight(invoice.balance_cents, in_flight, settings.partial_payments_enabled) <= 0
    ):  # (without a payment in flight, the balance above is payable)
        return payment_processing(in_flight, time_zone)
    return None


def payment_processing(in_flight: invoices.PaymentsInFlight, time_zone: str) -> str:
    kind = "bank payment" if in_flight.bank_only else "payment"
    return (
        f"A {kind} of {display.money(in_flight.amount_cents)} has been processing since "
        f"{display.short_day(display.local(in_flight.since, time_zone))}; "
        "bank payments take up to 4 business days to clear."
    )


def _amount_to_text(context: _Context) -> int:
    """What a new link asks for: the balance, less bank debits already on their way."""
    return invoices.payable_while_in_flight(
        context.invoice.balance_cents, context.in_flight, context.settings.partial_payments_enabled
    )


def accepted_pay_by(settings: PaymentSettings) -> list[PayBy]:
    """The payment methods a link may open on, card first."""
    return [pay_by for pay_by, on in ((PayBy.CARD, settings.card_enabled), (PayBy.ACH, settings.ach_enabled)) if on]


def pay_by_choices(session: Session, employee: Employee) -> list[PayBy]:
    return accepted_pay_by(accounts.payment_settings(session, employee.business_id))


def _check_pay_by(settings: PaymentSettings, pay_by: str) -> PayBy:
    try:
        chosen = PayBy(pay_by)
    except ValueError:
        raise DomainError("Choose Credit Card or ACH.") from None
    if chosen not in accepted_pay_by(settings):
        raise DomainError(CARD_OFF if chosen is PayBy.CARD else ACH_OFF)
    return chosen


# ---------------------------------------------------------------- the recipient picker


def recipient_options(
    session: Session, employee: Employee, invoice_id: int, now: datetime | None = None
) -> list[RecipientOption]:
    """The customer's and the service location's numbers, each choosable or saying why not."""
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    business = session.get_one(Business, invoice.business_id)
    records = _numbers_on_record(session, invoice)
    numbers = [phone.e164 for phone in records]
    opted_out = consent.opted_out_numbers(session, saved_id(business), numbers)
    limit = accounts.payment_settings(session, saved_id(business)).sms_per_recipient_daily_limit
    now = now or utcnow()
    next_allowed = next_allowed_texts(session, invoice, numbers, limit, now)
    waiting = _waiting_texts(session, invoice, numbers)
    location = session.get_one(Location, invoice.location_id)
    options = []
    for phone in records:
        reason = ""
        if phone.type != PhoneType.MOBILE:
            reason = ONLY_MOBILE
        elif phone.e164 in opted_out:
            since = display.local(opted_out[phone.e164], business.time_zone).date()
            reason = f"Opted out of texts on {display.day(since)}"
        elif phone.e164 in next_allowed:
            next_at = display.moment(next_allowed[phone.e164], business.time_zone)
            reason = f"Texted {limit} times in 24 hours; next text possible at {next_at}"
        options.append(
            RecipientOption(
                phone_number_id=saved_id(phone),
                number=phones.display(phone.e164),
                label="" if phone.label in ("", phone.type) else phone.label,
                type=phone.type,
                owner="Customer" if phone.customer_id else "Service location",
                choosable=not reason,
                reason=reason,
                waiting=_waiting_notice(waiting[phone.e164], location.time_zone, now) if phone.e164 in waiting else "",
                waiting_message_id=waiting[phone.e164].id if phone.e164 in waiting else None,
            )
        )
    return options


def _waiting_texts(session: Session, invoice: Invoice, numbers: list[str]) -> dict[str, OutboundMessage]:
    """{number: the pay-link text for this invoice scheduled, queued or going out to it}."""
    if not numbers:
        return {}
    rows = session.exec(
        select(OutboundMessage).where(
            OutboundMessage.invoice_id == invoice.id,
            OutboundMessage.channel == Channel.SMS.value,
            col(OutboundMessage.payment_link_id).is_not(None),
            col(OutboundMessage.to_address).in_(numbers),
            col(OutboundMessage.status).in_([status.value for status in WAITING_STATUSES]),
        )
    ).all()
    return {row.to_address: row for row in rows}


def _waiting_notice(message: OutboundMessage, time_zone: str, now: datetime) -> str:
    shown = phones.display(message.to_address)
    if message.status == MessageStatus.SCHEDULED:
        return f"A text to {shown} is already scheduled for {describe_send_time(message.send_after, now, time_zone)}."
    return f"A text to {shown} is already on its way."


def _check_nothing_waiting(session: Session, context: _Context, e164: str, now: datetime) -> None:
    """One waiting text per invoice and number: a second send would only repeat the first."""
    waiting = _waiting_texts(session, context.invoice, [e164]).get(e164)
    if waiting is not None:
        location = session.get_one(Location, context.invoice.location_id)
        raise TextAlreadyWaiting(_waiting_notice(waiting, location.time_zone, now), saved_id(waiting))


def cancel_waiting_text(session: Session, employee: Employee, invoice_id: int, message_id: int, via: Via) -> str:
    """Cancel a pay-link text that has not gone yet (e.g. to send another now); returns what to say."""
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    _check_via(session, employee, via)
    if not has_permission(session, employee, Permission.SEND_INVOICE_SMS):
        raise NotAllowed(NEEDS_SMS_PERMISSION)
    message = session.get(OutboundMessage, message_id)
    if (
        message is None
        or message.invoice_id != invoice.id
        or message.payment_link_id is None
        or message.channel != Channel.SMS
    ):
        raise NotFound("That text is not on this invoice.")
    canceled = delivery.transition(
        session,
        saved_id(message),
        MessageStatus.CANCELED,
        allowed_from=delivery.UNSENT,
        actor=employee.name,
        failure_reason=f"Canceled by {employee.name} before it went out.",
    )
    if canceled is None:
        raise DomainError("That text has already gone out, so it can no longer be canceled.")
    return f"Canceled the text to {phones.display(message.to_address)}."


def _numbers_on_record(session: Session, invoice: Invoice, e164: str | None = None) -> list[PhoneNumber]:
    """The numbers on the invoice's customer and service location records, customer's first."""
    statement = select(PhoneNumber).where(
        (PhoneNumber.customer_id == invoice.customer_id) | (PhoneNumber.location_id == invoice.location_id)
    )
    if e164 is not None:
        statement = statement.where(PhoneNumber.e164 == e164)
    found = session.exec(statement.order_by(col(PhoneNumber.id))).all()
    return sorted(found, key=lambda phone: phone.customer_id is None)


def email_options(session: Session, employee: Employee, invoice_id: int) -> list[EmailOption]:
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    rows = session.exec(
        select(EmailAddress).where(EmailAddress.customer_id == invoice.customer_id).order_by(col(EmailAddress.id))
    ).all()
    return [EmailOption(address=row.email, label=row.label) for row in rows]


# ---------------------------------------------------------------- what will be sent


def new_link_token() -> str:
    """A token to render a preview with and then send (see links.mint)."""
    return links.new_link_token()


def preview_text(
    session: Session,
    employee: Employee,
    invoice_id: int,
    pay_by: str,
    token: str,
    via: Via,
    now: datetime | None = None,
) -> TextPreview:
    """The exact text a send with this token would carry, and when it would go."""
    context = _check_can_text(session, employee, invoice_id, via)
    body = _text_body(context, _check_pay_by(context.settings, pay_by), token)
    now = now or utcnow()
    location = session.get_one(Location, context.invoice.location_id)
    send_after = quiet_hours_send_after(now, location.time_zone)
    note, label = "", "Send"
    if send_after is not None:
        label = f"Schedule for {display.time_of_day(send_after, location.time_zone)}"
        local_now = display.time_of_day(now, location.time_zone)
        note = (
            f"It is {local_now} at the service location ({zone_name(location.time_zone, now)}). "
            "Texts go out between 8 AM and 9 PM there, "
            f"so this one will go at {describe_send_time(send_after, now, location.time_zone)}."
        )
    return TextPreview(body=body, segments=sms_text.segment_info(body).describe(), send_note=note, send_label=label)


def preview_email(
    session: Session, employee: Employee, invoice_id: int, pay_by: str, token: str, via: Via
) -> EmailText:
    context = _check_can_email(session, employee, invoice_id, via)
    return _email(session, context, _check_pay_by(context.settings, pay_by), token)


def _text_body(context: _Context, pay_by: PayBy, token: str) -> str:
    invoice, business = context.invoice, context.business
    link = links.url(business, token, pay_by)
    return sms_text.invoice_text(business.name, invoice.number, _amount_to_text(context), link, pay_by)


def _email(session: Session, context: _Context, pay_by: PayBy, token: str) -> EmailText:
    invoice, business = context.invoice, context.business
    customer = session.get_one(Customer, invoice.customer_id)
    return email_text.invoice_email(
        business_name=business.name,
        business_phone=business.phone,
        customer_name=customer.name,
        invoice_number=invoice.number,
        amount_due_cents=_amount_to_text(context),
        link=links.url(business, token, pay_by),
        pay_by=pay_by,
        valid_days=context.settings.link_valid_days,
    )


# ---------------------------------------------------------------- quiet hours


def quiet_hours_send_after(now: datetime, time_zone: str) -> datetime | None:
    """None when a text may go now; else the next 8 AM in that time zone (as UTC)."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    if SENDING_STARTS <= local.time() < SENDING_ENDS:
        return None
    day = local.date() if local.time() < SENDING_STARTS else local.date() + timedelta(days=1)
    return datetime.combine(day, SENDING_STARTS, tzinfo=zone).astimezone(UTC)


def describe_send_time(when: datetime, now: datetime, time_zone: str) -> str:
    """ "8:00 AM CST", "8:00 AM CST tomorrow" or "8:00 AM CST on Nov 26, 2026"."""
    local, today = display.local(when, time_zone), display.local(now, time_zone).date()
    clock = f"{display.time_of_day(when, time_zone)} {local:%Z}"
    if local.date() == today:
        return clock
    if local.date() == today + timedelta(days=1):
        return f"{clock} tomorrow"
    return f"{clock} on {display.day(local.date())}"


# ---------------------------------------------------------------- sending


def send_invoice_text(
    session: Session,
    employee: Employee,
    invoice_id: int,
    recipient: Recipient,
    pay_by: str,
    via: Via,
    idempotency_key: str,
    now: datetime | None = None,
    *,
    token: str | None = None,
    line_types: LineTypeLookup | None = None,
) -> SendResult:
    """Text the invoice's payment link, or raise DomainError saying why not.

    token: the one the sender's preview was rendered with (else a fresh one).
    line_types: a carrier lookup, when one is configured; landlines are refused.
    On a lost race for the same key the session is rolled back and the winner's message returned.
    """
    now = now or utcnow()
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    if earlier := _earlier_send(session, invoice, Channel.SMS, idempotency_key, now):
        return earlier
    context = _check_can_text(session, employee, invoice_id, via)
    target = _resolve_recipient(session, context.invoice, recipient)
    _check_recipient(session, context, target, line_types)
    _check_daily_limit(session, context, target.e164, now)
    _check_nothing_waiting(session, context, target.e164, now)
    chosen = _check_pay_by(context.settings, pay_by)
    try:
        return _write_once(
            session,
            invoice_id,
            Channel.SMS,
            idempotency_key,
            now,
            lambda: _write_text(session, employee, context, target, chosen, Via(via), idempotency_key, token, now),
        )
    except IntegrityError:
        # A racing send to the same number committed its text first: say so, as if it had been first.
        _check_nothing_waiting(session, context, target.e164, now)
        raise


def send_invoice_email(
    session: Session,
    employee: Employee,
    invoice_id: int,
    to_email: str,
    pay_by: str,
    via: Via,
    idempotency_key: str,
    now: datetime | None = None,
    *,
    token: str | None = None,
) -> SendResult:
    """Email the invoice's payment link, or raise DomainError saying why not."""
    now = now or utcnow()
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    if earlier := _earlier_send(session, invoice, Channel.EMAIL, idempotency_key, now):
        return earlier
    context = _check_can_email(session, employee, invoice_id, via)
    address = (to_email or "").strip()
    if not _EMAIL.match(address) or len(address) > 254:
        raise DomainError(f'"{address}" is not an email address.' if address else "Enter an email address.")
    chosen = _check_pay_by(context.settings, pay_by)
    return _write_once(
        session,
        invoice_id,
        Channel.EMAIL,
        idempotency_key,
        now,
        lambda: _write_email(session, employee, context, address, chosen, Via(via), idempotency_key, token, now),
    )


def _earlier_send(session: Session, invoice: Invoice, channel: Channel, key: str, now: datetime) -> SendResult | None:
    if not key or len(key) > 64:
        raise DomainError(MISSING_KEY)
    message = session.exec(select(OutboundMessage).where(OutboundMessage.idempotency_key == key)).first()
    if message is None:
        return None
    if message.invoice_id != invoice.id or message.channel != channel:
        raise DomainError(KEY_REUSED)
    location = session.get_one(Location, invoice.location_id)
    return _result(message, location.time_zone, now, repeated=True)


def _write_once(
    session: Session, invoice_id: int, channel: Channel, key: str, now: datetime, write: Callable[[], SendResult]
) -> SendResult:
    """write(), unless a request with the same key committed first: then that request's message."""
    try:
        return write()
    except IntegrityError:
        if earlier := _after_lost_race(session, invoice_id, channel, key, now):
            return earlier
        raise


def _after_lost_race(session: Session, invoice_id: int, channel: Channel, key: str, now: datetime) -> SendResult | None:
    """After a failed write: the message of the request with the same key that committed first."""
    session.rollback()
    return _earlier_send(session, session.get_one(Invoice, invoice_id), channel, key, now)


def _resolve_recipient(session: Session, invoice: Invoice, recipient: Recipient) -> _Target:
    if recipient.phone_number_id is not None:
        phone = session.get(PhoneNumber, recipient.phone_number_id)
        if phone is None or not (phone.customer_id == invoice.customer_id or phone.location_id == invoice.location_id):
            raise NotFound(NOT_ON_RECORD)
        return _Target(phone.e164, phone.type, phone, None)
    new = recipient.new_number
    if new is None:
        raise DomainError(CHOOSE_A_NUMBER)
    e164 = phones.parse(new.number)
    try:
        kind = PhoneType(new.type).value
    except ValueError:
        raise DomainError("Choose the number's type: Mobile, Home, Work or Other.") from None
    if len(new.label.strip()) > 60:
        raise DomainError("Keep the name or label under 60 characters.")
    on_record = _numbers_on_record(session, invoice, e164)
    shown = phones.display(e164)
    if new.save_to_customer and any(phone.customer_id == invoice.customer_id for phone in on_record):
        raise DomainError(f"{shown} is already on the customer's record. Choose it from the list.")
    if new.save_to_location and any(phone.location_id == invoice.location_id for phone in on_record):
        raise DomainError(f"{shown} is already on the service location's record. Choose it from the list.")
    for phone in on_record:
        if phone.type != PhoneType.MOBILE:
            raise DomainError(f"{shown} is on the record as a {phone.type} number. {ONLY_MOBILE}.")
    return _Target(e164, kind, on_record[0] if on_record else None, new)


def _check_recipient(session: Session, context: _Context, target: _Target, line_types: LineTypeLookup | None) -> None:
    shown = phones.display(target.e164)
    if target.type != PhoneType.MOBILE:
        raise DomainError(f"{ONLY_MOBILE}: {shown} is a {target.type} number.")
    if (since := consent.opted_out_at(session, saved_id(context.business), target.e164)) is not None:
        day = display.day(display.local(since, context.business.time_zone).date())
        raise DomainError(
            f"{shown} replied STOP on {day} and has opted out of texts. They can text START to opt back in."
        )
    if line_types is None:
        return
    try:
        line_type = line_types.line_type(target.e164)
    except ProviderError:
        raise DomainError(
            f"The carrier lookup for {shown} did not answer, so the number could not be checked. Try again in a minute."
        ) from None
    if line_type in _CANNOT_TEXT:
        raise DomainError(f"The carrier says {shown} is a {line_type} number, which cannot receive texts.")


def _recent_text_times(
    session: Session, invoice: Invoice, numbers: list[str], since: datetime
) -> Sequence[tuple[str, datetime]]:
    return session.exec(
        select(OutboundMessage.to_address, OutboundMessage.created_at)
        .where(
            OutboundMessage.invoice_id == invoice.id,
            OutboundMessage.channel == Channel.SMS,
            col(OutboundMessage.to_address).in_(numbers),
            OutboundMessage.created_at > since,
        )
        .order_by(col(OutboundMessage.created_at))
    ).all()


def next_allowed_texts(
    session: Session, invoice: Invoice, numbers: list[str], limit: int, now: datetime
) -> dict[str, datetime]:
    """When each number may next get a text for this invoice under the daily limit.

    `limit` is the business's texts per invoice and number in any 24 hours (0 = no limit). Only the
    numbers that have reached it appear, mapped to the moment the oldest of their last `limit` texts
    turns 24 hours old; a number absent from the answer may be texted at `now`. Every door that
    texts an invoice (the office, reminders, a new link on request) asks this one rule."""
    if limit <= 0 or not numbers:
        return {}
    window = timedelta(hours=24)
    sent: dict[str, list[datetime]] = {}
    for number, at in _recent_text_times(session, invoice, numbers, now - window):
        sent.setdefault(number, []).append(at)
    return {number: times[-limit] + window for number, times in sent.items() if len(times) >= limit}


def _check_daily_limit(session: Session, context: _Context, e164: str, now: datetime) -> None:
    limit = context.settings.sms_per_recipient_daily_limit
    next_at = next_allowed_texts(session, context.invoice, [e164], limit, now).get(e164)
    if next_at is not None:
        times = "text" if limit == 1 else f"{limit} texts"
        raise DomainError(
            f"{phones.display(e164)} already got {times} for invoice #{context.invoice.number} "
            f"in the last 24 hours. The next one can go at "
            f"{display.moment(next_at, context.business.time_zone)}."
        )


def _write_text(
    session: Session,
    employee: Employee,
    context: _Context,
    target: _Target,
    pay_by: PayBy,
    via: Via,
    key: str,
    token: str | None,
    now: datetime,
) -> SendResult:
    invoice, business = context.invoice, context.business
    saved = _save_new_number(session, employee, invoice, target, via, now)
    phone = target.phone or (saved[0] if saved else None)
    link, token = links.mint(
        session, invoice, employee=employee, valid_days=context.settings.link_valid_days, now=now, token=token
    )
    location = session.get_one(Location, invoice.location_id)
    message = outbox.enqueue(
        session,
        business_id=saved_id(business),
        channel=Channel.SMS,
        to_address=target.e164,
        body=_text_body(context, pay_by, token),
        invoice_id=invoice.id,
        phone_number_id=phone.id if phone else None,
        payment_link_id=link.id,
        from_address=business.default_sending_number,
        employee=employee,
        send_after=quiet_hours_send_after(now, location.time_zone),
        idempotency_key=key,
        via=via,
    )
    _audit_link(session, employee, invoice, saved_id(link), saved_id(message), Channel.SMS, pay_by, via)
    reminders.on_text_sent(session, invoice, target.e164, now)
    session.flush()  # a racing request with the same key fails here, inside the caller's try
    return _result(message, location.time_zone, now, repeated=False)


def _write_email(
    session: Session,
    employee: Employee,
    context: _Context,
    address: str,
    pay_by: PayBy,
    via: Via,
    key: str,
    token: str | None,
    now: datetime,
) -> SendResult:
    invoice = context.invoice
    link, token = links.mint(
        session, invoice, employee=employee, valid_days=context.settings.link_valid_days, now=now, token=token
    )
    email = _email(session, context, pay_by, token)
    message = outbox.enqueue(
        session,
        business_id=saved_id(context.business),
        channel=Channel.EMAIL,
        to_address=address,
        subject=email.subject,
        body=email.body,
        invoice_id=invoice.id,
        payment_link_id=link.id,
        employee=employee,
        idempotency_key=key,
        via=via,
    )
    _audit_link(session, employee, invoice, saved_id(link), saved_id(message), Channel.EMAIL, pay_by, via)
    session.flush()
    location = session.get_one(Location, invoice.location_id)
    return _result(message, location.time_zone, now, repeated=False)


def _save_new_number(
    session: Session, employee: Employee, invoice: Invoice, target: _Target, via: Via, now: datetime
) -> list[PhoneNumber]:
    """Add a typed number to the records the sender ticked, recording who took consent, when and how."""
    new = target.new_number
    if new is None:
        return []
    owners: list[tuple[int | None, int | None]] = []  # (customer_id, location_id)
    if new.save_to_customer:
        owners.append((invoice.customer_id, None))
    if new.save_to_location:
        owners.append((None, invoice.location_id))
    where = "from the office" if via is Via.OFFICE else "in the field (Mobile)"
    saved = []
    for customer_id, location_id in owners:
        phone = PhoneNumber(
            business_id=invoice.business_id,
            customer_id=customer_id,
            location_id=location_id,
            e164=target.e164,
            reversed_digits=phones.reversed_digits(target.e164),
            type=target.type,
            label=new.label.strip() or target.type,
            consent_at=now,
            consent_by_employee_id=employee.id,
            consent_method=f"Given to {employee.name} to text invoice #{invoice.number} {where}",
        )
        session.add(phone)
        session.flush()
        audit.record(
            session,
            "phone.added",
            "phone_number",
            phone.id,
            business_id=invoice.business_id,
            employee=employee,
            e164=target.e164,
            type=target.type,
            record="customer" if phone.customer_id else "location",
            consent_method=phone.consent_method,
        )
        saved.append(phone)
    return saved


def _audit_link(
    session: Session,
    employee: Employee,
    invoice: Invoice,
    link_id: int,
    message_id: int,
    channel: Channel,
    pay_by: PayBy,
    via: Via,
) -> None:
    audit.record(
        session,
        "payment_link.sent",
        "payment_link",
        link_id,
        business_id=invoice.business_id,
        employee=employee,
        invoice_id=invoice.id,
        message_id=message_id,
        channel=channel.value,
        pay_by=pay_by.value,
        via=via.value,
    )


def _result(message: OutboundMessage, time_zone: str, now: datetime, *, repeated: bool) -> SendResult:
    channel = Channel(message.channel)
    shown = phones.display(message.to_address) if channel is Channel.SMS else message.to_address
    scheduled_for = message.send_after if message.status == MessageStatus.SCHEDULED else None
    if scheduled_for is not None:
        confirmation = f"Scheduled for {describe_send_time(scheduled_for, now, time_zone)} because of quiet hours"
    else:
        confirmation = f"{'Text' if channel is Channel.SMS else 'Email'} queued to {shown}"
    return SendResult(
        message_id=saved_id(message),
        channel=channel,
        to_address=message.to_address,
        to_display=shown,
        scheduled_for=scheduled_for,
        confirmation=confirmation,
        repeated=repeated,
    )
