"""The "SMS Invoice" and "Email Invoice" actions, for any page that shows one invoice.

SendInvoiceState is a mixin: a page's state combines it with SessionState and says where the
sender is, e.g. `class OfficeSendState(SendInvoiceState, SessionState): VIA: ClassVar[Via] =
Via.OFFICE`; the technician's view does the same with Via.MOBILE, and calls `prepare(invoice_id)`
when it shows an invoice. Every rule is core/sending's; these handlers
only hold what the dialogs show. The link token and the idempotency key of the open dialog live in
backend-only vars; the one copy of the token the browser sees is in the message preview the
sender is about to send.
"""

import dataclasses
import secrets
from typing import ClassVar

import reflex as rx

from smslinks.config import get_settings
from smslinks.core import display, invoices, phones, sending
from smslinks.core.errors import DomainError
from smslinks.core.sending import NewNumber, Recipient, SendResult, TextAlreadyWaiting, Via
from smslinks.core.sms_text import PayBy
from smslinks.db import session_scope
from smslinks.models import Customer, PhoneType
from smslinks.state.off_loop import provider_call
from smslinks.state.session import NotSignedIn

NEW = "new"  # the "Use a New Number" / "Another address" choice
PAY_BY_LABELS = {PayBy.CARD.value: "Credit Card", PayBy.ACH.value: "ACH"}
PHONE_TYPES = [t.value for t in PhoneType]


def _line_type_lookup() -> sending.LineTypeLookup | None:
    """The carrier lookup, only when configured (it costs money per number)."""
    if not get_settings().twilio_lookup_enabled:
        return None
    from smslinks.providers import sms_provider  # the Twilio adapter, imported only when used

    return sms_provider()


class SendInvoiceState(rx.State, mixin=True):
    VIA: ClassVar[Via] = Via.OFFICE

    # The buttons: empty blockers mean the action is available. An action not offered at all
    # (this person's permissions, the settings) may be left out of a menu instead.
    invoice_number: str = ""
    invoice_summary: str = ""  # "Maria Garcia · $340.96 due"
    text_offered: bool = False
    email_offered: bool = False
    text_blocker: str = ""
    email_blocker: str = ""

    # Shared by both dialogs.
    pay_by: str = PayBy.CARD.value
    pay_by_choices: list[dict[str, str]] = []
    sending: bool = False

    # "SMS Text Invoice Link"
    text_open: bool = False
    recipients: list[dict] = []
    recipient: str = ""
    new_label: str = ""
    new_number: str = ""
    new_number_error: str = ""
    new_type: str = PhoneType.MOBILE.value
    save_to_customer: bool = False
    save_to_location: bool = False
    preview: str = ""
    segments: str = ""
    send_note: str = ""
    send_label: str = "Send"  # "Schedule for 8:00 AM" when quiet hours will hold the text
    text_error: str = ""
    # A text for this invoice already waiting to go to the chosen number: keep it or cancel it.
    waiting_notice: str = ""

    # "Email Invoice Link"
    email_open: bool = False
    email_choices: list[dict[str, str]] = []
    email_to: str = ""
    email_typed: str = ""
    email_subject: str = ""
    email_body: str = ""
    email_error: str = ""

    _invoice_id: int = 0
    _waiting_message_id: int = 0
    _text_key: str = ""
    _text_token: str = ""
    _email_key: str = ""
    _email_token: str = ""

    # ------------------------------------------------------------ the buttons

    @rx.event
    def prepare(self, invoice_id: int):
        """Which actions the invoice allows this person, and why not (called by the page)."""
        with session_scope() as session:
            try:
                employee = self._authorize(session)
                self._fill_blockers(session, employee, int(invoice_id))
            except (DomainError, ValueError) as error:
                self._invoice_id, self.text_blocker, self.email_blocker = 0, "", ""
                self.text_offered = self.email_offered = False
                return self._refuse(error) if isinstance(error, DomainError) else None

    def _fill_blockers(self, session, employee, invoice_id: int) -> None:
        invoice = invoices.get_for_staff(session, employee, invoice_id)
        customer = session.get(Customer, invoice.customer_id)
        self.invoice_number = invoice.number
        self.invoice_summary = f"{customer.name} · {display.money(invoice.balance_cents)} due"
        self.text_offered = sending.text_unavailable(session, employee, self.VIA) is None
        self.email_offered = sending.email_unavailable(session, employee, self.VIA) is None
        self.text_blocker = sending.text_blocker(session, employee, invoice_id, self.VIA) or ""
        self.email_blocker = sending.email_blocker(session, employee, invoice_id, self.VIA) or ""
        self._invoice_id = invoice_id

    def _after_send(self):
        """Events to run once a message is written (e.g. refresh the page's timeline)."""
        return []

    # ------------------------------------------------------------ the text dialog

    @rx.event
    def open_text(self):
        with session_scope() as session:
            try:
                employee = self._authorize(session)
                self._fill_blockers(session, employee, self._invoice_id)
                if self.text_blocker:
                    return rx.toast.error(self.text_blocker)
                self._fill_pay_by(session, employee)
                self._text_key, self._text_token = secrets.token_urlsafe(24), sending.new_link_token()
                self._fill_recipients(session, employee)
                choosable = [o for o in self.recipients if o["choosable"]]
                self._choose(choosable[0]["value"] if choosable else NEW)
                self.new_label = self.new_number = self.new_number_error = self.text_error = ""
                self.new_type = PhoneType.MOBILE.value
                self.save_to_customer = self.save_to_location = False
                self._fill_text_preview(session, employee)
            except DomainError as error:
                return self._refuse(error)
        self.sending = False
        self.text_open = True

    def _fill_recipients(self, session, employee) -> None:
        options = sending.recipient_options(session, employee, self._invoice_id)
        self.recipients = [
            {**dataclasses.asdict(o), "waiting_message_id": o.waiting_message_id or 0, "value": str(o.phone_number_id)}
            for o in options
        ]

    def _choose(self, value: str) -> None:
        """Choose a recipient; one with a text already waiting says so at once."""
        self.recipient, self.text_error = value, ""
        chosen = next((o for o in self.recipients if o["value"] == value), None)
        self.waiting_notice = chosen["waiting"] if chosen else ""
        self._waiting_message_id = chosen["waiting_message_id"] if chosen else 0

    def _fill_pay_by(self, session, employee) -> None:
        choices = sending.pay_by_choices(session, employee)
        self.pay_by_choices = [{"value": c.value, "label": PAY_BY_LABELS[c.value]} for c in choices]
        if self.pay_by not in [c.value for c in choices]:
            self.pay_by = choices[0].value if choices else PayBy.CARD.value

    def _fill_text_preview(self, session, employee) -> None:
        preview = sending.preview_text(session, employee, self._invoice_id, self.pay_by, self._text_token, self.VIA)
        self.preview, self.segments, self.send_note = preview.body, preview.segments, preview.send_note
        self.send_label = preview.send_label

    @rx.event
    def set_text_open(self, is_open: bool):
        if not is_open:
            self.text_open = False

    @rx.event
    def choose_recipient(self, value: str):
        allowed = {o["value"] for o in self.recipients if o["choosable"]} | {NEW}
        if value in allowed:
            self._choose(value)

    @rx.event
    def set_new_label(self, value: str):
        self.new_label = str(value)[:60]

    @rx.event
    def set_new_number(self, value: str):
        self.new_number = phones.format_as_typed(str(value)[:32])
        self.new_number_error = ""
        self.waiting_notice, self._waiting_message_id = "", 0

    @rx.event
    def check_new_number(self, _value: str = ""):
        """On leaving the number field: say at once when it is not a number we can text."""
        try:
            if self.new_number:
                phones.parse(self.new_number)
            self.new_number_error = ""
        except DomainError as error:
            self.new_number_error = error.message

    @rx.event
    def set_new_type(self, value: str):
        if value in PHONE_TYPES:
            self.new_type = value

    @rx.event
    def set_save_to_customer(self, checked: bool):
        self.save_to_customer = bool(checked)

    @rx.event
    def set_save_to_location(self, checked: bool):
        self.save_to_location = bool(checked)

    @rx.event
    def choose_pay_by(self, value: str):
        if value not in [c["value"] for c in self.pay_by_choices]:
            return
        self.pay_by = value
        with session_scope() as session:
            try:
                employee = self._authorize(session)
                if self.text_open:
                    self._fill_text_preview(session, employee)
                if self.email_open:
                    self._fill_email_preview(session, employee)
            except DomainError as error:
                return self._refuse(error)

    def _chosen_recipient(self) -> Recipient:
        if self.recipient == NEW:
            return Recipient(
                new_number=NewNumber(
                    number=self.new_number,
                    label=self.new_label,
                    type=self.new_type,
                    save_to_customer=self.save_to_customer,
                    save_to_location=self.save_to_location,
                )
            )
        return Recipient(phone_number_id=int(self.recipient)) if self.recipient.isdigit() else Recipient()

    def _send_text(self) -> SendResult:
        with session_scope() as session:
            employee = self._authorize(session)
            return sending.send_invoice_text(
                session,
                employee,
                self._invoice_id,
                self._chosen_recipient(),
                self.pay_by,
                self.VIA,
                self._text_key,
                token=self._text_token,
                line_types=_line_type_lookup(),
            )

    @rx.event
    async def send_text(self):
        """Send once: the button is disabled while this runs, and the dialog's key makes any
        repeat (a double click queued behind this event, a retry) return the same message."""
        if not self.text_open or self.sending or self.waiting_notice:
            return
        self.sending, self.text_error = True, ""
        yield
        try:
            # Off the event loop: the carrier lookup, when configured, asks Twilio on the way.
            result = await provider_call(self._send_text)
        except TextAlreadyWaiting as waiting:
            self.sending, self.waiting_notice, self._waiting_message_id = False, waiting.message, waiting.message_id
            return
        except DomainError as error:
            self.sending, self.text_error = False, error.message
            if isinstance(error, NotSignedIn):
                yield self._refuse(error)
            return
        self.sending, self.text_open = False, False
        # A toast, not a note on the page: what becomes of the text ("Scheduled for 8:00 AM", then
        # "Delivered") is on the invoice's timeline, live, where a note would soon be stale.
        held = f"Text to {result.to_display}" if result.scheduled_for else None
        yield rx.toast.success(result.confirmation, description=held)
        yield self._after_send()

    @rx.event
    def keep_waiting_text(self):
        """The text already waiting is the one the customer should get: nothing more to send."""
        self.text_open = False
        return rx.toast.info(self.waiting_notice)

    @rx.event
    def cancel_waiting_text(self):
        """Cancel the waiting text so this dialog can send a new one."""
        if not self.text_open or not self._waiting_message_id:
            return
        try:
            with session_scope() as session:
                employee = self._authorize(session)
                said = sending.cancel_waiting_text(
                    session, employee, self._invoice_id, self._waiting_message_id, self.VIA
                )
                self._fill_recipients(session, employee)
                self._fill_text_preview(session, employee)
        except DomainError as error:
            self.text_error = error.message
            if isinstance(error, NotSignedIn):
                yield self._refuse(error)
            return
        self._choose(self.recipient)
        yield rx.toast.success(said)
        yield self._after_send()

    # ------------------------------------------------------------ the email dialog

    @rx.event
    def open_email(self):
        with session_scope() as session:
            try:
                employee = self._authorize(session)
                self._fill_blockers(session, employee, self._invoice_id)
                if self.email_blocker:
                    return rx.toast.error(self.email_blocker)
                options = sending.email_options(session, employee, self._invoice_id)
                self._fill_pay_by(session, employee)
                self._email_key, self._email_token = secrets.token_urlsafe(24), sending.new_link_token()
                self.email_choices = [{"value": o.address, "label": o.label} for o in options]
                self.email_to = options[0].address if options else NEW
                self.email_typed = self.email_error = ""
                self._fill_email_preview(session, employee)
            except DomainError as error:
                return self._refuse(error)
        self.sending = False
        self.email_open = True

    def _fill_email_preview(self, session, employee) -> None:
        email = sending.preview_email(session, employee, self._invoice_id, self.pay_by, self._email_token, self.VIA)
        self.email_subject, self.email_body = email.subject, email.body

    @rx.event
    def set_email_open(self, is_open: bool):
        if not is_open:
            self.email_open = False

    @rx.event
    def choose_email(self, value: str):
        if value in {c["value"] for c in self.email_choices} | {NEW}:
            self.email_to = value
            self.email_error = ""

    @rx.event
    def set_email_typed(self, value: str):
        self.email_typed = str(value)[:254]
        self.email_error = ""

    @rx.event
    def send_email(self):
        if not self.email_open or self.sending:
            return
        self.sending, self.email_error = True, ""
        yield
        address = self.email_typed if self.email_to == NEW else self.email_to
        try:
            with session_scope() as session:
                employee = self._authorize(session)
                result = sending.send_invoice_email(
                    session,
                    employee,
                    self._invoice_id,
                    address,
                    self.pay_by,
                    self.VIA,
                    self._email_key,
                    token=self._email_token,
                )
        except DomainError as error:
            self.sending, self.email_error = False, error.message
            if isinstance(error, NotSignedIn):
                yield self._refuse(error)
            return
        self.sending, self.email_open = False, False
        yield rx.toast.success(result.confirmation)
        yield self._after_send()
