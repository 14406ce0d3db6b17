"""Payment reminders: texts that follow an unpaid invoice's first text on a cadence of days.

A plan (InvoiceReminder) is made when an invoice is first texted while reminders are on. Each
reminder is due at 9:00 AM at the service location on day N after the first text, goes to the
number the invoice was last texted to, with a fresh link (a link's token is kept only as a hash, so
the live one cannot be sent again), and is an ordinary outbox text: the dispatcher's send-time
checks (quiet hours, paid/void/in flight, opt-out, texting switched off) apply when it goes.

A plan stops for good when the invoice is paid or void, a bank payment is in flight, the number
opts out or the customer replies; a person may pause and resume it on the invoice page. A reminder
never comes on the same local day as a text someone sent by hand, nor past the daily limit: it
moves to the next morning instead.

The workers claim due plans by the indexed next_reminder_at (SKIP LOCKED on PostgreSQL, a
conditional UPDATE of `sent` on SQLite); the outbox row's idempotency key "reminder-<invoice>-<n>"
is unique, so two workers can never both send reminder n.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from smslinks.core import accounts, audit, consent, display, invoices, links, outbox, sending, sms_text
from smslinks.core.errors import DomainError
from smslinks.core.online_payments import SAMPLE_AMOUNT_CENTS, SAMPLE_INVOICE_NUMBER, SAMPLE_TOKEN
from smslinks.core.permissions import Permission, require_permission
from smslinks.models import (
    WAITING_STATUSES,
    Business,
    Channel,
    Employee,
    Invoice,
    InvoiceReminder,
    InvoiceStatus,
    Location,
    OutboundMessage,
    PaymentSettings,
    saved_id,
    utcnow,
)

log = logging.getLogger(__name__)

MAX_REMINDERS = 5
MAX_DAY = 90
REMINDER_TIME = time(9, 0)  # local time at the service location
KEY_PREFIX = "reminder-"
ACTOR = "payment reminders"
CADENCE_RULE = (
    f"Enter up to {MAX_REMINDERS} days after the first text, each from 1 to {MAX_DAY}, "
    "increasing, separated by commas (for example 3, 7, 14)."
)

# Why a plan stopped for good, as the invoice page says it.
STOP_PAID = "the invoice was paid"
STOP_VOID = "the invoice was voided"
STOP_OPTED_OUT = "the number opted out of texts"
STOP_REPLIED = "the customer replied"
STOP_IN_FLIGHT = "a payment is processing"
STOP_DONE = "all reminders were sent"
STOP_SWITCHED_OFF = "reminders were switched off in Settings"


# ---------------------------------------------------------------- the cadence


def parse_cadence(text: str) -> list[int]:
    """ "3, 7, 14" -> [3, 7, 14]; DomainError(CADENCE_RULE) unless 1-5 increasing days of 1-90."""
    parts = [part.strip() for part in str(text).replace(" ", ",").split(",") if part.strip()]
    if not 1 <= len(parts) <= MAX_REMINDERS or not all(part.isascii() and part.isdigit() for part in parts):
        raise DomainError(CADENCE_RULE)
    days = [int(part) for part in parts]
    if any(not 1 <= day <= MAX_DAY for day in days) or any(a >= b for a, b in zip(days, days[1:], strict=False)):
        raise DomainError(CADENCE_RULE)
    return days


def cadence_text(days: list[int]) -> str:
    return ",".join(str(day) for day in days)


def describe_cadence(days: list[int]) -> str:
    """ "3, 7 and 14 days after the first text" """
    shown = ", ".join(str(day) for day in days[:-1]) + (" and " if len(days) > 1 else "") + str(days[-1])
    return f"{shown} day{'s' if days[-1] != 1 or len(days) > 1 else ''} after the first text"


def due_at(first_text_at: datetime, days: int, time_zone: str) -> datetime:
    """9:00 AM at the service location, `days` local days after the first text (as UTC)."""
    zone = ZoneInfo(time_zone)
    day = first_text_at.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, REMINDER_TIME, tzinfo=zone).astimezone(UTC)


def next_morning(now: datetime, time_zone: str) -> datetime:
    zone = ZoneInfo(time_zone)
    return datetime.combine(now.astimezone(zone).date() + timedelta(days=1), REMINDER_TIME, tzinfo=zone).astimezone(UTC)


# ---------------------------------------------------------------- the text


def reminder_text(business_name: str, invoice_number: str, amount_due_cents: int, link: str) -> str:
    """The fixed reminder wording: who, which invoice, how much, the link, and how to stop; short
    enough for one segment with a sample link on a long business name's own host."""
    return sms_text.smart_encode(
        f"{sms_text.plain_name(business_name)} reminder: invoice #{invoice_number} for {display.money(amount_due_cents)} "
        f"is still due. Pay: {link} {sms_text.OPT_OUT_LINE}"
    )


# ---------------------------------------------------------------- making and stopping plans


def on_text_sent(session: Session, invoice: Invoice, e164: str, now: datetime) -> None:
    """Called when a person texts an invoice's link: the first text starts a plan (when reminders are
    on); a later one points the plan at the number texted last."""
    plan = session.exec(select(InvoiceReminder).where(InvoiceReminder.invoice_id == invoice.id)).first()
    if plan is not None:
        if plan.stopped_at is None:
            plan.to_address, plan.updated_at = e164, now
            session.add(plan)
        return
    settings = accounts.payment_settings(session, invoice.business_id)
    if not settings.reminders_enabled:
        return
    zone = session.get_one(Location, invoice.location_id).time_zone
    days = parse_cadence(settings.reminder_days)
    session.add(
        InvoiceReminder(
            business_id=invoice.business_id,
            invoice_id=saved_id(invoice),
            to_address=e164,
            first_text_at=now,
            next_reminder_at=due_at(now, days[0], zone),
            created_at=now,
            updated_at=now,
        )
    )


def stop_for_reply(session: Session, business_id: int, e164: str, now: datetime) -> int:
    """Any text from a number stops for good the reminders going to it; returns how many stopped."""
    return _stop_where(
        session,
        STOP_REPLIED,
        now,
        InvoiceReminder.business_id == business_id,
        InvoiceReminder.to_address == e164,
    )


def stop_for_number(session: Session, invoice_ids, e164: str, reason: str, now: datetime) -> int:
    """The office took the number off the customer's record (or said it cannot take texts): these
    invoices' reminders to it stop for good; returns how many stopped. invoice_ids: a subquery."""
    return _stop_where(
        session,
        reason[:300],
        now,
        col(InvoiceReminder.invoice_id).in_(invoice_ids),
        InvoiceReminder.to_address == e164,
    )


def _stop_where(session: Session, reason: str, now: datetime, *conditions) -> int:
    return session.exec(
        sa.update(InvoiceReminder)
        .where(*conditions, col(InvoiceReminder.stopped_at).is_(None))
        .values(stopped_at=now, stop_reason=reason, next_reminder_at=None, updated_at=now)
    ).rowcount


def _stop(session: Session, plan: InvoiceReminder, reason: str, now: datetime) -> None:
    plan.stopped_at, plan.stop_reason, plan.next_reminder_at, plan.updated_at = now, reason, None, now
    session.add(plan)
    audit.record(
        session,
        "reminders.stopped",
        "invoice",
        plan.invoice_id,
        business_id=plan.business_id,
        actor=ACTOR,
        reason=reason,
    )


# ---------------------------------------------------------------- pause and resume (invoice page)


@dataclass(frozen=True)
class ReminderStatus:
    """What the invoice page shows about its reminders."""

    exists: bool
    line: str  # "Reminder 2 of 3: Dec 10, 9:00 AM CST" / "Paused by Ann" / "Stopped: the customer replied"
    can_pause: bool
    can_resume: bool


def status(session: Session, employee: Employee, invoice_id: int, now: datetime | None = None) -> ReminderStatus:
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    plan = _plan(session, saved_id(invoice))
    if plan is None:
        return ReminderStatus(False, "", False, False)
    settings = accounts.payment_settings(session, invoice.business_id)
    total = len(parse_cadence(settings.reminder_days))
    zone = session.get_one(Location, invoice.location_id).time_zone
    if plan.stopped_at is not None:
        line = f"Reminders stopped: {plan.stop_reason} ({plan.sent} of {max(total, plan.sent)} sent)."
        return ReminderStatus(True, line, False, False)
    if plan.paused_at is not None:
        who = session.get(Employee, plan.paused_by_employee_id) if plan.paused_by_employee_id else None
        by = f" by {who.name}" if who else ""
        line = f"Reminders paused{by} on {display.moment(plan.paused_at, zone)} ({plan.sent} of {total} sent)."
        return ReminderStatus(True, line, False, True)
    when = display.moment(plan.next_reminder_at, zone) if plan.next_reminder_at else "not scheduled"
    return ReminderStatus(True, f"Reminder {plan.sent + 1} of {total}: {when}", True, False)


def pause(session: Session, employee: Employee, invoice_id: int, now: datetime | None = None) -> None:
    plan = _plan_to_change(session, employee, invoice_id)
    if plan.paused_at is not None:
        return
    now = now or utcnow()
    plan.paused_at, plan.paused_by_employee_id, plan.next_reminder_at, plan.updated_at = now, employee.id, None, now
    session.add(plan)
    audit.record(
        session, "reminders.paused", "invoice", plan.invoice_id, business_id=plan.business_id, employee=employee
    )


def resume(session: Session, employee: Employee, invoice_id: int, now: datetime | None = None) -> None:
    plan = _plan_to_change(session, employee, invoice_id)
    if plan.paused_at is None:
        return
    now = now or utcnow()
    invoice = session.get_one(Invoice, plan.invoice_id)
    settings = accounts.payment_settings(session, invoice.business_id)
    days = parse_cadence(settings.reminder_days)
    plan.paused_at, plan.paused_by_employee_id, plan.updated_at = None, None, now
    if plan.sent >= len(days):
        _stop(session, plan, STOP_DONE, now)
    else:
        zone = session.get_one(Location, invoice.location_id).time_zone
        plan.next_reminder_at = max(due_at(plan.first_text_at, days[plan.sent], zone), next_morning(now, zone))
        session.add(plan)
    audit.record(
        session, "reminders.resumed", "invoice", plan.invoice_id, business_id=plan.business_id, employee=employee
    )


def _plan(session: Session, invoice_id: int) -> InvoiceReminder | None:
    return session.exec(select(InvoiceReminder).where(InvoiceReminder.invoice_id == invoice_id)).first()


def _plan_to_change(session: Session, employee: Employee, invoice_id: int) -> InvoiceReminder:
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    require_permission(session, employee, Permission.SEND_INVOICE_SMS)
    plan = _plan(session, saved_id(invoice))
    if plan is None or plan.stopped_at is not None:
        raise DomainError("This invoice has no reminders to pause or resume.")
    return plan


# ---------------------------------------------------------------- the workers' pass


def due_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of due plans, oldest first, by the next_reminder_at index; locked (skipping plans other
    workers hold) on PostgreSQL."""
    statement = (
        select(InvoiceReminder.id)
        .where(col(InvoiceReminder.next_reminder_at) <= now)
        .order_by(col(InvoiceReminder.next_reminder_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return list(session.exec(statement).all())  # type: ignore[arg-type]  # ids read back: SQLModel types every id optional


def run_due(session: Session, now: datetime | None = None, limit: int = 200) -> int:
    """One scheduling pass (in the caller's transaction, which it leaves to commit): each due plan
    sends its reminder, moves on, or stops. Returns how many reminders were queued."""
    now = now or utcnow()
    queued = 0
    for plan_id in due_ids(session, now, limit):
        plan = session.get_one(InvoiceReminder, plan_id)
        if plan.next_reminder_at is None or plan.next_reminder_at > now:
            continue  # (SQLite) another worker moved it since we read it
        queued += _handle(session, plan, now)
    return queued


def _handle(session: Session, plan: InvoiceReminder, now: datetime) -> int:
    invoice = session.get_one(Invoice, plan.invoice_id)
    business = session.get_one(Business, plan.business_id)
    settings = accounts.payment_settings(session, saved_id(business))
    zone = session.get_one(Location, invoice.location_id).time_zone
    if reason := stop_reason(session, plan, invoice, business, settings):
        _stop(session, plan, reason, now)
        return 0
    days = parse_cadence(settings.reminder_days)
    if plan.sent >= len(days):
        _stop(session, plan, STOP_DONE, now)
        return 0
    if later := _not_today(session, plan, invoice, settings, now, zone):
        plan.next_reminder_at, plan.updated_at = later, now
        session.add(plan)
        return 0
    if not _claim(session, plan, now):
        return 0
    _enqueue(session, plan, invoice, business, settings, plan.sent)
    if plan.sent >= len(days):
        _stop(session, plan, STOP_DONE, now)
    else:
        plan.next_reminder_at = max(due_at(plan.first_text_at, days[plan.sent], zone), next_morning(now, zone))
        session.add(plan)
    return 1


class ReminderScheduler:
    """The workers' loop: one short transaction per pass; several schedulers may run at once."""

    def __init__(self, engine: sa.Engine, clock: Callable[[], datetime] = utcnow):
        self.engine, self.clock = engine, clock

    def run_once(self, limit: int = 200) -> int:
        with Session(self.engine, expire_on_commit=False) as session:
            queued = run_due(session, self.clock(), limit)
            session.commit()
        return queued

    def run_forever(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            try:
                queued = self.run_once()
            except Exception:  # a bad moment (database restarting...) must not end the worker
                log.exception("reminder pass failed")
                queued = 0
            if not queued:
                stop.wait(poll_seconds)


def stop_reason(
    session: Session, plan: InvoiceReminder, invoice: Invoice, business: Business, settings: PaymentSettings
) -> str | None:
    """Why the plan must stop for good now, or None."""
    if not settings.reminders_enabled:
        return STOP_SWITCHED_OFF
    in_flight = invoices.payments_in_flight(session, [saved_id(invoice)]).get(saved_id(invoice))
    if in_flight is not None and invoice.status == InvoiceStatus.OPEN:
        return STOP_IN_FLIGHT
    blocker = sending.payable_blocker(invoice, settings, in_flight, business.time_zone)
    if blocker == sending.PAID:
        return STOP_PAID
    if blocker == sending.VOID:
        return STOP_VOID
    if blocker:
        return blocker.rstrip(".")
    if consent.opted_out_at(session, saved_id(business), plan.to_address) is not None:
        return STOP_OPTED_OUT
    return None


def _not_today(
    session: Session, plan: InvoiceReminder, invoice: Invoice, settings: PaymentSettings, now: datetime, zone: str
) -> datetime | None:
    """When the reminder must wait: a text sent by hand today (local day), one still waiting to go,
    or the daily limit reached; None when it may go now."""
    texts = select(OutboundMessage.created_at, OutboundMessage.idempotency_key).where(
        OutboundMessage.invoice_id == invoice.id,
        OutboundMessage.channel == Channel.SMS.value,
        OutboundMessage.to_address == plan.to_address,
        col(OutboundMessage.payment_link_id).is_not(None),
    )
    waiting = texts.where(col(OutboundMessage.status).in_([status.value for status in WAITING_STATUSES]))
    if session.exec(waiting.limit(1)).first() is not None:
        return next_morning(now, zone)
    today = now.astimezone(ZoneInfo(zone)).date()
    for created_at, key in session.exec(texts.where(OutboundMessage.created_at > now - timedelta(days=2))).all():
        if not (key or "").startswith(KEY_PREFIX) and created_at.astimezone(ZoneInfo(zone)).date() == today:
            return next_morning(now, zone)
    limit = settings.sms_per_recipient_daily_limit
    next_allowed = sending.next_allowed_texts(session, invoice, [plan.to_address], limit, now)
    if plan.to_address in next_allowed:
        return max(next_allowed[plan.to_address], next_morning(now, zone))
    return None


def _claim(session: Session, plan: InvoiceReminder, now: datetime) -> bool:
    """Count this reminder as sent by this worker; False when another worker counted it first."""
    claimed = session.exec(
        sa.update(InvoiceReminder)
        .where(col(InvoiceReminder.id) == plan.id, col(InvoiceReminder.sent) == plan.sent)
        .values(sent=plan.sent + 1, updated_at=now)
    ).rowcount
    if claimed == 1:
        session.refresh(plan)
    return claimed == 1


def _enqueue(
    session: Session, plan: InvoiceReminder, invoice: Invoice, business: Business, settings: PaymentSettings, n: int
) -> OutboundMessage:
    """Reminder number n (1-based) into the outbox with a fresh link."""
    link, token = links.mint(session, invoice, valid_days=settings.link_valid_days)
    body = reminder_text(business.name, invoice.number, invoice.balance_cents, links.url(business, token))
    message = outbox.enqueue(
        session,
        business_id=saved_id(business),
        channel=Channel.SMS,
        to_address=plan.to_address,
        body=body,
        invoice_id=invoice.id,
        payment_link_id=link.id,
        from_address=business.default_sending_number,
        actor=ACTOR,
        idempotency_key=f"{KEY_PREFIX}{invoice.id}-{n}",
        via=sending.Via.OFFICE.value,
    )
    audit.record(
        session,
        "payment_link.reminder",
        "payment_link",
        link.id,
        business_id=business.id,
        actor=ACTOR,
        invoice_id=invoice.id,
        message_id=message.id,
        reminder=n,
    )
    return message


def reminder_number(message: OutboundMessage) -> int | None:
    """n for reminder n's outbox row, else None."""
    key = message.idempotency_key or ""
    if not key.startswith(KEY_PREFIX):
        return None
    return int(key.rsplit("-", 1)[1])


# ---------------------------------------------------------------- Settings > Online Payments > Reminders


@dataclass(frozen=True)
class ReminderSettings:
    enabled: bool
    days: str  # "3, 7, 14"
    preview: str  # the reminder as a customer of this business would get it (sample invoice)
    characters: int
    encoding: str
    segments: int


def settings_view(session: Session, employee: Employee) -> ReminderSettings:
    require_permission(session, employee, Permission.MANAGE_ONLINE_PAYMENTS)
    business = session.get_one(Business, employee.business_id)
    settings = accounts.payment_settings(session, saved_id(business))
    return _settings_of(business, settings.reminders_enabled, parse_cadence(settings.reminder_days))


def _settings_of(business: Business, enabled: bool, days: list[int]) -> ReminderSettings:
    text = reminder_text(business.name, SAMPLE_INVOICE_NUMBER, SAMPLE_AMOUNT_CENTS, links.url(business, SAMPLE_TOKEN))
    info = sms_text.segment_info(text)
    return ReminderSettings(
        enabled, ", ".join(map(str, days)), text, info.characters, info.encoding.value, info.segments
    )


def save_settings(session: Session, employee: Employee, enabled: bool, days_text: str) -> ReminderSettings:
    """Switch reminders on or off and set their cadence; nothing is written unless both are valid."""
    require_permission(session, employee, Permission.MANAGE_ONLINE_PAYMENTS)
    if not isinstance(enabled, bool):
        raise DomainError("Reminders are either on or off.")
    days = parse_cadence(days_text)
    business = session.get_one(Business, employee.business_id)
    settings = accounts.payment_settings(session, saved_id(business))
    if enabled and not settings.reminders_enabled and not settings.sms_links_enabled:
        raise DomainError("Turn on SMS invoice links first.")
    before = {"reminders_enabled": settings.reminders_enabled, "reminder_days": settings.reminder_days}
    after = {"reminders_enabled": enabled, "reminder_days": cadence_text(days)}
    for name, value in after.items():
        if before[name] != value:
            setattr(settings, name, value)
            audit.record(
                session,
                "settings.online_payments",
                "payment_settings",
                settings.id,
                business_id=business.id,
                employee=employee,
                setting=name,
                before=before[name],
                after=value,
            )
    settings.updated_at = utcnow()
    session.add(settings)
    return _settings_of(business, enabled, days)
