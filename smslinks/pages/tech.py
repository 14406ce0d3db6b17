"""The technician's phone view: today's jobs."""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import status_badge
from smslinks.pages.layout import staff_page
from smslinks.state.tech import TechJobsState


def _job_card(job) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text(job["time"], weight="bold", size="4"),
                    rx.spacer(),
                    status_badge(job["status"]),
                    width="100%",
                    align="center",
                ),
                rx.text(job["customer"], weight="medium", size="3"),
                rx.hstack(
                    rx.icon("map-pin", size=14, flex_shrink="0"),
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
        width="100%",
    )


@staff_page(routes.TECH_JOBS, "My jobs", on_load=[TechJobsState.load], max_width="640px")
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
