"""Insights: time to pay, what became of the links, delivery problems, what is owed, reminders."""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import not_allowed
from smslinks.pages.date_range import date_range
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.pages.profile_fields import hint_text
from smslinks.state.insights import InsightsState as State

_AXIS = {"font_size": 12}


def _range() -> rx.Component:
    return rx.card(
        date_range(State, "insights", rx.cond(State.busy, rx.spinner(size="2"))),
        hint_text(rx.fragment("Days are the business's (", State.zone, ").")),
        size="2",
        width="100%",
    )


def _download(name: str) -> rx.Component:
    return rx.button(
        rx.icon("download", size=14),
        "CSV",
        variant="ghost",
        size="1",
        on_click=State.download(name),
        loading=State.downloading == name,
        aria_label=f"Download {name.replace('_', ' ')} as CSV",
    )


def _table(name: str, rows=None) -> rx.Component:
    """A table of text cells; its header from the state (the same columns as its CSV)."""
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(rx.foreach(State.columns[name], lambda column: rx.table.column_header_cell(column)))
            ),
            rx.table.body(
                rx.foreach(
                    State.tables[name] if rows is None else rows,
                    lambda row: rx.table.row(rx.foreach(row, lambda cell: rx.table.cell(cell))),
                )
            ),
            size="1",
            variant="surface",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


def _bar_chart(
    name: str, *bars: rx.Component, layout: str = "horizontal", height: int = 220, legend: bool = False
) -> rx.Component:
    axes = (
        [
            rx.recharts.x_axis(type_="number", allow_decimals=False, **_AXIS),
            rx.recharts.y_axis(data_key="name", type_="category", width=120, **_AXIS),
        ]
        if layout == "vertical"
        else [rx.recharts.x_axis(data_key="name", **_AXIS), rx.recharts.y_axis(**_AXIS)]
    )
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        *axes,
        rx.recharts.graphing_tooltip(),
        *([rx.recharts.legend(icon_size=10)] if legend else []),
        *bars,
        data=State.charts[name],
        layout=layout,
        width="100%",
        height=height,
    )


def _bar(key: str, label: str, color: str) -> rx.Component:
    # No growing animation: the figures show at once (and screenshots show them).
    return rx.recharts.bar(data_key=key, name=label, fill=rx.color(color, 9), is_animation_active=False)


def _section(title: str, description: str, *children: rx.Component, csv: str | None = None) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.heading(title, size="4", as_="h2"),
                rx.spacer(),
                *([_download(csv)] if csv else []),
                width="100%",
                align="center",
            ),
            rx.text(description, size="2", color_scheme="gray"),
            *children,
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def _subheading(text: str, csv: str) -> rx.Component:
    return rx.flex(rx.heading(text, size="3", as_="h3"), rx.spacer(), _download(csv), width="100%", align="center")


def _time_to_pay() -> rx.Component:
    return _section(
        "Time to pay",
        "From the first link sent (or the day issued, when none went) to paid in full, for invoices paid in "
        "these days, in hours.",
        _bar_chart(
            "time_to_pay",
            _bar("hours", "Median (hours)", "grass"),
            _bar("p75", "75th percentile (hours)", "gray"),
            legend=True,
        ),
        _table("time_to_pay"),
        _subheading("Median hours to pay for texted invoices, by weekday of the first text", "by_weekday"),
        _bar_chart("by_weekday", _bar("hours", "Median (hours)", "grass")),
        _table("by_weekday"),
        _subheading("Median hours to pay for texted invoices, by hour of the first text", "by_hour"),
        _bar_chart("by_hour", _bar("hours", "Median (hours)", "grass")),
        csv="time_to_pay",
    )


def _funnel() -> rx.Component:
    return _section(
        "Links: sent to paid",
        "Pay links sent in these days, and how far each got. Link scanners and previews are not people: only a "
        "visit whose page ran on the phone or computer counts as opened. Emails count as delivered when the mail "
        "server took them.",
        _bar_chart(
            "funnel",
            _bar("Text", "Text", "grass"),
            _bar("Email", "Email", "blue"),
            layout="vertical",
            height=280,
            legend=True,
        ),
        _table("funnel"),
        csv="funnel",
    )


def _failed_list() -> rx.Component:
    return rx.cond(
        State.failed_kind != "",
        rx.vstack(
            rx.flex(
                rx.heading(State.failed_title, size="3", as_="h3"),
                rx.spacer(),
                _download("failed_texts"),
                rx.icon_button(
                    rx.icon("x", size=14),
                    variant="ghost",
                    size="1",
                    on_click=State.close_failed,
                    aria_label="Close the list",
                ),
                width="100%",
                align="center",
                spacing="2",
            ),
            rx.cond(
                State.failed_rows.length() > 0,
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[rx.table.column_header_cell(c) for c in ("Invoice", "Customer", "To", "Sent", "Code")]
                            )
                        ),
                        rx.table.body(
                            rx.foreach(
                                State.failed_rows,
                                lambda row: rx.table.row(
                                    rx.table.cell(rx.link(row[1], href="/invoices/" + row[0])),
                                    rx.table.cell(row[2]),
                                    rx.table.cell(row[3]),
                                    rx.table.cell(row[4]),
                                    rx.table.cell(row[5]),
                                ),
                            )
                        ),
                        size="1",
                        variant="surface",
                        width="100%",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
                rx.text("No texts failed for this reason in these days.", size="2", color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
    )


def _delivery_problems() -> rx.Component:
    return _section(
        "Delivery problems",
        "Texts that failed in these days, by reason. Open a reason to see its invoices.",
        _bar_chart("delivery_problems", _bar("texts", "Texts", "red"), layout="vertical", height=200),
        rx.box(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.foreach(State.columns["delivery_problems"], lambda c: rx.table.column_header_cell(c)),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(
                    rx.foreach(
                        State.problems,
                        lambda row: rx.table.row(
                            rx.table.cell(row[1]),
                            rx.table.cell(row[2]),
                            rx.table.cell(row[3]),
                            rx.table.cell(
                                rx.button(
                                    "Invoices",
                                    size="1",
                                    variant="soft",
                                    on_click=State.show_failed(row[0]),
                                    disabled=row[2] == "0",
                                    aria_label="Invoices: " + row[1],
                                )
                            ),
                        ),
                    )
                ),
                size="1",
                variant="surface",
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
        ),
        _failed_list(),
        csv="delivery_problems",
    )


def _owed() -> rx.Component:
    return _section(
        "What is owed",
        "Open balances today, by days past their due date.",
        _bar_chart("aging", _bar("dollars", "Balance ($)", "amber"), layout="vertical"),
        _table("aging"),
        rx.flex(
            rx.text("Days sales outstanding: ", size="2"),
            rx.text(State.days_sales_outstanding, weight="bold", size="2", id="insights-dso"),
            rx.text(" (open balances today over these days' sales, times the days)", size="1", color_scheme="gray"),
            wrap="wrap",
            spacing="1",
            align="baseline",
        ),
        _subheading("Payments by method", "payments_by_method"),
        _bar_chart("payments_by_method", _bar("dollars", "Collected ($)", "grass")),
        _table("payments_by_method"),
        csv="aging",
    )


def _reminders() -> rx.Component:
    return _section(
        "Reminders",
        "Invoices paid in these days that had reminders planned, by how many reminders had gone out.",
        rx.cond(
            State.tables["reminders"].length() > 0,
            rx.fragment(_bar_chart("reminders", _bar("invoices", "Invoices", "violet")), _table("reminders")),
            rx.text("No invoice with reminders was paid in these days.", size="2", color_scheme="gray"),
        ),
        csv="reminders",
    )


def _content() -> rx.Component:
    return rx.vstack(
        _range(),
        rx.grid(
            _time_to_pay(),
            rx.vstack(_funnel(), _delivery_problems(), spacing="4", width="100%"),
            _owed(),
            _reminders(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
            align_items="start",
        ),
        spacing="4",
        width="100%",
    )


@staff_page(routes.INSIGHTS, "Insights", on_load=[State.load])
def insights_page() -> rx.Component:
    return rx.vstack(
        page_header("Insights", subtitle="How fast invoices get paid, what becomes of the links, what is owed."),
        rx.cond(
            ~State.loaded,
            loading(),
            rx.cond(State.refused != "", not_allowed(State.refused), _content()),
        ),
        width="100%",
    )
