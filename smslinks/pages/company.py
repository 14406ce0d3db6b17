"""Settings > Company > Company profile: what customers see of the business, and its link host."""

import reflex as rx

from smslinks import routes
from smslinks.pages.components import UNSAVED, save_bar
from smslinks.pages.layout import loading, page_header, staff_page
from smslinks.pages.profile_fields import ZONE_LIST_ID, field, grid, hint_text, zone_list
from smslinks.pages.settings import settings_frame
from smslinks.state.company import CompanyState as State


def _input(
    name: str,
    label: str,
    *,
    type_: str = "text",
    auto_complete: str = "off",
    hint=None,
    attrs: dict | None = None,
    **props,
) -> rx.Component:
    input_id = f"company-{name.replace('_', '-')}"
    control = rx.input(
        id=input_id,
        type=type_,
        auto_complete=auto_complete,
        size="2",
        width="100%",
        value=State.draft[name],
        on_change=lambda text: State.set_field(name, text),
        custom_attrs={"aria-describedby": f"{input_id}-error", **(attrs or {})},
        **props,
    )
    return field(label, input_id, control, State.errors, name, hint)


def _card(title: str, description: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.vstack(
                rx.heading(title, size="4", as_="h2"),
                rx.text(description, size="2", color_scheme="gray"),
                spacing="1",
            ),
            *children,
            spacing="4",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def _business() -> rx.Component:
    return _card(
        "Business",
        "Shown to customers on every text, receipt and pay page.",
        _input("name", "Business name", auto_complete="organization"),
        grid(
            _input(
                "phone",
                "Phone",
                type_="tel",
                auto_complete="tel",
                hint=hint_text("Customers call it with questions about an invoice."),
            ),
            _input(
                "email",
                "Email",
                type_="email",
                auto_complete="email",
                hint=hint_text("Customers write to it; receipts come from it."),
            ),
        ),
    )


def _address() -> rx.Component:
    return _card(
        "Address and time zone",
        "The time zone decides when texts may go out and how times are shown.",
        _input("street", "Street", auto_complete="street-address"),
        rx.grid(
            _input("city", "City", auto_complete="address-level2"),
            _input("region", "State", auto_complete="address-level1"),
            _input("postal_code", "ZIP code", auto_complete="postal-code"),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="4",
            width="100%",
        ),
        rx.box(
            _input(
                "time_zone",
                "Time zone",
                placeholder="From the ZIP code",
                attrs={"list": ZONE_LIST_ID},
                hint=hint_text(rx.cond(State.zone_hint != "", State.zone_hint, "A name such as America/Chicago.")),
            ),
            zone_list(),
            max_width=rx.breakpoints(initial="100%", sm="50%"),
            width="100%",
        ),
    )


def _links() -> rx.Component:
    return _card(
        "Payment links",
        "Links in texts and emails open on this host. Carriers trust a business's own domain more than a shared one.",
        _input(
            "host",
            "Link host",
            placeholder="pay.example-hvac.com",
            spell_check=False,
            hint=hint_text(
                "Only the host name, without https://. Leave it empty to use this app's own address. "
                "The host must point at this app (ask whoever runs your domain)."
            ),
        ),
    )


def _preview() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("SMS Text Message Preview", size="3", as_="h2"),
            rx.text(
                "What a customer receives with an invoice to pay by card (sample invoice and link).",
                size="2",
                color_scheme="gray",
            ),
            rx.box(
                State.preview["text"],
                custom_attrs={"data-testid": "sms-preview-text"},
                background="var(--gray-4)",
                color="var(--gray-12)",
                padding="0.6rem 0.85rem",
                border_radius="18px 18px 18px 4px",
                font_size="15px",
                line_height="1.35",
                white_space="pre-wrap",
                overflow_wrap="anywhere",
                max_width="100%",
            ),
            rx.text(
                State.preview["characters"],
                " characters · ",
                State.preview["encoding"],
                " · ",
                State.preview["segments"],
                " SMS ",
                State.preview["segments_word"],
                size="2",
                color_scheme="gray",
                custom_attrs={"data-testid": "sms-preview-stats"},
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def _save_bar() -> rx.Component:
    has_errors = State.errors.length() > 0
    return save_bar(
        State.has_changes | has_errors,
        rx.cond(has_errors, "Fix the fields marked in red, then save.", UNSAVED),
        State.discard,
        State.save,
    )


def _content() -> rx.Component:
    return rx.vstack(
        page_header("Company profile", subtitle="Your business as customers see it."),
        # Desktop: the fields, the preview beside them; phone: the preview right under the name.
        rx.box(
            rx.box(_business(), grid_area="business", min_width="0"),
            rx.box(
                _preview(),
                grid_area="preview",
                min_width="0",
                position=rx.breakpoints(initial="static", md="sticky"),
                top="72px",
                align_self="start",
            ),
            rx.box(_address(), grid_area="address", min_width="0"),
            rx.box(_links(), grid_area="links", min_width="0"),
            display="grid",
            grid_template_columns=rx.breakpoints(initial="minmax(0, 1fr)", md="minmax(0, 1fr) 320px"),
            grid_template_areas=rx.breakpoints(
                initial='"business" "preview" "address" "links"',
                md='"business preview" "address preview" "links preview"',
            ),
            gap="var(--space-4)",
            width="100%",
        ),
        _save_bar(),
        spacing="4",
        width="100%",
    )


@staff_page(routes.SETTINGS_COMPANY, "Company profile", on_load=[State.load])
def company_profile() -> rx.Component:
    return settings_frame(routes.SETTINGS_COMPANY, rx.cond(State.loaded, _content(), loading()))
