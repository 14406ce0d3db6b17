"""Every text and email sent for an invoice, with its status, and the customer's replies, drawn for the office invoice page and
the technician's job page alike (both fill a list of core.invoice_view.TimelineEntry dicts)."""

import reflex as rx

from smslinks.pages.components import status_badge


def _entry(entry) -> rx.Component:
    is_text = entry["channel"] == "sms"
    is_reply = entry["channel"] == "reply"
    return rx.hstack(
        rx.center(
            rx.cond(
                is_reply,
                rx.icon("message-square-reply", size=16),
                rx.icon(rx.cond(is_text, "message-square-text", "mail"), size=16),
            ),
            width="32px",
            height="32px",
            border_radius="50%",
            background="var(--teal-a3)",
            color="var(--teal-11)",
            flex_shrink="0",
        ),
        rx.vstack(
            rx.flex(
                rx.text(entry["title"], weight="bold"),
                status_badge(entry["status"]),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(entry["sent_by"], " · ", entry["status_line"], size="2", color="var(--gray-11)"),
            rx.cond(
                entry["body"] != "",
                rx.text(
                    "“",
                    entry["body"],
                    "”",
                    size="2",
                    white_space="pre-wrap",
                    word_break="break-word",
                    data_testid="reply-body",
                ),
            ),
            rx.cond(entry["history"] != "", rx.text(entry["history"], size="1", color="var(--gray-10)")),
            rx.cond(
                entry["note"] != "",
                rx.text(
                    entry["note"],
                    size="2",
                    color=rx.cond(
                        entry["problem"].to(bool),
                        "var(--red-11)",
                        rx.cond(is_reply, "var(--violet-11)", "var(--amber-11)"),
                    ),
                ),
            ),
            spacing="1",
            align="start",
            min_width="0",
        ),
        spacing="3",
        align="start",
        width="100%",
        padding_y="0.6rem",
        border_bottom="1px solid var(--gray-a4)",
        role="listitem",
        data_testid="timeline-entry",
    )


def message_timeline(entries) -> rx.Component:
    """The list (named "Texts and emails"), or what appears there once something is sent."""
    return rx.vstack(
        rx.cond(
            entries.length() == 0,
            rx.text(
                "Nothing sent yet. Texts and emails for this invoice appear here, with their status.",
                color="var(--gray-11)",
                size="2",
            ),
            rx.vstack(
                rx.foreach(entries, _entry), spacing="0", width="100%", aria_label="Texts and emails", role="list"
            ),
        ),
        rx.text("Updates live as messages are delivered.", size="1", color="var(--gray-10)"),
        spacing="3",
        width="100%",
    )
