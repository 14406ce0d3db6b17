"""Settings > Online Payments > Reminders, and the invoice page's Pause / Resume: thin handlers
that re-check the signed-in person through core."""

import reflex as rx

from smslinks.core import reminders
from smslinks.core.errors import DomainError, NotAllowed
from smslinks.core.permissions import Permission
from smslinks.db import session_scope
from smslinks.state.session import SessionState, route_id


class ReminderSettingsState(SessionState):
    loaded: bool = False
    enabled: bool = False
    days: str = ""
    summary: str = ""  # "3, 7 and 14 days after the first text", or "" while the days are not valid
    days_error: str = ""
    has_changes: bool = False
    preview: dict[str, str] = {}
    _saved: dict = {}

    def _show(self, view: reminders.ReminderSettings) -> None:
        self.enabled, self.days = view.enabled, view.days
        self.preview = {
            "text": view.preview,
            "characters": str(view.characters),
            "encoding": view.encoding,
            "segments": str(view.segments),
        }
        self._saved = {"enabled": view.enabled, "days": view.days}
        self.has_changes, self.days_error = False, ""
        self._describe()
        self.loaded = True

    def _describe(self) -> None:
        try:
            self.summary = reminders.describe_cadence(reminders.parse_cadence(self.days))
        except DomainError:
            self.summary = ""
        self.has_changes = {"enabled": self.enabled, "days": self.days} != self._saved

    @rx.event
    def load(self):
        try:
            with session_scope() as session:
                self._authorize(session, Permission.MANAGE_ONLINE_PAYMENTS)
                view = reminders.settings_view(session, self._employee(session))
        except DomainError:
            return  # the Online Payments page says why the section is not available
        self._show(view)

    @rx.event
    def set_enabled(self, on: bool):
        self.enabled = bool(on)
        self._describe()

    @rx.event
    def set_days(self, text: str):
        self.days, self.days_error = str(text)[:40], ""
        self._describe()

    @rx.event
    def save(self):
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.MANAGE_ONLINE_PAYMENTS)
                view = reminders.save_settings(session, employee, self.enabled, self.days)
        except NotAllowed as error:
            return self._refuse(error)
        except DomainError as error:  # what to fix, beside the field; nothing was saved
            self.days_error = error.message
            return
        self._show(view)
        return rx.toast.success("Reminder settings saved.")


class InvoiceRemindersState(SessionState):
    """The invoice page's reminders line and its Pause / Resume button."""

    reminder_line: str = ""
    can_pause: bool = False
    can_resume: bool = False

    def _invoice_id(self) -> int:
        return route_id(self.invoice_id) or 0

    def _refresh(self, session) -> None:
        status = reminders.status(session, self._employee(session), self._invoice_id())
        self.reminder_line, self.can_pause, self.can_resume = status.line, status.can_pause, status.can_resume

    @rx.event
    def load(self):
        try:
            with session_scope() as session:
                self._refresh(session)
        except DomainError:
            self.reminder_line, self.can_pause, self.can_resume = "", False, False

    def _change(self, change, done: str):
        try:
            with session_scope() as session:
                change(session, self._employee(session), self._invoice_id())
                session.commit()
                self._refresh(session)
        except DomainError as error:
            return self._refuse(error)
        return rx.toast.success(done)

    @rx.event
    def pause(self):
        return self._change(reminders.pause, "Reminders paused.")

    @rx.event
    def resume(self):
        return self._change(reminders.resume, "Reminders resumed.")
