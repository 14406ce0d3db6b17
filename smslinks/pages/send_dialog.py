"""The "SMS Invoice" / "Email Invoice" buttons and their dialogs, drawn for any SendInvoiceState.

Every function takes the state class (a SendInvoiceState subclass), so the office invoice page and
the technician's phone view draw the same picker from the same logic. Layout works from 360px wide
to desktop; touch targets are at least 44px tall. Cancel and Send stay in reach while the dialog
scrolls, and below 480px wide the dialogs fill the screen like a phone's own sheets (assets/app.css,
"send-dialog").
"""

import reflex as rx

from smslinks.pages.components import field_label
from smslinks.state.send_invoice import NEW, PHONE_TYPES

TOUCH = "44px"
# Footer buttons share a phone's width; on wider screens they keep their own.
_FOOTER_BUTTON = rx.breakpoints(initial="1 1 0", sm="0 0 auto")


# ---------------------------------------------------------------- the buttons


def _action_button(label: str, icon: str, blocker, on_click, sending, width) -> rx.Component:
    button = rx.button(
        rx.icon(icon, size=16),
        label,
        on_click=on_click,
        disabled=(blocker != "") | sending,
        size="3",
        min_height=TOUCH,
        width=width,
    )
    # A disabled button gets no pointer events: the tooltip sits on a wrapper.
    return rx.cond(
        blocker != "",
        rx.tooltip(rx.box(button, width=width, tab_index=0, aria_label=f"{label}: {blocker}"), content=blocker),
        button,
    )


def sms_invoice_button(State, label: str = "SMS Invoice", width: str = "auto") -> rx.Component:
    return _action_button(label, "message-square-text", State.text_blocker, State.open_text, State.sending, width)


def email_invoice_button(State, label: str = "Email Invoice", width: str = "auto") -> rx.Component:
    return _action_button(label, "mail", State.email_blocker, State.open_email, State.sending, width)


def _menu_action(label: str, icon: str, blocker, on_click, sending) -> rx.Component:
    return rx.menu.item(
        rx.hstack(
            rx.icon(icon, size=18, flex_shrink="0"),
            rx.vstack(
                rx.text(label, weight="medium", size="3"),
                rx.cond(blocker != "", rx.text(blocker, size="1", color="var(--gray-11)", white_space="normal")),
                spacing="0",
                align="start",
            ),
            spacing="3",
            align="center",
        ),
        on_click=on_click,
        disabled=(blocker != "") | sending,
        height="auto",
        min_height=TOUCH,
        padding_y="0.4rem",
    )


def actions_menu(State) -> rx.Component:
    """ "Actions" with "Text Invoice" and "Email Invoice". An action not offered to this person at all
    (settings, permissions) is left out; one this invoice does not allow is disabled and says why."""
    return rx.cond(
        State.text_offered | State.email_offered,
        rx.menu.root(
            rx.menu.trigger(rx.button("Actions", rx.icon("chevron-down", size=16), size="3", min_height=TOUCH)),
            rx.menu.content(
                rx.cond(
                    State.text_offered,
                    _menu_action(
                        "Text Invoice", "message-square-text", State.text_blocker, State.open_text, State.sending
                    ),
                ),
                rx.cond(
                    State.email_offered,
                    _menu_action("Email Invoice", "mail", State.email_blocker, State.open_email, State.sending),
                ),
                align="end",
                size="2",
                max_width="min(320px, calc(100vw - 2rem))",
            ),
        ),
    )


def _why_not(prefix: str, reason) -> rx.Component:
    return rx.cond(
        reason != "",
        rx.hstack(
            rx.icon("info", size=14, flex_shrink="0", margin_top="3px"),
            rx.text(rx.text.strong(prefix), " ", reason, size="2"),
            color="var(--gray-11)",
            align="start",
            spacing="2",
        ),
    )


def send_blockers(State) -> rx.Component:
    """The reasons the buttons are disabled, in plain text (not only in a tooltip)."""
    return rx.vstack(
        _why_not("Text:", State.text_blocker),
        _why_not("Email:", State.email_blocker),
        spacing="1",
        width="100%",
    )


# ---------------------------------------------------------------- the recipient picker


def _recipient_card(option) -> rx.Component:
    return rx.radio_cards.item(
        rx.hstack(
            rx.icon(rx.cond(option["choosable"], "smartphone", "phone-off"), size=18, flex_shrink="0"),
            rx.vstack(
                rx.hstack(
                    rx.text(option["number"], weight="bold", size="3"),
                    rx.badge(option["type"], variant="soft", color_scheme=rx.cond(option["choosable"], "teal", "gray")),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(
                    rx.cond(option["label"] != "", option["label"].to(str) + " · ", ""),
                    option["owner"],
                    size="2",
                    color="var(--gray-11)",
                ),
                rx.cond(
                    option["reason"] != "",
                    rx.text(option["reason"], size="2", color="var(--orange-11)"),
                ),
                spacing="0",
                align="start",
            ),
            spacing="3",
            align="center",
            width="100%",
        ),
        value=option["value"],
        disabled=~option["choosable"].to(bool),
        min_height=TOUCH,
        justify_content="start",
        text_align="left",
    )


def _touch_checkbox(label: str, checked, on_change) -> rx.Component:
    """A checkbox whose whole label, at least 44px tall, is the touch target."""
    return rx.el.label(
        rx.checkbox(checked=checked, on_change=on_change, size="3"),
        rx.text(label, size="3", as_="span"),
        display="flex",
        align_items="center",
        gap="0.5rem",
        min_height=TOUCH,
        cursor="pointer",
    )


def _new_number_form(State) -> rx.Component:
    return rx.vstack(
        rx.vstack(
            field_label("Phone number", "new-number"),
            rx.input(
                id="new-number",
                type="tel",
                input_mode="tel",
                auto_complete="tel",
                value=State.new_number,
                on_change=State.set_new_number,
                on_blur=State.check_new_number,
                placeholder="(512) 555-0123",
                size="3",
                width="100%",
            ),
            rx.cond(
                State.new_number_error != "",
                rx.text(State.new_number_error, color="var(--red-11)", size="2", role="alert"),
            ),
            spacing="1",
            width="100%",
        ),
        rx.flex(
            rx.vstack(
                field_label("Name or label", "new-number-label"),
                rx.input(
                    id="new-number-label",
                    value=State.new_label,
                    on_change=State.set_new_label,
                    placeholder="e.g. Maria's cell",
                    max_length=60,
                    size="3",
                    width="100%",
                ),
                spacing="1",
                flex="1 1 180px",
            ),
            rx.vstack(
                field_label("Type", "new-number-type"),
                rx.select.root(
                    rx.select.trigger(id="new-number-type", width="100%", min_height=TOUCH),
                    rx.select.content(*[rx.select.item(kind, value=kind) for kind in PHONE_TYPES]),
                    value=State.new_type,
                    on_change=State.set_new_type,
                    size="3",
                ),
                spacing="1",
                flex="0 1 140px",
            ),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            State.new_type != "Mobile",
            rx.text("Only Mobile numbers can receive texts.", color="var(--orange-11)", size="2"),
        ),
        rx.flex(
            _touch_checkbox("Save to Customer Record", State.save_to_customer, State.set_save_to_customer),
            _touch_checkbox("Save to Location Record", State.save_to_location, State.set_save_to_location),
            column_gap="1.5rem",
            wrap="wrap",
        ),
        rx.cond(
            State.save_to_customer | State.save_to_location,
            rx.text(
                "Saving records that the customer agreed to receive texts at this number, with your name and the time.",
                size="1",
                color="var(--gray-11)",
            ),
        ),
        spacing="3",
        width="100%",
        padding="0.75rem",
        border="1px solid var(--gray-a5)",
        border_radius="var(--radius-3)",
        background="var(--gray-a2)",
    )


def _send_to(heading_id: str, choices, new_label: str, value, on_change) -> tuple[rx.Component, rx.Component]:
    """The "Send to" list: the choices on record as cards, then one to enter another (value NEW)."""
    return (
        rx.text("Send to", weight="medium", size="2", id=heading_id),
        rx.radio_cards.root(
            choices,
            rx.radio_cards.item(
                rx.hstack(rx.icon("plus", size=18), rx.text(new_label, weight="medium"), align="center"),
                value=NEW,
                min_height=TOUCH,
                justify_content="start",
            ),
            value=value,
            on_value_change=on_change,
            columns="1",
            gap="2",
            size="1",
            width="100%",
            aria_labelledby=heading_id,
        ),
    )


def recipient_picker(State) -> rx.Component:
    """The customer's and service location's numbers (Mobile ones choosable) and a new number."""
    return rx.vstack(
        *_send_to(
            "recipient-heading",
            rx.foreach(State.recipients, _recipient_card),
            "Use a New Number",
            State.recipient,
            State.choose_recipient,
        ),
        rx.cond(State.recipient == NEW, _new_number_form(State)),
        spacing="2",
        width="100%",
    )


def pay_by_picker(State) -> rx.Component:
    """Credit Card or ACH, only when both are accepted."""
    return rx.cond(
        State.pay_by_choices.length() > 1,
        rx.vstack(
            rx.text("Customer pays by", weight="medium", size="2", id="pay-by-heading"),
            rx.radio_cards.root(
                rx.foreach(
                    State.pay_by_choices,
                    lambda c: rx.radio_cards.item(
                        rx.text(c["label"], weight="medium"), value=c["value"], min_height=TOUCH
                    ),
                ),
                value=State.pay_by,
                on_value_change=State.choose_pay_by,
                columns="2",
                gap="2",
                size="1",
                width="100%",
                aria_labelledby="pay-by-heading",
            ),
            spacing="2",
            width="100%",
        ),
    )


def message_preview(State) -> rx.Component:
    """The exact text that will be sent, as a phone shows it."""
    return rx.vstack(
        rx.text("Message", weight="medium", size="2"),
        rx.box(
            rx.text(
                State.preview, size="2", white_space="pre-wrap", word_break="break-word", data_testid="sms-preview"
            ),
            background="var(--gray-3)",
            padding="0.75rem 0.9rem",
            border_radius="18px 18px 18px 4px",
            max_width="100%",
        ),
        rx.text(State.segments, size="1", color="var(--gray-11)"),
        rx.cond(
            State.send_note != "",
            rx.callout(State.send_note, icon="moon", color_scheme="amber", size="1", width="100%"),
        ),
        spacing="2",
        width="100%",
    )


def waiting_text(State) -> rx.Component:
    """A text for this invoice already waits for the chosen number: keep it, or cancel it to send anew."""
    return rx.cond(
        State.waiting_notice != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("clock", size=16)),
            rx.vstack(
                rx.callout.text(State.waiting_notice, data_testid="waiting-text"),
                rx.flex(
                    rx.button(
                        "Keep it",
                        on_click=State.keep_waiting_text,
                        variant="soft",
                        color_scheme="gray",
                        size="2",
                        min_height=TOUCH,
                    ),
                    rx.button(
                        "Cancel that text",
                        on_click=State.cancel_waiting_text,
                        variant="soft",
                        color_scheme="red",
                        size="2",
                        min_height=TOUCH,
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="2",
                width="100%",
            ),
            color_scheme="amber",
            size="1",
            width="100%",
            role="status",
        ),
    )


def _error(message) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle-alert", color_scheme="red", role="alert", size="1", width="100%"),
    )


def _footer(State, on_send, send_label, blocked=None) -> rx.Component:
    return rx.flex(
        rx.dialog.close(
            rx.button("Cancel", variant="soft", color_scheme="gray", size="3", min_height=TOUCH, flex=_FOOTER_BUTTON)
        ),
        rx.button(
            rx.icon("send", size=16),
            send_label,
            on_click=on_send,
            disabled=State.sending if blocked is None else State.sending | blocked,
            loading=State.sending,
            size="3",
            min_height=TOUCH,
            flex=_FOOTER_BUTTON,
        ),
        spacing="3",
        justify="end",
        width="100%",
        class_name="send-dialog-footer",
    )


def text_dialog_body(State) -> rx.Component:
    """The dialog's content without the dialog: a phone view may show it as a page."""
    return rx.vstack(
        recipient_picker(State),
        pay_by_picker(State),
        message_preview(State),
        waiting_text(State),
        _error(State.text_error),
        _footer(State, State.send_text, State.send_label, State.waiting_notice != ""),
        spacing="4",
        width="100%",
        class_name="send-dialog-body",
    )


def _dialog(title: str, description, is_open, on_open_change, body) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            rx.dialog.description(description, size="2", color="var(--gray-11)", margin_bottom="1rem"),
            body,
            max_width="560px",
            width="calc(100vw - 1.5rem)",
            padding=["1rem", "1.5rem"],
            class_name="send-dialog",
        ),
        open=is_open,
        on_open_change=on_open_change,
    )


def _description(State) -> rx.Component:
    return rx.text(
        "Invoice #",
        State.invoice_number,
        " for ",
        State.invoice_summary,
        ". The customer gets a secure link to view and pay it.",
    )


def text_dialog(State) -> rx.Component:
    return _dialog(
        "SMS Text Invoice Link",
        _description(State),
        State.text_open,
        State.set_text_open,
        text_dialog_body(State),
    )


# ---------------------------------------------------------------- email


def _email_card(choice) -> rx.Component:
    return rx.radio_cards.item(
        rx.vstack(
            rx.text(choice["value"], weight="bold", size="3", word_break="break-all"),
            rx.text(choice["label"], size="2", color="var(--gray-11)"),
            spacing="0",
            align="start",
        ),
        value=choice["value"],
        min_height=TOUCH,
        justify_content="start",
        text_align="left",
    )


def email_dialog_body(State) -> rx.Component:
    return rx.vstack(
        *_send_to(
            "email-heading",
            rx.foreach(State.email_choices, _email_card),
            "Another address",
            State.email_to,
            State.choose_email,
        ),
        rx.cond(
            State.email_to == NEW,
            rx.vstack(
                field_label("Email address", "email-address"),
                rx.input(
                    id="email-address",
                    type="email",
                    input_mode="email",
                    auto_complete="email",
                    value=State.email_typed,
                    on_change=State.set_email_typed,
                    placeholder="name@example.com",
                    size="3",
                    width="100%",
                ),
                spacing="1",
                width="100%",
            ),
        ),
        pay_by_picker(State),
        rx.vstack(
            rx.text("Email", weight="medium", size="2"),
            rx.box(
                rx.text(rx.text.strong("Subject: "), State.email_subject, size="2"),
                rx.separator(size="4", margin_y="0.5rem"),
                rx.text(
                    State.email_body,
                    size="2",
                    white_space="pre-wrap",
                    word_break="break-word",
                    data_testid="email-preview",
                ),
                padding="0.75rem 0.9rem",
                border="1px solid var(--gray-a5)",
                border_radius="var(--radius-3)",
                background="var(--gray-a2)",
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        _error(State.email_error),
        _footer(State, State.send_email, "Send email"),
        spacing="4",
        width="100%",
        class_name="send-dialog-body",
    )


def email_dialog(State) -> rx.Component:
    return _dialog(
        "Email Invoice Link",
        _description(State),
        State.email_open,
        State.set_email_open,
        email_dialog_body(State),
    )
