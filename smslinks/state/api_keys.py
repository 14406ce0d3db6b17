"""Settings > Integrations > API keys: the business's keys, making one (shown once), revoking one."""

import reflex as rx
from sqlmodel import Session

from smslinks import routes
from smslinks.config import get_settings
from smslinks.core import api_keys, display
from smslinks.core.company import FieldErrors
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import Permission
from smslinks.db import session_scope
from smslinks.models import Business, Employee
from smslinks.state.settings import SettingsState
from smslinks.state.shown_once import show_once

# The page's read-only field that show_once fills.
NEW_KEY_FIELD = "new-api-key"


def _key_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(api_keys.NOT_FOUND) from None


class ApiKeysState(SettingsState):
    loaded: bool = False
    # {"id", "name", "prefix", "created", "last_used", "revoked"}: never the key, never its hash.
    keys: list[dict] = []
    # The "Create API key" dialog: closed, "form", or "created" (the key shown once).
    creating: str = ""
    name_error: str = ""
    created_name: str = ""
    # The key whose revocation waits for a confirmation (0: none).
    confirming_id: int = 0
    confirming_name: str = ""
    # Where other systems reach the API: the backend (the same host as the pages in production). Set
    # by load, not a computed var: Reflex would compute and store that for every visitor of any page.
    api_url: str = ""

    def _admin(self, session: Session) -> Employee:
        return self._authorize(session, Permission.MANAGE_EMPLOYEES)

    def _fill(self, session: Session, admin: Employee) -> None:
        zone = session.get(Business, admin.business_id).time_zone
        self.keys = [
            {
                "id": row.id,
                "name": row.name,
                "prefix": row.prefix,
                "created": f"{display.moment(row.created_at, zone)} by {row.created_by}",
                "last_used": display.moment(row.last_used_at, zone) if row.last_used_at else "Never used",
                "revoked": display.moment(row.revoked_at, zone) if row.revoked_at else "",
            }
            for row in api_keys.list_keys(session, admin)
        ]
        self.loaded = True

    @rx.event
    def load(self):
        self.creating, self.confirming_id = "", 0
        self.api_url = get_settings().backend_url + routes.API_V1
        try:
            with session_scope() as session:
                self._fill(session, self._enter(session, Permission.MANAGE_EMPLOYEES))
        except DomainError as error:
            return self._refuse_section(error)

    @rx.event
    def open_create(self):
        try:
            with session_scope() as session:
                self._admin(session)
        except DomainError as error:
            return self._refuse(error)
        self.creating, self.name_error, self.created_name = "form", "", ""

    @rx.event
    def close_create(self, is_open: bool = False):
        if not is_open:
            self.creating, self.name_error, self.created_name = "", "", ""

    @rx.event
    def create(self, form: dict):
        try:
            with session_scope() as session:
                new = api_keys.create(session, self._admin(session), str(form.get("name", ""))[:200])
            with session_scope() as session:
                self._fill(session, self._admin(session))
        except FieldErrors as error:
            self.name_error = error.fields.get("name", error.message)
            return
        except DomainError as error:
            return self._refuse(error)
        self.creating, self.name_error, self.created_name = "created", "", new.name
        return show_once(NEW_KEY_FIELD, new.key)

    @rx.event
    def ask_revoke(self, key_id: int):
        try:
            with session_scope() as session:
                self._admin(session)
                row = next((k for k in self.keys if k["id"] == _key_id(key_id) and not k["revoked"]), None)
                if row is None:
                    raise NotFound(api_keys.NOT_FOUND)
                self.confirming_id, self.confirming_name = row["id"], row["name"]
        except DomainError as error:
            return self._refuse(error)

    @rx.event
    def cancel_revoke(self, is_open: bool = False):
        if not is_open:
            self.confirming_id, self.confirming_name = 0, ""

    @rx.event
    def revoke(self):
        key_id, self.confirming_id, self.confirming_name = self.confirming_id, 0, ""
        try:
            with session_scope() as session:
                name = api_keys.revoke(session, self._admin(session), key_id).name
            with session_scope() as session:
                self._fill(session, self._admin(session))
        except DomainError as error:
            return self._refuse(error)
        return rx.toast.success(f'The key "{name}" is revoked: requests with it are refused from now on.')
