"""What the webhooks find when they arrive, written with set-based SQL.

The database is bench/bigdata's: the demo business plus bulk customers (one mobile each) and
invoices. Each run takes a fresh slice of open invoices, grouped by customer so that a customer
with two open invoices got two texts, and leaves them as a bulk send followed by customers paying
would: a pay link per invoice, texted (the dispatcher handed the text to Twilio, so it is "sent"
with Twilio's sid, or for some still "sending" because Twilio's callback beat the dispatcher's
commit of the sid), and a PaymentIntent stored the way core/payments._ensure_intent stores it,
then confirmed at Stripe while our confirm answer never came back (the customer closed the tab):
only the webhooks can settle these invoices.

The intents are made in the database rather than through the sandbox Stripe: the webhook route
never calls Stripe, and creating thousands of intents over HTTP would only slow the setup.
"""

import random
import secrets
from dataclasses import dataclass, field

import psycopg

from smslinks.core import delivery, payments
from smslinks.models import MessageStatus, PaymentMethod

# Every text to a number whose customer_id is a multiple of this fails with Twilio's 21610
# (the customer had replied STOP at the carrier), so texts to one number fail together.
UNSUBSCRIBED_EVERY = 40
STILL_SENDING_SHARE = 0.10
ACH_SHARE = 0.40
DECLINED_FIRST_SHARE = 0.25  # card intents that were declined once before succeeding

UNDELIVERED_CODES = ["30003", "30005", "30006", "30008"]
FAILED_CODES = ["30004", "30007", "30034"]


@dataclass
class Text:
    """One texted pay link and what Twilio will report about it."""

    invoice_id: int
    to: str
    sid: str
    seeded_status: MessageStatus  # SENT, or SENDING (sid not yet recorded)
    outcome: MessageStatus  # DELIVERED, UNDELIVERED or FAILED
    error_code: str | None = None
    link_id: int | None = None
    message_id: int | None = None

    @property
    def statuses(self) -> list[str]:
        """Twilio's callbacks, in the order Twilio sends them: "failed" means it never left Twilio."""
        return [self.outcome.value] if self.outcome == MessageStatus.FAILED else ["sent", self.outcome.value]


@dataclass
class Charge:
    """One invoice's PaymentIntent and what Stripe will report about it."""

    invoice_id: int
    number: str
    amount_cents: int
    method: PaymentMethod
    declined_first: bool
    intent_id: str = field(default_factory=lambda: f"pi_{secrets.token_hex(12)}")


@dataclass
class Batch:
    business_id: int
    sending_number: str
    texts: list[Text]
    charges: list[Charge]

    @property
    def unsubscribed(self) -> set[str]:
        return {t.to for t in self.texts if t.error_code == delivery.UNSUBSCRIBED_CODE}


_SLICE_SQL = """
    SELECT i.id, i.number, i.customer_id, i.total_cents - i.amount_paid_cents, p.e164
    FROM invoice i
    JOIN LATERAL (
        SELECT e164 FROM phone_number
        WHERE customer_id = i.customer_id AND type = 'Mobile' ORDER BY id LIMIT 1
    ) p ON true
    WHERE i.business_id = %(business_id)s AND i.status = 'open' AND i.total_cents > i.amount_paid_cents
      AND NOT EXISTS (SELECT 1 FROM stripe_payment_intent s WHERE s.invoice_id = i.id)
      AND NOT EXISTS (SELECT 1 FROM payment x WHERE x.invoice_id = i.id)
      AND NOT EXISTS (SELECT 1 FROM sms_opt_out o WHERE o.business_id = i.business_id AND o.e164 = p.e164)
    ORDER BY i.customer_id, i.id
    LIMIT %(count)s
"""

_LINKS_SQL = """
    INSERT INTO payment_link (invoice_id, token_hash, created_at, expires_at)
    SELECT invoice_id, encode(sha256(gen_random_uuid()::text::bytea), 'hex'), now(), now() + interval '30 days'
    FROM unnest(%(invoice_ids)s::int[]) AS invoice_id
    RETURNING id, invoice_id
"""

_MESSAGES_SQL = """
    INSERT INTO outbound_message (business_id, invoice_id, channel, to_address, from_address, payment_link_id,
                                  body, status, send_after, attempts, next_attempt_at, provider_id,
                                  created_at, updated_at)
    SELECT %(business_id)s, m.invoice_id, 'sms', m.to_address, %(from_address)s, m.link_id,
           'Your invoice is ready: pay it here', m.status, now(), 1,
           CASE WHEN m.status = 'sending' THEN now() + interval '2 minutes' END, m.provider_id, now(), now()
    FROM unnest(%(invoice_ids)s::int[], %(to)s::text[], %(link_ids)s::int[], %(statuses)s::text[],
                %(provider_ids)s::text[]) AS m(invoice_id, to_address, link_id, status, provider_id)
    RETURNING id, invoice_id
"""

# The history the outbox and the dispatcher leave: queued, sending, and sent once Twilio took it.
_HISTORY_SQL = """
    INSERT INTO message_status_event (message_id, status, at)
    SELECT m.id, s.status, now()
    FROM outbound_message m
    CROSS JOIN unnest(ARRAY['queued', 'sending', 'sent']) WITH ORDINALITY AS s(status, position)
    WHERE m.id = ANY(%(message_ids)s) AND (s.position <= 2 OR m.status = 'sent')
"""

_INTENTS_SQL = """
    INSERT INTO stripe_payment_intent (invoice_id, stripe_id, idempotency_key, amount_cents, status, method,
                                       active, payment_link_id, language, created_at, updated_at)
    SELECT c.invoice_id, c.stripe_id, 'smslinks-invoice-' || c.invoice_id || '-' || substr(md5(c.stripe_id), 1, 16),
           c.amount_cents, 'requires_confirmation', c.method, true, c.link_id, 'en', now(), now()
    FROM unnest(%(invoice_ids)s::int[], %(intent_ids)s::text[], %(amounts)s::int[], %(methods)s::text[],
                %(link_ids)s::int[]) AS c(invoice_id, stripe_id, amount_cents, method, link_id)
"""


def _outcome(rng: random.Random, customer_id: int) -> tuple[MessageStatus, str | None]:
    if customer_id % UNSUBSCRIBED_EVERY == 0:
        return MessageStatus.FAILED, delivery.UNSUBSCRIBED_CODE
    draw = rng.random()
    if draw < 0.84:
        return MessageStatus.DELIVERED, None
    if draw < 0.92:
        return MessageStatus.UNDELIVERED, rng.choice(UNDELIVERED_CODES)
    return MessageStatus.FAILED, rng.choice(FAILED_CODES)


def _plan(rows, rng: random.Random) -> tuple[list[Text], list[Charge]]:
    texts, charges = [], []
    for invoice_id, number, customer_id, balance, e164 in rows:
        outcome, code = _outcome(rng, customer_id)
        seeded = MessageStatus.SENDING if rng.random() < STILL_SENDING_SHARE else MessageStatus.SENT
        texts.append(Text(invoice_id, e164, f"SM{secrets.token_hex(16)}", seeded, outcome, code))
        method = PaymentMethod.ACH if rng.random() < ACH_SHARE else PaymentMethod.CARD
        declined = method is PaymentMethod.CARD and rng.random() < DECLINED_FIRST_SHARE
        charges.append(Charge(invoice_id, number, balance, method, declined))
    return texts, charges


def prepare_batch(url: str, count: int, rng: random.Random) -> Batch:
    """A fresh slice of `count` open invoices, texted and with confirmed intents; raises if the
    database has run out of them."""
    with psycopg.connect(url) as connection:
        business_id, sending_number = connection.execute(
            "SELECT id, coalesce(default_sending_number, phone) FROM business ORDER BY id LIMIT 1"
        ).fetchone()
        rows = connection.execute(_SLICE_SQL, {"business_id": business_id, "count": count}).fetchall()
        if len(rows) < count:
            raise RuntimeError(f"only {len(rows)} unused open invoices left; seed more (see --invoices)")
        texts, charges = _plan(rows, rng)
        invoice_ids = [t.invoice_id for t in texts]
        links = dict(
            (invoice, link) for link, invoice in connection.execute(_LINKS_SQL, {"invoice_ids": invoice_ids}).fetchall()
        )
        for text in texts:
            text.link_id = links[text.invoice_id]
        messages = connection.execute(
            _MESSAGES_SQL,
            {
                "business_id": business_id,
                "from_address": sending_number,
                "invoice_ids": invoice_ids,
                "to": [t.to for t in texts],
                "link_ids": [t.link_id for t in texts],
                "statuses": [t.seeded_status.value for t in texts],
                "provider_ids": [t.sid if t.seeded_status == MessageStatus.SENT else None for t in texts],
            },
        ).fetchall()
        by_invoice = dict((invoice, message) for message, invoice in messages)
        for text in texts:
            text.message_id = by_invoice[text.invoice_id]
        connection.execute(_HISTORY_SQL, {"message_ids": [t.message_id for t in texts]})
        connection.execute(
            _INTENTS_SQL,
            {
                "invoice_ids": [c.invoice_id for c in charges],
                "intent_ids": [c.intent_id for c in charges],
                "amounts": [c.amount_cents for c in charges],
                "methods": [c.method.value for c in charges],
                "link_ids": [links[c.invoice_id] for c in charges],
            },
        )
        connection.execute("ANALYZE")
    return Batch(business_id, sending_number, texts, charges)


def intent_metadata(batch: Batch, charge: Charge) -> dict[str, str]:
    """The metadata core/payments puts on every intent it creates."""
    return {
        payments.INVOICE_KEY: str(charge.invoice_id),
        payments.BUSINESS_KEY: str(batch.business_id),
        "invoice": charge.number,
    }
