"""Settings > Data > Export: a date range, and payments or messages downloaded as CSV."""

import asyncio

import reflex as rx

from smslinks.core import exports, time_zones
from smslinks.core.errors import DomainError
from smslinks.core.exports import ExportKind, RangeErrors
from smslinks.core.permissions import Permission
from smslinks.db import session_scope
from smslinks.models import Business, utcnow
from smslinks.state.settings import SettingsState


class ExportState(SettingsState):
    loaded: bool = False
    start: str = ""  # YYYY-MM-DD, as the date inputs give it
    end: str = ""
    # {"start" | "end": what to fix}
    errors: dict[str, str] = {}
    # "Central Time (America/Chicago)": how the file's times read.
    zone: str = ""
    quick_ranges: list[str] = []
    # Which export is being built ("" when none): its button spins.
    busy: str = ""

    def _today(self, business: Business):
        return exports.business_today(business, utcnow())

    @rx.event
    def load(self):
        try:
            with session_scope() as session:
                employee = self._enter(session, Permission.EXPORT_DATA)
                business = session.get(Business, employee.business_id)
                ranges = exports.quick_ranges(self._today(business))
                self.zone = f"{time_zones.zone_name(business.time_zone)} ({business.time_zone})"
        except DomainError as error:
            return self._refuse_section(error)
        self.quick_ranges = list(ranges)
        if not self.start:
            self._show_range(ranges["This month"])
        self.errors = {}
        self.loaded = True

    def _show_range(self, date_range: exports.DateRange) -> None:
        self.start, self.end = date_range.start.isoformat(), date_range.end.isoformat()

    @rx.event
    def set_start(self, text: str):
        self.start = str(text)[:10]
        self.errors = {key: why for key, why in self.errors.items() if key != "start"}

    @rx.event
    def set_end(self, text: str):
        self.end = str(text)[:10]
        self.errors = {key: why for key, why in self.errors.items() if key != "end"}

    @rx.event
    def pick(self, label: str):
        """One of the quick ranges, in the business's calendar."""
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.EXPORT_DATA)
                ranges = exports.quick_ranges(self._today(session.get(Business, employee.business_id)))
        except DomainError as error:
            return self._refuse(error)
        if label in ranges:
            self._show_range(ranges[label])
            self.errors = {}

    def _build(self, kind: ExportKind, date_range: exports.DateRange) -> exports.Download:
        with session_scope() as session:
            employee = self._authorize(session, Permission.EXPORT_DATA)
            return exports.download(session, employee, kind, date_range)

    @rx.event
    async def download(self, kind: str):
        if kind not in ExportKind.__members__.values():
            yield rx.toast.error("There is no such export.")
            return
        try:
            date_range = exports.parse_range(self.start, self.end)
        except RangeErrors as refused:
            self.errors = refused.fields
            return
        self.busy = kind
        yield
        try:
            # Thousands of rows take a moment: off the event loop, which serves every other page.
            built = await asyncio.to_thread(self._build, ExportKind(kind), date_range)
        except DomainError as error:
            yield self._refuse(error)
            return
        finally:
            self.busy = ""
        yield rx.download(data=built.data, filename=built.filename, mime_type="text/csv;charset=utf-8")
        yield rx.toast.success(f"{built.filename}: {built.rows:,} {'row' if built.rows == 1 else 'rows'}.")
