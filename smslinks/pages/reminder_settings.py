"""Settings > Online Payments > Reminders: its own card, with its own Save."""

import reflex as rx

from smslinks.core.reminders import MAX_DAY, MAX_REMINDERS, REMINDER_TIME
from smslinks.pages.components import field_label
from smslinks.state.reminders import ReminderSettingsState as State

AT = REMINDER_TIME.strftime("%-I:%M %p")


def _days_field() -> rx.Component:
    return rx.vstack(
        field_label("Send a reminder this many days after the first text", "reminder-days"),
        rx.input(
            id="reminder-days",
            value=State.days,
            on_change=State.set_days,
            placeholder="3, 7, 14",
            width="12rem",
            size="2",
            aria_invalid=rx.cond(State.days_error != "", "true", "false"),
        ),
        rx.cond(
            State.days_error != "",
            rx.text(State.days_error, size="2", color="var(--red-11)", data_testid="reminder-days-error"),
            rx.text(
                f"Up to {MAX_REMINDERS} reminders, each from 1 to {MAX_DAY} days, increasing. "
                f"They go at {AT} at the service location.",
                size="1",
                color_scheme="gray",
            ),
        ),
        rx.cond(State.summary != "", rx.text("Reminders go ", State.summary, ".", size="2", weight="medium")),
        spacing="1",
    )


def _preview() -> rx.Component:
    from smslinks.pages.online_payments import NOT_EDITABLE, _phone_mockup, _stat

    return rx.vstack(
        rx.heading("Reminder Text Preview", size="3", as_="h3"),
        rx.text(
            "What a customer receives as a reminder (sample invoice, amount and link).", size="2", color_scheme="gray"
        ),
        rx.flex(
            rx.box(_phone_mockup(State.preview), data_testid="reminder-preview", width="100%", max_width="330px"),
            rx.vstack(
                rx.hstack(
                    _stat("Characters", State.preview["characters"]),
                    _stat("Encoding", State.preview["encoding"]),
                    _stat("SMS segments", State.preview["segments"]),
                    spacing="4",
                    wrap="wrap",
                    custom_attrs={"data-testid": "reminder-preview-stats"},
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


def reminders_section() -> rx.Component:
    return rx.cond(
        State.loaded,
        rx.card(
            rx.vstack(
                rx.vstack(
                    rx.heading("Reminders", size="4", as_="h2"),
                    rx.text(
                        "Text customers again while an invoice stays unpaid. Reminders stop for good when the "
                        "invoice is paid or voided, a bank payment is processing, the customer replies or opts "
                        "out, or someone pauses them on the invoice.",
                        size="2",
                        color_scheme="gray",
                    ),
                    spacing="1",
                ),
                rx.hstack(
                    rx.switch(
                        id="setting-reminders",
                        checked=State.enabled,
                        on_change=State.set_enabled,
                        size="2",
                        margin_top="2px",
                    ),
                    field_label("Send payment reminders", "setting-reminders"),
                    spacing="3",
                    align="start",
                ),
                _days_field(),
                rx.hstack(
                    rx.button("Save reminders", on_click=State.save, disabled=~State.has_changes, size="2"),
                    rx.cond(State.has_changes, rx.text("Unsaved changes", size="2", color_scheme="gray")),
                    spacing="3",
                    align="center",
                ),
                rx.separator(size="4"),
                _preview(),
                spacing="4",
                width="100%",
            ),
            size="3",
            width="100%",
            role="region",
            aria_label="Reminders",
        ),
    )
