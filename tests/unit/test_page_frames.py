"""Radix Themes is not wrapped around the whole app (rxconfig.py): the customer pay page loads none of
it. Every other page must therefore draw itself inside pages/layout.staff_frame."""

from reflex_base.registry import RegistrationContext
from reflex_components_radix.themes.base import Theme

from smslinks import routes
from smslinks.smslinks import app


def test_every_page_but_the_pay_page_is_drawn_in_the_staff_frame():
    app._apply_decorated_pages()  # as compiling does: installs the dynamic route vars ([job_id]...)
    pages = {options["route"]: render for render, options in RegistrationContext.ensure_context().decorated_pages}
    assert routes.PAY in pages and routes.SIGN_IN in pages
    unframed = [route for route, render in pages.items() if not isinstance(render(), Theme)]
    assert unframed == [routes.PAY]
