"""REST API bodies of any shape (not only what the schema describes, which schemathesis covers): any
JSON value, any bytes, any ids. The answer is a problem+json refusal or a success, never a 500."""

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from smslinks.api import build_api
from smslinks.core import accounts, api_keys
from smslinks.db import session_scope, upgrade_to_head
from tests import factories

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
# Bodies shaped like ours, with any values in our fields.
customer_like = st.fixed_dictionaries(
    {},
    optional={
        "name": json_values,
        "phones": st.lists(st.fixed_dictionaries({}, optional={"number": json_values, "type": json_values})),
        "emails": json_values,
        "locations": json_values,
    },
)
invoice_like = st.fixed_dictionaries(
    {},
    optional={
        "customer_external_id": json_values,
        "status": json_values,
        "due_on": json_values,
        "lines": st.lists(
            st.fixed_dictionaries(
                {}, optional={"description": json_values, "quantity": json_values, "unit_price_cents": json_values}
            ),
            max_size=3,
        ),
        "tax_cents": json_values,
    },
)


@pytest.fixture
def client(app_env, monkeypatch):
    monkeypatch.setenv("SMSLINKS_API_RATE_LIMIT_PER_MINUTE", "1000000")
    upgrade_to_head(app_env)
    with session_scope() as session:
        business = factories.business(session)
        row = accounts.payment_settings(session, business.id)
        row.sms_links_enabled = row.office_sms_enabled = True
        key = api_keys.create(session, factories.employee(session, business, role="Administrator"), "Props").key
    return TestClient(build_api(), headers={"Authorization": f"Bearer {key}"}, raise_server_exceptions=False)


def _refused_or_done(answer) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["title"]


@SETTINGS
@given(body=st.one_of(json_values, customer_like), external_id=st.text(min_size=1, max_size=40))
def test_customer_bodies_of_any_shape(client, body, external_id):
    _refused_or_done(client.put(f"/api/v1/customers/{quote(external_id, safe='')}", content=json.dumps(body)))


@SETTINGS
@given(body=st.one_of(json_values, invoice_like), raw=st.binary(max_size=40))
def test_invoice_and_action_bodies_of_any_shape(client, body, raw):
    _refused_or_done(client.put("/api/v1/invoices/INV-1", content=json.dumps(body)))
    _refused_or_done(client.put("/api/v1/invoices/INV-2", content=raw))
    _refused_or_done(client.post("/api/v1/invoices/INV-1/text-link", content=json.dumps(body)))
