"""Bodies of /api/v1: what other systems send and get back. Money in integer cents, dates
YYYY-MM-DD, times UTC with Z; the caller's ids are external_id, ours are opaque strings."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

# A string another system sends: PostgreSQL text cannot hold NUL, so it is refused here.


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
# Our externally visible ids and the caller's: printable, no spaces at either end.
EXTERNAL_ID_PATTERN = r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,98}[^\s\x00-\x1f\x7f])?$"
ExternalId = Annotated[str, Field(pattern=EXTERNAL_ID_PATTERN, max_length=100, examples=["CRM-1042"])]
Cents = Annotated[int, Field(ge=-(10**12), le=10**12)]
UtcTime = Annotated[
    datetime,
    PlainSerializer(lambda at: at.astimezone(UTC).isoformat().replace("+00:00", "Z"), return_type=str),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhoneIn(_In):
    number: Text = Field(max_length=40, examples=["+15125550104"])
    type: Literal["mobile", "home", "work", "other"] = "mobile"
    label: Text = Field(default="", max_length=60)


class LocationIn(_In):
    external_id: ExternalId
    address_line1: Text = Field(max_length=200, examples=["100 Main St"])
    city: Text = Field(max_length=100, examples=["Austin"])
    state: Text = Field(default="", max_length=40, examples=["TX"])
    postal_code: Text = Field(default="", max_length=20, examples=["78701"])


class CustomerIn(_In):
    name: Text = Field(max_length=200, examples=["Maria Garcia"])
    phones: list[PhoneIn] = Field(default_factory=list, max_length=10)
    emails: list[Annotated[Text, Field(max_length=254)]] = Field(default_factory=list, max_length=10)
    locations: list[LocationIn] = Field(default_factory=list, max_length=50)


class PhoneOut(BaseModel):
    number: str  # E.164
    type: str
    label: str


class LocationOut(BaseModel):
    external_id: str | None  # None: added in the office
    address_line1: str
    city: str
    state: str
    postal_code: str
    time_zone: str


class CustomerOut(BaseModel):
    id: str
    external_id: str | None
    name: str
    phones: list[PhoneOut]
    emails: list[str]
    locations: list[LocationOut]
    created_at: UtcTime
    updated_at: UtcTime


class LineIn(_In):
    description: Text = Field(max_length=300)
    quantity: Decimal = Field(default=Decimal(1), gt=0, le=10_000, decimal_places=2, examples=["1", "2.5"])
    unit_price_cents: Cents = Field(examples=[12500])


class InvoiceIn(_In):
    customer_external_id: ExternalId
    location_external_id: ExternalId | None = None
    kind: Literal["job", "membership", "statement"] = "job"
    status: Literal["draft", "open"] = "open"
    due_on: date | None = Field(default=None, description="YYYY-MM-DD; left out: 30 days after the issue date")
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    tax_cents: Cents = 0


class LineOut(BaseModel):
    description: str
    quantity: str
    unit_price_cents: int
    amount_cents: int


class InvoiceOut(BaseModel):
    id: str
    external_id: str | None
    number: str
    status: str
    kind: str
    customer_external_id: str | None
    location_external_id: str | None
    issued_on: date
    due_on: date
    currency: str
    lines: list[LineOut]
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    amount_paid_cents: int
    balance_cents: int
    pay_url: str | None = Field(description="The payment link last sent, while it still opens the invoice")
    created_at: UtcTime
    updated_at: UtcTime


class CustomerPage(BaseModel):
    data: list[CustomerOut]
    next_cursor: str | None


class InvoicePage(BaseModel):
    data: list[InvoiceOut]
    next_cursor: str | None


class VoidIn(_In):
    reason: Text = Field(max_length=300, examples=["Duplicate of CRM-1041"])


class TextLinkIn(_In):
    to: Text = Field(
        max_length=40,
        description="E.164; a number of the customer or service location, or a new "
        "Mobile number (saved to the customer, with consent recorded as given to this API key)",
        examples=["+15125550104"],
    )
    pay_by: Literal["card", "ach"] = "card"


class EmailLinkIn(_In):
    to: Text = Field(max_length=254, examples=["maria@example.com"])
    pay_by: Literal["card", "ach"] = "card"


class MessageOut(BaseModel):
    id: str
    channel: str
    to: str
    status: str
    error_code: str | None
    failure_reason: str | None
    send_after: UtcTime
    created_at: UtcTime
    updated_at: UtcTime
    sent_by: str | None


class SendOut(BaseModel):
    message: MessageOut
    pay_url: str
    confirmation: str


class PaymentOut(BaseModel):
    id: str
    amount_cents: int = Field(description="What pays the invoice; a tip is charged on top of it.")
    tip_cents: int = Field(description="The customer's tip, charged with the payment, not part of the invoice.")
    tip_technician: str | None = Field(description="The technician the tip is credited to (null: the business).")
    method: str
    method_detail: str | None
    status: str
    refunded_cents: int = Field(description="Refunded of amount_cents (the invoice's part).")
    tip_refunded_cents: int = Field(description="Refunded of tip_cents (a refund reaches the tip last).")
    disputed_cents: int
    failure_reason: str | None
    created_at: UtcTime
    updated_at: UtcTime


class MessageList(BaseModel):
    data: list[MessageOut]


class PaymentList(BaseModel):
    data: list[PaymentOut]


class FieldError(BaseModel):
    field: str | None
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the fields that are wrong."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(default_factory=list)
