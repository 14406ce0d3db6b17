"""SQLModel tables. Money is integer cents; times are timezone-aware UTC; phones are E.164.

Schema changes go through alembic (alembic/versions); the app never calls create_all outside tests.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores UTC and always hands back aware datetimes (SQLite forgets the zone otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def at_field(**kwargs) -> datetime:
    return Field(sa_type=UTCDateTime, **kwargs)


def created_at_field() -> datetime:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _prefix_search_index(name: str, column: str) -> sa.Index:
    """An index that serves LIKE 'prefix%' on PostgreSQL whatever the database's collation."""
    return sa.Index(name, column, postgresql_ops={column: "varchar_pattern_ops"})


class Role(StrEnum):
    ADMINISTRATOR = "Administrator"
    MANAGER = "Manager"
    OFFICE_EMPLOYEE = "Office employee"
    ACCOUNTANT = "Accountant"
    BOOKKEEPER = "Bookkeeper"
    DISPATCHER = "Dispatcher"
    CSR = "Customer service representative"
    TECHNICIAN = "Technician"


class SmsRegistrationStatus(StrEnum):
    NOT_REGISTERED = "not_registered"
    PENDING = "pending"
    APPROVED = "approved"


class PhoneType(StrEnum):
    MOBILE = "Mobile"
    HOME = "Home"
    WORK = "Work"
    OTHER = "Other"


class InvoiceKind(StrEnum):
    JOB = "job"
    MEMBERSHIP = "membership"
    STATEMENT = "statement"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"


class JobStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELED = "canceled"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class MessageStatus(StrEnum):
    SCHEDULED = "scheduled"  # held for quiet hours; becomes queued at send_after
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a dispatcher; outcome unknown until the provider answers
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"  # never sent: the office canceled it, or it no longer applied when due


# A pay-link text waiting to go or going out: one at a time per invoice and number.
WAITING_STATUSES = (MessageStatus.SCHEDULED, MessageStatus.QUEUED, MessageStatus.SENDING)


class PaymentMethod(StrEnum):
    CARD = "card"
    ACH = "ach"
    # Recorded by the office (money received outside Stripe):
    CASH = "cash"
    CHECK = "check"
    OTHER = "other"


class PaymentStatus(StrEnum):
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"
    DISPUTED = "disputed"  # the customer's bank took the money back (card dispute, ACH return)
    VOIDED = "voided"  # a recorded (cash, check, other) payment entered by mistake; kept, counts nothing


class Business(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    time_zone: str = Field(default="America/Chicago", max_length=64)
    phone: str | None = Field(default=None, max_length=20)  # E.164, shown to customers for help
    email: str | None = Field(default=None, max_length=254)
    host: str | None = Field(default=None, max_length=255)  # the business's own link host, if any
    street: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    city: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})
    region: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})  # state or province
    postal_code: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    # Switched on by Technical Support only (CLI); until then the feature cannot be enabled.
    sms_links_available: bool = Field(default=False)
    sms_registration_status: str = Field(default=SmsRegistrationStatus.NOT_REGISTERED, max_length=20)
    sms_brand_id: str | None = Field(default=None, max_length=64)
    sms_campaign_id: str | None = Field(default=None, max_length=64)
    default_sending_number: str | None = Field(default=None, max_length=20)
    created_at: datetime = created_at_field()


class PaymentSettings(SQLModel, table=True):
    """Settings > Invoicing > Online Payments, one row per business."""

    __tablename__ = "payment_settings"
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", unique=True)
    card_enabled: bool = Field(default=True)
    ach_enabled: bool = Field(default=True)
    sms_links_enabled: bool = Field(default=False)
    office_sms_enabled: bool = Field(default=False)
    mobile_email_enabled: bool = Field(default=False)
    mobile_sms_enabled: bool = Field(default=False)
    office_email_enabled: bool = Field(default=True)
    partial_payments_enabled: bool = Field(default=False)
    sms_per_recipient_daily_limit: int = Field(default=3)
    link_valid_days: int = Field(default=30)
    # When a text fails for good (not an opt-out), email the same link to a customer who has an email.
    email_when_text_fails: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    updated_at: datetime = created_at_field()
    # Tips on the pay page: off unless the business asks; three percentages of the invoice total.
    tips_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    tip_percent_1: int = Field(default=10, sa_column_kwargs={"server_default": "10"})
    tip_percent_2: int = Field(default=15, sa_column_kwargs={"server_default": "15"})
    tip_percent_3: int = Field(default=20, sa_column_kwargs={"server_default": "20"})
    # Payment reminders (Settings > Online Payments > Reminders): days after the first text.
    reminders_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    reminder_days: str = Field(default="3,7,14", max_length=40, sa_column_kwargs={"server_default": "3,7,14"})


class Employee(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    email: str = Field(max_length=254, unique=True)  # stored lower-case
    name: str = Field(max_length=120)
    role: str = Field(max_length=40)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    # Set with a temporary password from Settings > Employees: they choose their own at sign-in.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_at: datetime = created_at_field()


class EmployeePermission(SQLModel, table=True):
    """A per-employee grant (granted=True) or revocation (granted=False) over the role default."""

    __tablename__ = "employee_permission"
    __table_args__ = (sa.UniqueConstraint("employee_id", "permission"),)
    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    permission: str = Field(max_length=64)
    granted: bool


class EmployeeSession(SQLModel, table=True):
    __tablename__ = "employee_session"
    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = at_field()
    revoked_at: datetime | None = at_field(default=None)


class EmployeeInvitation(SQLModel, table=True):
    """A link that lets a new employee choose their password: the token is stored only as its
    SHA-256 hash, works once and expires."""

    __tablename__ = "employee_invitation"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    invited_by_employee_id: int | None = Field(default=None, foreign_key="employee.id")
    created_at: datetime = created_at_field()
    expires_at: datetime = at_field()
    used_at: datetime | None = at_field(default=None)


class SigninFailure(SQLModel, table=True):
    """Failed sign-ins, kept to throttle guessing per email and per client address."""

    __tablename__ = "signin_failure"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    client: str = Field(max_length=64, index=True)
    at: datetime = created_at_field()


class Customer(SQLModel, table=True):
    # The invoice search finds customers by the starts of their names' words. On PostgreSQL that is
    # a full-text prefix query over this index; SQLite (small installs) scans with LIKE.
    __table_args__ = (
        sa.Index(
            "ix_customer_name_words",
            sa.text("to_tsvector('simple'::regconfig, search_name::text)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
        sa.UniqueConstraint("business_id", "external_id", name="uq_customer_external_id"),
        # The REST API's list: changed since, paged by (updated_at, id).
        sa.Index("ix_customer_changes", "business_id", "updated_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    name: str = Field(max_length=160)
    # Lower-cased name, for the name search.
    search_name: str = Field(max_length=160)
    # Another system's id for this customer (REST API, CSV import); unique per business.
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # The Stripe Customer a saved card is attached to (made when the customer first saves one).
    stripe_customer_id: str | None = Field(default=None, max_length=64)


class EmailAddress(SQLModel, table=True):
    __tablename__ = "email_address"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    email: str = Field(max_length=254)
    label: str = Field(default="Primary", max_length=40)
    created_at: datetime = created_at_field()


class Location(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("business_id", "external_id", name="uq_location_external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    name: str = Field(max_length=160)
    street: str = Field(max_length=200)
    city: str = Field(max_length=100)
    region: str = Field(max_length=40)
    postal_code: str = Field(max_length=20)
    time_zone: str = Field(default="America/Chicago", max_length=64)
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = created_at_field()


class PhoneNumber(SQLModel, table=True):
    """A number on a customer or a service location record (exactly one of the two)."""

    __tablename__ = "phone_number"
    __table_args__ = (
        sa.CheckConstraint("(customer_id IS NULL) <> (location_id IS NULL)", name="phone_has_one_owner"),
        _prefix_search_index("ix_phone_number_reversed_digits", "reversed_digits"),
        # One number is saved once per customer (core/customers.py says so first, by field).
        sa.Index(
            "ux_phone_number_customer_e164",
            "customer_id",
            "e164",
            unique=True,
            sqlite_where=sa.text("customer_id IS NOT NULL"),
            postgresql_where=sa.text("customer_id IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    location_id: int | None = Field(default=None, foreign_key="location.id", index=True)
    e164: str = Field(max_length=20, index=True)
    # Digits only, reversed, so "ends with" searches (last 4, 7 or 10 digits) use the index.
    reversed_digits: str = Field(max_length=20)
    type: str = Field(default=PhoneType.MOBILE, max_length=10)
    label: str = Field(default="", max_length=60)
    consent_at: datetime | None = at_field(default=None)
    consent_by_employee_id: int | None = Field(default=None, foreign_key="employee.id")
    consent_method: str | None = Field(default=None, max_length=120)
    created_at: datetime = created_at_field()


class SmsOptOut(SQLModel, table=True):
    """A number that replied STOP (or that Twilio reports as unsubscribed) for this business.

    One row per number, whatever records it appears on; START deletes it. The audit log keeps the
    history of both."""

    __tablename__ = "sms_opt_out"
    __table_args__ = (sa.UniqueConstraint("business_id", "e164"),)
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    e164: str = Field(max_length=20)
    opted_out_at: datetime = created_at_field()
    source: str = Field(max_length=60)  # e.g. 'reply "STOP"', "Twilio error 21610"


_OPEN_QUESTION = sa.text("resolved_at IS NULL")


class SmsOptOutQuestion(SQLModel, table=True):
    """The one clarification text sent after a reply that may or may not revoke consent ("can I
    cancel the appointment?"). An answer resolves it; five minutes of silence count as an opt-out.

    At most one question per number is open at a time (the partial unique index), so two ambiguous
    replies arriving together send one clarification."""

    __tablename__ = "sms_opt_out_question"
    __table_args__ = (
        sa.Index(
            "ix_sms_opt_out_question_open",
            "business_id",
            "e164",
            unique=True,
            postgresql_where=_OPEN_QUESTION,
            sqlite_where=_OPEN_QUESTION,
        ),
        # The workers look for unanswered questions on every pass.
        sa.Index(
            "ix_sms_opt_out_question_due", "asked_at", postgresql_where=_OPEN_QUESTION, sqlite_where=_OPEN_QUESTION
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    e164: str = Field(max_length=20)
    asked_at: datetime = created_at_field()
    provider_id: str | None = Field(default=None, max_length=64)  # the ambiguous reply's MessageSid
    excerpt: str = Field(max_length=80)  # what the reply said
    resolved_at: datetime | None = at_field(default=None)
    resolution: str | None = Field(default=None, max_length=20)  # stopped, kept, no answer


class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    number: str = Field(max_length=20)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    location_id: int = Field(foreign_key="location.id", index=True)
    technician_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    summary: str = Field(max_length=200)
    scheduled_start: datetime = at_field(index=True)
    scheduled_end: datetime = at_field()
    status: str = Field(default=JobStatus.SCHEDULED, max_length=20)
    created_at: datetime = created_at_field()


class Invoice(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("business_id", "number"),
        # The invoice list, newest first, paged by (issued_on, id), with or without a status.
        sa.Index("ix_invoice_list", "business_id", "issued_on", "id"),
        sa.Index("ix_invoice_list_by_status", "business_id", "status", "issued_on", "id"),
        # A customer's invoices by date: the search reads the matched customers' invoices from this
        # index alone (on PostgreSQL the included columns answer its filters without the table).
        sa.Index(
            "ix_invoice_by_customer", "customer_id", "issued_on", "id", postgresql_include=["status", "business_id"]
        ),
        sa.UniqueConstraint("business_id", "external_id", name="uq_invoice_external_id"),
        # The REST API's list: changed since, paged by (updated_at, id).
        sa.Index("ix_invoice_changes", "business_id", "updated_at", "id"),
        # Insights: invoices paid in a range of days, and what is owed by age (from the index alone).
        sa.Index("ix_invoice_paid_at", "business_id", "paid_at"),
        sa.Index(
            "ix_invoice_open_balances",
            "business_id",
            "due_on",
            postgresql_include=["total_cents", "amount_paid_cents"],
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
        # Insights: sales issued in a range (days sales outstanding) from the index alone.
        sa.Index("ix_invoice_issued", "business_id", "issued_on", postgresql_include=["status", "total_cents"]),
    )
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    number: str = Field(max_length=20, index=True)
    customer_id: int = Field(foreign_key="customer.id")
    location_id: int = Field(foreign_key="location.id", index=True)
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True)
    kind: str = Field(default=InvoiceKind.JOB, max_length=20)
    status: str = Field(default=InvoiceStatus.OPEN, max_length=10, index=True)
    issued_on: date
    due_on: date
    subtotal_cents: int = Field(default=0)
    tax_cents: int = Field(default=0)
    total_cents: int = Field(default=0)
    amount_paid_cents: int = Field(default=0)
    external_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # When it was last paid in full (None while a balance is left): Insights' time to pay.
    paid_at: datetime | None = at_field(default=None)

    @property
    def balance_cents(self) -> int:
        return self.total_cents - self.amount_paid_cents


class NumberCounter(SQLModel, table=True):
    """The last number handed out per business and kind ("invoice", "job"). Finalizing takes the next
    one with UPDATE ... RETURNING, which holds the row until commit: two finalizes never share a number,
    and a number once committed is never given again (a void invoice keeps its own). A finalize that
    rolls back rolls its increment back too, so the numbers stay without gaps."""

    __tablename__ = "number_counter"
    business_id: int = Field(foreign_key="business.id", primary_key=True)
    kind: str = Field(max_length=20, primary_key=True)
    last_value: int = Field(default=0, sa_type=sa.BigInteger)


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_line"
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    position: int
    description: str = Field(max_length=300)
    quantity: Decimal = Field(default=Decimal(1), max_digits=10, decimal_places=2)
    unit_price_cents: int
    amount_cents: int


class PaymentLink(SQLModel, table=True):
    """A customer's way in to one invoice. Only the SHA-256 of the token is stored."""

    __tablename__ = "payment_link"
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_by_employee_id: int | None = Field(default=None, foreign_key="employee.id")
    created_at: datetime = created_at_field()
    expires_at: datetime = at_field()
    revoked_at: datetime | None = at_field(default=None)
    last_opened_at: datetime | None = at_field(default=None)


class Payment(SQLModel, table=True):
    # Insights: payments made in a range of days.
    __table_args__ = (
        sa.Index("ix_payment_created_at", "created_at"),
        sa.Index("ix_payment_link", "payment_link_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    amount_cents: int
    method: str = Field(max_length=10)
    status: str = Field(default=PaymentStatus.PROCESSING, max_length=12)
    stripe_payment_intent_id: str | None = Field(default=None, max_length=64, unique=True)
    failure_reason: str | None = Field(default=None, max_length=300)
    # What the customer and the office recognise: "Visa •••• 4242", "STRIPE TEST BANK •••• 6789".
    method_detail: str | None = Field(default=None, max_length=80)
    refunded_cents: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    disputed_cents: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    payment_link_id: int | None = Field(default=None, foreign_key="payment_link.id")
    # Recorded payments (cash, check, other): the day it was received, the office's note, who recorded it.
    received_on: date | None = Field(default=None)
    note: str | None = Field(default=None, max_length=300)
    recorded_by_id: int | None = Field(default=None, foreign_key="employee.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # Charged with the payment but never part of the invoice: amount_cents is what pays the invoice.
    tip_cents: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The technician the tip goes to (the invoice's job's technician when the payment was made).
    tip_employee_id: int | None = Field(default=None, foreign_key="employee.id")
    # The part of tip_cents given back by refunds (refunded_cents is the invoice's part only).
    tip_refunded_cents: int = Field(default=0, sa_column_kwargs={"server_default": "0"})

    @property
    def collected_cents(self) -> int:
        """What this payment currently contributes to the invoice's amount paid."""
        if self.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED, PaymentStatus.DISPUTED):
            return 0
        return max(0, self.amount_cents - self.refunded_cents - self.disputed_cents)


_WAITING_TEXT = (
    "channel = 'sms' AND payment_link_id IS NOT NULL AND status IN "
    f"({', '.join(repr(s.value) for s in WAITING_STATUSES)})"
)


_LINK_LEFT = "payment_link_id IS NOT NULL AND status IN ('sent', 'delivered', 'undelivered')"


class OutboundMessage(SQLModel, table=True):
    """A text or an email to a customer; also the dispatcher's durable outbox row."""

    __tablename__ = "outbound_message"
    # While a pay-link text to a number waits (or is going out), a second send for the same invoice
    # and number is refused: two requests racing past that check meet here.
    __table_args__ = (
        # Insights and exports: a business's messages queued in a range of days.
        sa.Index("ix_outbound_message_business_created", "business_id", "created_at"),
        # Insights' time to pay: an invoice's first pay link that left, by channel, from the index alone.
        sa.Index(
            "ix_outbound_message_links_sent",
            "invoice_id",
            "channel",
            "created_at",
            postgresql_include=["send_after"],
            postgresql_where=sa.text(_LINK_LEFT),
            sqlite_where=sa.text(_LINK_LEFT),
        ),
        sa.Index(
            "ux_outbound_message_one_waiting_text",
            "invoice_id",
            "to_address",
            unique=True,
            sqlite_where=sa.text(_WAITING_TEXT),
            postgresql_where=sa.text(_WAITING_TEXT),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    channel: str = Field(max_length=10)
    to_address: str = Field(max_length=254, index=True)  # E.164 or email
    from_address: str | None = Field(default=None, max_length=254)
    phone_number_id: int | None = Field(default=None, foreign_key="phone_number.id")
    # The link this message carried: payment receipts go back to where the link was sent.
    payment_link_id: int | None = Field(default=None, foreign_key="payment_link.id", index=True)
    subject: str | None = Field(default=None, max_length=200)
    body: str = Field(sa_type=sa.Text)
    status: str = Field(default=MessageStatus.QUEUED, max_length=12, index=True)
    send_after: datetime = created_at_field()
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = at_field(default=None, index=True)
    provider_id: str | None = Field(default=None, max_length=64, unique=True)
    error_code: str | None = Field(default=None, max_length=16)
    failure_reason: str | None = Field(default=None, max_length=300)
    sent_by_employee_id: int | None = Field(default=None, foreign_key="employee.id")
    # Where a pay link was sent from ("office" or "mobile"): its settings are checked again when it goes.
    via: str | None = Field(default=None, max_length=10)
    # A client-chosen key that makes a repeated "Send" click a no-op.
    idempotency_key: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class MessageStatusEvent(SQLModel, table=True):
    """The status history of one outbound message, shown on the invoice timeline."""

    __tablename__ = "message_status_event"
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbound_message.id", index=True)
    status: str = Field(max_length=12)
    error_code: str | None = Field(default=None, max_length=16)
    detail: str | None = Field(default=None, max_length=300)
    at: datetime = created_at_field()


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    business_id: int | None = Field(default=None, foreign_key="business.id", index=True)
    actor_employee_id: int | None = Field(default=None, foreign_key="employee.id")
    actor: str = Field(max_length=160)  # a readable name: employee, "customer", "support (CLI)"
    action: str = Field(max_length=64, index=True)
    subject_type: str = Field(max_length=40)
    subject_id: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="{}", sa_type=sa.Text)  # JSON
    at: datetime = created_at_field()


class ProcessedWebhookEvent(SQLModel, table=True):
    """Provider event ids already applied, so a replayed webhook changes nothing."""

    __tablename__ = "processed_webhook_event"
    __table_args__ = (sa.UniqueConstraint("provider", "event_id"),)
    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=20)
    event_id: str = Field(max_length=128)
    received_at: datetime = created_at_field()


# --- Customer payments (issue 7): the pay page's Stripe PaymentIntents, ACH mandates, throttling ---


class StripePaymentIntent(SQLModel, table=True):
    """The PaymentIntent that collects an invoice's balance (or part of it, when partial payments are on).

    One row per invoice is active at a time and is reused by reloads, second tabs and retries after a
    decline, so a customer can never hold two live intents for the same money. The create call carries
    the idempotency key (the SDK's retries of it return the same intent), and the row keeps both."""

    __tablename__ = "stripe_payment_intent"
    __table_args__ = (
        # Insights' funnel: was a payment started from this link? And which started since the last rollup pass?
        sa.Index("ix_stripe_payment_intent_link", "payment_link_id"),
        sa.Index("ix_stripe_payment_intent_created", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    stripe_id: str = Field(max_length=64, unique=True)
    idempotency_key: str = Field(max_length=64, unique=True)
    amount_cents: int
    status: str = Field(default="new", max_length=32)  # Stripe's status as last seen
    method: str | None = Field(default=None, max_length=10)  # the method last tried: card or ach
    active: bool = Field(default=True, index=True)
    payment_link_id: int | None = Field(default=None, foreign_key="payment_link.id")
    language: str = Field(default="en", max_length=5)  # of the receipt
    # ACH with microdeposits: Stripe's page where the customer enters the two amounts.
    verification_url: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # The tip included in the intent's amount on the last attempt (not part of the invoice's money).
    tip_cents: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # A charge of a saved card (off session): the card, and the employee who charged it (None: the
    # customer, in one tap on the pay page).
    saved_card_id: int | None = Field(default=None, foreign_key="saved_card.id")
    charged_by_employee_id: int | None = Field(default=None, foreign_key="employee.id")


class AchMandate(SQLModel, table=True):
    """Evidence that the customer authorised a bank debit: the exact text they accepted, when, from where."""

    __tablename__ = "ach_mandate"
    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    stripe_payment_intent_id: str = Field(max_length=64, index=True)
    payment_link_id: int | None = Field(default=None, foreign_key="payment_link.id")
    amount_cents: int
    text_version: str = Field(max_length=40)
    language: str = Field(max_length=5)
    text: str = Field(sa_type=sa.Text)
    ip_address: str = Field(max_length=64)
    user_agent: str = Field(max_length=500)
    accepted_at: datetime = created_at_field()


class PayLinkFailure(SQLModel, table=True):
    """A pay-page visit with an unknown or expired token, kept to throttle token guessing per client.
    The token's hash makes one dead link count once, however often (and through which door) it is opened."""

    __tablename__ = "pay_link_failure"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    token_hash: str = Field(default="", max_length=64)
    at: datetime = created_at_field()


class SetupCode(SQLModel, table=True):
    """A one-time code printed by a server that has no business yet; only its SHA-256 is kept.
    Whoever enters it at /setup creates the business. All codes go once setup succeeds."""

    __tablename__ = "setup_code"
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = at_field()


class SetupCodeFailure(SQLModel, table=True):
    """A wrong setup code, kept to throttle guessing per client address."""

    __tablename__ = "setup_code_failure"
    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64, index=True)
    at: datetime = created_at_field()


# --- REST API (issue: connections): keys, their rate-limit windows, stored answers to repeated POSTs ---


class ApiKey(SQLModel, table=True):
    """A key another system uses on /api/v1. Only the SHA-256 of the key is stored.

    It acts through its own Employee row (no password, never signs in, not listed in Settings >
    Employees) so every core rule and audit row applies to it as to a person."""

    __tablename__ = "api_key"
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    employee_id: int = Field(foreign_key="employee.id", unique=True)
    name: str = Field(max_length=60)
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)  # the key's first characters, to tell keys apart in the list
    created_by_employee_id: int | None = Field(default=None, foreign_key="employee.id")
    created_at: datetime = created_at_field()
    last_used_at: datetime | None = at_field(default=None)
    revoked_at: datetime | None = at_field(default=None)


class ApiRateWindow(SQLModel, table=True):
    """Requests one key made in one minute: a fixed-window counter shared by every app worker."""

    __tablename__ = "api_rate_window"
    api_key_id: int = Field(foreign_key="api_key.id", primary_key=True)
    window_start: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    requests: int = Field(default=0)


class ApiIdempotentResponse(SQLModel, table=True):
    """The first answer to a POST sent with an Idempotency-Key: a repeat gets it back and does nothing."""

    __tablename__ = "api_idempotent_response"
    __table_args__ = (sa.UniqueConstraint("api_key_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    api_key_id: int = Field(foreign_key="api_key.id", index=True)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)  # method, path and body: the same key with another body is refused
    status_code: int
    body: str = Field(sa_type=sa.Text)
    created_at: datetime = created_at_field()


# --- Outbound webhooks: endpoints a business registers, the events it asked for, their deliveries ---


class WebhookDeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a worker until next_attempt_at (its lease)
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after 3 days of failures (or a resend failed)


class WebhookEndpoint(SQLModel, table=True):
    """A URL that receives a business's events, signed per Standard Webhooks.

    The signing secret is kept as given ("whsec_..."): the workers need it to sign, so it cannot be
    a one-way hash. It is shown to the administrator once and never loaded into page state."""

    __tablename__ = "webhook_endpoint"
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    url: str = Field(max_length=2000)
    events: str = Field(default="", sa_type=sa.Text)  # event types, space-separated
    secret: str = Field(max_length=100)
    enabled: bool = Field(default=True)
    # Why it was switched off by the workers ("" when a person did it, or it is on).
    disabled_reason: str = Field(default="", max_length=300)
    # When its deliveries started failing without a success since (None: the last one went through).
    failing_since: datetime | None = at_field(default=None)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class WebhookEvent(SQLModel, table=True):
    """Something that happened, as sent: the JSON body is fixed when the event is recorded."""

    __tablename__ = "webhook_event"
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    # The `webhook-id` header: the same on every attempt and every resend, so receivers can dedupe.
    message_id: str = Field(max_length=40, unique=True)
    type: str = Field(max_length=40)
    payload: str = Field(sa_type=sa.Text)
    created_at: datetime = created_at_field()


class WebhookDelivery(SQLModel, table=True):
    """One event to one endpoint: the workers' durable outbox row for webhooks."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="webhook_event.id", index=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True)
    status: str = Field(default=WebhookDeliveryStatus.PENDING, max_length=10)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = created_at_field()
    # After this, a failed attempt is the last one.
    give_up_at: datetime = at_field()
    last_attempt_at: datetime | None = at_field(default=None)
    last_response_code: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=300)
    delivered_at: datetime | None = at_field(default=None)
    created_at: datetime = created_at_field()


# --- refunds -----------------------------------------------------------------------------------


class RefundStatus(StrEnum):
    REQUESTED = "requested"  # written before Stripe is asked; holds the amount against a second refund
    PENDING = "pending"  # Stripe accepted it; a bank (ACH) refund waits for the bank
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PaymentRefund(SQLModel, table=True):
    """Money sent back on a payment: from the office page, or reported by Stripe (dashboard refunds)."""

    __tablename__ = "payment_refund"
    id: int | None = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    amount_cents: int
    # The part of amount_cents that gives back the payment's tip (the invoice's part goes first).
    tip_cents: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    reason: str = Field(max_length=300)
    status: str = Field(default=RefundStatus.REQUESTED, max_length=10)
    # Sent to Stripe as the Idempotency-Key; also what makes a double click refund once.
    idempotency_key: str = Field(max_length=80, unique=True)
    stripe_refund_id: str | None = Field(default=None, max_length=64, unique=True)
    failure_reason: str | None = Field(default=None, max_length=300)
    employee_id: int | None = Field(default=None, foreign_key="employee.id")  # None: made in Stripe
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


# --- Payment reminders: one schedule per texted invoice, due rows found by their indexed due time ---


class InvoiceReminder(SQLModel, table=True):
    """The reminder plan of one invoice, made when it is first texted. The workers claim rows whose
    next_reminder_at has come (SKIP LOCKED on PostgreSQL, a conditional UPDATE on SQLite); a stopped
    or paused plan has no next_reminder_at, so the due index holds only live plans. Each reminder's
    outbox row carries the idempotency key "reminder-<invoice>-<n>": no reminder goes twice."""

    __tablename__ = "invoice_reminder"
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    invoice_id: int = Field(foreign_key="invoice.id", unique=True)
    to_address: str = Field(max_length=20)  # the number the invoice was last texted to
    first_text_at: datetime = at_field()
    sent: int = Field(default=0)  # reminders sent so far
    next_reminder_at: datetime | None = at_field(default=None, index=True)
    paused_at: datetime | None = at_field(default=None)
    paused_by_employee_id: int | None = Field(default=None, foreign_key="employee.id")
    stopped_at: datetime | None = at_field(default=None)
    stop_reason: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


# --- Replies inbox: every inbound text, matched to its customer and the invoice last texted ---


class InboundMessage(SQLModel, table=True):
    """A text a customer sent to a business's number, as received (STOP/START/HELP included).

    customer_id and invoice_id are matched when it arrives: the customer whose record holds the
    number, the invoice last texted to it. A thread is one number's replies to one business."""

    __tablename__ = "inbound_message"
    __table_args__ = (sa.Index("ix_inbound_message_thread", "business_id", "from_number"),)
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    from_number: str = Field(max_length=20)  # E.164
    to_number: str = Field(default="", max_length=20)
    body: str = Field(sa_type=sa.Text)
    provider_id: str | None = Field(default=None, max_length=64, unique=True)  # Twilio's MessageSid
    keyword: str = Field(default="none", max_length=12)  # inbound.Keyword
    action: str = Field(default="", max_length=200)  # what the reply did ("Opted out: ...")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True)
    received_at: datetime = created_at_field()
    read_at: datetime | None = at_field(default=None)
    done_at: datetime | None = at_field(default=None)


# --- Saved cards: a card kept on file for a customer, with the consent the customer gave ---


class SavedCard(SQLModel, table=True):
    """A card the customer chose to save on the pay page, attached to their Stripe Customer. It
    belongs to the customer, not to an invoice; it may be charged only while it carries the consent
    (the exact words shown, when, from which address and browser) and has not been removed."""

    __tablename__ = "saved_card"
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    stripe_customer_id: str = Field(max_length=64)
    stripe_payment_method_id: str = Field(max_length=64, unique=True)
    brand: str = Field(max_length=20)
    last4: str = Field(max_length=4)
    exp_month: int
    exp_year: int
    consent_text: str = Field(default="", sa_type=sa.Text)
    consent_language: str = Field(default="en", max_length=5)
    consented_at: datetime | None = at_field(default=None)
    consent_ip: str = Field(default="", max_length=64)
    consent_user_agent: str = Field(default="", max_length=500)
    # Where the consent was given: the link opened and the invoice it paid.
    payment_link_id: int | None = Field(default=None, foreign_key="payment_link.id")
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    removed_at: datetime | None = at_field(default=None)
    removed_by: str | None = Field(default=None, max_length=160)  # "customer", an employee, or why
    created_at: datetime = created_at_field()


# --- Insights: every visit to a pay link, to tell people from link scanners ---


class LinkOpen(SQLModel, table=True):
    """One visit to a pay link. by_person is true only when the page's script ran (its on_load) and the
    user agent is not a known link scanner or preview bot; the server-drawn first screen, which any
    scanner fetches, logs a visit that is not a person's."""

    __tablename__ = "link_open"
    __table_args__ = (
        sa.Index("ix_link_open_link", "payment_link_id", "by_person"),
        sa.Index("ix_link_open_opened_at", "opened_at"),  # visits since the last rollup pass
    )
    id: int | None = Field(default=None, primary_key=True)
    payment_link_id: int = Field(foreign_key="payment_link.id")
    opened_at: datetime = created_at_field()
    user_agent: str = Field(default="", max_length=300)
    by_person: bool


def saved_id(row: SQLModel) -> int:
    """The id of a row read from or flushed to the database (SQLModel types every id as optional,
    since a row has none before its INSERT)."""
    row_id = getattr(row, "id", None)
    if row_id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row_id


# --- Insights' daily rollups (core/insight_rollups.py keeps them; the workers run its pass) ---


class InsightPayDay(SQLModel, table=True):
    """Invoices paid in full on one of the business's days, by how their first link went ("texted",
    "emailed", "never_sent") and, texted, the weekday (0 = Monday) and hour of their first text (-1
    otherwise), counted by bucket of time to pay; `seconds` is their durations' sum."""

    __tablename__ = "insight_pay_day"
    business_id: int = Field(foreign_key="business.id", primary_key=True)
    day: date = Field(primary_key=True)
    channel: str = Field(max_length=16, primary_key=True)
    weekday: int = Field(primary_key=True)
    hour: int = Field(primary_key=True)
    bucket: int = Field(primary_key=True)
    invoices: int
    seconds: float


class InsightFunnelDay(SQLModel, table=True):
    """Pay links sent on one of the business's days by one channel, and how far they got."""

    __tablename__ = "insight_funnel_day"
    business_id: int = Field(foreign_key="business.id", primary_key=True)
    day: date = Field(primary_key=True)
    channel: str = Field(max_length=8, primary_key=True)
    sent: int
    delivered: int
    opened: int
    started: int
    paid: int


class InsightPaidInvoice(SQLModel, table=True):
    """The day each invoice was counted on in insight_pay_day: where to take it off when a refund
    reopens it (its paid_at is then gone)."""

    __tablename__ = "insight_paid_invoice"
    __table_args__ = (sa.Index("ix_insight_paid_invoice_day", "business_id", "day"),)
    invoice_id: int = Field(foreign_key="invoice.id", primary_key=True)
    business_id: int = Field(foreign_key="business.id")
    day: date


class InsightRollupState(SQLModel, table=True):
    """How far a business's rollups go: every day up to rolled_through (in time_zone), with every
    change made before changes_seen_until applied."""

    __tablename__ = "insight_rollup_state"
    business_id: int = Field(foreign_key="business.id", primary_key=True)
    time_zone: str = Field(max_length=64)
    rolled_through: date
    changes_seen_until: datetime = at_field(nullable=False)
