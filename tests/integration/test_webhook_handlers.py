"""Settings > Webhooks handlers called directly, as any browser could call them over the websocket:
each asks core again whether an administrator is asking, and about which business's endpoint."""

import pytest
import reflex as rx
from sqlmodel import select

from smslinks.core import auth, webhooks
from smslinks.db import session_scope, upgrade_to_head
from smslinks.models import AuditEvent, WebhookEndpoint
from smslinks.state.webhooks import WebhooksState
from tests import factories

ALL = list(webhooks.EVENT_TYPES)


def _state(token: str) -> WebhooksState:
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(WebhooksState.get_full_name().split(".")[1:])
    factories.sign_in_state(state, token)
    return state


@pytest.fixture
def people(app_env):
    """An administrator and a manager of one business, another business's administrator and endpoint."""
    upgrade_to_head(app_env)
    with session_scope() as session:
        business = factories.business(session)
        other = factories.business(session, name="Other Co")
        staff = {
            "admin": factories.employee(session, business, "Administrator"),
            "manager": factories.employee(session, business, "Manager"),
            "stranger": factories.employee(session, other, "Administrator"),
        }
        emails = {key: person.email for key, person in staff.items()}
        theirs, _ = webhooks.add_endpoint(session, staff["stranger"], "https://other.example.com/in", ALL)
    with session_scope() as session:
        tokens = {key: auth.sign_in(session, email, factories.PASSWORD, "test").token for key, email in emails.items()}
    return tokens, theirs


def _endpoints() -> list[WebhookEndpoint]:
    with session_scope() as session:
        return session.exec(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()


def _public_values(state) -> str:
    return repr({name: getattr(state, name) for name in state.base_vars})


def test_someone_who_is_not_an_administrator_is_refused_by_every_handler(people):
    tokens, theirs = people
    state = _state(tokens["manager"])
    WebhooksState.load.fn(state)
    assert state.refusal == webhooks.NOT_ADMIN and state.endpoints == []
    state.form_url, state.form_events = "https://books.example.com/hooks", ALL
    refused = [
        WebhooksState.save_form.fn(state),
        WebhooksState.set_enabled.fn(state, theirs, False),
        WebhooksState.open_log.fn(state, theirs),
        WebhooksState.resend.fn(state, 1),
    ]
    state.endpoint_id = theirs  # as if the client forged it
    refused += [
        WebhooksState.rotate.fn(state),
        WebhooksState.delete.fn(state),
        WebhooksState.refresh_log.fn(state),
        WebhooksState.save_form.fn(state),
    ]
    assert all(webhooks.NOT_ADMIN in str(answer) for answer in refused), refused
    assert [endpoint.url for endpoint in _endpoints()] == ["https://other.example.com/in"]
    assert state.log == []


def test_another_business_endpoint_is_out_of_reach(people):
    tokens, theirs = people
    state = _state(tokens["admin"])
    WebhooksState.load.fn(state)
    assert state.endpoints == []
    assert webhooks.NO_ENDPOINT in str(WebhooksState.open_log.fn(state, theirs))
    assert webhooks.NO_ENDPOINT in str(WebhooksState.set_enabled.fn(state, theirs, False))
    WebhooksState.confirm.fn(state, "delete", theirs)
    assert state.dialog == ""  # not one of theirs on the page
    state.endpoint_id = theirs
    secret_before = _endpoints()[0].secret
    assert webhooks.NO_ENDPOINT in str(WebhooksState.rotate.fn(state))
    assert webhooks.NO_ENDPOINT in str(WebhooksState.delete.fn(state))
    [endpoint] = _endpoints()
    assert endpoint.enabled and endpoint.secret == secret_before


def test_bad_input_shows_beside_its_field_and_writes_nothing(people):
    tokens, _theirs = people
    state = _state(tokens["admin"])
    WebhooksState.load.fn(state)
    WebhooksState.open_add.fn(state)
    WebhooksState.set_form_url.fn(state, "http://books.example.com/hooks")
    WebhooksState.toggle_event.fn(state, "no.such.event", True)
    WebhooksState.save_form.fn(state)
    assert "https://" in state.errors["url"] and "at least one event" in state.errors["events"]
    assert state.dialog == "form" and len(_endpoints()) == 1
    WebhooksState.set_form_url.fn(state, "https://books.example.com/hooks")
    assert "url" not in state.errors


def test_the_secret_goes_to_the_page_once_and_never_into_state(people):
    tokens, _theirs = people
    state = _state(tokens["admin"])
    WebhooksState.load.fn(state)
    WebhooksState.open_add.fn(state)
    WebhooksState.set_form_url.fn(state, "https://books.example.com/hooks")
    WebhooksState.toggle_event.fn(state, "invoice.paid", True)
    shown = WebhooksState.save_form.fn(state)
    ours = _endpoints()[-1]
    assert ours.secret in str(shown) and state.dialog == "secret"
    assert ours.secret not in _public_values(state)
    assert [row["url"] for row in state.endpoints] == ["https://books.example.com/hooks"]
    rotated = WebhooksState.rotate.fn(state)
    new_secret = _endpoints()[-1].secret
    assert new_secret != ours.secret and new_secret in str(rotated) and new_secret not in _public_values(state)
    with session_scope() as session:
        details = " ".join(row.detail for row in session.exec(select(AuditEvent)).all())
    assert ours.secret not in details and new_secret not in details
