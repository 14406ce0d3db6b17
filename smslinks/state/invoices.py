import dataclasses

import reflex as rx

from smslinks.core import invoices
from smslinks.core.errors import DomainError
from smslinks.core.permissions import Permission
from smslinks.db import session_scope
from smslinks.models import InvoiceStatus
from smslinks.state.session import SessionState

STATUS_FILTERS = ["all", *[s.value for s in InvoiceStatus]]


class InvoiceListState(SessionState):
    query: str = ""
    status: str = "all"
    page: int = 1
    has_next: bool = False
    rows: list[dict] = []
    loaded: bool = False

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
                status=None if self.status == "all" else self.status,
                page=self.page,
            )
        self.rows = [dataclasses.asdict(row) for row in result.rows]
        self.has_next = result.has_next
        self.loaded = True

    @rx.event
    def load(self):
        return self._load()

    @rx.event
    def search(self, form: dict):
        self.query = str(form.get("query", ""))[:100]
        self.page = 1
        return self._load()

    @rx.event
    def clear_search(self):
        self.query = ""
        self.page = 1
        return self._load()

    @rx.event
    def set_status_filter(self, status: str):
        self.status = status if status in STATUS_FILTERS else "all"
        self.page = 1
        return self._load()

    @rx.event
    def next_page(self):
        if self.has_next:
            self.page += 1
        return self._load()

    @rx.event
    def previous_page(self):
        self.page = max(1, self.page - 1)
        return self._load()
