"""What the browser and the state store get, seen from outside: security headers on pages, the pay
page and the REST API; no raw session or pay-link token in Reflex's state store; no page refused
by its own Content-Security-Policy."""

import hashlib
import time

import httpx
import pytest
from playwright.sync_api import expect

from smslinks.config import PROJECT_ROOT
from tests.e2e.conftest import sign_in
from tests.e2e.test_pay import _new_invoice, _open

pytestmark = pytest.mark.e2e

STATES = PROJECT_ROOT / ".states"  # the disk state manager's pickles (no REDIS_URL in the e2e app)


def test_pages_and_the_api_answer_with_security_headers(live_app):
    _invoice_id, token, _mobile = _new_invoice(live_app)
    with httpx.Client(base_url=live_app.url, timeout=30, follow_redirects=True) as client:
        pay = client.get(f"/pay/{token}")
        staff = client.get("/invoices")
        api = client.get("/api/v1/customers")
    assert pay.status_code == 200 and staff.status_code == 200 and api.status_code == 401
    for page in (pay, staff):
        policy = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert live_app.settings.stripe_base_url in policy  # the sandbox Stripe.js, its frames and API
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in page.headers  # http://localhost: no HSTS
    assert pay.headers["referrer-policy"] == "no-referrer"
    assert staff.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in api.headers


def _report_violations(page, found: list[str]) -> None:
    page.on(
        "console", lambda message: found.append(message.text) if "Content Security Policy" in message.text else None
    )


def _pickles_since(started: float) -> list[bytes]:
    return [path.read_bytes() for path in STATES.glob("*.pkl") if path.stat().st_mtime >= started]


def _state_store_holding(started: float, wanted: str, timeout: float = 20) -> list[bytes]:
    """The pickles written since the test started, once one of them holds `wanted` (writes are debounced)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pickles = _pickles_since(started)
        if any(wanted.encode() in pickle for pickle in pickles):
            return pickles
        time.sleep(0.5)
    pytest.fail(f"no state written since the test started holds {wanted!r}")


def test_no_raw_token_reaches_the_state_store_and_no_page_breaks_its_policy(live_app, desktop, phone):
    started = time.time() - 1
    refused: list[str] = []
    _report_violations(desktop, refused)
    _report_violations(phone, refused)

    sign_in(desktop, "office@example.com")
    expect(desktop.get_by_role("heading", name="Invoices")).to_be_visible()
    desktop.get_by_role("row").nth(1).get_by_role("link").first.click()
    expect(desktop.get_by_role("button", name="SMS Invoice")).to_be_visible()
    session_token = next(c["value"] for c in desktop.context.cookies() if c["name"] == "smslinks_session")

    _invoice_id, token, _mobile = _new_invoice(live_app)
    _open(phone, token)
    expect(phone.locator("#balance-due")).to_have_text("$286.96")
    expect(phone.get_by_label("Card number")).to_be_visible(timeout=15_000)

    token_hash = hashlib.sha256(token.encode()).hexdigest()
    pickles = _state_store_holding(started, token_hash)
    _state_store_holding(started, hashlib.sha256(session_token.encode()).hexdigest())
    assert not [p for p in pickles if token.encode() in p], "a raw pay-link token in the state store"
    assert not [p for p in _pickles_since(started) if session_token.encode() in p], "a raw session token"
    assert refused == []
