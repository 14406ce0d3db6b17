"""Insights: how fast invoices get paid, what happens to the links, what is owed.

Every figure covers a range of the business's days (exports.DateRange) and is read with queries
bounded by that range through indexes (invoices paid or issued, messages and payments made in the
range); time to pay and the funnel from daily rollups (insight_rollups); what is owed is as of today, from a partial index of open invoices. Each table is plain
text cells, the same for the page and its CSV download.

Link opens: every visit to a pay link is a LinkOpen row. A visit counts as a person's only when the
page's script ran (the Reflex page's on_load) and the user agent is not a known link scanner or
preview bot (SCANNER_AGENTS); the server-drawn first screen logs every request, which is what link
scanners and previews fetch, as not a person's.
"""

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from smslinks.core import accounts, exports, insight_rollups, tokens
from smslinks.core.errors import DomainError
from smslinks.core.exports import DateRange, dollars
from smslinks.core.permissions import Permission, require_permission
from smslinks.models import (
    Business,
    Channel,
    Customer,
    Employee,
    Invoice,
    InvoiceReminder,
    InvoiceStatus,
    LinkOpen,
    MessageStatus,
    OutboundMessage,
    Payment,
    PaymentLink,
    PaymentMethod,
    UTCDateTime,
    utcnow,
)

# Link scanners (mail and messaging security), link previews (iMessage, WhatsApp, Slack...) and
# scripts, by a lower-case piece of their user agent. A browser driven by a scanner announces itself
# as headless. Their visits are logged, never counted as a person's.
SCANNER_AGENTS = (
    "bot",  # Googlebot, bingbot, Twitterbot, Slackbot, TelegramBot, Discordbot, LinkedInBot...
    "crawler",
    "spider",
    "preview",  # BingPreview, Google-Link-Preview, SkypeUriPreview
    "facebookexternalhit",  # Facebook, Messenger and iMessage previews
    "whatsapp",
    "headlesschrome",
    "curl",
    "wget",
    "python-requests",
    "python-httpx",
    "go-http-client",
    "proofpoint",
    "mimecast",
    "barracuda",
)
MAX_USER_AGENT = 300

FAILED_STATUSES = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A failed text's reason in plain words, by Twilio error code (core.delivery has the long sentences).
FAILURE_KINDS = {
    "landline": ("Landline or cannot get texts", "Landline", ("21614", "30006")),
    "unreachable": ("Phone unreachable or number not in service", "Unreachable", ("30003", "30005", "21211", "21612")),
    "filtered": (
        "Filtered or blocked by the carrier",
        "Carrier filtered",
        ("30004", "30007", "30022", "30032", "30034"),
    ),
    "opted_out": ("Opted out (replied STOP)", "Opted out", ("21610",)),
}
OTHER_FAILURE = ("other", "Other reasons", "Other")
# The order of the delivery problems table's rows.
FAILURE_KEYS = (*FAILURE_KINDS, OTHER_FAILURE[0])
AGE_BUCKETS = (
    ("Not yet due", None, 0),
    ("0-30 days past due", 0, 30),
    ("31-60 days past due", 31, 60),
    ("61-90 days past due", 61, 90),
    ("Over 90 days past due", 91, None),
)
METHOD_WORDS = {
    PaymentMethod.CARD: "Card",
    PaymentMethod.ACH: "Bank (ACH)",
    PaymentMethod.CASH: "Cash",
    PaymentMethod.CHECK: "Check",
    PaymentMethod.OTHER: "Other (recorded)",
}
MAX_LISTED_INVOICES = 500


@dataclass(frozen=True)
class Table:
    """Columns and rows of text cells: what the page shows and the CSV holds."""

    title: str
    columns: tuple[str, ...]
    rows: list[list[str]]
    money_columns: tuple[int, ...] = ()  # dollars like 1234.50 in the CSV, $1,234.50 on the page

    def shown_rows(self) -> list[list[str]]:
        return [
            [f"${float(cell):,.2f}" if index in self.money_columns else cell for index, cell in enumerate(row)]
            for row in self.rows
        ]


@dataclass
class Insights:
    tables: dict[str, Table] = field(default_factory=dict)
    # Chart points by chart name: [{"name": ..., <series>: number}], as recharts reads them.
    charts: dict[str, list[dict]] = field(default_factory=dict)
    days_sales_outstanding: str = ""


# ---------------------------------------------------------------- link opens


def is_scanner(user_agent: str) -> bool:
    agent = (user_agent or "").lower()
    return not agent or any(piece in agent for piece in SCANNER_AGENTS)


def log_open(session: Session, token: str | tokens.Hashed, user_agent: str, *, ran_script: bool) -> None:
    """Log one visit to the link with this token (nothing for an unknown token), in one INSERT."""
    token_hash = tokens.lookup_hash(token)
    if token_hash is None:
        return
    agent = (user_agent or "")[:MAX_USER_AGENT]
    by_person = ran_script and not is_scanner(agent)
    session.connection().execute(  # as Core: the ORM would read parameters as rows to bulk-insert
        _LOG_OPEN, {"link_token_hash": token_hash, "at": utcnow(), "agent": agent, "person": by_person}
    )


# Built once: every pay-page visit logs its open (twice: the server-drawn page and the app).
# Its parameters are not named after columns: an INSERT would take those for its VALUES.
_LOG_OPEN = sa.insert(LinkOpen).from_select(
    ["payment_link_id", "opened_at", "user_agent", "by_person"],
    select(
        PaymentLink.id,
        sa.bindparam("at", type_=UTCDateTime()),
        sa.bindparam("agent", type_=sa.String()),
        sa.bindparam("person", type_=sa.Boolean()),
    ).where(PaymentLink.token_hash == sa.bindparam("link_token_hash")),
)


# ---------------------------------------------------------------- small helpers


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 1)


def duration_words(seconds: float | None) -> str:
    """3.5 hours, 2.1 days: how long, the way a person says it."""
    if seconds is None:
        return "-"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _in_range(column, bounds: tuple[datetime, datetime]):
    return sa.and_(column >= bounds[0], column < bounds[1])


# ---------------------------------------------------------------- 1. time to pay

PAY_CHANNEL_WORDS = {
    insight_rollups.TEXTED: "Texted",
    insight_rollups.EMAILED: "Emailed",
    insight_rollups.NEVER_SENT: "Never sent",
}


def _stats_table(
    title: str, column: str, groups: dict[str, insight_rollups.Durations]
) -> tuple[Table, list[dict[str, Any]]]:
    """Count, median and 75th percentile per group; and the medians in hours, for a bar chart."""
    rows, chart = [], []
    for label, durations in groups.items():
        median, p75 = durations.median_p75()
        rows.append([label, str(durations.count), duration_words(median), duration_words(p75)])
        chart.append(
            {"name": label[:3] if label in WEEKDAYS else label, "hours": _hours(median or 0), "p75": _hours(p75 or 0)}
        )
    return Table(title, (column, "Paid", "Median", "75th percentile"), rows), chart


def time_to_pay(paid: insight_rollups.PayDurations) -> tuple[Table, list[dict[str, Any]]]:
    groups = {words: paid.by_channel[channel] for channel, words in PAY_CHANNEL_WORDS.items()}
    return _stats_table("Time to pay, from the first link sent to paid in full", "Invoices", groups)


def _hour_label(hour: int) -> str:
    return f"{(hour % 12) or 12} {'AM' if hour < 12 else 'PM'}"


def by_first_text(paid: insight_rollups.PayDurations, by: str) -> tuple[Table, list[dict[str, Any]]]:
    """Texted invoices' time to pay by the weekday ("weekday") or hour ("hour") of their first text."""
    if by == "weekday":
        groups = {WEEKDAYS[day]: durations for day, durations in paid.by_weekday.items()}
    else:
        groups = {_hour_label(hour): durations for hour, durations in paid.by_hour.items()}
    column = "Weekday" if by == "weekday" else "Hour"
    return _stats_table(f"Texted invoices by {by} of the first text", column, groups)


# ---------------------------------------------------------------- 2. the funnel


FUNNEL_STAGES = ("Links sent", "Delivered", "Opened by a person", "Payment started", "Paid")


def funnel_table(session: Session, business: Business, date_range: DateRange) -> Table:
    """Pay links sent in the range by channel, and how far each got (insight_rollups says how)."""
    counts = insight_rollups.funnel_counts(session, business, date_range)
    rows = []
    for channel, label in ((Channel.SMS, "Text"), (Channel.EMAIL, "Email")):
        numbers = counts[channel.value]
        for stage, number in zip(FUNNEL_STAGES, numbers, strict=True):
            rows.append([label, stage, str(number), _percent(number, numbers[0])])
    return Table("Links: sent to paid", ("Channel", "Stage", "Links", "Of sent"), rows)


# ---------------------------------------------------------------- 3. delivery problems


def _failure_kind():
    whens = [(col(OutboundMessage.error_code).in_(codes), key) for key, (_, _, codes) in FAILURE_KINDS.items()]
    return sa.case(*whens, else_=OTHER_FAILURE[0])


def _failed_texts(business: Business, date_range: DateRange):
    return (
        OutboundMessage.business_id == business.id,
        _in_range(OutboundMessage.created_at, date_range.bounds(business.time_zone)),
        OutboundMessage.channel == Channel.SMS,
        col(OutboundMessage.status).in_([s.value for s in FAILED_STATUSES]),
    )


def failure_label(kind: str) -> str:
    return FAILURE_KINDS[kind][0] if kind in FAILURE_KINDS else OTHER_FAILURE[1]


def short_failure_label(kind: str) -> str:
    return FAILURE_KINDS[kind][1] if kind in FAILURE_KINDS else OTHER_FAILURE[2]


def delivery_problems_table(session: Session, business: Business, date_range: DateRange) -> Table:
    kind = _failure_kind().label("kind")
    statement = (
        select(kind, sa.func.count(), sa.func.count(sa.distinct(col(OutboundMessage.invoice_id))))
        .where(*_failed_texts(business, date_range))
        .group_by(kind)
    )
    counts = {key: (texts, invoices) for key, texts, invoices in session.exec(statement)}
    rows = [
        [failure_label(key), str(counts.get(key, (0, 0))[0]), str(counts.get(key, (0, 0))[1])] for key in FAILURE_KEYS
    ]
    return Table("Texts that failed, by reason", ("Reason", "Texts", "Invoices"), rows)


def failed_text_invoices(session: Session, business: Business, date_range: DateRange, kind: str) -> Table:
    """The texts that failed for one reason in the range, newest first, with their invoices."""
    tz = ZoneInfo(business.time_zone)
    statement = (
        sa.select(
            col(Invoice.id),
            col(Invoice.number),
            col(Customer.name),
            col(OutboundMessage.to_address),
            col(OutboundMessage.created_at),
            col(OutboundMessage.error_code),
        )
        .join(Invoice, col(Invoice.id) == OutboundMessage.invoice_id)
        .join(Customer, col(Customer.id) == Invoice.customer_id)
        .where(*_failed_texts(business, date_range), _failure_kind() == kind)
        .order_by(col(OutboundMessage.created_at).desc(), col(OutboundMessage.id).desc())
        .limit(MAX_LISTED_INVOICES)
    )
    rows = [
        [
            str(invoice_id),
            number,
            name,
            exports._recipient("sms", to),
            at.astimezone(tz).strftime("%b %-d, %Y %-I:%M %p"),
            code or "",
        ]
        for invoice_id, number, name, to, at, code in session.execute(statement)
    ]
    return Table(
        f"Failed texts: {failure_label(kind)}", ("Invoice id", "Invoice", "Customer", "To", "Sent", "Error code"), rows
    )


# ---------------------------------------------------------------- 4. what is owed


def aging(session: Session, business: Business, today: date) -> tuple[Table, int]:
    """Open balances today by days past their due day, and their sum in cents."""
    whens = []
    for label, low, _high in AGE_BUCKETS[1:]:
        whens.append((col(Invoice.due_on) <= today - timedelta(days=low), label))
    # The oldest bucket first: the first matching WHEN wins.
    bucket = sa.case(*reversed(whens), else_=AGE_BUCKETS[0][0]).label("bucket")
    statement = (
        select(bucket, sa.func.count(), sa.func.sum(Invoice.total_cents - Invoice.amount_paid_cents))
        .where(Invoice.business_id == business.id, Invoice.status == InvoiceStatus.OPEN)
        .group_by(bucket)
    )
    found = {label: (count, cents or 0) for label, count, cents in session.exec(statement)}
    rows = [
        [label, str(found.get(label, (0, 0))[0]), dollars(found.get(label, (0, 0))[1])] for label, *_ in AGE_BUCKETS
    ]
    owed = sum(cents for _, cents in found.values())
    return Table("Open balances by age, today", ("Age", "Invoices", "Balance"), rows, (2,)), owed


def days_sales_outstanding(session: Session, business: Business, date_range: DateRange, owed_cents: int) -> str:
    """What is owed today over the range's sales (invoices issued, not draft or void), times its days."""
    sales = session.exec(
        select(sa.func.sum(Invoice.total_cents)).where(
            Invoice.business_id == business.id,
            Invoice.issued_on >= date_range.start,
            Invoice.issued_on <= date_range.end,
            col(Invoice.status).in_([InvoiceStatus.OPEN.value, InvoiceStatus.PAID.value]),
        )
    ).one()
    if not sales:
        return "-"
    days = (date_range.end - date_range.start).days + 1
    return f"{owed_cents / sales * days:.1f} days"


def payments_by_method_table(session: Session, business: Business, date_range: DateRange) -> Table:
    """Money collected from payments made in the range (after refunds and disputes), by method."""
    collected = Payment.amount_cents - Payment.refunded_cents - Payment.disputed_cents
    statement = (
        select(Payment.method, sa.func.count(), sa.func.sum(collected))
        .join(Invoice, col(Invoice.id) == Payment.invoice_id)
        .where(
            Invoice.business_id == business.id,
            _in_range(Payment.created_at, date_range.bounds(business.time_zone)),
            col(Payment.status).in_([s.value for s in insight_rollups.COLLECTED_STATUSES]),
        )
        .group_by(Payment.method)
    )
    found = {method: (count, cents or 0) for method, count, cents in session.exec(statement)}
    rows = [
        [words, str(found.get(method.value, (0, 0))[0]), dollars(found.get(method.value, (0, 0))[1])]
        for method, words in METHOD_WORDS.items()
    ]
    return Table("Payments by method", ("Method", "Payments", "Collected"), rows, (2,))


# ---------------------------------------------------------------- 5. reminders


def reminders_table(session: Session, business: Business, date_range: DateRange) -> Table:
    """Invoices paid in the range that had a reminder plan, by how many reminders had gone."""
    statement = (
        select(InvoiceReminder.sent, sa.func.count())
        .join(Invoice, col(Invoice.id) == InvoiceReminder.invoice_id)
        .where(
            Invoice.business_id == business.id,
            Invoice.status == InvoiceStatus.PAID,
            _in_range(Invoice.paid_at, date_range.bounds(business.time_zone)),
        )
        .group_by(col(InvoiceReminder.sent))
        .order_by(col(InvoiceReminder.sent))
    )
    rows = [
        ["Before any reminder" if sent == 0 else f"After reminder {sent}", str(count)]
        for sent, count in session.exec(statement)
    ]
    return Table("Paid after reminders", ("When paid", "Invoices"), rows)


# ---------------------------------------------------------------- the page


def skip_jit(session: Session) -> None:
    """PostgreSQL's JIT compiles these aggregates for 50-100 ms per query, more than they take to run."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL jit = off"))


def _points(table: Table, value_column: int, series: str, number=int) -> list[dict]:
    return [{"name": row[0], series: number(row[value_column])} for row in table.rows]


def build(session: Session, business: Business, date_range: DateRange, today: date) -> Insights:
    """Every figure of the page for the range (what is owed: today)."""
    skip_jit(session)
    paid = insight_rollups.pay_durations(session, business, date_range)
    result = Insights()
    for name, (table, chart) in (
        ("time_to_pay", time_to_pay(paid)),
        ("by_weekday", by_first_text(paid, "weekday")),
        ("by_hour", by_first_text(paid, "hour")),
    ):
        result.tables[name], result.charts[name] = table, chart
    funnel = funnel_table(session, business, date_range)
    half = len(FUNNEL_STAGES)
    result.tables["funnel"] = funnel
    result.charts["funnel"] = [
        {"name": stage, "Text": int(text[2]), "Email": int(email[2])}
        for stage, text, email in zip(FUNNEL_STAGES, funnel.rows[:half], funnel.rows[half:], strict=True)
    ]
    problems = delivery_problems_table(session, business, date_range)
    result.tables["delivery_problems"] = problems
    result.charts["delivery_problems"] = [
        {"name": short_failure_label(key), "texts": int(row[1])}
        for key, row in zip(FAILURE_KEYS, problems.rows, strict=True)
    ]
    owed_table, owed_cents = aging(session, business, today)
    result.tables["aging"], result.charts["aging"] = owed_table, _points(owed_table, 2, "dollars", float)
    result.days_sales_outstanding = days_sales_outstanding(session, business, date_range, owed_cents)
    methods = payments_by_method_table(session, business, date_range)
    result.tables["payments_by_method"] = methods
    result.charts["payments_by_method"] = _points(methods, 2, "dollars", float)
    reminders = reminders_table(session, business, date_range)
    result.tables["reminders"], result.charts["reminders"] = reminders, _points(reminders, 1, "invoices")
    return result


def insights_for(session: Session, employee: Employee, date_range: DateRange, today: date) -> Insights:
    require_permission(session, employee, Permission.VIEW_INSIGHTS)
    return build(session, accounts.the_business(session, employee.business_id), date_range, today)


def failed_table_for(session: Session, employee: Employee, date_range: DateRange, kind: str) -> Table:
    require_permission(session, employee, Permission.VIEW_INSIGHTS)
    skip_jit(session)
    return failed_text_invoices(session, accounts.the_business(session, employee.business_id), date_range, kind)


def _table(session: Session, business: Business, name: str, date_range: DateRange, today: date, kind: str) -> Table:
    paid = lambda: insight_rollups.pay_durations(session, business, date_range)  # noqa: E731
    builders = {
        "time_to_pay": lambda: time_to_pay(paid())[0],
        "by_weekday": lambda: by_first_text(paid(), "weekday")[0],
        "by_hour": lambda: by_first_text(paid(), "hour")[0],
        "funnel": lambda: funnel_table(session, business, date_range),
        "delivery_problems": lambda: delivery_problems_table(session, business, date_range),
        "failed_texts": lambda: failed_text_invoices(session, business, date_range, kind),
        "aging": lambda: aging(session, business, today)[0],
        "payments_by_method": lambda: payments_by_method_table(session, business, date_range),
        "reminders": lambda: reminders_table(session, business, date_range),
    }
    if name not in builders:
        raise DomainError("There is no such table.")
    return builders[name]()


def csv_download(
    session: Session, employee: Employee, name: str, date_range: DateRange, today: date, kind: str = ""
) -> exports.Download:
    """One table of the page as a CSV file (`kind`: the failure reason, for the failed texts' list)."""
    require_permission(session, employee, Permission.VIEW_INSIGHTS)
    skip_jit(session)
    table = _table(session, accounts.the_business(session, employee.business_id), name, date_range, today, kind)
    out = io.StringIO()
    out.write("\ufeff")
    rows = exports.write_csv(out, table.columns, table.rows)
    filename = f"{name.replace('_', '-')}-{date_range.start.isoformat()}-to-{date_range.end.isoformat()}.csv"
    return exports.Download(filename, out.getvalue().encode("utf-8"), rows)


def quick_ranges(today: date) -> dict[str, DateRange]:
    """The page's range buttons: the last 30 days (what it opens with), then the exports' ranges."""
    return {"Last 30 days": DateRange(today - timedelta(days=29), today), **exports.quick_ranges(today)}
