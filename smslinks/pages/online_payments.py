"""Settings > Invoicing > Online Payments."""

import reflex as rx

from smslinks import routes
from smslinks.core.sms_readiness import ACCOUNT_NOT_ENABLED
from smslinks.core.sms_text import OPT_OUT_LINE
from smslinks.pages.components import UNSAVED, field_label, save_bar
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.pages.reminder_settings import reminders_section
from smslinks.pages.settings import settings_frame
from smslinks.state.online_payments import OnlinePaymentsState as State
from smslinks.state.reminders import ReminderSettingsState

SMS_OFF = ~State.account_enabled
_NESTED_INDENT = rx.breakpoints(initial="1rem", sm="2.75rem")
NOT_EDITABLE = (
    "This text can't be edited. Carriers check every business text against the message "
    "templates registered for your number, so invoice texts always use this wording; the "
    f'"{OPT_OUT_LINE}" line is required for delivery and compliance.'
)


def _switch_row(name: str, label: str, description: str, disabled=False, note=None) -> rx.Component:
    switch_id = f"setting-{name}"
    return rx.hstack(
        rx.switch(
            id=switch_id,
            checked=State.switches[name],
            on_change=lambda on: State.set_switch(name, on),
            disabled=disabled,
            size="2",
            margin_top="2px",
        ),
        rx.vstack(
            field_label(label, switch_id),
            rx.text(description, size="2", color_scheme="gray"),
            *([note] if note is not None else []),
            spacing="1",
        ),
        spacing="3",
        align="start",
        width="100%",
    )


def _section(title: str, *children: rx.Component, description: str | None = None) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.vstack(
                rx.heading(title, size="4", as_="h2"),
                *([rx.text(description, size="2", color_scheme="gray")] if description else []),
                spacing="1",
            ),
            *children,
            spacing="4",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def _prerequisite(item) -> rx.Component:
    return rx.hstack(
        rx.cond(
            item["met"],
            rx.icon("circle-check", size=20, color="var(--green-9)", flex_shrink="0"),
            rx.icon("circle-alert", size=20, color="var(--amber-9)", flex_shrink="0"),
        ),
        rx.vstack(
            rx.text(item["label"], size="2", weight="medium"),
            rx.text(item["detail"], size="1", color_scheme="gray"),
            spacing="0",
        ),
        spacing="2",
        align="start",
    )


def _prerequisites() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Before texts can go out", size="3", as_="h2"),
            rx.grid(
                rx.foreach(State.prerequisites, _prerequisite),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                State.sending_blocker != "",
                rx.callout.root(
                    rx.callout.icon(rx.icon("message-square-off")),
                    rx.callout.text(
                        rx.text("Not ready to send texts. ", weight="bold", as_="span"),
                        State.sending_blocker,
                    ),
                    color_scheme="amber",
                    role="status",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        aria_label="SMS prerequisites",
    )


def _sms_options() -> rx.Component:
    mobile_email_off = ~State.switches["mobile_email_enabled"]
    return rx.vstack(
        _switch_row(
            "office_sms_enabled",
            "Enable sending invoice links in desktop via Office",
            "Office staff can text an invoice link from the invoice page.",
            disabled=SMS_OFF,
        ),
        _switch_row(
            "mobile_email_enabled",
            "Enable sending email invoice links in Mobile",
            "Technicians can email an invoice link from their phone.",
            disabled=SMS_OFF,
        ),
        rx.box(
            _switch_row(
                "mobile_sms_enabled",
                "Also enable sending SMS invoice links via Mobile",
                "Technicians can also text the link, right after the job.",
                disabled=SMS_OFF | mobile_email_off,
                note=rx.cond(
                    mobile_email_off,
                    rx.text(
                        "Available once email invoice links in Mobile are on.",
                        size="1",
                        color="var(--amber-11)",
                        id="mobile-sms-reason",
                    ),
                ),
            ),
            padding_left=_NESTED_INDENT,
            width="100%",
        ),
        spacing="4",
        padding_left=_NESTED_INDENT,
        padding_top="0.25rem",
        border_left="2px solid var(--gray-a4)",
        margin_left="1.1rem",
        width="calc(100% - 1.1rem)",
    )


def _payment_options() -> rx.Component:
    return _section(
        "Enable Payment Options",
        rx.cond(
            SMS_OFF,
            rx.callout(
                ACCOUNT_NOT_ENABLED,
                icon="lock",
                color_scheme="red",
                role="alert",
                width="100%",
            ),
        ),
        _switch_row(
            "sms_links_enabled",
            "SMS invoice links",
            "Text customers a secure link to view and pay an invoice.",
            disabled=SMS_OFF,
        ),
        rx.cond(State.switches["sms_links_enabled"], _sms_options()),
        # Email needs no SMS registration: it stays available whatever the account's SMS state.
        _switch_row(
            "office_email_enabled",
            "Enable sending email invoice links in desktop via Office",
            "Office staff can email an invoice link from the invoice page.",
        ),
        _switch_row(
            "email_when_text_fails",
            "Email the link when a text can't be delivered",
            "When a text cannot reach the number (a landline, a phone out of service, a carrier block), the same "
            "link goes to the customer's email address, if they have one. Never after a STOP.",
        ),
        description="How invoice links reach customers.",
    )


def _stat(label: str, value) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.text(value, size="3", weight="bold"),
        spacing="0",
        min_width="4.5rem",
    )


def _phone_mockup(preview) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.vstack(
                rx.center(
                    rx.icon("store", size=18, color="white"),
                    width="36px",
                    height="36px",
                    border_radius="50%",
                    background="var(--gray-9)",
                ),
                rx.text(State.business_name, size="1", weight="medium", text_align="center"),
                rx.cond(State.sender != "", rx.text(State.sender, size="1", color_scheme="gray")),
                align="center",
                spacing="1",
                width="100%",
                padding_bottom="0.5rem",
                border_bottom="1px solid var(--gray-a4)",
            ),
            rx.text("Text Message · Today", size="1", color_scheme="gray", align="center", width="100%"),
            rx.box(
                preview["text"],
                custom_attrs={"data-testid": "sms-preview-text"},
                background="var(--gray-4)",
                color="var(--gray-12)",
                padding="0.6rem 0.85rem",
                border_radius="18px 18px 18px 4px",
                font_size="15px",
                line_height="1.35",
                white_space="pre-wrap",
                overflow_wrap="anywhere",
                max_width="88%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        max_width="330px",
        flex_shrink="0",
        padding="1rem 0.9rem 1.75rem",
        border="8px solid var(--gray-12)",
        border_radius="32px",
        background="white",
        box_shadow="var(--shadow-3)",
    )


def _preview(preview, method: str) -> rx.Component:
    return rx.vstack(
        rx.heading("SMS Text Message Preview", size="3", as_="h3"),
        rx.text(
            f"What a customer receives when you text them an invoice to pay by {method} "
            "(sample invoice, amount and link).",
            size="2",
            color_scheme="gray",
        ),
        rx.flex(
            _phone_mockup(preview),
            rx.vstack(
                rx.hstack(
                    _stat("Characters", preview["characters"]),
                    _stat("Encoding", preview["encoding"]),
                    _stat("SMS segments", preview["segments"]),
                    spacing="4",
                    wrap="wrap",
                    custom_attrs={"data-testid": "sms-preview-stats"},
                ),
                rx.callout(NOT_EDITABLE, icon="lock", color_scheme="gray", variant="surface", size="1"),
                spacing="4",
                flex="1",
                min_width="220px",
            ),
            spacing="5",
            wrap="wrap",
            align="start",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _method_tab(value: str, name: str, label: str, description: str, preview, method: str) -> rx.Component:
    return rx.tabs.content(
        rx.vstack(
            _switch_row(name, label, description),
            rx.cond(
                State.switches["sms_links_enabled"],
                rx.box(rx.separator(size="4", margin_bottom="1rem"), _preview(preview, method), width="100%"),
            ),
            spacing="4",
            width="100%",
            padding_top="1rem",
        ),
        value=value,
    )


def _payment_methods() -> rx.Component:
    return rx.card(
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("Credit Card", value="card"),
                rx.tabs.trigger("ACH", value="ach"),
                size="2",
            ),
            _method_tab(
                "card",
                "card_enabled",
                "Accept credit and debit cards",
                "Customers can pay with Visa, Mastercard, American Express or Discover.",
                State.card_preview,
                "card",
            ),
            _method_tab(
                "ach",
                "ach_enabled",
                "Accept ACH bank payments",
                "Customers can pay from a US bank account. Payments take a few business days to clear.",
                State.ach_preview,
                "bank account (ACH)",
            ),
            default_value="card",
        ),
        size="3",
        width="100%",
    )


def _number_field(field_id: str, label: str, value, on_change, low: int, high: int, unit: str, help_text: str):
    return rx.vstack(
        field_label(label, field_id),
        rx.hstack(
            rx.input(
                id=field_id,
                type="number",
                min=low,
                max=high,
                value=value,
                on_change=on_change,
                width="5.5rem",
                size="2",
            ),
            rx.text(unit, size="2", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        rx.text(help_text, size="1", color_scheme="gray"),
        spacing="1",
    )


def _link_rules() -> rx.Component:
    return _section(
        "Payments and links",
        _switch_row(
            "partial_payments_enabled",
            "Allow customers to pay part of the balance",
            "Customers can choose an amount up to the balance due.",
        ),
        rx.flex(
            _number_field(
                "daily-limit",
                "Texts per invoice and recipient per 24 hours",
                State.daily_limit,
                State.set_daily_limit,
                1,
                10,
                "texts",
                "From 1 to 10. Keeps a customer from being flooded.",
            ),
            _number_field(
                "link-valid-days",
                "Payment links expire after",
                State.valid_days,
                State.set_valid_days,
                1,
                90,
                "days",
                "From 1 to 90 days. Each send makes a new link.",
            ),
            spacing="6",
            wrap="wrap",
        ),
    )


def _tip_percent(index: int) -> rx.Component:
    field_id = f"tip-percent-{index + 1}"
    return rx.vstack(
        field_label(f"Tip choice {index + 1}", field_id),
        rx.hstack(
            rx.input(
                id=field_id,
                type="number",
                min=1,
                max=50,
                value=State.tip_percents[index],
                on_change=lambda text: State.set_tip_percent(index, text),
                aria_describedby="tip-percent-help",
                width="5.5rem",
                size="2",
            ),
            rx.text("%", size="2", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        spacing="1",
    )


def _tips() -> rx.Component:
    return _section(
        "Tips",
        _switch_row(
            "tips_enabled",
            "Ask customers for a tip",
            "The pay page offers three tip percentages of the invoice total, a custom tip and no tip. "
            "Tips are charged with the payment, kept apart from the invoice and credited to the job's technician.",
        ),
        rx.cond(
            State.switches["tips_enabled"],
            rx.vstack(
                rx.flex(*[_tip_percent(index) for index in range(3)], spacing="6", wrap="wrap"),
                rx.text(
                    "Each from 1 to 50%, all three different.",
                    id="tip-percent-help",
                    size="1",
                    color_scheme="gray",
                ),
                rx.cond(
                    State.tip_error != "",
                    rx.text(State.tip_error, size="2", color="var(--red-11)", id="tip-percent-error", role="alert"),
                ),
                spacing="2",
                padding_left=_NESTED_INDENT,
            ),
        ),
        description="Let customers thank the technician who did the work.",
    )


def _save_bar() -> rx.Component:
    return save_bar(
        State.has_changes | (State.save_error != ""), UNSAVED, State.discard, State.save, error=State.save_error
    )


def _content() -> rx.Component:
    return rx.vstack(
        page_header(
            "Online Payments",
            subtitle="How customers pay invoices online, and how payment links reach them.",
        ),
        _prerequisites(),
        _payment_options(),
        _payment_methods(),
        _link_rules(),
        _tips(),
        _save_bar(),
        reminders_section(),
        spacing="4",
        width="100%",
    )


@staff_page(routes.SETTINGS_ONLINE_PAYMENTS, "Online Payments", on_load=[State.load, ReminderSettingsState.load])
def online_payments() -> rx.Component:
    return settings_frame(routes.SETTINGS_ONLINE_PAYMENTS, rx.cond(State.loaded, _content(), loading()))
