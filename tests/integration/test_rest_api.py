"""/api/v1 as another system uses it: an API key, JSON bodies, problem+json errors (over HTTP, through
the app's own Starlette routes, on a migrated database)."""

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from smslinks.api import build_api
from smslinks.config import get_settings
from smslinks.core import accounts, api_keys, sending
from smslinks.core.permissions import Permission, set_permission
from smslinks.db import session_scope, upgrade_to_head
from smslinks.models import (
    ApiIdempotentResponse,
    AuditEvent,
    Business,
    Employee,
    Invoice,
    Location,
    OutboundMessage,
    Payment,
    PhoneNumber,
    SmsOptOut,
)
from tests import factories

PROBLEM = "application/problem+json"


def _enable_texting(session, business_id: int, on: bool = True) -> None:
    settings = accounts.payment_settings(session, business_id)
    settings.sms_links_enabled = settings.office_sms_enabled = on
    session.add(settings)


@pytest.fixture
def api(app_env):
    upgrade_to_head()
    with session_scope() as session:
        business = factories.business(session)
        _enable_texting(session, business.id)
        admin = factories.employee(session, business, role="Administrator")
        new = api_keys.create(session, admin, "Accounting sync")
    client = TestClient(build_api(), headers={"Authorization": f"Bearer {new.key}"})
    return SimpleNamespace(client=client, key=new.key, key_id=new.id, business_id=business.id, admin_id=admin.id)


def _customer(**changes) -> dict:
    body = {
        "name": "Maria Garcia",
        "phones": [
            {"number": "+15125550104", "type": "mobile", "label": "cell"},
            {"number": "(512) 555-0177", "type": "home"},
        ],
        "emails": ["maria@example.com"],
        "locations": [
            {
                "external_id": "L-1",
                "address_line1": "100 Main St",
                "city": "Austin",
                "state": "TX",
                "postal_code": "78701",
            }
        ],
    }
    body.update(changes)
    return body


def _invoice(**changes) -> dict:
    body = {
        "customer_external_id": "C-1",
        "kind": "job",
        "status": "open",
        "due_on": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        "lines": [
            {"description": "AC tune-up", "quantity": 1, "unit_price_cents": 12500},
            {"description": "Filter", "quantity": "2", "unit_price_cents": 1999},
        ],
        "tax_cents": 800,
    }
    body.update(changes)
    return body


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def _fields(response) -> dict:
    return {error["field"]: error["message"] for error in _problem(response, 422)["errors"]}


def _daytime_location(api) -> None:
    """Quiet hours depend on the clock: the service location is put where it is 2 PM now."""
    with session_scope() as session:
        for location in session.exec(select(Location).where(Location.business_id == api.business_id)):
            location.time_zone = factories.zone_where_local_hour_is(14)
            session.add(location)


def _open_invoice(api, external_id: str = "INV-1") -> dict:
    assert api.client.put("/api/v1/customers/C-1", json=_customer()).status_code in (200, 201)
    _daytime_location(api)
    response = api.client.put(f"/api/v1/invoices/{external_id}", json=_invoice())
    assert response.status_code in (200, 201), response.text
    return response.json()


# ---------------------------------------------------------------- keys


def test_no_key_a_wrong_key_and_a_revoked_key_answer_401(api):
    bare = TestClient(build_api())
    body = _problem(bare.get("/api/v1/customers"), 401)
    assert "Authorization: Bearer" in body["detail"]
    assert bare.get("/api/v1/customers").headers["www-authenticate"] == "Bearer"
    _problem(bare.get("/api/v1/customers", headers={"Authorization": "Bearer smsl_not-a-key"}), 401)
    _problem(bare.get("/api/v1/customers", headers={"Authorization": f"Basic {api.key}"}), 401)
    assert api.client.get("/api/v1/customers").status_code == 200

    with session_scope() as session:
        api_keys.revoke(session, session.get(Employee, api.admin_id), api.key_id)

    _problem(api.client.get("/api/v1/customers"), 401)


def test_a_key_sees_only_its_own_business(api):
    _open_invoice(api)
    with session_scope() as session:
        other = factories.business(session, name="Other HVAC")
        other_admin = factories.employee(session, other, role="Administrator")
        other_key = api_keys.create(session, other_admin, "Their sync").key
    theirs = TestClient(build_api(), headers={"Authorization": f"Bearer {other_key}"})

    assert _problem(theirs.get("/api/v1/invoices/INV-1"), 404)["detail"] == "No invoice has this external id."
    _problem(theirs.get("/api/v1/customers/C-1"), 404)
    assert theirs.get("/api/v1/invoices").json() == {"data": [], "next_cursor": None}
    # The same external id is theirs to use too.
    assert theirs.put("/api/v1/customers/C-1", json=_customer(locations=[])).status_code == 201


def test_over_the_rate_limit_answers_429_with_retry_after(api, monkeypatch):
    monkeypatch.setenv("SMSLINKS_API_RATE_LIMIT_PER_MINUTE", "3")
    get_settings.cache_clear()
    minute = datetime(2026, 12, 3, 15, 4, 20, tzinfo=UTC)
    monkeypatch.setattr(api_keys, "utcnow", lambda: minute)

    for _ in range(3):
        assert api.client.get("/api/v1/customers").status_code == 200
    response = api.client.get("/api/v1/customers")

    _problem(response, 429)
    assert response.headers["retry-after"] == "40"
    monkeypatch.setattr(api_keys, "utcnow", lambda: minute + timedelta(minutes=1))
    assert api.client.get("/api/v1/customers").status_code == 200


def test_what_a_key_does_is_audited_as_the_key(api):
    _open_invoice(api)
    with session_scope() as session:
        actors = {
            e.actor
            for e in session.exec(
                select(AuditEvent).where(
                    AuditEvent.action.in_(["customer.created", "invoice.created", "invoice.finalized"])
                )
            )
        }
    assert actors == {"API key 'Accounting sync'"}


# ---------------------------------------------------------------- customers


def test_put_creates_then_the_same_put_changes_nothing(api):
    created = api.client.put("/api/v1/customers/C-1", json=_customer())
    assert created.status_code == 201
    body = created.json()
    assert body["external_id"] == "C-1" and body["name"] == "Maria Garcia"
    assert body["phones"] == [
        {"number": "+15125550104", "type": "mobile", "label": "cell"},
        {"number": "+15125550177", "type": "home", "label": ""},
    ]
    assert body["locations"] == [
        {
            "external_id": "L-1",
            "address_line1": "100 Main St",
            "city": "Austin",
            "state": "TX",
            "postal_code": "78701",
            "time_zone": "America/Chicago",
        }
    ]
    assert body["updated_at"].endswith("Z")

    again = api.client.put("/api/v1/customers/C-1", json=_customer())

    assert again.status_code == 200
    assert again.json() == body
    assert api.client.get("/api/v1/customers/C-1").json() == body

    changed = api.client.put("/api/v1/customers/C-1", json=_customer(name="Maria Garcia-Lopez", emails=[]))
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["emails"]) == ("Maria Garcia-Lopez", [])


def test_customer_errors_name_each_field(api):
    fields = _fields(
        api.client.put(
            "/api/v1/customers/C-1",
            json=_customer(
                name=" ",
                phones=[{"number": "555", "type": "mobile"}],
                emails=["nope"],
                locations=[{"external_id": "L-1", "address_line1": "", "city": "Austin"}],
            ),
        )
    )
    assert set(fields) == {"name", "phones.0.number", "emails.0", "locations.0.address_line1"}
    assert fields["name"] == "Enter the customer's name."
    _problem(api.client.get("/api/v1/customers/C-1"), 404)


def test_schema_errors_are_problems_too(api):
    fields = _fields(api.client.put("/api/v1/customers/C-1", json={"phones": [{"number": "1", "type": "pager"}]}))
    assert set(fields) == {"name", "phones.0.type"}
    _problem(api.client.put("/api/v1/customers/%20padded", json=_customer()), 422)
    _problem(
        api.client.put("/api/v1/customers/C-1", content=b"{not json", headers={"Content-Type": "application/json"}), 422
    )


def test_customers_list_pages_with_a_cursor_and_changed_since(api):
    for n in range(3):
        api.client.put(f"/api/v1/customers/C-{n}", json=_customer(name=f"Customer {n}", locations=[]))
    first = api.client.get("/api/v1/customers", params={"limit": 2}).json()
    second = api.client.get("/api/v1/customers", params={"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [c["external_id"] for c in first["data"] + second["data"]] == ["C-0", "C-1", "C-2"]
    assert second["next_cursor"] is None

    later = datetime.now(UTC) + timedelta(seconds=1)
    assert api.client.get("/api/v1/customers", params={"updated_since": later.isoformat()}).json()["data"] == []
    api.client.put("/api/v1/customers/C-0", json=_customer(name="Customer 0 renamed", locations=[]))
    with session_scope() as session:  # what a later sync would ask: changed since the first pass
        from smslinks.models import Customer

        renamed = session.exec(select(Customer).where(Customer.external_id == "C-0")).one()
        since = renamed.updated_at.isoformat().replace("+00:00", "Z")
    changed = api.client.get("/api/v1/customers", params={"updated_since": since}).json()["data"]
    assert [c["external_id"] for c in changed] == ["C-0"]

    assert _fields(api.client.get("/api/v1/customers", params={"cursor": "garbage"})) == {
        "cursor": "This cursor is not one we gave out. Start again without it."
    }


# ---------------------------------------------------------------- invoices


def test_put_invoice_finalizes_and_answers_its_number_and_totals(api):
    body = _open_invoice(api)

    assert body["external_id"] == "INV-1" and body["number"].isdigit()
    assert (body["status"], body["total_cents"], body["balance_cents"], body["currency"]) == (
        "open",
        17298,
        17298,
        "usd",
    )
    assert body["lines"][1] == {
        "description": "Filter",
        "quantity": "2",
        "unit_price_cents": 1999,
        "amount_cents": 3998,
    }
    assert (body["customer_external_id"], body["location_external_id"], body["pay_url"]) == ("C-1", "L-1", None)

    again = api.client.put("/api/v1/invoices/INV-1", json=_invoice())
    assert again.status_code == 200 and again.json() == body
    assert api.client.get("/api/v1/invoices/INV-1").json() == body


def test_invoice_list_filters_by_status(api):
    _open_invoice(api)
    api.client.put("/api/v1/invoices/INV-2", json=_invoice(status="draft"))

    drafts = api.client.get("/api/v1/invoices", params={"status": "draft"}).json()["data"]
    everything = api.client.get("/api/v1/invoices").json()["data"]

    assert [i["external_id"] for i in drafts] == ["INV-2"]
    assert drafts[0]["number"].startswith("DRAFT-")
    assert [i["external_id"] for i in everything] == ["INV-1", "INV-2"]
    _problem(api.client.get("/api/v1/invoices", params={"status": "lost"}), 422)


def test_invoice_errors(api):
    assert _fields(api.client.put("/api/v1/invoices/INV-1", json=_invoice())) == {
        "customer_external_id": "No customer has this external id. Send the customer first."
    }
    api.client.put("/api/v1/customers/C-1", json=_customer())
    fields = _fields(
        api.client.put(
            "/api/v1/invoices/INV-1",
            json=_invoice(due_on="2001-01-01", lines=[{"description": "", "quantity": 1, "unit_price_cents": -5}]),
        )
    )
    assert set(fields) == {"due_on", "lines.0.description", "lines.0.unit_price_cents"}
    assert "negative" in fields["lines.0.unit_price_cents"]


def test_changing_a_paid_invoice_answers_409(api):
    body = _open_invoice(api)
    with session_scope() as session:
        invoice = session.get(Invoice, int(body["id"]))
        invoice.status, invoice.amount_paid_cents = "paid", invoice.total_cents
        session.add(
            Payment(
                invoice_id=invoice.id,
                amount_cents=invoice.total_cents,
                method="card",
                status="succeeded",
                method_detail="Visa •••• 4242",
            )
        )

    response = api.client.put("/api/v1/invoices/INV-1", json=_invoice(tax_cents=0))

    assert _problem(response, 409)["detail"] == "This invoice is paid, so it cannot be changed."
    assert api.client.put("/api/v1/invoices/INV-1", json=_invoice()).status_code == 200  # the same data: fine
    payments = api.client.get("/api/v1/invoices/INV-1/payments").json()["data"]
    assert [(p["amount_cents"], p["status"], p["method_detail"]) for p in payments] == [
        (17298, "succeeded", "Visa •••• 4242")
    ]
    assert payments[0]["created_at"].endswith("Z")


def test_payments_carry_the_tip_its_technician_and_what_of_each_was_refunded(api):
    body = _open_invoice(api)
    with session_scope() as session:
        business = session.get(Invoice, int(body["id"])).business_id
        tech = factories.employee(session, session.get(Business, business), role="Technician", name="Sam Rivera")
        session.add(
            Payment(
                invoice_id=int(body["id"]),
                amount_cents=10_000,
                tip_cents=1_500,
                tip_employee_id=tech.id,
                refunded_cents=10_000,
                tip_refunded_cents=500,
                method="card",
                status="succeeded",
                stripe_payment_intent_id="pi_tip",
            )
        )

    [payment] = api.client.get("/api/v1/invoices/INV-1/payments").json()["data"]

    assert (payment["amount_cents"], payment["tip_cents"], payment["tip_technician"]) == (10_000, 1_500, "Sam Rivera")
    assert (payment["refunded_cents"], payment["tip_refunded_cents"]) == (10_000, 500)


def test_void_with_an_idempotency_key(api):
    _open_invoice(api)
    headers = {"Idempotency-Key": "void-1"}

    first = api.client.post("/api/v1/invoices/INV-1/void", json={"reason": "Duplicate"}, headers=headers)
    repeat = api.client.post("/api/v1/invoices/INV-1/void", json={"reason": "Duplicate"}, headers=headers)

    assert first.status_code == 200 and first.json()["status"] == "void"
    assert repeat.status_code == 200 and repeat.json() == first.json()
    assert repeat.headers["idempotent-replayed"] == "true"
    other = api.client.post("/api/v1/invoices/INV-1/void", json={"reason": "Another reason"}, headers=headers)
    assert "Idempotency-Key" in _fields(other)
    assert _problem(api.client.post("/api/v1/invoices/INV-1/void", json={"reason": "Again"}), 409)["detail"] == (
        "This invoice is already void."
    )
    _problem(api.client.post("/api/v1/invoices/INV-404/void", json={"reason": "x"}), 404)
    with session_scope() as session:
        voids = session.exec(select(AuditEvent).where(AuditEvent.action == "invoice.voided")).all()
    assert len(voids) == 1


def test_stored_answers_are_kept_for_a_day(api):
    _open_invoice(api)
    _open_invoice(api, "INV-2")
    api.client.post("/api/v1/invoices/INV-1/void", json={"reason": "Duplicate"}, headers={"Idempotency-Key": "old"})
    with session_scope() as session:
        stored = session.exec(select(ApiIdempotentResponse)).one()
        stored.created_at -= timedelta(hours=25)
        session.add(stored)

    api.client.post("/api/v1/invoices/INV-2/void", json={"reason": "Duplicate"}, headers={"Idempotency-Key": "new"})

    with session_scope() as session:
        assert [row.key for row in session.exec(select(ApiIdempotentResponse))] == ["new"]


# ---------------------------------------------------------------- sending


def test_text_link_queues_the_text_and_the_invoice_shows_the_link(api):
    _open_invoice(api)

    response = api.client.post("/api/v1/invoices/INV-1/text-link", json={"to": "+15125550104", "pay_by": "card"})

    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["message"]["status"] == "queued" and sent["message"]["to"] == "+15125550104"
    assert sent["confirmation"] == "Text queued to (512) 555-0104"
    assert sent["message"]["sent_by"] == "API key 'Accounting sync'"
    assert "/pay/" in sent["pay_url"]
    assert api.client.get("/api/v1/invoices/INV-1").json()["pay_url"] == sent["pay_url"]
    messages = api.client.get("/api/v1/invoices/INV-1/messages").json()["data"]
    assert [(m["id"], m["channel"], m["status"]) for m in messages] == [(sent["message"]["id"], "sms", "queued")]
    with session_scope() as session:
        body = session.get(OutboundMessage, int(sent["message"]["id"])).body
    assert sent["pay_url"] in body


def test_a_repeated_text_link_with_its_key_sends_once(api):
    _open_invoice(api)
    headers = {"Idempotency-Key": "text-1"}
    first = api.client.post("/api/v1/invoices/INV-1/text-link", json={"to": "+15125550104"}, headers=headers)
    again = api.client.post("/api/v1/invoices/INV-1/text-link", json={"to": "+15125550104"}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(api.client.get("/api/v1/invoices/INV-1/messages").json()["data"]) == 1
    # Without the key, a second text to the same number while the first waits is refused.
    waiting = api.client.post("/api/v1/invoices/INV-1/text-link", json={"to": "+15125550104"})
    assert "already" in _problem(waiting, 409)["detail"].lower()


def test_a_new_number_is_saved_to_the_customer_with_consent(api):
    _open_invoice(api)

    response = api.client.post("/api/v1/invoices/INV-1/text-link", json={"to": "+15125550142"})

    assert response.status_code == 201, response.text
    with session_scope() as session:
        phone = session.exec(select(PhoneNumber).where(PhoneNumber.e164 == "+15125550142")).one()
    assert (phone.type, phone.customer_id is not None) == ("Mobile", True)
    assert phone.consent_method.startswith("Given to API key 'Accounting sync' to text invoice #")


@pytest.mark.parametrize(
    ("to", "words"),
    [
        ("+15125550177", f"{sending.ONLY_MOBILE}: (512) 555-0177 is a Home number."),
        ("12", None),
    ],
)
def test_text_link_refusals_use_the_office_words(api, to, words):
    _open_invoice(api)
    body = _problem(api.client.post("/api/v1/invoices/INV-1/text-link", json={"to": to}), 422)
    if words:
        assert body["detail"] == words
    assert api.client.get("/api/v1/invoices/INV-1/messages").json()["data"] == []


def test_opted_out_numbers_and_switched_off_texting_are_refused(api):
    _open_invoice(api)
    with session_scope() as session:
        session.add(SmsOptOut(business_id=api.business_id, e164="+15125550104", source='reply "STOP"'))
    opted_out = _problem(api.client.post("/api/v1/invoices/INV-1/text-link", json={"to": "+15125550104"}), 422)
    assert opted_out["detail"].startswith("(512) 555-0104 replied STOP on ")

    with session_scope() as session:
        _enable_texting(session, api.business_id, on=False)
    switched_off = _problem(api.client.post("/api/v1/invoices/INV-1/text-link", json={"to": "+15125550142"}), 422)
    assert switched_off["detail"] == sending.SMS_LINKS_OFF


def test_without_the_permission_the_key_gets_403_in_the_office_words(api):
    _open_invoice(api)
    with session_scope() as session:
        key = session.get(api_keys.ApiKey, api.key_id)
        set_permission(session, session.get(Employee, key.employee_id), Permission.SEND_INVOICE_SMS, False)

    body = _problem(api.client.post("/api/v1/invoices/INV-1/text-link", json={"to": "+15125550104"}), 403)

    assert body["detail"] == sending.NEEDS_SMS_PERMISSION


def test_email_link(api):
    _open_invoice(api)

    response = api.client.post("/api/v1/invoices/INV-1/email-link", json={"to": "maria@example.com", "pay_by": "ach"})

    assert response.status_code == 201, response.text
    sent = response.json()
    assert (sent["message"]["channel"], sent["message"]["to"]) == ("email", "maria@example.com")
    assert sent["pay_url"].endswith("?m=ach")
    assert _problem(api.client.post("/api/v1/invoices/INV-1/email-link", json={"to": "nobody"}), 422)["detail"] == (
        '"nobody" is not an email address.'
    )


def test_openapi_and_docs_are_served(api):
    spec = TestClient(build_api()).get("/api/v1/openapi.json").json()
    assert spec["servers"] == [{"url": "/api/v1"}]
    assert {"/customers/{external_id}", "/invoices/{external_id}/text-link"} <= set(spec["paths"])
    assert "Problem" in spec["components"]["schemas"]
    docs = TestClient(build_api()).get("/api/v1/docs")
    assert docs.status_code == 200 and "/api/v1/openapi.json" in docs.text
    assert json.loads(json.dumps(spec))  # plain JSON
    assert TestClient(build_api()).get("/health").status_code == 200
