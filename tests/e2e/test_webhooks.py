"""Settings > Webhooks: an administrator adds an endpoint and sees its secret once; a customer pays
on the pay page; the business's receiver gets invoice.paid, signed, and the delivery log says so."""

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks.core import webhooks
from smslinks.core.webhook_sender import WebhookPolicy, WebhookSender
from smslinks.models import Employee, utcnow
from smslinks.providers.webhook_http import HttpWebhookPoster
from smslinks.sandbox.runner import free_port
from tests.e2e.conftest import assert_fits, sign_in
from tests.e2e.test_pay import _fill_card, _new_invoice, _open
from tests.servers import serving
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


def _webhooks_page(page: Page) -> None:
    sign_in(page, "admin@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings sections").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()


def _wait_for(found, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _add_endpoint(page: Page, url: str, events: list[str]) -> str:
    """Returns the signing secret the dialog shows."""
    page.get_by_role("button", name="Add endpoint").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Endpoint URL").fill(url)
    for name in events:
        # The box follows the page's state, which answers over the websocket.
        box = dialog.get_by_role("checkbox", name=name)
        box.click()
        expect(box).to_be_checked()
    dialog.get_by_role("button", name="Add endpoint").click()
    expect(dialog.get_by_role("heading", name="Endpoint added")).to_be_visible()
    secret = dialog.locator("#webhook-secret")
    expect(secret).to_have_text(re.compile(r"^whsec_[A-Za-z0-9+/=]{32}$"))
    return secret.inner_text().strip()


def test_an_admin_adds_an_endpoint_and_it_receives_a_paid_invoice(desktop, phone, live_app):
    receiver = WebhookReceiver()
    with serving(receiver.app) as receiver_url:
        _webhooks_page(desktop)
        expect(desktop.get_by_text("No endpoints yet")).to_be_visible()
        assert_fits(desktop, "webhooks-empty-desktop")

        # Bad input: a clear message beside each field, nothing added.
        desktop.get_by_role("button", name="Add endpoint").click()
        dialog = desktop.get_by_role("dialog")
        dialog.get_by_label("Endpoint URL").fill("http://books.example.com/hooks")
        dialog.get_by_role("button", name="Add endpoint").click()
        expect(dialog.get_by_text("plain http is allowed only to localhost or 127.0.0.1")).to_be_visible()
        expect(dialog.get_by_text("Choose at least one event to send.")).to_be_visible()
        assert_fits(desktop, "webhooks-add-errors-desktop", full_page=False)
        dialog.get_by_role("button", name="Cancel").click()
        # A person sees it close before going on: until it is gone the page stays inert (Radix's modal),
        # so a click on "Add endpoint" during its closing animation is lost, and the next steps then
        # filled the closing dialog (seen once in CI; 8 of 25 times when clicked at once).
        expect(dialog).to_have_count(0)
        expect(desktop.get_by_text("No endpoints yet")).to_be_visible()

        secret = _add_endpoint(desktop, f"{receiver_url}/ok", ["invoice.paid", "payment.succeeded"])
        receiver.secret = secret
        assert_fits(desktop, "webhooks-secret-desktop", full_page=False)
        desktop.get_by_role("dialog").get_by_role("button", name="Done").click()
        endpoint = desktop.get_by_role("group", name=f"{receiver_url}/ok")
        expect(endpoint.get_by_text("invoice.paid · payment.succeeded")).to_be_visible()
        expect(endpoint.get_by_text("Enabled")).to_be_visible()
        assert secret not in desktop.content()  # shown once: gone with its dialog
        desktop.reload()
        expect(endpoint).to_be_visible()
        assert secret not in desktop.content()

        # A customer pays by card on the pay page.
        invoice_id, token, _mobile = _new_invoice(live_app)
        _open(phone, token)
        expect(phone.get_by_label("Card number")).to_be_visible(timeout=15_000)
        _fill_card(phone, "4242 4242 4242 4242")
        phone.get_by_role("button", name=re.compile(r"Pay \$")).click()
        expect(phone.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)

        paid = _wait_for(
            lambda: [r for r in receiver.received if r.payload and r.payload["type"] == "invoice.paid"],
            "invoice.paid at the receiver",
        )
        assert all(r.verified for r in receiver.received)
        [event] = paid
        invoice = event.payload["data"]["invoice"]
        assert invoice["id"] == invoice_id and invoice["status"] == "paid" and invoice["balance_cents"] == 0
        assert invoice["number"].startswith("P") and invoice["customer"]["name"].startswith("Pay Test")
        _wait_for(
            lambda: any(r.payload["type"] == "payment.succeeded" for r in receiver.received if r.payload),
            "payment.succeeded at the receiver",
        )

        # The delivery log shows both delivered, with their webhook-ids.
        endpoint.get_by_role("button", name="Deliveries").click()
        log = desktop.get_by_role("dialog")
        deliveries = log.get_by_role("listitem")
        paid_row = deliveries.filter(has_text="invoice.paid")
        expect(paid_row).to_have_count(1)
        expect(paid_row.get_by_text("Delivered")).to_be_visible()
        expect(paid_row.get_by_text(re.compile(r"Attempts: 1 · Response: 204"))).to_be_visible()
        expect(paid_row.get_by_text(event.webhook_id)).to_be_visible()
        expect(deliveries.filter(has_text="payment.succeeded").get_by_text("Delivered")).to_be_visible()
        assert_fits(desktop, "webhooks-log-desktop", full_page=False)

        # Resend: the receiver gets the same webhook-id again.
        paid_row.get_by_role("button", name="Resend").click()
        _wait_for(
            lambda: len([r for r in receiver.received if r.webhook_id == event.webhook_id]) == 2,
            "the resent invoice.paid",
        )
        log.get_by_role("button", name="Refresh").click()
        expect(paid_row.get_by_text(re.compile(r"Attempts: 2 · Response: 204"))).to_be_visible()
        log.get_by_role("button", name="Close").click()

        # On a phone: the list and the log fit.
        sign_in(phone, "admin@example.com")
        phone.goto("/settings/integrations/webhooks")
        phone_endpoint = phone.get_by_role("group", name=f"{receiver_url}/ok")
        expect(phone_endpoint).to_be_visible()
        assert_fits(phone, "webhooks-phone")
        phone_endpoint.get_by_role("button", name="Deliveries").click()
        expect(phone.get_by_role("dialog").get_by_role("listitem").first).to_be_visible()
        assert_fits(phone, "webhooks-log-phone", full_page=False)
        phone.get_by_role("dialog").get_by_role("button", name="Close").click()

        # Disable, then delete (other modules' payments must not go to this receiver).
        endpoint.get_by_role("button", name="Disable").click()
        expect(endpoint.get_by_text("Disabled")).to_be_visible()
        endpoint.get_by_role("button", name="Delete").click()
        desktop.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
        expect(desktop.get_by_text("No endpoints yet")).to_be_visible()


def test_the_webhooks_section_is_for_administrators_only(desktop):
    sign_in(desktop, "manager@example.com")
    desktop.goto("/settings/integrations/webhooks")
    expect(desktop.get_by_text("Only administrators can manage webhooks.")).to_be_visible()
    panel = desktop.get_by_role("navigation", name="Settings sections")
    expect(panel.get_by_role("link", name="Webhooks")).to_have_count(0)


def test_an_endpoint_failing_for_three_days_shows_why_it_was_switched_off(desktop, live_app):
    """The workers' sender, three days on, switches off an endpoint nobody answers; the admin sees why."""
    with live_app.session() as session:
        admin = session.exec(select(Employee).where(Employee.email == "admin@example.com")).one()
        nobody = f"http://127.0.0.1:{free_port()}/hooks"  # nothing listens there
        endpoint_id, _secret = webhooks.add_endpoint(session, admin, nobody, ["invoice.voided"])
        # Due tomorrow, so the app's own sender leaves it to the one here, whose clock runs ahead.
        tomorrow = utcnow() + timedelta(days=1)
        webhooks.record_event(session, admin.business_id, "invoice.voided", {"invoice": {"number": "E2E"}}, at=tomorrow)
        session.commit()
    clock = [tomorrow]
    sender = WebhookSender(live_app.engine, HttpWebhookPoster(2), WebhookPolicy(concurrency=1), clock=lambda: clock[0])
    assert sender.run_once() == 1
    clock[0] += timedelta(days=3, minutes=1)
    assert sender.run_once() == 1
    sender.close()

    _webhooks_page(desktop)
    endpoint = desktop.get_by_role("group", name=nobody)
    expect(endpoint.get_by_text("Disabled", exact=True)).to_be_visible()
    expect(endpoint.get_by_role("status")).to_contain_text(re.compile(r"Switched off: every delivery since .+ failed"))
    assert_fits(desktop, "webhooks-switched-off-desktop")
    endpoint.get_by_role("button", name="Deliveries").click()
    failed = desktop.get_by_role("dialog").get_by_role("listitem").filter(has_text="invoice.voided")
    expect(failed.get_by_text("Failed")).to_be_visible()
    expect(failed.get_by_text("Could not reach the endpoint (ConnectError).")).to_be_visible()
    desktop.get_by_role("dialog").get_by_role("button", name="Close").click()
    endpoint.get_by_role("button", name="Enable").click()
    expect(endpoint.get_by_text("Enabled")).to_be_visible()
    expect(endpoint.get_by_role("status")).to_have_count(0)
    with live_app.session() as session:
        webhooks.delete_endpoint(session, admin, endpoint_id)
        session.commit()
