"""The invoice page: detail, payment links and message timeline, kept live while it is open."""

import dataclasses
from typing import ClassVar

import reflex as rx

from smslinks import routes
from smslinks.core import invoice_view
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import Permission
from smslinks.core.sending import Via
from smslinks.db import session_scope
from smslinks.state.invoice_editor import InvoiceActionsState
from smslinks.state.live_invoice import LiveInvoiceState
from smslinks.state.reminders import InvoiceRemindersState
from smslinks.state.send_invoice import SendInvoiceState
from smslinks.state.session import NotSignedIn, SessionState, route_id


class InvoiceDetailState(LiveInvoiceState, SessionState):
    LIVE_ROUTE: ClassVar[str] = routes.INVOICE

    invoice: dict = {}
    lines: list[dict] = []
    customer_phones: list[dict] = []
    customer_emails: list[dict] = []
    location_phones: list[dict] = []
    link: dict = {}
    timeline: list[dict] = []
    payments: list[dict] = []
    loaded: bool = False
    refused: str = ""

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
        self.payments = [dataclasses.asdict(row) for row in invoice_view.payments(session, employee, invoice_id)]
        self._live_invoice_id = invoice_id
        self._live_version = invoice_view.changed_at(session, employee, invoice_id)
        self.refused, self.loaded = "", True

    def _reload(self):
        """Fill the page for the invoice in the URL; the events that keep it current follow."""
        self.loaded = False
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES)
                invoice_id = route_id(self.invoice_id)
                if invoice_id is None:
                    raise NotFound("That invoice does not exist or is not yours to see.")
                self._fill(session, employee, invoice_id)
            except DomainError as error:
                self._live_invoice_id, self.invoice, self.refused, self.loaded = 0, {}, error.message, True
                return [self._refuse(error)] if isinstance(error, NotSignedIn) else []
        return [
            OfficeSendState.prepare(invoice_id),
            InvoiceActionsState.prepare(invoice_id),
            InvoiceRemindersState.load,
        ]

    @rx.event
    def load(self):
        events = self._reload()
        return [*events, InvoiceDetailState.watch] if self._live_invoice_id else events

    @rx.event
    def refresh(self):
        if self._live_invoice_id:
            return self._reload()

    @rx.event
    def revoke_links(self):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES)
                count = invoice_view.revoke_links(session, employee, self._live_invoice_id)
            except DomainError as error:
                return self._refuse(error)
        self._reload()
        noun = "link" if count == 1 else "links"
        return rx.toast.success(f"Revoked {count} payment {noun}. They no longer open the invoice.")


class OfficeSendState(SendInvoiceState, SessionState):
    VIA: ClassVar[Via] = Via.OFFICE

    def _after_send(self):
        return InvoiceDetailState.refresh
