"""Where pay-page views read moments ago are kept (core.pay_page.RecentViews).

With Redis (production, several workers) every worker shares them: the server-drawn page and the
app's websocket may land on different workers. Without it (one worker) they stay in its memory.
Either store forgets a view after its seconds, and a failing Redis is a miss, never an error: the
view is then read from the database as before.
"""

import dataclasses
import hashlib
import logging
import pickle
import threading
import time
from collections import OrderedDict
from functools import cache
from typing import cast

import redis
from redis.driver_info import DriverInfo

from smslinks.config import get_settings
from smslinks.core import tips
from smslinks.core.pay_page import KeptView, Line, PaymentSummary, PayView, RecentViews

log = logging.getLogger(__name__)

# Each call is a single round trip on the machine next door: a slow Redis must not slow the page.
REDIS_TIMEOUT_SECONDS = 0.5
# Keys name the views' shape: while a release that changes it rolls out, each version reads its own.
_SHAPE = hashlib.sha256(
    repr(
        [
            (cls.__name__, field.name, str(field.type))
            for cls in (KeptView, PayView, Line, PaymentSummary, tips.TipPolicy)
            for field in dataclasses.fields(cls)
        ]
    ).encode()
).hexdigest()[:12]
KEY_PREFIX = f"smslinks:pay-view:{_SHAPE}:"


class MemoryRecentViews:
    """This process's recent views, the oldest forgotten beyond max_views."""

    def __init__(self, max_views: int = 2_000):
        self._views: OrderedDict[int, tuple[float, KeptView]] = OrderedDict()
        self._max_views = max_views
        self._lock = threading.Lock()  # pages read them in threads

    def get(self, invoice_id: int) -> KeptView | None:
        with self._lock:
            until, kept = self._views.get(invoice_id, (0.0, None))
            return kept if time.monotonic() < until else None

    def put(self, invoice_id: int, kept: KeptView, seconds: int) -> None:
        with self._lock:
            self._views[invoice_id] = (time.monotonic() + seconds, kept)
            self._views.move_to_end(invoice_id)
            while len(self._views) > self._max_views:
                self._views.popitem(last=False)


class RedisRecentViews:
    """Recent views in Redis, pickled (as Reflex keeps its state there), under KEY_PREFIX."""

    def __init__(self, url: str):
        self._redis = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            # Given, not read from the package's metadata for each new connection (config.reflex_redis_url).
            driver_info=DriverInfo(lib_version=redis.__version__),
        )

    def get(self, invoice_id: int) -> KeptView | None:
        try:
            kept = cast("bytes | None", self._redis.get(f"{KEY_PREFIX}{invoice_id}"))  # the sync client's answer
            return pickle.loads(kept) if kept is not None else None  # noqa: S301 - our own Redis, as Reflex's state
        except (redis.RedisError, pickle.UnpicklingError, AttributeError, TypeError) as error:
            log.warning("recent pay-page view of invoice %s not read: %s", invoice_id, type(error).__name__)
            return None

    def put(self, invoice_id: int, kept: KeptView, seconds: int) -> None:
        try:
            self._redis.set(f"{KEY_PREFIX}{invoice_id}", pickle.dumps(kept), ex=seconds)
        except redis.RedisError as error:
            log.warning("recent pay-page view of invoice %s not kept: %s", invoice_id, type(error).__name__)


@cache
def recent_pay_views() -> RecentViews:
    """One store per process: Redis when the app has one (REDIS_URL), else this process's memory."""
    url = get_settings().redis_url
    return RedisRecentViews(url) if url else MemoryRecentViews()
