"""/setup: the first run of a clean install (only while there is no business)."""

import reflex as rx

from smslinks import routes
from smslinks.pages.layout import BRAND_COLOR, staff_frame
from smslinks.pages.profile_fields import ZONE_LIST_ID, field, grid, hint_text, zone_list
from smslinks.state.setup import SetupState as State

CODE_WHERE = (
    'The server printed it when it started: "No business yet: open …/setup and enter the setup code '
    "XXXX-XXXX\". Only someone who can see the server's output can set it up."
)


def _input(
    name: str,
    label: str,
    *,
    type_: str = "text",
    auto_complete: str = "off",
    hint=None,
    required: bool = True,
    attrs: dict | None = None,
    **props,
) -> rx.Component:
    input_id = f"setup-{name.replace('_', '-')}"
    control = rx.input(
        id=input_id,
        name=name,
        type=type_,
        auto_complete=auto_complete,
        required=required,
        size="3",
        width="100%",
        custom_attrs={"aria-describedby": f"{input_id}-error", **(attrs or {})},
        **props,
    )
    return field(label, input_id, control, State.errors, name, hint)


def _section(title: str, description: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.heading(title, size="4", as_="h2"),
            rx.text(description, size="2", color_scheme="gray"),
            spacing="1",
        ),
        *children,
        spacing="4",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(
                State.errors.contains("form"),
                rx.callout(State.errors["form"], icon="circle-alert", color_scheme="red", role="alert", width="100%"),
            ),
            _section(
                "Prove this server is yours",
                CODE_WHERE,
                rx.box(
                    _input(
                        "code",
                        "Setup code",
                        placeholder="XXXX-XXXX",
                        auto_capitalize="characters",
                        spell_check=False,
                        max_length=20,
                        font_family="var(--code-font-family)",
                    ),
                    max_width="16rem",
                    width="100%",
                ),
            ),
            rx.separator(size="4"),
            _section(
                "Your business",
                "What customers see on texts, receipts and the pay page. You can change it later in Settings.",
                _input("name", "Business name", auto_complete="organization"),
                grid(
                    _input(
                        "phone",
                        "Phone",
                        type_="tel",
                        auto_complete="tel",
                        placeholder="(512) 555-0142",
                        hint=hint_text("Customers call it with questions about an invoice."),
                    ),
                    _input(
                        "email",
                        "Email",
                        type_="email",
                        auto_complete="email",
                        hint=hint_text("Customers write to it; receipts come from it."),
                    ),
                ),
                _input("street", "Street", auto_complete="street-address", required=False),
                rx.grid(
                    _input("city", "City", auto_complete="address-level2", required=False),
                    _input("region", "State", auto_complete="address-level1", required=False, max_length=40),
                    _input(
                        "postal_code", "ZIP code", auto_complete="postal-code", required=False, on_blur=State.zip_typed
                    ),
                    columns=rx.breakpoints(initial="1", sm="3"),
                    spacing="4",
                    width="100%",
                ),
                rx.box(
                    _input(
                        "time_zone",
                        "Time zone",
                        required=False,
                        placeholder="From the ZIP code",
                        attrs={"list": ZONE_LIST_ID},
                        on_blur=State.zone_typed,
                        hint=hint_text(
                            rx.cond(
                                State.zone_hint != "",
                                State.zone_hint,
                                "Leave empty to take it from the ZIP code, or enter a name such as America/Chicago.",
                            )
                        ),
                    ),
                    zone_list(),
                    max_width=rx.breakpoints(initial="100%", sm="50%"),
                    width="100%",
                ),
            ),
            rx.separator(size="4"),
            _section(
                "Administrator",
                "The first person to sign in. They can add employees and switch on texting in Settings.",
                grid(
                    _input("admin_name", "Your name", auto_complete="name"),
                    _input(
                        "admin_email",
                        "Your email",
                        type_="email",
                        auto_complete="username",
                        hint=hint_text("You sign in with it."),
                    ),
                    _input(
                        "admin_password",
                        "Password",
                        type_="password",
                        auto_complete="new-password",
                        hint=hint_text("At least 8 characters."),
                    ),
                    _input("admin_password_again", "Password again", type_="password", auto_complete="new-password"),
                ),
            ),
            rx.button("Set up the business", type="submit", size="3", width=rx.breakpoints(initial="100%", sm="auto")),
            spacing="5",
            width="100%",
        ),
        on_submit=State.submit,
        reset_on_submit=False,
    )


@rx.page(route=routes.SETUP, title="Set up · smslinks", on_load=State.load)
def setup() -> rx.Component:
    return staff_frame(
        rx.center(
            rx.vstack(
                rx.hstack(
                    rx.icon("message-square-text", size=28, color=f"var(--{BRAND_COLOR}-9)"),
                    rx.heading("smslinks", size="6"),
                    align="center",
                    spacing="2",
                ),
                rx.card(
                    rx.vstack(
                        rx.heading("Set up your business", size="6", as_="h1"),
                        rx.text(
                            "This server has no business yet. Enter the setup code, your business's details "
                            "and your own sign-in; you land in Settings, signed in as its administrator.",
                            color_scheme="gray",
                        ),
                        _form(),
                        spacing="4",
                        width="100%",
                    ),
                    size=rx.breakpoints(initial="2", sm="4"),
                    width="100%",
                ),
                spacing="4",
                align="center",
                width="100%",
                max_width="720px",
            ),
            min_height="100vh",
            padding=rx.breakpoints(initial="0.75rem", sm="2rem"),
            background="var(--gray-2)",
        )
    )
