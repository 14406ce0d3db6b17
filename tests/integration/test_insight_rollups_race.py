"""Two workers rolling up Insights at once on PostgreSQL: every invoice and link is counted once."""

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from smslinks.core import insight_rollups
from smslinks.models import InsightFunnelDay, InsightPaidInvoice, InsightPayDay, InsightRollupState, utcnow
from tests import factories
from tests.concurrency import at_once
from tests.unit.test_insight_rollups import TODAY, _records, assert_matches_the_direct_computation


def test_two_workers_rolling_up_at_once_count_each_invoice_and_link_once(pg_engine):
    with Session(pg_engine, expire_on_commit=False) as session:
        business = factories.business(session, name="Rollup Race Heating")
        _records(session, factories.location(session, factories.customer(session, business, "Rita Rolled")))
        session.commit()

    def worker(_index, start):
        start()
        insight_rollups.roll_up_all(pg_engine, utcnow())

    at_once(2, worker)
    with Session(pg_engine) as session:
        assert session.get(InsightRollupState, business.id).rolled_through >= TODAY - timedelta(days=2)
        paid_rows = session.execute(
            sa.select(sa.func.sum(InsightPayDay.invoices)).where(InsightPayDay.business_id == business.id)
        ).scalar_one()
        ledger = session.execute(
            sa.select(sa.func.count()).where(InsightPaidInvoice.business_id == business.id)
        ).scalar_one()
        assert paid_rows == ledger > 0
        sent = session.execute(
            sa.select(sa.func.sum(InsightFunnelDay.sent)).where(InsightFunnelDay.business_id == business.id)
        ).scalar_one()
        assert sent > 0
        assert_matches_the_direct_computation(session, session.get(type(business), business.id))
