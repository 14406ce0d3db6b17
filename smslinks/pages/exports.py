"""Settings > Data > Export: pick the days, download payments or messages as CSV."""

import reflex as rx

from smslinks import routes
from smslinks.core.exports import DOWNLOAD_MAX_ROWS, MESSAGE_COLUMNS, PAYMENT_COLUMNS
from smslinks.pages.date_range import date_range
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.pages.profile_fields import hint_text
from smslinks.pages.settings import settings_frame
from smslinks.state.exports import ExportState as State


def _range() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Days", size="4", as_="h2"),
            date_range(State, "export"),
            hint_text(
                rx.fragment(
                    "Days and times are the business's: ",
                    State.zone,
                    ". Times are written like "
                    "2026-12-03T09:15:00-06:00 (ISO 8601 with the UTC offset); amounts in dollars like 125.00.",
                )
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def _export_card(kind: str, title: str, description: str, columns: tuple[str, ...]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2"),
            rx.text(description, size="2", color_scheme="gray"),
            rx.text("Columns: ", ", ".join(columns), ".", size="1", color_scheme="gray"),
            rx.button(
                rx.icon("download", size=16),
                f"Download {kind} CSV",
                on_click=State.download(kind),
                loading=State.busy == kind,
                disabled=State.busy != "",
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        size="3",
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        page_header("Export", subtitle="Payments and messages as CSV files, for your books or your accountant."),
        _range(),
        rx.grid(
            _export_card(
                "payments",
                "Payments",
                "Every card and bank payment started in those days, with its outcome. Stripe's fees are "
                "not kept here: the Fee column stays empty.",
                PAYMENT_COLUMNS,
            ),
            _export_card(
                "messages",
                "Messages",
                "Every invoice text and email queued in those days: to whom, what became of it and why.",
                MESSAGE_COLUMNS,
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        rx.text(
            f"More than {DOWNLOAD_MAX_ROWS:,} rows? On the server: ",
            rx.code("smslinks export payments --from 2026-01-01 --to 2026-12-31 --output payments.csv"),
            size="1",
            color_scheme="gray",
        ),
        spacing="4",
        width="100%",
    )


@staff_page(routes.SETTINGS_EXPORT, "Export", on_load=[State.load])
def export_page() -> rx.Component:
    return settings_frame(routes.SETTINGS_EXPORT, rx.cond(State.loaded, _content(), loading()))
