"""The settings frame: its side panel, and the refusal shown when a section is not yours."""

import reflex as rx
from sqlmodel import Session

from smslinks.core import webhooks
from smslinks.core.errors import DomainError
from smslinks.core.navigation import settings_sections
from smslinks.core.permissions import Permission, effective_permissions
from smslinks.db import session_scope
from smslinks.models import Employee
from smslinks.state.session import NotSignedIn, SessionState

NO_SETTINGS = "You don't have access to any settings. Ask an administrator if you need it."


class SettingsState(SessionState):
    # {"group": heading shown above the first section of each group, else "", "label", "href"}
    sections: list[dict[str, str]] = []
    # Why the open section is not available to this person ("" when it is).
    refusal: str = ""

    def _enter(self, session: Session, *required: Permission) -> Employee:
        """Fill the side panel, then check the section's own permissions (raises like _authorize)."""
        employee = self._employee(session)
        previous_group = None
        self.sections = []
        for section in settings_sections(effective_permissions(session, employee), webhooks.may_manage(employee)):
            heading = section.group if section.group != previous_group else ""
            self.sections.append({"group": heading, "label": section.label, "href": section.href})
            previous_group = section.group
        self.refusal = ""
        return self._authorize(session, *required)

    def _refuse_section(self, error: DomainError):
        if isinstance(error, NotSignedIn):
            return self._sign_in_redirect()
        self.refusal = error.message

    @rx.event
    def open_first_section(self):
        """/settings lands on the first section this person may use."""
        try:
            with session_scope() as session:
                employee = self._employee(session)
                sections = settings_sections(effective_permissions(session, employee), webhooks.may_manage(employee))
        except DomainError as error:
            return self._refuse_section(error)
        if not sections:
            self.sections = []
            self.refusal = NO_SETTINGS
            return
        return rx.redirect(sections[0].href)
