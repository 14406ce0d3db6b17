"""Insights: the figures of a range of the business's days, each table downloadable as CSV."""

import asyncio
from datetime import date

import reflex as rx

from smslinks.core import exports, insights, time_zones
from smslinks.core.errors import DomainError
from smslinks.core.exports import DateRange, RangeErrors
from smslinks.core.permissions import Permission
from smslinks.db import session_scope
from smslinks.models import Business, utcnow
from smslinks.state.session import SessionState


def _figures(state: "InsightsState", date_range: DateRange) -> insights.Insights:
    with session_scope() as session:
        employee = state._authorize(session, Permission.VIEW_INSIGHTS)
        return insights.insights_for(session, employee, date_range, state._today(session, employee.business_id))


class InsightsState(SessionState):
    loaded: bool = False
    refused: str = ""
    start: str = ""  # YYYY-MM-DD, as the date inputs give it
    end: str = ""
    errors: dict[str, str] = {}  # {"start" | "end": what to fix}
    zone: str = ""
    quick_ranges: list[str] = []
    busy: bool = False
    # Table name -> its rows of text cells; chart name -> recharts points.
    tables: dict[str, list[list[str]]] = {}
    columns: dict[str, list[str]] = {}
    # The delivery problems' rows, each led by its reason's key (what "Invoices" asks for).
    problems: list[list[str]] = []
    charts: dict[str, list[dict]] = {}
    days_sales_outstanding: str = ""
    # The failed texts of one reason (its key, and the rows: invoice id, number, customer, to, sent, code).
    failed_kind: str = ""
    failed_title: str = ""
    failed_rows: list[list[str]] = []
    downloading: str = ""

    def _today(self, session, business_id: int) -> date:
        return exports.business_today(session.get(Business, business_id), utcnow())

    def _range(self) -> DateRange | None:
        try:
            date_range = exports.parse_range(self.start, self.end)
        except RangeErrors as refused:
            self.errors = refused.fields
            return None
        self.errors = {}
        return date_range

    async def _show(self, date_range: DateRange):
        self.busy = True
        yield
        try:
            # A year of a big business's invoices takes a moment: off the event loop.
            figures = await asyncio.to_thread(_figures, self, date_range)
        except DomainError as error:
            yield self._refuse(error)
            return
        finally:
            self.busy = False
        self.tables = {name: table.shown_rows() for name, table in figures.tables.items()}
        self.columns = {name: list(table.columns) for name, table in figures.tables.items()}
        problems = figures.tables["delivery_problems"].rows
        self.problems = [[key, *row] for key, row in zip(insights.FAILURE_KEYS, problems, strict=True)]
        self.charts = figures.charts
        self.days_sales_outstanding = figures.days_sales_outstanding
        self.failed_kind, self.failed_rows = "", []

    @rx.event
    async def load(self):
        self.refused = ""
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.VIEW_INSIGHTS)
                business = session.get(Business, employee.business_id)
                ranges = insights.quick_ranges(self._today(session, business.id))
                self.zone = time_zones.zone_name(business.time_zone)
        except DomainError as error:
            self.refused = error.message
            self.loaded = True
            yield self._refuse(error)
            return
        self.quick_ranges = list(ranges)
        if not self.start:
            self.start, self.end = ranges["Last 30 days"].start.isoformat(), ranges["Last 30 days"].end.isoformat()
        date_range = self._range()
        if date_range is not None:
            async for update in self._show(date_range):
                yield update
        self.loaded = True

    @rx.event
    async def set_start(self, text: str):
        self.start = str(text)[:10]
        async for update in self._changed():
            yield update

    @rx.event
    async def set_end(self, text: str):
        self.end = str(text)[:10]
        async for update in self._changed():
            yield update

    async def _changed(self):
        date_range = self._range()
        if date_range is not None:
            async for update in self._show(date_range):
                yield update

    @rx.event
    async def pick(self, label: str):
        """One of the quick ranges, in the business's calendar."""
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.VIEW_INSIGHTS)
                ranges = insights.quick_ranges(self._today(session, employee.business_id))
        except DomainError as error:
            yield self._refuse(error)
            return
        if label in ranges:
            self.start, self.end = ranges[label].start.isoformat(), ranges[label].end.isoformat()
            async for update in self._changed():
                yield update

    def _failed(self, kind: str, date_range: DateRange) -> insights.Table:
        with session_scope() as session:
            employee = self._authorize(session, Permission.VIEW_INSIGHTS)
            return insights.failed_table_for(session, employee, date_range, kind)

    @rx.event
    async def show_failed(self, kind: str):
        """The invoices behind one reason of the delivery problems."""
        date_range = self._range()
        if kind not in insights.FAILURE_KEYS or date_range is None:
            return
        try:
            table = await asyncio.to_thread(self._failed, kind, date_range)
        except DomainError as error:
            yield self._refuse(error)
            return
        self.failed_kind, self.failed_title, self.failed_rows = kind, table.title, table.rows

    @rx.event
    def close_failed(self):
        self.failed_kind, self.failed_rows = "", []

    def _csv(self, name: str, date_range: DateRange) -> exports.Download:
        with session_scope() as session:
            employee = self._authorize(session, Permission.VIEW_INSIGHTS)
            today = self._today(session, employee.business_id)
            return insights.csv_download(session, employee, name, date_range, today, self.failed_kind)

    @rx.event
    async def download(self, name: str):
        date_range = self._range()
        if date_range is None:
            return
        self.downloading = str(name)[:40]
        yield
        try:
            built = await asyncio.to_thread(self._csv, self.downloading, date_range)
        except DomainError as error:
            yield self._refuse(error)
            return
        finally:
            self.downloading = ""
        yield rx.download(data=built.data, filename=built.filename, mime_type="text/csv;charset=utf-8")
