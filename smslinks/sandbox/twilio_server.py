"""A small Twilio-compatible server for offline runs: the official SDK talks to it unchanged.

It speaks the part of the REST API smslinks uses, with Twilio's JSON shapes, Basic auth and error
format, and keeps messages in memory (a restart forgets them):
- Messages: create, fetch and list (filtered by To/From, newest first, paged). Each created message
  moves queued -> sent -> delivered, one step every `step_seconds`, with a status callback to its
  StatusCallback URL signed exactly as Twilio signs (X-Twilio-Signature, the auth token).
- Test numbers answer with real Twilio error codes. They end like Twilio's magic test numbers but
  sit in Austin's fictional 555-00XX range, since the app refuses Twilio's 500 area code (personal
  numbers) as a recipient: +15125550001 -> 21211 (invalid number), +15125550009 -> 21614 (not a
  mobile number), +15125550004 -> 21610 (unsubscribed); +15125550030 is accepted, then ends
  "undelivered" with 30003 (unreachable handset) in its callback. A number that replied STOP on the Dev phone gets
  21610 from then on (until it replies START), as with real Twilio.
- Lookup v2 (GET /v2/PhoneNumbers/{number}?Fields=line_type_intelligence): the sandbox cannot
  see the app's data, so a rule decides: numbers whose last four digits start with 9 are
  "landline", with 8 "nonFixedVoip", everything else "mobile".
- GET /dev-phone: every number that received texts, as conversations with clickable links and a
  reply box that posts a signed inbound webhook to the app (--inbound-url) and shows its TwiML reply.
- GET /mail: the mail sink (when started with --smtp-port).
- Test-only fault control: POST /_sandbox/faults {"fail": N, "status": 500} makes the next N
  creates answer that status without creating anything; {"hang": N, "seconds": S, "record": true}
  makes them wait S seconds before answering (past the client's timeout), recording the message
  first unless "record" is false. POST /_sandbox/reset forgets messages, opt-outs, faults and mail.
"""

import argparse
import asyncio
import base64
import itertools
import logging
import re
import secrets
import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from urllib.parse import urlencode
from xml.etree import ElementTree

import httpx
import phonenumbers
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from smslinks.config import SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN
from smslinks.core.phones import display
from smslinks.sandbox.html import linkify, page
from smslinks.sandbox.mail_sink import MailStore, mail_routes, start_smtp

log = logging.getLogger("smslinks.sandbox.twilio")

API = "/2010-04-01/Accounts/{account_sid}"
INVALID_NUMBER = "+15125550001"
UNSUBSCRIBED_NUMBER = "+15125550004"
NOT_MOBILE_NUMBER = "+15125550009"
UNREACHABLE_NUMBER = "+15125550030"
# The number a Messaging Service "picks from its pool" here.
SERVICE_POOL_NUMBER = "+15125550006"
# Status callbacks in flight at once (like Twilio, the sandbox does not flood the app).
CALLBACK_CONNECTIONS = 20
E164 = re.compile(r"^\+[1-9]\d{7,14}$")

# What carriers and Twilio honour as whole-message keywords (the app understands more).
CARRIER_STOP = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
CARRIER_START = {"START", "YES", "UNSTOP"}
TWILIO_STOP_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages from this "
    "number. Reply START to resubscribe."
)
TWILIO_START_REPLY = (
    "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SandboxMessage:
    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    status: str = "queued"
    direction: str = "outbound-api"  # or "inbound", "outbound-reply"
    status_callback: str | None = None
    messaging_service_sid: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    note: str | None = None  # shown on the Dev phone, e.g. "automatic reply from Twilio"
    date_created: datetime = field(default_factory=_now)
    date_updated: datetime = field(default_factory=_now)
    date_sent: datetime | None = None
    order: int = 0

    def as_json(self) -> dict:
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "to": self.to,
            "from": self.from_,
            "body": self.body,
            "status": self.status,
            "direction": self.direction,
            "messaging_service_sid": self.messaging_service_sid,
            "num_segments": "1",
            "num_media": "0",
            "error_code": self.error_code,
            "error_message": self.error_message,
            "price": None,
            "price_unit": "USD",
            "api_version": "2010-04-01",
            "date_created": format_datetime(self.date_created, usegmt=True),
            "date_updated": format_datetime(self.date_updated, usegmt=True),
            "date_sent": format_datetime(self.date_sent, usegmt=True) if self.date_sent else None,
            "uri": uri,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        }

    @property
    def customer_number(self) -> str:
        """The Dev phone's side of the conversation."""
        return self.from_ if self.direction == "inbound" else self.to


@dataclass
class Note:
    """Something the Dev phone shows in a conversation that is not a message."""

    number: str
    text: str
    date_created: datetime = field(default_factory=_now)
    order: int = 0


@dataclass
class Faults:
    fail: int = 0
    fail_status: int = 500
    hang: int = 0
    hang_seconds: float = 0.0
    hang_records: bool = True


class SandboxState:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._order = itertools.count()
        self.messages: dict[str, SandboxMessage] = {}
        self.notes: list[Note] = []
        # (business number, customer number) pairs where the customer replied STOP.
        self.opted_out: set[tuple[str, str]] = set()
        self.faults = Faults()

    def add(self, message: SandboxMessage) -> SandboxMessage:
        with self._lock:
            message.order = next(self._order)
            self.messages[message.sid] = message
        return message

    def note(self, number: str, text: str) -> None:
        with self._lock:
            self.notes.append(Note(number, text, order=next(self._order)))

    def get(self, sid: str) -> SandboxMessage | None:
        with self._lock:
            return self.messages.get(sid)

    def newest_first(self) -> list[SandboxMessage]:
        with self._lock:
            return sorted(self.messages.values(), key=lambda m: m.order, reverse=True)

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.notes.clear()
            self.opted_out.clear()
            self.faults = Faults()

    def conversations(self) -> list[tuple[str, list]]:
        """(customer number, messages and notes oldest first), most recently active first;
        only numbers that received at least one text."""
        with self._lock:
            items = [*self.messages.values(), *self.notes]
        threads: dict[str, list] = {}
        for item in sorted(items, key=lambda i: i.order):
            number = item.number if isinstance(item, Note) else item.customer_number
            threads.setdefault(number, []).append(item)
        received = {
            number: thread
            for number, thread in threads.items()
            if any(isinstance(i, SandboxMessage) and i.direction != "inbound" for i in thread)
        }
        return sorted(received.items(), key=lambda pair: pair[1][-1].order, reverse=True)

    def business_number_for(self, customer: str) -> str | None:
        """The number that last texted this customer (where their reply goes)."""
        for message in self.newest_first():
            if message.to == customer and message.direction != "inbound":
                return message.from_
        return None


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


def twilio_error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )


def _authorized(request: Request, account_sid: str, auth_token: str) -> bool:
    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return False
    return secrets.compare_digest(user, account_sid) and secrets.compare_digest(password, auth_token)


def line_type_for(e164: str) -> str:
    """The sandbox's documented rule (it cannot know real carriers)."""
    last_four = e164[-4:]
    if e164 == NOT_MOBILE_NUMBER or last_four.startswith("9"):
        return "landline"
    if last_four.startswith("8"):
        return "nonFixedVoip"
    return "mobile"


def build_app(
    account_sid: str = SANDBOX_TWILIO_ACCOUNT_SID,
    auth_token: str = SANDBOX_TWILIO_AUTH_TOKEN,
    *,
    inbound_url: str | None = None,
    step_seconds: float | None = 1.0,
    mail: MailStore | None = None,
) -> Starlette:
    """The sandbox app. step_seconds=None leaves created messages "queued" (no callbacks)."""
    state = SandboxState()
    mail = mail or MailStore()
    validator = RequestValidator(auth_token)
    background: set[asyncio.Task] = set()

    def refused(request: Request, check_path: bool = True) -> JSONResponse | None:
        if (check_path and request.path_params.get("account_sid") != account_sid) or not _authorized(
            request, account_sid, auth_token
        ):
            return twilio_error(401, 20003, "Authenticate")
        return None

    def in_background(coroutine) -> None:
        task = asyncio.create_task(coroutine)
        background.add(task)
        task.add_done_callback(background.discard)

    # One HTTP client per event loop, kept: building one costs ~20 ms of CPU, which at two status
    # callbacks per text would cap the server far below the dispatcher's pace. The semaphore keeps
    # the client's own queue short: httpx's pool rescans every waiting request each time a
    # connection frees up, which with thousands of callbacks due at once costs more than sending them.
    clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, asyncio.Semaphore]] = (
        weakref.WeakKeyDictionary()
    )

    async def post_signed(url: str, params: dict[str, str]) -> httpx.Response:
        headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
        loop = asyncio.get_running_loop()
        if (pair := clients.get(loop)) is None:
            limits = httpx.Limits(max_connections=CALLBACK_CONNECTIONS, max_keepalive_connections=CALLBACK_CONNECTIONS)
            pair = clients[loop] = (
                httpx.AsyncClient(timeout=15, limits=limits),
                asyncio.Semaphore(CALLBACK_CONNECTIONS),
            )
        client, slots = pair
        async with slots:
            return await client.post(url, data=params, headers=headers)

    async def status_callback(message: SandboxMessage) -> None:
        if not message.status_callback:
            return
        params = {
            "AccountSid": message.account_sid,
            "ApiVersion": "2010-04-01",
            "From": message.from_,
            "To": message.to,
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": message.status,
            "SmsStatus": message.status,
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if message.error_code:
            params["ErrorCode"] = str(message.error_code)
        try:
            await post_signed(message.status_callback, params)
        except httpx.HTTPError as error:
            log.warning("status callback to %s failed: %s", message.status_callback, error)

    async def progress(message: SandboxMessage) -> None:
        await asyncio.sleep(step_seconds)
        message.status, message.date_sent = "sent", _now()
        message.date_updated = message.date_sent
        await status_callback(message)
        await asyncio.sleep(step_seconds)
        if message.to == UNREACHABLE_NUMBER:
            message.status, message.error_code = "undelivered", 30003
            message.error_message = "Unreachable destination handset"
        else:
            message.status = "delivered"
        message.date_updated = _now()
        await status_callback(message)

    def create_error(to: str, sender: str) -> JSONResponse | None:
        if to == INVALID_NUMBER or not E164.match(to):
            return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to == NOT_MOBILE_NUMBER:
            return twilio_error(400, 21614, f"'To' number {to} is not a valid mobile number")
        if to == UNSUBSCRIBED_NUMBER or (sender, to) in state.opted_out:
            return twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")
        return None

    async def create_message(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        form = await request.form()
        to, body = str(form.get("To") or ""), form.get("Body")
        service = form.get("MessagingServiceSid")
        sender = str(form.get("From") or (SERVICE_POOL_NUMBER if service else ""))
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not sender:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return twilio_error(400, 21602, "Message body is required.")
        faults = state.faults
        if faults.fail > 0:
            faults.fail -= 1
            return twilio_error(faults.fail_status, 20500, "Internal Server Error")
        if (error := create_error(to, sender)) is not None:
            return error
        hang = faults.hang > 0
        if hang:
            faults.hang -= 1
            if not faults.hang_records:
                await asyncio.sleep(faults.hang_seconds)
                return twilio_error(504, 20504, "Gateway timeout")
        message = state.add(
            SandboxMessage(
                sid=new_sid(),
                account_sid=account_sid,
                to=to,
                from_=sender,
                body=str(body),
                messaging_service_sid=str(service) if service else None,
                status_callback=form.get("StatusCallback"),
            )
        )
        if step_seconds is not None:
            in_background(progress(message))
        if hang:
            await asyncio.sleep(faults.hang_seconds)
        return JSONResponse(message.as_json(), status_code=201)

    async def fetch_message(request: Request) -> JSONResponse:
        if (answer := refused(request)) is not None:
            return answer
        message = state.get(request.path_params["sid"])
        if message is None:
            return twilio_error(404, 20404, "The requested resource was not found")
        return JSONResponse(message.as_json())

    async def list_messages(request: Request) -> JSONResponse:
        if (answer := refused(request)) is not None:
            return answer
        params = request.query_params
        found = [
            m
            for m in state.newest_first()
            if (not params.get("To") or m.to == params["To"]) and (not params.get("From") or m.from_ == params["From"])
        ]
        page_size = max(1, min(int(params.get("PageSize", 50)), 1000))
        page_number = max(0, int(params.get("Page", 0)))
        start = page_number * page_size
        chunk = found[start : start + page_size]
        base = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        filters = {key: params[key] for key in ("To", "From") if params.get(key)}

        def page_uri(number: int) -> str:
            return f"{base}?{urlencode({**filters, 'PageSize': page_size, 'Page': number})}"

        return JSONResponse(
            {
                "messages": [m.as_json() for m in chunk],
                "first_page_uri": page_uri(0),
                "next_page_uri": page_uri(page_number + 1) if start + page_size < len(found) else None,
                "previous_page_uri": page_uri(page_number - 1) if page_number > 0 else None,
                "page": page_number,
                "page_size": page_size,
                "start": start,
                "end": start + len(chunk),
                "uri": page_uri(page_number),
            }
        )

    async def lookup(request: Request) -> JSONResponse:
        if (answer := refused(request, check_path=False)) is not None:
            return answer
        raw = request.path_params["number"]
        fields = {f.strip() for f in request.query_params.get("Fields", "").split(",")}
        try:
            parsed = phonenumbers.parse(raw, request.query_params.get("CountryCode"))
            valid = phonenumbers.is_valid_number(parsed)
        except phonenumbers.NumberParseException:
            parsed, valid = None, False
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if parsed else raw
        intelligence = None
        if valid and "line_type_intelligence" in fields:
            intelligence = {
                "carrier_name": "Sandbox Wireless",
                "error_code": None,
                "mobile_country_code": "311",
                "mobile_network_code": "480",
                "type": line_type_for(e164),
            }
        return JSONResponse(
            {
                "calling_country_code": str(parsed.country_code) if parsed else None,
                "country_code": phonenumbers.region_code_for_number(parsed) if parsed else None,
                "phone_number": e164,
                "national_format": display(e164) if valid else None,
                "valid": valid,
                "validation_errors": [] if valid else ["INVALID"],
                "caller_name": None,
                "sim_swap": None,
                "call_forwarding": None,
                "line_status": None,
                "line_type_intelligence": intelligence,
                "identity_match": None,
                "reassigned_number": None,
                "sms_pumping_risk": None,
                "phone_number_quality_score": None,
                "pre_fill": None,
                "url": f"https://lookups.twilio.com/v2/PhoneNumbers/{e164}",
            }
        )

    async def set_faults(request: Request) -> JSONResponse:
        wanted = await request.json()
        state.faults = Faults(
            fail=int(wanted.get("fail", 0)),
            fail_status=int(wanted.get("status", 500)),
            hang=int(wanted.get("hang", 0)),
            hang_seconds=float(wanted.get("seconds", 0)),
            hang_records=bool(wanted.get("record", True)),
        )
        return JSONResponse({"ok": True})

    async def reset(_request: Request) -> JSONResponse:
        state.reset()
        mail.clear()
        return JSONResponse({"ok": True})

    # --- the Dev phone ----------------------------------------------------------------------

    async def reply_as_customer(customer: str, body: str) -> None:
        business = state.business_number_for(customer)
        if business is None:
            state.note(customer, "Nobody has texted this number, so there is no one to reply to.")
            return
        inbound = state.add(
            SandboxMessage(
                sid=new_sid(),
                account_sid=account_sid,
                to=business,
                from_=customer,
                body=body,
                status="received",
                direction="inbound",
            )
        )
        keyword = body.strip().upper()
        if keyword in CARRIER_STOP:
            state.opted_out.add((business, customer))
            add_reply(business, customer, TWILIO_STOP_REPLY, "automatic reply from Twilio")
        elif keyword in CARRIER_START:
            state.opted_out.discard((business, customer))
            add_reply(business, customer, TWILIO_START_REPLY, "automatic reply from Twilio")
        if not inbound_url:
            state.note(
                customer, "The app's inbound webhook is not configured (--inbound-url), so it did not see this reply."
            )
            return
        params = {
            "AccountSid": account_sid,
            "ApiVersion": "2010-04-01",
            "MessageSid": inbound.sid,
            "SmsMessageSid": inbound.sid,
            "SmsSid": inbound.sid,
            "SmsStatus": "received",
            "From": customer,
            "To": business,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
        }
        try:
            answer = await post_signed(inbound_url, params)
        except httpx.HTTPError as error:
            state.note(customer, f"Could not reach the app at {inbound_url} ({type(error).__name__}).")
            return
        if answer.status_code != 200:
            state.note(customer, f"The app answered {answer.status_code} to the reply.")
            return
        for text in twiml_messages(answer.text):
            if (business, customer) in state.opted_out:
                state.note(customer, "Twilio did not deliver the app's answer: this number opted out.")
            else:
                add_reply(business, customer, text, "the app's TwiML reply")

    def add_reply(business: str, customer: str, text: str, note: str) -> None:
        state.add(
            SandboxMessage(
                sid=new_sid(),
                account_sid=account_sid,
                to=customer,
                from_=business,
                body=text,
                status="delivered",
                direction="outbound-reply",
                note=note,
            )
        )

    async def dev_phone(_request: Request) -> HTMLResponse:
        intro = (
            "Texts the sandbox Twilio server accepted, by the number they went to. Reply as the "
            "customer would: STOP, HELP, START or anything else."
        )
        return HTMLResponse(page("Dev phone", "/dev-phone", "/dev-phone/live", conversations_html(state), intro))

    async def dev_phone_live(_request: Request) -> HTMLResponse:
        return HTMLResponse(conversations_html(state))

    async def dev_phone_reply(request: Request) -> Response:
        form = await request.form()
        customer = str(form.get("number", "")).strip()
        body = str(form.get("keyword") or form.get("body") or "").strip()
        if body and any(number == customer for number, _ in state.conversations()):
            await reply_as_customer(customer, body[:1600])
        return RedirectResponse(f"/dev-phone#{_anchor(customer)}", status_code=303)

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route(API + "/Messages.json", create_message, methods=["POST"]),
            Route(API + "/Messages.json", list_messages, methods=["GET"]),
            Route(API + "/Messages/{sid}.json", fetch_message, methods=["GET"]),
            Route("/v2/PhoneNumbers/{number}", lookup, methods=["GET"]),
            Route("/dev-phone", dev_phone, methods=["GET"]),
            Route("/dev-phone/live", dev_phone_live, methods=["GET"]),
            Route("/dev-phone/reply", dev_phone_reply, methods=["POST"]),
            *mail_routes(mail),
            Route("/_sandbox/faults", set_faults, methods=["POST"]),
            Route("/_sandbox/reset", reset, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
    app.state.sandbox = state
    app.state.mail = mail
    return app


def twiml_messages(twiml: str) -> list[str]:
    """The texts of the <Message> verbs in a TwiML answer."""
    try:
        root = ElementTree.fromstring(twiml)
    except ElementTree.ParseError:
        return []
    texts = []
    for verb in root.iter("Message"):
        body = verb.find("Body")
        text = (body.text if body is not None else verb.text) or ""
        if text.strip():
            texts.append(text.strip())
    return texts


def _anchor(number: str) -> str:
    return "phone-" + "".join(c for c in number if c.isdigit())


def _bubble(item) -> str:
    if isinstance(item, Note):
        return f'<p class="note">{escape(item.text)}</p>'
    time = item.date_created.strftime("%H:%M:%S UTC")
    if item.direction == "inbound":
        return f'<div class="bubble out">{linkify(item.body)}<span class="meta">You · {time}</span></div>'
    status = item.status + (f" ({item.error_code})" if item.error_code else "")
    who = item.note or f"from {display(item.from_)}"
    return (
        f'<div class="bubble in">{linkify(item.body)}<span class="meta">{escape(who)} · {time} · '
        f'<span class="status-{escape(item.status)}">{escape(status)}</span></span></div>'
    )


def conversations_html(state: SandboxState) -> str:
    conversations = state.conversations()
    if not conversations:
        return '<p class="empty">No texts yet. Texts the app sends in sandbox mode appear here.</p>'
    cards = []
    for number, thread in conversations:
        anchor = _anchor(number)
        shown = escape(display(number))
        cards.append(
            f'<section class="card" id="{anchor}" aria-label="Conversation with {shown}">'
            f"<h2>{shown} <small>{escape(number)}</small></h2>"
            f'<div class="thread">{"".join(_bubble(item) for item in thread)}</div>'
            f'<form class="reply" method="post" action="/dev-phone/reply" data-number="{escape(number)}">'
            f'<input type="hidden" name="number" value="{escape(number)}">'
            f'<label class="sr" for="reply-{anchor}">Reply from {shown}</label>'
            f'<input type="text" id="reply-{anchor}" name="body" autocomplete="off" '
            f'placeholder="Reply as the customer…" required>'
            f"<button>Send</button>"
            + "".join(
                f'<button class="quick" name="keyword" value="{word}" formnovalidate>{word}</button>'
                for word in ("STOP", "HELP", "START")
            )
            + "</form></section>"
        )
    return "".join(cards)


def main() -> None:
    parser = argparse.ArgumentParser(description="Twilio-compatible sandbox server, Dev phone and mail sink")
    parser.add_argument("--port", type=int, default=8421)
    parser.add_argument("--inbound-url", help="the app's inbound webhook, for Dev phone replies")
    parser.add_argument("--smtp-port", type=int, help="also run the SMTP mail sink on this port")
    parser.add_argument("--step-seconds", type=float, default=1.0, help="queued -> sent -> delivered pace")
    parser.add_argument(
        "--hold",
        action="store_true",
        help="leave created messages queued: no status changes, no callbacks (benchmarks)",
    )
    args = parser.parse_args()
    mail = MailStore()
    smtp = start_smtp(mail, args.smtp_port) if args.smtp_port else None
    try:
        app = build_app(inbound_url=args.inbound_url, step_seconds=None if args.hold else args.step_seconds, mail=mail)
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    finally:
        if smtp is not None:
            smtp.stop()


if __name__ == "__main__":
    main()
