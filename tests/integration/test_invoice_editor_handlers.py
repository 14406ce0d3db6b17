"""The invoice editor's and the invoice page's handlers, called directly as any browser could call
them over the websocket: ids from the client reach nothing that is not the caller's."""

import pytest
import reflex as rx
from sqlmodel import select

from smslinks.core import auth
from smslinks.db import session_scope, upgrade_to_head
from smslinks.models import Invoice
from smslinks.state.invoice_editor import InvoiceActionsState, InvoiceEditorState
from tests import factories


def _state(state_class, token: str):
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_class.get_full_name().split(".")[1:])
    factories.sign_in_state(state, token)
    return state


@pytest.fixture
def two_shops(app_env):
    upgrade_to_head(app_env)
    with session_scope() as session:
        ours = factories.business(session)
        theirs = factories.business(session, name="Rival Air")
        manager = factories.employee(session, ours, "Manager")
        terry = factories.employee(session, ours, "Technician")
        rival = factories.customer(session, theirs, "Rita Rival")
        rival_invoice = factories.invoice(session, factories.location(session, rival))
        mine = factories.customer(session, ours, "Maria Garcia")
        location = factories.location(session, mine)
        other_job = factories.job(session, location, None)
        emails = (manager.email, terry.email)
        ids = dict(rival=rival.id, rival_invoice=rival_invoice.id, mine=mine.id, other_job=other_job.id)
    with session_scope() as session:
        tokens = [auth.sign_in(session, e, factories.PASSWORD, "test").token for e in emails]
    return tokens, ids


def test_another_businesss_invoice_and_customer_are_out_of_reach(two_shops):
    (manager_token, _terry_token), ids = two_shops
    actions = _state(InvoiceActionsState, manager_token)
    actions.prepare(ids["rival_invoice"])
    assert (actions.can_edit, actions.can_finalize, actions.can_void, actions.actions_invoice_id) == (
        False,
        False,
        False,
        0,
    )
    actions.actions_invoice_id = ids["rival_invoice"]  # even if the id were forced in
    actions.void({"reason": "mine now"})
    actions.finalize()
    with session_scope() as session:
        assert session.get(Invoice, ids["rival_invoice"]).status == "open"

    editor = _state(InvoiceEditorState, manager_token)
    editor.pick_customer(str(ids["rival"]))
    assert editor.customer_id == 0
    editor.pick_customer(str(ids["mine"]))
    assert editor.customer_name == "Maria Garcia"
    editor.customer_id = ids["rival"]  # forced: the save is refused by core, nothing written
    editor.set_line(0, "description", "Visit")
    editor.set_line(0, "unit_price", "80")
    editor.save_draft()
    assert "customer_id" in editor.errors
    with session_scope() as session:
        assert [i.id for i in session.exec(select(Invoice)).all()] == [ids["rival_invoice"]]


def test_a_technician_cannot_invoice_a_job_that_is_not_theirs(two_shops):
    (_manager_token, terry_token), ids = two_shops
    editor = _state(InvoiceEditorState, terry_token)
    editor.pick_customer(str(ids["mine"]))  # technicians pick no customers
    assert editor.customer_id == 0
    editor.customer_id, editor.job_id = ids["mine"], str(ids["other_job"])
    editor.save_and_finalize()
    with session_scope() as session:
        assert len(session.exec(select(Invoice)).all()) == 1
