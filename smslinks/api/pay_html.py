"""The pay page's first screen as HTML, drawn on the server so a phone shows the invoice and its pay
button from the first response instead of after the app's script, websocket and state arrive.

It mirrors pages/pay.py element for element (same tags, classes, ids, words from core/pay_text.py),
so the React page that takes over (see pay_takeover.js) looks exactly the same; the e2e test
test_the_server_drawn_page_is_the_page_react_draws compares the two. Only the "pay" screen is drawn
in full; every other screen (paid, expired or unknown, closed, throttled...) gets the loading
skeleton, the same bytes for every such token, and the app then shows it.
"""

from html import escape

from smslinks.core import pay_text

_VOID = {"input"}


def _attrs(attributes: dict) -> str:
    parts = []
    for name, value in attributes.items():
        if value is None or value is False:
            continue
        parts.append(f" {name}" if value is True else f' {name}="{escape(str(value))}"')
    return "".join(parts)


def el(tag: str, attributes: dict | None = None, *children: str) -> str:
    """An element; children are already HTML (text goes through text())."""
    opening = f"<{tag}{_attrs(attributes or {})}>"
    return opening if tag in _VOID else opening + "".join(children) + f"</{tag}>"


def text(value: str) -> str:
    return escape(value, quote=False)


class _Words:
    def __init__(self, lang: str):
        self.lang = lang

    def __call__(self, key: str, **values) -> str:
        return text(pay_text.t(self.lang, key, **values))

    def sentence(self, key: str, **parts: str) -> str:
        """A sentence whose placeholders are HTML (a phone link inside the words)."""
        template = pay_text.TEXT[self.lang][key]
        marks = {name: f"\x00{name}\x00" for name in parts}
        pieces = text(template.format(**marks)).split("\x00")
        return "".join(parts.get(piece, piece) if index % 2 else piece for index, piece in enumerate(pieces))


# --- frame ----------------------------------------------------------------------------------------


def _header(t: _Words, business: str) -> str:
    buttons = "".join(
        el(
            "button",
            {
                "type": "button",
                "id": f"lang-{code}",
                "lang": code,
                "class": "pay-lang-button",
                "aria-pressed": "true" if code == t.lang else "false",
            },
            text(pay_text.TEXT[code]["language_name"]),
        )
        for code in pay_text.LANGUAGES
    )
    return el(
        "header",
        {"class": "pay-head"},
        el("p", {"class": "pay-business"}, text(business or "\u00a0")),
        el("div", {"role": "group", "aria-label": pay_text.t(t.lang, "switch_language"), "class": "pay-lang"}, buttons),
    )


_LOCK = (
    '<svg aria-hidden="true" class="pay-lock" fill="none" height="16" stroke="currentColor" stroke-width="2"'
    ' viewBox="0 0 24 24" width="16"><rect height="10" rx="2" width="14" x="5" y="11"></rect>'
    '<path d="M8 11V7a4 4 0 0 1 8 0v4"></path></svg>'
)


def _footer(t: _Words) -> str:
    return el("footer", {"class": "pay-foot"}, el("p", {"class": "pay-secure"}, _LOCK, t("secure_note")))


def _phone_link(view: dict) -> str:
    return el("a", {"href": view["phone_href"], "class": "pay-link"}, text(view["phone"]))


def _help_line(t: _Words, view: dict) -> str:
    if not view["phone"]:
        return ""
    line = t.sentence("help_line", business=text(view["business"]), phone=_phone_link(view))
    return el("p", {"class": "pay-help"}, line)


def _alert() -> str:
    return el("div", {"role": "alert", "class": "pay-alert"})


# --- the invoice ----------------------------------------------------------------------------------


def _meta_item(t: _Words, key: str, value: str) -> str:
    return el("div", {"class": "pay-meta-item"}, el("dt", {}, t(key)), el("dd", {}, text(value)))


def _summary(t: _Words, view: dict) -> str:
    return el(
        "section",
        {"aria-labelledby": "invoice-title", "class": "pay-panel"},
        el("h1", {"id": "invoice-title", "class": "pay-title"}, t("invoice_number", number=view["number"])),
        el(
            "dl",
            {"class": "pay-meta"},
            _meta_item(t, "issued_on", view["issued_on"]),
            _meta_item(t, "due_on", view["due_on"]),
            _meta_item(t, "service_address", view["address"]),
        ),
        el(
            "div",
            {"class": "pay-due"},
            el("span", {"class": "pay-due-label"}, t("balance_due")),
            el("strong", {"class": "pay-due-amount", "id": "balance-due"}, text(view["balance"])),
        ),
    )


def _total_row(t: _Words, key: str, value: str, strong: bool = False) -> str:
    return el(
        "div",
        {"class": "pay-total pay-total-strong" if strong else "pay-total"},
        el("dt", {}, t(key)),
        el("dd", {}, text(value)),
    )


def _details(t: _Words, view: dict, lines: list[dict]) -> str:
    head = el(
        "thead",
        {},
        el(
            "tr",
            {},
            el("th", {"scope": "col"}, t("description")),
            el("th", {"scope": "col", "class": "pay-num"}, t("quantity")),
            el("th", {"scope": "col", "class": "pay-num"}, t("amount")),
        ),
    )
    body = el(
        "tbody",
        {},
        *(
            el(
                "tr",
                {},
                el("td", {}, text(line["description"])),
                el("td", {"class": "pay-num"}, text(line["quantity"])),
                el("td", {"class": "pay-num"}, text(line["amount"])),
            )
            for line in lines
        ),
    )
    return el(
        "section",
        {"aria-labelledby": "details-title", "class": "pay-panel"},
        el("h2", {"id": "details-title", "class": "pay-subtitle"}, t("invoice")),
        el(
            "div",
            {"role": "group", "aria-labelledby": "details-title", "tabindex": "0", "class": "pay-lines-scroll"},
            el("table", {"class": "pay-lines"}, head, body),
        ),
        el(
            "dl",
            {"class": "pay-totals"},
            _total_row(t, "subtotal", view["subtotal"]),
            _total_row(t, "tax", view["tax"]),
            _total_row(t, "total", view["total"], strong=True),
            _total_row(t, "amount_paid", view["paid"]),
            _total_row(t, "balance_due", view["balance"], strong=True),
        ),
    )


# --- paying ---------------------------------------------------------------------------------------


def _pay_button(t: _Words, balance: str, **attributes) -> str:
    return el("button", {"aria-busy": "false", "class": "pay-button", **attributes}, t("pay_button", amount=balance))


def _tab(t: _Words, key: str, tab: str, chosen: str) -> str:
    selected = tab == chosen
    return el(
        "button",
        {
            "type": "button",
            "role": "tab",
            "id": f"tab-{tab}",
            "aria-selected": "true" if selected else "false",
            "aria-controls": f"panel-{tab}",
            "tabindex": "0" if selected else "-1",
            "class": "pay-tab",
        },
        t(key),
    )


def _saved_card(t: _Words, view: dict) -> str:
    """pages/pay.py's _saved_card: one tap pays with the customer's saved card."""
    if not view.get("saved_card"):
        return ""
    return el(
        "div",
        {"role": "group", "aria-labelledby": "saved-card-label", "class": "pay-field pay-saved-card"},
        el("span", {"id": "saved-card-label", "class": "pay-label"}, t("saved_card_title")),
        el(
            "button",
            {
                "type": "button",
                "id": "pay-saved-card",
                "aria-busy": "false",
                "aria-describedby": "saved-card-hint",
                "class": "pay-button",
            },
            t("saved_card_pay", card=view["saved_card"]),
        ),
        el("p", {"id": "saved-card-hint", "class": "pay-hint"}, t("saved_card_hint", amount=view["balance"])),
        el("button", {"type": "button", "id": "remove-saved-card", "class": "pay-text-button"}, t("saved_card_remove")),
    )


def _save_card_choice(t: _Words, view: dict) -> str:
    return el(
        "label",
        {"for": "pay-save-card", "class": "pay-check"},
        el("input", {"type": "checkbox", "name": "save_card", "id": "pay-save-card", "class": "pay-checkbox"}),
        el("span", {}, t("save_card", business=view["business"])),
    )


def _card_panel(t: _Words, view: dict, chosen: str) -> str:
    return el(
        "div",
        {
            "id": "panel-card",
            "role": "tabpanel",
            "aria-labelledby": "tab-card",
            "hidden": chosen != "card",
            "class": "pay-tabpanel",
        },
        el("p", {"class": "pay-intro"}, t("card_intro")),
        _saved_card(t, view),
        el(
            "div",
            {"role": "group", "aria-labelledby": "card-label", "class": "pay-field"},
            el(
                "span",
                {"id": "card-label", "class": "pay-label"},
                t("other_card") if view.get("saved_card") else t("card_details"),
            ),
            el("div", {"id": "card-element", "class": "pay-card-element"}),
            el("p", {"class": "pay-hint"}, t("card_loading")),
        ),
        _save_card_choice(t, view),
        _alert(),
        _pay_button(t, view["balance"], type="button", id="pay-card"),
    )


def _ach_panel(t: _Words, chosen: str) -> str:
    connect = el(
        "form",
        {},
        el(
            "div",
            {"class": "pay-field"},
            el("label", {"for": "pay-holder", "class": "pay-label"}, t("account_holder")),
            el(
                "input",
                {
                    "id": "pay-holder",
                    "name": "holder",
                    "type": "text",
                    "autocomplete": "name",
                    "value": "",
                    "class": "pay-input",
                },
            ),
        ),
        _alert(),
        el("button", {"type": "submit", "id": "pay-connect-bank", "class": "pay-button"}, t("connect_bank")),
    )
    return el(
        "div",
        {
            "id": "panel-ach",
            "role": "tabpanel",
            "aria-labelledby": "tab-ach",
            "hidden": chosen != "ach",
            "class": "pay-tabpanel",
        },
        el("p", {"class": "pay-intro"}, t("ach_intro")),
        connect,
        el("p", {"class": "pay-hint"}, t("ach_timing")),
    )


def _tip_button(choice_id: str, pressed: bool, *children: str) -> str:
    attributes = {"type": "button", "id": choice_id, "aria-pressed": "true" if pressed else "false", "class": "pay-tip"}
    return el("button", attributes, *children)


def _tip_choice(t: _Words, view: dict, tip_options: list[dict]) -> str:
    """pages/pay.py's _tip_choice with "No tip" chosen (what every visit starts with)."""
    if not view.get("tips"):
        return ""
    percents = (
        _tip_button(
            option["id"],
            False,
            el("span", {}, text(option["percent"])),
            el("span", {"class": "pay-tip-amount"}, text(option["amount"])),
        )
        for option in tip_options
    )
    return el(
        "div",
        {"role": "group", "aria-labelledby": "tip-title", "class": "pay-field pay-tips"},
        el("span", {"id": "tip-title", "class": "pay-label"}, t("tip_title")),
        el(
            "div",
            {"class": "pay-tip-options"},
            *percents,
            _tip_button("tip-none", True, t("tip_none")),
            _tip_button("tip-custom", False, t("tip_custom")),
        ),
    )


def _payment_form(t: _Words, view: dict, tab: str, tip_options: list[dict]) -> str:
    card, ach = bool(view["card"]), bool(view["ach"])
    chosen = tab if (tab == "card" and card) or (tab == "ach" and ach) else ("card" if card else "ach")
    amount = ""
    if view["partial"]:
        other = el("button", {"type": "button", "id": "pay-partial", "class": "pay-text-button"}, t("pay_other_amount"))
        amount = el("div", {"class": "pay-amount"}, other)
    tabs = (_tab(t, "tab_card", "card", chosen) if card else "") + (_tab(t, "tab_ach", "ach", chosen) if ach else "")
    offline = ""
    if not card and not ach:
        offline = el(
            "p",
            {"class": "pay-body"},
            t.sentence("no_online_payment", business=text(view["business"]), phone=_phone_link(view)),
        )
    return el(
        "section",
        {"aria-labelledby": "pay-methods-title", "class": "pay-panel"},
        el("h2", {"id": "pay-methods-title", "class": "pay-visually-hidden"}, t("pay_methods")),
        amount,
        _tip_choice(t, view, tip_options) if card or ach else "",
        el("div", {"role": "tablist", "aria-label": pay_text.t(t.lang, "pay_methods"), "class": "pay-tabs"}, tabs),
        _card_panel(t, view, chosen) if card else "",
        _ach_panel(t, chosen) if ach else "",
        offline,
    )


def _loading(t: _Words) -> str:
    return el(
        "section",
        {"aria-busy": "true", "class": "pay-panel"},
        el("div", {"class": "pay-skeleton pay-skeleton-title"}),
        el("div", {"class": "pay-skeleton"}),
        el("div", {"class": "pay-skeleton pay-skeleton-short"}),
        el("p", {"class": "pay-hint"}, t("loading")),
    )


def page(
    lang: str,
    view: dict | None,
    lines: list[dict] | None = None,
    tab: str = "card",
    tip_options: list[dict] | None = None,
) -> str:
    """The pay screen (a <main>) for a payable invoice's view (core.pay_page.present, its tips from
    present_tips), else (view None) the loading placeholder (a <div>, as pages/pay.py draws it)."""
    t = _Words(pay_text.language(lang))
    if view is None:
        container, body, business = "div", _loading(t), ""
    else:
        form = _payment_form(t, view, tab, tip_options or [])
        body = _summary(t, view) + form + _details(t, view, lines or []) + _help_line(t, view)
        container, business = "main", view["business"]
    return el(
        container,
        {"lang": t.lang, "class": "pay"},
        el("div", {"class": "pay-wrap"}, _header(t, business), body, _footer(t)),
    )
