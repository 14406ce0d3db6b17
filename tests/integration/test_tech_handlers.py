"""The technician's job page and its send handlers, called directly as a browser could call them
over the websocket: a technician reaches only the jobs assigned to them and those jobs' invoices,
whatever job or invoice id the client sends."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import reflex as rx
from reflex.istate.data import PageData
from reflex_base.constants import RouteArgType
from sqlmodel import select

from smslinks import routes
from smslinks.core import accounts, jobs
from smslinks.db import session_scope
from smslinks.models import Invoice, OutboundMessage, PaymentLink
from smslinks.state.tech import TechJobState, TechSendState
from tests import factories

NOT_YOUR_INVOICE = "That invoice does not exist or is not yours to see."


@dataclass
class Crew:
    terry_token: str
    sam_token: str
    terry_job: int
    terry_invoice: int
    sam_job: int
    sam_invoice: int


def _on_job_page(state, job_id) -> None:
    """As the browser's router would: the page is /tech/jobs/<job_id>."""
    state.rx_router_page = PageData(path=routes.TECH_JOB, params={"job_id": str(job_id)})


@pytest.fixture
def crew(signed_in) -> Crew:
    rx.State.setup_dynamic_args({"job_id": RouteArgType.SINGLE})  # what the app does for the route
    with session_scope() as session:
        business = factories.business(session)
        settings = accounts.payment_settings(session, business.id)
        settings.sms_links_enabled = settings.mobile_sms_enabled = settings.mobile_email_enabled = True
        session.add(settings)
        terry = factories.employee(session, business, "Technician", name="Terry Tech")
        sam = factories.employee(session, business, "Technician", name="Sam Tech")
        made = {}
        for person, name, number in ((terry, "Maria Garcia", "512-555-0104"), (sam, "James Johnson", "512-555-0204")):
            customer = factories.customer(session, business, name)
            location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
            factories.phone(session, number, customer=customer)
            job = factories.job(session, location, person)
            made[person.email] = (job.id, factories.invoice(session, location, job=job).id)
        emails = {"terry": terry.email, "sam": sam.email}
    tokens = signed_in.tokens(emails)
    return Crew(tokens["terry"], tokens["sam"], *made[emails["terry"]], *made[emails["sam"]])


def _send_text(state) -> list:
    """send_text's events: an async generator (the carrier lookup runs off the event loop), run in a
    loop of a thread of its own (Playwright's may hold this thread's after the browser tests)."""

    async def events() -> list:
        return [event async for event in TechSendState.send_text.fn(state)]

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, events()).result()


def _messages() -> list[OutboundMessage]:
    with session_scope() as session:
        return session.exec(select(OutboundMessage)).all()


def test_the_job_page_shows_the_technicians_own_job_and_invoice(crew, signed_in):
    state = signed_in.state(TechJobState, crew.terry_token)
    _on_job_page(state, crew.terry_job)
    events = TechJobState.load.fn(state)
    assert state.refused == ""
    assert state.job["customer"] == "Maria Garcia" and state.job["invoice_id"] == crew.terry_invoice
    assert state.invoice["balance"] == "$250.00" and len(state.lines) == 1
    assert state._live_invoice_id == crew.terry_invoice
    assert "watch" in str(events)  # the page keeps itself current


@pytest.mark.parametrize("job_id", ["other", "999999", "abc", ""])
def test_another_technicians_job_in_the_url_is_refused_and_shows_nothing(crew, job_id, signed_in):
    state = signed_in.state(TechJobState, crew.terry_token)
    _on_job_page(state, crew.sam_job if job_id == "other" else job_id)
    TechJobState.load.fn(state)
    assert state.refused == jobs.NOT_YOURS
    assert state.job == {} and state.invoice == {} and state.lines == [] and state.timeline == []
    assert state._live_invoice_id == 0


def test_a_forged_invoice_id_in_prepare_is_refused(crew, signed_in):
    state = signed_in.state(TechSendState, crew.terry_token)
    answer = TechSendState.prepare.fn(state, crew.sam_invoice)
    assert NOT_YOUR_INVOICE in str(answer)
    assert state._invoice_id == 0 and not state.text_offered and state.invoice_number == ""
    assert NOT_YOUR_INVOICE in str(TechSendState.open_text.fn(state))
    assert not state.text_open and state.recipients == []


def test_send_handlers_refuse_a_forged_invoice_and_write_nothing(crew, signed_in):
    state = signed_in.state(TechSendState, crew.terry_token)
    TechSendState.prepare.fn(state, crew.terry_invoice)
    TechSendState.open_text.fn(state)
    assert state.text_open and state.recipient != ""
    state._invoice_id = crew.sam_invoice  # as if the client had got another invoice into the dialog
    _send_text(state)
    assert state.text_error == NOT_YOUR_INVOICE
    state.email_open, state.email_to, state.sending = True, "someone@example.net", False
    list(TechSendState.send_email.fn(state))
    assert state.email_error == NOT_YOUR_INVOICE
    assert _messages() == []
    with session_scope() as session:
        assert session.exec(select(PaymentLink)).all() == []


def test_another_technician_cannot_text_this_technicians_invoice(crew, signed_in):
    state = signed_in.state(TechSendState, crew.sam_token)
    TechSendState.prepare.fn(state, crew.terry_invoice)
    state._invoice_id, state.text_open, state.recipient = crew.terry_invoice, True, "new"
    state.new_number = "(512) 555-0999"
    _send_text(state)
    assert state.text_error == NOT_YOUR_INVOICE
    assert _messages() == []


def test_a_technician_texts_their_own_invoice_through_mobile(crew, signed_in):
    state = signed_in.state(TechSendState, crew.terry_token)
    TechSendState.prepare.fn(state, crew.terry_invoice)
    assert state.text_offered and state.text_blocker == ""
    TechSendState.open_text.fn(state)
    events = _send_text(state)
    assert state.text_error == "" and not state.text_open
    assert "Text queued to (512) 555-0104" in str(events)  # the toast
    assert "refresh" in str(events[-1])  # the job page reloads its timeline
    [message] = _messages()
    assert (message.invoice_id, message.to_address) == (crew.terry_invoice, "+15125550104")


def test_a_signed_out_technician_is_sent_to_sign_in(crew, signed_in):
    state = signed_in.state(TechJobState, "not-a-session")
    _on_job_page(state, crew.terry_job)
    answer = TechJobState.load.fn(state)
    assert "signin" in str(answer)
    assert state.job == {} and state.invoice == {}
    with session_scope() as session:
        assert session.get(Invoice, crew.terry_invoice).status == "open"
