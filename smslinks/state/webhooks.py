"""Settings > Integrations > Webhooks: endpoints, their events, secrets and delivery logs.

Every handler asks core again (core.webhooks.require_admin, through each core call) whether the
signed-in person is an administrator, and core checks that the endpoint is their business's.
"""

import dataclasses

import reflex as rx
from sqlmodel import Session

from smslinks.core import webhooks
from smslinks.core.errors import DomainError
from smslinks.db import session_scope
from smslinks.models import Employee
from smslinks.state.settings import SettingsState
from smslinks.state.shown_once import show_once

# The page's read-only field that show_once fills.
SECRET_FIELD = "webhook-secret"


def _id(value) -> int:
    """A record id from the client; anything else is an id no business has."""
    return int(value) if isinstance(value, (int, str)) and str(value).isdigit() and len(str(value)) < 12 else 0


class WebhooksState(SettingsState):
    loaded: bool = False
    endpoints: list[dict] = []
    # The open dialog: "" (none), "form" (add, or edit events), "secret", "log", "rotate", "delete".
    dialog: str = ""
    # The endpoint the dialog is about (0: a new one).
    endpoint_id: int = 0
    endpoint_url: str = ""
    form_url: str = ""
    form_events: list[str] = []
    # {field: what to fix}, shown beside the field after a refused save.
    errors: dict[str, str] = {}
    secret_heading: str = ""
    log: list[dict] = []

    def _admin(self, session: Session) -> Employee:
        employee = self._employee(session)
        webhooks.require_admin(employee)
        return employee

    def _fill(self, session: Session, admin: Employee) -> None:
        self.endpoints = [
            {**dataclasses.asdict(row), "events_text": " · ".join(row.events)}
            for row in webhooks.endpoints(session, admin)
        ]
        self.loaded = True

    def _run(self, action, done: str | None = None) -> tuple[bool, object, object]:
        """Do `action(session, admin)` through core and show the list as it is now. Returns whether
        it was done, what it returned, and what to answer the browser (a toast, a redirect)."""
        try:
            with session_scope() as session:
                admin = self._admin(session)
                result = action(session, admin)
                self._fill(session, admin)
        except webhooks.FieldErrors as refused:
            self.errors = refused.fields
            return False, None, None
        except DomainError as error:
            return False, None, self._refuse(error)
        return True, result, rx.toast.success(done) if done else None

    @rx.event
    def load(self):
        try:
            with session_scope() as session:
                employee = self._enter(session)
                webhooks.require_admin(employee)
                self._fill(session, employee)
        except DomainError as error:
            return self._refuse_section(error)

    # --- adding, and the events of one ------------------------------------------------------------

    @rx.event
    def open_add(self):
        self.dialog, self.endpoint_id, self.form_url, self.form_events = "form", 0, "", []
        self.errors = {}

    @rx.event
    def open_events(self, endpoint_id: int):
        shown = next((row for row in self.endpoints if row["id"] == _id(endpoint_id)), None)
        if shown is None:
            return rx.toast.error(webhooks.NO_ENDPOINT)
        self.dialog, self.endpoint_id, self.endpoint_url = "form", shown["id"], shown["url"]
        self.form_events, self.errors = list(shown["events"]), {}

    @rx.event
    def set_form_url(self, text: str):
        self.form_url = str(text)[: webhooks.URL_MAX + 100]
        self.errors = {key: why for key, why in self.errors.items() if key != "url"}

    @rx.event
    def toggle_event(self, name: str, checked: bool):
        if name not in webhooks.EVENT_TYPES:
            return
        chosen = set(self.form_events) | {name} if checked else set(self.form_events) - {name}
        self.form_events = [kind for kind in webhooks.EVENT_TYPES if kind in chosen]
        self.errors = {key: why for key, why in self.errors.items() if key != "events"}

    @rx.event
    def save_form(self):
        if self.endpoint_id:
            done, _, answer = self._run(
                lambda session, admin: webhooks.set_events(session, admin, self.endpoint_id, self.form_events),
                "Events saved.",
            )
            if done:
                self.dialog = ""
            return answer
        done, added, answer = self._run(
            lambda session, admin: webhooks.add_endpoint(session, admin, self.form_url, self.form_events)
        )
        if not done:
            return answer
        endpoint_id, secret = added
        return self._show_secret(endpoint_id, "Endpoint added", secret)

    def _show_secret(self, endpoint_id: int, heading: str, secret: str):
        self.dialog, self.endpoint_id, self.secret_heading = "secret", endpoint_id, heading
        self.endpoint_url = next((row["url"] for row in self.endpoints if row["id"] == endpoint_id), "")
        return show_once(SECRET_FIELD, secret)

    @rx.event
    def close_dialog(self, open_: bool = False):
        if not open_:
            self.dialog, self.log = "", []

    # --- switching, rotating, deleting ---------------------------------------------------------------

    @rx.event
    def set_enabled(self, endpoint_id: int, enabled: bool):
        return self._run(
            lambda session, admin: webhooks.set_enabled(session, admin, _id(endpoint_id), bool(enabled)),
            "Endpoint enabled." if enabled else "Endpoint disabled: it receives nothing until you enable it.",
        )[2]

    @rx.event
    def confirm(self, what: str, endpoint_id: int):
        shown = next((row for row in self.endpoints if row["id"] == _id(endpoint_id)), None)
        if what not in ("rotate", "delete") or shown is None:
            return
        self.dialog, self.endpoint_id, self.endpoint_url = what, shown["id"], shown["url"]

    @rx.event
    def rotate(self):
        done, secret, answer = self._run(
            lambda session, admin: webhooks.rotate_secret(session, admin, self.endpoint_id)
        )
        if not done:
            self.dialog = ""
            return answer
        return self._show_secret(self.endpoint_id, "New signing secret", secret)

    @rx.event
    def delete(self):
        answer = self._run(
            lambda session, admin: webhooks.delete_endpoint(session, admin, self.endpoint_id), "Endpoint deleted."
        )[2]
        self.dialog = ""
        return answer

    # --- the delivery log ------------------------------------------------------------------------------

    def _show_log(self, session: Session, admin: Employee) -> None:
        self.log = [dataclasses.asdict(row) for row in webhooks.deliveries(session, admin, self.endpoint_id)]

    @rx.event
    def open_log(self, endpoint_id: int):
        self.endpoint_id = _id(endpoint_id)
        done, _, answer = self._run(self._show_log)
        if done:
            self.endpoint_url = next((row["url"] for row in self.endpoints if row["id"] == self.endpoint_id), "")
            self.dialog = "log"
        return answer

    @rx.event
    def refresh_log(self):
        return self._run(self._show_log)[2]

    @rx.event
    def resend(self, delivery_id: int):
        def resend_and_show(session: Session, admin: Employee) -> None:
            webhooks.resend(session, admin, _id(delivery_id))
            self._show_log(session, admin)

        return self._run(resend_and_show, "Sending it again now, with the same webhook-id.")[2]
