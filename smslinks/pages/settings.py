"""The settings frame (side panel of the sections a person may use) and /settings itself."""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import not_allowed
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.state.settings import SettingsState

_WIDE_ONLY = rx.breakpoints(initial="none", sm="block")


def _section_link(section, active_href: str) -> rx.Component:
    active = section["href"] == active_href
    return rx.fragment(
        rx.cond(
            section["group"] != "",
            rx.text(
                section["group"],
                size="1",
                weight="bold",
                color_scheme="gray",
                text_transform="uppercase",
                letter_spacing="0.04em",
                padding_x="0.75rem",
                padding_top="0.75rem",
                padding_bottom="0.25rem",
                display=_WIDE_ONLY,
            ),
        ),
        rx.link(
            section["label"],
            href=section["href"],
            aria_current=rx.cond(active, "page", "false"),
            underline="none",
            size="2",
            weight=rx.cond(active, "medium", "regular"),
            color=rx.cond(active, "var(--accent-11)", "var(--gray-12)"),
            background=rx.cond(active, "var(--accent-a3)", "transparent"),
            padding_x="0.75rem",
            padding_y="0.45rem",
            border_radius="var(--radius-2)",
            _hover={"background": rx.cond(active, "var(--accent-a4)", "var(--gray-a3)")},
            display="block",
        ),
    )


def _side_panel(active_href: str) -> rx.Component:
    return rx.el.nav(
        rx.text(
            "Settings",
            size="4",
            weight="bold",
            padding_x="0.75rem",
            padding_bottom="0.25rem",
            display=_WIDE_ONLY,
        ),
        rx.foreach(SettingsState.sections, lambda section: _section_link(section, active_href)),
        aria_label="Settings sections",
        display="flex",
        # A column beside the page on wide screens; a row of tabs above it on phones.
        flex_direction=rx.breakpoints(initial="row", sm="column"),
        flex_wrap="wrap",
        gap="2px",
        width=rx.breakpoints(initial="100%", sm="200px"),
        flex_shrink="0",
    )


def settings_frame(active_href: str, content: rx.Component) -> rx.Component:
    """Side panel and the open section; the section's refusal replaces it when it is not yours."""
    return rx.flex(
        rx.cond(SettingsState.sections.length() > 0, _side_panel(active_href)),
        rx.box(
            rx.cond(
                SettingsState.refusal != "",
                rx.box(page_header("Settings"), not_allowed(SettingsState.refusal)),
                content,
            ),
            flex="1",
            min_width="0",
            width="100%",
        ),
        direction=rx.breakpoints(initial="column", sm="row"),
        spacing="5",
        width="100%",
    )


@staff_page(routes.SETTINGS, "Settings", on_load=[SettingsState.open_first_section])
def settings_home() -> rx.Component:
    return settings_frame(routes.SETTINGS, loading())
