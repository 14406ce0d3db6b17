"""The customer pay page: phone first, plain HTML elements and assets/pay.css (no component library),
every word from core/pay_text.py in the visitor's language."""

import re

import reflex as rx

from smslinks import routes
from smslinks.core.pay_text import LANGUAGES, TEXT
from smslinks.state.pay import PayState

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(template: str, values: dict, as_var: bool):
    parts = _PLACEHOLDER.split(template)
    pieces = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            if part:
                pieces.append(part)
        else:
            pieces.append(values[part])
    if not as_var:
        return rx.fragment(*pieces)
    text = rx.Var.create("")
    for piece in pieces:
        text = text + (piece if isinstance(piece, str) else piece.to(str))
    return text


def tr(key: str, **values) -> rx.Var:
    """A string in the page's language (for text and attributes); {placeholders} take Vars."""
    if not values:
        return rx.cond(PayState.lang == "es", TEXT["es"][key], TEXT["en"][key])
    return rx.cond(PayState.lang == "es", _fill(TEXT["es"][key], values, True), _fill(TEXT["en"][key], values, True))


def say(key: str, **values) -> rx.Component:
    """Like tr, but placeholders may be components (a phone link inside a sentence)."""
    return rx.cond(PayState.lang == "es", _fill(TEXT["es"][key], values, False), _fill(TEXT["en"][key], values, False))


def _view(key: str) -> rx.Var:
    return PayState.view[key].to(str)


def _phone_link() -> rx.Component:
    return rx.el.a(_view("phone"), href=_view("phone_href"), class_name="pay-link")


def _help_line() -> rx.Component:
    return rx.cond(
        _view("phone") != "",
        rx.el.p(say("help_line", business=_view("business"), phone=_phone_link()), class_name="pay-help"),
    )


# --- frame ----------------------------------------------------------------------------------------


def _language_switch() -> rx.Component:
    return rx.el.div(
        *[
            rx.el.button(
                TEXT[code]["language_name"],
                type="button",
                id=f"lang-{code}",
                lang=code,
                class_name="pay-lang-button",
                aria_pressed=PayState.lang == code,
                on_click=PayState.set_language(code),
            )
            for code in LANGUAGES
        ],
        role="group",
        aria_label=tr("switch_language"),
        class_name="pay-lang",
    )


def _header() -> rx.Component:
    return rx.el.header(
        rx.el.p(rx.cond(_view("business") != "", _view("business"), "\u00a0"), class_name="pay-business"),
        _language_switch(),
        class_name="pay-head",
    )


def _lock_icon() -> rx.Component:
    return rx.el.svg(
        rx.el.svg.rect(x="5", y="11", width="14", height="10", rx="2"),
        rx.el.svg.path(d="M8 11V7a4 4 0 0 1 8 0v4"),
        view_box="0 0 24 24",
        width="16",
        height="16",
        custom_attrs={"fill": "none", "stroke": "currentColor", "strokeWidth": "2"},
        aria_hidden="true",
        class_name="pay-lock",
    )


def _footer() -> rx.Component:
    return rx.el.footer(
        rx.el.p(_lock_icon(), tr("secure_note"), class_name="pay-secure"),
        class_name="pay-foot",
    )


def _error() -> rx.Component:
    return rx.el.div(
        rx.cond(PayState.error != "", rx.el.p(PayState.error, class_name="pay-error")),
        role="alert",
        class_name="pay-alert",
    )


# --- the invoice ----------------------------------------------------------------------------------


def _meta_item(label_key: str, value) -> rx.Component:
    return rx.el.div(rx.el.dt(tr(label_key)), rx.el.dd(value), class_name="pay-meta-item")


def _summary(heading_id: str = "invoice-title") -> rx.Component:
    return rx.el.section(
        rx.el.h1(tr("invoice_number", number=_view("number")), id=heading_id, class_name="pay-title"),
        rx.el.dl(
            _meta_item("issued_on", _view("issued_on")),
            _meta_item("due_on", _view("due_on")),
            _meta_item("service_address", _view("address")),
            class_name="pay-meta",
        ),
        rx.el.div(
            rx.el.span(tr("balance_due"), class_name="pay-due-label"),
            rx.el.strong(_view("balance"), class_name="pay-due-amount", id="balance-due"),
            class_name="pay-due",
        ),
        aria_labelledby=heading_id,
        class_name="pay-panel",
    )


def _line(line) -> rx.Component:
    return rx.el.tr(
        rx.el.td(line["description"]),
        rx.el.td(line["quantity"], class_name="pay-num"),
        rx.el.td(line["amount"], class_name="pay-num"),
    )


def _total_row(key: str, value, strong: bool = False) -> rx.Component:
    return rx.el.div(
        rx.el.dt(tr(key)), rx.el.dd(value), class_name="pay-total pay-total-strong" if strong else "pay-total"
    )


def _details() -> rx.Component:
    return rx.el.section(
        rx.el.h2(tr("invoice"), id="details-title", class_name="pay-subtitle"),
        rx.el.div(
            rx.el.table(
                rx.el.thead(
                    rx.el.tr(
                        rx.el.th(tr("description"), scope="col"),
                        rx.el.th(tr("quantity"), scope="col", class_name="pay-num"),
                        rx.el.th(tr("amount"), scope="col", class_name="pay-num"),
                    )
                ),
                rx.el.tbody(rx.foreach(PayState.lines, _line)),
                class_name="pay-lines",
            ),
            role="group",
            aria_labelledby="details-title",
            tab_index=0,  # reachable by keyboard when it scrolls at high zoom
            class_name="pay-lines-scroll",
        ),
        rx.el.dl(
            _total_row("subtotal", _view("subtotal")),
            _total_row("tax", _view("tax")),
            _total_row("total", _view("total"), strong=True),
            _total_row("amount_paid", _view("paid")),
            _total_row("balance_due", _view("balance"), strong=True),
            class_name="pay-totals",
        ),
        aria_labelledby="details-title",
        class_name="pay-panel",
    )


def _payments_list() -> rx.Component:
    return rx.cond(
        PayState.history.length() > 0,
        rx.el.section(
            rx.el.h2(tr("payments"), id="payments-title", class_name="pay-subtitle"),
            rx.el.ul(
                rx.foreach(
                    PayState.history,
                    lambda p: rx.el.li(
                        rx.el.span(p["on"]),
                        rx.el.span(p["method"]),
                        rx.el.strong(p["amount"]),
                        class_name="pay-payment",
                    ),
                ),
                class_name="pay-payments",
            ),
            aria_labelledby="payments-title",
            class_name="pay-panel",
        ),
    )


# --- paying ---------------------------------------------------------------------------------------


def _amount_choice() -> rx.Component:
    return rx.cond(
        PayState.view["partial"].to(bool),
        rx.el.div(
            rx.cond(
                PayState.partial,
                rx.el.div(
                    rx.el.label(tr("amount_to_pay"), html_for="pay-amount", class_name="pay-label"),
                    rx.el.div(
                        rx.el.span("$", aria_hidden="true"),
                        rx.el.input(
                            id="pay-amount",
                            name="amount",
                            type="text",
                            input_mode="decimal",
                            auto_complete="off",
                            default_value=PayState.amount_text,
                            on_blur=PayState.set_amount,
                            aria_describedby="pay-amount-hint",
                            class_name="pay-input pay-amount-input",
                        ),
                        class_name="pay-amount-field",
                    ),
                    rx.el.p(tr("amount_hint", balance=_view("balance")), id="pay-amount-hint", class_name="pay-hint"),
                    rx.el.button(
                        tr("pay_full_balance"),
                        type="button",
                        on_click=PayState.toggle_partial,
                        class_name="pay-text-button",
                    ),
                    class_name="pay-field",
                ),
                rx.el.button(
                    tr("pay_other_amount"),
                    type="button",
                    id="pay-partial",
                    on_click=PayState.toggle_partial,
                    class_name="pay-text-button",
                ),
            ),
            class_name="pay-amount",
        ),
    )


def _tip_button(choice, button_id, *children) -> rx.Component:
    return rx.el.button(
        *children,
        type="button",
        id=button_id,
        aria_pressed=PayState.tip_choice == choice,
        on_click=PayState.choose_tip(choice),
        class_name="pay-tip",
    )


def _tip_option(option) -> rx.Component:
    return _tip_button(
        option["choice"],
        option["id"],
        rx.el.span(option["percent"]),
        rx.el.span(option["amount"], class_name="pay-tip-amount"),
    )


def _custom_tip() -> rx.Component:
    return rx.el.div(
        rx.el.label(tr("tip_custom_label"), html_for="tip-custom-amount", class_name="pay-label"),
        rx.el.div(
            rx.el.span("$", aria_hidden="true"),
            rx.el.input(
                id="tip-custom-amount",
                name="tip",
                type="text",
                input_mode="decimal",
                auto_complete="off",
                default_value=PayState.tip_custom,
                on_blur=PayState.set_tip_custom,
                class_name="pay-input pay-amount-input",
            ),
            class_name="pay-amount-field",
        ),
        class_name="pay-field",
    )


def _tip_choice() -> rx.Component:
    """Drawn the same way by api/pay_html.py (the first screen), with "No tip" chosen."""
    return rx.cond(
        PayState.view["tips"].to(bool),
        rx.el.div(
            rx.el.span(tr("tip_title"), id="tip-title", class_name="pay-label"),
            rx.el.div(
                rx.foreach(PayState.tip_options, _tip_option),
                _tip_button("none", "tip-none", tr("tip_none")),
                _tip_button("custom", "tip-custom", tr("tip_custom")),
                class_name="pay-tip-options",
            ),
            rx.cond(PayState.tip_choice == "custom", _custom_tip()),
            role="group",
            aria_labelledby="tip-title",
            class_name="pay-field pay-tips",
        ),
    )


def _tip_included() -> rx.Component:
    return rx.cond(PayState.tip_label != "", rx.el.p(tr("tip_line", tip=PayState.tip_label), class_name="pay-hint"))


def _pay_button(**props) -> rx.Component:
    return rx.el.button(
        rx.cond(PayState.busy, tr("paying"), tr("pay_button", amount=PayState.pay_label)),
        disabled=PayState.busy,
        aria_busy=PayState.busy,
        class_name="pay-button",
        **props,
    )


def _tab(key: str, tab: str) -> rx.Component:
    selected = PayState.tab == tab
    return rx.el.button(
        tr(key),
        type="button",
        role="tab",
        id=f"tab-{tab}",
        aria_selected=selected,
        aria_controls=f"panel-{tab}",
        tab_index=rx.cond(selected, 0, -1),
        on_click=PayState.choose_tab(tab),
        class_name="pay-tab",
    )


def _saved_card() -> rx.Component:
    """The customer's saved card: one tap pays with it; it can be removed. api/pay_html.py draws the same."""
    return rx.el.div(
        rx.el.span(tr("saved_card_title"), id="saved-card-label", class_name="pay-label"),
        rx.el.button(
            rx.cond(PayState.busy, tr("paying"), tr("saved_card_pay", card=_view("saved_card"))),
            type="button",
            id="pay-saved-card",
            disabled=PayState.busy,
            aria_busy=PayState.busy,
            aria_describedby="saved-card-hint",
            on_click=PayState.pay_saved_card,
            class_name="pay-button",
        ),
        rx.el.p(tr("saved_card_hint", amount=PayState.pay_label), id="saved-card-hint", class_name="pay-hint"),
        rx.el.button(
            tr("saved_card_remove"),
            type="button",
            id="remove-saved-card",
            disabled=PayState.busy,
            on_click=PayState.remove_saved_card,
            class_name="pay-text-button",
        ),
        role="group",
        aria_labelledby="saved-card-label",
        class_name="pay-field pay-saved-card",
    )


def _save_card_choice() -> rx.Component:
    """Unticked unless the customer ticks it: the words are stored as their consent (core/saved_cards.py)."""
    return rx.el.label(
        rx.el.input(
            type="checkbox",
            name="save_card",
            id="pay-save-card",
            default_checked=False,
            on_change=PayState.set_save_card,
            class_name="pay-checkbox",
        ),
        rx.el.span(tr("save_card", business=_view("business"))),
        html_for="pay-save-card",
        class_name="pay-check",
    )


def _card_panel() -> rx.Component:
    return rx.el.div(
        rx.el.p(tr("card_intro"), class_name="pay-intro"),
        rx.cond(_view("saved_card") != "", _saved_card()),
        rx.cond(
            PayState.saved_card_removed,
            rx.el.p(tr("saved_card_removed"), role="status", class_name="pay-hint"),
        ),
        rx.el.div(
            rx.el.span(
                rx.cond(_view("saved_card") != "", tr("other_card"), tr("card_details")),
                id="card-label",
                class_name="pay-label",
            ),
            rx.el.div(id="card-element", class_name="pay-card-element"),
            rx.cond(
                PayState.card_failed,
                rx.el.p(tr("card_unavailable"), class_name="pay-hint"),
                rx.cond(~PayState.card_ready, rx.el.p(tr("card_loading"), class_name="pay-hint")),
            ),
            role="group",
            aria_labelledby="card-label",
            class_name="pay-field",
        ),
        _save_card_choice(),
        _error(),
        _tip_included(),
        _pay_button(type="button", on_click=PayState.pay_card, id="pay-card"),
        id="panel-card",
        role="tabpanel",
        aria_labelledby="tab-card",
        hidden=PayState.tab != "card",
        class_name="pay-tabpanel",
    )


def _bank_connect() -> rx.Component:
    return rx.el.form(
        rx.el.div(
            rx.el.label(tr("account_holder"), html_for="pay-holder", class_name="pay-label"),
            rx.el.input(
                id="pay-holder",
                name="holder",
                type="text",
                auto_complete="name",
                default_value=PayState.holder,
                class_name="pay-input",
            ),
            class_name="pay-field",
        ),
        _error(),
        rx.el.button(
            rx.cond(PayState.busy, tr("connecting_bank"), tr("connect_bank")),
            type="submit",
            id="pay-connect-bank",
            disabled=PayState.busy,
            class_name="pay-button",
        ),
        on_submit=PayState.connect_bank,
        reset_on_submit=False,
    )


def _bank_confirm() -> rx.Component:
    return rx.el.form(
        rx.el.div(
            rx.el.span(tr("bank_account"), class_name="pay-label"),
            rx.el.p(rx.el.strong(PayState.bank), class_name="pay-bank"),
            rx.el.button(tr("change_bank"), type="button", on_click=PayState.change_bank, class_name="pay-text-button"),
            class_name="pay-field",
        ),
        rx.el.div(
            rx.el.h3(tr("mandate_heading"), id="mandate-title", class_name="pay-label"),
            rx.el.p(PayState.mandate, class_name="pay-mandate", id="mandate-text"),
            rx.el.label(
                rx.el.input(
                    type="checkbox",
                    name="mandate",
                    id="pay-mandate",
                    class_name="pay-checkbox",
                    aria_describedby="mandate-text",
                ),
                rx.el.span(tr("mandate_accept")),
                html_for="pay-mandate",
                class_name="pay-check",
            ),
            class_name="pay-field",
        ),
        _error(),
        _tip_included(),
        _pay_button(type="submit", id="pay-bank"),
        on_submit=PayState.pay_bank,
        reset_on_submit=False,
    )


def _ach_panel() -> rx.Component:
    return rx.el.div(
        rx.el.p(tr("ach_intro"), class_name="pay-intro"),
        rx.cond(PayState.bank != "", _bank_confirm(), _bank_connect()),
        rx.el.p(tr("ach_timing"), class_name="pay-hint"),
        id="panel-ach",
        role="tabpanel",
        aria_labelledby="tab-ach",
        hidden=PayState.tab != "ach",
        class_name="pay-tabpanel",
    )


def _payment_form() -> rx.Component:
    card = PayState.view["card"].to(bool)
    ach = PayState.view["ach"].to(bool)
    return rx.el.section(
        rx.el.h2(tr("pay_methods"), id="pay-methods-title", class_name="pay-visually-hidden"),
        _amount_choice(),
        rx.cond(card | ach, _tip_choice()),
        rx.el.div(
            rx.cond(card, _tab("tab_card", "card")),
            rx.cond(ach, _tab("tab_ach", "ach")),
            role="tablist",
            aria_label=tr("pay_methods"),
            class_name="pay-tabs",
        ),
        rx.cond(card, _card_panel()),
        rx.cond(ach, _ach_panel()),
        rx.cond(
            ~card & ~ach,
            rx.el.p(say("no_online_payment", business=_view("business"), phone=_phone_link()), class_name="pay-body"),
        ),
        aria_labelledby="pay-methods-title",
        class_name="pay-panel",
    )


# --- screens --------------------------------------------------------------------------------------


_SYMBOLS = {
    "good": [rx.el.svg.path(d="M5 12.5l4.5 4.5L19 7.5")],
    "wait": [rx.el.svg.circle(cx="12", cy="12", r="8.5"), rx.el.svg.path(d="M12 7.5V12l3 2")],
    "warn": [rx.el.svg.path(d="M12 7v6"), rx.el.svg.path(d="M12 16.5v.5")],
}


def _symbol(tone: str) -> rx.Component:
    return rx.el.div(
        rx.el.svg(
            *_SYMBOLS[tone],
            view_box="0 0 24 24",
            width="28",
            height="28",
            custom_attrs={
                "fill": "none",
                "stroke": "currentColor",
                "strokeWidth": "2.5",
                "strokeLinecap": "round",
                "strokeLinejoin": "round",
            },
        ),
        aria_hidden="true",
        class_name=f"pay-symbol pay-symbol-{tone}",
    )


def _notice(title_key: str, *body: rx.Component, tone: str) -> rx.Component:
    return rx.el.section(
        _symbol(tone),
        rx.el.h1(tr(title_key), class_name="pay-title"),
        *body,
        class_name="pay-panel pay-notice",
    )


def _text(key: str, **values) -> rx.Component:
    return rx.el.p(tr(key, **values), class_name="pay-body")


def _pay_screen() -> rx.Component:
    return rx.fragment(_summary(), _payment_form(), _details(), _help_line())


def _confirmed_screen() -> rx.Component:
    return rx.fragment(
        rx.el.section(
            _symbol("good"),
            rx.el.h1(tr("confirmed_title"), class_name="pay-title", id="confirmed-title"),
            _text("confirmed_body", amount=PayState.result["amount"], method=PayState.result["method"]),
            rx.cond(PayState.result["tip"].to(str) != "", _text("tip_line", tip=PayState.result["tip"])),
            rx.match(
                PayState.result["receipt"].to(str),
                ("sms", _text("receipt_sms")),
                ("email", _text("receipt_email")),
                rx.fragment(),
            ),
            rx.cond(
                PayState.result["has_balance"].to(bool),
                rx.fragment(
                    _text("remaining_balance", balance=PayState.result["balance"]),
                    rx.el.button(
                        tr("pay_rest"),
                        type="button",
                        on_click=PayState.pay_again,
                        class_name="pay-button pay-button-secondary",
                    ),
                ),
            ),
            role="status",
            class_name="pay-panel pay-notice",
        ),
        _details(),
        _help_line(),
    )


def _paid_screen() -> rx.Component:
    return rx.fragment(
        _notice("paid_title", _text("paid_body"), tone="good"),
        _payments_list(),
        _details(),
        _help_line(),
    )


def _processing_screen() -> rx.Component:
    return rx.fragment(
        _notice(
            "processing_title",
            _text("processing_body"),
            rx.el.p(
                tr("processing_amount", amount=_view("processing_amount"), method=_view("processing_method")),
                class_name="pay-body pay-strong",
            ),
            tone="wait",
        ),
        _details(),
        _help_line(),
    )


def _verify_screen() -> rx.Component:
    return rx.fragment(
        _notice(
            "verify_title",
            _text("verify_body"),
            rx.el.a(
                tr("verify_link"),
                href=_view("verification_url"),
                target="_blank",
                rel="noopener",
                class_name="pay-button",
            ),
            tone="wait",
        ),
        _details(),
        _help_line(),
    )


def _closed_screen(title_key: str, body_key: str, call_key: str = "call_for_help", **values) -> rx.Component:
    return _notice(
        title_key,
        _text(body_key, **values),
        rx.cond(
            _view("phone") != "",
            rx.fragment(
                rx.el.p(say(call_key, business=_view("business"), phone=_phone_link()), class_name="pay-body"),
                rx.el.a(
                    tr("call_button", phone=_view("phone")),
                    href=_view("phone_href"),
                    class_name="pay-button pay-button-secondary",
                ),
            ),
        ),
        tone="warn",
    )


def _new_link() -> rx.Component:
    """ "Text me a new link": it goes to the number the expired link was sent to, never one typed here."""
    return rx.cond(
        PayState.relink_sent,
        rx.el.p(tr("relink_sent"), role="status", class_name="pay-body"),
        rx.el.button(
            tr("relink_button"),
            on_click=PayState.request_new_link,
            disabled=PayState.busy,
            type="button",
            class_name="pay-button",
        ),
    )


def _expired_screen() -> rx.Component:
    return rx.fragment(
        _closed_screen("expired_title", "expired_body", "expired_call"),
        rx.cond(_view("phone") == "", _text("expired_generic")),
        rx.el.section(_new_link(), class_name="pay-panel"),
    )


def _loading_screen() -> rx.Component:
    return rx.el.section(
        rx.el.div(class_name="pay-skeleton pay-skeleton-title"),
        rx.el.div(class_name="pay-skeleton"),
        rx.el.div(class_name="pay-skeleton pay-skeleton-short"),
        rx.el.p(tr("loading"), class_name="pay-hint"),
        aria_busy="true",
        class_name="pay-panel",
    )


def _frame(container, body: rx.Component) -> rx.Component:
    return container(
        rx.el.div(_header(), body, _footer(), class_name="pay-wrap"),
        lang=PayState.lang,
        class_name="pay",
    )


@rx.page(route=routes.PAY, title=tr("tab_title"), on_load=PayState.open)
def pay() -> rx.Component:
    # The placeholder shown until the link is resolved is not the page's main content yet: a <div>,
    # so it never stands beside the server-drawn <main>, whose takeover waits for React's <main>.
    # A tab that showed another link shows the placeholder, not that link's screen, until then.
    return rx.cond(
        (PayState.screen == "loading") | (PayState.shown_for != PayState.token),
        _frame(rx.el.div, _loading_screen()),
        _frame(
            rx.el.main,
            rx.match(
                PayState.screen,
                ("pay", _pay_screen()),
                ("confirmed", _confirmed_screen()),
                ("paid", _paid_screen()),
                ("processing", _processing_screen()),
                ("verify", _verify_screen()),
                ("expired", _expired_screen()),
                ("revoked", _closed_screen("revoked_title", "revoked_body", business=_view("business"))),
                ("void", _closed_screen("void_title", "void_body")),
                (
                    "throttled",
                    _notice("throttled_title", _text("throttled_body", minutes=_view("minutes")), tone="warn"),
                ),
                rx.fragment(),
            ),
        ),
    )
