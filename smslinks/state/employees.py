"""Settings > Company > Employees: the roster and one employee's permissions at a time."""

import dataclasses

import reflex as rx
from sqlmodel import Session

from smslinks.core import employees
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import Permission
from smslinks.db import session_scope
from smslinks.models import Employee
from smslinks.state.settings import SettingsState


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
        self.editing_id = 0
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
