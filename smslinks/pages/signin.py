import reflex as rx

from smslinks import routes
from smslinks.pages.components import field_label
from smslinks.pages.layout import BRAND_COLOR, staff_frame
from smslinks.state.session import SignInState


@rx.page(route=routes.SIGN_IN, title="Sign in · smslinks", on_load=SignInState.skip_if_signed_in)
def signin() -> rx.Component:
    return staff_frame(
        rx.center(
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.hstack(
                            rx.icon("message-square-text", size=28, color=f"var(--{BRAND_COLOR}-9)"),
                            rx.heading("smslinks", size="6"),
                            align="center",
                            spacing="2",
                        ),
                        rx.text("Sign in to send invoices and get paid.", color_scheme="gray"),
                        rx.cond(
                            SignInState.error != "",
                            rx.callout(
                                SignInState.error,
                                icon="circle-alert",
                                color_scheme="red",
                                role="alert",
                                width="100%",
                            ),
                        ),
                        rx.vstack(
                            field_label("Email", "email"),
                            rx.input(
                                id="email",
                                name="email",
                                type="email",
                                auto_complete="username",
                                required=True,
                                size="3",
                                width="100%",
                            ),
                            spacing="1",
                            width="100%",
                        ),
                        rx.vstack(
                            field_label("Password", "password"),
                            rx.input(
                                id="password",
                                name="password",
                                type="password",
                                auto_complete="current-password",
                                required=True,
                                size="3",
                                width="100%",
                            ),
                            spacing="1",
                            width="100%",
                        ),
                        rx.button("Sign in", type="submit", size="3", width="100%"),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=SignInState.submit,
                    reset_on_submit=False,
                ),
                width="100%",
                max_width="400px",
                size="4",
            ),
            min_height="100vh",
            padding="1rem",
            background="var(--gray-2)",
        )
    )
