import reflex as rx

from smslinks import routes
from smslinks.core.invoices import MAX_MATCHED_CUSTOMERS
from smslinks.pages.components import status_badge
from smslinks.pages.invoice_editor import new_invoice_button
from smslinks.pages.layout import page_header, staff_page
from smslinks.state.invoices import ALL_STATUSES, STATUS_FILTERS, InvoiceListState


def _search_bar() -> rx.Component:
    return rx.flex(
        rx.form(
            rx.hstack(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    name="query",
                    placeholder="Invoice number, customer name or phone",
                    default_value=InvoiceListState.query,
                    aria_label="Search invoices",
                    size="3",
                    width="100%",
                ),
                rx.button("Search", type="submit", size="3"),
                width="100%",
            ),
            on_submit=InvoiceListState.search,
            reset_on_submit=False,
            flex="1",
            min_width="260px",
        ),
        rx.select.root(
            rx.select.trigger(aria_label="Status", min_width="160px"),
            rx.select.content(*[rx.select.item(label, value=value) for value, label in STATUS_FILTERS]),
            value=InvoiceListState.status,
            on_change=InvoiceListState.set_status_filter,
            size="3",
        ),
        spacing="3",
        wrap="wrap",
        width="100%",
        margin_bottom="1rem",
    )


def _row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(row["number"], href="/invoices/" + row["id"].to_string(), weight="medium")),
        rx.table.cell(row["customer"]),
        # Dates and amounts stay on one line on a tablet; a long customer name wraps instead.
        rx.table.cell(row["issued_on"], white_space="nowrap"),
        rx.table.cell(rx.text(row["kind"], text_transform="capitalize")),
        rx.table.cell(status_badge(row["status"])),
        rx.table.cell(row["total"], text_align="right", white_space="nowrap"),
        rx.table.cell(row["balance"], text_align="right", weight="medium", white_space="nowrap"),
        align="center",
    )


def _table() -> rx.Component:
    return rx.card(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Invoice"),
                    rx.table.column_header_cell("Customer"),
                    rx.table.column_header_cell("Date"),
                    rx.table.column_header_cell("Type"),
                    rx.table.column_header_cell("Status"),
                    rx.table.column_header_cell("Total", text_align="right"),
                    rx.table.column_header_cell("Balance", text_align="right"),
                )
            ),
            rx.table.body(rx.foreach(InvoiceListState.rows, _row)),
            width="100%",
            variant="ghost",
        ),
        rx.cond(
            InvoiceListState.loaded & (InvoiceListState.rows.length() == 0),
            rx.center(
                rx.text(
                    rx.cond(
                        (InvoiceListState.query == "") & (InvoiceListState.status == ALL_STATUSES),
                        "No invoices yet.",
                        "No invoices match.",
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
            disabled=InvoiceListState.page <= 1,
            on_click=InvoiceListState.previous_page,
        ),
        rx.text("Page ", InvoiceListState.page, color_scheme="gray"),
        rx.button(
            "Next",
            rx.icon("chevron-right", size=16),
            variant="soft",
            disabled=~InvoiceListState.has_next,
            on_click=InvoiceListState.next_page,
        ),
        justify="end",
        align="center",
        margin_top="1rem",
    )


def _too_many_customers() -> rx.Component:
    return rx.cond(
        InvoiceListState.too_many_customers,
        rx.callout(
            f"More than {MAX_MATCHED_CUSTOMERS:,} customers match this search, so the list shows the "
            "invoices of some of them only. Type more of the name or number to narrow it.",
            icon="info",
            color_scheme="amber",
            role="status",
            margin_bottom="1rem",
        ),
    )


@staff_page(routes.INVOICES, "Invoices", on_load=[InvoiceListState.load])
def invoices() -> rx.Component:
    return rx.box(
        page_header("Invoices", new_invoice_button()), _search_bar(), _too_many_customers(), _table(), _pager()
    )
