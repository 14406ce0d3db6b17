"""A pay-page visitor that does what a phone's browser does, over a fresh connection each:
1. GET /pay/<token>: the server-drawn page, with the invoice in it (api/pay_document.py). The
   customer sees the invoice when it arrives: "invoice shown".
2. GET the files that page makes the browser fetch from our server (the app's scripts and styles,
   pay.js), as a first visit does: none in the browser's cache. Listed once per run by a real
   browser (app.page_files); Stripe.js comes from Stripe's servers and is not fetched.
3. The app takes over: Reflex 0.10.1's websocket protocol, until the app's own copy of the invoice
   arrives: "app ready" (the page is the app's from then on).

What the browser's .web/utils/state.js does when /pay/<token> mounts, and this client repeats:
- socket.io (websocket transport only, the Reflex version as subprotocol) at path /_event,
  namespace /_event, with the session's client token (a UUID) in the query string;
- the hydrate event rides in the socket.io CONNECT packet's auth, {"event": ..., "state_schema": ...}:
  `<state>.hydrate_and_load` with the compiled initial state's per-state hashes (so the backend
  sends only vars that differ from them) and router_data {pathname, asPath, query={token}};
- the server answers with "event" messages {delta, events, final}; backend events it queues are
  sent back as "event" with the same router_data (frontend events such as _call_script, which
  the browser would run, are recorded and not run).

The page's on_load (PayState.open) runs after the hydrate and fills PayState.view, the invoice
as display strings; a visit ends when a delta carries a view with a screen other than "loading".
"""

import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import socketio
from reflex_base.constants import Reflex

from smslinks import routes
from smslinks.config import PROJECT_ROOT

EVENT_PATH = "/_event"
REFLEX_VERSION = Reflex.VERSION
# Reflex appends this to every var name in a delta (view -> view_rx_state_).
FIELD_MARKER = "_rx_state_"
PAY_STATE_SUFFIX = ".smslinks___state___pay____pay_state"
# Browsers open at most six HTTP/1.1 connections to one host and reuse them.
BROWSER_CONNECTIONS_PER_HOST = 6


@dataclass(frozen=True)
class Frontend:
    """What the compiled frontend sends on connect; read from the build, as the browser's bundle holds it."""

    state_name: str
    state_schema: str
    initial_state_hashes: list[str]

    @classmethod
    def compiled(cls, web_dir: Path = PROJECT_ROOT / ".web") -> "Frontend":
        source = (web_dir / "utils" / "context.jsx").read_text()

        def constant(name: str):
            found = re.search(rf"^export const {name} = (.*)$", source, re.MULTILINE)
            if found is None:
                raise RuntimeError(f"{name} not found in {web_dir}/utils/context.jsx: is the app built?")
            return json.loads(found.group(1))

        return cls(constant("state_name"), constant("stateSchema"), constant("initialStateHashes"))


@dataclass
class Visit:
    """One customer opening one pay link: timings (seconds from the start) and what arrived."""

    link_token: str
    client_token: str = field(default_factory=lambda: str(uuid.uuid4()))
    shown: float | None = None  # the server-drawn page arrived, whole
    page: str = ""  # its HTML
    files_loaded: float | None = None  # the files it makes a browser fetch from our server arrived
    connected: float | None = None  # the namespace's CONNECT was acknowledged
    hydrated: float | None = None  # the first delta (the hydrate snapshot) arrived
    loaded: float | None = None  # app ready: the delta carrying the invoice (or the closed screen) arrived
    view: dict = field(default_factory=dict)
    paid: float | None = None  # pay_by_card: seconds from submitting the card to the confirmation
    states: dict[str, dict] = field(default_factory=dict)  # the client's copy of the state tree
    frontend_events: list[str] = field(default_factory=list)  # e.g. _call_script (Stripe.js)
    error: str | None = None


class PayPageClient:
    """One browser tab on /pay/<link_token>: connect() hydrates and waits for the invoice;
    the socket stays open until close(), as the customer's tab does."""

    def __init__(
        self,
        base_url: str,
        link_token: str,
        frontend: Frontend,
        *,
        files: tuple[str, ...] = (),
        accept_language: str = "en-US,en;q=0.9",
    ):
        self.base_url = base_url.rstrip("/")
        self.frontend = frontend
        self.files = files  # paths the page makes a browser fetch (app.page_files)
        self.visit = Visit(link_token)
        self.headers = {"Accept-Language": accept_language, "User-Agent": "smslinks-bench/1 (socket.io)"}
        self.path = routes.pay(link_token)
        # As the browser's socket: the Reflex version as websocket subprotocol, and permessage-deflate
        # offered (Chromium offers it; aiohttp only when asked).
        self._sio = socketio.AsyncClient(
            reconnection=False, websocket_extra_options={"protocols": (REFLEX_VERSION,), "compress": 15}
        )
        self._sio.on("event", self._on_event, namespace=EVENT_PATH)
        self._loaded = asyncio.Event()
        self._paid = asyncio.Event()
        self._started = self._submitted = 0.0

    def _router_data(self) -> dict:
        # withRouterData in state.js: the location, plus the route's params as query.
        return {"pathname": self.path, "asPath": self.path, "query": {"token": self.visit.link_token}}

    def _event(self, name: str, payload: dict | None = None) -> dict:
        event = {"name": name, "router_data": self._router_data()}
        if payload:
            event["payload"] = payload
        return event

    async def open(self, timeout: float = 60) -> Visit:
        """The page, its files, then the app: connect with the hydrate event and wait for the
        invoice; times are from this call."""
        self.begin()
        async with self.connections(timeout) as http:
            if await self.load_page(http):
                await self.load_files(http)
        if self.visit.error is None:
            await self.take_over(timeout)
        return self.visit

    def begin(self) -> None:
        """Times from now on are from here (bench --parts times each part of a visit on its own)."""
        self._started = time.perf_counter()

    def connections(self, timeout: float) -> aiohttp.ClientSession:
        """A browser's connections to our server: at most six, reused; bodies come as sent (gzip or
        brotli), as a browser receives them."""
        return aiohttp.ClientSession(
            headers={**self.headers, "Accept-Encoding": "gzip, deflate, br"},
            connector=aiohttp.TCPConnector(limit_per_host=BROWSER_CONNECTIONS_PER_HOST),
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=timeout),
        )

    async def load_page(self, http: aiohttp.ClientSession) -> bool:
        """The server-drawn page (the only body read): "invoice shown"."""
        try:
            async with http.get(self.base_url + self.path, auto_decompress=True) as answer:
                answer.raise_for_status()
                self.visit.page = await answer.text()
        except Exception as error:  # noqa: BLE001 - a failed visit is a figure, not a crash
            self.visit.error = f"loading the page: {type(error).__name__}: {error}"
            return False
        self.visit.shown = time.perf_counter() - self._started
        return True

    async def load_files(self, http: aiohttp.ClientSession) -> bool:
        try:
            await asyncio.gather(*(self._fetch(http, path) for path in self.files))
        except Exception as error:  # noqa: BLE001 - a failed visit is a figure, not a crash
            self.visit.error = f"loading the page's files: {type(error).__name__}: {error}"
            return False
        self.visit.files_loaded = time.perf_counter() - self._started
        return True

    async def take_over(self, timeout: float = 60) -> None:
        """The app: connect with the hydrate event and wait for the invoice: "app ready"."""
        boot = self._event(
            f"{self.frontend.state_name}.hydrate_and_load", {"hashes": self.frontend.initial_state_hashes}
        )
        try:
            await self._sio.connect(
                f"{self.base_url}?token={self.visit.client_token}",
                headers=self.headers,
                auth={"event": boot, "state_schema": self.frontend.state_schema},
                transports=["websocket"],
                namespaces=[EVENT_PATH],
                socketio_path=EVENT_PATH,
                wait_timeout=timeout,
            )
            self.visit.connected = time.perf_counter() - self._started
            await asyncio.wait_for(self._loaded.wait(), timeout)
        except Exception as error:  # noqa: BLE001 - a failed visit is a figure, not a crash
            self.visit.error = f"{type(error).__name__}: {error}"

    async def _fetch(self, http: aiohttp.ClientSession, path: str) -> None:
        async with http.get(self.base_url + path) as answer:
            answer.raise_for_status()
            await answer.read()

    async def pay_by_card(self, payment_method: str, timeout: float = 60) -> Visit:
        """What the browser sends once Stripe.js made the card's PaymentMethod (pay.js cardMethod's
        callback), then wait for the confirmation screen."""
        submit = self._event(
            f"{self.frontend.state_name}{PAY_STATE_SUFFIX}.submit_card", {"result": {"id": payment_method}}
        )
        self._submitted = time.perf_counter()
        try:
            await self._sio.emit("event", submit, namespace=EVENT_PATH)
            await asyncio.wait_for(self._paid.wait(), timeout)
        except Exception as error:  # noqa: BLE001 - a failed payment is a figure, not a crash
            self.visit.error = f"paying: {type(error).__name__}: {error}"
        return self.visit

    async def close(self) -> None:
        await self._sio.disconnect()

    async def _on_event(self, update: dict) -> None:
        if update.get("delta") and self.visit.hydrated is None:
            self.visit.hydrated = time.perf_counter() - self._started
        for state_name, changes in (update.get("delta") or {}).items():
            self.visit.states.setdefault(state_name, {}).update(changes)
            view = changes.get("view" + FIELD_MARKER)
            if state_name.endswith(PAY_STATE_SUFFIX) and changes.get("screen" + FIELD_MARKER) == "confirmed":
                self.visit.paid = time.perf_counter() - self._submitted
                self._paid.set()
            if state_name.endswith(PAY_STATE_SUFFIX) and view and view.get("screen") not in (None, "loading"):
                self.visit.view = view
                if self.visit.loaded is None:
                    self.visit.loaded = time.perf_counter() - self._started
                self._loaded.set()
        for event in update.get("events") or []:
            if event["name"].startswith(self.frontend.state_name + "."):
                if not event.get("router_data"):  # withRouterData fills a missing or empty one
                    event["router_data"] = self._router_data()
                await self._sio.emit("event", event, namespace=EVENT_PATH)
            else:
                self.visit.frontend_events.append(event["name"])
