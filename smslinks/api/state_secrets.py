"""Keeps raw session, pay-link and invitation tokens out of Reflex's state store (pickles on disk, Redis).

Reflex keeps what a browser's websocket brings with it in the tab's state: the handshake's headers
(with the Cookie header) and, with every event, the page's path and query (/pay/<token>,
/invite/<token>). So before Reflex reads them, on the websocket at /_event:
- the session cookie's value becomes its SHA-256: the state holds the hash, which the sessions
  table is keyed by and which cannot be replayed as a cookie (it would be hashed again);
- the token of a pay page or an invitation page in an event's router data (path, query) becomes
  its SHA-256 likewise (pay links and invitations are looked up by that hash);
- the Referer header goes (it may name a page's URL).
The states take these values as `tokens.Hashed`. A raw value that slipped past (an old connection,
a transport other than the websocket) matches no hash: the page shows an expired link or asks for
a sign-in, and nothing opens.
"""

import json
import re
from http.cookies import CookieError, SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smslinks import routes
from smslinks.core import tokens
from smslinks.routes import SESSION_COOKIE

EVENT_PATH = "/_event"
# The pages whose path carries a token: "/pay/", "/invite/".
TOKEN_PAGES = tuple(route.removesuffix("[token]") for route in (routes.PAY, routes.INVITE))
_TOKEN_PATH = re.compile(rf"^({'|'.join(map(re.escape, TOKEN_PAGES))})([^/?#]+)(.*)$", re.DOTALL)
# A Socket.IO CONNECT (0) or EVENT (2) packet in an Engine.IO message (4), on the /_event namespace,
# with an optional acknowledgement id: 40/_event,{...} and 42/_event,12["event",{...}].
_PACKET = re.compile(r"^(4[02](?:/_event,)?\d*)(.*)$", re.DOTALL)


class StateSecrets:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or not scope["path"].startswith(EVENT_PATH):
            await self.app(scope, receive, send)
            return

        async def receive_hashed() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and message.get("text"):
                message = {**message, "text": hash_link_tokens(message["text"])}
            return message

        await self.app({**scope, "headers": hashed_headers(scope["headers"])}, receive_hashed, send)


def hashed_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    kept = []
    for name, value in headers:
        if name.lower() == b"referer":
            continue
        if name.lower() == b"cookie":
            value = hash_session_cookie(value.decode("latin-1")).encode("latin-1")
        kept.append((name, value))
    return kept


def hash_session_cookie(header: str) -> str:
    """The Cookie header with only the session cookie, its value hashed (other cookies are not ours
    to keep; an unreadable header is dropped whole)."""
    try:
        cookies = SimpleCookie(header)
    except CookieError:
        return ""
    session = cookies.get(SESSION_COOKIE)
    return f"{SESSION_COOKIE}={tokens.token_hash(session.value)}" if session and session.value else ""


def hash_link_tokens(frame: str) -> str:
    """The frame with a pay page's or an invitation page's token hashed wherever its router data names it."""
    if not any(page in frame for page in TOKEN_PAGES) or not (packet := _PACKET.match(frame)):
        return frame
    head, body = packet.groups()
    try:
        data = json.loads(body)
    except ValueError:
        return frame
    _hash_router_data(data)
    return head + json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _hash_router_data(data: Any) -> None:
    if isinstance(data, list):
        for item in data:
            _hash_router_data(item)
    elif isinstance(data, dict):
        router = data.get("router_data")
        if isinstance(router, dict):
            _hash_route(router)
        for value in data.values():
            _hash_router_data(value)


def _hash_route(router: dict) -> None:
    pathname = router.get("pathname")
    if not isinstance(pathname, str) or not (page := _TOKEN_PATH.match(pathname)):
        return
    hashed = tokens.token_hash(page.group(2))
    router["pathname"] = page.group(1) + hashed + page.group(3)
    if isinstance(router.get("asPath"), str) and (shown := _TOKEN_PATH.match(router["asPath"])):
        router["asPath"] = shown.group(1) + tokens.token_hash(shown.group(2)) + shown.group(3)
    if isinstance(router.get("query"), dict) and "token" in router["query"]:
        router["query"]["token"] = hashed
