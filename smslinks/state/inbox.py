"""The replies inbox (/inbox) and the unread count in the top navigation, both kept live.

Every staff page starts `watch` on load: it polls (unread, newest reply id) every POLL_SECONDS and,
when that changes, updates the badge and, on the Inbox page, the thread list and the open thread.
Like LiveInvoiceState, only the newest watcher of a tab keeps polling.
"""

import asyncio
import dataclasses
import secrets
import time

import reflex as rx

from smslinks import routes
from smslinks.core import auth, replies, sms_text, tokens
from smslinks.core.errors import DomainError
from smslinks.core.permissions import Permission, has_permission
from smslinks.db import session_scope
from smslinks.state.session import SessionState

POLL_SECONDS = 2.0
WATCH_LIMIT_SECONDS = 12 * 3600
MAX_NUMBER = 20  # E.164


def _activity(session_token: tokens.Hashed) -> tuple[int, int] | None:
    """(unread, newest id) for an employee who may see the inbox, else None."""
    with session_scope() as session:
        employee = auth.employee_for_token(session, session_token)
        if employee is None or not has_permission(session, employee, Permission.VIEW_INVOICES):
            return None
        return replies.activity(session, employee)


class InboxState(SessionState):
    unread: int = 0
    threads: list[dict] = []
    selected: str = ""  # the open thread's number (E.164)
    thread: dict = {}
    entries: list[dict] = []
    answer: str = ""
    answer_note: str = ""  # characters and segments of the answer as it will go
    answer_error: str = ""
    loaded: bool = False
    refused: str = ""
    _answer_key: str = ""
    _seen: tuple[int, int] = (-1, -1)
    _watcher: str = ""

    def _fill(self) -> None:
        """The thread list and the open thread (opening marks its replies read)."""
        with session_scope() as session:
            employee = self._authorize(session, Permission.VIEW_INVOICES)
            if self.selected:
                opened = replies.thread(session, employee, self.selected)
                self.thread = {k: v for k, v in dataclasses.asdict(opened).items() if k != "entries"}
                self.entries = [dataclasses.asdict(entry) for entry in opened.entries]
            self.threads = [dataclasses.asdict(row) for row in replies.threads(session, employee)]
            self._seen = replies.activity(session, employee)
            self.unread = self._seen[0]

    @rx.event
    def load(self):
        self.loaded, self.refused = False, ""
        wanted = str(self.router.url.query_parameters.get("number", "")).strip().lstrip("+")  # "+" reads as " "
        self.selected = f"+{wanted}" if wanted.isdigit() and len(wanted) < MAX_NUMBER else ""
        self._reset_answer()
        try:
            self._fill()
        except DomainError as error:
            self.selected, self.thread, self.entries, self.threads = "", {}, [], []
            self.refused = error.message
            return self._refuse(error)
        finally:
            self.loaded = True

    @rx.event
    def open_thread(self, number: str):
        if not isinstance(number, str) or not 0 < len(number) <= MAX_NUMBER:
            return
        self.selected = number
        self._reset_answer()
        try:
            self._fill()
        except DomainError as error:
            self.selected, self.thread, self.entries = "", {}, []
            return self._refuse(error)

    @rx.event
    def close_thread(self):
        self.selected, self.thread, self.entries = "", {}, []

    def _reset_answer(self) -> None:
        self.answer, self.answer_note, self.answer_error = "", "", ""
        self._answer_key = replies.new_answer_key()

    @rx.event
    def set_answer(self, value: str):
        self.answer = str(value)[:1600]
        self.answer_error = ""
        name = self.thread.get("business_name", "")
        self.answer_note = (
            sms_text.segment_info(replies.answer_body(name, self.answer)).describe() if self.answer.strip() else ""
        )

    @rx.event
    def send_answer(self):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES)
                replies.answer(session, employee, self.selected, self.answer, key=self._answer_key)
            except DomainError as error:
                self.answer_error = error.message
                return None
        self._reset_answer()
        self._fill()
        return rx.toast.success("Answer queued to send.")

    @rx.event
    def mark_done(self):
        with session_scope() as session:
            try:
                employee = self._authorize(session, Permission.VIEW_INVOICES)
                replies.mark_done(session, employee, self.selected)
            except DomainError as error:
                return self._refuse(error)
        self._fill()

    @rx.event(background=True)
    async def watch(self):
        me = secrets.token_hex(8)
        async with self:
            self._watcher = me
        started = time.monotonic()
        while time.monotonic() - started < WATCH_LIMIT_SECONDS:
            async with self:
                if self._watcher != me:
                    return
                token = self._session()
            seen = await asyncio.to_thread(_activity, token)
            async with self:
                if seen is None or self._watcher != me:
                    return
                if seen != self._seen:
                    self._seen, self.unread = seen, seen[0]
                    if self.router.route_id == routes.INBOX:
                        self._fill()
            await asyncio.sleep(POLL_SECONDS)
