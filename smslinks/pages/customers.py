"""Customers: the searchable list, and one customer's page (numbers, emails, locations, invoices)."""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import not_allowed, status_badge
from smslinks.pages.customer_form import customer_dialog
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.state.customers import CustomerDetailState, CustomerFormState, CustomerListState

PHONE_TYPE_COLORS = {"Mobile": "teal", "Home": "blue", "Work": "purple", "Other": "gray"}

# ------------------------------------------------------------------ the list


def _new_button(state) -> rx.Component:
    return rx.cond(
        state.can_manage,
        rx.button(rx.icon("user-plus", size=16), "New customer", size="3", on_click=CustomerFormState.open_new),
    )


def _search_bar() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                name="query",
                placeholder="Customer name or phone",
                default_value=CustomerListState.query,
                aria_label="Search customers",
                size="3",
                width="100%",
            ),
            rx.button("Search", type="submit", size="3"),
            width="100%",
        ),
        on_submit=CustomerListState.search,
        reset_on_submit=False,
        width="100%",
        margin_bottom="1rem",
    )


def _row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(row["name"], href=routes.CUSTOMERS + "/" + row["id"].to_string(), weight="medium")
        ),
        rx.table.cell(row["phone"], white_space="nowrap"),
        rx.table.cell(row["email"], class_name="hide-on-phone"),
        rx.table.cell(row["place"], class_name="hide-on-phone"),
        align="center",
    )


def _table() -> rx.Component:
    return rx.card(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Name"),
                    rx.table.column_header_cell("Phone"),
                    rx.table.column_header_cell("Email", class_name="hide-on-phone"),
                    rx.table.column_header_cell("Service location", class_name="hide-on-phone"),
                )
            ),
            rx.table.body(rx.foreach(CustomerListState.rows, _row)),
            width="100%",
            variant="ghost",
        ),
        rx.cond(
            CustomerListState.loaded & (CustomerListState.rows.length() == 0),
            rx.center(
                rx.text(
                    rx.cond(
                        CustomerListState.query == "",
                        rx.cond(
                            CustomerListState.can_manage,
                            "No customers yet. Add the first with New customer.",
                            "No customers yet.",
                        ),
                        "No customers match.",
                    ),
                    color_scheme="gray",
                ),
                padding="2rem",
            ),
        ),
        overflow_x="auto",
        width="100%",
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("chevron-left", size=16),
            "Previous",
            variant="soft",
            disabled=CustomerListState.page <= 1,
            on_click=CustomerListState.previous_page,
        ),
        rx.text("Page ", CustomerListState.page, color_scheme="gray"),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=16),
            variant="soft",
            disabled=~CustomerListState.has_next,
            on_click=CustomerListState.next_page,
        ),
        justify="end",
        align="center",
        margin_top="1rem",
    )


@staff_page(routes.CUSTOMERS, "Customers", on_load=[CustomerListState.load])
def customer_list() -> rx.Component:
    return rx.box(
        page_header("Customers", _new_button(CustomerListState)),
        _search_bar(),
        _table(),
        _pager(),
        customer_dialog(),
    )


# ------------------------------------------------------------------ one customer

State = CustomerDetailState


def _section(title: str, *children) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="3", as_="h2"), *children, spacing="3", width="100%"),
        size="2",
        width="100%",
        role="region",
        aria_label=title,
    )


def _empty(text: str) -> rx.Component:
    return rx.text(text, size="2", color="var(--gray-11)")


def _phone(row) -> rx.Component:
    return rx.hstack(
        rx.text(row["number"], weight="medium", white_space="nowrap"),
        rx.badge(row["type"], color_scheme=rx.match(row["type"], *PHONE_TYPE_COLORS.items(), "gray"), variant="soft"),
        rx.cond(row["label"] != "", rx.text(row["label"], size="2", color="var(--gray-11)")),
        spacing="2",
        align="center",
        wrap="wrap",
        data_testid="customer-phone",
    )


def _email(row) -> rx.Component:
    return rx.hstack(
        rx.link(row["address"], href="mailto:" + row["address"].to(str), word_break="break-all"),
        rx.text(row["label"], size="2", color="var(--gray-11)"),
        spacing="2",
        align="baseline",
        wrap="wrap",
    )


def _location(row) -> rx.Component:
    return rx.vstack(
        rx.text(row["name"], weight="bold"),
        rx.hstack(
            rx.icon("map-pin", size=14, flex_shrink="0", margin_top="3px"),
            rx.text(row["address"]),
            align="start",
            spacing="2",
        ),
        rx.text("Time zone: ", row["zone_label"], size="2", color="var(--gray-11)", title=row["time_zone"]),
        rx.cond(
            row["zone_warning"] != "",
            rx.callout(row["zone_warning"], icon="triangle-alert", color_scheme="amber", size="1", width="100%"),
        ),
        spacing="1",
        width="100%",
        padding_bottom="0.5rem",
        border_bottom="1px solid var(--gray-a4)",
        _last={"border_bottom": "none", "padding_bottom": "0"},
        data_testid="customer-location",
    )


def _invoice(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link("#", row["number"], href=routes.INVOICES + "/" + row["id"].to_string())),
        rx.table.cell(row["issued_on"], white_space="nowrap"),
        rx.table.cell(status_badge(row["status"])),
        rx.table.cell(row["total"], text_align="right", white_space="nowrap", class_name="hide-on-phone"),
        rx.table.cell(row["balance"], text_align="right", weight="medium", white_space="nowrap"),
        align="center",
    )


def _invoices() -> rx.Component:
    return _section(
        "Invoices",
        rx.cond(
            State.invoices.length() == 0,
            _empty("No invoices yet."),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Invoice"),
                        rx.table.column_header_cell("Date"),
                        rx.table.column_header_cell("Status"),
                        rx.table.column_header_cell("Total", text_align="right", class_name="hide-on-phone"),
                        rx.table.column_header_cell("Balance", text_align="right"),
                    )
                ),
                rx.table.body(rx.foreach(State.invoices, _invoice)),
                variant="ghost",
                width="100%",
            ),
        ),
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), rx.text("Customers"), spacing="1", align="center"),
            href=routes.CUSTOMERS,
            size="2",
            color_scheme="gray",
        ),
        page_header(
            State.customer["name"],
            rx.cond(
                State.can_invoice,
                rx.link(
                    rx.button(rx.icon("plus", size=16), "New invoice", size="3"),
                    href=f"{routes.INVOICE_EDITOR}?customer=" + State.current_customer_id.to_string(),
                ),
            ),
            rx.cond(
                State.can_manage,
                rx.button(
                    rx.icon("pencil", size=16),
                    "Edit",
                    variant="soft",
                    size="3",
                    on_click=CustomerFormState.open_edit(State.current_customer_id),
                ),
            ),
        ),
        spacing="2",
        align="stretch",
        width="100%",
    )


def _content() -> rx.Component:
    return rx.box(
        _header(),
        rx.grid(
            rx.vstack(
                _section(
                    "Phone numbers",
                    rx.cond(State.phones.length() == 0, _empty("No numbers yet.")),
                    rx.foreach(State.phones, _phone),
                ),
                _section(
                    "Email addresses",
                    rx.cond(State.emails.length() == 0, _empty("No email addresses yet.")),
                    rx.foreach(State.emails, _email),
                ),
                spacing="4",
                width="100%",
            ),
            rx.vstack(
                _section(
                    "Service locations",
                    rx.cond(State.locations.length() == 0, _empty("No service locations yet.")),
                    rx.foreach(State.locations, _location),
                ),
                _invoices(),
                spacing="4",
                width="100%",
                grid_column=rx.breakpoints(initial="auto", md="span 2"),
            ),
            columns=rx.breakpoints(initial="1", md="3"),
            spacing="4",
            width="100%",
        ),
        customer_dialog(),
    )


@staff_page(routes.CUSTOMER, "Customer", on_load=[CustomerDetailState.load])
def customer_detail() -> rx.Component:
    return rx.cond(
        State.refused != "",
        not_allowed(State.refused),
        rx.cond(State.loaded, _content(), loading()),
    )
