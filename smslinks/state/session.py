"""Who is asking. Every staff page's State inherits from SessionState and asks it again in each
handler: a handler can be called over the websocket whether or not its page is on screen."""

import json
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

import reflex as rx
from sqlmodel import Session

from smslinks import routes
from smslinks.core import auth, company, tokens
from smslinks.core.errors import DomainError, NotAllowed
from smslinks.core.navigation import home_route, nav_items, safe_next
from smslinks.core.permissions import Permission, effective_permissions
from smslinks.db import session_scope
from smslinks.models import Employee


class NotSignedIn(NotAllowed):
    pass


class MustChoosePassword(NotAllowed):
    """Signed in with a temporary password: nothing else until they choose their own."""


def route_id(value) -> int | None:
    """A record id from a dynamic route segment (a string from the client), or None if it is not one."""
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 12 else None


def save_session_cookie(token: str) -> str:
    """A script: the server sets the session cookie, HttpOnly (api/session_cookie.py), for the next
    pages and tabs this browser opens. The token passes through the browser's script once, as the
    password typed a moment ago did, and is never kept in state."""
    return f"fetch({json.dumps(routes.AUTH_SESSION)}, {{method: 'POST', body: {json.dumps(token)}}}).then(r => r.ok)"


class SessionState(rx.State):
    # The session this tab signed in to, by hash, and the websocket it signed in on: its next pages
    # need no reload to know it. Any later connection goes by the cookie it brought (_session).
    _signed_session: tokens.Hashed = tokens.Hashed("")
    _signed_on: str = ""
    _after_sign_in: str = ""  # where a sign-in goes once the browser holds the cookie
    # What the layout shows; filled by check_signed_in.
    employee_name: str = ""
    employee_role: str = ""
    nav: list[dict[str, str]] = []
    signed_in: bool = False

    def _start_session(self, token: str, destination: str):
        """A sign-in's answer: this tab knows the session (by hash); the browser gets the cookie, then
        goes on (a page opened before the cookie is set would ask for a sign-in again)."""
        self._signed_session = tokens.Hashed(tokens.token_hash(token))
        self._signed_on = self.router.session.session_id
        self._after_sign_in = destination
        return rx.call_script(save_session_cookie(token), callback=SessionState.cookie_saved)

    @rx.event
    def cookie_saved(self, _saved: bool):
        destination, self._after_sign_in = self._after_sign_in, ""
        return rx.redirect(destination) if destination else None

    def _session(self) -> tokens.Hashed:
        """This tab's session: the one it signed in to on this websocket, else the cookie its websocket
        brought, hashed before Reflex saw it (api/state_secrets.py); a reload with the cookie gone is
        signed out. The state store holds no usable session token."""
        if self._signed_session.value and self._signed_on == self.router.session.session_id:
            return self._signed_session
        try:
            cookie = SimpleCookie(self.router.headers.cookie or "").get(routes.SESSION_COOKIE)
        except CookieError:
            cookie = None
        return tokens.Hashed(cookie.value if cookie else "")

    def _employee(self, session: Session) -> Employee:
        employee = auth.employee_for_token(session, self._session())
        if employee is None:
            raise NotSignedIn("Your session has ended. Sign in again.")
        if employee.must_change_password:
            raise MustChoosePassword("Choose your own password first.")
        return employee

    def _authorize(self, session: Session, *required: Permission) -> Employee:
        """The signed-in employee, if they hold every required permission; else NotAllowed."""
        employee = self._employee(session)
        permissions = effective_permissions(session, employee)
        missing = [p for p in required if p not in permissions]
        if missing:
            raise NotAllowed(f'You need the "{missing[0].value}" permission to do this.')
        return employee

    def _sign_in_redirect(self):
        self.signed_in = False
        path = self.router.url.path or routes.HOME
        return rx.redirect(f"{routes.SIGN_IN}?next={quote(path)}")

    def _refuse(self, error: DomainError):
        """The standard answer to a refused handler call."""
        if isinstance(error, NotSignedIn):
            return self._sign_in_redirect()
        if isinstance(error, MustChoosePassword):
            return rx.redirect(routes.CHOOSE_PASSWORD)
        return rx.toast.error(error.message)

    @rx.event
    def check_signed_in(self):
        """on_load of every staff page: fill the layout or send the visitor to sign in."""
        with session_scope() as session:
            employee = auth.employee_for_token(session, self._session())
            if employee is None:
                if not company.is_set_up(session):  # a clean install: the first-run page
                    return rx.redirect(routes.SETUP)
                return self._sign_in_redirect()
            if employee.must_change_password:
                return rx.redirect(routes.CHOOSE_PASSWORD)
            permissions = effective_permissions(session, employee)
            self.employee_name = employee.name
            self.employee_role = employee.role
            self.nav = [{"label": item.label, "href": item.href, "icon": item.icon} for item in nav_items(permissions)]
            self.signed_in = True
            if self.router.url.path in ("", routes.HOME):
                return rx.redirect(home_route(permissions))

    @rx.event
    def sign_out(self):
        with session_scope() as session:
            auth.sign_out(session, self._session())
        self._signed_session = tokens.Hashed("")
        self.signed_in = False
        self.nav = []
        # The server clears the HttpOnly cookie; a fresh client token on reload: no page state of this
        # person survives in the tab.
        clear = f"fetch({json.dumps(routes.AUTH_SESSION)}, {{method: 'DELETE'}})"
        return [
            rx.remove_session_storage("token"),
            rx.call_script(f"{clear}.finally(() => window.location.replace({json.dumps(routes.SIGN_IN)}))"),
        ]


class SignInState(SessionState):
    error: str = ""

    @rx.event
    def submit(self, form: dict):
        email = str(form.get("email", ""))[:254]
        password = str(form.get("password", ""))[:1024]
        client = self.router.session.client_ip or "unknown"
        with session_scope() as session:
            try:
                signed = auth.sign_in(session, email, password, client)
            except DomainError as error:
                self.error = error.message
                return
            employee = session.get(Employee, signed.employee_id)
            permissions = effective_permissions(session, employee)
        self.error = ""
        if signed.must_change_password:
            return self._start_session(signed.token, routes.CHOOSE_PASSWORD)
        next_path = safe_next(self.router.url.query_parameters.get("next"))
        return self._start_session(signed.token, next_path or home_route(permissions))

    @rx.event
    def skip_if_signed_in(self):
        self.error = ""
        with session_scope() as session:
            employee = auth.employee_for_token(session, self._session())
            if employee is not None:
                return rx.redirect(home_route(effective_permissions(session, employee)))
            if not company.is_set_up(session):  # a clean install: nobody to sign in yet
                return rx.redirect(routes.SETUP)
