import reflex as rx

from smslinks import routes
from smslinks.pages.layout import loading, staff_frame
from smslinks.state.session import SessionState


@rx.page(route=routes.HOME, title="smslinks", on_load=SessionState.check_signed_in)
def home() -> rx.Component:
    """Sends each person to their own start page (or to sign in)."""
    return staff_frame(loading())
