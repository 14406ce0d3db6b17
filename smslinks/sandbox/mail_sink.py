"""The sandbox mail sink: an SMTP server (aiosmtpd) that keeps every email in memory, and the
GET /mail page that lists them with clickable links. Nothing is ever delivered anywhere."""

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from html import escape

from aiosmtpd.controller import Controller
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from smslinks.sandbox.html import linkify, page


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    subject: str
    body: str
    from_header: str
    reply_to: str | None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class MailStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mails: list[ReceivedMail] = []

    def add(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._mails.append(mail)

    def newest_first(self) -> list[ReceivedMail]:
        with self._lock:
            return list(reversed(self._mails))

    def clear(self) -> None:
        with self._lock:
            self._mails.clear()


class SinkHandler:
    """aiosmtpd handler: accept every message and keep it."""

    def __init__(self, store: MailStore):
        self.store = store

    async def handle_DATA(self, _server, _session, envelope) -> str:
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        part = parsed.get_body(preferencelist=("plain", "html"))
        self.store.add(
            ReceivedMail(
                sender=envelope.mail_from,
                recipients=list(envelope.rcpt_tos),
                subject=str(parsed.get("Subject", "")),
                body=part.get_content() if part is not None else "",
                from_header=str(parsed.get("From", envelope.mail_from)),
                reply_to=str(parsed["Reply-To"]) if parsed.get("Reply-To") else None,
            )
        )
        return "250 Message accepted for delivery"


def start_smtp(store: MailStore, port: int) -> Controller:
    """Start the SMTP server in its own thread; call .stop() on the result to end it."""
    controller = Controller(SinkHandler(store), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def _mail_card(mail: ReceivedMail) -> str:
    rows = [
        ("To", ", ".join(mail.recipients)),
        ("From", mail.from_header),
        *([("Reply-To", mail.reply_to)] if mail.reply_to else []),
        ("Received", mail.received_at.strftime("%Y-%m-%d %H:%M:%S UTC")),
    ]
    head = "".join(f"<dt>{name}</dt><dd>{escape(value)}</dd>" for name, value in rows)
    return (
        f'<article class="card"><h2>{escape(mail.subject) or "(no subject)"}</h2>'
        f'<dl class="mailhead">{head}</dl><div class="mailbody">{linkify(mail.body)}</div></article>'
    )


def mail_fragment(store: MailStore) -> str:
    mails = store.newest_first()
    if not mails:
        return '<p class="empty">No email yet. Emails the app sends in sandbox mode appear here.</p>'
    return "".join(_mail_card(mail) for mail in mails)


def mail_routes(store: MailStore) -> list[Route]:
    async def mail_page(_request: Request) -> HTMLResponse:
        return HTMLResponse(
            page(
                "Mail",
                "/mail",
                "/mail/live",
                mail_fragment(store),
                "Every email the app sent to the sandbox SMTP server, newest first.",
            )
        )

    async def mail_live(_request: Request) -> HTMLResponse:
        return HTMLResponse(mail_fragment(store))

    return [Route("/mail", mail_page, methods=["GET"]), Route("/mail/live", mail_live, methods=["GET"])]
