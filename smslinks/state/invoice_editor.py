"""The invoice editor (/invoices/editor), the invoice page's Edit / Finalize / Void, and /jobs.

Thin: every handler asks who is asking again and lets core/invoice_editing (or core/scheduling)
decide. Ids from the browser are only ever looked up through core, which checks they are this
person's to use. Core is called outside a caught error's transaction: a refusal writes nothing.
"""

import dataclasses

import reflex as rx
from sqlmodel import Session

from smslinks import routes
from smslinks.core import display, scheduling
from smslinks.core import invoice_editing as editing
from smslinks.core.company import FieldErrors
from smslinks.core.errors import DomainError
from smslinks.core.permissions import Permission, effective_permissions
from smslinks.db import session_scope
from smslinks.models import InvoiceKind
from smslinks.state.session import SessionState, route_id

NO_JOB = "none"
_LINE_FIELDS = ("description", "quantity", "unit_price")
KINDS = [(kind.value, kind.value.capitalize()) for kind in InvoiceKind]


def _blank_line() -> dict[str, str]:
    return {
        "description": "",
        "quantity": "1",
        "unit_price": "",
        "amount": "",
        "err_description": "",
        "err_quantity": "",
        "err_unit_price": "",
    }


def _choices(rows) -> list[dict[str, str]]:
    return [{"id": str(row.id), "label": row.label} for row in rows]


def _id(value) -> int | None:
    return route_id(str(value)) if value not in (None, "") else None


class CustomerPickerMixin(rx.State, mixin=True):
    """The customer picker (pages' customer_picker) of the invoice editor and of /jobs: one search
    handler; each state says through which core door, with which permission, it finds customers
    (`_find_customers`) and what picking one does (`pick_customer`)."""

    customer_query: str = ""
    customer_results: list[dict[str, str]] = []
    searched: bool = False

    def _find_customers(self, session: Session, text: str) -> list:
        """The customers whose names match, for the signed-in person (core checks they may look)."""
        raise NotImplementedError

    def _clear_picker(self) -> None:
        self.customer_query, self.customer_results, self.searched = "", [], False

    @rx.event
    def search_customers(self, form: dict):
        self.customer_query = str(form.get("customer_query", ""))[:100]
        try:
            with session_scope() as session:
                found = self._find_customers(session, self.customer_query)
        except DomainError as error:
            return self._refuse(error)
        self.customer_results, self.searched = _choices(found), True


class InvoiceEditorState(CustomerPickerMixin, SessionState):
    loaded: bool = False
    refused: str = ""
    invoice_id: int = 0  # 0: a new invoice
    number: str = ""
    status: str = "draft"
    customer_id: int = 0
    customer_name: str = ""
    location_id: str = ""
    job_id: str = NO_JOB
    for_job: bool = False  # opened from a job: customer, location and job are the job's
    technician: bool = False  # a technician on the phone: back to the job afterwards
    kind: str = InvoiceKind.JOB.value
    lines: list[dict[str, str]] = [_blank_line()]
    tax: str = "0.00"
    due_on: str = ""
    locations: list[dict[str, str]] = []
    jobs: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    subtotal: str = "$0.00"
    tax_total: str = "$0.00"
    total: str = "$0.00"
    saving: bool = False
    # After a refused save, beside the buttons rather than in a toast: a toast lands under the pointer
    # that just clicked Finalize, over the button, and stays while the pointer rests on it.
    check_fields: str = ""

    # ---------------------------------------------------------------- loading

    def _show(self, form: editing.EditorData) -> None:
        self.invoice_id = form.invoice_id or 0
        self.number, self.status = form.number, form.status
        self.customer_id, self.customer_name = form.customer_id, form.customer_name
        self.location_id = str(form.location_id or "")
        self.job_id = str(form.job_id) if form.job_id else NO_JOB
        self.kind = form.kind
        self.lines = [{**_blank_line(), **dataclasses.asdict(line)} for line in form.lines]
        self.tax, self.due_on = form.tax, form.due_on
        self.locations, self.jobs = _choices(form.locations), _choices(form.jobs)
        self.errors = {}
        self._recount()

    @rx.event
    def load(self):
        self.loaded, self.refused, self.saving, self.check_fields = False, "", False, ""
        self._clear_picker()
        params = self.router.url.query_parameters
        invoice_id, job_id, customer_id = (
            _id(params.get("invoice")),
            _id(params.get("job")),
            _id(params.get("customer")),
        )
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.EDIT_INVOICES)
                self.technician = Permission.VIEW_INVOICES not in effective_permissions(session, employee)
                self.for_job = job_id is not None
                if invoice_id is not None:
                    form = editing.edit_form(session, employee, invoice_id)
                    self.for_job = self.technician
                elif job_id is not None or customer_id is not None:
                    form = editing.new_invoice_form(session, employee, customer_id, job_id)
                else:
                    form = None
        except DomainError as error:
            self.refused, self.loaded = error.message, True
            return self._refuse(error)
        if form is None:
            self.invoice_id, self.customer_id, self.customer_name = 0, 0, ""
        else:
            self._show(form)
        self.loaded = True

    def _find_customers(self, session: Session, text: str) -> list:
        return editing.find_customers(session, self._authorize(session, Permission.EDIT_INVOICES), text)

    @rx.event
    def pick_customer(self, customer_id: str):
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.EDIT_INVOICES)
                form = editing.new_invoice_form(session, employee, _id(customer_id))
        except DomainError as error:
            return self._refuse(error)
        self.for_job = False
        self._show(form)

    @rx.event
    def change_customer(self):
        self.customer_id, self.customer_name, self.customer_results, self.searched = 0, "", [], False

    # ---------------------------------------------------------------- typing

    def _recount(self) -> None:
        drafts = [
            editing.LineDraft(line["description"] or "-", line["quantity"], line["unit_price"] or "0")
            for line in self.lines
        ]
        sums, _errors = editing.preview_totals(drafts, self.tax or "0")
        if sums is None:
            return
        amounts = iter(sums.line_amounts)
        # A line with something wrong shows no amount; the others show theirs.
        shown = []
        for index, line in enumerate(self.lines):
            bad = any(f"lines.{index}.{f}" in _errors for f in ("quantity", "unit_price"))
            shown.append({**line, "amount": "" if bad else display.money(next(amounts))})
        self.lines = shown
        self.subtotal = display.money(sums.subtotal_cents)
        self.tax_total = display.money(sums.tax_cents)
        self.total = display.money(sums.total_cents)

    @rx.event
    def set_line(self, index: int, field: str, value: str):
        if field not in _LINE_FIELDS or not isinstance(index, int) or not 0 <= index < len(self.lines):
            return
        lines = [dict(line) for line in self.lines]
        lines[index][field] = str(value)[:400]
        lines[index][f"err_{field}"] = ""
        self.lines = lines
        self._recount()

    @rx.event
    def add_line(self):
        if len(self.lines) < editing.MAX_LINES:
            self.lines = [*self.lines, _blank_line()]

    @rx.event
    def remove_line(self, index: int):
        if isinstance(index, int) and 0 <= index < len(self.lines) and len(self.lines) > 1:
            self.lines = [line for i, line in enumerate(self.lines) if i != index]
            self._recount()

    @rx.event
    def set_tax(self, value: str):
        self.tax = str(value)[:20]
        self._recount()

    @rx.event
    def set_due_on(self, value: str):
        self.due_on = str(value)[:10]

    @rx.event
    def set_location(self, value: str):
        self.location_id = str(value)[:12]

    @rx.event
    def set_job(self, value: str):
        self.job_id = str(value)[:12]

    @rx.event
    def set_kind(self, value: str):
        self.kind = str(value)[:20]

    # ---------------------------------------------------------------- saving

    def _draft(self) -> editing.InvoiceDraft:
        return editing.InvoiceDraft(
            customer_id=self.customer_id or None,
            location_id=_id(self.location_id),
            job_id=_id(self.job_id) if self.job_id != NO_JOB else None,
            kind=self.kind,
            lines=[editing.LineDraft(line["description"], line["quantity"], line["unit_price"]) for line in self.lines],
            tax=self.tax,
            due_on=self.due_on,
        )

    def _show_errors(self, fields: dict[str, str]) -> None:
        self.errors = {key: value for key, value in fields.items() if not key.startswith("lines.")}
        lines = []
        for index, line in enumerate(self.lines):
            lines.append({**line, **{f"err_{f}": fields.get(f"lines.{index}.{f}", "") for f in _LINE_FIELDS}})
        self.lines = lines

    def _save(self, finalize: bool):
        self.saving, self.check_fields = True, ""
        number = ""
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.EDIT_INVOICES)
                invoice_id = editing.save_invoice(session, employee, self.invoice_id or None, self._draft())
                if finalize:
                    number = editing.finalize(session, employee, invoice_id)
        except FieldErrors as error:
            self.saving, self.check_fields = False, "Check the highlighted fields."
            self._show_errors(error.fields)
            return None
        except DomainError as error:
            self.saving = False
            return self._refuse(error)
        self.saving, self.errors = False, {}
        said = f"Finalized invoice #{number}." if finalize else "Saved the draft."
        target = (
            routes.tech_job(int(self.job_id))
            if self.technician and self.job_id != NO_JOB
            else routes.invoice(invoice_id)
        )
        return [rx.toast.success(said), rx.redirect(target)]

    @rx.event
    def save_draft(self):
        return self._save(finalize=False)

    @rx.event
    def save_and_finalize(self):
        return self._save(finalize=True)


class InvoiceActionsState(SessionState):
    """The invoice page's Edit, Finalize and Void: what this person may do to this invoice now."""

    actions_invoice_id: int = 0
    can_edit: bool = False
    can_finalize: bool = False
    can_void: bool = False
    edit_blocked: str = ""
    void_error: str = ""
    void_open: bool = False

    @rx.event
    def prepare(self, invoice_id: int):
        self.can_edit = self.can_finalize = self.can_void = False
        try:
            with session_scope() as session:
                employee = self._employee(session)
                allowed = editing.actions(session, employee, int(invoice_id))
        except (DomainError, TypeError, ValueError):
            return
        self.actions_invoice_id = int(invoice_id)
        self.can_edit, self.can_finalize, self.can_void = allowed.can_edit, allowed.can_finalize, allowed.can_void
        self.edit_blocked = allowed.edit_blocked

    @rx.event
    def finalize(self):
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.EDIT_INVOICES)
                number = editing.finalize(session, employee, self.actions_invoice_id)
        except DomainError as error:
            return self._refuse(error)
        # The page reloads itself: core touched the invoice.
        return rx.toast.success(f"Finalized: invoice #{number}.")

    @rx.event
    def set_void_open(self, value: bool):
        self.void_open, self.void_error = bool(value), ""

    @rx.event
    def void(self, form: dict):
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.VOID_INVOICES)
                said = editing.void(session, employee, self.actions_invoice_id, str(form.get("reason", ""))[:400])
        except FieldErrors as error:
            self.void_error = error.message
            return
        except DomainError as error:
            self.void_error = error.message
            return self._refuse(error)
        self.void_open, self.void_error = False, ""
        return rx.toast.success(said)


class JobsState(CustomerPickerMixin, SessionState):
    loaded: bool = False
    refused: str = ""
    customer_id: int = 0
    customer_name: str = ""
    locations: list[dict[str, str]] = []
    technicians: list[dict[str, str]] = []
    location_id: str = ""
    technician_id: str = ""
    upcoming: list[dict] = []
    errors: dict[str, str] = {}
    today: str = ""

    def _fill(self, session, employee) -> None:
        self.technicians = _choices(scheduling.technician_choices(session, employee))
        self.upcoming = [dataclasses.asdict(row) for row in scheduling.upcoming(session, employee)]
        from smslinks.core import jobs
        from smslinks.models import Business

        self.today = jobs.today_in(session.get(Business, employee.business_id).time_zone).isoformat()

    @rx.event
    def load(self):
        self.loaded, self.refused, self.errors = False, "", {}
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.SCHEDULE_JOBS)
                self._fill(session, employee)
        except DomainError as error:
            self.refused, self.loaded = error.message, True
            return self._refuse(error)
        self.loaded = True

    def _find_customers(self, session: Session, text: str) -> list:
        return scheduling.find_customers(session, self._authorize(session, Permission.SCHEDULE_JOBS), text)

    @rx.event
    def pick_customer(self, customer_id: str):
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.SCHEDULE_JOBS)
                chosen = _id(customer_id)
                locations = scheduling.location_choices(session, employee, chosen) if chosen else []
        except DomainError as error:
            return self._refuse(error)
        match = [row for row in self.customer_results if row["id"] == str(customer_id)]
        if not locations or not match:
            return rx.toast.error("That customer does not exist.")
        self.customer_id, self.customer_name = chosen, match[0]["label"]
        self.locations = _choices(locations)
        self.location_id = self.locations[0]["id"]

    @rx.event
    def change_customer(self):
        self.customer_id, self.customer_name, self.locations, self.location_id = 0, "", [], ""

    @rx.event
    def set_location(self, value: str):
        self.location_id = str(value)[:12]

    @rx.event
    def set_technician(self, value: str):
        self.technician_id = str(value)[:12]

    @rx.event
    def schedule(self, form: dict):
        draft = scheduling.JobDraft(
            customer_id=self.customer_id or None,
            location_id=_id(self.location_id),
            day=str(form.get("day", ""))[:10],
            start=str(form.get("start", ""))[:8],
            end=str(form.get("end", ""))[:8],
            summary=str(form.get("summary", ""))[:400],
            technician_id=_id(self.technician_id),
        )
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.SCHEDULE_JOBS)
                scheduling.schedule_job(session, employee, draft)
        except FieldErrors as error:
            self.errors = error.fields
            return rx.toast.error("Check the highlighted fields.")
        except DomainError as error:
            return self._refuse(error)
        self.errors = {}
        with session_scope() as session:
            self._fill(session, self._employee(session))
        self.change_customer()
        self._clear_picker()
        return rx.toast.success("Job scheduled. It shows in the technician's jobs on its day.")
