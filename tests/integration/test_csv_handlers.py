"""Settings > Export and Import State handlers, called directly as any browser could call them over
the websocket: each checks who is asking and what they may do, every time."""

import asyncio
import base64
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
import reflex as rx
from sqlmodel import func, select

from smslinks.core import auth, imports
from smslinks.db import session_scope, upgrade_to_head
from smslinks.models import AuditEvent, Customer
from smslinks.state.exports import ExportState
from smslinks.state.imports import ImportState
from tests import factories


def _run(coroutine):
    """In a thread of its own: after the browser tests, Playwright's event loop runs in this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def _state(state_class, token: str = ""):
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_class.get_full_name().split(".")[1:])
    factories.sign_in_state(state, token)
    return state


@pytest.fixture
def tokens(app_env):
    upgrade_to_head(app_env)
    roles = ("Administrator", "Accountant", "Office employee", "Technician")
    with session_scope() as session:
        business = factories.business(session)
        emails = {role: factories.employee(session, business, role).email for role in roles}
    with session_scope() as session:
        return {role: auth.sign_in(session, email, factories.PASSWORD, "test").token for role, email in emails.items()}


def _events(generator) -> list:
    async def drain():
        return [event async for event in generator]

    return _run(drain())


def _audits(action: str) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).where(AuditEvent.action == action)).one()


def test_export_is_refused_to_those_without_the_permission(tokens):
    state = _state(ExportState, tokens["Office employee"])
    ExportState.load.fn(state)
    assert 'You need the "Export payments and messages" permission' in state.refusal and not state.loaded
    state.start, state.end = "2026-01-01", "2026-12-31"
    events = _events(ExportState.download.fn(state, "payments"))
    assert "Export payments and messages" in str(events[-1])
    assert not any("data:text/csv" in str(event) for event in events)
    assert _audits("export.payments") == 0


def test_an_accountant_gets_the_file_and_the_export_is_audited(tokens):
    state = _state(ExportState, tokens["Accountant"])
    ExportState.load.fn(state)
    assert state.loaded and state.start.endswith("-01") and state.zone == "Central Time (America/Chicago)"
    events = [str(event) for event in _events(ExportState.download.fn(state, "messages")) if event is not None]
    encoded = next(event for event in events if "data:text/csv" in event).split("base64,")[1].split('"')[0]
    assert base64.b64decode(encoded).decode("utf-8-sig").startswith("Invoice,Customer,Recipient,Channel,")
    assert _audits("export.messages") == 1 and state.busy == ""


def test_a_bad_range_or_kind_exports_nothing(tokens):
    state = _state(ExportState, tokens["Accountant"])
    state.start, state.end = "2026-12-31", "2026-01-01"
    assert _events(ExportState.download.fn(state, "payments")) == []
    assert state.errors == {"end": "To: the last day comes before the first."}
    assert "no such export" in str(_events(ExportState.download.fn(state, "employees")))
    assert _audits("export.payments") == 0


class _Upload:
    """What rx.upload hands the handler: a name and the bytes."""

    def __init__(self, name: str, data: bytes):
        self.name, self._data = name, data

    async def read(self, size: int = -1) -> bytes:
        return self._data if size < 0 else self._data[:size]


def test_import_is_refused_to_those_who_may_not_change_customers_and_invoices(tokens):
    state = _state(ImportState, tokens["Technician"])
    ImportState.load.fn(state)
    assert 'You need the "Manage customers" permission' in state.refusal
    template = imports.template_csv(date.today()).encode()
    assert "Manage customers" in str(_run(ImportState.upload.fn(state, [_Upload("t.csv", template)])))
    assert state.stage == "choose" and state.rows_total == 0
    assert "Manage customers" in str(ImportState.download_template.fn(state))


def test_an_upload_is_read_and_sent_to_be_checked_but_nothing_is_written(tokens):
    state = _state(ImportState, tokens["Office employee"])
    ImportState.load.fn(state)
    assert state.loaded and state.refusal == ""
    template = imports.template_csv(date.today()).encode()
    follow_up = _run(ImportState.upload.fn(state, [_Upload("template.csv", template)]))
    assert "check" in str(follow_up)
    assert (state.stage, state.file_name, state.rows_total, state.unusable) == ("checking", "template.csv", 4, "")
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(Customer)).one() == 0


def test_an_unusable_upload_says_why(tokens):
    state = _state(ImportState, tokens["Administrator"])
    _run(ImportState.upload.fn(state, [_Upload("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x81\x8d\x8f\x90\x9d")]))
    assert state.stage == "choose" and state.unusable.startswith("This file is not text.")
    big = b"customer_external_id\n" + b"C-1\n" * (2 * 1024 * 1024)
    _run(ImportState.upload.fn(state, [_Upload("huge.csv", big)]))
    assert state.unusable.startswith("This file is over 5 MB.")
