"""The invoice page's Reminders card: the next reminder (or why they stopped), Pause / Resume."""

import reflex as rx

from smslinks.state.reminders import InvoiceRemindersState as State


def invoice_reminders() -> rx.Component:
    return rx.cond(
        State.reminder_line != "",
        rx.card(
            rx.vstack(
                rx.heading("Reminders", size="3", as_="h2"),
                rx.text(State.reminder_line, size="2", data_testid="reminder-line"),
                rx.cond(State.can_pause, rx.button("Pause reminders", on_click=State.pause, variant="soft", size="2")),
                rx.cond(State.can_resume, rx.button("Resume", on_click=State.resume, variant="soft", size="2")),
                spacing="3",
                width="100%",
            ),
            size="2",
            width="100%",
            role="region",
            aria_label="Reminders",
        ),
    )
