"""Settings > Company > Employees."""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import field_label
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.pages.settings import settings_frame
from smslinks.state.employees import EmployeesState as State


def _changes_badge(count) -> rx.Component:
    return rx.cond(
        count == 0,
        rx.badge("Role defaults", color_scheme="gray", variant="soft"),
        rx.badge(
            rx.cond(count == 1, "1 change from role", count.to_string() + " changes from role"),
            color_scheme="amber",
            variant="soft",
        ),
    )


def _row(person) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.text(person["name"], weight="medium")),
        rx.table.cell(person["email"]),
        rx.table.cell(person["role"]),
        rx.table.cell(_changes_badge(person["changes_from_role"].to(int))),
        rx.table.cell(
            rx.button(
                rx.icon("shield-check", size=14),
                "Permissions",
                variant="soft",
                size="1",
                aria_label=f"Permissions of {person['name']}",
                on_click=State.open_editor(person["id"]),
            ),
            text_align="right",
        ),
        align="center",
    )


def _table() -> rx.Component:
    return rx.card(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Name"),
                    rx.table.column_header_cell("Email"),
                    rx.table.column_header_cell("Role"),
                    rx.table.column_header_cell("Permissions"),
                    rx.table.column_header_cell(rx.el.span("Actions", class_name="visually-hidden")),
                )
            ),
            rx.table.body(rx.foreach(State.employees, _row)),
            width="100%",
            variant="ghost",
        ),
        overflow_x="auto",
        width="100%",
    )


def _default_note(row) -> rx.Component:
    role_default = rx.cond(row["role_default"], "on", "off")
    return rx.cond(
        row["on"] == row["role_default"],
        rx.text("Role default: ", role_default, size="1", color_scheme="gray"),
        rx.hstack(
            rx.badge(
                rx.cond(row["on"], "Granted for this employee", "Removed for this employee"),
                color_scheme="amber",
                variant="soft",
                size="1",
            ),
            rx.text("Role default: ", role_default, size="1", color_scheme="gray"),
            spacing="2",
            align="center",
        ),
    )


def _permission_row(row, index) -> rx.Component:
    switch_id = f"permission-{index}"
    return rx.hstack(
        rx.vstack(
            field_label(row["permission"], switch_id),
            rx.text(row["description"], size="1", color_scheme="gray"),
            _default_note(row),
            rx.cond(
                row["locked_reason"] != "",
                rx.text(row["locked_reason"], size="1", color="var(--amber-11)"),
            ),
            spacing="1",
            flex="1",
        ),
        rx.switch(
            id=switch_id,
            checked=row["on"].to(bool),
            disabled=row["locked_reason"] != "",
            on_change=lambda on: State.set_permission(row["permission"], on),
        ),
        spacing="4",
        align="start",
        width="100%",
        padding_y="0.75rem",
        border_bottom="1px solid var(--gray-a3)",
    )


def _editor() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Permissions of ", State.editing_name),
            rx.dialog.description(
                State.editing_role,
                ". Each switch starts at the role's default; a change applies at once and is recorded.",
                size="2",
                color_scheme="gray",
            ),
            rx.vstack(rx.foreach(State.permission_rows, _permission_row), spacing="0", width="100%"),
            rx.flex(rx.dialog.close(rx.button("Done", variant="soft")), justify="end", margin_top="1rem"),
            max_width="520px",
        ),
        open=State.editing_id != 0,
        on_open_change=State.close_editor,
    )


def _content() -> rx.Component:
    return rx.vstack(
        page_header("Employees", subtitle="Who works here, and what each person may do."),
        _table(),
        _editor(),
        spacing="4",
        width="100%",
    )


@staff_page(routes.SETTINGS_EMPLOYEES, "Employees", on_load=[State.load])
def employees() -> rx.Component:
    return settings_frame(routes.SETTINGS_EMPLOYEES, rx.cond(State.loaded, _content(), loading()))
