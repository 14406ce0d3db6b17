"""The production configuration scaled out: two app backends (each with two granian workers) behind a
load balancer, sharing one PostgreSQL database and Reflex's state in Redis, and two `smslinks worker`
dispatchers sharing the outbox.

Backend A builds and serves the pages (`reflex run --env prod`); backend B serves only the websocket
and the webhooks (`reflex run --env prod --backend-only`, as every further backend would). An office
user signs in through the balancer; the balancer then drains A (A's side of the websocket first, the
browser's once A has let go of the tab), so the open page reconnects to B without reloading and
carries on signed in, under the same token. On B the office texts an invoice, a dispatcher sends it,
Twilio's signed "delivered" callback reaches A, and the page on B shows "Delivered" without a reload.
The tab's state, written by A and then by B, is read back from Redis.

(Reflex resends client storage, the session cookie here, and reruns the page's on_load on every
reconnect, so the move alone would also survive per-backend state; the Redis checks are what show
the Redis state manager at work.)
"""

import pickle
import shutil
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Page, expect
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator

from smslinks import demo
from smslinks.config import SANDBOX_TWILIO_AUTH_TOKEN, Settings
from smslinks.core import accounts
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import Business, OutboundMessage
from smslinks.sandbox.runner import child, free_port, free_ports_env, reflex_command, sandbox_servers, wait_for_http
from smslinks.state.invoice_detail import InvoiceDetailState
from smslinks.state.session import SessionState
from tests import factories
from tests.databases import own_redis_keys
from tests.e2e.balancer import Balancer
from tests.e2e.conftest import DESKTOP, own_web_dir, sign_in
from tests.e2e.test_office_sending import open_invoice, text_dialog
from tests.integration.conftest import postgres_url  # noqa: F401  (a fixture: a throwaway database)
from tests.integration.delivery.support import wait_for

pytestmark = pytest.mark.e2e

# A Redis database of this test's own; it deletes only the keys that appeared while it ran.
REDIS_URL = "redis://127.0.0.1:6379/7"
CUSTOMER_PHONE, CUSTOMER_E164, CUSTOMER_SHOWN = "512-555-0791", "+15125550791", "(512) 555-0791"
SLOW = 20_000  # ms: a dispatcher pass, or the invoice page's poll


@dataclass
class Cluster:
    public_url: str
    backend_a: str
    backend_b: str
    balancer: Balancer
    settings: Settings
    engine: object
    redis: redis.Redis

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture(scope="module")
def redis_db() -> Iterator[redis.Redis]:
    with own_redis_keys(REDIS_URL) as client:
        yield client


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres_url, redis_db) -> Iterator[Cluster]:  # noqa: F811 (the imported fixture)
    work = tmp_path_factory.mktemp("scale-out")
    public_port, port_a, port_b = free_port(), free_port(), free_port()
    env = {
        # Links, websocket and the URL Twilio signs are the balancer's; each backend listens on its own port.
        **free_ports_env(public_port),
        "DATABASE_URL": postgres_url,
        "REDIS_URL": REDIS_URL,
        # The sandbox keeps texts "queued": the status callback is the one this test signs and posts.
        "SMSLINKS_SANDBOX_TWILIO_STEP_SECONDS": "3600",
        # Only the `smslinks worker` processes send.
        "SMSLINKS_INPROCESS_DISPATCHER": "false",
        "SMSLINKS_DISPATCHER_POLL_SECONDS": "0.5",
        # Reflex starts 2 x cores + 1 workers per backend when Redis is configured; two suffice here.
        "GRANIAN_WORKERS": "2",
        # A frontend build of its own: the build holds the public URL, and the project's .web may be
        # serving another app (tests/e2e's live_app) at the same time.
        "REFLEX_WEB_WORKDIR": str(own_web_dir(work)),
        "REFLEX_STATES_WORKDIR": str(work / "states"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = Settings()
    upgrade_to_head(postgres_url)
    engine = make_engine(postgres_url)
    with Session(engine) as session:
        demo.load(session)
        _allow_office_texting(session)
        session.commit()

    with ExitStack() as stack:
        stack.enter_context(sandbox_servers(settings, log_dir=work))
        backend_a, backend_b = f"http://localhost:{port_a}", f"http://localhost:{port_b}"
        # One after the other: `reflex run` clears the states directory as it starts.
        app_a = stack.enter_context(
            child(reflex_command(), env={**env, "SMSLINKS_PORT": str(port_a)}, log=work / "backend-a.log")
        )
        _wait_until_up(app_a, work / "backend-a.log", f"{backend_a}/health", f"{backend_a}/signin")
        app_b = stack.enter_context(
            child(
                reflex_command("--backend-only"), env={**env, "SMSLINKS_PORT": str(port_b)}, log=work / "backend-b.log"
            )
        )
        _wait_until_up(app_b, work / "backend-b.log", f"{backend_b}/health")
        for number in (1, 2):
            stack.enter_context(
                child([sys.executable, "-m", "smslinks.cli", "worker"], env=env, log=work / f"worker-{number}.log")
            )
        balancer = Balancer(pages_url=backend_a, websocket_url=backend_a)
        public_url = stack.enter_context(balancer.serving(public_port))
        yield Cluster(public_url, backend_a, backend_b, balancer, settings, engine, redis_db)
    engine.dispose()
    shutil.rmtree(work / "web")  # with node packages of its own (no shared ones to reuse), ~150 MB


def _wait_until_up(process, log: Path, *urls: str) -> None:
    try:
        for url in urls:
            wait_for_http(url, process, timeout=600)
    except Exception:
        print(log.read_text()[-5000:])
        raise


def _allow_office_texting(session: Session) -> None:
    business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
    business.sms_links_available, business.sms_registration_status = True, "approved"
    settings = accounts.payment_settings(session, business.id)
    settings.sms_links_enabled = settings.office_sms_enabled = True
    session.add_all([business, settings])


def _make_invoice(cluster: Cluster) -> str:
    """An open invoice of a new customer with a mobile phone, where it is mid-afternoon (no quiet hours)."""
    with cluster.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        customer = factories.customer(session, business, "Marisol Vance")
        location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
        factories.phone(session, CUSTOMER_PHONE, customer=customer, type="Mobile")
        invoice = factories.invoice(session, location, total_cents=31_200)
        session.commit()
        return invoice.number


def _client_token(page: Page) -> str:
    """Reflex's id for this browser tab: its state lives under it."""
    return page.evaluate("window.sessionStorage.getItem('token')")


def _stored_state(cluster: Cluster, token: str, state: type) -> bytes:
    """One of the tab's states as the Redis state manager stored it (a pickle: its strings show)."""
    return cluster.redis.get(f"{token}_{state.get_full_name()}") or b""


def _socket_owner(cluster: Cluster, token: str) -> str | None:
    """The backend worker holding the tab's websocket, as Reflex records it in Redis."""
    record = cluster.redis.get(f"token_manager_socket_record_{token}")
    return pickle.loads(record).instance_id if record else None


def _post_signed_status(cluster: Cluster, backend_url: str, message: OutboundMessage, status: str) -> httpx.Response:
    """Twilio's status callback, signed over the public URL Twilio was given, arriving at one backend."""
    path = f"/webhooks/twilio/status?message={message.id}"
    params = {
        "AccountSid": cluster.settings.twilio_credentials[0],
        "ApiVersion": "2010-04-01",
        "MessageSid": message.provider_id,
        "SmsSid": message.provider_id,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": message.to_address,
        "From": "+15125559001",
    }
    signature = RequestValidator(SANDBOX_TWILIO_AUTH_TOKEN).compute_signature(cluster.public_url + path, params)
    return httpx.post(backend_url + path, data=params, headers={"X-Twilio-Signature": signature})


def test_a_page_served_by_one_backend_shows_a_callback_received_by_another(cluster, browser):
    number = _make_invoice(cluster)
    context = browser.new_context(viewport=DESKTOP, base_url=cluster.public_url)
    page = context.new_page()
    try:
        sign_in(page, "office@example.com")
        token = _client_token(page)
        # Signed in on A: the layout's state, in Redis.
        wait_for(lambda: b"Olivia Office" in _stored_state(cluster, token, SessionState), what="the state in Redis")
        on_a = wait_for(lambda: _socket_owner(cluster, token), what="the websocket on backend A")
        page.evaluate("window.sameDocument = true")  # gone if the page reloads

        cluster.balancer.send_websockets_to(cluster.backend_b, released=lambda: _socket_owner(cluster, token) is None)
        on_b = wait_for(
            lambda: (owner := _socket_owner(cluster, token)) not in (None, on_a) and owner,
            timeout=30,
            what="the websocket to move to backend B",
        )
        assert cluster.balancer.websocket_targets[-1] == cluster.backend_b
        assert _client_token(page) == token  # the same tab, and the same state in Redis

        # Served by B: still signed in, without signing in again or reloading.
        page.get_by_label("Search invoices").fill(CUSTOMER_PHONE)
        page.get_by_role("button", name="Search").click()
        open_invoice(page, number)
        dialog = text_dialog(page)
        dialog.get_by_role("button", name="Send").click()
        expect(page.get_by_text(f"Text queued to {CUSTOMER_SHOWN}").first).to_be_visible()
        entry = (
            page.get_by_role("list", name="Texts and emails")
            .get_by_test_id("timeline-entry")
            .filter(has_text=f"Text to {CUSTOMER_SHOWN}")
        )
        expect(entry.get_by_text("Sent", exact=True)).to_be_visible(timeout=SLOW)  # a dispatcher sent it
        expect(entry.get_by_text("Delivered", exact=True)).to_have_count(0)

        with cluster.session() as session:
            message = session.exec(select(OutboundMessage).where(OutboundMessage.to_address == CUSTOMER_E164)).one()
        answer = _post_signed_status(cluster, cluster.backend_a, message, "delivered")
        assert answer.status_code == 204

        expect(entry.get_by_text("Delivered", exact=True)).to_be_visible(timeout=SLOW)
        assert page.evaluate("window.sameDocument === true"), "the page reloaded"
        # What the page shows, B filled and kept current in the same Redis.
        wait_for(lambda: b"Delivered" in _stored_state(cluster, token, InvoiceDetailState), what="the state in Redis")
        assert _socket_owner(cluster, token) == on_b  # the websocket never went back to A
    finally:
        context.close()
