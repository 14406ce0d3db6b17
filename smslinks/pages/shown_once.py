"""The panel of a dialog that shows a value once (API key, signing secret, temporary password or
invitation link): what to do with it, the value in a read-only field, Copy and Done."""

import reflex as rx

from smslinks.state.shown_once import copy_shown

_FIELD_STYLE = {
    "width": "100%",
    "font_family": "var(--code-font-family)",
    "font_size": "var(--font-size-2)",
    "padding": "0.6rem 0.75rem",
    "border": "1px solid var(--gray-a6)",
    "border_radius": "var(--radius-2)",
    "background": "var(--gray-a2)",
    "word_break": "break-all",
    "user_select": "all",
    "min_height": "2.5rem",
}


def shown_once_panel(
    field_id: str,
    label,
    notice,
    *,
    notice_icon: str = "circle-check",
    notice_color: str = "green",
    hint: rx.Component | None = None,
) -> rx.Component:
    """`field_id` is the id the handler's show_once(...) fills; `hint` goes under the value."""
    return rx.vstack(
        rx.callout(notice, icon=notice_icon, color_scheme=notice_color, width="100%"),
        rx.text(label, weight="medium", size="2"),
        rx.el.div(id=field_id, style=_FIELD_STYLE),
        *([hint] if hint is not None else []),
        rx.button(rx.icon("copy", size=14), "Copy", variant="soft", on_click=copy_shown(field_id), type="button"),
        rx.flex(rx.dialog.close(rx.button("Done")), justify="end", width="100%"),
        spacing="3",
        width="100%",
    )
