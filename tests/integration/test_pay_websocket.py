"""The pay page as bench/load's client visits it against the production app (the server-drawn
page, then Reflex's websocket): each visitor gets its own link's invoice, an unknown link gets the
expired screen. Keeps the load bench's protocol client honest when Reflex or the pay page change.
Run twice: with the disk state manager (one worker), and with Redis (two workers, which share the
views the server-drawn pages read for the app that takes them over)."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session

from bench.load.app import app_env, mint_links_to_open_invoices, running_app
from bench.load.client import Frontend, PayPageClient
from smslinks import demo
from smslinks.core import links
from smslinks.db import make_engine, upgrade_to_head
from smslinks.providers.recent_views import KEY_PREFIX
from tests.databases import own_redis_keys

VISITORS = 5
# A Redis database of these tests' own; they delete only the keys that appeared while they ran.
REDIS_URL = "redis://127.0.0.1:6379/5"


@pytest.fixture(scope="module")
def redis_db():
    with own_redis_keys(REDIS_URL) as client:
        yield client


@pytest.fixture(scope="module", params=["disk", "redis"])
def pay_app(request, tmp_path_factory):
    """The app on SQLite with the demo data, and a link to each of a few open invoices."""
    work = tmp_path_factory.mktemp("pay-websocket")
    database_url = f"sqlite:///{work / 'smslinks.db'}"
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        demo.load(session)
        expected = {link.token: (link.number, link.balance) for link in mint_links_to_open_invoices(session, VISITORS)}
        session.commit()
    engine.dispose()
    assert len(expected) == VISITORS
    store = request.getfixturevalue("redis_db") if request.param == "redis" else None
    with running_app(app_env(database_url, REDIS_URL if store else None, work), work) as (base_url, _process):
        yield base_url, expected, store


async def _visit_all(base_url: str, tokens: list[str]):
    frontend = Frontend.compiled()
    clients = [PayPageClient(base_url, token, frontend) for token in tokens]
    try:
        return await asyncio.gather(*(client.open(timeout=30) for client in clients))
    finally:
        await asyncio.gather(*(client.close() for client in clients))


def _run(coroutine):
    """asyncio.run in a thread of its own: Playwright's sync API (earlier e2e tests in the same
    session) may already run an event loop in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_each_visitor_gets_its_own_invoice(pay_app):
    base_url, expected, store = pay_app
    tokens = list(expected)
    visits = _run(_visit_all(base_url, tokens))
    for token, visit in zip(tokens, visits, strict=True):
        assert visit.error is None
        number, balance = expected[token]
        assert number in visit.page and balance in visit.page  # the server-drawn page, before the app
        assert visit.view["screen"] == "pay"
        assert (visit.view["number"], visit.view["balance"]) == expected[token]
        assert visit.view["business"] == demo.BUSINESS_NAME
        assert None not in (visit.shown, visit.connected, visit.hydrated, visit.loaded)
    assert len({visit.view["number"] for visit in visits}) == VISITORS
    if store is not None:  # each page's read, kept for its app (whichever worker serves it)
        assert len(store.keys(f"{KEY_PREFIX}*")) == VISITORS


def test_unknown_link_gets_the_expired_screen(pay_app):
    base_url, _expected, _store = pay_app
    [visit] = _run(_visit_all(base_url, [links.new_link_token()]))
    assert visit.error is None
    assert 'id="pay-ssr"' in visit.page  # the loading placeholder: the page says no more than the app would
    assert visit.view["screen"] == "expired"
    assert visit.view["number"] == ""
    assert visit.view["business"] == demo.BUSINESS_NAME  # the only business, so its contact details show
