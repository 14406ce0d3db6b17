"""The dialog that adds or changes a customer: name, numbers, emails and service locations, each
list with rows to add and remove, and each error beside its field."""

import reflex as rx

from smslinks.state.customers import PHONE_TYPES
from smslinks.state.customers import CustomerFormState as State


def _error(message) -> rx.Component:
    return rx.cond(
        message != "",
        rx.text(message, size="1", color="var(--red-11)", role="alert"),
    )


def _field(
    label,
    value,
    on_change,
    error,
    *,
    placeholder: str = "",
    flex: str = "1",
    min_width: str = "140px",
    input_type: str = "text",
    autocomplete: str = "off",
) -> rx.Component:
    return rx.vstack(
        rx.input(
            value=value,
            on_change=on_change,
            placeholder=placeholder,
            aria_label=label,
            aria_invalid=rx.cond(error != "", "true", "false"),
            type=input_type,
            auto_complete=autocomplete,
            color_scheme=rx.cond(error != "", "red", "gray"),
            width="100%",
        ),
        _error(error),
        spacing="1",
        flex=flex,
        min_width=min_width,
    )


def _remove_button(label, on_click) -> rx.Component:
    return rx.icon_button(
        rx.icon("x", size=16),
        variant="ghost",
        color_scheme="gray",
        aria_label=label,
        title=label,
        on_click=on_click,
        margin_top="0.25rem",
    )


def _phone_row(row, index) -> rx.Component:
    n = (index + 1).to_string()
    return rx.flex(
        _field(
            "Phone " + n + " number",
            row["number"],
            lambda v: State.set_phone(index, "number", v),
            row["error_number"],
            placeholder="(303) 555-0100",
            flex="2",
            min_width="150px",
            input_type="tel",
        ),
        rx.vstack(
            rx.select.root(
                rx.select.trigger(aria_label="Phone " + n + " type", width="100%"),
                rx.select.content(*[rx.select.item(kind, value=kind) for kind in PHONE_TYPES]),
                value=row["type"],
                on_change=lambda v: State.set_phone(index, "type", v),
            ),
            _error(row["error_type"]),
            spacing="1",
            width="108px",
        ),
        _field(
            "Phone " + n + " label",
            row["label"],
            lambda v: State.set_phone(index, "label", v),
            row["error_label"],
            placeholder="Label (optional)",
            min_width="150px",
        ),
        _remove_button("Remove phone " + n, State.remove_phone(index)),
        spacing="2",
        wrap="wrap",
        align="start",
        width="100%",
        padding_bottom="0.5rem",
        border_bottom="1px dashed var(--gray-a5)",
        data_testid="phone-row",
    )


def _email_row(row, index) -> rx.Component:
    n = (index + 1).to_string()
    return rx.flex(
        _field(
            "Email " + n + " address",
            row["address"],
            lambda v: State.set_email(index, "address", v),
            row["error_address"],
            placeholder="name@example.com",
            flex="2",
            min_width="200px",
            input_type="email",
        ),
        _field(
            "Email " + n + " label",
            row["label"],
            lambda v: State.set_email(index, "label", v),
            row["error_label"],
            placeholder="Label (optional)",
            min_width="150px",
        ),
        _remove_button("Remove email " + n, State.remove_email(index)),
        spacing="2",
        wrap="wrap",
        align="start",
        width="100%",
    )


def _location_row(row, index) -> rx.Component:
    n = (index + 1).to_string()

    def part(label: str, field: str, placeholder: str, flex: str = "1", min_width: str = "120px"):
        return _field(
            "Location " + n + " " + label,
            row[field],
            lambda v: State.set_location(index, field, v),
            row["error_" + field],
            placeholder=placeholder,
            flex=flex,
            min_width=min_width,
        )

    return rx.vstack(
        rx.hstack(
            rx.text("Location ", n, weight="medium", size="2"),
            rx.spacer(),
            _remove_button("Remove location " + n, State.remove_location(index)),
            width="100%",
            align="center",
        ),
        rx.flex(
            part("name", "name", "Name (e.g. Home)", min_width="160px"),
            part("street", "street", "Street address", flex="2", min_width="200px"),
            spacing="2",
            wrap="wrap",
            width="100%",
        ),
        rx.flex(
            part("city", "city", "City", flex="2", min_width="140px"),
            part("state", "region", "State", min_width="70px"),
            part("ZIP", "postal_code", "ZIP code", min_width="110px"),
            spacing="2",
            wrap="wrap",
            width="100%",
        ),
        _error(row["error"]),
        spacing="2",
        width="100%",
        padding="0.75rem",
        border="1px solid var(--gray-a5)",
        border_radius="var(--radius-3)",
        data_testid="location-row",
    )


def _group(title: str, rows, render, add_label: str, on_add) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="3", as_="h3"),
        rx.foreach(rows, render),
        rx.button(rx.icon("plus", size=14), add_label, variant="soft", size="2", on_click=on_add),
        spacing="2",
        width="100%",
        role="group",
        aria_label=title,
    )


def customer_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(State.editing, "Edit customer", "New customer")),
            rx.dialog.description(
                "Mobile numbers must be able to receive texts. Each service location's time zone comes "
                "from its ZIP code.",
                size="2",
                color="var(--gray-11)",
                margin_bottom="1rem",
            ),
            rx.vstack(
                rx.vstack(
                    rx.el.label(rx.text("Name", weight="medium", size="2"), html_for="customer-name"),
                    rx.input(
                        id="customer-name",
                        value=State.customer_name,
                        on_change=State.set_name,
                        placeholder="First and last name, or company",
                        aria_invalid=rx.cond(State.name_error != "", "true", "false"),
                        color_scheme=rx.cond(State.name_error != "", "red", "gray"),
                        width="100%",
                        auto_complete="off",
                    ),
                    _error(State.name_error),
                    spacing="1",
                    width="100%",
                ),
                _group("Phone numbers", State.phones, _phone_row, "Add phone", State.add_phone),
                _group("Email addresses", State.emails, _email_row, "Add email", State.add_email),
                _group("Service locations", State.locations, _location_row, "Add location", State.add_location),
                rx.cond(
                    State.form_error != "",
                    rx.callout(
                        State.form_error,
                        icon="triangle-alert",
                        color_scheme="red",
                        size="1",
                        width="100%",
                        role="alert",
                    ),
                ),
                rx.flex(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", size="3")),
                    rx.button(rx.cond(State.editing, "Save changes", "Add customer"), size="3", on_click=State.save),
                    spacing="3",
                    justify="end",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            max_width="720px",
            padding=["1rem", "1.5rem"],
        ),
        open=State.dialog_open,
        on_open_change=State.set_open,
    )
