"""Settings > Integrations > API keys."""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import field_label
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.pages.settings import settings_frame
from smslinks.pages.shown_once import shown_once_panel
from smslinks.state.api_keys import NEW_KEY_FIELD
from smslinks.state.api_keys import ApiKeysState as State

# Below 480px the table keeps one column: each key's details and button go under its name.
_PHONE_ONLY = ["flex", "none"]
_WIDE_ONLY = ["none", "table-cell"]


def _revoke_button(key) -> rx.Component:
    return rx.button(
        "Revoke",
        variant="soft",
        color_scheme="red",
        size="1",
        aria_label=f"Revoke {key['name']}",
        on_click=State.ask_revoke(key["id"]),
    )


def _state(key) -> rx.Component:
    return rx.cond(
        key["revoked"] != "",
        rx.badge("Revoked " + key["revoked"].to(str), color_scheme="gray", variant="outline"),
        rx.text(key["last_used"], size="2"),
    )


def _row(key) -> rx.Component:
    live = key["revoked"] == ""
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(key["name"], weight="medium", color=rx.cond(live, None, "var(--gray-10)")),
                rx.code(key["prefix"], size="1", variant="ghost", color_scheme="gray"),
                rx.text("Created ", key["created"], size="1", color_scheme="gray", weight="regular"),
                rx.flex(
                    _state(key),
                    rx.cond(live, _revoke_button(key)),
                    display=_PHONE_ONLY,
                    wrap="wrap",
                    spacing="2",
                    align="center",
                    padding_top="0.25rem",
                ),
                spacing="1",
            )
        ),
        rx.table.cell(_state(key), display=_WIDE_ONLY),
        rx.table.cell(rx.cond(live, _revoke_button(key)), text_align="right", display=_WIDE_ONLY),
        align="center",
    )


def _table() -> rx.Component:
    return rx.card(
        rx.cond(
            State.keys.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Key"),
                        rx.table.column_header_cell("Last used", display=_WIDE_ONLY),
                        rx.table.column_header_cell(
                            rx.el.span("Actions", class_name="visually-hidden"), display=_WIDE_ONLY
                        ),
                    )
                ),
                rx.table.body(rx.foreach(State.keys, _row)),
                width="100%",
                variant="ghost",
            ),
            rx.text(
                "No API keys yet. Create one for each system that should reach your customers and invoices.",
                color_scheme="gray",
                size="2",
                padding="0.5rem",
            ),
        ),
        overflow_x="auto",
        width="100%",
    )


def _about() -> rx.Component:
    return rx.callout(
        rx.text(
            "Other systems (your CRM, accounting, field software) send customers and invoices, and text or email "
            "payment links, through the REST API at ",
            rx.code(State.api_url),
            ". A key can do what an office employee with the Accountant role can, "
            "in this business only; everything it does is recorded under the key's name. ",
            rx.link("API reference", href=State.api_url + "/docs", is_external=True),
            size="2",
        ),
        icon="plug",
        color_scheme="gray",
        variant="surface",
        width="100%",
    )


def _create_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.vstack(
                field_label("Name", "new-key-name"),
                rx.input(
                    id="new-key-name",
                    name="name",
                    auto_complete="off",
                    width="100%",
                    placeholder="e.g. Accounting sync",
                    aria_invalid=rx.cond(State.name_error != "", "true", "false"),
                ),
                rx.cond(
                    State.name_error != "",
                    rx.text(State.name_error, size="1", color="var(--red-11)", id="new-key-name-error", role="alert"),
                    rx.text(
                        "The system that will use it. Its actions are listed as API key '<name>'.",
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                spacing="1",
                width="100%",
            ),
            rx.flex(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                rx.button("Create key", type="submit"),
                spacing="3",
                justify="end",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=State.create,
        reset_on_submit=False,
        no_validate=True,
    )


def _created() -> rx.Component:
    return shown_once_panel(
        NEW_KEY_FIELD,
        "API key",
        "Copy the key now and store it in the other system's settings. It is shown only once; "
        "if it is lost, revoke it and create another.",
        hint=rx.text("Send it as ", rx.code("Authorization: Bearer <key>"), ".", size="1", color_scheme="gray"),
    )


def _create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(State.creating == "created", "Key for " + State.created_name, "Create an API key")),
            rx.dialog.description(
                rx.cond(
                    State.creating == "created",
                    "It works from now on, until you revoke it.",
                    "One key per system, so you can revoke one without stopping the others.",
                ),
                size="2",
                color_scheme="gray",
                margin_bottom="1rem",
            ),
            rx.cond(State.creating == "created", _created(), _create_form()),
            max_width="480px",
        ),
        open=State.creating != "",
        on_open_change=State.close_create,
    )


def _revoke_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke " + State.confirming_name + "?"),
            rx.alert_dialog.description(
                "Every request with this key is refused from now on. What it did stays recorded under its name. "
                "This cannot be undone; create a new key if the system needs one again.",
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Revoke", color_scheme="red", on_click=State.revoke)),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
            max_width="440px",
        ),
        open=State.confirming_id != 0,
        on_open_change=State.cancel_revoke,
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.box(
            page_header(
                "API keys",
                rx.button(rx.icon("key-round", size=16), "Create API key", on_click=State.open_create),
                subtitle="Keys that let your other systems use the REST API.",
            ),
            width="100%",
        ),
        _about(),
        _table(),
        _create_dialog(),
        _revoke_dialog(),
        spacing="4",
        width="100%",
    )


@staff_page(routes.SETTINGS_API_KEYS, "API keys", on_load=[State.load])
def api_keys_page() -> rx.Component:
    return settings_frame(routes.SETTINGS_API_KEYS, rx.cond(State.loaded, _content(), loading()))
