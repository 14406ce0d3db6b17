"""The invoice page: detail, payment links, message timeline, kept live while the page is open."""

import asyncio
import dataclasses
import time
from datetime import datetime
from typing import ClassVar

import reflex as rx

from smslinks import routes
from smslinks.core import invoice_view
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import Permission
from smslinks.core.sending import Via
from smslinks.db import session_scope
from smslinks.models import Invoice
from smslinks.state.send_invoice import SendInvoiceState
from smslinks.state.session import NotSignedIn, SessionState

POLL_SECONDS = 1.0
# A page left open past a working day stops watching; a reload starts it again.
WATCH_LIMIT_SECONDS = 12 * 3600


def _route_invoice_id(value: str) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 12 else None


def _changed_at(invoice_id: int) -> datetime | None:
    """invoice.updated_at, read the cheap way (by primary key) for the watcher."""
    with session_scope() as session:
        invoice = session.get(Invoice, invoice_id)
        return invoice.updated_at if invoice else None


class InvoiceDetailState(SessionState):
    invoice: dict = {}
    lines: list[dict] = []
    customer_phones: list[dict] = []
    customer_emails: list[dict] = []
    location_phones: list[dict] = []
    link: dict = {}
    timeline: list[dict] = []
    loaded: bool = False
    refused: str = ""
    _shown_id: int = 0
    _shown_version: datetime | None = None

    def _fill(self, session, employee, invoice_id: int) -> None:
        detail = invoice_view.detail(session, employee, invoice_id)
        self.invoice = {
            key: value
            for key, value in dataclasses.asdict(detail).items()
            if key not in ("lines", "customer_phones", "customer_emails", "location_phones")
        }
        self.lines = [dataclasses.asdict(line) for line in detail.lines]
        self.customer_phones = [dataclasses.asdict(row) for row in detail.customer_phones]
        self.customer_emails = [dataclasses.asdict(row) for row in detail.customer_emails]
        self.location_phones = [dataclasses.asdict(row) for row in detail.location_phones]
        self.link = dataclasses.asdict(invoice_view.link_summary(session, employee, invoice_id))
        self.timeline = [dataclasses.asdict(entry) for entry in invoice_view.timeline(session, employee, invoice_id)]
        self._shown_id = invoice_id
        self._shown_version = invoice_view.changed_at(session, employee, invoice_id)
        self.refused, self.loaded = "", True

    def _reload(self):
        """Fill the page for the invoice in the URL; the events that keep it current follow."""
        self.loaded = False
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES)
                invoice_id = _route_invoice_id(self.invoice_id)
                if invoice_id is None:
                    raise NotFound("That invoice does not exist or is not yours to see.")
                self._fill(session, employee, invoice_id)
            except DomainError as error:
                self._shown_id, self.invoice, self.refused, self.loaded = 0, {}, error.message, True
                return [self._refuse(error)] if isinstance(error, NotSignedIn) else []
        return [OfficeSendState.prepare(invoice_id)]

    @rx.event
    def load(self):
        events = self._reload()
        return [*events, InvoiceDetailState.watch] if self._shown_id else events

    @rx.event
    def refresh(self):
        if self._shown_id:
            return self._reload()

    @rx.event(background=True)
    async def watch(self):
        """Reload when invoice.updated_at changes: a webhook, the dispatcher or another person may
        change what this page shows from another process. Stops when the page shows another
        invoice or closes (navigating away or disconnecting cancels the page-load chain)."""
        async with self:
            watching, seen = self._shown_id, self._shown_version
        started = time.monotonic()
        while watching and time.monotonic() - started < WATCH_LIMIT_SECONDS:
            await asyncio.sleep(POLL_SECONDS)
            changed = await asyncio.to_thread(_changed_at, watching)
            async with self:
                if self._shown_id != watching or self.router.page.path != routes.INVOICE:
                    return
                if changed == seen:
                    continue
                events = self._reload()
                seen = self._shown_version
            for event in events:
                yield event

    @rx.event
    def revoke_links(self):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES)
                count = invoice_view.revoke_links(session, employee, self._shown_id)
            except DomainError as error:
                return self._refuse(error)
        self._reload()
        noun = "link" if count == 1 else "links"
        return rx.toast.success(f"Revoked {count} payment {noun}. They no longer open the invoice.")


class OfficeSendState(SendInvoiceState, SessionState):
    VIA: ClassVar[Via] = Via.OFFICE

    def _after_send(self):
        return InvoiceDetailState.refresh
