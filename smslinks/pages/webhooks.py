"""Settings > Integrations > Webhooks: where a business's events go, and what became of each."""

import reflex as rx

from smslinks import routes
from smslinks.core.webhooks import EVENT_TYPES
from smslinks.pages.components import status_badge
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.pages.profile_fields import field, hint_text
from smslinks.pages.settings import settings_frame
from smslinks.pages.shown_once import shown_once_panel
from smslinks.state.webhooks import SECRET_FIELD
from smslinks.state.webhooks import WebhooksState as State

_CODE = "var(--code-font-family)"


def _enabled_badge(row) -> rx.Component:
    return rx.cond(
        row["enabled"],
        rx.badge("Enabled", color_scheme="green", variant="soft", size="2"),
        rx.badge("Disabled", color_scheme="gray", variant="soft", size="2"),
    )


def _actions(row) -> rx.Component:
    return rx.flex(
        rx.button(rx.icon("list", size=14), "Deliveries", size="2", variant="soft", on_click=State.open_log(row["id"])),
        rx.button("Edit events", size="2", variant="soft", color_scheme="gray", on_click=State.open_events(row["id"])),
        rx.cond(
            row["enabled"],
            rx.button(
                "Disable", size="2", variant="soft", color_scheme="gray", on_click=State.set_enabled(row["id"], False)
            ),
            rx.button(
                "Enable", size="2", variant="soft", color_scheme="green", on_click=State.set_enabled(row["id"], True)
            ),
        ),
        rx.button(
            "Rotate secret", size="2", variant="soft", color_scheme="gray", on_click=State.confirm("rotate", row["id"])
        ),
        rx.button("Delete", size="2", variant="soft", color_scheme="red", on_click=State.confirm("delete", row["id"])),
        wrap="wrap",
        spacing="2",
    )


def _endpoint(row) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.text(row["url"], weight="medium", font_family=_CODE, size="2", overflow_wrap="anywhere"),
                _enabled_badge(row),
                justify="between",
                align="start",
                spacing="3",
                width="100%",
            ),
            rx.cond(
                row["disabled_reason"] != "",
                rx.callout(
                    row["disabled_reason"],
                    icon="triangle-alert",
                    color_scheme="amber",
                    size="1",
                    width="100%",
                    role="status",
                ),
            ),
            rx.text(row["events_text"], size="2", color_scheme="gray", font_family=_CODE, overflow_wrap="anywhere"),
            rx.text("Added ", row["created"], size="1", color_scheme="gray"),
            _actions(row),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        role="group",
        aria_label=row["url"],
    )


def _empty() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("webhook", size=28, color="var(--gray-9)"),
            rx.text("No endpoints yet", weight="medium"),
            rx.text(
                "Add your accounting system's or CRM's webhook URL to send it events as they happen.",
                size="2",
                color_scheme="gray",
                text_align="center",
            ),
            align="center",
            spacing="2",
            padding="1.5rem",
        ),
        width="100%",
    )


# --- add / edit events ---------------------------------------------------------------------------


def _event_choice(name: str, description: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=State.form_events.contains(name),
                on_change=lambda checked: State.toggle_event(name, checked),
                margin_top="2px",
            ),
            rx.vstack(
                rx.text(name, size="2", weight="medium", font_family=_CODE),
                rx.text(description, size="1", color_scheme="gray"),
                spacing="0",
            ),
            align="start",
            spacing="2",
        ),
        cursor="pointer",
    )


def _events_field() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(rx.text("Events to send", weight="medium", size="2"), margin_bottom="0.5rem"),
        rx.grid(
            *[_event_choice(name, description) for name, description in EVENT_TYPES.items()],
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        rx.cond(
            State.errors.contains("events"),
            rx.hstack(
                rx.icon("circle-alert", size=14, color="var(--red-10)", flex_shrink="0", margin_top="2px"),
                rx.text(State.errors["events"], size="1", color="var(--red-11)", id="webhook-events-error"),
                spacing="1",
                margin_top="0.5rem",
            ),
        ),
        border="none",
        padding="0",
        margin="0",
        min_width="0",
        width="100%",
    )


def _url_field() -> rx.Component:
    control = rx.input(
        id="webhook-url",
        type="url",
        placeholder="https://books.example.com/hooks/smslinks",
        size="2",
        width="100%",
        value=State.form_url,
        on_change=State.set_form_url,
        auto_complete="off",
        custom_attrs={"aria-describedby": "webhook-url-error"},
    )
    hint = hint_text("https:// only. In sandbox mode, http://localhost or http://127.0.0.1 also works.")
    return field("Endpoint URL", "webhook-url", control, State.errors, "url", hint)


def _form_dialog() -> rx.Component:
    adding = State.endpoint_id == 0
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(adding, "Add an endpoint", "Events sent to this endpoint")),
            rx.dialog.description(
                rx.cond(
                    adding,
                    "Each event is a signed POST with a JSON body: type, timestamp and data.",
                    State.endpoint_url,
                ),
                size="2",
                color_scheme="gray",
                margin_bottom="1rem",
                overflow_wrap="anywhere",
            ),
            rx.vstack(
                rx.cond(adding, _url_field()),
                _events_field(),
                rx.flex(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                    rx.button(rx.cond(adding, "Add endpoint", "Save events"), on_click=State.save_form),
                    spacing="3",
                    justify="end",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            max_width="640px",
        ),
        open=State.dialog == "form",
        on_open_change=State.close_dialog,
    )


# --- the secret, shown once ------------------------------------------------------------------------


def _secret_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(State.secret_heading),
            rx.dialog.description(
                State.endpoint_url, size="2", color_scheme="gray", overflow_wrap="anywhere", margin_bottom="1rem"
            ),
            shown_once_panel(
                SECRET_FIELD,
                "Signing secret",
                "Copy the signing secret now: it is shown only this once. Your receiver checks each event's "
                "webhook-signature header with it (Standard Webhooks).",
                notice_icon="key-round",
                notice_color="amber",
            ),
            max_width="520px",
        ),
        open=State.dialog == "secret",
        on_open_change=State.close_dialog,
    )


# --- rotate / delete ---------------------------------------------------------------------------


def _confirm_dialog(what: str, title: str, text: str, action: str, on_confirm) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(
                rx.vstack(
                    rx.text(State.endpoint_url, font_family=_CODE, overflow_wrap="anywhere"),
                    rx.text(text),
                    spacing="2",
                ),
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(action, color_scheme="red", on_click=on_confirm)),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
            max_width="460px",
        ),
        open=State.dialog == what,
        on_open_change=State.close_dialog,
    )


def _rotate_dialog() -> rx.Component:
    return _confirm_dialog(
        "rotate",
        "Rotate the signing secret?",
        "The old secret stops working at once: events from now on are signed with the new one, so update "
        "your receiver right away.",
        "Rotate secret",
        State.rotate,
    )


def _delete_dialog() -> rx.Component:
    return _confirm_dialog(
        "delete",
        "Delete this endpoint?",
        "It receives nothing more, and its delivery log is deleted with it.",
        "Delete",
        State.delete,
    )


# --- the delivery log ----------------------------------------------------------------------------


def _delivery(row) -> rx.Component:
    return rx.box(
        rx.flex(
            rx.text(row["event"], weight="medium", font_family=_CODE, size="2"),
            status_badge(row["status"]),
            justify="between",
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.text(
            "Attempts: ",
            row["attempts"],
            " · Response: ",
            row["response_code"],
            " · ",
            row["time"],
            size="2",
            color_scheme="gray",
        ),
        rx.cond(row["last_error"] != "", rx.text(row["last_error"], size="1", color="var(--red-11)")),
        rx.flex(
            rx.text(
                row["message_id"],
                size="1",
                color_scheme="gray",
                font_family=_CODE,
                title="webhook-id",
                overflow_wrap="anywhere",
            ),
            rx.cond(
                row["may_resend"],
                rx.button(
                    rx.icon("rotate-cw", size=12), "Resend", size="1", variant="soft", on_click=State.resend(row["id"])
                ),
            ),
            justify="between",
            align="center",
            wrap="wrap",
            spacing="2",
            width="100%",
        ),
        role="listitem",
        padding="0.6rem 0.75rem",
        border="1px solid var(--gray-a5)",
        border_radius="var(--radius-2)",
        width="100%",
        display="flex",
        flex_direction="column",
        gap="0.35rem",
    )


def _log_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.flex(
                rx.dialog.title("Deliveries", margin="0"),
                rx.button(
                    rx.icon("refresh-cw", size=14), "Refresh", size="1", variant="soft", on_click=State.refresh_log
                ),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.dialog.description(
                State.endpoint_url, size="2", color_scheme="gray", overflow_wrap="anywhere", margin_y="0.75rem"
            ),
            rx.cond(
                State.log.length() > 0,
                rx.vstack(
                    rx.foreach(State.log, _delivery), role="list", aria_label="Deliveries", spacing="2", width="100%"
                ),
                rx.text("No deliveries yet: events appear here as they happen.", size="2", color_scheme="gray"),
            ),
            rx.flex(rx.dialog.close(rx.button("Close", variant="soft")), justify="end", margin_top="1rem"),
            max_width="680px",
        ),
        open=State.dialog == "log",
        on_open_change=State.close_dialog,
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.box(
            page_header(
                "Webhooks",
                rx.button(rx.icon("plus", size=16), "Add endpoint", on_click=State.open_add),
                subtitle="Your other systems (accounting, CRM) hear of payments, invoices, texts and opt-outs as "
                "they happen: a signed POST per event, retried for up to 3 days.",
            ),
            width="100%",
        ),
        rx.cond(
            State.endpoints.length() > 0,
            rx.vstack(rx.foreach(State.endpoints, _endpoint), spacing="3", width="100%"),
            _empty(),
        ),
        _form_dialog(),
        _secret_dialog(),
        _rotate_dialog(),
        _delete_dialog(),
        _log_dialog(),
        spacing="4",
        width="100%",
    )


@staff_page(routes.SETTINGS_WEBHOOKS, "Webhooks", on_load=[State.load])
def webhooks_page() -> rx.Component:
    return settings_frame(routes.SETTINGS_WEBHOOKS, rx.cond(State.loaded, _content(), loading()))
