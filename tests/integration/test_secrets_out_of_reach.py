"""Secrets out of reach: the session cookie is set by the server (HttpOnly), and what a websocket
brings (its Cookie header, a pay page's path) is hashed before Reflex's state store can keep it."""

import json
import pickle

import pytest
import reflex as rx
from reflex.istate.data import PageData, SessionData
from reflex_base.constants import RouteArgType
from sqlmodel import select
from starlette.testclient import TestClient

from smslinks import routes
from smslinks.api import build_api
from smslinks.api.state_secrets import hash_link_tokens, hashed_headers
from smslinks.core import auth, employees, tokens
from smslinks.db import session_scope, upgrade_to_head
from smslinks.models import Business
from smslinks.state.invite import InviteState
from smslinks.state.pay import PayState
from smslinks.state.session import NotSignedIn, SessionState, SignInState
from tests import factories


@pytest.fixture
def signed(app_env):
    upgrade_to_head(app_env)
    with session_scope() as session:
        business = factories.business(session)
        employee = factories.employee(session, business, email="olivia@example.com")
        return auth.sign_in(session, employee.email, factories.PASSWORD, "10.0.0.1").token


def test_the_session_cookie_is_set_httponly_and_strict_by_the_server(signed):
    client = TestClient(build_api(), base_url="http://localhost:3000")
    answer = client.post(routes.AUTH_SESSION, content=signed, headers={"Origin": "http://localhost:3000"})
    assert answer.status_code == 204
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{routes.SESSION_COOKIE}={signed};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # http://localhost; with an https public URL it is Secure


def test_only_a_live_session_from_this_origin_gets_a_cookie(signed):
    client = TestClient(build_api(), base_url="http://localhost:3000")
    assert client.post(routes.AUTH_SESSION, content="made-up-token").status_code == 403
    foreign = client.post(routes.AUTH_SESSION, content=signed, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
    cross_site = client.post(routes.AUTH_SESSION, content=signed, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403


def test_signing_out_revokes_the_session_and_clears_the_cookie(signed):
    client = TestClient(build_api(), base_url="http://localhost:3000")
    client.cookies.set(routes.SESSION_COOKIE, signed)
    answer = client.delete(routes.AUTH_SESSION)
    assert answer.status_code == 204 and 'smslinks_session=""' in answer.headers["set-cookie"]
    with session_scope() as session:
        assert auth.employee_for_token(session, signed) is None


def test_the_websocket_handshake_keeps_only_the_session_cookies_hash():
    headers = hashed_headers(
        [
            (b"cookie", b"other=1; smslinks_session=raw-session-token; theme=dark"),
            (b"referer", b"http://localhost:3000/pay/raw-pay-token"),
            (b"user-agent", b"Chromium"),
        ]
    )
    assert headers == [
        (b"cookie", f"smslinks_session={tokens.token_hash('raw-session-token')}".encode()),
        (b"user-agent", b"Chromium"),
    ]


def _frame(prefix: str, path: str, query: dict) -> str:
    event = {"name": "pay_state.open", "payload": {}, "router_data": {"pathname": path, "asPath": path, "query": query}}
    return prefix + json.dumps(["event", event])


def test_a_pay_token_in_an_events_router_data_becomes_its_hash():
    token = "AbC123_-xyzXYZ0987654q"
    hashed = tokens.token_hash(token)
    for prefix in ("42/_event,", "42/_event,17"):
        frame = json.loads(hash_link_tokens(_frame(prefix, f"/pay/{token}?m=ach", {"token": token}))[len(prefix) :])
        router = frame[1]["router_data"]
        assert router == {
            "pathname": f"/pay/{hashed}?m=ach",
            "asPath": f"/pay/{hashed}?m=ach",
            "query": {"token": hashed},
        }
    connect = '40/_event,{"event":' + json.dumps({"router_data": {"pathname": f"/pay/{token}"}}) + "}"
    assert token not in hash_link_tokens(connect) and hashed in hash_link_tokens(connect)
    # Other pages, other packets and anything unreadable pass as they came.
    customer = _frame("42/_event,", "/customers/abc", {"customer_id": "abc"})
    assert hash_link_tokens(customer) == customer
    assert hash_link_tokens("42/_event,not json /pay/x") == "42/_event,not json /pay/x"
    assert hash_link_tokens("2") == "2"


def test_an_invitation_token_in_an_events_router_data_becomes_its_hash():
    token = "Inv1te_-tokenXYZ098765"
    hashed = tokens.token_hash(token)
    frame = _frame("42/_event,3", f"/invite/{token}", {"token": token})
    router = json.loads(hash_link_tokens(frame)[len("42/_event,3") :])[1]["router_data"]
    assert router == {"pathname": f"/invite/{hashed}", "asPath": f"/invite/{hashed}", "query": {"token": hashed}}


def test_an_invitation_opens_and_is_accepted_by_its_hash_and_its_state_never_holds_the_token(signed):
    """The invitation page as its websocket reaches it: the path's token hashed on the way in."""
    with session_scope() as session:
        business = session.exec(select(Business)).one()  # the signed fixture's
        admin = factories.employee(session, business, "Administrator")
        token = employees.add_employee(
            session, admin, "Nora New", "nora@example.com", "Office employee", "invitation"
        ).secret
    rx.State.setup_dynamic_args({"token": RouteArgType.SINGLE})  # what the app does for /invite/[token]
    root = rx.State(_reflex_internal_init=True)
    invite = root.get_substate(InviteState.get_full_name().split(".")[1:])
    hashed = tokens.token_hash(token)
    invite.rx_router_page = PageData(path=routes.invite(hashed), params={"token": hashed})
    InviteState.open_invitation.fn(invite)
    assert (invite.screen, invite.invited_email) == ("form", "nora@example.com")
    assert token.encode() not in _pickles(root)
    answer = InviteState.accept.fn(invite, {"password": "nora-chose-this", "again": "nora-chose-this"})
    with session_scope() as session:
        assert auth.employee_for_token(session, factories.handed_over_token(answer)).email == "nora@example.com"


def _pickles(state) -> bytes:
    """The state tree as a state store keeps it: each state pickled on its own."""
    return pickle.dumps(state) + b"".join(_pickles(substate) for substate in state.substates.values())


def test_the_states_pickles_hold_hashes_only(signed):
    """What a state store would keep for a tab that signed in, one that came signed in, and a pay page."""
    root = rx.State(_reflex_internal_init=True)
    signin = root.get_substate(SignInState.get_full_name().split(".")[1:])
    answer = SignInState.submit.fn(signin, {"email": "olivia@example.com", "password": factories.PASSWORD})
    fresh = factories.handed_over_token(answer)
    with session_scope() as session:
        assert signin._employee(session).email == "olivia@example.com"
    # The tab's next websocket (a reload) goes by the cookie it brings: without one, signed out.
    signin.rx_router_session = SessionData(session_id="after-a-reload")
    with session_scope() as session, pytest.raises(NotSignedIn):
        signin._employee(session)
    factories.sign_in_state(signin, fresh)
    with session_scope() as session:
        assert signin._employee(session).email == "olivia@example.com"

    other_tab = rx.State(_reflex_internal_init=True)
    staff = other_tab.get_substate(SessionState.get_full_name().split(".")[1:])
    factories.sign_in_state(staff, signed)
    with session_scope() as session:
        assert staff._employee(session).email == "olivia@example.com"
    pay = other_tab.get_substate(PayState.get_full_name().split(".")[1:])
    pay._token = tokens.Hashed(tokens.token_hash("AbC123_-xyzXYZ0987654q"))

    stored = _pickles(root) + _pickles(other_tab)
    for raw in (fresh, signed, "AbC123_-xyzXYZ0987654q"):
        assert raw.encode() not in stored
    assert tokens.token_hash(fresh).encode() in stored and tokens.token_hash(signed).encode() in stored
