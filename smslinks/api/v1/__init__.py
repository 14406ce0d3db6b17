"""The REST API for other systems, /api/v1 (FastAPI, mounted under the app's Starlette routes).

Every route authenticates an API key (caller.caller), then calls the same core functions the pages
call, inside one transaction. Handlers are plain `def`: FastAPI runs them in its threadpool, off the
event loop that serves the pages' websockets. OpenAPI: /api/v1/openapi.json, docs: /api/v1/docs.
"""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Body, Depends, FastAPI, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator

from smslinks.api.v1 import problems
from smslinks.api.v1.caller import Caller, caller, once, request_hash
from smslinks.api.v1.problems import documented
from smslinks.api.v1.schemas import (
    EXTERNAL_ID_PATTERN,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    EmailLinkIn,
    InvoiceIn,
    InvoiceOut,
    InvoicePage,
    MessageList,
    PaymentList,
    SendOut,
    TextLinkIn,
    VoidIn,
)
from smslinks.config import get_settings
from smslinks.core import api_reads, api_sending, external_records, invoice_editing
from smslinks.core.errors import DomainError
from smslinks.core.external_records import Conflict, ExternalCustomer, ExternalInvoice
from smslinks.db import session_scope
from smslinks.models import OutboundMessage, saved_id

PathId = Annotated[str, Path(pattern=EXTERNAL_ID_PATTERN, max_length=100, description="your id for the record")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")]


def _iso_time(value):
    """Only ISO 8601 text (pydantic would also take a number as a Unix time)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    raise ValueError("Give a time such as 2026-12-03T09:30:00Z.")


Since = Annotated[
    datetime | None,
    BeforeValidator(lambda value: None if value is None else _iso_time(value)),
    Query(description="only records changed at or after this time (UTC, Z)"),
]
Limit = Annotated[int, Query(ge=1, le=api_reads.MAX_PAGE)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=255, description="a repeat with the same key returns the first answer"),
]


def _customer_record(body: CustomerIn) -> ExternalCustomer:
    return ExternalCustomer(
        name=body.name,
        phones=[(p.number, p.type, p.label) for p in body.phones],
        emails=list(body.emails),
        locations=[(p.external_id, p.address_line1, p.city, p.state, p.postal_code) for p in body.locations],
    )


def _invoice_record(body: InvoiceIn) -> ExternalInvoice:
    return ExternalInvoice(
        customer_external_id=body.customer_external_id,
        location_external_id=body.location_external_id,
        kind=body.kind,
        status=body.status,
        due_on=body.due_on,
        lines=[(line.description, line.quantity, line.unit_price_cents) for line in body.lines],
        tax_cents=body.tax_cents,
    )


def _line_types():
    """The carrier lookup, only when configured (as the office dialog)."""
    if not get_settings().twilio_lookup_enabled:
        return None
    from smslinks.providers import sms_provider

    return sms_provider()


def build_v1() -> FastAPI:
    app = FastAPI(
        title="smslinks API",
        version="1",
        description="Customers and invoices keyed by your ids (external_id), payment links by text or email, "
        "and what happened to them. Money in integer cents (USD); dates YYYY-MM-DD; times UTC with Z. "
        "Authenticate with an API key from Settings > API keys: `Authorization: Bearer <key>`.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    problems.install(app)

    @app.put(
        "/customers/{external_id}",
        response_model=CustomerOut,
        responses={**documented(403, 409, 422), 201: {"model": CustomerOut, "description": "Created"}},
        tags=["customers"],
        summary="Create or update a customer",
    )
    def put_customer(external_id: PathId, body: CustomerIn, who: Caller = Depends(caller)) -> JSONResponse:
        """The customer's whole record: numbers, emails and service locations left out are removed
        (locations added in the office, without an external id, are kept). Sending the same body
        again changes nothing. 201 when created."""
        with session_scope() as session:
            employee = who.employee(session)
            result = external_records.upsert_customer(session, employee, external_id, _customer_record(body))
            out = CustomerOut.model_validate(api_reads.customer(session, employee, external_id))
        return JSONResponse(out.model_dump(mode="json"), status_code=201 if result.created else 200)

    @app.get(
        "/customers/{external_id}",
        response_model=CustomerOut,
        responses=documented(403, 404, 422),
        tags=["customers"],
        summary="A customer",
    )
    def get_customer(external_id: PathId, who: Caller = Depends(caller)) -> CustomerOut:
        with session_scope() as session:
            return CustomerOut.model_validate(api_reads.customer(session, who.employee(session), external_id))

    @app.get(
        "/customers",
        response_model=CustomerPage,
        responses=documented(403, 422),
        tags=["customers"],
        summary="Customers, least recently changed first",
    )
    def list_customers(
        cursor: Cursor = None, updated_since: Since = None, limit: Limit = 50, who: Caller = Depends(caller)
    ) -> CustomerPage:
        with session_scope() as session:
            rows, next_cursor = api_reads.customers(
                session, who.employee(session), cursor=cursor, updated_since=updated_since, limit=limit
            )
            return CustomerPage(data=[CustomerOut.model_validate(row) for row in rows], next_cursor=next_cursor)

    @app.put(
        "/invoices/{external_id}",
        response_model=InvoiceOut,
        responses={**documented(403, 409, 422), 201: {"model": InvoiceOut, "description": "Created"}},
        tags=["invoices"],
        summary="Create or update an invoice",
    )
    def put_invoice(external_id: PathId, body: InvoiceIn, who: Caller = Depends(caller)) -> JSONResponse:
        """status "open" finalizes the invoice (it gets its number); an open invoice cannot go back to
        draft, and a paid or void one cannot change (409). Sending the same body again changes nothing.
        201 when created."""
        with session_scope() as session:
            result = external_records.upsert_invoice(session, who.employee(session), external_id, _invoice_record(body))
        # Read back after the commit: finalizing holds the business's number counter until then.
        with session_scope() as session:
            out = InvoiceOut.model_validate(api_reads.invoice_by_id(session, who.employee(session), result.id))
        return JSONResponse(out.model_dump(mode="json"), status_code=201 if result.created else 200)

    @app.get(
        "/invoices/{external_id}",
        response_model=InvoiceOut,
        responses=documented(403, 404, 422),
        tags=["invoices"],
        summary="An invoice",
    )
    def get_invoice(external_id: PathId, who: Caller = Depends(caller)) -> InvoiceOut:
        with session_scope() as session:
            return InvoiceOut.model_validate(api_reads.invoice(session, who.employee(session), external_id))

    @app.get(
        "/invoices",
        response_model=InvoicePage,
        responses=documented(403, 422),
        tags=["invoices"],
        summary="Invoices, least recently changed first",
    )
    def list_invoices(
        status: Literal["draft", "open", "paid", "void"] | None = None,
        cursor: Cursor = None,
        updated_since: Since = None,
        limit: Limit = 50,
        who: Caller = Depends(caller),
    ) -> InvoicePage:
        with session_scope() as session:
            rows, next_cursor = api_reads.invoices_page(
                session, who.employee(session), status=status, cursor=cursor, updated_since=updated_since, limit=limit
            )
            return InvoicePage(data=[InvoiceOut.model_validate(row) for row in rows], next_cursor=next_cursor)

    @app.post(
        "/invoices/{external_id}/void",
        response_model=InvoiceOut,
        responses=documented(403, 404, 409, 422),
        tags=["invoices"],
        summary="Void an invoice",
    )
    def void_invoice(
        external_id: PathId,
        request: Request,
        body: VoidIn = Body(),
        idempotency_key: IdempotencyKey = None,
        who: Caller = Depends(caller),
    ) -> JSONResponse:
        """Its payment links stop opening it and its waiting texts and emails are canceled. An invoice
        with a payment cannot be voided (409)."""

        def action(session, employee) -> dict:
            invoice = api_reads.invoice_for(session, employee, external_id)
            try:
                invoice_editing.void(session, employee, saved_id(invoice), body.reason)
            except DomainError as error:
                if type(error) is DomainError:  # already void, or a payment on it: the invoice's state
                    raise Conflict(error.message) from None
                raise
            voided = api_reads.invoice_by_id(session, employee, saved_id(invoice))
            return InvoiceOut.model_validate(voided).model_dump(mode="json")

        fingerprint = request_hash("POST", request.url.path, body.model_dump_json())
        return once(who, idempotency_key, fingerprint, action)

    @app.post(
        "/invoices/{external_id}/text-link",
        response_model=SendOut,
        status_code=201,
        responses=documented(403, 404, 409, 422),
        tags=["sending"],
        summary="Text the payment link",
    )
    def text_link(
        external_id: PathId,
        body: TextLinkIn,
        request: Request,
        idempotency_key: IdempotencyKey = None,
        who: Caller = Depends(caller),
    ) -> JSONResponse:
        """The office's "SMS Invoice": the same settings, consent, opt-outs, quiet hours (the text is
        then scheduled) and daily limits, refused in the same words."""

        def action(session, employee) -> dict:
            sent = api_sending.text_link(
                session,
                employee,
                external_id,
                body.to,
                body.pay_by,
                api_sending.send_key(who.api_key_id, idempotency_key),
                _line_types(),
            )
            return _sent(session, sent)

        fingerprint = request_hash("POST", request.url.path, body.model_dump_json())
        return once(who, idempotency_key, fingerprint, action, status_code=201)

    @app.post(
        "/invoices/{external_id}/email-link",
        response_model=SendOut,
        status_code=201,
        responses=documented(403, 404, 409, 422),
        tags=["sending"],
        summary="Email the payment link",
    )
    def email_link(
        external_id: PathId,
        body: EmailLinkIn,
        request: Request,
        idempotency_key: IdempotencyKey = None,
        who: Caller = Depends(caller),
    ) -> JSONResponse:
        """The office's "Email Invoice", with its rules and words."""

        def action(session, employee) -> dict:
            sent = api_sending.email_link(
                session,
                employee,
                external_id,
                body.to,
                body.pay_by,
                api_sending.send_key(who.api_key_id, idempotency_key),
            )
            return _sent(session, sent)

        fingerprint = request_hash("POST", request.url.path, body.model_dump_json())
        return once(who, idempotency_key, fingerprint, action, status_code=201)

    @app.get(
        "/invoices/{external_id}/payments",
        response_model=PaymentList,
        responses=documented(403, 404, 422),
        tags=["invoices"],
        summary="The invoice's payments, newest first",
    )
    def invoice_payments(external_id: PathId, who: Caller = Depends(caller)) -> PaymentList:
        with session_scope() as session:
            return PaymentList.model_validate({"data": api_reads.payments(session, who.employee(session), external_id)})

    @app.get(
        "/invoices/{external_id}/messages",
        response_model=MessageList,
        responses=documented(403, 404, 422),
        tags=["invoices"],
        summary="The invoice's texts and emails, newest first",
    )
    def invoice_messages(external_id: PathId, who: Caller = Depends(caller)) -> MessageList:
        with session_scope() as session:
            return MessageList.model_validate({"data": api_reads.messages(session, who.employee(session), external_id)})

    return app


def _sent(session, sent: api_sending.Sent) -> dict:
    message = session.get(OutboundMessage, sent.result.message_id)
    return SendOut.model_validate(
        {
            "message": api_reads.message_out(session, message),
            "pay_url": sent.pay_url,
            "confirmation": sent.result.confirmation,
        }
    ).model_dump(mode="json")
