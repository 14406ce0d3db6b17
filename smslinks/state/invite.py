"""A new employee's side: the invitation link (/invite/[token]) and, after a temporary password,
choosing their own (/account/password). Neither needs "Manage employees"; each handler asks core
again whether the link, or the session, still allows it."""

import reflex as rx

from smslinks.core import auth, employees, tokens
from smslinks.core.errors import DomainError
from smslinks.core.navigation import home_route
from smslinks.core.permissions import effective_permissions
from smslinks.db import session_scope
from smslinks.models import Employee
from smslinks.state.session import SessionState

NO_ERRORS = {"password": "", "again": ""}


def _form_password(form: dict, key: str) -> str:
    return str(form.get(key, ""))[:1024]


class InviteState(SessionState):
    # The link's token, known only by its hash (api/state_secrets.py hashes it on the websocket before
    # Reflex keeps the page's path), lives only in the backend, like the pay page's.
    _token: tokens.Hashed = tokens.Hashed("")
    # "loading", "form", "unusable"
    screen: str = "loading"
    invited_name: str = ""
    invited_email: str = ""
    business_name: str = ""
    unusable: str = ""
    errors: dict[str, str] = NO_ERRORS

    @rx.event
    def open_invitation(self):
        self._token = tokens.Hashed(str(self.token or "")[:100])
        self.errors = NO_ERRORS
        try:
            with session_scope() as session:
                view = employees.invitation(session, self._token)
        except DomainError as error:
            self.screen, self.unusable = "unusable", error.message
            return
        self.invited_name, self.invited_email, self.business_name = view.name, view.email, view.business_name
        self.screen = "form"

    @rx.event
    def accept(self, form: dict):
        try:
            with session_scope() as session:
                signed = employees.accept_invitation(
                    session, self._token, _form_password(form, "password"), _form_password(form, "again")
                )
                employee = session.get(Employee, signed.employee_id)
                destination = home_route(effective_permissions(session, employee))
        except employees.FieldErrors as error:
            self.errors = NO_ERRORS | error.fields
            return
        except DomainError as error:
            self.screen, self.unusable = "unusable", error.message
            return
        self._token, self.errors = tokens.Hashed(""), NO_ERRORS
        return self._start_session(signed.token, destination)


class ChoosePasswordState(SessionState):
    errors: dict[str, str] = NO_ERRORS
    ready: bool = False

    @rx.event
    def open_page(self):
        self.errors = NO_ERRORS
        with session_scope() as session:
            employee = auth.employee_for_token(session, self._session())
            if employee is None:
                return self._sign_in_redirect()
            if not employee.must_change_password:
                return rx.redirect(home_route(effective_permissions(session, employee)))
            self.employee_name = employee.name
        self.ready = True

    @rx.event
    def choose(self, form: dict):
        try:
            with session_scope() as session:
                employee = auth.employee_for_token(session, self._session())
                if employee is None:
                    return self._sign_in_redirect()
                employees.choose_password(
                    session, employee, _form_password(form, "password"), _form_password(form, "again")
                )
                destination = home_route(effective_permissions(session, employee))
        except employees.FieldErrors as error:
            self.errors = NO_ERRORS | error.fields
            return
        except DomainError as error:
            return rx.toast.error(error.message)
        self.errors = NO_ERRORS
        return [rx.toast.success("Your password is saved."), rx.redirect(destination)]
