"""Settings > Invoicing > Online Payments: a draft of the settings, saved through core."""

import dataclasses

import reflex as rx
from sqlmodel import Session

from smslinks.core import online_payments
from smslinks.core.errors import DomainError, NotAllowed
from smslinks.core.permissions import Permission
from smslinks.core.sms_text import PayBy
from smslinks.db import session_scope
from smslinks.models import Business
from smslinks.state.settings import SettingsState

DAILY_LIMIT = "sms_per_recipient_daily_limit"
VALID_DAYS = "link_valid_days"


class OnlinePaymentsState(SettingsState):
    loaded: bool = False
    # The draft: what the page shows, saved only by save().
    switches: dict[str, bool] = {}
    daily_limit: str = ""
    valid_days: str = ""
    # The three tip percentages as typed, in the order customers see them.
    tip_percents: list[str] = []
    # A tip rule the last save broke, shown beside the percentages (also in the save bar).
    tip_error: str = ""
    has_changes: bool = False
    save_error: str = ""
    account_enabled: bool = False
    sending_blocker: str = ""
    prerequisites: list[dict] = []
    sender: str = ""
    business_name: str = ""
    card_preview: dict[str, str] = {}
    ach_preview: dict[str, str] = {}
    # The values as last loaded from the database, to tell what the draft changes.
    _saved: dict = {}

    def _draft(self) -> dict:
        percents = dict(zip(online_payments.TIP_PERCENTS, self.tip_percents, strict=True))
        return {**self.switches, DAILY_LIMIT: self.daily_limit, VALID_DAYS: self.valid_days, **percents}

    def _changes(self) -> dict:
        return {name: value for name, value in self._draft().items() if value != self._saved.get(name)}

    def _show(self, page: online_payments.OnlinePaymentsView) -> None:
        self.switches = {name: page.values[name] for name in online_payments.SWITCHES}
        self.daily_limit = str(page.values[DAILY_LIMIT])
        self.valid_days = str(page.values[VALID_DAYS])
        self.tip_percents = [str(page.values[name]) for name in online_payments.TIP_PERCENTS]
        self._saved = self._draft()
        self.has_changes = False
        self.save_error = self.tip_error = ""
        self.account_enabled = page.account_enabled
        self.sending_blocker = page.sending_blocker or ""
        self.prerequisites = [dataclasses.asdict(p) for p in page.prerequisites]
        self.sender = page.sender
        self.business_name = page.business_name
        self.card_preview = _preview_dict(page.previews[PayBy.CARD])
        self.ach_preview = _preview_dict(page.previews[PayBy.ACH])
        self.loaded = True

    def _edited(self) -> None:
        self.has_changes = bool(self._changes())
        self.save_error = self.tip_error = ""

    def _business(self, session: Session) -> Business:
        """The business of the signed-in editor, who must manage online payments."""
        employee = self._authorize(session, Permission.MANAGE_ONLINE_PAYMENTS)
        return session.get(Business, employee.business_id)

    def _load(self):
        try:
            with session_scope() as session:
                employee = self._enter(session, Permission.MANAGE_ONLINE_PAYMENTS)
                page = online_payments.view(session, employee)
        except DomainError as error:
            return self._refuse_section(error)
        self._show(page)

    @rx.event
    def load(self):
        return self._load()

    @rx.event
    def set_switch(self, name: str, on: bool):
        try:
            with session_scope() as session:
                self.switches = online_payments.switch(self.switches, name, on, self._business(session))
        except DomainError as error:
            return self._refuse(error)
        self._edited()

    def _set_number(self, field: str, text: str, index: int | None = None):
        """Keep what was typed (checked on save, so a half-typed number is not refused)."""
        try:
            with session_scope() as session:
                self._business(session)
        except DomainError as error:
            return self._refuse(error)
        if index is None:
            setattr(self, field, str(text)[:6])
        else:
            self.tip_percents = [str(text)[:6] if i == index else value for i, value in enumerate(self.tip_percents)]
        self._edited()

    @rx.event
    def set_daily_limit(self, text: str):
        return self._set_number("daily_limit", text)

    @rx.event
    def set_valid_days(self, text: str):
        return self._set_number("valid_days", text)

    @rx.event
    def set_tip_percent(self, index: int, text: str):
        if index not in range(len(online_payments.TIP_PERCENTS)):
            return None
        return self._set_number("tip_percents", text, index)

    @rx.event
    def save(self):
        try:
            with session_scope() as session:
                employee = self._authorize(session, Permission.MANAGE_ONLINE_PAYMENTS)
                online_payments.save(session, employee, self._changes())
                page = online_payments.view(session, employee)
        except NotAllowed as error:
            return self._refuse(error)
        except DomainError as error:
            # The draft stays as it is, so nothing typed is lost.
            self.save_error = error.message
            self.tip_error = error.message if error.message in online_payments.TIP_RULES else ""
            return
        self._show(page)
        return rx.toast.success("Online payment settings saved.")

    @rx.event
    def discard(self):
        """Back to the saved settings (as they are in the database now)."""
        return self._load()


def _preview_dict(preview: online_payments.MessagePreview) -> dict[str, str]:
    return {
        "text": preview.text,
        "characters": str(preview.characters),
        "encoding": preview.encoding,
        "segments": str(preview.segments),
    }
