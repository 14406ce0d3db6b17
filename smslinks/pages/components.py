"""Small pieces shared by several staff pages."""

import reflex as rx

STATUS_COLORS = {
    "draft": "gray",
    "open": "blue",
    "paid": "green",
    "void": "red",
    "scheduled": "gray",
    "queued": "gray",
    "sending": "blue",
    "sent": "blue",
    "delivered": "green",
    "undelivered": "orange",
    "failed": "red",
    "processing": "amber",
    "pending": "amber",  # an open invoice with a bank payment on its way
    "succeeded": "green",
    "refunded": "gray",
    "voided": "gray",
    "disputed": "red",
    "in_progress": "amber",
    "completed": "green",
    "canceled": "red",
    "received": "violet",  # a customer's reply
}


def status_badge(status) -> rx.Component:
    """A coloured badge for any invoice, job, message or payment status."""
    return rx.badge(
        rx.match(
            status,
            *[(key, key.replace("_", " ").capitalize()) for key in STATUS_COLORS],
            status,
        ),
        color_scheme=rx.match(status, *STATUS_COLORS.items(), "gray"),
        variant="soft",
        size="2",
    )


def not_allowed(message) -> rx.Component:
    return rx.callout(message, icon="shield-alert", color_scheme="red", role="alert", size="3")


def field_label(text: str, html_for: str) -> rx.Component:
    """A real <label for=...>, so screen readers (and tests) find the input by its name."""
    return rx.el.label(
        rx.text(text, weight="medium", size="2"),
        html_for=html_for,
    )


def _total_row(label: str, value, strong: bool = False) -> rx.Component:
    """One line of an invoice's totals: label on the left, amount on the right."""
    weight = "bold" if strong else "regular"
    return rx.hstack(
        rx.text(label, weight=weight, color=None if strong else "var(--gray-11)"),
        rx.spacer(),
        rx.text(value, weight=weight),
        width="100%",
    )


def invoice_totals(invoice) -> rx.Component:
    """An invoice's totals down to the balance due, for staff (the office and technician pages);
    `invoice` is the page's InvoiceDetail as a dict Var."""
    return rx.vstack(
        _total_row("Subtotal", invoice["subtotal"]),
        _total_row("Tax", invoice["tax"]),
        _total_row("Total", invoice["total"]),
        _total_row("Amount paid", invoice["amount_paid"]),
        rx.cond(invoice["bank_processing"] != "", _total_row("Bank payment processing", invoice["bank_processing"])),
        rx.separator(size="4"),
        _total_row(invoice["balance_label"], invoice["balance"], strong=True),
        spacing="2",
        width="100%",
    )


def bank_payment_pending(invoice) -> rx.Component:
    """ "Bank payment of $332.07 processing since Dec 3": the money is on its way, not yet due again."""
    return rx.cond(
        invoice["bank_pending"] != "",
        rx.callout(
            invoice["bank_pending"],
            icon="landmark",
            color_scheme="amber",
            size="1",
            width="100%",
            role="status",
            data_testid="bank-pending",
        ),
    )


def location_zone(invoice) -> rx.Component:
    """The service location's time zone in words (quiet hours follow it), and a warning when the
    address did not give it; `invoice` is the page's InvoiceDetail as a dict Var."""
    return rx.vstack(
        rx.text(
            "Time zone: ",
            invoice["location_zone_label"],
            size="2",
            color="var(--gray-11)",
            title=invoice["location_time_zone"],
        ),
        rx.cond(
            invoice["location_zone_warning"],
            rx.callout(invoice["location_zone_warning"], icon="triangle-alert", color_scheme="amber", size="1"),
        ),
        spacing="2",
        width="100%",
    )


UNSAVED = "You have unsaved changes"


def save_bar(visible, message, on_discard, on_save, error=None) -> rx.Component:
    """The settings pages' sticky "unsaved changes" bar with Discard and Save; `error`, when given,
    is a Var shown above it (a save the server refused)."""
    row = rx.flex(
        rx.hstack(
            rx.icon("circle-dot", size=16, color="var(--amber-9)"),
            rx.text(message, weight="medium"),
            align="center",
            spacing="2",
        ),
        rx.spacer(),
        rx.hstack(
            rx.button("Discard", variant="soft", color_scheme="gray", on_click=on_discard),
            rx.button("Save", on_click=on_save),
            spacing="2",
        ),
        align="center",
        wrap="wrap",
        spacing="3",
        width="100%",
    )
    body = (
        row
        if error is None
        else rx.vstack(
            rx.cond(
                error != "", rx.callout(error, icon="circle-alert", color_scheme="red", role="alert", width="100%")
            ),
            row,
            spacing="3",
            width="100%",
        )
    )
    return rx.cond(
        visible,
        rx.box(
            body,
            role="region",
            aria_label="Unsaved changes",
            position="sticky",
            bottom="1rem",
            z_index="5",
            padding="0.75rem 1rem",
            border_radius="var(--radius-3)",
            background="var(--color-panel-solid)",
            border="1px solid var(--amber-a7)",
            box_shadow="var(--shadow-4)",
            width="100%",
        ),
    )
