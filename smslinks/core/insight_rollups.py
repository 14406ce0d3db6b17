"""Insights' time to pay and funnel by the business's day: daily rollups kept current by the workers,
and the direct computation they are made of.

Time to pay is counted per day (the day the invoice was paid in full), per how its first link went,
and for texted invoices per weekday and hour of the first text, in buckets of duration 1% wide
(log-spaced, BUCKET_RATIO); each bucket keeps its durations' sum, and its figure is their mean. A
median or 75th percentile read from the buckets is therefore within 1% (or one second) of the exact
one, and exact while no two different durations share a bucket. The day each invoice was counted on
is kept too (insight_paid_invoice): a refund that reopens it takes it off that day. The funnel is
counted per day the link was sent and per channel, exactly.

The workers' pass (roll_up_all, every ROLLUP_EVERY) rolls up each business's days up to yesterday.
After the first pass it recomputes only the days touched since the last one: the days of invoices
changed since then (Invoice.updated_at: sends, deliveries, payments, refunds touch it), of links
visited and payments started since then. A day is recomputed whole, so a pass is idempotent; one
worker rolls up a business at a time (an advisory lock on PostgreSQL; SQLite writes one at a time).
The page reads the rolled days and computes the others directly: today, any not rolled up yet, and
those changed since the last pass began (found the same way), so it is never behind the records.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from smslinks.core.exports import DateRange
from smslinks.models import (
    Business,
    Channel,
    InsightFunnelDay,
    InsightPaidInvoice,
    InsightPayDay,
    InsightRollupState,
    Invoice,
    InvoiceStatus,
    LinkOpen,
    MessageStatus,
    OutboundMessage,
    Payment,
    PaymentLink,
    PaymentStatus,
    StripePaymentIntent,
    saved_id,
)

ROLLUP_EVERY = timedelta(minutes=1)
# A change's timestamp is taken before its transaction commits, on the app's clock: each pass looks
# this far back before the last one's start (and no later than the oldest transaction then running).
COMMIT_MARGIN = timedelta(minutes=5)
DAYS_PER_QUERY = 31  # a long rebuild reads this many days at a time
IDS_PER_QUERY = 500
RELATIVE_ERROR = 0.01
BUCKET_RATIO = 1 + RELATIVE_ERROR  # a bucket's mean is within this of any duration in it
NOT_TEXTED = -1  # the weekday and hour of an invoice that was not texted
ROLLUP_LOCK = 0x1_5175  # PostgreSQL advisory lock class: (ROLLUP_LOCK, business id)

# Texts and emails that left: what "sent" means here.
LEFT_STATUSES = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.UNDELIVERED)
COLLECTED_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED, PaymentStatus.DISPUTED)
TEXTED, EMAILED, NEVER_SENT = "texted", "emailed", "never_sent"
PAY_CHANNELS = (TEXTED, EMAILED, NEVER_SENT)
FUNNEL_CHANNELS = (Channel.SMS.value, Channel.EMAIL.value)
FUNNEL_STAGES = ("sent", "delivered", "opened", "started", "paid")  # InsightFunnelDay's columns


def _in_range(column, bounds: tuple[datetime, datetime]):
    return sa.and_(column >= bounds[0], column < bounds[1])


def _day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


# ---------------------------------------------------------------- durations in buckets


def bucket_of(seconds: float) -> int:
    """0 below a second; n covers (BUCKET_RATIO**(n-1), BUCKET_RATIO**n] seconds."""
    if seconds < 1:
        return 0
    return max(1, math.ceil(math.log(seconds) / math.log(BUCKET_RATIO)))


@dataclass
class Durations:
    """Times to pay by bucket: [how many, their seconds' sum]."""

    buckets: dict[int, list[float]] = field(default_factory=dict)

    def add(self, bucket: int, count: int, seconds: float) -> None:
        held = self.buckets.setdefault(bucket, [0, 0.0])
        held[0] += count
        held[1] += seconds

    @property
    def count(self) -> int:
        return int(sum(count for count, _ in self.buckets.values()))

    def _nth(self, ordered: list[tuple[float, float]], n: int) -> float:
        """The n-th shortest (from 0): the mean of its bucket."""
        for count, seconds in ordered:
            if n < count:
                return seconds / count
            n -= int(count)
        raise IndexError(n)

    def median_p75(self) -> tuple[float | None, float | None]:
        """As statistics.median and statistics.quantiles(n=4, method="inclusive") read them."""
        total = self.count
        if not total:
            return None, None
        ordered = [(count, seconds) for _, (count, seconds) in sorted(self.buckets.items()) if count]
        nth = lambda n: self._nth(ordered, n)  # noqa: E731
        if total == 1:
            return nth(0), nth(0)
        half = total // 2
        median = nth(half) if total % 2 else (nth(half - 1) + nth(half)) / 2
        j, delta = divmod(3 * (total - 1), 4)
        p75 = (nth(j) * (4 - delta) + nth(j + 1) * delta) / 4
        return median, p75


@dataclass
class PayDurations:
    """Time to pay by how the first link went, and for texted invoices by weekday and hour of the first text."""

    by_channel: dict[str, Durations] = field(default_factory=lambda: {name: Durations() for name in PAY_CHANNELS})
    by_weekday: dict[int, Durations] = field(default_factory=lambda: {day: Durations() for day in range(7)})
    by_hour: dict[int, Durations] = field(default_factory=lambda: {hour: Durations() for hour in range(24)})


# ---------------------------------------------------------------- the direct computation


@dataclass(frozen=True)
class PaidInvoice:
    invoice_id: int
    start: datetime  # the first link sent, or the day it was issued when no link went
    paid_at: datetime
    channel: str  # TEXTED, EMAILED, NEVER_SENT
    first_text_at: datetime | None

    @property
    def seconds(self) -> float:
        return (self.paid_at - self.start).total_seconds()


def _sent_at():
    # A text held for quiet hours left at its send_after.
    return sa.case(
        (col(OutboundMessage.send_after) > OutboundMessage.created_at, OutboundMessage.send_after),
        else_=OutboundMessage.created_at,
    )


def _first_link(channel: Channel):
    """When the invoice's first pay link by this channel left before it was paid (one index probe)."""
    return (
        select(sa.func.min(_sent_at()))
        .where(
            OutboundMessage.invoice_id == Invoice.id,
            OutboundMessage.channel == channel.value,
            col(OutboundMessage.payment_link_id).is_not(None),
            col(OutboundMessage.status).in_([s.value for s in LEFT_STATUSES]),
            col(OutboundMessage.created_at) <= col(Invoice.paid_at),
        )
        .scalar_subquery()
    )


def paid_invoices(session: Session, business: Business, date_range: DateRange) -> list[PaidInvoice]:
    """Invoices paid in full in the range, with when their first link left and how."""
    tz = ZoneInfo(business.time_zone)
    statement = sa.select(
        col(Invoice.id),
        col(Invoice.issued_on),
        col(Invoice.paid_at),
        _first_link(Channel.SMS),
        _first_link(Channel.EMAIL),
    ).where(
        col(Invoice.business_id) == business.id,
        col(Invoice.status) == InvoiceStatus.PAID,
        _in_range(Invoice.paid_at, date_range.bounds(business.time_zone)),
    )
    found = []
    for invoice_id, issued_on, paid_at, first_text, first_email in session.execute(statement):
        sent = [at for at in (first_text, first_email) if at is not None]
        channel = TEXTED if first_text is not None else EMAILED if first_email is not None else NEVER_SENT
        start = min(sent) if sent else datetime.combine(issued_on, time(), tz)
        found.append(PaidInvoice(invoice_id, min(start, paid_at), paid_at, channel, first_text))
    return found


def _funnel_messages(session: Session, business: Business, date_range: DateRange):
    """Pay links sent in the range: when, by which channel, and whether each was delivered, opened by
    a person, a payment started and paid. An email counts as delivered when the mail server took it
    (mail has no delivery receipts)."""
    link = col(OutboundMessage.payment_link_id)
    opened = sa.exists().where(col(LinkOpen.payment_link_id) == link, col(LinkOpen.by_person).is_(True))
    started = sa.exists().where(col(StripePaymentIntent.payment_link_id) == link)
    paid = sa.exists().where(
        col(Payment.payment_link_id) == link, col(Payment.status).in_([s.value for s in COLLECTED_STATUSES])
    )
    status, channel = col(OutboundMessage.status), col(OutboundMessage.channel)
    delivered = sa.or_(
        status == MessageStatus.DELIVERED,
        sa.and_(channel == Channel.EMAIL, status == MessageStatus.SENT),
    )
    return session.execute(
        sa.select(col(OutboundMessage.created_at), channel, delivered, opened, started, paid).where(
            col(OutboundMessage.business_id) == business.id,
            _in_range(OutboundMessage.created_at, date_range.bounds(business.time_zone)),
            col(link).is_not(None),
            col(OutboundMessage.status).in_([s.value for s in LEFT_STATUSES]),
        )
    )


def funnel_by_day(session: Session, business: Business, date_range: DateRange) -> dict[tuple[date, str], list[int]]:
    """(day, channel): links sent, delivered, opened by a person, payment started, paid."""
    tz = ZoneInfo(business.time_zone)
    counts: dict[tuple[date, str], list[int]] = {}
    for created_at, channel, *stages in _funnel_messages(session, business, date_range):
        numbers = counts.setdefault((_day(created_at, tz), channel), [0] * 5)
        for index, reached in enumerate((True, *stages)):
            numbers[index] += int(bool(reached))
    return counts


# ---------------------------------------------------------------- what the page reads


@dataclass(frozen=True)
class _Days:
    """A range's days read from the rollups (`rolled` less `changed`) and those computed directly."""

    rolled: DateRange | None = None
    changed: frozenset[date] = frozenset()
    live: tuple[DateRange, ...] = ()

    def where(self, model, business: Business) -> tuple:
        assert self.rolled is not None
        day = col(model.day)
        conditions = (col(model.business_id) == business.id, day >= self.rolled.start, day <= self.rolled.end)
        return (*conditions, day.not_in(sorted(self.changed))) if self.changed else conditions


def _split(session: Session, business: Business, date_range: DateRange) -> _Days:
    """Rolled-up days are read, less those changed since the last pass; the others (today, any not
    rolled up yet, those changed) are computed directly, so the page is never behind."""
    state = session.get(InsightRollupState, business.id)
    if state is None or state.time_zone != business.time_zone:
        return _Days(live=(date_range,))
    through = state.rolled_through
    if date_range.start > through:
        return _Days(live=(date_range,))
    rolled = DateRange(date_range.start, min(date_range.end, through))
    changed = frozenset(
        day for day in changed_days(session, business, state.changes_seen_until) if rolled.start <= day <= rolled.end
    )
    live = list(_runs(sorted(changed)))
    if date_range.end > through:
        live.append(DateRange(through + timedelta(days=1), date_range.end))
    return _Days(rolled, changed, tuple(live))


def _rolled(model, business: Business, rolled: DateRange):
    return (col(model.business_id) == business.id, col(model.day) >= rolled.start, col(model.day) <= rolled.end)


def pay_durations(session: Session, business: Business, date_range: DateRange) -> PayDurations:
    """Time to pay of the invoices paid in full in the range."""
    figures = PayDurations()
    days = _split(session, business, date_range)
    if days.rolled is not None:
        bucket = col(InsightPayDay.bucket)
        counted = (bucket, sa.func.sum(InsightPayDay.invoices), sa.func.sum(InsightPayDay.seconds))
        where = days.where(InsightPayDay, business)
        texted = (*where, col(InsightPayDay.channel) == TEXTED)
        groupings: tuple[tuple[dict, Any, tuple], ...] = (
            (figures.by_channel, col(InsightPayDay.channel), where),
            (figures.by_weekday, col(InsightPayDay.weekday), texted),
            (figures.by_hour, col(InsightPayDay.hour), texted),
        )
        for groups, by, conditions in groupings:
            statement = sa.select(by, *counted).where(*conditions).group_by(by, bucket)
            for group, number, count, seconds in session.execute(statement):
                groups[group].add(number, count, seconds)
    tz = ZoneInfo(business.time_zone)
    for live in days.live:
        for paid in paid_invoices(session, business, live):
            for group, key in _pay_groups(figures, paid, tz):
                group[key].add(bucket_of(paid.seconds), 1, paid.seconds)
    return figures


def _first_text_local(paid: PaidInvoice, tz: ZoneInfo) -> tuple[int, int]:
    if paid.first_text_at is None:
        return NOT_TEXTED, NOT_TEXTED
    local = paid.first_text_at.astimezone(tz)
    return local.weekday(), local.hour


def _pay_groups(figures: PayDurations, paid: PaidInvoice, tz: ZoneInfo) -> Iterator[tuple[dict, Any]]:
    yield figures.by_channel, paid.channel
    weekday, hour = _first_text_local(paid, tz)
    if weekday != NOT_TEXTED:
        yield figures.by_weekday, weekday
        yield figures.by_hour, hour


def funnel_counts(session: Session, business: Business, date_range: DateRange) -> dict[str, list[int]]:
    """By channel ("sms", "email"): pay links sent in the range, delivered, opened by a person,
    payment started, paid."""
    counts = {channel: [0] * 5 for channel in FUNNEL_CHANNELS}
    days = _split(session, business, date_range)
    if days.rolled is not None:
        stages = [sa.func.sum(getattr(InsightFunnelDay, stage)) for stage in FUNNEL_STAGES]
        statement = (
            sa.select(col(InsightFunnelDay.channel), *stages)
            .where(*days.where(InsightFunnelDay, business))
            .group_by(col(InsightFunnelDay.channel))
        )
        for channel, *numbers in session.execute(statement):
            counts[channel] = [a + int(b or 0) for a, b in zip(counts[channel], numbers, strict=True)]
    for live in days.live:
        for (_, channel), numbers in funnel_by_day(session, business, live).items():
            counts[channel] = [a + b for a, b in zip(counts[channel], numbers, strict=True)]
    return counts


# ---------------------------------------------------------------- the workers' pass


def roll_up_all(engine: sa.Engine, now: datetime) -> int:
    """Bring every business's rollups up to yesterday, each in its own transaction; returns the
    number of days recomputed."""
    with Session(engine) as session:
        business_ids = list(session.exec(select(Business.id)))
    days = 0
    for business_id in business_ids:
        with Session(engine) as session:
            business = session.get(Business, business_id)
            if business is not None:
                days += roll_up(session, business, now)
                session.commit()
    return days


def roll_up(session: Session, business: Business, now: datetime) -> int:
    """One business: its days up to yesterday rolled up (all of them the first time, or when its
    time zone changed; then the new day and those touched since the last pass). Returns how many
    days were recomputed (0 as well when another worker holds the business); the caller commits."""
    if not _lock(session, saved_id(business)):
        return 0
    tz = ZoneInfo(business.time_zone)
    through = _day(now, tz) - timedelta(days=1)
    seen_until = _oldest_transaction(session, now)
    state = session.get(InsightRollupState, business.id)
    if state is None or state.time_zone != business.time_zone:
        for model in (InsightPayDay, InsightFunnelDay, InsightPaidInvoice):
            session.execute(sa.delete(model).where(col(model.business_id) == business.id))
        first = _first_day(session, business)
        days = set(_days(first, through)) if first is not None else set()
        state = state or InsightRollupState(
            business_id=saved_id(business), time_zone=business.time_zone, rolled_through=through, changes_seen_until=now
        )
    else:
        touched = changed_days(session, business, state.changes_seen_until - COMMIT_MARGIN)
        days = {day for day in touched if day <= state.rolled_through}
        days |= set(_days(state.rolled_through + timedelta(days=1), through))
        through = max(through, state.rolled_through)
    for run in _runs(sorted(days)):
        _recompute(session, business, run)
    state.time_zone, state.rolled_through, state.changes_seen_until = business.time_zone, through, seen_until
    session.add(state)
    return len(days)


def _lock(session: Session, business_id: int) -> bool:
    """This transaction's hold on the business's rollups (PostgreSQL); SQLite lets one writer at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    statement = sa.select(sa.func.pg_try_advisory_xact_lock(ROLLUP_LOCK, business_id))
    return bool(session.execute(statement).scalar_one())


def _oldest_transaction(session: Session, now: datetime) -> datetime:
    """Changes made before this are seen: now, or on PostgreSQL when the oldest other transaction
    began (its changes, committed later, carry earlier times)."""
    if session.get_bind().dialect.name != "postgresql":
        return now
    oldest = session.execute(
        sa.text(
            "SELECT min(xact_start) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    ).scalar_one()
    return min(now, oldest) if oldest is not None else now


def _first_day(session: Session, business: Business) -> date | None:
    tz = ZoneInfo(business.time_zone)
    firsts = [
        session.exec(select(sa.func.min(Invoice.paid_at)).where(Invoice.business_id == business.id)).one(),
        session.exec(
            select(sa.func.min(OutboundMessage.created_at)).where(OutboundMessage.business_id == business.id)
        ).one(),
    ]
    found = [_day(at, tz) for at in firsts if at is not None]
    return min(found) if found else None


def _days(first: date, last: date) -> Iterator[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _runs(days: list[date]) -> Iterator[DateRange]:
    """Consecutive days, at most DAYS_PER_QUERY to a range."""
    start = previous = None
    for day in days:
        if start is not None and previous is not None:
            if day == previous + timedelta(days=1) and (day - start).days < DAYS_PER_QUERY:
                previous = day
                continue
            yield DateRange(start, previous)
        start = previous = day
    if start is not None and previous is not None:
        yield DateRange(start, previous)


def changed_days(session: Session, business: Business, since: datetime) -> set[date]:
    """The days whose time to pay or funnel may have changed since then: those of invoices changed,
    and of links visited and payments started, since then (each found through an index)."""
    changed: sa.CompoundSelect = sa.union(
        select(Invoice.id).where(Invoice.business_id == business.id, Invoice.updated_at >= since),
        select(PaymentLink.invoice_id)
        .join(LinkOpen, col(LinkOpen.payment_link_id) == PaymentLink.id)
        .where(LinkOpen.opened_at >= since),
        select(StripePaymentIntent.invoice_id).where(StripePaymentIntent.created_at >= since),
    )
    invoice_ids = sorted(session.execute(changed).scalars())
    tz = ZoneInfo(business.time_zone)
    days: set[date] = set()
    for start in range(0, len(invoice_ids), IDS_PER_QUERY):
        some = invoice_ids[start : start + IDS_PER_QUERY]
        paid = select(Invoice.paid_at).where(
            Invoice.business_id == business.id, col(Invoice.id).in_(some), Invoice.status == InvoiceStatus.PAID
        )
        sent = select(OutboundMessage.created_at).where(
            col(OutboundMessage.invoice_id).in_(some),
            OutboundMessage.business_id == business.id,
            col(OutboundMessage.payment_link_id).is_not(None),
        )
        days |= {_day(at, tz) for statement in (paid, sent) for at in session.exec(statement) if at is not None}
        counted = select(col(InsightPaidInvoice.day)).where(
            col(InsightPaidInvoice.invoice_id).in_(some), InsightPaidInvoice.business_id == business.id
        )
        days |= set(session.exec(counted))
    return days


def _recompute(session: Session, business: Business, days: DateRange) -> None:
    """Replace the rollups of these days by what the records say now."""
    for model in (InsightPayDay, InsightFunnelDay, InsightPaidInvoice):
        session.execute(sa.delete(model).where(*_rolled(model, business, days)))
    # And wherever else these days' invoices were counted (a paid_at changed with no trace).
    paid_here = select(Invoice.id).where(
        Invoice.business_id == business.id,
        Invoice.status == InvoiceStatus.PAID,
        _in_range(Invoice.paid_at, days.bounds(business.time_zone)),
    )
    session.execute(sa.delete(InsightPaidInvoice).where(col(InsightPaidInvoice.invoice_id).in_(paid_here)))
    tz = ZoneInfo(business.time_zone)
    buckets: dict[tuple[date, str, int, int, int], list[float]] = {}
    counted = []
    for paid in paid_invoices(session, business, days):
        day = _day(paid.paid_at, tz)
        weekday, hour = _first_text_local(paid, tz)
        held = buckets.setdefault((day, paid.channel, weekday, hour, bucket_of(paid.seconds)), [0, 0.0])
        held[0] += 1
        held[1] += paid.seconds
        counted.append({"invoice_id": paid.invoice_id, "business_id": business.id, "day": day})
    rows: list[tuple[type[SQLModel], list[dict]]] = [
        (
            InsightPayDay,
            [
                dict(
                    business_id=business.id,
                    day=day,
                    channel=channel,
                    weekday=weekday,
                    hour=hour,
                    bucket=bucket,
                    invoices=int(count),
                    seconds=seconds,
                )
                for (day, channel, weekday, hour, bucket), (count, seconds) in buckets.items()
            ],
        ),
        (InsightPaidInvoice, counted),
        (
            InsightFunnelDay,
            [
                dict(
                    business_id=business.id,
                    day=day,
                    channel=channel,
                    **dict(zip(FUNNEL_STAGES, numbers, strict=True)),
                )
                for (day, channel), numbers in funnel_by_day(session, business, days).items()
            ],
        ),
    ]
    for table, values in rows:
        if values:
            session.execute(sa.insert(table), values)
