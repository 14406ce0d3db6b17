"""Insights' daily rollups: the figures read from them equal the direct computation, and the workers'
pass is incremental, idempotent, and follows payments, refunds, deliveries and visits on rolled days."""

import statistics
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from smslinks.core import delivery, insight_rollups, insights, payments
from smslinks.core.exports import DateRange
from smslinks.models import (
    Channel,
    InsightFunnelDay,
    InsightPayDay,
    InsightRollupState,
    Invoice,
    InvoiceStatus,
    LinkOpen,
    MessageStatus,
    Payment,
    PaymentLink,
    PaymentMethod,
    PaymentStatus,
    StripePaymentIntent,
    utcnow,
)
from tests import factories
from tests.unit.test_insights import PHONE, PREVIEW, _invoice, _send

CHICAGO = ZoneInfo("America/Chicago")
NOW = utcnow()
# A pass after the records below were made, by more than the margin a pass looks back.
PASS = NOW + insight_rollups.COMMIT_MARGIN + timedelta(minutes=1)
TODAY = PASS.astimezone(CHICAGO).date()
MONTH = DateRange(TODAY - timedelta(days=29), TODAY)


def local(days_ago: int, hour: int, minute: int = 0) -> datetime:
    """A moment of a recent day in Chicago."""
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour, minute), CHICAGO)


@pytest.fixture
def shop(session):
    business = factories.business(session)
    location = factories.location(session, factories.customer(session, business, "Maria Garcia"))
    return business, location


def _records(session, location):
    """Three weeks of sends, visits, payment starts and payments, paid or not, ending today; returns
    the links sent (message, token) by days ago."""
    sent = {}
    for days_ago in range(20, -1, -1):
        for n in range(3):
            paid = (days_ago + n) % 3 != 0
            issued = TODAY - timedelta(days=days_ago + 2)
            first = local(days_ago, 7 + 5 * n, 17 * n)
            paid_at = first + timedelta(hours=days_ago * 7 + n * 3, minutes=days_ago) if paid else None
            if paid_at is not None and paid_at > NOW:
                paid_at = None
            invoice = _invoice(
                session,
                location,
                status=InvoiceStatus.PAID if paid_at else InvoiceStatus.OPEN,
                issued=issued,
                paid_at=paid_at,
            )
            if n == 2 and days_ago % 2:
                continue  # never sent
            channel = Channel.EMAIL if n == 1 else Channel.SMS
            status = MessageStatus.SENT if channel == Channel.EMAIL or days_ago % 5 == 0 else MessageStatus.DELIVERED
            message, token = _send(session, invoice, min(first, NOW), channel=channel, status=status)
            sent[(days_ago, n)] = (message, token)
            if days_ago % 2 == 0:
                insights.log_open(session, token, PHONE, ran_script=True)
            insights.log_open(session, token, PREVIEW, ran_script=True)
            if paid_at is not None or days_ago % 4 == 0:
                session.add(
                    StripePaymentIntent(
                        invoice_id=invoice.id,
                        stripe_id=f"pi_{invoice.id}",
                        idempotency_key=f"k{invoice.id}",
                        amount_cents=10_000,
                        payment_link_id=message.payment_link_id,
                    )
                )
            if paid_at is not None:
                session.add(
                    Payment(
                        invoice_id=invoice.id,
                        amount_cents=10_000,
                        method=PaymentMethod.CARD,
                        status=PaymentStatus.SUCCEEDED,
                        payment_link_id=message.payment_link_id,
                        created_at=paid_at,
                        updated_at=paid_at,
                    )
                )
    session.flush()
    # Made an hour ago: what a pass now looks back for is only what changes after.
    an_hour_ago = NOW - timedelta(hours=1)
    invoices = select(Invoice.id).where(Invoice.business_id == location.business_id)
    links = select(PaymentLink.id).where(col(PaymentLink.invoice_id).in_(invoices))
    for model, column, rows in (
        (Invoice, "updated_at", col(Invoice.id).in_(invoices)),
        (LinkOpen, "opened_at", col(LinkOpen.payment_link_id).in_(links)),
        (StripePaymentIntent, "created_at", col(StripePaymentIntent.invoice_id).in_(invoices)),
    ):
        session.execute(sa.update(model).where(rows).values({column: an_hour_ago}))
    return sent


def _exact(values: list[float]) -> tuple[float | None, float | None]:
    """The page's figures before rollups: the exact median and 75th percentile."""
    if not values:
        return None, None
    if len(values) == 1:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=4, method="inclusive")[2]


def _oracle(session, business, date_range):
    """Time to pay by channel, weekday and hour, and the funnel, computed straight from the records."""
    groups: dict[tuple[str, object], list[float]] = {}
    zone = ZoneInfo(business.time_zone)
    for paid in insight_rollups.paid_invoices(session, business, date_range):
        groups.setdefault(("channel", paid.channel), []).append(paid.seconds)
        if paid.first_text_at is not None:
            first = paid.first_text_at.astimezone(zone)
            groups.setdefault(("weekday", first.weekday()), []).append(paid.seconds)
            groups.setdefault(("hour", first.hour), []).append(paid.seconds)
    funnel = {channel: [0] * 5 for channel in insight_rollups.FUNNEL_CHANNELS}
    for (_, channel), numbers in insight_rollups.funnel_by_day(session, business, date_range).items():
        funnel[channel] = [a + b for a, b in zip(funnel[channel], numbers, strict=True)]
    return {key: (len(values), *_exact(values)) for key, values in groups.items()}, funnel


def _read(session, business, date_range):
    figures = insight_rollups.pay_durations(session, business, date_range)
    read = {}
    for kind, by in (("channel", figures.by_channel), ("weekday", figures.by_weekday), ("hour", figures.by_hour)):
        for key, durations in by.items():
            if durations.count:
                read[(kind, key)] = (durations.count, *durations.median_p75())
    return read, insight_rollups.funnel_counts(session, business, date_range)


def assert_matches_the_direct_computation(session, business, date_range=MONTH):
    expected, expected_funnel = _oracle(session, business, date_range)
    read, funnel = _read(session, business, date_range)
    assert funnel == expected_funnel
    assert read.keys() == expected.keys()
    for key, (count, median, p75) in expected.items():
        assert read[key][0] == count, key
        # Within the buckets' stated tolerance: 1% (the durations here are all over a second).
        assert read[key][1] == pytest.approx(median, rel=insight_rollups.RELATIVE_ERROR), key
        assert read[key][2] == pytest.approx(p75, rel=insight_rollups.RELATIVE_ERROR), key


def _rollup_rows(session, business):
    return (
        sorted(session.exec(select(InsightPayDay).where(InsightPayDay.business_id == business.id)).all(), key=repr),
        sorted(
            session.exec(select(InsightFunnelDay).where(InsightFunnelDay.business_id == business.id)).all(), key=repr
        ),
    )


def test_figures_from_the_rollups_equal_the_direct_computation(session, shop):
    business, location = shop
    _records(session, location)
    assert_matches_the_direct_computation(session, business)  # nothing rolled yet: all computed directly

    days = insight_rollups.roll_up(session, business, PASS)

    state = session.get(InsightRollupState, business.id)
    assert state.rolled_through == TODAY - timedelta(days=1)
    assert days == (state.rolled_through - min(r.day for r in _rollup_rows(session, business)[1])).days + 1
    assert session.exec(select(InsightFunnelDay.day).where(InsightFunnelDay.day >= TODAY)).all() == []
    for date_range in (MONTH, DateRange(TODAY - timedelta(days=9), TODAY - timedelta(days=3)), DateRange(TODAY, TODAY)):
        assert_matches_the_direct_computation(session, business, date_range)


def test_the_figures_read_from_buckets_are_those_of_the_median_and_percentile():
    durations = insight_rollups.Durations()
    for seconds in (7200.0, 36000.0, 36000.0, 90000.0, 0.5):
        durations.add(insight_rollups.bucket_of(seconds), 1, seconds)
    assert durations.count == 5
    assert durations.median_p75() == pytest.approx(_exact([7200.0, 36000.0, 36000.0, 90000.0, 0.5]))
    close = insight_rollups.Durations()
    for seconds in (1000.0, 1005.0):  # one bucket: each read as their mean
        close.add(insight_rollups.bucket_of(seconds), 1, seconds)
    assert close.median_p75() == (1002.5, 1002.5)
    assert insight_rollups.Durations().median_p75() == (None, None)
    # Many durations sharing buckets: within the stated 1%.
    many = [30 + (n * 7919 % 1_000_003) * 0.37 for n in range(2_001)]
    crowded = insight_rollups.Durations()
    for seconds in many:
        crowded.add(insight_rollups.bucket_of(seconds), 1, seconds)
    assert len(crowded.buckets) < len(many) / 4
    assert crowded.median_p75() == pytest.approx(_exact(many), rel=insight_rollups.RELATIVE_ERROR)


def test_a_second_pass_with_nothing_changed_recomputes_nothing_and_the_next_day_only_that_day(session, shop):
    business, location = shop
    _records(session, location)
    insight_rollups.roll_up(session, business, PASS)
    before = _rollup_rows(session, business)

    assert insight_rollups.roll_up(session, business, PASS + timedelta(minutes=1)) == 0
    assert _rollup_rows(session, business) == before
    tomorrow = datetime.combine(TODAY + timedelta(days=1), time(1), CHICAGO)
    assert insight_rollups.roll_up(session, business, tomorrow) == 1
    assert session.get(InsightRollupState, business.id).rolled_through == TODAY
    assert_matches_the_direct_computation(session, business)


def test_a_refund_a_payment_a_delivery_and_a_visit_on_rolled_days_update_them(session, shop):
    business, location = shop
    sent = _records(session, location)
    insight_rollups.roll_up(session, business, utcnow())
    before = _rollup_rows(session, business)
    # Refunded: an invoice paid 10 days ago reopens (its paid_at is gone).
    refunded = session.exec(select(Payment).where(Payment.payment_link_id == sent[(12, 1)][0].payment_link_id)).one()
    invoice = session.get(Invoice, refunded.invoice_id)
    counted_on = invoice.paid_at.astimezone(CHICAGO).date()
    payments.settle_payment(session, invoice, refunded, status=PaymentStatus.REFUNDED, refunded_cents=10_000)
    assert invoice.status == InvoiceStatus.OPEN
    # Paid today from a link texted 6 days ago: its funnel day gains a payment.
    message, _ = sent[(6, 0)]
    late = session.get(Invoice, message.invoice_id)
    assert late.status == InvoiceStatus.OPEN
    payment = Payment(
        invoice_id=late.id,
        amount_cents=10_000,
        method=PaymentMethod.CARD,
        status=PaymentStatus.PROCESSING,
        payment_link_id=message.payment_link_id,
    )
    session.add(payment)
    session.flush()
    payments.settle_payment(session, late, payment, status=PaymentStatus.SUCCEEDED)
    # A text of 5 days ago is delivered only now; one of 7 days ago opened by a person now.
    delivery.transition_many(
        session,
        [sent[(5, 0)][0].id],
        MessageStatus.DELIVERED,
        allowed_from={MessageStatus.SENT},
        actor="twilio",
    )
    insights.log_open(session, sent[(7, 0)][1], PHONE, ran_script=True)
    session.flush()

    counted = session.exec(select(InsightPayDay).where(InsightPayDay.day == counted_on)).all()
    assert_matches_the_direct_computation(session, business)  # before the next pass: those days read directly
    rolled_through = session.get(InsightRollupState, business.id).rolled_through
    days = insight_rollups.roll_up(session, business, utcnow())

    paid_days = {
        session.get(Invoice, sent[key][0].invoice_id).paid_at.astimezone(CHICAGO).date() for key in ((5, 0), (7, 0))
    }
    touched = {counted_on, *paid_days, *(TODAY - timedelta(days=d) for d in (6, 5, 7, 12))}
    new_days = (session.get(InsightRollupState, business.id).rolled_through - rolled_through).days  # past midnight
    assert days == len({day for day in touched if day <= rolled_through}) + new_days
    assert _rollup_rows(session, business) != before
    assert sum(row.invoices for row in session.exec(select(InsightPayDay).where(InsightPayDay.day == counted_on))) == (
        sum(row.invoices for row in counted) - 1
    )
    assert_matches_the_direct_computation(session, business)


def test_a_new_time_zone_rolls_every_day_up_again(session, shop):
    business, location = shop
    _records(session, location)
    insight_rollups.roll_up(session, business, PASS)
    business.time_zone = "America/New_York"
    session.add(business)
    session.flush()
    assert insight_rollups.pay_durations(session, business, MONTH).by_channel  # read directly meanwhile

    insight_rollups.roll_up(session, business, PASS + timedelta(minutes=1))

    assert session.get(InsightRollupState, business.id).time_zone == "America/New_York"
    assert_matches_the_direct_computation(session, business)


def test_the_workers_pass_rolls_up_every_business_each_in_its_own_transaction(engine):
    with Session(engine, expire_on_commit=False) as session:
        businesses = [factories.business(session, name=name) for name in ("North Plumbing", "South Electric")]
        for business in businesses:
            _records(session, factories.location(session, factories.customer(session, business, "Maria Garcia")))
        session.commit()

    assert insight_rollups.roll_up_all(engine, PASS) > 0
    assert insight_rollups.roll_up_all(engine, PASS + timedelta(minutes=1)) == 0

    with Session(engine) as session:
        for business in businesses:
            assert session.get(InsightRollupState, business.id).rolled_through == TODAY - timedelta(days=1)
            assert_matches_the_direct_computation(session, session.get(type(business), business.id))
