"""The technician's phone view: today's jobs, and one job with its invoice on the same screen.

Designed for 390x844 with touch and usable from 360px wide: one column, touch targets at least
44px. The invoice's Actions are the office's send dialogs (pages/send_dialog.py) for Mobile.
"""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import bank_payment_pending, invoice_totals, location_zone, not_allowed, status_badge
from smslinks.pages.invoice_editor import create_invoice_for_job, edit_draft_button
from smslinks.pages.layout import loading, staff_page
from smslinks.pages.message_timeline import message_timeline
from smslinks.pages.send_dialog import TOUCH, actions_menu, email_dialog, text_dialog
from smslinks.state.tech import TechJobsState, TechJobState, TechSendState

PHONE_WIDTH = "640px"


def _paid_badge() -> rx.Component:
    return rx.badge(rx.icon("circle-check", size=14), "Paid", color_scheme="green", variant="solid", size="2")


# ---------------------------------------------------------------- today's jobs


def _job_card(job) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(job["time"], weight="bold", size="4"),
                    rx.spacer(),
                    rx.cond(job["paid"].to(bool), _paid_badge()),
                    status_badge(job["status"]),
                    width="100%",
                    align="center",
                    spacing="2",
                ),
                rx.text(job["customer"], weight="medium", size="3"),
                rx.hstack(
                    rx.icon("map-pin", size=14, flex_shrink="0", margin_top="3px"),
                    rx.text(job["address"], size="2"),
                    color="var(--gray-11)",
                    align="start",
                ),
                rx.text(job["summary"], size="2", color_scheme="gray"),
                spacing="1",
                width="100%",
            ),
            size="2",
            width="100%",
        ),
        href="/tech/jobs/" + job["id"].to_string(),
        underline="none",
        color="inherit",
        _hover={"color": "inherit"},
        width="100%",
    )


@staff_page(routes.TECH_JOBS, "My jobs", on_load=[TechJobsState.load], max_width=PHONE_WIDTH)
def tech_jobs() -> rx.Component:
    return rx.vstack(
        rx.heading("Today's jobs", size="6"),
        rx.cond(
            TechJobsState.loaded & (TechJobsState.jobs.length() == 0),
            rx.callout("No jobs are assigned to you today.", icon="calendar-check", width="100%"),
        ),
        rx.foreach(TechJobsState.jobs, _job_card),
        spacing="3",
        width="100%",
    )


# ---------------------------------------------------------------- one job

State = TechJobState
job = State.job
invoice = State.invoice


def _section(title, *children, action=None) -> rx.Component:
    """A card named for screen readers and tests by its title."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(title, size="4", as_="h2"),
                rx.spacer(),
                *([action] if action is not None else []),
                align="center",
                width="100%",
            ),
            *children,
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        role="region",
        aria_label=title,
    )


def _back_link() -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon("arrow-left", size=16), rx.text("Today's jobs"), spacing="1", align="center"),
        href=routes.TECH_JOBS,
        size="3",
        color_scheme="gray",
        min_height=TOUCH,
        display="inline-flex",
        align_items="center",
    )


def _job_header() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading(job["customer"], size="6", min_width="0", overflow_wrap="anywhere"),
            rx.hstack(
                rx.cond(job["paid"].to(bool), _paid_badge()),
                status_badge(job["status"]),
                spacing="2",
            ),
            justify="between",
            align="center",
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        rx.text("Job #", job["number"], " · ", job["summary"], size="3", color="var(--gray-11)"),
        spacing="1",
        width="100%",
    )


def _details() -> rx.Component:
    return _section(
        "Job",
        rx.hstack(
            rx.icon("clock", size=18, flex_shrink="0", margin_top="2px", color="var(--gray-11)"),
            rx.vstack(
                rx.text(job["time"], weight="bold", size="3"),
                rx.text(job["day"], size="2", color="var(--gray-11)"),
                spacing="0",
            ),
            spacing="2",
            align="start",
        ),
        rx.hstack(
            rx.icon("map-pin", size=18, flex_shrink="0", margin_top="2px", color="var(--gray-11)"),
            rx.vstack(
                rx.text(job["location_name"], weight="medium", size="3"),
                rx.text(job["address"], size="3"),
                spacing="0",
            ),
            spacing="2",
            align="start",
        ),
        rx.cond(invoice["location_zone_label"], location_zone(invoice)),  # known once the job has an invoice
        rx.link(
            rx.button(
                rx.icon("navigation", size=16),
                "Open in Maps",
                variant="soft",
                size="3",
                min_height=TOUCH,
                width="100%",
            ),
            href=job["maps_url"],
            is_external=True,
            width="100%",
        ),
    )


def _line(line) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(line["description"], size="3"),
            rx.text(line["quantity"], " × ", line["unit_price"], size="2", color="var(--gray-11)"),
            spacing="0",
            min_width="0",
        ),
        rx.spacer(),
        rx.text(line["amount"], size="3", white_space="nowrap"),
        align="start",
        width="100%",
        padding_y="0.5rem",
        border_bottom="1px solid var(--gray-a4)",
        role="listitem",
    )


def _latest_message() -> rx.Component:
    """The last text or email sent, with its live status, where the technician sent it from."""
    latest = State.timeline[0]
    return rx.cond(
        State.timeline.length() > 0,
        rx.hstack(
            rx.icon(rx.cond(latest["channel"] == "sms", "message-square-text", "mail"), size=16, flex_shrink="0"),
            rx.text(latest["title"], size="2", weight="medium", min_width="0"),
            status_badge(latest["status"]),
            spacing="2",
            align="center",
            wrap="wrap",
            width="100%",
            padding="0.6rem 0.75rem",
            border_radius="var(--radius-3)",
            background="var(--teal-a2)",
            role="status",
            aria_label="Latest message",
        ),
    )


def _invoice() -> rx.Component:
    return _section(
        "Invoice",
        rx.hstack(
            rx.text("#", invoice["number"], weight="bold", size="3"),
            status_badge(invoice["shown_status"]),
            rx.text("Due ", invoice["due_on"], size="2", color="var(--gray-11)"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            invoice["status"] == "paid",
            rx.callout(
                "Paid in full. The customer has paid this invoice.",
                icon="circle-check",
                color_scheme="green",
                size="2",
                width="100%",
                role="status",
            ),
        ),
        bank_payment_pending(invoice),
        rx.cond(
            job["tips"] != "",
            rx.callout(
                rx.text("Tips for you on this job: ", rx.text(job["tips"], weight="bold", as_="span")),
                icon="heart-handshake",
                color_scheme="teal",
                size="2",
                width="100%",
                role="status",
                id="job-tips",
            ),
        ),
        rx.vstack(rx.foreach(State.lines, _line), spacing="0", width="100%", role="list", aria_label="Lines"),
        invoice_totals(invoice),
        edit_draft_button(invoice),
        _latest_message(),
        action=actions_menu(TechSendState),
    )


def _content() -> rx.Component:
    return rx.vstack(
        _back_link(),
        _job_header(),
        _details(),
        rx.cond(
            invoice.length() > 0,
            rx.fragment(
                _invoice(),
                _section("Texts and emails", message_timeline(State.timeline)),
            ),
            rx.hstack(
                rx.callout("This job has no invoice yet.", icon="receipt", flex="1"),
                create_invoice_for_job(job["id"]),
                align="center",
                width="100%",
            ),
        ),
        text_dialog(TechSendState),
        email_dialog(TechSendState),
        spacing="4",
        width="100%",
    )


@staff_page(routes.TECH_JOB, "Job", on_load=[TechJobState.load], max_width=PHONE_WIDTH)
def tech_job() -> rx.Component:
    # Until the job in the URL is loaded, the last job opened in this tab is not shown for it.
    this_job_loaded = State.loaded & (job["id"].to_string() == State.job_id)
    return rx.cond(
        State.refused != "",
        rx.vstack(_back_link(), not_allowed(State.refused), spacing="3", width="100%"),
        rx.cond(this_job_loaded, _content(), loading()),
    )
