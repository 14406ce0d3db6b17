"""Settings > Company: a draft of the business's profile, saved through core.company."""

import reflex as rx
from sqlmodel import Session

from smslinks.core import company
from smslinks.core.errors import DomainError
from smslinks.core.permissions import Permission
from smslinks.db import session_scope
from smslinks.models import Business, Employee
from smslinks.state.settings import SettingsState

# Field -> longest text kept while typing (core checks the real limits on save).
FIELDS = {
    "name": 200,
    "phone": 40,
    "email": 300,
    "street": 250,
    "city": 150,
    "region": 60,
    "postal_code": 30,
    "time_zone": 80,
    "host": 300,
}
# Fields the SMS preview shows: it follows them as they are typed.
PREVIEWED = ("name", "host")


class CompanyState(SettingsState):
    loaded: bool = False
    draft: dict[str, str] = {}
    # {field: what to fix}, shown beside each field after a refused save.
    errors: dict[str, str] = {}
    has_changes: bool = False
    zone_hint: str = ""
    preview: dict[str, str] = {}
    _saved: dict[str, str] = {}

    def _show_preview(self, session: Session, employee: Employee) -> None:
        shown = company.preview(session, employee, self.draft.get("name", ""), self.draft.get("host", ""))
        self.preview = {
            "text": shown.text,
            "characters": str(shown.characters),
            "encoding": shown.encoding,
            "segments": str(shown.segments),
            "segments_word": "segment" if shown.segments == 1 else "segments",
        }

    def _show(self, session: Session, employee: Employee) -> None:
        self.draft = company.editable_profile(session.get(Business, employee.business_id))
        self._saved = dict(self.draft)
        self.errors = {}
        self.has_changes = False
        self.zone_hint = company.zone_hint(self.draft["time_zone"], self.draft["postal_code"], self.draft["region"])
        self._show_preview(session, employee)
        self.loaded = True

    def _load(self):
        try:
            with session_scope() as session:
                employee = self._enter(session, Permission.MANAGE_COMPANY)
                self._show(session, employee)
        except DomainError as error:
            return self._refuse_section(error)

    @rx.event
    def load(self):
        return self._load()

    @rx.event
    def set_field(self, name: str, text: str):
        """Keep what was typed (checked on save); the preview follows the name and link host."""
        if name not in FIELDS:
            return rx.toast.error("There is no such field.")
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.MANAGE_COMPANY)
                self.draft = {**self.draft, name: str(text)[: FIELDS[name]]}
                if name in PREVIEWED:
                    self._show_preview(session, employee)
        except DomainError as error:
            return self._refuse(error)
        if name in ("time_zone", "postal_code", "region"):
            self.zone_hint = company.zone_hint(self.draft["time_zone"], self.draft["postal_code"], self.draft["region"])
        self.errors = {key: why for key, why in self.errors.items() if key != name}
        self.has_changes = self.draft != self._saved

    @rx.event
    def save(self):
        profile = company.CompanyProfile(**{name: self.draft.get(name, "") for name in company.PROFILE_FIELDS})
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.MANAGE_COMPANY)
                company.update_profile(session, employee, profile, self.draft.get("host", ""))
        except company.FieldErrors as refused:
            # The draft stays as it is, so nothing typed is lost.
            self.errors = refused.fields
            return
        except DomainError as error:  # not allowed, or signed out
            return self._refuse(error)
        self._load()
        return rx.toast.success("Company profile saved.")

    @rx.event
    def discard(self):
        """Back to the profile as it is in the database now."""
        return self._load()
