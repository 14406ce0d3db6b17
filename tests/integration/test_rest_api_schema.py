"""Property-based test of /api/v1 from its own OpenAPI description (schemathesis): with a real key,
no request (valid or not) makes the server fail, and every answer matches what the schema promises
(status codes, content types, bodies, headers). Bounded: a few examples per operation.

"Schema-valid data is accepted" is not asked: the business rules (a real phone number, an address
we can place, one number once per customer) go beyond what a JSON schema says, and their refusals
are 422 problems with each field named, which the other checks still validate."""

import os
from datetime import date, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient

from smslinks.api import build_api
from smslinks.config import get_settings
from smslinks.core import accounts, api_keys
from smslinks.db import get_engine, session_scope, upgrade_to_head
from tests import factories

ENV = {"SMSLINKS_API_RATE_LIMIT_PER_MINUTE": "1000000"}


@pytest.fixture(scope="module")
def api_key(tmp_path_factory):
    """A migrated SQLite database with a business, a key, and one customer and invoice to find."""
    saved = {name: os.environ.get(name) for name in (*ENV, "DATABASE_URL")}
    os.environ.update(ENV, DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('schema') / 'smslinks.db'}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    upgrade_to_head()
    with session_scope() as session:
        business = factories.business(session)
        settings_row = accounts.payment_settings(session, business.id)
        settings_row.sms_links_enabled = settings_row.office_sms_enabled = True
        admin = factories.employee(session, business, role="Administrator")
        key = api_keys.create(session, admin, "Schema test").key
    client = TestClient(build_api(), headers={"Authorization": f"Bearer {key}"})
    assert (
        client.put(
            "/api/v1/customers/C-1",
            json={
                "name": "Maria Garcia",
                "phones": [{"number": "+15125550104", "type": "mobile"}],
                "locations": [
                    {
                        "external_id": "L-1",
                        "address_line1": "100 Main St",
                        "city": "Austin",
                        "state": "TX",
                        "postal_code": "78701",
                    }
                ],
            },
        ).status_code
        == 201
    )
    assert (
        client.put(
            "/api/v1/invoices/INV-1",
            json={
                "customer_external_id": "C-1",
                "due_on": (date.today() + timedelta(days=30)).isoformat(),
                "lines": [{"description": "AC tune-up", "quantity": 1, "unit_price_cents": 12500}],
            },
        ).status_code
        == 201
    )
    yield key
    get_engine().dispose()
    get_engine.cache_clear()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()


schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", build_api())


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_keeps_its_promises(case, api_key):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_key}"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
