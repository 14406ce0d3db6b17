"""A new employee's first steps: the invitation link, and choosing a password after a temporary one."""

import reflex as rx

from smslinks import routes
from smslinks.core.accounts import MIN_PASSWORD_LENGTH
from smslinks.pages.components import field_label
from smslinks.pages.layout import BRAND_COLOR, loading, staff_frame
from smslinks.state.invite import ChoosePasswordState, InviteState


def _card(*children: rx.Component) -> rx.Component:
    return staff_frame(
        rx.center(
            rx.card(
                rx.vstack(
                    rx.hstack(
                        rx.icon("message-square-text", size=28, color=f"var(--{BRAND_COLOR}-9)"),
                        rx.heading("smslinks", size="6"),
                        align="center",
                        spacing="2",
                    ),
                    *children,
                    spacing="4",
                    width="100%",
                ),
                width="100%",
                max_width="420px",
                size="4",
            ),
            min_height="100vh",
            padding="1rem",
            background="var(--gray-2)",
        )
    )


def _password_field(label: str, name: str, error, hint: str = "") -> rx.Component:
    field_id = f"new-{name}"
    return rx.vstack(
        field_label(label, field_id),
        rx.input(
            id=field_id,
            name=name,
            type="password",
            auto_complete="new-password",
            required=True,
            size="3",
            width="100%",
            aria_invalid=rx.cond(error != "", "true", "false"),
        ),
        *([rx.text(hint, size="1", color_scheme="gray")] if hint else []),
        rx.cond(error != "", rx.text(error, size="1", color="var(--red-11)", role="alert")),
        spacing="1",
        width="100%",
    )


def password_form(state, button: str) -> rx.Component:
    return rx.form(
        rx.vstack(
            _password_field(
                "New password", "password", state.errors["password"], f"At least {MIN_PASSWORD_LENGTH} characters."
            ),
            _password_field("New password again", "again", state.errors["again"]),
            rx.button(button, type="submit", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=state.accept if state is InviteState else state.choose,
        reset_on_submit=False,
        width="100%",
    )


def _invitation_form() -> rx.Component:
    return rx.fragment(
        rx.vstack(
            rx.heading("Welcome, ", InviteState.invited_name, size="5"),
            rx.text(
                InviteState.business_name,
                " invited you to smslinks. Choose a password; you will sign in with ",
                rx.text.strong(InviteState.invited_email),
                ".",
                color_scheme="gray",
            ),
            spacing="2",
            width="100%",
        ),
        password_form(InviteState, "Set password and sign in"),
    )


def _unusable() -> rx.Component:
    return rx.fragment(
        rx.heading("This link cannot be used", size="5"),
        rx.callout(InviteState.unusable, icon="link-2-off", color_scheme="amber", role="alert", width="100%"),
        rx.link("Go to sign in", href=routes.SIGN_IN),
    )


@rx.page(route=routes.INVITE, title="Your invitation · smslinks", on_load=InviteState.open_invitation)
def invitation() -> rx.Component:
    return _card(
        rx.match(
            InviteState.screen,
            ("form", _invitation_form()),
            ("unusable", _unusable()),
            loading(),
        )
    )


@rx.page(route=routes.CHOOSE_PASSWORD, title="Choose your password · smslinks", on_load=ChoosePasswordState.open_page)
def choose_password() -> rx.Component:
    return _card(
        rx.cond(
            ChoosePasswordState.ready,
            rx.fragment(
                rx.vstack(
                    rx.heading("Choose your password", size="5"),
                    rx.text(
                        "You signed in with a temporary password. Choose your own to continue, ",
                        ChoosePasswordState.employee_name,
                        ".",
                        color_scheme="gray",
                    ),
                    spacing="2",
                    width="100%",
                ),
                password_form(ChoosePasswordState, "Save password and continue"),
            ),
            loading(),
        )
    )
