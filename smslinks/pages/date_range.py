"""Pick the days a page is about: From and To (included), and the state's quick ranges ("This month"…).
Shared by Insights and Settings > Data > Export."""

import reflex as rx

from smslinks.pages.profile_fields import field


def _date(id_prefix: str, name: str, label: str, value, on_change, errors) -> rx.Component:
    input_id = f"{id_prefix}-{name}"
    control = rx.input(
        id=input_id,
        type="date",
        value=value,
        on_change=on_change,
        size="2",
        width="100%",
        custom_attrs={"aria-describedby": f"{input_id}-error"},
    )
    return field(label, input_id, control, errors, name)


def date_range(state, id_prefix: str, *after_quick_ranges: rx.Component) -> rx.Component:
    """For a state with start, end (YYYY-MM-DD), set_start, set_end, errors ({"start" | "end":
    what to fix}), quick_ranges (labels) and pick(label); `after_quick_ranges` follow the buttons."""
    return rx.flex(
        rx.grid(
            _date(id_prefix, "start", "From", state.start, state.set_start, state.errors),
            _date(id_prefix, "end", "To (included)", state.end, state.set_end, state.errors),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
            max_width="420px",
        ),
        rx.flex(
            rx.foreach(
                state.quick_ranges,
                lambda label: rx.button(
                    label, variant="soft", color_scheme="gray", size="1", on_click=state.pick(label)
                ),
            ),
            *after_quick_ranges,
            wrap="wrap",
            spacing="2",
            align="center",
        ),
        direction=rx.breakpoints(initial="column", md="row"),
        align=rx.breakpoints(initial="start", md="end"),
        spacing="4",
        width="100%",
    )
