"""REST API upserts: customers and invoices PUT by external id, rows per second and p95 per request.

    .venv/bin/python -m bench.api [--invoices 2000] [--clients 16] [--workers 2] [--no-repeat]   (--invoices 100000 works)

A throwaway PostgreSQL database gets the demo business and an API key. The app's HTTP routes
(smslinks.api.build_api: the same Starlette app, with /api/v1 mounted, that the Reflex app serves)
run in a uvicorn server with --workers processes. Then, with --clients requests in flight:

1. PUT /api/v1/customers/{id}: one customer (a Mobile number, an email, a service location) per five
   invoices;
2. PUT /api/v1/invoices/{id}: every invoice, open (finalized: each takes the business's next number),
   two lines and tax;
3. the same invoices PUT again, unchanged (what a nightly sync re-sends): nothing is written.

It checks every answer (201, then 200 unchanged), that the database holds each invoice once with its
own number, and that the repeat wrote no audit row. The rate limit is raised for the run.
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
import psycopg

from smslinks import demo
from smslinks.config import get_settings
from smslinks.db import make_engine, upgrade_to_head
from smslinks.sandbox.runner import child, free_port, wait_for_http
from tests.databases import fresh_database

INVOICES_PER_CUSTOMER = 5


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=2000, help="invoices upserted (customers: a fifth of it)")
    parser.add_argument("--clients", type=int, default=16, help="requests in flight")
    parser.add_argument("--workers", type=int, default=2, help="server processes (uvicorn --workers)")
    parser.add_argument("--no-repeat", action="store_true", help="skip the unchanged repeat (shortens 100,000 runs)")
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


def _api_key(url: str) -> str:
    from sqlmodel import Session, select

    from smslinks.core import api_keys
    from smslinks.models import Business

    upgrade_to_head(url)
    engine = make_engine(url)
    with Session(engine) as session:
        demo.load(session)
        business = session.exec(select(Business)).one()
        key = api_keys.create_for_support(session, business, "Bench sync").key
        session.commit()
    engine.dispose()
    return key


def _customer(n: int) -> tuple[str, dict]:
    return f"BENCH-C-{n}", {
        "name": f"Bench Customer {n}",
        "phones": [{"number": f"+1512{3000000 + n:07d}", "type": "mobile", "label": "cell"}],
        "emails": [f"customer{n}@example.com"],
        "locations": [
            {
                "external_id": f"BENCH-L-{n}",
                "address_line1": f"{100 + n % 9000} Main St",
                "city": "Austin",
                "state": "TX",
                "postal_code": "78704",
            }
        ],
    }


def _invoice(n: int, due_on: str) -> tuple[str, dict]:
    return f"BENCH-INV-{n}", {
        "customer_external_id": f"BENCH-C-{n // INVOICES_PER_CUSTOMER}",
        "kind": "job",
        "status": "open",
        "due_on": due_on,
        "tax_cents": 825,
        "lines": [
            {"description": "Service call", "quantity": 1, "unit_price_cents": 8900},
            {"description": "Parts", "quantity": "2.5", "unit_price_cents": 1000 + n % 5000},
        ],
    }


@dataclass
class Pass:
    label: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        ordered = sorted(self.latencies)
        p50 = ordered[len(ordered) // 2] * 1000
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000
        rate = len(ordered) / self.seconds
        codes = ", ".join(f"{count} x {status}" for status, count in sorted(self.statuses.items()))
        return (
            f"{self.label}: {len(ordered)} in {self.seconds:.1f}s = {rate:.0f} rows/s; "
            f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {ordered[-1] * 1000:.0f} ms ({codes})"
        )


async def _put_all(
    base: str, key: str, label: str, bodies: list[tuple[str, dict]], clients: int, expected: int
) -> Pass:
    """PUT every body with `clients` requests in flight; each answer must be `expected`."""
    result = Pass(label)
    queue: asyncio.Queue = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120, limits=limits
    ) as client:

        async def worker() -> None:
            while not queue.empty():
                path, body = queue.get_nowait()
                started = time.perf_counter()
                response = await client.put(path, json=body)
                result.latencies.append(time.perf_counter() - started)
                result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
                if response.status_code != expected and len(result.failures) < 5:
                    result.failures.append(f"{label} {path}: {response.status_code} {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        result.seconds = time.perf_counter() - started
    return result


def _check_database(url: str, invoices: int, audits_before_repeat: int) -> list[str]:
    problems = []
    with psycopg.connect(url) as connection:
        rows, numbers = connection.execute(
            "SELECT count(*), count(DISTINCT number) FROM invoice WHERE external_id LIKE 'BENCH-INV-%%' "
            "AND status = 'open'"
        ).fetchone()
        audits = connection.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    if rows != invoices:
        problems.append(f"{rows} open bench invoices in the database, {invoices} sent")
    if numbers != rows:
        problems.append(f"{rows - numbers} invoice numbers given twice")
    if audits != audits_before_repeat:
        problems.append(f"the unchanged repeat wrote {audits - audits_before_repeat} audit rows")
    return problems


def _audit_rows(url: str) -> int:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT count(*) FROM audit_event").fetchone()[0]


def main() -> int:
    args = _arguments()
    customers = max(1, -(-args.invoices // INVOICES_PER_CUSTOMER))
    due_on = (date.today() + timedelta(days=30)).isoformat()
    customer_bodies = [(f"/api/v1/customers/{i}", body) for i, body in map(_customer, range(customers))]
    invoices = (_invoice(n, due_on) for n in range(args.invoices))
    invoice_bodies = [(f"/api/v1/invoices/{i}", body) for i, body in invoices]
    with fresh_database("smslinks_bench_api") as url:
        key = _api_key(url)
        port = free_port()
        env = {
            "DATABASE_URL": url,
            "SMSLINKS_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "SMSLINKS_API_RATE_LIMIT_PER_MINUTE": str(10**9),
        }
        os.environ.update(env)
        get_settings.cache_clear()
        log = Path(tempfile.gettempdir()) / f"smslinks-bench-api-{port}.log"
        print(
            f"{customers} customers and {args.invoices} invoices through /api/v1 on PostgreSQL, "
            f"{args.clients} clients, {args.workers} server workers"
        )
        with child(_server_command(port, args.workers), env=env, log=log) as server:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/health", server, timeout=60)
            passes = [
                asyncio.run(_put_all(base, key, "customers created", customer_bodies, args.clients, 201)),
                asyncio.run(_put_all(base, key, "invoices created and finalized", invoice_bodies, args.clients, 201)),
            ]
            audits = _audit_rows(url)
            if not args.no_repeat:
                passes.append(
                    asyncio.run(
                        _put_all(base, key, "invoices sent again, unchanged", invoice_bodies, args.clients, 200)
                    )
                )
        failures = [failure for one in passes for failure in one.failures]
        failures += _check_database(url, args.invoices, audits)
    for one in passes:
        print(one.line())
    for failure in failures:
        print(f"  FAIL {failure}")
    if failures:
        print(f"server log: {log}")
    passed = "PASS: every row written once with its own number" + (
        "" if args.no_repeat else "; the repeat changed nothing"
    )
    print(f"verdict: {'FAIL: see above' if failures else passed}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
