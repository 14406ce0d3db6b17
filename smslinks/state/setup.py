"""/setup: the browser's first run. The one-time code the server printed, the business and its
first administrator, checked and written by core in one go; then the administrator is signed in."""

import reflex as rx

from smslinks import routes
from smslinks.core import auth, company
from smslinks.core.errors import DomainError
from smslinks.db import session_scope
from smslinks.state.session import SessionState

# Form field -> longest text kept (longer input is cut before core sees it; core checks the rest).
FIELDS = {
    "code": 32,
    "name": 200,
    "phone": 40,
    "email": 300,
    "street": 250,
    "city": 150,
    "region": 60,
    "postal_code": 30,
    "time_zone": 80,
    "admin_name": 200,
    "admin_email": 300,
    "admin_password": 1100,
    "admin_password_again": 1100,
}
PROFILE = ("name", "phone", "email", "time_zone", "street", "city", "region", "postal_code")


class SetupState(SessionState):
    # {field: what to fix}, shown beside each field; "form" for a refusal of the whole form.
    errors: dict[str, str] = {}
    # What the time zone will be, named for people ("Central Time, from the ZIP code").
    zone_hint: str = ""
    typed_zone: str = ""
    typed_zip: str = ""

    @rx.event
    def load(self):
        """Only while there is no business: afterwards /setup is closed (sign-in takes over)."""
        self.errors = {}
        with session_scope() as session:
            if company.is_set_up(session):
                return rx.redirect(routes.SIGN_IN)

    @rx.event
    def zone_typed(self, text: str):
        self.typed_zone = str(text)[: FIELDS["time_zone"]]
        self.zone_hint = company.zone_hint(self.typed_zone, self.typed_zip)

    @rx.event
    def zip_typed(self, text: str):
        self.typed_zip = str(text)[: FIELDS["postal_code"]]
        self.zone_hint = company.zone_hint(self.typed_zone, self.typed_zip)

    @rx.event
    def submit(self, form: dict):
        values = {name: str(form.get(name, ""))[:limit] for name, limit in FIELDS.items()}
        client = self.router.session.client_ip or "unknown"
        profile = company.CompanyProfile(**{name: values[name] for name in PROFILE})
        try:
            with session_scope() as session:
                company.set_up_with_code(
                    session,
                    values["code"],
                    profile,
                    admin_name=values["admin_name"],
                    admin_email=values["admin_email"],
                    admin_password=values["admin_password"],
                    admin_password_again=values["admin_password_again"],
                    client=client,
                )
        except company.FieldErrors as refused:
            self.errors = refused.fields
            return
        except DomainError as refused:
            self.errors = {"form": refused.message}
            return
        self.errors = {}
        with session_scope() as session:
            signed = auth.sign_in(session, values["admin_email"], values["admin_password"], client)
        return self._start_session(signed.token, routes.SETTINGS)
