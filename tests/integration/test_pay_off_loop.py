"""A card payment waits for Stripe off the event loop: while one customer's charge hangs at Stripe,
another customer's pay page, served by the same event loop, opens. The proof is the order of
events, not a clock: Stripe's answer is held until the other page has opened."""

import asyncio
import inspect
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import reflex as rx
from reflex.istate.data import PageData
from reflex_base.constants import RouteArgType

from smslinks import db, routes
from smslinks.config import get_settings
from smslinks.core import links
from smslinks.core.tokens import token_hash
from smslinks.db import session_scope
from smslinks.state import pay as pay_state
from smslinks.state.pay import PayState
from tests import factories
from tests.unit.stripe_double import CARD_OK, StripeDouble

HOLD_LIMIT_SECONDS = 30  # a regression (Stripe called on the loop) fails here instead of hanging


class HeldStripe(StripeDouble):
    """The in-memory Stripe, whose confirmation answers only once the test lets it."""

    def __init__(self, order: list[str]):
        super().__init__()
        self.order = order
        self.confirming = threading.Event()
        self.release = threading.Event()

    def confirm_intent(self, intent_id, **kwargs):
        self.order.append("charge at Stripe")
        self.confirming.set()
        if not self.release.wait(HOLD_LIMIT_SECONDS):
            self.order.append("charge held past the limit")
        self.order.append("charge answered")
        return super().confirm_intent(intent_id, **kwargs)


@pytest.fixture
def postgres_app_env(monkeypatch, migrated_postgres_url):
    """The app's settings on PostgreSQL: its row lock holds only the invoice being charged (SQLite
    would lock the whole database for the charge, and every visit writes)."""
    monkeypatch.setenv("DATABASE_URL", migrated_postgres_url)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield
    db.get_engine().dispose()
    db.get_engine.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def two_links(postgres_app_env) -> tuple[str, str]:
    """Two customers' open invoices, each with its pay link."""
    rx.State.setup_dynamic_args({"token": RouteArgType.SINGLE})  # what the app does for /pay/[token]
    with session_scope() as session:
        business = factories.business(session)
        tokens = []
        for name in ("Maria Garcia", "James Johnson"):
            location = factories.location(session, factories.customer(session, business, name))
            tokens.append(links.mint(session, factories.invoice(session, location))[1])
    return tokens[0], tokens[1]


def _pay_page(token: str) -> PayState:
    """The page as its websocket reaches it: the token hashed on the way in (api/state_secrets.py)."""
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(PayState.get_full_name().split(".")[1:])
    hashed = token_hash(token)
    state.rx_router_page = PageData(path=routes.pay(hashed), params={"token": hashed})
    return state


async def _handle(handler, state: PayState, **payload) -> None:
    """As Reflex runs a handler: a coroutine is awaited, a plain function runs on the loop itself."""
    answer = handler.fn(state, **payload)
    if inspect.isawaitable(answer):
        await answer


async def _pay_while_another_page_opens(payer: PayState, visitor: PayState, stripe: HeldStripe) -> None:
    await _handle(PayState.open, payer)
    paying = asyncio.create_task(_handle(PayState.submit_card, payer, result={"id": CARD_OK}))
    await asyncio.to_thread(stripe.confirming.wait, HOLD_LIMIT_SECONDS)
    await _handle(PayState.open, visitor)
    stripe.order.append(f"other page shows {visitor.view['number']}")
    stripe.release.set()
    await paying
    stripe.order.append(f"payer sees {payer.screen}")


def test_a_charge_waiting_at_stripe_does_not_hold_up_another_customers_page(two_links, monkeypatch):
    order: list[str] = []
    stripe = HeldStripe(order)
    monkeypatch.setattr("smslinks.state.pay.payment_gateway", lambda: stripe)
    payer, visitor = _pay_page(two_links[0]), _pay_page(two_links[1])
    with ThreadPoolExecutor(1) as pool:  # a loop of its own (see test_pay_websocket._run)
        pool.submit(asyncio.run, _pay_while_another_page_opens(payer, visitor, stripe)).result()
    assert order == [
        "charge at Stripe",
        f"other page shows {visitor.view['number']}",
        "charge answered",
        "payer sees confirmed",
    ]
    assert payer.result["amount"] == "$250.00" and visitor.screen == "pay"


def test_switching_language_and_paying_again_read_the_database_off_the_loop(two_links, monkeypatch):
    """Every handler that reloads the page reads the database in a thread, as opening it does."""
    readers: list[threading.Thread] = []
    read = pay_state._open_link

    def recorded_read(*args):
        readers.append(threading.current_thread())
        return read(*args)

    monkeypatch.setattr(pay_state, "_open_link", recorded_read)
    page = _pay_page(two_links[0])

    async def visit() -> threading.Thread:
        await _handle(PayState.open, page)
        await _handle(PayState.set_language, page, lang="es")
        await _handle(PayState.pay_again, page)
        return threading.current_thread()

    with ThreadPoolExecutor(1) as pool:
        loop_thread = pool.submit(asyncio.run, visit()).result()
    assert len(readers) == 3 and loop_thread not in readers
    assert (page.lang, page.screen) == ("es", "pay") and page.view["balance"] == "$250.00"
