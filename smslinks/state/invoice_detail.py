"""The invoice page: detail, payment links and message timeline, kept live while it is open."""

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

import reflex as rx

from smslinks import routes
from smslinks.core import display, invoice_view, payments, recorded_payments, refunds, saved_cards, tokens
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import Permission, has_permission
from smslinks.core.sending import Via
from smslinks.db import session_scope
from smslinks.models import Business
from smslinks.providers import payment_gateway
from smslinks.state.invoice_editor import InvoiceActionsState
from smslinks.state.live_invoice import LiveInvoiceState
from smslinks.state.off_loop import provider_call
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
    may_record: bool = False
    saved_card: str = ""  # "Visa •••• 4242, saved Dec 3 with the customer's consent" when it may be charged

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
        self.may_record = has_permission(session, employee, Permission.EDIT_INVOICES)
        charge = saved_cards.charge_form(session, employee, invoice_id)
        self.saved_card = charge.card if charge else ""
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


class ProviderDialogState(rx.State, mixin=True):
    """A dialog whose button asks Stripe to move money (refund, charge a saved card). One idempotency
    key per opening: repeated clicks move it once; after a failure another try takes a new key.

    A dialog sets KEY_KIND and REFUSED (core's refusal that names a field) and supplies `_target()`
    (what the dialog was opened for, 0 for nothing), `_call(form)` (core with the provider, run off
    the event loop) and `_result(outcome)` (whether it went through, and what the office is told)."""

    KEY_KIND: ClassVar[str] = ""
    REFUSED: ClassVar[type[refunds.RefundRefused | saved_cards.SavedCardRefused]]

    open: bool = False
    errors: dict[str, str] = {}
    busy: bool = False
    _key: str = ""

    if TYPE_CHECKING:  # from SessionState, which every such dialog also is

        def _refuse(self, error: DomainError) -> Any: ...

    def _opened(self) -> None:
        self._key = tokens.idempotency_key(self.KEY_KIND)
        self.errors, self.busy, self.open = {}, False, True

    def _target(self) -> int:
        raise NotImplementedError

    def _call(self, form: dict) -> Any:
        raise NotImplementedError

    def _result(self, outcome) -> tuple[bool, str]:
        raise NotImplementedError

    @rx.event
    def set_open(self, value: bool):
        if not self.busy:
            self.open = value

    @rx.event
    async def submit(self, form: dict):
        if self.busy or not self._target():
            return
        self.busy, self.errors = True, {}
        yield
        try:
            # Stripe is called off the event loop, which serves every other page (the SDK times out).
            outcome = await provider_call(self._call, form)
        except self.REFUSED as refused:
            self.errors = {refused.field or "form": refused.message}
            return
        except DomainError as error:
            yield self._refuse(error)
            return
        finally:
            self.busy = False
        went_through, message = self._result(outcome)
        self.open = not went_through
        if went_through:
            yield rx.toast.success(message)
        else:
            self.errors = {"form": message}
            self._key = tokens.idempotency_key(self.KEY_KIND)  # another try is another refund or charge
        yield InvoiceDetailState.refresh


class RefundState(ProviderDialogState, SessionState):
    """The Refund dialog on a payment."""

    KEY_KIND: ClassVar[str] = "refund"
    REFUSED: ClassVar[type[refunds.RefundRefused]] = refunds.RefundRefused

    payment_label: str = ""
    refundable: str = ""
    tip_note: str = ""
    _payment_id: int = 0

    @rx.event
    def start(self, payment_id: int):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES, Permission.REFUND_PAYMENTS)
                form = refunds.refund_form(session, employee, route_id(str(payment_id)) or 0)
            except DomainError as error:
                return self._refuse(error)
        self._payment_id = form.payment_id
        self.payment_label, self.refundable, self.tip_note = form.label, form.refundable, form.tip_note
        self._opened()

    def _target(self) -> int:
        return self._payment_id

    def _call(self, form: dict) -> refunds.RefundOutcome:
        with session_scope() as session:
            employee = self._authorize(session, Permission.VIEW_INVOICES, Permission.REFUND_PAYMENTS)
            return refunds.refund_payment(
                session,
                payment_gateway(),
                employee,
                self._payment_id,
                amount_text=str(form.get("amount", "")),
                reason=str(form.get("reason", "")),
                idempotency_key=self._key,
            )

    def _result(self, outcome: refunds.RefundOutcome) -> tuple[bool, str]:
        return outcome.status != "failed", outcome.message


class RecordPaymentState(SessionState):
    """ "Record payment": cash, a check or another way, received outside Stripe."""

    open: bool = False
    method: str = "check"
    today: str = ""
    errors: dict[str, str] = {}

    @rx.event
    def start(self):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES, Permission.EDIT_INVOICES)
                self.today = recorded_payments.business_today(session.get(Business, employee.business_id)).isoformat()
            except DomainError as error:
                return self._refuse(error)
        self.method, self.errors, self.open = "check", {}, True

    @rx.event
    def set_open(self, value: bool):
        self.open = value

    @rx.event
    def set_method(self, value: str):
        self.method = value

    @rx.event
    async def submit(self, form: dict):
        detail = await self.get_state(InvoiceDetailState)
        entered = recorded_payments.RecordedPaymentForm(
            method=self.method,
            amount=str(form.get("amount", "")),
            received_on=str(form.get("received_on", "")),
            check_number=str(form.get("check_number", "")),
            note=str(form.get("note", "")),
        )
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES, Permission.EDIT_INVOICES)
                payment = recorded_payments.record_payment(session, employee, detail._live_invoice_id, entered)
                message = f"Recorded {payment.method_detail}: {display.money(payment.amount_cents)}."
            except recorded_payments.RecordRefused as refused:
                self.errors = refused.fields
                return
            except DomainError as error:
                return self._refuse(error)
        self.open, self.errors = False, {}
        return [rx.toast.success(message), InvoiceDetailState.refresh]


class VoidPaymentState(SessionState):
    """Void a recorded payment entered by mistake, with a reason."""

    open: bool = False
    error: str = ""
    _payment_id: int = 0

    @rx.event
    def start(self, payment_id: int):
        with session_scope() as session:
            try:
                self._authorize(session, Permission.VIEW_INVOICES, Permission.EDIT_INVOICES)
            except DomainError as error:
                return self._refuse(error)
        self._payment_id = route_id(str(payment_id)) or 0
        self.error, self.open = "", True

    @rx.event
    def set_open(self, value: bool):
        self.open = value

    @rx.event
    def submit(self, form: dict):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES, Permission.EDIT_INVOICES)
                recorded_payments.void_payment(session, employee, self._payment_id, str(form.get("reason", "")))
            except recorded_payments.RecordRefused as refused:
                self.error = refused.message
                return
            except DomainError as error:
                return self._refuse(error)
        self.open = False
        return [rx.toast.success("Payment voided. The balance is due again."), InvoiceDetailState.refresh]


class ChargeSavedCardState(ProviderDialogState, SessionState):
    """ "Charge saved card": the customer's card on file, with their consent, for this invoice."""

    KEY_KIND: ClassVar[str] = "saved-card"
    REFUSED: ClassVar[type[saved_cards.SavedCardRefused]] = saved_cards.SavedCardRefused

    card: str = ""
    balance: str = ""
    amount: str = ""
    _invoice_id: int = 0

    @rx.event
    async def start(self):
        detail = await self.get_state(InvoiceDetailState)
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES, Permission.CHARGE_SAVED_CARDS)
                form = saved_cards.charge_form(session, employee, detail._live_invoice_id)
            except DomainError as error:
                return self._refuse(error)
        if form is None:
            return rx.toast.error("This customer has no saved card they agreed to be charged.")
        self._invoice_id = detail._live_invoice_id
        self.card, self.balance, self.amount = form.card, form.balance, form.amount
        self._opened()

    def _target(self) -> int:
        return self._invoice_id

    def _call(self, form: dict) -> payments.Outcome:
        with session_scope() as session:
            employee = self._authorize(session, Permission.VIEW_INVOICES, Permission.CHARGE_SAVED_CARDS)
            return saved_cards.charge_for_office(
                session,
                payment_gateway(),
                employee,
                self._invoice_id,
                amount_text=str(form.get("amount", "")),
                idempotency_key=self._key,
            )

    def _result(self, outcome: payments.Outcome) -> tuple[bool, str]:
        return outcome.status == "succeeded", saved_cards.office_message(outcome)
