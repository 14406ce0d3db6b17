"""The customer list, one customer's page, and the form that creates or changes a customer.

Thin: each handler asks core again who is asking. Ids from the browser (a route segment, a location
row's id) are only ever looked up through core, which keeps a person to their business's records.
"""

import dataclasses

import reflex as rx

from smslinks import routes
from smslinks.core import customers
from smslinks.core.company import FieldErrors
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import Permission, has_permission
from smslinks.db import session_scope
from smslinks.models import PhoneType
from smslinks.state.session import NotSignedIn, SessionState, route_id

PHONE_TYPES = [t.value for t in PhoneType]
_PHONE_FIELDS = ("number", "type", "label")
_EMAIL_FIELDS = ("address", "label")
_LOCATION_FIELDS = ("name", "street", "city", "region", "postal_code")
_FIELD_LENGTH = 300  # more than any field takes: what the browser sends is cut before core says why


class CustomerListState(SessionState):
    query: str = ""
    page: int = 1
    has_next: bool = False
    rows: list[dict] = []
    loaded: bool = False
    can_manage: bool = False
    _page_starts: list[str] = []
    _next_cursor: str = ""

    def _load(self):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES)
            except DomainError as error:
                return self._refuse(error)
            result = customers.search(
                session, employee, query=self.query[:100], after=self._page_starts[-1] if self._page_starts else None
            )
            self.can_manage = has_permission(session, employee, Permission.MANAGE_CUSTOMERS)
        self.rows = [dataclasses.asdict(row) for row in result.rows]
        self._next_cursor = result.next_cursor or ""
        self.has_next = result.next_cursor is not None
        self.page = len(self._page_starts) + 1
        self.loaded = True

    def _first_page(self):
        self._page_starts = []
        return self._load()

    @rx.event
    def load(self):
        return self._first_page()

    @rx.event
    def search(self, form: dict):
        self.query = str(form.get("query", ""))[:100]
        return self._first_page()

    @rx.event
    def clear_search(self):
        self.query = ""
        return self._first_page()

    @rx.event
    def next_page(self):
        if self._next_cursor:
            self._page_starts = [*self._page_starts, self._next_cursor]
        return self._load()

    @rx.event
    def previous_page(self):
        self._page_starts = self._page_starts[:-1]
        return self._load()


class CustomerDetailState(SessionState):
    # The customer on screen, checked against the signed-in person's business (0 until then, or
    # when refused). Buttons that start from a customer ("New invoice", "Schedule job") pass this.
    current_customer_id: int = 0
    can_invoice: bool = False  # "New invoice" for this customer (the editor checks again)
    customer: dict = {}
    phones: list[dict] = []
    emails: list[dict] = []
    locations: list[dict] = []
    invoices: list[dict] = []
    can_manage: bool = False
    loaded: bool = False
    refused: str = ""

    def _fill(self):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES)
                customer_id = route_id(self.customer_id)
                if customer_id is None:
                    raise NotFound(customers.NOT_FOUND)
                found = customers.detail(session, employee, customer_id)
                self.can_manage = has_permission(session, employee, Permission.MANAGE_CUSTOMERS)
                self.can_invoice = has_permission(session, employee, Permission.EDIT_INVOICES)
            except DomainError as error:
                self.current_customer_id, self.customer, self.refused, self.loaded = 0, {}, error.message, True
                self.phones, self.emails, self.locations, self.invoices = [], [], [], []
                return self._refuse(error) if isinstance(error, NotSignedIn) else None
        self.current_customer_id = found.id
        self.customer = {"id": found.id, "name": found.name}
        self.phones = [dataclasses.asdict(row) for row in found.phones]
        self.emails = [dataclasses.asdict(row) for row in found.emails]
        self.locations = [dataclasses.asdict(row) for row in found.locations]
        self.invoices = [dataclasses.asdict(row) for row in found.invoices]
        self.refused, self.loaded = "", True

    @rx.event
    def load(self):
        self.loaded = False
        return self._fill()

    @rx.event
    def refresh(self):
        return self._fill()


def _blank_phone() -> dict[str, str]:
    return {
        "number": "",
        "type": PhoneType.MOBILE.value,
        "label": "",
        "error_number": "",
        "error_type": "",
        "error_label": "",
    }


def _blank_email() -> dict[str, str]:
    return {"address": "", "label": "", "error_address": "", "error_label": ""}


def _blank_location() -> dict[str, str]:
    row = {"id": "", "error": ""}
    for name in _LOCATION_FIELDS:
        row[name] = ""
        row[f"error_{name}"] = ""
    return row


class CustomerFormState(SessionState):
    """The create / edit dialog, on the list page ("New customer") and the customer's page ("Edit")."""

    dialog_open: bool = False
    editing: bool = False
    customer_name: str = ""
    name_error: str = ""
    form_error: str = ""  # what concerns the whole form or a whole list, shown above the buttons
    phones: list[dict[str, str]] = []
    emails: list[dict[str, str]] = []
    locations: list[dict[str, str]] = []
    saving: bool = False
    # Which customer "Save" changes (0: a new one); server-side, so the browser cannot point it elsewhere.
    _editing_id: int = 0

    def _reset(self):
        self.customer_name, self.name_error, self.form_error = "", "", ""
        self.phones, self.emails, self.locations = [], [], []
        self.saving = False

    @rx.event
    def open_new(self):
        with session_scope() as session:
            try:
                self._authorize(session, Permission.MANAGE_CUSTOMERS)
            except DomainError as error:
                return self._refuse(error)
        self._reset()
        self._editing_id, self.editing = 0, False
        self.phones, self.emails, self.locations = [_blank_phone()], [_blank_email()], [_blank_location()]
        self.dialog_open = True

    @rx.event
    def open_edit(self, customer_id: int):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.MANAGE_CUSTOMERS)
                if not isinstance(customer_id, int):
                    raise NotFound(customers.NOT_FOUND)
                found = customers.detail(session, employee, customer_id)
            except DomainError as error:
                return self._refuse(error)
        self._reset()
        self._editing_id, self.editing = found.id, True
        self.customer_name = found.name
        self.phones = [{**_blank_phone(), "number": p.number, "type": p.type, "label": p.label} for p in found.phones]
        self.emails = [{**_blank_email(), "address": e.address, "label": e.label} for e in found.emails]
        self.locations = [
            {
                **_blank_location(),
                "id": str(loc.id),
                "name": loc.name,
                "street": loc.street,
                "city": loc.city,
                "region": loc.region,
                "postal_code": loc.postal_code,
            }
            for loc in found.locations
        ]
        self.dialog_open = True

    @rx.event
    def set_open(self, value: bool):
        self.dialog_open = bool(value) and self.dialog_open

    @rx.event
    def set_name(self, value: str):
        self.customer_name, self.name_error = str(value)[:_FIELD_LENGTH], ""

    @staticmethod
    def _set(rows: list[dict[str, str]], index, field: str, allowed: tuple[str, ...], value) -> list[dict[str, str]]:
        if field not in allowed or not isinstance(index, int) or not 0 <= index < len(rows):
            return rows
        rows = [dict(row) for row in rows]
        rows[index][field] = str(value)[:_FIELD_LENGTH]
        rows[index][f"error_{field}"] = ""
        if "error" in rows[index]:
            rows[index]["error"] = ""
        return rows

    @rx.event
    def set_phone(self, index: int, field: str, value: str):
        if field == "type" and value not in PHONE_TYPES:
            return
        self.phones = self._set(self.phones, index, field, _PHONE_FIELDS, value)

    @rx.event
    def set_email(self, index: int, field: str, value: str):
        self.emails = self._set(self.emails, index, field, _EMAIL_FIELDS, value)

    @rx.event
    def set_location(self, index: int, field: str, value: str):
        self.locations = self._set(self.locations, index, field, _LOCATION_FIELDS, value)

    @rx.event
    def add_phone(self):
        if len(self.phones) < customers.MAX_PHONES:
            self.phones = [*self.phones, _blank_phone()]

    @rx.event
    def add_email(self):
        if len(self.emails) < customers.MAX_EMAILS:
            self.emails = [*self.emails, _blank_email()]

    @rx.event
    def add_location(self):
        if len(self.locations) < customers.MAX_LOCATIONS:
            self.locations = [*self.locations, _blank_location()]

    @rx.event
    def remove_phone(self, index: int):
        if isinstance(index, int) and 0 <= index < len(self.phones):
            self.phones = self.phones[:index] + self.phones[index + 1 :]

    @rx.event
    def remove_email(self, index: int):
        if isinstance(index, int) and 0 <= index < len(self.emails):
            self.emails = self.emails[:index] + self.emails[index + 1 :]

    @rx.event
    def remove_location(self, index: int):
        if isinstance(index, int) and 0 <= index < len(self.locations):
            self.locations = self.locations[:index] + self.locations[index + 1 :]

    def _draft(self) -> customers.CustomerDraft:
        """The rows as typed; blank rows (nothing typed) are left out rather than refused."""
        return customers.CustomerDraft(
            name=self.customer_name,
            phones=[(p["number"], p["type"], p["label"]) for p in self._typed(self.phones, ("number", "label"))],
            emails=[(e["address"], e["label"]) for e in self._typed(self.emails, _EMAIL_FIELDS)],
            locations=[
                (
                    int(loc["id"]) if loc["id"].isdigit() else None,
                    loc["name"],
                    loc["street"],
                    loc["city"],
                    loc["region"],
                    loc["postal_code"],
                )
                for loc in self._typed(self.locations, _LOCATION_FIELDS)
            ],
        )

    @staticmethod
    def _typed(rows: list[dict[str, str]], fields: tuple[str, ...]) -> list[dict[str, str]]:
        return [row for row in rows if row.get("id") or any(row[f].strip() for f in fields)]

    def _show_errors(self, errors: dict[str, str]) -> None:
        """Put each message beside its field; the draft's indexes count typed rows only."""
        self.name_error = errors.get("name", "")
        shown = {"name"}
        for key, rows, fields in (
            ("phones", self.phones, ("number", "label")),
            ("emails", self.emails, _EMAIL_FIELDS),
            ("locations", self.locations, _LOCATION_FIELDS),
        ):
            typed = [i for i, row in enumerate(rows) if row.get("id") or any(row[f].strip() for f in fields)]
            updated = [dict(row) for row in rows]
            for position, index in enumerate(typed):
                row = updated[index]
                for name in list(row):
                    if name.startswith("error_") or name == "error":
                        field = name.removeprefix("error_") if name != "error" else ""
                        full = f"{key}.{position}.{field}" if field else f"{key}.{position}"
                        row[name] = errors.get(full, "")
                        if full in errors:
                            shown.add(full)
            setattr(self, key, updated)
        self.form_error = " ".join(message for field, message in errors.items() if field not in shown)

    @rx.event
    def save(self):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.MANAGE_CUSTOMERS)
                if self._editing_id:
                    saved = customers.update_customer(session, employee, self._editing_id, self._draft())
                else:
                    saved = customers.create_customer(session, employee, self._draft())
            except FieldErrors as error:
                session.rollback()
                self._show_errors(error.fields)
                return
            except DomainError as error:
                session.rollback()
                return self._refuse(error)
        self.dialog_open = False
        if self._editing_id:
            return [CustomerDetailState.refresh, rx.toast.success(f"Saved {saved.name}.")]
        return [rx.redirect(routes.CUSTOMERS + f"/{saved.id}"), rx.toast.success(f"Added {saved.name}.")]
