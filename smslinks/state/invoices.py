import dataclasses

import reflex as rx

from smslinks.core import invoices
from smslinks.core.errors import DomainError
from smslinks.core.permissions import Permission
from smslinks.db import session_scope
from smslinks.models import InvoiceStatus
from smslinks.state.session import SessionState

ALL_STATUSES = "all"
STATUS_FILTERS = [(ALL_STATUSES, "All statuses"), *[(s.value, s.value.capitalize()) for s in InvoiceStatus]]


class InvoiceListState(SessionState):
    query: str = ""
    status: str = ALL_STATUSES
    page: int = 1
    has_next: bool = False
    rows: list[dict] = []
    loaded: bool = False
    too_many_customers: bool = False
    # Keyset pagination: the cursor each page after the first starts after, and the next one.
    _page_starts: list[str] = []
    _next_cursor: str = ""

    def _load(self):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES)
            except DomainError as error:
                return self._refuse(error)
            result = invoices.search(
                session,
                employee,
                query=self.query[:100],
                status=None if self.status == ALL_STATUSES else self.status,
                after=self._page_starts[-1] if self._page_starts else None,
            )
        self.rows = [dataclasses.asdict(row) for row in result.rows]
        self._next_cursor = result.next_cursor or ""
        self.has_next = result.next_cursor is not None
        self.too_many_customers = result.too_many_customers
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
    def set_status_filter(self, status: str):
        self.status = status if status in dict(STATUS_FILTERS) else ALL_STATUSES
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
