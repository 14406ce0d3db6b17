"""Outbound webhooks: deliveries per second from the workers to a local receiver, nothing lost or duplicated.

    .venv/bin/python -m bench.outbound_webhooks [--deliveries 3000] [--rounds 3] [--workers 2]
                                                [--concurrency 16]

A throwaway PostgreSQL database gets a business whose administrator registered one endpoint for
every event type. A receiver (tests/webhook_receiver.py, uvicorn, its own process) verifies every
request with standardwebhooks' Webhook.verify and counts each webhook-id. `--workers` real
`smslinks worker` processes deliver (SMSLINKS_WEBHOOK_CONCURRENCY=`--concurrency` requests in flight
each). Each round commits `--deliveries` events at once (core.webhooks.record_event, one delivery
each) and times until the last is delivered; the figure is the median round. Target >= 200
deliveries/s on 2 cores. Then the check: every webhook-id arrived exactly once and verified, and
every delivery row is delivered after one attempt.
"""

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from sqlmodel import Session, func, select

from smslinks.core import webhooks
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import WebhookDelivery
from smslinks.sandbox.runner import child, free_port, wait_for_http
from tests import factories
from tests.databases import fresh_database

TARGET_RATE = 200


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=3000, help="events (one delivery each) per round")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 100), metavar="ROUNDS")
    parser.add_argument("--workers", type=int, default=2, help="`smslinks worker` processes")
    parser.add_argument("--concurrency", type=int, default=16, help="SMSLINKS_WEBHOOK_CONCURRENCY")
    return parser.parse_args()


def _endpoint(engine, url: str) -> tuple[int, str]:
    with Session(engine, expire_on_commit=False) as session:
        business = factories.business(session, name="Bench Heating & Air")
        admin = factories.employee(session, business, "Administrator")
        _endpoint_id, secret = webhooks.add_endpoint(session, admin, url, list(webhooks.EVENT_TYPES))
        session.commit()
        return business.id, secret


def _record(engine, business_id: int, count: int, offset: int) -> None:
    with Session(engine) as session:
        for n in range(offset, offset + count):
            webhooks.record_event(
                session,
                business_id,
                "payment.succeeded",
                {
                    "payment": {
                        "id": n,
                        "invoice_id": n,
                        "status": "succeeded",
                        "amount_cents": 10_000 + n,
                        "currency": "usd",
                        "method": "card",
                    },
                },
            )
        session.commit()


def _delivered(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).where(WebhookDelivery.status == "delivered")).one()


def _round(engine, business_id: int, count: int, offset: int, timeout: float) -> float:
    """Deliveries per second for one round of `count` events committed at once."""
    before = _delivered(engine)
    _record(engine, business_id, count, offset)
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    while _delivered(engine) < before + count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {_delivered(engine) - before} of {count} delivered after {timeout:.0f} s")
        time.sleep(0.05)
    return count / (time.perf_counter() - started)


def _check(engine, receiver_url: str, expected: int) -> list[str]:
    """What went wrong: lost, duplicated or unverified requests, deliveries not done in one attempt."""
    summary = httpx.get(f"{receiver_url}/_received", timeout=30).json()
    counts = summary["ids"]
    problems = []
    if len(counts) != expected:
        problems.append(f"{expected - len(counts)} events never arrived")
    if twice := [webhook_id for webhook_id, n in counts.items() if n > 1]:
        problems.append(f"{len(twice)} events arrived more than once")
    if summary["verified"] != sum(counts.values()):
        problems.append(f"{sum(counts.values()) - summary['verified']} requests failed Webhook.verify")
    with Session(engine) as session:
        states = dict(session.exec(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)).all())
        most_attempts = session.exec(select(func.max(WebhookDelivery.attempts))).one()
    if states != {"delivered": expected}:
        problems.append(f"delivery rows: {states}")
    if most_attempts != 1:
        problems.append(f"a delivery took {most_attempts} attempts")
    return problems


def main() -> None:
    args = _arguments()
    logs = Path(tempfile.mkdtemp(prefix="bench-outbound-webhooks-"))
    with fresh_database("smslinks_bench_outbound") as url, ExitStack() as stack:
        upgrade_to_head(url)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        port = free_port()
        receiver_url = f"http://127.0.0.1:{port}"
        business_id, secret = _endpoint(engine, f"{receiver_url}/ok")
        stack.enter_context(
            child(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "tests.webhook_receiver:receiver_app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                env={"WEBHOOK_RECEIVER_SECRET": secret},
                log=logs / "receiver.log",
            )
        )
        wait_for_http(f"{receiver_url}/_received", timeout=30)
        worker_env = {
            "DATABASE_URL": url,
            "SMSLINKS_DISPATCHER_POLL_SECONDS": "0.1",
            "SMSLINKS_WEBHOOK_CONCURRENCY": str(args.concurrency),
        }
        for n in range(args.workers):
            stack.enter_context(
                child([sys.executable, "-m", "smslinks.cli", "worker"], env=worker_env, log=logs / f"worker{n}.log")
            )
        print(
            f"{args.workers} workers x {args.concurrency} requests in flight, {args.deliveries} deliveries "
            f"per round, to a receiver that verifies each (logs in {logs})"
        )
        rates = []
        for number in range(args.rounds):
            rate = _round(engine, business_id, args.deliveries, number * args.deliveries, timeout=600)
            rates.append(rate)
            print(f"  round {number + 1}: {rate:.0f} deliveries/s")
        median = statistics.median(rates)
        verdict = "meets" if median >= TARGET_RATE else "MISSES"
        print(f"median {median:.0f} deliveries/s ({verdict} the target of {TARGET_RATE}/s)")
        problems = _check(engine, receiver_url, args.rounds * args.deliveries)
        total = args.rounds * args.deliveries
        print(
            "check: "
            + (
                "; ".join(problems)
                if problems
                else f"all {total} events arrived exactly once, each verified; every delivery done in 1 attempt"
            )
        )
        if problems or median < TARGET_RATE:
            sys.exit(1)


if __name__ == "__main__":
    main()
