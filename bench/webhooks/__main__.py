"""Webhook ingestion: Twilio status callbacks and Stripe events per second, nothing lost or applied twice.

    .venv/bin/python -m bench.webhooks [--texts 500] [--runs 3] [--concurrency 32] [--workers 2]

A throwaway PostgreSQL database gets the demo business and bulk customers and invoices
(bench/bigdata). The app's webhook routes (smslinks.api.build_api, the same Starlette routes the app
serves) run in a uvicorn server process with --workers processes. Each run then:

1. texts a fresh slice of open invoices (bench/webhooks/seeding.py) and posts Twilio's status
   callbacks for them, "sent" then "delivered" (or "undelivered", or "failed" with an error code;
   texts to numbers the carrier reports unsubscribed fail with 21610), plus 10% exact duplicates,
   shuffled, with --concurrency requests in flight from an httpx async client;
2. posts Stripe's events for the same invoices' PaymentIntents (bank debits: processing then
   succeeded; cards: succeeded, a quarter after a decline), plus 10% repeated event ids, shuffled;
3. checks the database (bench/webhooks/checks.py).

Figures are requests per second (duplicates included: the server has to answer them too), the
median of the runs. The verdict fails on any 5xx, any lost or twice-applied event.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

from bench import bigdata
from bench.webhooks import checks, seeding, traffic
from smslinks.config import get_settings
from smslinks.sandbox.runner import child, free_port, wait_for_http
from tests.databases import fresh_database

# bigdata makes 2 open invoices in 7; one customer per 1.25 open invoices, so some get two texts.
INVOICES_PER_OPEN = 3.5 * 1.1
CUSTOMERS_PER_OPEN = 0.8


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=500, help="texted invoices per run (also paid by Stripe)")
    parser.add_argument("--runs", type=int, default=3, choices=range(1, 100), metavar="RUNS")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--workers", type=int, default=2, help="server processes (uvicorn --workers)")
    parser.add_argument("--seed", type=int, default=6)
    return parser.parse_args()


def _server_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "smslinks.api:build_api",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def _run(number: int, url: str, poster: traffic.Poster, args: argparse.Namespace, rng: random.Random):
    """One run: Twilio's callbacks, then Stripe's events, for a fresh batch; (rates, problems)."""
    batch = seeding.prepare_batch(url, args.texts, rng)
    twilio_calls = traffic.twilio_callbacks(batch, get_settings().twilio_credentials[0])
    posted_calls = traffic.with_duplicates(twilio_calls, rng)
    twilio = poster.post_all(posted_calls)
    problems = [f"Twilio: {p}" for p in checks.responses(twilio, 204) + checks.twilio(url, batch)]

    events = traffic.stripe_events(batch)
    posted_events = traffic.with_duplicates(events, rng)
    stripe = poster.post_all(posted_events)
    problems += [f"Stripe: {p}" for p in checks.responses(stripe, 200) + checks.stripe(url, batch, events, stripe)]

    rates = len(posted_calls) / twilio.seconds, len(posted_events) / stripe.seconds
    dollars = sum(c.amount_cents for c in batch.charges) / 100
    print(
        f"run {number}: Twilio {len(posted_calls)} callbacks ({len(twilio_calls)} distinct) in {twilio.seconds:.1f}s"
        f" = {rates[0]:.0f}/s; Stripe {len(posted_events)} events ({len(events)} distinct) in {stripe.seconds:.1f}s"
        f" = {rates[1]:.0f}/s"
    )
    print(
        f"  checked: {len(batch.texts)} texts' final status, sid, history and audit rows; "
        f"{len(batch.unsubscribed)} numbers opted out once (21610); {len(batch.charges)} invoices paid once "
        f"(${dollars:,.2f}) by the right amount and method; {len(events)} dedupe rows; one receipt per payment"
        + ("; problems below" if problems else "")
    )
    return rates, [f"run {number} {problem}" for problem in problems]


def main() -> int:
    args = _arguments()
    rng = random.Random(args.seed)
    open_needed = args.texts * args.runs
    twilio_rates, stripe_rates, failures = [], [], []
    with fresh_database("smslinks_bench_webhooks") as url:
        seconds = bigdata.seed(
            url, invoices=round(open_needed * INVOICES_PER_OPEN), customers=round(open_needed * CUSTOMERS_PER_OPEN)
        )
        print(
            f"database seeded in {seconds:.1f}s; {args.runs} runs of {args.texts} texted invoices, "
            f"{args.concurrency} requests in flight, {args.workers} server workers"
        )
        port = free_port()
        env = {"DATABASE_URL": url, "SMSLINKS_PUBLIC_URL": f"http://127.0.0.1:{port}"}
        os.environ.update(env)
        get_settings.cache_clear()
        log = Path(tempfile.gettempdir()) / f"smslinks-bench-webhooks-{port}.log"
        with child(_server_command(port, args.workers), env=env, log=log) as server:
            wait_for_http(f"http://127.0.0.1:{port}/health", server, timeout=60)
            poster = traffic.Poster(get_settings(), f"http://127.0.0.1:{port}", args.concurrency)
            for number in range(1, args.runs + 1):
                (twilio_rate, stripe_rate), problems = _run(number, url, poster, args, rng)
                twilio_rates.append(twilio_rate)
                stripe_rates.append(stripe_rate)
                failures += problems
        if failures:
            print(f"server log: {log}")
    for label, rates in (("Twilio status callbacks", twilio_rates), ("Stripe events", stripe_rates)):
        print(
            f"{label}: {statistics.median(rates):.0f}/s median of {len(rates)} runs "
            f"({', '.join(f'{rate:.0f}' for rate in rates)}), duplicates included"
        )
    for failure in failures:
        print(f"  FAIL {failure}")
    print(
        "verdict: "
        + ("FAIL: see above" if failures else "PASS: every status and payment applied once, newest status wins, no 5xx")
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
