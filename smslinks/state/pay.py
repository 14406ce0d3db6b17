"""The customer pay page (/pay/[token]): no sign-in; the link token is the only key, and it opens
one invoice. The state knows the token only by its hash (api/state_secrets.py hashes it on the
websocket before Reflex keeps the page's path), held in the backend var `_token`; every handler
re-resolves it through core (the link may have expired, been revoked, or the invoice paid or voided
meanwhile)."""

import asyncio
import json

import reflex as rx
from sqlmodel import Session

from smslinks.config import get_settings
from smslinks.core import display, fresh_link, insights, pay_page, pay_text, payments, saved_cards, tips, tokens
from smslinks.core.errors import DomainError
from smslinks.core.pay_page import LinkNotUsable, Screen
from smslinks.core.payments import Outcome, PaymentRefused
from smslinks.db import session_scope
from smslinks.models import utcnow
from smslinks.providers import payment_gateway
from smslinks.providers.recent_views import recent_pay_views
from smslinks.state.off_loop import core_with_provider

WATCH_SECONDS = 3
WATCH_LIMIT_SECONDS = 30 * 60


def _script(function: str, argument: dict) -> str:
    """A call into assets/pay.js; arguments travel as JSON, never pasted as code."""
    return f"import('/pay.js').then(m => m.{function}({json.dumps(argument)}))"


def _open_link(
    token: tokens.Hashed, client: str, host: str, visit: bool, user_agent: str | None = None
) -> pay_page.PayView:
    with session_scope() as session:
        if user_agent is None:
            return pay_page.open_link(session, token, client=client, host=host, visit=visit)
        # on_load: the page's script ran (Insights tells people from scanners), moments after the
        # server-drawn page read the same invoice: that read answers unless the invoice changed since.
        insights.log_open(session, token, user_agent, ran_script=True)
        return pay_page.open_link(
            session, token, client=client, host=host, visit=visit, keep=recent_pay_views(), reuse=True
        )


def _request_new_link(token: tokens.Hashed, client: str) -> None:
    with session_scope() as session:
        fresh_link.request_new_link(session, token, client=client)


def _pay_by_card(
    session: Session,
    gateway: payments.PaymentGateway,
    token: tokens.Hashed,
    consent: saved_cards.Consent | None,
    *,
    client: str,
    payment_method: str,
    amount_text: str | None,
    language: str,
    tip: tips.TipChoice,
) -> Outcome:
    """A new card; kept on file for the customer when they ticked the box (consent is then given)."""
    if consent is None:
        return payments.pay_by_card(
            session,
            gateway,
            token,
            client=client,
            payment_method=payment_method,
            amount_text=amount_text,
            language=language,
            tip=tip,
        )
    return saved_cards.pay_by_card_and_save(
        session,
        gateway,
        token,
        client=client,
        payment_method=payment_method,
        consent=consent,
        amount_text=amount_text,
        tip=tip,
    )


def _pay_with_saved_card(session: Session, gateway: payments.PaymentGateway, token: tokens.Hashed, **choice) -> Outcome:
    return saved_cards.pay_with_saved_card(session, gateway, token, key=tokens.idempotency_key("saved-card"), **choice)


class PayState(rx.State):
    _token: tokens.Hashed = tokens.Hashed("")
    _lang_chosen: bool = False
    _error: tuple[str, dict] | None = None
    _watching: bool = False  # a follower was asked for
    _watch_running: bool = False  # one follower per page, however often a client asks
    _tip_policy: tips.TipPolicy = tips.TipPolicy()
    _total_cents: int = 0

    lang: str = pay_text.DEFAULT_LANGUAGE
    screen: str = "loading"
    # The link whose screen is shown. A browser tab keeps its state from one link to the next: until
    # this link is resolved, the page must not draw the last link's screen (pages/pay.py).
    shown_for: str = ""
    view: dict = {}
    lines: list[dict[str, str]] = []
    history: list[dict[str, str]] = []  # the invoice's payments
    tab: str = "card"
    card_ready: bool = False
    card_failed: bool = False
    partial: bool = False  # the customer chose "Pay another amount"
    amount_text: str = ""
    pay_label: str = ""  # the amount the button will collect, e.g. $120.00
    tip_options: list[dict[str, str]] = []  # the offered percentages (present_tips)
    tip_choice: str = tips.NONE  # "none", "custom" or a percentage; the server prices it
    tip_custom: str = ""  # typed dollars for a custom tip
    tip_label: str = ""  # the tip included in pay_label, e.g. $43.04 (empty for none)
    busy: bool = False
    error: str = ""
    bank: str = ""  # "STRIPE TEST BANK •••• 6789" once connected
    holder: str = ""
    mandate: str = ""
    result: dict = {}
    relink_sent: bool = False  # "Text me a new link" was asked for (the same answer whatever happened)
    save_card: bool = False  # "Save this card for future invoices from <business>" is ticked
    saved_card_removed: bool = False

    # --- helpers (not callable from the browser) ---

    def _client(self) -> str:
        return self.router.session.client_ip or "unknown"

    def _gateway(self) -> payments.PaymentGateway:
        return payment_gateway()

    def _show(self, view: pay_page.PayView):
        self.view = pay_page.present(view, self.lang) | {"minutes": get_settings().pay_link_lockout_minutes}
        self.lines = pay_page.present_lines(view)
        self.history = pay_page.present_payments(view, self.lang)
        self.tip_options = pay_page.present_tips(view)
        self.shown_for = str(self.token or "")
        self._tip_policy, self._total_cents = view.tip_policy, view.total_cents
        previous = self.screen
        # The confirmation stays until the customer moves on (it also follows a partial payment).
        if self.screen != "confirmed" or view.screen not in (Screen.PAY, Screen.PAID):
            self.screen = view.screen.value
        if view.screen is Screen.PAY:
            if not (view.card_enabled and self.tab == "card") and not (view.ach_enabled and self.tab == "ach"):
                self.tab = "card" if view.card_enabled else "ach"
            self._refresh_amount()
        if self.screen == Screen.PAY and previous != Screen.PAY:
            return self._start_stripe()  # the form just appeared: Stripe.js now, not before
        if self.screen in (Screen.PROCESSING, Screen.VERIFY) and not self._watching:
            self._watching = True
            return PayState.watch
        return None

    def _reload(self, visit: bool = False):
        return self._show(_open_link(*self._page(), visit))

    def _page(self) -> tuple[tokens.Hashed, str, str]:
        """What _open_link needs to know about this page: its link, client and host."""
        return self._token, self._client(), self.router.headers.host

    async def _reload_off_loop(self):
        """_reload with the database work in a thread, as open does."""
        return self._show(await asyncio.to_thread(_open_link, *self._page(), False))

    def _refresh_amount(self, explain: bool = False):
        """The button's amount; with explain, a typed amount that cannot be paid says why."""
        balance = int(self.view.get("balance_cents") or 0)
        try:
            amount = payments.parse_amount(self._amount(), balance, self.partial)
            tip = tips.tip_cents(self._tip_policy, self._total_cents, self._tip())
        except (PaymentRefused, tips.TipRefused) as refused:
            if explain:
                self._fail(refused.code, **refused.values)
            self.pay_label = self.tip_label = ""
            return
        self.pay_label = display.money(amount + tip)
        self.tip_label = display.money(tip) if tip else ""
        if self.bank:
            self.mandate = self._mandate_text(amount + tip)

    def _mandate_text(self, amount_cents: int) -> str:
        return pay_text.mandate_text(
            self.lang,
            business=self.view.get("business", ""),
            phone=self.view.get("phone", ""),
            amount_cents=amount_cents,
            number=self.view.get("number", ""),
            on=display.local_day(utcnow(), self.view.get("time_zone", "UTC")),
        )

    def _amount(self) -> str | None:
        return self.amount_text if self.partial else None

    def _tip(self) -> tips.TipChoice:
        return tips.TipChoice(self.tip_choice, self.tip_custom if self.tip_choice == tips.CUSTOM else "")

    def _fail(self, key: str, **values):
        self._error = (key, values)
        self.error = self._render_error()
        self.busy = False

    def _render_error(self) -> str:
        if self._error is None:
            return ""
        key, values = self._error
        if key == "stripe":
            return pay_text.decline_message(self.lang, values.get("code"), values.get("message"))
        return pay_text.t(self.lang, key, **values)

    def _clear_error(self):
        self._error = None
        self.error = ""

    def _refused(self, error: DomainError):
        """The answer to a refusal: a screen change for links that stopped working, else a message."""
        if isinstance(error, LinkNotUsable):
            self.busy = False
            return self._reload()
        if isinstance(error, PaymentRefused):
            self._fail(error.code, **error.values)
            if error.code in ("nothing_due", "already_processing", "saved_card_gone"):
                return self._reload()
            return None
        self._fail("unavailable")
        return None

    def _stripe_setup(self) -> dict:
        gateway = self._gateway()
        return {"key": gateway.publishable_key, "js": gateway.js_url, "lang": self.lang}

    def _start_stripe(self):
        setup = self._stripe_setup() | {"withCard": bool(self.view.get("card"))}
        return rx.call_script(_script("start", setup), callback=PayState.stripe_started)

    def _outcome(self, outcome: Outcome):
        self.busy = False
        if outcome.status == "succeeded":
            self.result = {
                "amount": display.money(outcome.amount_cents + outcome.tip_cents),
                "method": outcome.method,
                "balance": display.money(outcome.balance_cents),
                "has_balance": outcome.balance_cents > 0,
                "receipt": outcome.receipt_channel or "",
                "tip": display.money(outcome.tip_cents) if outcome.tip_cents else "",
            }
            self.screen = "confirmed"
            return self._reload()
        if outcome.status == "requires_action":
            self.busy = True
            return rx.call_script(_script("authenticate", outcome.client_secret), callback=PayState.card_action_done)
        if outcome.status in ("processing", "verify"):
            return self._reload()
        self._fail("stripe", code=outcome.code, message=outcome.message)
        return None

    # --- events ---

    @rx.event
    async def open(self):
        """on_load: resolve the token (throttled per client), then load Stripe.js if there is something to pay.

        The database work runs in a thread: a burst of customers opening links must not queue behind
        one another's queries on the event loop (each page's answer goes out as soon as it is ready)."""
        self._token = tokens.Hashed(str(self.token or "")[:100])
        if not self._lang_chosen:
            self.lang = pay_text.choose_language(self.router.headers.accept_language)
        if self.router.url.query_parameters.get("m") == "ach":
            self.tab = "ach"
        self.result, self.bank, self.busy, self.partial, self.amount_text = {}, "", False, False, ""
        self.tip_choice, self.tip_custom = tips.NONE, ""
        self.relink_sent = self.save_card = self.saved_card_removed = False
        self._clear_error()
        self.screen = "loading"
        view = await asyncio.to_thread(_open_link, *self._page(), True, self.router.headers.user_agent)
        return self._show(view)

    @rx.event
    async def request_new_link(self):
        """The expired-link page's "Text me a new link": core decides, by the link's own token."""
        self.busy = True
        yield
        await asyncio.to_thread(_request_new_link, self._token, self._client())
        self.busy, self.relink_sent = False, True

    @rx.event
    def stripe_started(self, result: dict):
        self.card_ready = bool((result or {}).get("ready"))
        self.card_failed = not self.card_ready

    @rx.event
    async def pay_again(self):
        """From a partial payment's confirmation back to the form, for the rest of the balance."""
        self.screen = "loading"
        self.result = {}
        self.partial, self.amount_text = False, ""
        return await self._reload_off_loop()

    @rx.event
    async def set_language(self, lang: str):
        self.lang = pay_text.language(lang)
        self._lang_chosen = True
        self.error = self._render_error()
        return await self._reload_off_loop()

    @rx.event
    def choose_tab(self, tab: str):
        if tab in ("card", "ach"):
            self.tab = tab
            self._clear_error()

    @rx.event
    def toggle_partial(self):
        self.partial = not self.partial and bool(self.view.get("partial"))
        self.amount_text = ""
        self._clear_error()
        self._refresh_amount()

    @rx.event
    def set_amount(self, text: str):
        self.amount_text = str(text)[:20]
        self._clear_error()
        self._refresh_amount(explain=True)

    @rx.event
    def choose_tip(self, choice: str):
        offered = {tips.NONE, tips.CUSTOM, *(option["choice"] for option in self.tip_options)}
        if self.busy or choice not in offered:
            return
        self.tip_choice = choice
        self._clear_error()
        self._refresh_amount()

    @rx.event
    def set_tip_custom(self, text: str):
        self.tip_custom = str(text)[:20]
        self._clear_error()
        self._refresh_amount(explain=True)

    @rx.event
    def pay_card(self):
        if self.busy or self.screen != Screen.PAY:
            return None
        self.busy = True
        self._clear_error()
        return rx.call_script("import('/pay.js').then(m => m.cardMethod())", callback=PayState.submit_card)

    # Handlers that reach Stripe are async and wait for it in a provider thread (state/off_loop.py).

    @rx.event
    def set_save_card(self, checked: bool):
        self.save_card = checked is True

    @rx.event
    async def submit_card(self, result: dict):
        result = result or {}
        if "id" not in result:
            error = result.get("error") or {}
            self._fail("stripe", code=error.get("code"), message=error.get("message") or None)
            return None
        consent = None
        if self.save_card:
            consent = saved_cards.Consent(self.lang, self._client(), self.router.headers.user_agent)
        try:
            outcome = await core_with_provider(
                _pay_by_card,
                self._gateway(),
                self._token,
                consent,
                client=self._client(),
                payment_method=str(result["id"])[:100],
                amount_text=self._amount(),
                language=self.lang,
                tip=self._tip(),
            )
        except DomainError as error:
            return self._refused(error)
        return self._outcome(outcome)

    @rx.event
    async def pay_saved_card(self):
        """ "Pay with Visa •••• 4242": the customer's saved card, for what the page's button shows."""
        if self.busy or self.screen != Screen.PAY or not self.view.get("saved_card"):
            return
        self.busy = True
        self._clear_error()
        yield
        try:
            outcome = await core_with_provider(
                _pay_with_saved_card,
                self._gateway(),
                self._token,
                client=self._client(),
                amount_text=self._amount(),
                language=self.lang,
                tip=self._tip(),
            )
        except DomainError as error:
            yield self._refused(error)
            return
        yield self._outcome(outcome)

    @rx.event
    async def remove_saved_card(self):
        if self.busy or not self.view.get("saved_card"):
            return
        self.busy = True
        self._clear_error()
        yield
        try:
            await core_with_provider(
                saved_cards.remove_by_customer, self._gateway(), self._token, client=self._client()
            )
        except DomainError as error:
            yield self._refused(error)
            return
        self.busy, self.saved_card_removed = False, True
        yield self._reload()

    @rx.event
    async def card_action_done(self, result: dict):
        error = (result or {}).get("error")
        try:
            outcome = await core_with_provider(
                payments.finish_card_action, self._gateway(), self._token, client=self._client()
            )
        except DomainError as refused:
            return self._refused(refused)
        if outcome.status == "declined" and error:
            outcome = Outcome(
                status="declined",
                code=error.get("code") or outcome.code,
                message=error.get("message") or outcome.message,
            )
        return self._outcome(outcome)

    @rx.event
    async def connect_bank(self, form: dict):
        if self.busy:
            return None
        self.holder = str(form.get("holder", "")).strip()[:120]
        if not self.holder:
            self._fail("name_required")
            return None
        self.busy = True
        self._clear_error()
        try:
            secret = await core_with_provider(
                payments.prepare_bank_payment,
                self._gateway(),
                self._token,
                client=self._client(),
                amount_text=self._amount(),
                language=self.lang,
                tip=self._tip(),
            )
        except DomainError as error:
            return self._refused(error)
        argument = self._stripe_setup() | {"clientSecret": secret, "name": self.holder}
        return rx.call_script(_script("collectBank", argument), callback=PayState.bank_collected)

    @rx.event
    async def bank_collected(self, result: dict):
        self.busy = False
        error = (result or {}).get("error")
        if error:
            self._fail("stripe", code=error.get("code"), message=error.get("message") or None)
            return None
        try:
            bank = await core_with_provider(
                payments.connected_bank, self._gateway(), self._token, client=self._client()
            )
        except DomainError as refused:
            return self._refused(refused)
        self.bank = bank or ""
        self._refresh_amount()
        return None

    @rx.event
    def change_bank(self):
        self.bank = ""
        self.mandate = ""
        self._clear_error()

    @rx.event
    async def pay_bank(self, form: dict):
        if self.busy or not self.bank:
            return None
        self.busy = True
        self._clear_error()
        try:
            outcome = await core_with_provider(
                payments.pay_by_bank,
                self._gateway(),
                self._token,
                client=self._client(),
                accepted=form.get("mandate") in ("on", True, "true"),
                ip_address=self._client(),
                user_agent=self.router.headers.user_agent,
                amount_text=self._amount(),
                language=self.lang,
                tip=self._tip(),
            )
        except DomainError as error:
            return self._refused(error)
        self.bank = ""
        return self._outcome(outcome)

    @rx.event(background=True)
    async def watch(self):
        """While a bank payment is processing (or waits for microdeposits), follow it: the page turns
        to "paid" or back to "pay" when the webhook lands, without a reload."""
        async with self:
            if self._watch_running:
                return
            self._watch_running = True
        waited = 0
        while waited < WATCH_LIMIT_SECONDS:
            await asyncio.sleep(WATCH_SECONDS)
            waited += WATCH_SECONDS
            async with self:
                if self.screen not in (Screen.PROCESSING, Screen.VERIFY):
                    break
                page = self._page()
            view = await asyncio.to_thread(_open_link, *page, False)  # the page stays unlocked meanwhile
            async with self:
                if self.screen not in (Screen.PROCESSING, Screen.VERIFY):
                    break
                followup = self._show(view)
            if followup is not None:
                yield followup  # e.g. the debit failed: the payment form (and Stripe.js) is back
        async with self:
            self._watching = self._watch_running = False
