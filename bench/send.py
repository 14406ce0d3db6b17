"""Sending on PostgreSQL: the office's send path, the dispatcher's pace, and a bulk send of 10,000 links.

    .venv/bin/python -m bench.send [--invoices 1000000] [--customers 100000] [--runs 200]
                                   [--messages 4000] [--rounds 3] [--dispatchers 2] [--concurrency 16]
                                   [--bulk 10000]

Builds a throwaway database like bench.search (a few minutes at full size), then:
(a) send path: core.sending.send_invoice_text (the function behind the office's Send button:
    every rule, a fresh link, the outbox row) plus its commit, for random open invoices;
    target p95 < 150 ms.
(b) dispatcher: `--dispatchers` real `smslinks worker` processes drain the outbox to a real sandbox
    Twilio server process. Each round commits `--messages` queued texts at once and times until
    the last is sent; median of `--rounds`. Target >= 200 messages/s. The sandbox only records
    here (--hold): ingesting two status callbacks per text is the webhook benchmark's subject, and
    on 2 cores it would be measured against the dispatcher (`--callbacks` measures them together).
(c) bulk: `smslinks invoices send-links --status open --limit N --as office@example.com` as a
    process while the workers send, now with the sandbox posting signed status callbacks (sent,
    then delivered) to the app's webhook routes (a uvicorn process); then checks that every invoice
    it texted has exactly one outbox row and exactly one message at the sandbox Twilio, and that
    all were delivered.
    The service locations are moved to a time zone where it is midday first, so quiet hours do
    not hold the texts back.
"""

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import psycopg
from sqlmodel import Session, select

from bench import bigdata
from bench.search import percentile
from smslinks.config import SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN
from smslinks.core import bulk_send, outbox, sending
from smslinks.db import make_engine
from smslinks.models import Employee
from tests.databases import fresh_database
from tests.factories import zone_where_local_hour_is
from tests.servers import free_port

TARGET_SEND_P95_MS = 150
TARGET_RATE = 200
OFFICE_EMAIL = "office@example.com"
SANDBOX_STEP_SECONDS = 1.0


def _verdict(meets: bool) -> str:
    return "meets" if meets else "MISSES"


# ---------------------------------------------------------------- (a) the send path


def time_send_path(url: str, runs: int, invoices_count: int) -> float:
    """Times send_invoice_text + commit on open job invoices of the upper half (the bulk send
    uses the lower half); prints p50/p95 and returns p95 in ms."""
    with psycopg.connect(url) as connection:
        candidates = connection.execute(
            """SELECT i.id, p.id FROM invoice i JOIN phone_number p ON p.customer_id = i.customer_id
               WHERE i.status = 'open' AND i.kind = 'job' AND i.number::bigint > %s
               ORDER BY random() LIMIT %s""",
            (1_000_000 + invoices_count // 2, runs + 10),
        ).fetchall()
    engine = make_engine(url)
    timings = []
    with Session(engine) as session:
        employee = session.exec(select(Employee).where(Employee.email == OFFICE_EMAIL)).one()
        for run, (invoice_id, phone_id) in enumerate(candidates):
            started = time.perf_counter()
            sending.send_invoice_text(
                session,
                employee,
                invoice_id,
                sending.Recipient(phone_number_id=phone_id),
                "card",
                sending.Via.OFFICE,
                secrets.token_hex(16),
            )
            session.commit()
            elapsed = (time.perf_counter() - started) * 1000
            if run >= 10:  # the first runs warm the cache and the connection
                timings.append(elapsed)
    engine.dispose()
    p95 = percentile(timings, 0.95)
    print(f"  {len(timings)} sends: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms")
    return p95


# ---------------------------------------------------------------- the processes


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path):
    with open(log, "w") as out:
        child = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def wait_until(condition, timeout: float, what: str, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise RuntimeError(f"timed out waiting for {what}")


def wait_for_http(url: str, timeout: float = 60) -> None:
    def answers() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(answers, timeout, url, every=0.2)


class System:
    """The sandbox Twilio server, the app's webhook routes (with callbacks) and the dispatcher
    workers, as processes. Without callbacks the sandbox only records what it is sent."""

    def __init__(self, url: str, dispatchers: int, concurrency: int, logs: Path, *, callbacks: bool):
        self.twilio_port, self.api_port = free_port(), free_port()
        self.twilio_url = f"http://127.0.0.1:{self.twilio_port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "SMSLINKS_PUBLIC_URL": f"http://127.0.0.1:{self.api_port}",
            "SMSLINKS_SANDBOX_TWILIO_PORT": str(self.twilio_port),
            "SMSLINKS_DISPATCHER_CONCURRENCY": str(concurrency),
            "SMSLINKS_DISPATCHER_POLL_SECONDS": "0.1",
            "SMSLINKS_INPROCESS_DISPATCHER": "false",
        }
        self.dispatchers, self.logs, self.callbacks, self.stack = dispatchers, logs, callbacks, ExitStack()

    def __enter__(self):
        python = sys.executable
        self.stack.__enter__()
        pace = ["--step-seconds", str(SANDBOX_STEP_SECONDS)] if self.callbacks else ["--hold"]
        self.stack.enter_context(
            process(
                [python, "-m", "smslinks.sandbox.twilio_server", "--port", str(self.twilio_port), *pace],
                self.env,
                self.logs / "twilio.log",
            )
        )
        if self.callbacks:
            self.stack.enter_context(
                process(
                    [
                        python,
                        "-m",
                        "uvicorn",
                        "smslinks.api:build_api",
                        "--factory",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(self.api_port),
                        "--log-level",
                        "warning",
                    ],
                    self.env,
                    self.logs / "api.log",
                )
            )
            wait_for_http(f"http://127.0.0.1:{self.api_port}/health")
        worker_logs = [
            self.logs / f"worker{n}-{'callbacks' if self.callbacks else 'hold'}.log" for n in range(self.dispatchers)
        ]
        for log in worker_logs:
            self.stack.enter_context(process([python, "-m", "smslinks.cli", "worker"], self.env, log))
        wait_for_http(f"{self.twilio_url}/health")
        wait_until(lambda: all("outbox worker started" in log.read_text() for log in worker_logs), 60, "workers")
        return self

    def __exit__(self, *exc):
        return self.stack.__exit__(*exc)

    def twilio_messages(self) -> list[dict]:
        """Every message the sandbox Twilio holds, through its REST API."""
        found, page = [], f"/2010-04-01/Accounts/{SANDBOX_TWILIO_ACCOUNT_SID}/Messages.json?PageSize=1000"
        with httpx.Client(
            base_url=self.twilio_url, auth=(SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN), timeout=60
        ) as client:
            while page:
                answer = client.get(page).raise_for_status().json()
                found += answer["messages"]
                page = answer["next_page_uri"]
        return found

    def reset_twilio(self) -> None:
        httpx.post(f"{self.twilio_url}/_sandbox/reset").raise_for_status()


def unsent(connection) -> int:
    return connection.execute("SELECT count(*) FROM outbound_message WHERE status IN ('queued', 'sending')").fetchone()[
        0
    ]


# ---------------------------------------------------------------- (b) the dispatcher's pace


def dispatch_rounds(url: str, messages: int, rounds: int) -> float:
    """Commits `messages` queued texts at once, times until the workers have sent them all;
    returns the median messages/s."""
    engine = make_engine(url)
    rates = []
    with psycopg.connect(url, autocommit=True) as connection:
        wait_until(lambda: unsent(connection) == 0, 120, "the outbox to drain before the rounds")
        with Session(engine) as session:
            employee = session.exec(select(Employee).where(Employee.email == OFFICE_EMAIL)).one()
            for round_number in range(rounds):
                for n in range(messages):
                    outbox.enqueue(
                        session,
                        business_id=employee.business_id,
                        channel="sms",
                        to_address=f"+1512{4000000 + round_number * messages + n:07d}",
                        body=f"Lone Star Air: invoice #{n} is ready. Pay here: "
                        f"https://pay.example.com/pay/{secrets.token_urlsafe(22)}",
                        employee=employee,
                    )
                session.flush()
                started = time.perf_counter()
                session.commit()
                wait_until(lambda: unsent(connection) == 0, 600, "the workers to send the round", every=0.02)
                elapsed = time.perf_counter() - started
                rates.append(messages / elapsed)
                print(f"  round {round_number + 1}: {messages} texts in {elapsed:.1f} s = {rates[-1]:.0f} messages/s")
    engine.dispose()
    return statistics.median(rates)


# ---------------------------------------------------------------- (c) the bulk send


def bulk_send_run(url: str, system: System, count: int, logs: Path) -> bool:
    """Runs the CLI, waits for delivery, checks nothing was lost or sent twice; True when clean."""
    with psycopg.connect(url, autocommit=True) as connection:
        zone = zone_where_local_hour_is(13)
        connection.execute("UPDATE location SET time_zone = %s", (zone,))
        wait_until(lambda: unsent(connection) == 0, 300, "the outbox to drain before the bulk send")
    system.reset_twilio()
    engine = make_engine(url)
    with Session(engine) as session:
        employee = session.exec(select(Employee).where(Employee.email == OFFICE_EMAIL)).one()
        selected = bulk_send.select_invoices(session, employee, status="open", limit=count)
    engine.dispose()
    started = time.perf_counter()
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "smslinks.cli",
            "invoices",
            "send-links",
            "--status",
            "open",
            "--limit",
            str(count),
            "--as",
            OFFICE_EMAIL,
            "--skipped-csv",
            str(logs / "skipped.csv"),
        ],
        env={**system.env, "COLUMNS": "160"},
        capture_output=True,
        text=True,
    )
    cli_seconds = time.perf_counter() - started
    (logs / "bulk.out").write_text(cli.stdout + cli.stderr)
    summary = re.search(r"(\d+) invoices: (\d+) texted, (\d+) skipped", cli.stdout)
    if cli.returncode != 0 or summary is None:
        print(f"  the CLI failed (exit {cli.returncode}); see {logs / 'bulk.out'}")
        return False
    total, texted, skipped = map(int, summary.groups())
    print(
        f"  CLI: {total} invoices, {texted} texted, {skipped} skipped in {cli_seconds:.0f} s "
        f"({texted / cli_seconds:.0f} invoices/s)"
    )

    with psycopg.connect(url, autocommit=True) as connection:

        def rows():
            return connection.execute(
                """SELECT i.number, m.status, m.body FROM outbound_message m JOIN invoice i ON i.id = m.invoice_id
                   WHERE i.number = ANY(%s)""",
                (selected,),
            ).fetchall()

        wait_until(lambda: all(status == "delivered" for _, status, _ in rows()), 120, "delivery", every=0.5)
        delivered_after = time.perf_counter() - started
        found = rows()
    at_twilio = Counter(m["body"] for m in system.twilio_messages() if m["direction"] == "outbound-api")
    per_invoice = Counter(number for number, _, _ in found)
    checks = {
        "one outbox row per texted invoice": len(per_invoice) == texted and set(per_invoice.values()) <= {1},
        "one message at Twilio per outbox row": all(at_twilio[body] == 1 for _, _, body in found)
        and sum(at_twilio.values()) == len(found),
        "all delivered": all(status == "delivered" for _, status, _ in found),
        "the counts add up": total == len(selected) == texted + skipped,
    }
    print(
        f"  all {len(found)} delivered {delivered_after:.0f} s after the CLI started "
        f"({len(found) / delivered_after:.0f} messages/s end to end)"
    )
    for name, ok in checks.items():
        print(f"  {'ok ' if ok else 'BAD'} {name}")
    if skipped:
        print(f"  skipped invoices and reasons: {logs / 'skipped.csv'}")
    return all(checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200, help="timed sends in (a)")
    parser.add_argument("--messages", type=int, default=4000, help="texts per dispatcher round in (b)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dispatchers", type=int, default=2, help="`smslinks worker` processes")
    parser.add_argument("--concurrency", type=int, default=16, help="SMSLINKS_DISPATCHER_CONCURRENCY")
    parser.add_argument("--bulk", type=int, default=10_000, help="invoices in the bulk send (c)")
    parser.add_argument(
        "--callbacks",
        action="store_true",
        help="(b) with status callbacks to the app's webhooks as well (all on the same cores)",
    )
    parser.add_argument("--parts", default="abc", help="which parts to run, e.g. b or ac")
    parser.add_argument("--logs", type=Path, help="where the processes' logs go (default: a temporary folder)")
    args = parser.parse_args()
    logs = args.logs or Path(f"/tmp/bench_send_{secrets.token_hex(3)}")
    logs.mkdir(parents=True, exist_ok=True)
    with fresh_database("smslinks_bench_send") as url:
        print(f"Seeding {args.invoices:,} invoices for {args.customers:,} customers...", flush=True)
        print(f"  seeded in {bigdata.seed(url, invoices=args.invoices, customers=args.customers):.0f} s")

        verdicts = []
        if "a" in args.parts:
            print("\n(a) send path: send_invoice_text + commit", flush=True)
            p95 = time_send_path(url, args.runs, args.invoices)
            verdicts.append(
                f"send path p95 {p95:.1f} ms: {_verdict(p95 < TARGET_SEND_P95_MS)} the target of "
                f"p95 < {TARGET_SEND_P95_MS} ms"
            )
        if "b" in args.parts:
            callbacks = " (+ status callbacks to the app's webhooks)" if args.callbacks else ""
            print(
                f"\n(b) dispatcher: {args.dispatchers} `smslinks worker` processes x {args.concurrency} concurrent "
                f"requests -> sandbox Twilio{callbacks}; logs in {logs}",
                flush=True,
            )
            with System(url, args.dispatchers, args.concurrency, logs, callbacks=args.callbacks):
                rate = dispatch_rounds(url, args.messages, args.rounds)
            verdicts.append(
                f"dispatcher {rate:.0f} messages/s (median of {args.rounds} rounds, {args.dispatchers} "
                f"worker process{'es' if args.dispatchers != 1 else ''}): {_verdict(rate >= TARGET_RATE)} the target of >= {TARGET_RATE} messages/s"
            )
        if "c" in args.parts:
            print(f"\n(c) bulk send of {args.bulk:,} links through `smslinks invoices send-links`", flush=True)
            with System(url, args.dispatchers, args.concurrency, logs, callbacks=True) as system:
                clean = bulk_send_run(url, system, args.bulk, logs)
            verdicts.append(f"bulk send of {args.bulk:,}: {_verdict(clean)} the target of nothing lost or duplicated")
    print("\n" + "\n".join(verdicts))


if __name__ == "__main__":
    main()
