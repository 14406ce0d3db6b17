"""After a run: the database says what the providers said, once. Each check returns the problems
it found (empty when all is well), described so a failure can be followed up."""

from collections import Counter

import psycopg

from bench.webhooks.seeding import Batch
from bench.webhooks.traffic import Delivery, Results
from smslinks.core import delivery, payments, receipts
from smslinks.models import MessageStatus, PaymentStatus


def _first(problems: list[str], limit: int = 5) -> list[str]:
    return problems[:limit] + ([f"... and {len(problems) - limit} more"] if len(problems) > limit else [])


def responses(results: Results, expected_status: int) -> list[str]:
    wrong = {status: count for status, count in results.statuses.items() if status != expected_status}
    if not wrong:
        return []
    return [f"responses other than {expected_status}: {wrong}"] + _first(results.errors)


def twilio(url: str, batch: Batch) -> list[str]:
    """Final status is the newest real status; the sid is recorded; history and audit hold each change
    once; each number Twilio reported as unsubscribed opted out once."""
    ids = [t.message_id for t in batch.texts]
    problems = []
    with psycopg.connect(url) as connection:
        rows = dict(
            (message_id, (status, provider_id, error_code))
            for message_id, status, provider_id, error_code in connection.execute(
                "SELECT id, status, provider_id, error_code FROM outbound_message WHERE id = ANY(%s)", [ids]
            )
        )
        history = Counter(
            (message_id, status)
            for message_id, status in connection.execute(
                "SELECT message_id, status FROM message_status_event WHERE message_id = ANY(%s)", [ids]
            )
        )
        audits: dict[int, Counter] = {message_id: Counter() for message_id in ids}
        for subject, action in connection.execute(
            "SELECT subject_id, action FROM audit_event WHERE subject_type = 'outbound_message' "
            "AND subject_id = ANY(%s)",
            [[str(i) for i in ids]],
        ):
            audits[int(subject)][action] += 1
        opt_outs = Counter(
            e164
            for (e164,) in connection.execute(
                "SELECT e164 FROM sms_opt_out WHERE business_id = %s AND e164 = ANY(%s) AND source = %s",
                [batch.business_id, list(batch.unsubscribed), f"Twilio error {delivery.UNSUBSCRIBED_CODE}"],
            )
        )
        opt_out_audits = Counter(
            subject
            for (subject,) in connection.execute(
                "SELECT subject_id FROM audit_event WHERE action = 'sms.opted_out' AND subject_id = ANY(%s)",
                [list(batch.unsubscribed)],
            )
        )
    for text in batch.texts:
        status, provider_id, error_code = rows[text.message_id]
        expected = (text.outcome.value, text.sid, text.error_code)
        if (status, provider_id, error_code) != expected:
            problems.append(f"message {text.message_id}: {(status, provider_id, error_code)} != {expected}")
        for seen in MessageStatus:
            if history[(text.message_id, seen.value)] > 1:
                problems.append(f"message {text.message_id}: {history[(text.message_id, seen.value)]} '{seen}' rows")
        if history[(text.message_id, text.outcome.value)] != 1:
            problems.append(f"message {text.message_id}: no '{text.outcome}' history row")
        logged = audits[text.message_id]
        if any(count > 1 for count in logged.values()):
            problems.append(f"message {text.message_id}: audit rows {dict(logged)}")
        changes = (text.seeded_status == MessageStatus.SENDING and history[(text.message_id, "sent")]) + 1
        if sum(logged.values()) != changes:
            problems.append(f"message {text.message_id}: {sum(logged.values())} audit rows for {changes} changes")
    for number in batch.unsubscribed:
        if opt_outs[number] != 1 or opt_out_audits[number] != 1:
            problems.append(f"{number}: {opt_outs[number]} opt-out rows, {opt_out_audits[number]} audit rows")
    return _first(problems)


def stripe(url: str, batch: Batch, events: list[Delivery], results: Results) -> list[str]:
    """Every invoice paid once by its own intent's amount and method; each event recorded and applied
    once; one receipt (or one note that none could be sent) per payment; intents retired, and a
    late event does not make a succeeded intent look unpaid again."""
    by_invoice = {c.invoice_id: c for c in batch.charges}
    event_ids = {e.event_id for e in events}
    problems = []
    with psycopg.connect(url) as connection:
        invoices = connection.execute(
            "SELECT id, status, total_cents, amount_paid_cents FROM invoice WHERE id = ANY(%s)", [list(by_invoice)]
        ).fetchall()
        paid = Counter()
        for payment_id, invoice_id, amount, method, status, intent_id in connection.execute(
            "SELECT id, invoice_id, amount_cents, method, status, stripe_payment_intent_id FROM payment "
            "WHERE invoice_id = ANY(%s)",
            [list(by_invoice)],
        ):
            charge = by_invoice[invoice_id]
            paid[invoice_id] += 1
            if (amount, method, status, intent_id) != (
                charge.amount_cents,
                charge.method.value,
                PaymentStatus.SUCCEEDED.value,
                charge.intent_id,
            ):
                problems.append(f"payment {payment_id}: {(amount, method, status, intent_id)}")
            receipt_rows = connection.execute(
                "SELECT (SELECT count(*) FROM outbound_message WHERE idempotency_key = %s)"
                " + (SELECT count(*) FROM audit_event WHERE action = 'payment.receipt_not_sent' AND subject_id = %s)",
                [f"{receipts.RECEIPT_KEY_PREFIX}{payment_id}", str(payment_id)],
            ).fetchone()[0]
            if receipt_rows != 1:
                problems.append(f"payment {payment_id}: {receipt_rows} receipts")
        recorded = connection.execute(
            "SELECT count(*) FROM processed_webhook_event WHERE provider = %s AND event_id = ANY(%s)",
            [payments.STRIPE, list(event_ids)],
        ).fetchone()[0]
        audits = Counter(
            action
            for (action,) in connection.execute(
                "SELECT action FROM audit_event WHERE (subject_type = 'invoice' AND subject_id = ANY(%s))"
                " OR (subject_type = 'payment' AND subject_id IN"
                "     (SELECT id::text FROM payment WHERE invoice_id = ANY(%s)))",
                [[str(i) for i in by_invoice], list(by_invoice)],
            )
        )
        intents = Counter(
            connection.execute(
                "SELECT active, status FROM stripe_payment_intent WHERE invoice_id = ANY(%s)", [list(by_invoice)]
            ).fetchall()
        )
    for invoice_id, status, total, amount_paid in invoices:
        if (status, amount_paid) != ("paid", total) or paid[invoice_id] != 1:
            problems.append(
                f"invoice {invoice_id}: {status}, {amount_paid} of {total} paid, {paid[invoice_id]} payments"
            )
    if recorded != len(event_ids):
        problems.append(f"{recorded} processed-event rows for {len(event_ids)} distinct events")
    twice = [event for event, count in results.applied_events.items() if count > 1]
    if len(results.applied_events) != len(event_ids) or twice:
        problems.append(
            f"{len(results.applied_events)} of {len(event_ids)} events reported applied; twice: {twice[:3]}"
        )
    for action in ("invoice.paid", "payment.succeeded"):
        if audits[action] != len(by_invoice):
            problems.append(f"{audits[action]} '{action}' audit rows for {len(by_invoice)} invoices")
    if intents != {(False, "succeeded"): len(by_invoice)}:
        problems.append(f"intents (active, status): {dict(intents)}; all should be retired and succeeded")
    return _first(problems)
