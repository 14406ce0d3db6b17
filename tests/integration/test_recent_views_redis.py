"""The recent pay-page views in Redis (providers/recent_views.py), as the app's workers share them;
and a Redis that cannot be reached: a miss, at once, never an error."""

from datetime import date

import pytest
import redis

from smslinks.core import tips
from smslinks.core.pay_page import RECENT_VIEW_SECONDS, KeptView, Line, PaymentSummary, PayView, Screen
from smslinks.models import utcnow
from smslinks.providers.recent_views import KEY_PREFIX, RedisRecentViews
from smslinks.sandbox.runner import free_port

REDIS_URL = "redis://127.0.0.1:6379/5"  # these tests' own database; they delete only their keys


@pytest.fixture
def views():
    client = redis.Redis.from_url(REDIS_URL)
    yield RedisRecentViews(REDIS_URL)
    if ours := client.keys(f"{KEY_PREFIX}*"):
        client.delete(*ours)
    client.close()


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
