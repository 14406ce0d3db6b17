"""Another system's whole round trip: an administrator makes an API key and a webhook endpoint in
Settings; the other system puts an invoice through the REST API and texts its link through it; the
customer pays on a phone; the other system's receiver gets invoice.paid, signed, with its own id.

Its key and endpoint are removed at the end: other modules' payments must not reach the receiver."""

import re
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_api_keys import _create_key, _daytime, _message_status
from tests.e2e.test_pay import _fill_card
from tests.e2e.test_webhooks import _add_endpoint, _wait_for
from tests.servers import serving
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

CUSTOMER = {
    "name": "Rowan Roundtrip",
    "phones": [{"number": "+15125550168", "type": "mobile"}],
    "emails": [],
    "locations": [
        {
            "external_id": "RT-L-1",
            "address_line1": "8 Lamar Blvd",
            "city": "Austin",
            "state": "TX",
            "postal_code": "78703",
        }
    ],
}


def test_an_invoice_put_and_texted_through_the_api_is_paid_and_the_receiver_hears_of_it(desktop, phone, live_app):
    receiver = WebhookReceiver()
    with serving(receiver.app) as receiver_url:
        sign_in(desktop, "admin@example.com")
        desktop.goto("/settings/integrations/api-keys")
        key = _create_key(desktop, "Round trip books")
        desktop.get_by_role("dialog").get_by_role("button", name="Done").click()
        desktop.goto("/settings/integrations/webhooks")
        receiver.secret = _add_endpoint(desktop, f"{receiver_url}/ok", ["invoice.paid"])
        desktop.get_by_role("dialog").get_by_role("button", name="Done").click()

        api = httpx.Client(base_url=live_app.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        assert api.put("/api/v1/customers/RT-C-1", json=CUSTOMER).status_code == 201
        _daytime(live_app, "RT-L-1")
        put = api.put(
            "/api/v1/invoices/RT-INV-1",
            json={
                "customer_external_id": "RT-C-1",
                "status": "open",
                "due_on": (date.today() + timedelta(days=15)).isoformat(),
                "lines": [
                    {"description": "Drain cleaning", "quantity": 1, "unit_price_cents": 14_500},
                    {"description": "Camera inspection", "quantity": 1, "unit_price_cents": 9_500},
                ],
                "tax_cents": 1_980,
            },
        )
        assert put.status_code == 201, put.text
        assert (put.json()["total_cents"], put.json()["balance_cents"]) == (25_980, 25_980)
        sent = api.post("/api/v1/invoices/RT-INV-1/text-link", json={"to": "+15125550168", "pay_by": "card"})
        assert sent.status_code == 201, sent.text
        assert _message_status(api, "RT-INV-1", "delivered") == "delivered"

        phone.goto(sent.json()["pay_url"])
        expect(phone.get_by_label("Card number")).to_be_visible(timeout=15_000)
        _fill_card(phone, "4242 4242 4242 4242")
        phone.get_by_role("button", name=re.compile(r"Pay \$259\.80")).click()
        expect(phone.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)

        [paid] = _wait_for(
            lambda: [r for r in receiver.received if r.payload and r.payload["type"] == "invoice.paid"],
            "invoice.paid at the receiver",
        )
        assert paid.verified
        invoice = paid.payload["data"]["invoice"]
        assert (invoice["external_id"], invoice["status"], invoice["balance_cents"]) == ("RT-INV-1", "paid", 0)
        after = api.get("/api/v1/invoices/RT-INV-1").json()
        assert (after["status"], after["balance_cents"]) == ("paid", 0)
        assert [p["amount_cents"] for p in api.get("/api/v1/invoices/RT-INV-1/payments").json()["data"]] == [25_980]

        endpoint = desktop.get_by_role("group", name=f"{receiver_url}/ok")
        endpoint.get_by_role("button", name="Delete").click()
        desktop.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
        expect(endpoint).to_have_count(0)
        desktop.goto("/settings/integrations/api-keys")
        desktop.get_by_role("button", name="Revoke Round trip books").click()
        desktop.get_by_role("alertdialog").get_by_role("button", name="Revoke").click()
        expect(desktop.get_by_text('The key "Round trip books" is revoked')).to_be_visible()
