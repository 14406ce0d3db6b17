"""The shared frame of every staff page: top bar with the sections the person may use."""

from collections.abc import Callable

import reflex as rx
from reflex.app import default_overlay_component

from smslinks import routes
from smslinks.state.inbox import InboxState
from smslinks.state.session import SessionState

BRAND_COLOR = "teal"


def staff_frame(*children: rx.Component) -> rx.Component:
    """The Radix theme, toasts and the connection indicator, for every page but the customer pay page
    (which draws itself with assets/pay.css and so loads none of their script or CSS)."""
    return rx.theme(
        rx.toast.provider(),
        default_overlay_component(),
        *children,
        accent_color=BRAND_COLOR,
        gray_color="slate",
        radius="medium",
        appearance="light",
    )


def _unread_badge(item) -> rx.Component:
    """Replies nobody has opened yet, beside Inbox (kept live by InboxState.watch)."""
    return rx.cond(
        (item["label"] == "Inbox") & (InboxState.unread > 0),
        rx.badge(
            InboxState.unread,
            color_scheme="red",
            variant="solid",
            radius="full",
            size="1",
            aria_label=f"{InboxState.unread} unread",
            data_testid="inbox-unread",
        ),
    )


def _nav_link(item) -> rx.Component:
    return rx.cond(
        item["label"] == "Settings",
        rx.link(  # an icon alone, drawn like the other sections
            rx.icon("settings", size=18),
            href=item["href"],
            aria_label="Settings",
            title="Settings",
            color="var(--gray-12)",
            display="flex",
            padding="0.4rem",
            border_radius="var(--radius-2)",
            _hover={"background": "var(--gray-a3)"},
        ),
        rx.link(
            # On a phone the sections show as icons (named for screen readers and on hover): the bar fits.
            rx.hstack(
                rx.icon(item["icon"], size=16),
                rx.text(item["label"], class_name="hide-on-phone"),
                _unread_badge(item),
                spacing="2",
                align="center",
            ),
            href=item["href"],
            aria_label=item["label"],
            title=item["label"],
            color="var(--gray-12)",
            weight="medium",
            underline="none",
            padding_x="0.6rem",
            padding_y="0.4rem",
            border_radius="var(--radius-2)",
            _hover={"background": "var(--gray-a3)"},
        ),
    )


def _user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("circle-user", size=18),
                rx.text(SessionState.employee_name, class_name="hide-on-phone"),
                variant="ghost",
                color_scheme="gray",
                aria_label="Account",
            )
        ),
        rx.menu.content(
            rx.box(
                rx.text(SessionState.employee_role, size="1", color_scheme="gray"),
                padding_x="0.75rem",
                padding_y="0.25rem",
            ),
            rx.menu.separator(),
            rx.menu.item("Sign out", on_click=SessionState.sign_out),
        ),
    )


def top_bar() -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            rx.link(
                rx.hstack(
                    rx.icon("message-square-text", size=22, color=f"var(--{BRAND_COLOR}-9)"),
                    rx.text("smslinks", size="5", weight="bold", class_name="brand-word"),
                    spacing="2",
                    align="center",
                ),
                href=routes.HOME,
                aria_label="smslinks",
                underline="none",
                color="var(--gray-12)",
            ),
            rx.hstack(rx.foreach(SessionState.nav, _nav_link), spacing="1", align="center"),
            rx.spacer(),
            _user_menu(),
            align="center",
            spacing="4",
            width="100%",
            max_width="1200px",
            margin_x="auto",
            padding_x="1rem",
            height="56px",
        ),
        aria_label="Main",
        style={
            "border_bottom": "1px solid var(--gray-a5)",
            "background": "var(--color-panel-solid)",
            "position": "sticky",
            "top": "0",
            "z_index": "10",
        },
    )


def loading() -> rx.Component:
    return rx.center(rx.spinner(size="3"), padding="4rem")


def staff_page(
    route: str,
    title: str,
    on_load: list | None = None,
    max_width: str = "1200px",
) -> Callable[[Callable[[], rx.Component]], Callable[[], rx.Component]]:
    """Register a signed-in page: checks the session first, then runs the page's own loaders."""

    def decorator(content: Callable[[], rx.Component]):
        @rx.page(
            route=route,
            title=f"{title} · smslinks",
            on_load=[SessionState.check_signed_in, *(on_load or []), InboxState.watch],
        )
        def page() -> rx.Component:
            return staff_frame(
                rx.box(
                    top_bar(),
                    rx.cond(
                        SessionState.signed_in,
                        rx.el.main(
                            rx.box(
                                content(),
                                width="100%",
                                max_width=max_width,
                                margin_x="auto",
                                padding="1rem",
                            )
                        ),
                        loading(),
                    ),
                    min_height="100vh",
                    background="var(--gray-2)",
                )
            )

        page.__name__ = content.__name__
        return page

    return decorator


def page_header(title, *actions: rx.Component, subtitle=None) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.heading(title, size="6"),
            *([rx.text(subtitle, color_scheme="gray")] if subtitle is not None else []),
            spacing="1",
        ),
        rx.spacer(),
        *actions,
        align="center",
        wrap="wrap",
        spacing="3",
        margin_bottom="1rem",
    )
