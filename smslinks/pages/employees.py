"""Settings > Company > Employees."""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import field_label
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.pages.settings import settings_frame
from smslinks.pages.shown_once import shown_once_panel
from smslinks.state.employees import ROLES, SECRET_FIELD
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


def _status_badge(status) -> rx.Component:
    return rx.match(
        status,
        ("Invited", rx.badge("Invited", color_scheme="blue", variant="soft")),
        ("Deactivated", rx.badge("Deactivated", color_scheme="gray", variant="outline")),
        rx.fragment(),
    )


def _role_menu(person) -> rx.Component:
    """The role, changed in place (not for the admin's own row: another administrator does that)."""
    return rx.cond(
        person["is_me"].to(bool),
        rx.text(person["role"]),
        rx.select.root(
            rx.select.trigger(aria_label=f"Role of {person['name']}", variant="ghost"),
            rx.select.content(*[rx.select.item(role, value=role) for role in ROLES]),
            value=person["role"].to(str),
            on_change=lambda role: State.change_role(person["id"], role),
            size="2",
        ),
    )


def _actions(person) -> rx.Component:
    active = person["status"] != "Deactivated"
    return rx.cond(
        active,
        rx.fragment(
            rx.button(
                rx.icon("shield-check", size=14),
                "Permissions",
                variant="soft",
                size="1",
                aria_label=f"Permissions of {person['name']}",
                on_click=State.open_editor(person["id"]),
            ),
            rx.cond(
                person["is_me"].to(bool),
                rx.fragment(),
                rx.button(
                    "Deactivate",
                    variant="soft",
                    color_scheme="red",
                    size="1",
                    aria_label=f"Deactivate {person['name']}",
                    on_click=State.ask_deactivate(person["id"]),
                ),
            ),
        ),
        rx.button(
            rx.icon("rotate-ccw", size=14),
            "Reactivate",
            variant="soft",
            size="1",
            aria_label=f"Reactivate {person['name']}",
            on_click=State.reactivate(person["id"]),
        ),
    )


# Below 480px the table keeps one column: each person's role and buttons go under their name.
_PHONE_ONLY = ["flex", "none"]
_WIDE_ONLY = ["none", "table-cell"]


def _row(person) -> rx.Component:
    active = person["status"] != "Deactivated"
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.hstack(
                    rx.text(person["name"], weight="medium", color=rx.cond(active, None, "var(--gray-10)")),
                    _status_badge(person["status"]),
                    rx.cond(
                        person["status"] == "Invited",
                        rx.button(
                            rx.icon("link", size=12),
                            "New link",
                            variant="ghost",
                            size="1",
                            aria_label=f"New invitation link for {person['name']}",
                            on_click=State.new_link(person["id"]),
                        ),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(person["email"], size="2", color_scheme="gray", weight="regular", overflow_wrap="anywhere"),
                rx.flex(
                    _role_menu(person),
                    _actions(person),
                    display=_PHONE_ONLY,
                    wrap="wrap",
                    spacing="2",
                    align="center",
                    padding_top="0.25rem",
                ),
                spacing="0",
            )
        ),
        rx.table.cell(_role_menu(person), display=_WIDE_ONLY),
        rx.table.cell(
            rx.cond(active, _changes_badge(person["changes_from_role"].to(int)), rx.text("—", color_scheme="gray")),
            display=_WIDE_ONLY,
        ),
        rx.table.cell(
            rx.hstack(_actions(person), spacing="2", justify="end"),
            text_align="right",
            display=_WIDE_ONLY,
        ),
        align="center",
    )


def _table() -> rx.Component:
    return rx.card(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Employee"),
                    rx.table.column_header_cell("Role", display=_WIDE_ONLY),
                    rx.table.column_header_cell("Permissions", display=_WIDE_ONLY),
                    rx.table.column_header_cell(
                        rx.el.span("Actions", class_name="visually-hidden"), display=_WIDE_ONLY
                    ),
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


def _field(label: str, html_for: str, control: rx.Component, error) -> rx.Component:
    return rx.vstack(
        field_label(label, html_for),
        control,
        rx.cond(
            error != "",
            rx.text(error, size="1", color="var(--red-11)", id=f"{html_for}-error", role="alert"),
        ),
        spacing="1",
        width="100%",
    )


def _access_choice(value: str, title: str, detail: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.radio_group.item(value=value, margin_top="2px"),
            rx.vstack(
                rx.text(title, weight="medium", size="2"),
                rx.text(detail, size="1", color_scheme="gray"),
                spacing="0",
            ),
            spacing="2",
            align="start",
        ),
        cursor="pointer",
    )


def _add_form() -> rx.Component:
    errors = State.add_errors
    return rx.form(
        rx.vstack(
            _field(
                "Name",
                "new-name",
                rx.input(
                    id="new-name",
                    name="name",
                    auto_complete="off",
                    width="100%",
                    aria_invalid=rx.cond(errors["name"] != "", "true", "false"),
                ),
                errors["name"],
            ),
            _field(
                "Email",
                "new-email",
                rx.input(
                    id="new-email",
                    name="email",
                    type="email",
                    auto_complete="off",
                    width="100%",
                    aria_invalid=rx.cond(errors["email"] != "", "true", "false"),
                ),
                errors["email"],
            ),
            _field(
                "Role",
                "new-role",
                rx.select.root(
                    rx.select.trigger(id="new-role", width="100%"),
                    rx.select.content(*[rx.select.item(role, value=role) for role in ROLES]),
                    name="role",
                    default_value="Office employee",
                ),
                errors["role"],
            ),
            rx.el.fieldset(
                rx.el.legend(rx.text("How they get in", weight="medium", size="2"), margin_bottom="0.4rem"),
                rx.radio_group.root(
                    rx.vstack(
                        _access_choice(
                            "invitation",
                            "Invitation link",
                            "A link you copy and send them; they choose their password. Works once, for 7 days.",
                        ),
                        _access_choice(
                            "temporary_password",
                            "Temporary password",
                            "You give it to them; they choose their own at their first sign-in.",
                        ),
                        spacing="3",
                    ),
                    name="access",
                    default_value="invitation",
                ),
                border="none",
                padding="0",
                margin="0",
            ),
            rx.flex(
                rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                rx.button("Add employee", type="submit"),
                spacing="3",
                justify="end",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=State.add,
        reset_on_submit=False,
        no_validate=True,  # the server names what is wrong, beside each field
    )


def _added() -> rx.Component:
    invitation = State.added_access == "invitation"
    return shown_once_panel(
        SECRET_FIELD,
        rx.cond(invitation, "Invitation link", "Temporary password"),
        rx.cond(
            invitation,
            "Send this link to " + State.added_name + ". It works once, for 7 days, and is shown only now.",
            "Give this temporary password to "
            + State.added_name
            + ". It is shown only now; they choose their own password when they first sign in.",
        ),
    )


def _add_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(State.adding == "added", State.added_heading, "Add an employee")),
            rx.dialog.description(
                rx.cond(
                    State.adding == "added",
                    "They are in the list, with their role's permissions.",
                    "They get their role's permissions; you can change each one afterwards.",
                ),
                size="2",
                color_scheme="gray",
                margin_bottom="1rem",
            ),
            rx.cond(State.adding == "added", _added(), _add_form()),
            max_width="480px",
        ),
        open=State.adding != "",
        on_open_change=State.close_add,
    )


def _deactivate_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Deactivate " + State.confirming_name + "?"),
            rx.alert_dialog.description(
                "They are signed out everywhere at once and can no longer sign in. Their name stays on "
                "everything they did. You can reactivate them later.",
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Deactivate", color_scheme="red", on_click=State.deactivate)),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
            max_width="440px",
        ),
        open=State.confirming_id != 0,
        on_open_change=State.cancel_deactivate,
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.box(
            page_header(
                "Employees",
                rx.button(rx.icon("user-plus", size=16), "Add employee", on_click=State.open_add),
                subtitle="Who works here, and what each person may do.",
            ),
            width="100%",
        ),
        _table(),
        _editor(),
        _add_dialog(),
        _deactivate_dialog(),
        spacing="4",
        width="100%",
    )


@staff_page(routes.SETTINGS_EMPLOYEES, "Employees", on_load=[State.load])
def employees() -> rx.Component:
    return settings_frame(routes.SETTINGS_EMPLOYEES, rx.cond(State.loaded, _content(), loading()))
