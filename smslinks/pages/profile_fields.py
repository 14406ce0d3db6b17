"""The business's profile fields, shared by the first-run page (/setup) and Settings > Company:
a label, the input, a hint, and what to fix right beneath it."""

import reflex as rx

from smslinks.pages.components import field_label

# Offered as the time zone is typed; any IANA name is accepted.
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "America/Toronto",
    "America/Winnipeg",
    "America/Regina",
    "America/Edmonton",
    "America/Vancouver",
    "America/Halifax",
    "America/St_Johns",
)
ZONE_LIST_ID = "time-zone-names"


def zone_list() -> rx.Component:
    return rx.el.datalist(*[rx.el.option(value=zone) for zone in COMMON_ZONES], id=ZONE_LIST_ID)


def field(label: str, input_id: str, control: rx.Component, errors, error_key: str, hint=None) -> rx.Component:
    """One field; `errors` is the page's {field: message} Var."""
    return rx.vstack(
        field_label(label, input_id),
        control,
        *([hint] if hint is not None else []),
        rx.cond(
            errors.contains(error_key),
            rx.hstack(
                rx.icon("circle-alert", size=14, color="var(--red-10)", flex_shrink="0", margin_top="2px"),
                rx.text(errors[error_key], size="1", color="var(--red-11)", id=f"{input_id}-error"),
                spacing="1",
                align="start",
            ),
        ),
        spacing="1",
        width="100%",
        min_width="0",
    )


def hint_text(text) -> rx.Component:
    return rx.text(text, size="1", color_scheme="gray")


def grid(*children: rx.Component) -> rx.Component:
    """Two columns on wide screens, one on phones."""
    return rx.grid(*children, columns=rx.breakpoints(initial="1", sm="2"), spacing="4", width="100%")
