"""The technician's phone view: today's jobs, and one job with its invoice, kept live while open.

The invoice's "Text Invoice" and "Email Invoice" are the office's send path and dialogs
(SendInvoiceState, core/sending) taking Mobile's door: Via.MOBILE and its settings."""

import dataclasses
from typing import ClassVar

import reflex as rx

from smslinks import routes
from smslinks.core import invoice_view, jobs
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import Permission
from smslinks.core.sending import Via
from smslinks.db import session_scope
from smslinks.models import InvoiceStatus
from smslinks.state.live_invoice import LiveInvoiceState
from smslinks.state.send_invoice import SendInvoiceState
from smslinks.state.session import NotSignedIn, SessionState, route_id


class TechJobsState(SessionState):
    jobs: list[dict] = []
    loaded: bool = False

    @rx.event
    def load(self):
        with session_scope() as session:
            try:
                technician = self._authorize(session, Permission.VIEW_ASSIGNED_JOBS)
            except DomainError as error:
                return self._refuse(error)
            self.jobs = [dataclasses.asdict(row) for row in jobs.todays_jobs(session, technician)]
        self.loaded = True


class TechJobState(LiveInvoiceState, SessionState):
    """/tech/jobs/[job_id]: the job, its invoice and the texts and emails sent for it."""

    LIVE_ROUTE: ClassVar[str] = routes.TECH_JOB

    job: dict = {}
    invoice: dict = {}  # empty when the job has no invoice yet
    lines: list[dict] = []
    timeline: list[dict] = []
    loaded: bool = False
    refused: str = ""

    def _fill(self, session, technician, job_id: int) -> None:
        job = jobs.detail(session, technician, job_id)
        self.job = dataclasses.asdict(job)
        self.invoice, self.lines, self.timeline = {}, [], []
        self._live_invoice_id, self._live_version = 0, None
        if job.invoice_id is not None:
            detail = invoice_view.detail(session, technician, job.invoice_id)
            self.invoice = {k: v for k, v in dataclasses.asdict(detail).items() if not isinstance(v, list)}
            self.lines = [dataclasses.asdict(line) for line in detail.lines]
            self.timeline = [dataclasses.asdict(e) for e in invoice_view.timeline(session, technician, job.invoice_id)]
            self._live_invoice_id = job.invoice_id
            self._live_version = invoice_view.changed_at(session, technician, job.invoice_id)
        self.refused, self.loaded = "", True

    def _reload(self):
        """Fill the page for the job in the URL; the events that keep it current follow."""
        shown = (self.invoice.get("id"), self.invoice.get("status"))
        with session_scope() as session:
            try:
                technician = self._authorize(session, Permission.VIEW_ASSIGNED_JOBS)
                job_id = route_id(self.job_id)
                if job_id is None:
                    raise NotFound(jobs.NOT_YOURS)
                self._fill(session, technician, job_id)
            except DomainError as error:
                self.job, self.invoice, self.lines, self.timeline = {}, {}, [], []
                self._live_invoice_id, self.refused, self.loaded = 0, error.message, True
                return [self._refuse(error)] if isinstance(error, NotSignedIn) else []
        if not self._live_invoice_id:
            return []
        events = [TechSendState.prepare(self._live_invoice_id)]
        paid = InvoiceStatus.PAID.value
        if shown[0] == self._live_invoice_id and shown[1] != paid and self.invoice["status"] == paid:
            events.append(rx.toast.success(f"{self.job['customer']} paid invoice #{self.invoice['number']}."))
        return events

    @rx.event
    def load(self):
        self.invoice, self.loaded = {}, False  # nothing shown yet: opening a paid invoice is no news
        events = self._reload()
        return [*events, TechJobState.watch] if self._live_invoice_id else events

    @rx.event
    def refresh(self):
        if self._live_invoice_id:
            return self._reload()


class TechSendState(SendInvoiceState, SessionState):
    VIA: ClassVar[Via] = Via.MOBILE

    def _after_send(self):
        return TechJobState.refresh
