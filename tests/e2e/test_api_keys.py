"""Settings > Integrations > API keys: an administrator creates a key, sees it once, another system
uses it to send an invoice and text its link, and the administrator revokes it.

Only the key, customer and invoice made here are touched: other modules rely on the demo data."""

import time
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks.models import Location
from tests import factories
from tests.e2e.conftest import assert_fits, sign_in

pytestmark = pytest.mark.e2e

KEY_NAME = "Field CRM"
PAGE = "/settings/integrations/api-keys"


def _keys_page(page: Page) -> None:
    sign_in(page, "admin@example.com")
    page.goto(PAGE)
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()


def _create_key(page: Page, name: str) -> str:
    page.get_by_role("button", name="Create API key").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_role("button", name="Create key").click()
    expect(dialog.get_by_role("heading", name=f"Key for {name}")).to_be_visible()
    field = dialog.locator("#new-api-key")
    expect(field).not_to_have_text("")
    return field.inner_text().strip()


def _daytime(live_app, external_id: str) -> None:
    """Quiet hours depend on the clock: the service location is put where it is 2 PM now."""
    with live_app.session() as session:
        location = session.exec(select(Location).where(Location.external_id == external_id)).one()
        location.time_zone = factories.zone_where_local_hour_is(14)
        session.add(location)
        session.commit()


def _message_status(client: httpx.Client, invoice: str, wanted: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = client.get(f"/api/v1/invoices/{invoice}/messages").json()["data"][0]["status"]
        if status == wanted:
            break
        time.sleep(0.5)
    return status


def test_an_admin_creates_a_key_and_another_system_texts_an_invoice_with_it(desktop, live_app):
    _keys_page(desktop)
    desktop.get_by_role("button", name="Create API key").click()
    dialog = desktop.get_by_role("dialog")
    dialog.get_by_role("button", name="Create key").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        'Name the key after the system that will use it, e.g. "Accounting sync".'
    )
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)  # a click during its closing animation would not reach the page

    key = _create_key(desktop, KEY_NAME)
    assert key.startswith("smsl_") and len(key) > 40
    dialog = desktop.get_by_role("dialog")
    expect(dialog).to_contain_text("It is shown only once")
    assert_fits(desktop, "api-keys-created-desktop", full_page=False)
    dialog.get_by_role("button", name="Done").click()
    row = desktop.get_by_role("row").filter(has_text=KEY_NAME)
    expect(row).to_contain_text("Never used")
    expect(row).to_contain_text(key[:12])
    assert key not in desktop.content()  # shown once: gone with the dialog
    docs = httpx.get(desktop.get_by_role("link", name="API reference").get_attribute("href"), timeout=30)
    assert docs.status_code == 200 and "/api/v1/openapi.json" in docs.text

    client = httpx.Client(base_url=live_app.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    customer = client.put(
        "/api/v1/customers/KEYS-C-1",
        json={
            "name": "Avery Apiwright",
            "phones": [{"number": "+15125550163", "type": "mobile", "label": "cell"}],
            "emails": ["avery@example.com"],
            "locations": [
                {
                    "external_id": "KEYS-L-1",
                    "address_line1": "12 Congress Ave",
                    "city": "Austin",
                    "state": "TX",
                    "postal_code": "78701",
                }
            ],
        },
    )
    assert customer.status_code in (200, 201), customer.text
    _daytime(live_app, "KEYS-L-1")
    invoice = client.put(
        "/api/v1/invoices/KEYS-INV-1",
        json={
            "customer_external_id": "KEYS-C-1",
            "kind": "job",
            "status": "open",
            "due_on": (date.today() + timedelta(days=30)).isoformat(),
            "lines": [{"description": "Furnace repair", "quantity": 1, "unit_price_cents": 18900}],
        },
    )
    assert invoice.status_code in (200, 201), invoice.text
    assert (invoice.json()["status"], invoice.json()["balance_cents"]) == ("open", 18900)

    sent = client.post(
        "/api/v1/invoices/KEYS-INV-1/text-link",
        json={"to": "+15125550163", "pay_by": "card"},
        headers={"Idempotency-Key": "e2e-text-1"},
    )

    assert sent.status_code == 201, sent.text
    assert sent.json()["confirmation"] == "Text queued to (512) 555-0163"
    assert _message_status(client, "KEYS-INV-1", "delivered") == "delivered"
    pay_url = client.get("/api/v1/invoices/KEYS-INV-1").json()["pay_url"]
    assert pay_url == sent.json()["pay_url"] and "/pay/" in pay_url

    desktop.reload()
    row = desktop.get_by_role("row").filter(has_text=KEY_NAME)
    expect(row).not_to_contain_text("Never used")
    assert_fits(desktop, "api-keys-desktop")

    row.get_by_role("button", name=f"Revoke {KEY_NAME}").click()
    desktop.get_by_role("alertdialog").get_by_role("button", name="Revoke").click()
    expect(desktop.get_by_text(f'The key "{KEY_NAME}" is revoked')).to_be_visible()
    expect(row).to_contain_text("Revoked")
    refused = client.get("/api/v1/invoices/KEYS-INV-1")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


def test_the_keys_page_on_a_phone(phone):
    _keys_page(phone)
    expect(phone.get_by_role("button", name="Create API key")).to_be_visible()
    assert_fits(phone, "api-keys-phone")
    phone.get_by_role("button", name="Create API key").click()
    expect(phone.get_by_role("dialog").get_by_label("Name")).to_be_visible()
    assert_fits(phone, "api-keys-create-phone", full_page=False)
