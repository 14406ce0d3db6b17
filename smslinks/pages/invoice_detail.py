"""One invoice: who and where, lines and totals, its payment links, and every text and email sent."""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import (
    bank_payment_pending,
    field_label,
    invoice_totals,
    location_zone,
    not_allowed,
    status_badge,
)
from smslinks.pages.invoice_editor import invoice_actions
from smslinks.pages.invoice_reminders import invoice_reminders
from smslinks.pages.layout import loading, staff_page
from smslinks.pages.message_timeline import message_timeline
from smslinks.pages.send_dialog import (
    email_dialog,
    email_invoice_button,
    send_blockers,
    sms_invoice_button,
    text_dialog,
)
from smslinks.state.invoice_detail import (
    ChargeSavedCardState,
    InvoiceDetailState,
    OfficeSendState,
    RecordPaymentState,
    RefundState,
    VoidPaymentState,
)

State = InvoiceDetailState
invoice = State.invoice


def _section(title: str, *children, **props) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="3", as_="h2"), *children, spacing="3", width="100%"),
        size="2",
        width="100%",
        role="region",
        aria_label=title,
        **props,
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), rx.text("Invoices"), spacing="1", align="center"),
            href=routes.INVOICES,
            size="2",
            color_scheme="gray",
        ),
        rx.flex(
            rx.hstack(
                rx.heading("Invoice #", invoice["number"], size="6"),
                status_badge(invoice["shown_status"]),
                rx.cond(
                    invoice["kind"] != "job",
                    rx.badge(invoice["kind"].to(str).capitalize(), variant="outline", color_scheme="gray", size="2"),
                ),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            rx.spacer(),
            rx.hstack(
                invoice_actions(invoice["id"]),
                sms_invoice_button(OfficeSendState),
                email_invoice_button(OfficeSendState),
                spacing="2",
                wrap="wrap",
            ),
            align="center",
            wrap="wrap",
            spacing="3",
            width="100%",
        ),
        rx.text("Issued ", invoice["issued_on"], " · due ", invoice["due_on"], color="var(--gray-11)", size="2"),
        bank_payment_pending(invoice),
        send_blockers(OfficeSendState),
        spacing="2",
        width="100%",
        margin_bottom="1rem",
    )


def _lines() -> rx.Component:
    return _section(
        "Work and charges",
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Description"),
                    rx.table.column_header_cell("Qty", text_align="right"),
                    rx.table.column_header_cell("Unit price", text_align="right"),
                    rx.table.column_header_cell("Amount", text_align="right"),
                )
            ),
            rx.table.body(
                rx.foreach(
                    State.lines,
                    lambda line: rx.table.row(
                        rx.table.cell(line["description"]),
                        rx.table.cell(line["quantity"], text_align="right"),
                        rx.table.cell(line["unit_price"], text_align="right"),
                        rx.table.cell(line["amount"], text_align="right"),
                    ),
                )
            ),
            variant="ghost",
            width="100%",
        ),
        rx.box(
            invoice_totals(invoice),
            width="100%",
            max_width="300px",
            margin_left="auto",
        ),
    )


def _timeline() -> rx.Component:
    return _section("Texts and emails", message_timeline(State.timeline))


def _contact(row) -> rx.Component:
    return rx.hstack(
        rx.text(row["value"], weight="medium"),
        rx.text(row["label"], size="2", color="var(--gray-11)"),
        spacing="2",
        align="baseline",
        wrap="wrap",
    )


def _customer() -> rx.Component:
    return _section(
        "Customer",
        rx.text(invoice["customer_name"], weight="bold", size="3"),
        rx.foreach(State.customer_phones, _contact),
        rx.foreach(State.customer_emails, _contact),
    )


def _location() -> rx.Component:
    return _section(
        "Service location",
        rx.text(invoice["location_name"], weight="bold", size="3"),
        rx.hstack(
            rx.icon("map-pin", size=14, flex_shrink="0", margin_top="3px"),
            rx.text(invoice["address"]),
            align="start",
            spacing="2",
        ),
        location_zone(invoice),
        rx.foreach(State.location_phones, _contact),
    )


def _revoke_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(rx.icon("link-2-off", size=16), "Revoke links", variant="soft", color_scheme="red", size="2")
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Revoke this invoice's payment links?"),
            rx.alert_dialog.description(
                "Anyone who opens a link already sent is told it no longer works. You can send a new link afterwards.",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Keep links", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Revoke links", color_scheme="red", on_click=State.revoke_links)),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
            max_width="440px",
        ),
    )


def _links() -> rx.Component:
    link = State.link
    return _section(
        "Payment link",
        rx.cond(
            link["closed"] != "",
            rx.text(link["closed"], size="2", color="var(--gray-11)"),
        ),
        rx.cond(
            link["live"].to(int) > 0,
            rx.vstack(
                rx.hstack(
                    rx.icon("link", size=16, color="var(--teal-11)"),
                    rx.text(
                        link["live"], rx.cond(link["live"].to(int) == 1, " live link", " live links"), weight="medium"
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.text("Latest expires ", link["latest_expiry"], size="2", color="var(--gray-11)"),
                spacing="1",
            ),
            rx.cond(
                State.invoice["status"] == "open",
                rx.text("No live link. Sending a text or email creates one.", size="2", color="var(--gray-11)"),
            ),
        ),
        rx.cond(
            link["last_opened"] != "",
            rx.text("Last opened ", link["last_opened"], size="2", color="var(--gray-11)"),
        ),
        rx.cond(
            (link["revoked"].to(int) > 0) | (link["expired"].to(int) > 0),
            rx.text(link["revoked"], " revoked · ", link["expired"], " expired", size="2", color="var(--gray-11)"),
        ),
        rx.cond(link["can_revoke"].to(bool), _revoke_button()),
    )


def _payment(row) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.text(row["amount"], weight="bold"),
            status_badge(row["status"]),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.text(row["method"], " · ", row["at"], size="2", color="var(--gray-11)"),
        rx.cond(
            row["note"] != "",
            rx.text(row["note"], size="2", color=rx.cond(row["problem"].to(bool), "var(--red-11)", "var(--gray-11)")),
        ),
        rx.foreach(row["refunds"].to(list[str]), lambda line: rx.text(line, size="2", color="var(--gray-11)")),
        rx.cond(
            row["refundable"] != "",
            rx.button(
                rx.icon("undo-2", size=14),
                "Refund",
                variant="soft",
                color_scheme="gray",
                size="1",
                on_click=RefundState.start(row["id"]),
                aria_label="Refund " + row["amount"].to(str),
            ),
        ),
        rx.cond(
            row["can_void"].to(bool),
            rx.button(
                rx.icon("ban", size=14),
                "Void",
                variant="soft",
                color_scheme="red",
                size="1",
                on_click=VoidPaymentState.start(row["id"]),
                aria_label="Void " + row["amount"].to(str) + " " + row["method"].to(str),
            ),
        ),
        spacing="1",
        width="100%",
        padding_y="0.4rem",
        border_bottom="1px solid var(--gray-a4)",
        data_testid="payment-row",
    )


def _error(message) -> rx.Component:
    return rx.cond(message, rx.text(message, size="1", color="var(--red-11)", role="alert"))


def payment_dialog(
    title: str,
    description: list,
    fields: list[rx.Component],
    on_submit,
    *,
    is_open,
    on_open_change,
    submit_label: str,
    error,
    submit_color: str | None = None,
    busy=False,
    cancel_label: str = "Cancel",
    alert: bool = False,
) -> rx.Component:
    """The frame every payment dialog on this page shares: title, description, the form's fields,
    the form-wide error, Cancel and the submit button. alert: a confirmation (role alertdialog)."""
    kit = rx.alert_dialog if alert else rx.dialog
    close = rx.alert_dialog.cancel if alert else rx.dialog.close
    submit_props = {"color_scheme": submit_color} if submit_color else {}
    return kit.root(
        kit.content(
            kit.title(title),
            kit.description(*description, size="2", color="var(--gray-11)"),
            rx.form(
                rx.vstack(
                    *fields,
                    _error(error),
                    rx.flex(
                        close(rx.button(cancel_label, variant="soft", color_scheme="gray", type="button")),
                        rx.button(submit_label, type="submit", loading=busy, **submit_props),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                    margin_top="1rem",
                ),
                on_submit=on_submit,
                reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=is_open,
        on_open_change=on_open_change,
    )


def _note(text) -> rx.Component:
    return rx.text(text, size="2", color="var(--gray-11)")


def _refund_dialog() -> rx.Component:
    R = RefundState
    return payment_dialog(
        "Refund payment",
        [R.payment_label, ". Up to ", R.refundable, " can be refunded."],
        [
            field_label("Amount to refund", "refund-amount"),
            rx.input(
                id="refund-amount",
                name="amount",
                placeholder=R.refundable,
                input_mode="decimal",
                width="100%",
                auto_focus=True,
            ),
            rx.text("Leave empty to refund all of it.", size="1", color="var(--gray-11)"),
            _error(R.errors["amount"]),
            field_label("Reason", "refund-reason"),
            rx.text_area(
                id="refund-reason",
                name="reason",
                placeholder="e.g. Charged twice for the same visit",
                max_length=300,
                width="100%",
            ),
            _error(R.errors["reason"]),
            rx.text(
                "The money goes back to the customer's card or bank account, and the customer is told by "
                "text or email. The invoice's part is refunded first and a tip last: the invoice's balance "
                "goes up by the invoice's part only. ",
                R.tip_note,
                size="2",
                color="var(--gray-11)",
            ),
        ],
        R.submit,
        is_open=R.open,
        on_open_change=R.set_open,
        submit_label="Refund",
        error=R.errors["form"],
        submit_color="red",
        busy=R.busy,
    )


def _record_dialog() -> rx.Component:
    P = RecordPaymentState
    return payment_dialog(
        "Record payment",
        ["Money received outside online payments. The balance drops by the amount."],
        [
            rx.text("Method", weight="medium", size="2", id="record-method-label"),
            rx.radio_group.root(
                rx.hstack(
                    rx.radio_group.item(value="check", id="record-check"),
                    rx.el.label("Check", html_for="record-check"),
                    rx.radio_group.item(value="cash", id="record-cash"),
                    rx.el.label("Cash", html_for="record-cash"),
                    rx.radio_group.item(value="other", id="record-other"),
                    rx.el.label("Other", html_for="record-other"),
                    spacing="2",
                    align="center",
                ),
                value=P.method,
                on_change=P.set_method,
                aria_labelledby="record-method-label",
            ),
            _error(P.errors["method"]),
            rx.cond(
                P.method == "check",
                rx.vstack(
                    field_label("Check number", "record-check-number"),
                    rx.input(id="record-check-number", name="check_number", max_length=30, width="100%"),
                    _error(P.errors["check_number"]),
                    spacing="2",
                    width="100%",
                ),
            ),
            field_label("Amount", "record-amount"),
            rx.input(
                id="record-amount", name="amount", placeholder=invoice["balance"], input_mode="decimal", width="100%"
            ),
            _error(P.errors["amount"]),
            field_label("Received on", "record-date"),
            rx.input(id="record-date", name="received_on", type="date", default_value=P.today, width="100%"),
            _error(P.errors["received_on"]),
            field_label("Note (optional)", "record-note"),
            rx.text_area(id="record-note", name="note", max_length=300, width="100%"),
            _error(P.errors["note"]),
        ],
        P.submit,
        is_open=P.open,
        on_open_change=P.set_open,
        submit_label="Record payment",
        error=P.errors["form"],
    )


def _void_payment_dialog() -> rx.Component:
    V = VoidPaymentState
    return payment_dialog(
        "Void this payment?",
        [
            "For a payment recorded by mistake. It stays listed with your reason, counts for nothing, and "
            "the balance is due again."
        ],
        [
            field_label("Reason", "void-payment-reason"),
            rx.text_area(id="void-payment-reason", name="reason", max_length=300, width="100%"),
        ],
        V.submit,
        is_open=V.open,
        on_open_change=V.set_open,
        submit_label="Void payment",
        error=V.error,
        submit_color="red",
        cancel_label="Keep payment",
        alert=True,
    )


def _charge_saved_card_dialog() -> rx.Component:
    C = ChargeSavedCardState
    return payment_dialog(
        "Charge saved card",
        [C.card, "."],
        [
            field_label("Amount to charge", "charge-amount"),
            rx.input(
                id="charge-amount",
                name="amount",
                default_value=C.amount,
                input_mode="decimal",
                width="100%",
                auto_focus=True,
            ),
            rx.text("The invoice's balance is ", C.balance, ".", size="1", color="var(--gray-11)"),
            _error(C.errors["amount"]),
            _note(
                "The card is charged now, without the customer present, as they agreed when they saved it. "
                "They get a receipt; if the bank declines, nothing is sent to them and you see why here."
            ),
        ],
        C.submit,
        is_open=C.open,
        on_open_change=C.set_open,
        submit_label="Charge card",
        error=C.errors["form"],
        busy=C.busy,
    )


def _payments() -> rx.Component:
    return _section(
        "Payments",
        rx.cond(
            State.may_record & (invoice["status"] == "open"),
            rx.button(
                rx.icon("plus", size=14),
                "Record payment",
                variant="soft",
                size="2",
                on_click=RecordPaymentState.start,
            ),
        ),
        rx.cond(
            State.saved_card != "",
            rx.vstack(
                rx.text("Card on file: ", State.saved_card, size="2", color="var(--gray-11)"),
                rx.button(
                    rx.icon("credit-card", size=14),
                    "Charge saved card",
                    variant="soft",
                    size="2",
                    on_click=ChargeSavedCardState.start,
                ),
                spacing="1",
                width="100%",
            ),
        ),
        rx.cond(
            State.payments.length() == 0,
            rx.text("No payments yet.", size="2", color="var(--gray-11)"),
            rx.vstack(rx.foreach(State.payments, _payment), spacing="0", width="100%"),
        ),
    )


def _content() -> rx.Component:
    return rx.box(
        _header(),
        rx.grid(
            rx.vstack(
                _lines(),
                invoice_reminders(),
                _timeline(),
                spacing="4",
                width="100%",
                grid_column=rx.breakpoints(initial="auto", md="span 2"),
            ),
            rx.vstack(_customer(), _location(), _payments(), _links(), spacing="4", width="100%"),
            columns=rx.breakpoints(initial="1", md="3"),
            spacing="4",
            width="100%",
        ),
        text_dialog(OfficeSendState),
        email_dialog(OfficeSendState),
        _refund_dialog(),
        _record_dialog(),
        _void_payment_dialog(),
        _charge_saved_card_dialog(),
    )


@staff_page(routes.INVOICE, "Invoice", on_load=[InvoiceDetailState.load])
def invoice_detail() -> rx.Component:
    return rx.cond(
        State.refused != "",
        not_allowed(State.refused),
        rx.cond(State.loaded, _content(), loading()),
    )
