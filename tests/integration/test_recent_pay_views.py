"""The recent pay-page views in Redis (providers/recent_views.py), as the app's workers share them;
a Redis that cannot be reached: a miss, at once, never an error; and on PostgreSQL, the app that
takes a server-drawn page over reading only the link and its invoice (its stamp, invoice.updated_at,
comes back from the database exactly as the page kept it)."""

from datetime import date

import pytest
import redis
from sqlmodel import Session

from smslinks.core import links, pay_page, tips
from smslinks.core.pay_page import RECENT_VIEW_SECONDS, KeptView, Line, PaymentSummary, PayView, Screen
from smslinks.models import utcnow
from smslinks.providers.recent_views import KEY_PREFIX, RedisRecentViews
from smslinks.sandbox.runner import free_port
from tests import factories
from tests.databases import own_redis_keys
from tests.statements import recorded

REDIS_URL = "redis://127.0.0.1:6379/5"  # these tests' own database; they delete only their keys


@pytest.fixture
def views():
    with own_redis_keys(REDIS_URL):
        yield RedisRecentViews(REDIS_URL)


def _kept() -> KeptView:
    view = PayView(
        Screen.PAY,
        business_name="Lone Star Heating & Air",
        number="10482",
        issued_on=date(2026, 12, 1),
        lines=[Line("Capacitor", "1", 18_000, 18_000)],
        payments=[PaymentSummary(5_000, "Visa •••• 4242", "succeeded", date(2026, 12, 2))],
        tip_policy=tips.TipPolicy(True, (10, 15, 20)),
        saved_card="Visa •••• 4242",
    )
    return KeptView(view, utcnow(), utcnow())


def test_a_kept_view_comes_back_whole_from_another_worker_for_its_seconds(views):
    kept = _kept()
    views.put(10482, kept, RECENT_VIEW_SECONDS)
    assert RedisRecentViews(REDIS_URL).get(10482) == kept  # another worker's client
    assert views.get(10483) is None
    ttl = redis.Redis.from_url(REDIS_URL).ttl(f"{KEY_PREFIX}10482")
    assert 0 < ttl <= RECENT_VIEW_SECONDS


def test_an_unreachable_redis_is_a_miss_not_an_error():
    views = RedisRecentViews(f"redis://127.0.0.1:{free_port()}/0")
    views.put(1, _kept(), RECENT_VIEW_SECONDS)
    assert views.get(1) is None


def test_on_postgresql_the_app_answers_from_the_pages_read(pg_engine, views):
    with Session(pg_engine, expire_on_commit=False) as session:
        business = factories.business(session, name="Recent Views Heating")
        invoice = factories.invoice(session, factories.location(session, factories.customer(session, business)))
        _link, token = links.mint(session, invoice)
        session.commit()
    with Session(pg_engine, expire_on_commit=False) as page_session:  # the page's first visit touches the invoice
        page = pay_page.open_link(page_session, token, client="203.0.113.9", host="", keep=views)
        page_session.commit()
    with Session(pg_engine, expire_on_commit=False) as app_session, recorded(app_session) as statements:
        app = pay_page.open_link(app_session, token, client="203.0.113.9", host="", keep=views, reuse=True)
    assert app == page and app.screen is Screen.PAY
    assert len(statements) == 1 and "FROM payment_link LEFT OUTER JOIN invoice" in statements[0]
