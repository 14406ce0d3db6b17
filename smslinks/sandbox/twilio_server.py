"""A small Twilio-compatible server for offline runs: the official SDK talks to it unchanged.

It speaks the part of the REST API smslinks uses (create, fetch and list Messages) with Twilio's
JSON shapes, Basic auth and error format. Messages live in memory: a restart forgets them.
"""

import argparse
import base64
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from smslinks.config import SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN

API = "/2010-04-01/Accounts/{account_sid}"


@dataclass
class SandboxMessage:
    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    status: str = "queued"
    direction: str = "outbound-api"
    status_callback: str | None = None
    messaging_service_sid: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    date_created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    date_updated: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    date_sent: datetime | None = None

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


class MessageStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: dict[str, SandboxMessage] = {}

    def add(self, message: SandboxMessage) -> None:
        with self._lock:
            self._messages[message.sid] = message

    def get(self, sid: str) -> SandboxMessage | None:
        with self._lock:
            return self._messages.get(sid)

    def all(self) -> list[SandboxMessage]:
        with self._lock:
            return sorted(self._messages.values(), key=lambda m: m.date_created, reverse=True)


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


def build_app(
    account_sid: str = SANDBOX_TWILIO_ACCOUNT_SID, auth_token: str = SANDBOX_TWILIO_AUTH_TOKEN
) -> Starlette:
    store = MessageStore()

    def check(request: Request) -> JSONResponse | None:
        if request.path_params["account_sid"] != account_sid or not _authorized(
            request, account_sid, auth_token
        ):
            return twilio_error(401, 20003, "Authenticate")
        return None

    async def create_message(request: Request) -> JSONResponse:
        if (refused := check(request)) is not None:
            return refused
        form = await request.form()
        to, body = form.get("To"), form.get("Body")
        sender = form.get("From") or form.get("MessagingServiceSid")
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not sender:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return twilio_error(400, 21602, "Message body is required.")
        message = SandboxMessage(
            sid="SM" + secrets.token_hex(16),
            account_sid=account_sid,
            to=str(to),
            from_=str(form.get("From") or ""),
            messaging_service_sid=form.get("MessagingServiceSid"),
            body=str(body),
            status_callback=form.get("StatusCallback"),
        )
        store.add(message)
        return JSONResponse(message.as_json(), status_code=201)

    async def fetch_message(request: Request) -> JSONResponse:
        if (refused := check(request)) is not None:
            return refused
        message = store.get(request.path_params["sid"])
        if message is None:
            return twilio_error(404, 20404, "The requested resource was not found")
        return JSONResponse(message.as_json())

    async def list_messages(request: Request) -> JSONResponse:
        if (refused := check(request)) is not None:
            return refused
        params = request.query_params
        found = [
            m
            for m in store.all()
            if (not params.get("To") or m.to == params["To"])
            and (not params.get("From") or m.from_ == params["From"])
        ]
        page_size = min(int(params.get("PageSize", 50)), 1000)
        uri = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        return JSONResponse(
            {
                "messages": [m.as_json() for m in found[:page_size]],
                "first_page_uri": uri,
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": page_size,
                "start": 0,
                "end": min(len(found), page_size),
                "uri": uri,
            }
        )

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route(API + "/Messages.json", create_message, methods=["POST"]),
            Route(API + "/Messages.json", list_messages, methods=["GET"]),
            Route(API + "/Messages/{sid}.json", fetch_message, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
    app.state.store = store
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Twilio-compatible sandbox server")
    parser.add_argument("--port", type=int, default=8421)
    args = parser.parse_args()
    uvicorn.run(build_app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
