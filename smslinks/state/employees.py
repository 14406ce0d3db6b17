"""Settings > Company > Employees: the roster, adding people, roles, deactivation, and one
employee's permissions at a time."""

import dataclasses

import reflex as rx
from sqlmodel import Session

from smslinks import routes
from smslinks.config import get_settings
from smslinks.core import employees
from smslinks.core.employees import Added
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import Permission
from smslinks.db import session_scope
from smslinks.models import Employee, Role
from smslinks.state.settings import SettingsState
from smslinks.state.shown_once import show_once

ROLES = [role.value for role in Role]
NO_ERRORS = {"name": "", "email": "", "role": ""}
# The page's read-only field that show_once fills.
SECRET_FIELD = "new-employee-secret"


def _employee_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound("That employee does not exist or is not in your business.") from None


class EmployeesState(SettingsState):
    loaded: bool = False
    employees: list[dict] = []
    # The employee whose permissions are open in the dialog (0: none).
    editing_id: int = 0
    editing_name: str = ""
    editing_role: str = ""
    permission_rows: list[dict] = []
    # The "Add employee" dialog: closed, "form", or "added" (the link or password shown once).
    adding: str = ""
    add_errors: dict[str, str] = NO_ERRORS
    added_name: str = ""
    added_heading: str = ""
    added_access: str = ""
    # The employee whose deactivation waits for a confirmation (0: none).
    confirming_id: int = 0
    confirming_name: str = ""

    def _admin(self, session: Session) -> Employee:
        return self._authorize(session, Permission.MANAGE_EMPLOYEES)

    def _fill(self, session: Session, admin: Employee) -> None:
        self.employees = [dataclasses.asdict(row) for row in employees.roster(session, admin)]
        if self.editing_id:
            colleague = employees.colleague(session, admin, self.editing_id)
            self.editing_name, self.editing_role = colleague.name, colleague.role
            self.permission_rows = [
                dataclasses.asdict(row) for row in employees.permission_rows(session, admin, self.editing_id)
            ]
        self.loaded = True

    @rx.event
    def load(self):
        self.editing_id, self.confirming_id, self.adding = 0, 0, ""
        try:
            with session_scope() as session:
                self._fill(session, self._enter(session, Permission.MANAGE_EMPLOYEES))
        except DomainError as error:
            return self._refuse_section(error)

    @rx.event
    def open_editor(self, employee_id: int):
        try:
            with session_scope() as session:
                admin = self._admin(session)
                self.editing_id = employees.colleague(session, admin, _employee_id(employee_id)).id
                self._fill(session, admin)
        except DomainError as error:
            self.editing_id = 0
            return self._refuse(error)

    @rx.event
    def close_editor(self, is_open: bool = False):
        try:
            with session_scope() as session:
                self._admin(session)
        except DomainError as error:
            return self._refuse(error)
        if not is_open:
            self.editing_id = 0
            self.permission_rows = []

    @rx.event
    def set_permission(self, permission: str, granted: bool):
        try:
            with session_scope() as session:
                admin = self._admin(session)
                name = employees.change(session, admin, self.editing_id, str(permission), granted).name
            with session_scope() as session:
                self._fill(session, self._admin(session))
        except DomainError as error:
            return self._refuse(error)
        if granted:
            return rx.toast.success(f'Granted "{permission}" to {name}.')
        return rx.toast.success(f'Removed "{permission}" from {name}.')

    # --- Adding an employee -----------------------------------------------------------------

    @rx.event
    def open_add(self):
        try:
            with session_scope() as session:
                self._admin(session)
        except DomainError as error:
            return self._refuse(error)
        self.adding, self.add_errors, self.added_name, self.added_access = "form", NO_ERRORS, "", ""

    @rx.event
    def close_add(self, is_open: bool = False):
        if not is_open:
            self.adding, self.add_errors, self.added_name, self.added_access = "", NO_ERRORS, "", ""

    @rx.event
    def add(self, form: dict):
        fields = {key: str(form.get(key, ""))[:300] for key in ("name", "email", "role", "access")}
        try:
            with session_scope() as session:
                added = employees.add_employee(
                    session, self._admin(session), fields["name"], fields["email"], fields["role"], fields["access"]
                )
            with session_scope() as session:
                self._fill(session, self._admin(session))
        except employees.FieldErrors as error:
            self.add_errors = NO_ERRORS | error.fields
            return
        except DomainError as error:
            return self._refuse(error)
        return self._show_added(added, f"{added.name} is added")

    def _show_added(self, added: Added, heading: str):
        self.add_errors, self.adding, self.added_heading = NO_ERRORS, "added", heading
        self.added_name, self.added_access = added.name, added.access.value
        secret = added.secret
        if added.access is employees.Access.INVITATION:
            secret = get_settings().public_url.rstrip("/") + routes.invite(added.secret)
        return show_once(SECRET_FIELD, secret)

    @rx.event
    def new_link(self, employee_id: int):
        """Another invitation link for someone who has not chosen a password yet."""
        try:
            with session_scope() as session:
                added = employees.new_invitation(session, self._admin(session), _employee_id(employee_id))
        except DomainError as error:
            return self._refuse(error)
        return self._show_added(added, f"New invitation link for {added.name}")

    # --- Role, deactivation -----------------------------------------------------------------

    @rx.event
    def change_role(self, employee_id: int, role: str):
        try:
            with session_scope() as session:
                employee = employees.change_role(session, self._admin(session), _employee_id(employee_id), str(role))
                name, new_role = employee.name, employee.role
            with session_scope() as session:
                self._fill(session, self._admin(session))
        except DomainError as error:
            return self._refuse(error)  # the role menu still shows the saved role
        return rx.toast.success(f"{name} is now {new_role}.")

    @rx.event
    def ask_deactivate(self, employee_id: int):
        try:
            with session_scope() as session:
                employee = employees.colleague(session, self._admin(session), _employee_id(employee_id))
                self.confirming_id, self.confirming_name = employee.id, employee.name
        except DomainError as error:
            return self._refuse(error)

    @rx.event
    def cancel_deactivate(self, is_open: bool = False):
        if not is_open:
            self.confirming_id, self.confirming_name = 0, ""

    @rx.event
    def deactivate(self):
        employee_id, self.confirming_id, self.confirming_name = self.confirming_id, 0, ""
        try:
            with session_scope() as session:
                name = employees.deactivate(session, self._admin(session), employee_id).name
            with session_scope() as session:
                self._fill(session, self._admin(session))
        except DomainError as error:
            return self._refuse(error)
        return rx.toast.success(f"{name} is deactivated and signed out everywhere.")

    @rx.event
    def reactivate(self, employee_id: int):
        try:
            with session_scope() as session:
                name = employees.reactivate(session, self._admin(session), _employee_id(employee_id)).name
            with session_scope() as session:
                self._fill(session, self._admin(session))
        except DomainError as error:
            return self._refuse(error)
        return rx.toast.success(f"{name} is active again and can sign in.")
