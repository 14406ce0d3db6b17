"""The invoice editor (new, from a job, or changing one), the invoice page's Edit / Finalize / Void
buttons, the technician's "Create invoice", and /jobs (schedule a job for a technician).

Laid out for a desktop and usable from 360px wide (the technician's phone form is the same editor,
with the job's customer and place fixed)."""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import field_label, not_allowed, status_badge
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.state.invoice_editor import (
    KINDS,
    NO_JOB,
    InvoiceActionsState,
    InvoiceEditorState,
    JobsState,
)

TOUCH = "44px"
State = InvoiceEditorState


def _error(message) -> rx.Component:
    return rx.cond(
        message,
        rx.text(message, size="1", color="var(--red-11)", role="alert"),
    )


def _card(title: str, *children) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="3", as_="h2"), *children, spacing="3", width="100%"),
        size="2",
        width="100%",
        role="region",
        aria_label=title,
    )


# ---------------------------------------------------------------- customer picker


def customer_picker(PickerState) -> rx.Component:
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    name="customer_query",
                    placeholder="Customer name",
                    aria_label="Find a customer",
                    default_value=PickerState.customer_query,
                    size="3",
                    width="100%",
                ),
                rx.button("Find", type="submit", size="3"),
                width="100%",
            ),
            on_submit=PickerState.search_customers,
            reset_on_submit=False,
            width="100%",
        ),
        rx.cond(
            PickerState.searched & (PickerState.customer_results.length() == 0),
            rx.text("No customer has a name like that.", size="2", color="var(--gray-11)"),
        ),
        rx.vstack(
            rx.foreach(
                PickerState.customer_results,
                lambda row: rx.button(
                    rx.icon("user", size=16),
                    row["label"],
                    variant="soft",
                    color_scheme="gray",
                    size="3",
                    width="100%",
                    justify="start",
                    on_click=PickerState.pick_customer(row["id"]),
                ),
            ),
            spacing="2",
            width="100%",
            role="list",
            aria_label="Customers found",
        ),
        spacing="3",
        width="100%",
    )


# ---------------------------------------------------------------- editor


_PHONE_ONLY = rx.breakpoints(initial="block", sm="none")
_WIDE_ONLY = rx.breakpoints(initial="none", sm="flex")


def _phone_label(text: str) -> rx.Component:
    """The column's name above its field on a phone, where the header row is hidden."""
    return rx.text(text, size="1", color="var(--gray-11)", display=_PHONE_ONLY, aria_hidden="true")


def _line(line, index) -> rx.Component:
    number = (index + 1).to_string()
    return rx.flex(
        rx.vstack(
            rx.input(
                value=line["description"],
                on_change=lambda v: State.set_line(index, "description", v),
                placeholder="Work or part",
                aria_label="Description, line " + number,
                size="3",
                width="100%",
                aria_invalid=rx.cond(line["err_description"], "true", "false"),
            ),
            _error(line["err_description"]),
            spacing="1",
            flex="1 1 260px",
            min_width="0",
        ),
        rx.vstack(
            _phone_label("Qty"),
            rx.input(
                value=line["quantity"],
                on_change=lambda v: State.set_line(index, "quantity", v),
                input_mode="decimal",
                aria_label="Quantity, line " + number,
                size="3",
                width="100%",
                aria_invalid=rx.cond(line["err_quantity"], "true", "false"),
            ),
            _error(line["err_quantity"]),
            spacing="1",
            flex="0 0 84px",
            min_width="0",
        ),
        rx.vstack(
            _phone_label("Unit price"),
            rx.input(
                rx.input.slot("$"),
                value=line["unit_price"],
                on_change=lambda v: State.set_line(index, "unit_price", v),
                input_mode="decimal",
                placeholder="0.00",
                aria_label="Unit price, line " + number,
                size="3",
                width="100%",
                aria_invalid=rx.cond(line["err_unit_price"], "true", "false"),
            ),
            _error(line["err_unit_price"]),
            spacing="1",
            flex="0 1 150px",
            min_width="110px",
        ),
        rx.text(
            line["amount"],
            size="3",
            weight="medium",
            text_align="right",
            flex="1 0 80px",
            padding_top=rx.breakpoints(initial="1.6rem", sm="0.55rem"),
            white_space="nowrap",
            aria_label="Amount, line " + number,
        ),
        rx.icon_button(
            rx.icon("x", size=18),
            variant="soft",
            color_scheme="gray",
            size="3",
            margin_top=rx.breakpoints(initial="1.25rem", sm="0"),
            aria_label="Remove line " + number,
            title="Remove this line",
            on_click=State.remove_line(index),
            disabled=State.lines.length() <= 1,
        ),
        spacing="2",
        wrap="wrap",
        width="100%",
        align="start",
        padding_bottom="0.75rem",
        border_bottom="1px solid var(--gray-a4)",
        role="group",
        aria_label="Line " + number,
    )


def _lines() -> rx.Component:
    return _card(
        "Work and charges",
        rx.hstack(
            rx.text("Description", flex="1 1 260px"),
            rx.text("Qty", flex="0 0 84px"),
            rx.text("Unit price", flex="0 1 150px"),
            rx.text("Amount", flex="1 0 80px", text_align="right"),
            rx.box(width="40px"),
            size="1",
            color="var(--gray-11)",
            width="100%",
            display=_WIDE_ONLY,
            spacing="2",
        ),
        rx.foreach(State.lines, _line),
        _error(State.errors["lines"]),
        rx.button(
            rx.icon("plus", size=16), "Add line", variant="soft", size="3", min_height=TOUCH, on_click=State.add_line
        ),
        rx.flex(
            rx.vstack(
                field_label("Tax", "invoice-tax"),
                rx.input(
                    rx.input.slot("$"),
                    id="invoice-tax",
                    value=State.tax,
                    on_change=State.set_tax,
                    input_mode="decimal",
                    size="3",
                    width="140px",
                ),
                _error(State.errors["tax"]),
                spacing="1",
            ),
            rx.spacer(),
            rx.vstack(
                _total_row("Subtotal", State.subtotal),
                _total_row("Tax", State.tax_total),
                rx.separator(size="4"),
                _total_row("Total", State.total, strong=True),
                spacing="2",
                width="100%",
                max_width="280px",
                role="status",
                aria_label="Totals",
            ),
            wrap="wrap",
            spacing="4",
            width="100%",
            align="end",
        ),
    )


def _total_row(label: str, value, strong: bool = False) -> rx.Component:
    weight = "bold" if strong else "regular"
    return rx.hstack(rx.text(label, weight=weight), rx.spacer(), rx.text(value, weight=weight), width="100%")


def _select(label: str, html_id: str, value, on_change, choices, error, placeholder: str, extra=None) -> rx.Component:
    items = [rx.select.item(extra[1], value=extra[0])] if extra else []
    if isinstance(choices, list):
        items += [rx.select.item(row["label"], value=row["id"]) for row in choices]
    else:
        items.append(rx.foreach(choices, lambda row: rx.select.item(row["label"], value=row["id"])))
    return rx.vstack(
        field_label(label, html_id),
        rx.select.root(
            rx.select.trigger(id=html_id, placeholder=placeholder, width="100%"),
            rx.select.content(*items),
            value=value,
            on_change=on_change,
            size="3",
        ),
        _error(error),
        spacing="1",
        width="100%",
    )


def _who_and_where() -> rx.Component:
    return _card(
        "Customer and place",
        rx.hstack(
            rx.icon("user", size=16),
            rx.text(State.customer_name, weight="bold", size="3"),
            rx.cond(
                ~State.for_job & (State.invoice_id == 0),
                rx.button("Change", variant="ghost", size="2", on_click=State.change_customer),
            ),
            align="center",
            spacing="2",
        ),
        _error(State.errors["customer_id"]),
        rx.cond(
            State.for_job,
            rx.fragment(
                rx.text(
                    rx.foreach(State.locations, lambda row: rx.cond(row["id"] == State.location_id, row["label"], "")),
                    size="2",
                    color="var(--gray-11)",
                ),
                rx.text(
                    rx.foreach(State.jobs, lambda row: rx.cond(row["id"] == State.job_id, row["label"], "")),
                    size="2",
                    color="var(--gray-11)",
                ),
            ),
            rx.grid(
                _select(
                    "Service location",
                    "invoice-location",
                    State.location_id,
                    State.set_location,
                    State.locations,
                    State.errors["location_id"],
                    "Choose a location",
                ),
                _select(
                    "Job",
                    "invoice-job",
                    State.job_id,
                    State.set_job,
                    State.jobs,
                    State.errors["job_id"],
                    "No job",
                    extra=(NO_JOB, "No job"),
                ),
                _select(
                    "Type",
                    "invoice-kind",
                    State.kind,
                    State.set_kind,
                    [{"id": value, "label": label} for value, label in KINDS],
                    State.errors["kind"],
                    "Job",
                ),
                rx.vstack(
                    field_label("Due date", "invoice-due"),
                    rx.input(
                        id="invoice-due",
                        type="date",
                        value=State.due_on,
                        on_change=State.set_due_on,
                        size="3",
                        width="100%",
                    ),
                    _error(State.errors["due_on"]),
                    spacing="1",
                    width="100%",
                ),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
        ),
    )


def _buttons() -> rx.Component:
    is_draft = State.status == "draft"
    return rx.flex(
        rx.cond(
            State.check_fields != "",
            rx.text(
                State.check_fields,
                role="alert",
                color_scheme="red",
                size="2",
                width=rx.breakpoints(initial="100%", sm="auto"),
                align=rx.breakpoints(initial="left", sm="right"),
            ),
        ),
        rx.button(
            rx.cond(is_draft, "Save draft", "Save changes"),
            on_click=State.save_draft,
            variant=rx.cond(is_draft, "soft", "solid"),
            size="3",
            min_height=TOUCH,
            loading=State.saving,
            flex=rx.breakpoints(initial="1 1 0", sm="0 0 auto"),
        ),
        rx.cond(
            is_draft,
            rx.button(
                rx.icon("circle-check", size=16),
                "Finalize",
                on_click=State.save_and_finalize,
                size="3",
                min_height=TOUCH,
                loading=State.saving,
                flex=rx.breakpoints(initial="1 1 0", sm="0 0 auto"),
            ),
        ),
        spacing="3",
        justify="end",
        align="center",
        wrap="wrap",
        width="100%",
    )


def _editor() -> rx.Component:
    title = rx.cond(
        State.invoice_id == 0,
        rx.cond(State.for_job, "New invoice for this job", "New invoice"),
        rx.cond(State.status == "draft", "Edit draft " + State.number, "Edit invoice #" + State.number),
    )
    return rx.vstack(
        rx.hstack(rx.heading(title, size="6"), status_badge(State.status), align="center", spacing="3", wrap="wrap"),
        rx.cond(
            State.status == "open",
            rx.callout(
                "This invoice has been issued. Its payment links ask for the new balance as soon as you save.",
                icon="info",
                size="1",
                width="100%",
            ),
        ),
        _who_and_where(),
        _lines(),
        _buttons(),
        spacing="4",
        width="100%",
    )


@staff_page(routes.INVOICE_EDITOR, "Invoice editor", on_load=[InvoiceEditorState.load], max_width="960px")
def invoice_editor() -> rx.Component:
    return rx.cond(
        State.refused != "",
        not_allowed(State.refused),
        rx.cond(
            State.loaded,
            rx.cond(
                State.customer_id == 0,
                rx.vstack(
                    rx.heading("New invoice", size="6"),
                    _card(
                        "Customer",
                        rx.text("Find the customer to invoice.", size="2", color="var(--gray-11)"),
                        customer_picker(State),
                    ),
                    spacing="4",
                    width="100%",
                ),
                _editor(),
            ),
            loading(),
        ),
    )


def new_invoice_button() -> rx.Component:
    """The invoice list's "New invoice": the editor, starting with its customer picker."""
    return rx.link(rx.button(rx.icon("plus", size=16), "New invoice", size="3"), href=routes.INVOICE_EDITOR)


# ---------------------------------------------------------------- the invoice page's buttons


def _void_dialog() -> rx.Component:
    A = InvoiceActionsState
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(rx.icon("ban", size=16), "Void", variant="soft", color_scheme="red", size="3", min_height=TOUCH)
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Void this invoice?"),
            rx.alert_dialog.description(
                "Its payment links will show that it is void, and texts or emails that have not gone yet are "
                "canceled. This cannot be undone.",
            ),
            rx.form(
                rx.vstack(
                    field_label("Reason", "void-reason"),
                    rx.text_area(
                        id="void-reason",
                        name="reason",
                        placeholder="e.g. Customer canceled the job",
                        max_length=300,
                        width="100%",
                        auto_focus=True,
                    ),
                    _error(A.void_error),
                    rx.flex(
                        rx.alert_dialog.cancel(
                            rx.button("Keep invoice", variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button("Void invoice", color_scheme="red", type="submit"),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                    margin_top="1rem",
                ),
                on_submit=A.void,
                reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=A.void_open,
        on_open_change=A.set_void_open,
    )


def invoice_actions(invoice_id) -> rx.Component:
    """Edit (while it can be changed), Finalize (a draft) and Void, for the office invoice page."""
    A = InvoiceActionsState
    return rx.hstack(
        rx.cond(
            A.can_edit,
            rx.link(
                rx.button(rx.icon("pencil", size=16), "Edit", variant="soft", size="3", min_height=TOUCH),
                href="/invoices/editor?invoice=" + invoice_id.to_string(),
            ),
        ),
        rx.cond(
            A.can_finalize,
            rx.button(rx.icon("circle-check", size=16), "Finalize", size="3", min_height=TOUCH, on_click=A.finalize),
        ),
        rx.cond(A.can_void, _void_dialog()),
        spacing="2",
        wrap="wrap",
    )


def edit_draft_button(invoice) -> rx.Component:
    """On the technician's job: a draft invoice is changed and finalized in the editor."""
    return rx.cond(
        invoice["status"] == "draft",
        rx.link(
            rx.button(
                rx.icon("pencil", size=16),
                "Edit and finalize",
                variant="soft",
                size="3",
                min_height=TOUCH,
                width="100%",
            ),
            href="/invoices/editor?invoice=" + invoice["id"].to_string(),
            width="100%",
        ),
    )


def create_invoice_for_job(job_id) -> rx.Component:
    """The technician's Actions on a job without an invoice."""
    return rx.menu.root(
        rx.menu.trigger(rx.button("Actions", rx.icon("chevron-down", size=16), size="3", min_height=TOUCH)),
        rx.menu.content(
            rx.menu.item(
                rx.hstack(
                    rx.icon("receipt", size=18),
                    rx.text("Create invoice", weight="medium", size="3"),
                    spacing="3",
                    align="center",
                ),
                on_click=rx.redirect("/invoices/editor?job=" + job_id.to_string()),
                min_height=TOUCH,
            ),
            align="end",
            size="2",
        ),
    )


# ---------------------------------------------------------------- /jobs


def _field(label: str, html_id: str, error, **props) -> rx.Component:
    return rx.vstack(
        field_label(label, html_id),
        rx.input(id=html_id, size="3", width="100%", **props),
        _error(error),
        spacing="1",
        width="100%",
    )


def _schedule_form() -> rx.Component:
    J = JobsState
    return _card(
        "Schedule a job",
        rx.cond(
            J.customer_id == 0,
            rx.vstack(customer_picker(J), _error(J.errors["customer_id"]), spacing="2", width="100%"),
            rx.form(
                rx.vstack(
                    rx.hstack(
                        rx.icon("user", size=16),
                        rx.text(J.customer_name, weight="bold"),
                        rx.button("Change", variant="ghost", size="2", type="button", on_click=J.change_customer),
                        align="center",
                        spacing="2",
                    ),
                    rx.grid(
                        _select(
                            "Service location",
                            "job-location",
                            J.location_id,
                            J.set_location,
                            J.locations,
                            J.errors["location_id"],
                            "Choose a location",
                        ),
                        _select(
                            "Technician",
                            "job-technician",
                            J.technician_id,
                            J.set_technician,
                            J.technicians,
                            J.errors["technician_id"],
                            "Choose a technician",
                        ),
                        _field("Day", "job-day", J.errors["day"], name="day", type="date", default_value=J.today),
                        rx.grid(
                            _field(
                                "Starts",
                                "job-start",
                                J.errors["start"],
                                name="start",
                                type="time",
                                default_value="09:00",
                            ),
                            _field("Ends", "job-end", J.errors["end"], name="end", type="time", default_value="11:00"),
                            columns="2",
                            spacing="3",
                            width="100%",
                        ),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="3",
                        width="100%",
                    ),
                    _field(
                        "Summary",
                        "job-summary",
                        J.errors["summary"],
                        name="summary",
                        placeholder="e.g. AC not cooling",
                        max_length=200,
                    ),
                    rx.text("Times are in the service location's time zone.", size="1", color="var(--gray-11)"),
                    rx.flex(rx.button("Schedule job", type="submit", size="3"), justify="end", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=J.schedule,
                reset_on_submit=False,
                width="100%",
            ),
        ),
    )


def _job_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row["number"]),
        rx.table.cell(row["when"], white_space="nowrap"),
        rx.table.cell(row["customer"]),
        rx.table.cell(row["technician"]),
        rx.table.cell(row["summary"]),
        rx.table.cell(status_badge(row["status"])),
        rx.table.cell(
            rx.cond(
                row["invoice_id"].to(int) > 0,
                rx.link(
                    "Invoice #",
                    row["invoice_number"],
                    href="/invoices/" + row["invoice_id"].to_string(),
                    white_space="nowrap",
                ),
                rx.link("Create invoice", href="/invoices/editor?job=" + row["id"].to_string(), white_space="nowrap"),
            )
        ),
        align="center",
    )


def _upcoming() -> rx.Component:
    return _card(
        "Upcoming jobs",
        rx.cond(
            JobsState.upcoming.length() == 0,
            rx.text("No jobs from today on.", size="2", color="var(--gray-11)"),
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(name)
                                for name in ("Job", "When", "Customer", "Technician", "Summary", "Status", "")
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(JobsState.upcoming, _job_row)),
                    variant="ghost",
                    width="100%",
                ),
                overflow_x="auto",
                width="100%",
            ),
        ),
    )


@staff_page(routes.JOBS, "Jobs", on_load=[JobsState.load])
def jobs_page() -> rx.Component:
    return rx.cond(
        JobsState.refused != "",
        not_allowed(JobsState.refused),
        rx.cond(
            JobsState.loaded,
            rx.vstack(page_header("Jobs"), _schedule_form(), _upcoming(), spacing="4", width="100%"),
            loading(),
        ),
    )
