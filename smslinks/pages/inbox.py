"""The Inbox: customers' replies by number, the open thread with its answer box."""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import field_label, not_allowed
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.state.inbox import InboxState as State


def _thread_row(row) -> rx.Component:
    selected = State.selected == row["number"]
    return rx.el.button(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.text(
                        rx.cond(row["customer"] != "", row["customer"], row["number_display"]),
                        weight=rx.cond(row["unread"].to(int) > 0, "bold", "medium"),
                        size="2",
                        trim="both",
                    ),
                    rx.cond(row["done"].to(bool), rx.badge("Done", color_scheme="gray", size="1")),
                    spacing="2",
                    align="center",
                ),
                rx.text(row["last_body"], size="2", color="var(--gray-11)", trim="both", text_align="left"),
                rx.text(
                    row["number_display"],
                    rx.cond(row["invoice_number"] != "", " · Invoice #" + row["invoice_number"].to(str), ""),
                    " · ",
                    row["last_at"],
                    size="1",
                    color="var(--gray-10)",
                ),
                spacing="1",
                align="start",
                min_width="0",
            ),
            rx.spacer(),
            rx.cond(
                row["unread"].to(int) > 0,
                rx.badge(row["unread"], color_scheme="red", variant="solid", radius="full", aria_label="unread"),
            ),
            align="start",
            width="100%",
        ),
        on_click=State.open_thread(row["number"]),
        aria_current=rx.cond(selected, "true", "false"),
        data_testid="inbox-thread",
        style={
            "width": "100%",
            "padding": "0.75rem",
            "border": "none",
            "border_bottom": "1px solid var(--gray-a4)",
            "background": rx.cond(selected, "var(--teal-a3)", "transparent"),
            "cursor": "pointer",
            "text_align": "left",
        },
    )


def _thread_list() -> rx.Component:
    return rx.card(
        rx.cond(
            State.threads.length() == 0,
            rx.text(
                "No replies yet. When a customer answers one of your texts, it appears here.",
                color="var(--gray-11)",
                size="2",
                padding="0.75rem",
            ),
            rx.vstack(rx.foreach(State.threads, _thread_row), spacing="0", width="100%", role="list"),
        ),
        size="1",
        width="100%",
        padding="0",
        class_name=rx.cond(State.selected != "", "inbox-list has-thread", "inbox-list"),
        aria_label="Conversations",
        role="region",
    )


def _bubble(entry) -> rx.Component:
    incoming = entry["incoming"].to(bool)
    return rx.flex(
        rx.vstack(
            rx.text(entry["body"], size="2", white_space="pre-wrap", word_break="break-word"),
            rx.cond(
                entry["action"] != "",
                rx.text(
                    entry["action"],
                    size="1",
                    weight="medium",
                    color=rx.cond(incoming, "var(--violet-11)", "var(--gray-11)"),
                    data_testid="reply-action",
                ),
            ),
            rx.text(entry["by"], " · ", entry["at"], size="1", color="var(--gray-10)"),
            spacing="1",
            padding="0.6rem 0.8rem",
            border_radius="var(--radius-4)",
            background=rx.cond(incoming, "var(--gray-a3)", "var(--teal-a4)"),
            max_width="85%",
        ),
        justify=rx.cond(incoming, "start", "end"),
        width="100%",
        data_testid=rx.cond(incoming, "thread-reply", "thread-sent"),
    )


def _answer_box() -> rx.Component:
    return rx.cond(
        State.thread["opted_out"].to(bool),
        rx.callout(
            "This number opted out of texts (it replied STOP): no answer can be texted until it replies START.",
            icon="ban",
            color_scheme="amber",
            size="1",
        ),
        rx.form(
            rx.vstack(
                field_label("Answer", "inbox-answer"),
                rx.text_area(
                    id="inbox-answer",
                    value=State.answer,
                    on_change=State.set_answer,
                    placeholder="Write an answer. Your business name is added at the start.",
                    max_length=1600,
                    rows="3",
                    width="100%",
                ),
                rx.flex(
                    rx.text(State.answer_note, size="1", color="var(--gray-10)"),
                    rx.spacer(),
                    rx.button(rx.icon("send", size=14), "Send answer", type="submit"),
                    align="center",
                    width="100%",
                    spacing="2",
                ),
                rx.cond(
                    State.answer_error != "",
                    rx.text(State.answer_error, color="var(--red-11)", size="2", role="alert"),
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=lambda _form: State.send_answer(),
            reset_on_submit=False,
            width="100%",
        ),
    )


def _thread_panel() -> rx.Component:
    thread = State.thread
    return rx.card(
        rx.vstack(
            rx.button(
                rx.icon("arrow-left", size=14),
                "All conversations",
                variant="ghost",
                size="2",
                on_click=State.close_thread,
                class_name="inbox-back",
            ),
            rx.flex(
                rx.vstack(
                    rx.heading(
                        rx.cond(thread["customer"] != "", thread["customer"], thread["number_display"]),
                        size="4",
                        as_="h2",
                    ),
                    rx.hstack(
                        rx.text(thread["number_display"], size="2", color="var(--gray-11)"),
                        rx.cond(
                            thread["invoice_id"].to(int) > 0,
                            rx.link(
                                "Invoice #" + thread["invoice_number"].to(str),
                                href="/invoices/" + thread["invoice_id"].to(str),
                                size="2",
                            ),
                        ),
                        spacing="2",
                        wrap="wrap",
                    ),
                    spacing="1",
                ),
                rx.spacer(),
                rx.cond(
                    thread["done"].to(bool),
                    rx.badge("Done", color_scheme="gray", size="2"),
                    rx.button(
                        rx.icon("check", size=14), "Mark done", variant="soft", size="2", on_click=State.mark_done
                    ),
                ),
                align="start",
                width="100%",
                spacing="2",
            ),
            rx.vstack(rx.foreach(State.entries, _bubble), spacing="2", width="100%", aria_label="Messages"),
            _answer_box(),
            spacing="4",
            width="100%",
        ),
        size="2",
        width="100%",
        role="region",
        aria_label="Conversation",
    )


def _empty_panel() -> rx.Component:
    return rx.card(
        rx.center(
            rx.text("Choose a conversation to read and answer it.", color="var(--gray-11)", size="2"),
            padding="3rem",
        ),
        width="100%",
        class_name="hide-on-phone",
    )


@staff_page(routes.INBOX, "Inbox", on_load=[State.load])
def inbox_page() -> rx.Component:
    return rx.vstack(
        page_header("Inbox", subtitle="Customers' replies to your texts. Updates live."),
        rx.cond(
            ~State.loaded,
            loading(),
            rx.cond(
                State.refused != "",
                not_allowed(State.refused),
                rx.grid(
                    _thread_list(),
                    rx.cond(State.selected != "", _thread_panel(), _empty_panel()),
                    columns=rx.breakpoints(initial="1", md="340px 1fr"),
                    spacing="5",
                    width="100%",
                    align="start",
                ),
            ),
        ),
        width="100%",
    )
