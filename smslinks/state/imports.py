"""Settings > Data > Import: upload a customers-and-invoices CSV, see every row's errors, import.

The preview and the import are the same core run (core.imports.run), rolled back or committed batch
by batch; both go in the background with a progress bar, off the event loop. The uploaded file
waits in a backend-only var (compressed) between the preview and the import.
"""

import asyncio
import zlib
from collections.abc import Iterator

import reflex as rx
from sqlmodel import Session

from smslinks.core import exports, imports
from smslinks.core.errors import DomainError
from smslinks.core.permissions import IMPORT_PERMISSIONS
from smslinks.db import get_engine, session_scope
from smslinks.models import Business, utcnow
from smslinks.state.settings import SettingsState

UPLOAD_ID = "import-csv"
# Bigger files go through `smslinks import` on the server.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Errors listed on the page; the errors file has them all.
ERRORS_SHOWN = 200
TEMPLATE_NAME = "smslinks-import-template.csv"


def _counts(counts: imports.Counts) -> dict[str, int]:
    return {
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "skipped": counts.skipped,
    }


class ImportState(SettingsState):
    loaded: bool = False
    # choose -> checking -> preview -> importing -> done
    stage: str = "choose"
    file_name: str = ""
    # Why the file as a whole cannot be imported ("" when it can).
    unusable: str = ""
    rows_total: int = 0
    rows_done: int = 0
    rows_with_errors: int = 0
    customers: dict[str, int] = {}
    invoices: dict[str, int] = {}
    # The first ERRORS_SHOWN errors: {"row", "column", "message"}
    errors: list[dict[str, str]] = []
    error_count: int = 0
    _upload: bytes = b""  # the file, zlib-compressed
    _all_errors: list[tuple[int, str, str]] = []

    @rx.event
    def load(self):
        try:
            with session_scope() as session:
                self._enter(session, *IMPORT_PERMISSIONS)
        except DomainError as error:
            return self._refuse_section(error)
        if self.stage in ("checking", "importing"):
            return  # a run in the background goes on; its progress shows
        self._start_over()
        self.loaded = True

    def _start_over(self) -> None:
        self.stage, self.file_name, self.unusable = "choose", "", ""
        self.rows_total = self.rows_done = self.rows_with_errors = self.error_count = 0
        self.customers, self.invoices, self.errors = {}, {}, []
        self._upload, self._all_errors = b"", []

    @rx.event
    def choose_another(self):
        try:
            with session_scope() as session:
                self._authorize(session, *IMPORT_PERMISSIONS)
        except DomainError as error:
            return self._refuse(error)
        if self.stage not in ("checking", "importing"):
            self._start_over()
        return None

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        """Keep the file and check it (in the background): nothing is written yet."""
        try:
            with session_scope() as session:
                self._authorize(session, *IMPORT_PERMISSIONS)
        except DomainError as error:
            return self._refuse(error)
        if self.stage in ("checking", "importing") or not files:
            return
        self._start_over()
        upload = files[0]
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        self.file_name = (upload.name or "upload.csv")[:120]
        if len(data) > MAX_UPLOAD_BYTES:
            self.unusable = (
                f"This file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Split it, or run "
                "`smslinks import FILE.csv` on the server."
            )
            return
        try:
            parsed = await asyncio.to_thread(imports.parse, data)  # a big file takes a moment
        except imports.UnusableFile as error:
            self.unusable = error.message
            return
        self._upload = zlib.compress(data)
        self.rows_total = parsed.rows
        self.stage = "checking"
        return ImportState.check

    async def _run(self, write: bool):
        """Run core.imports batch by batch in a thread, showing the progress after each."""
        refusal = None
        async with self:
            try:
                with session_scope() as session:
                    employee_id = self._authorize(session, *IMPORT_PERMISSIONS).id
            except DomainError as error:
                self._start_over()
                refusal = self._refuse(error)
            upload = self._upload
        if refusal is not None:
            yield refusal
            return
        finished = False
        try:
            parsed = await asyncio.to_thread(lambda: imports.parse(zlib.decompress(upload)))
            with Session(get_engine(), expire_on_commit=False) as session:
                steps: Iterator[imports.Outcome] = imports.run(session, employee_id, parsed, write=write)
                while (outcome := await asyncio.to_thread(next, steps, None)) is not None:
                    async with self:
                        self._show(outcome)
            finished = True
        except DomainError as error:  # the permission was taken away half-way
            yield rx.toast.error(error.message)
        finally:
            async with self:
                self._stop(write, finished)

    def _stop(self, write: bool, finished: bool) -> None:
        if finished:
            self.stage = "done" if write else "preview"
            if write:
                self._upload = b""
            return
        # Stopped half-way (refused, or the database went away): committed batches stay.
        done, total, name = self.rows_done, self.rows_total, self.file_name
        self._start_over()
        self.file_name = name
        self.unusable = (
            f"The import stopped after {done} of {total} rows. What was imported stays; import the file again to go on."
            if write
            else "The check stopped before the end. Try again."
        )

    def _show(self, outcome: imports.Outcome) -> None:
        self.rows_done = outcome.rows_done
        self.rows_with_errors = outcome.rows_with_errors
        self.customers, self.invoices = _counts(outcome.customers), _counts(outcome.invoices)
        if outcome.finished:
            self._all_errors = [(error.row, error.column, error.message) for error in outcome.errors]
            self.error_count = len(outcome.errors)
            self.errors = [
                {"row": str(row), "column": column, "message": message}
                for row, column, message in self._all_errors[:ERRORS_SHOWN]
            ]

    @rx.event(background=True)
    async def check(self):
        async with self:
            if self.stage != "checking":
                return
        async for event in self._run(write=False):
            yield event

    @rx.event(background=True)
    async def start_import(self):
        async with self:
            if self.stage != "preview" or self.rows_with_errors >= self.rows_total:
                return
            self.stage, self.rows_done = "importing", 0
        async for event in self._run(write=True):
            yield event

    @rx.event
    def download_template(self):
        try:
            with session_scope() as session:
                employee = self._authorize(session, *IMPORT_PERMISSIONS)
                business = session.get(Business, employee.business_id)
        except DomainError as error:
            return self._refuse(error)
        today = exports.business_today(business, utcnow())
        return rx.download(data=imports.template_csv(today), filename=TEMPLATE_NAME, mime_type="text/csv;charset=utf-8")

    @rx.event
    def download_errors(self):
        try:
            with session_scope() as session:
                self._authorize(session, *IMPORT_PERMISSIONS)
        except DomainError as error:
            return self._refuse(error)
        errors = [imports.RowError(*error) for error in self._all_errors]
        return rx.download(
            data=imports.errors_csv(errors), filename="import-errors.csv", mime_type="text/csv;charset=utf-8"
        )
