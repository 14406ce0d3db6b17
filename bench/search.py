"""Invoice search p50/p95 with 1,000,000 invoices on PostgreSQL (target: p95 < 50 ms).

    .venv/bin/python -m bench.search [--invoices 1000000] [--runs 200]

Builds a throwaway database (about a minute), then times core.invoices.search — the function the
office page calls — for each kind of query a person types.
"""

import argparse
import random
import statistics
import time

from sqlmodel import Session, select

from bench import bigdata
from smslinks.core import invoices
from smslinks.db import make_engine
from smslinks.models import Employee
from tests.databases import fresh_database

TARGET_P95_MS = 50


def _query_makers(rng: random.Random, invoices_count: int, customers: int, session, employee) -> dict:
    """Each kind of search, as a function returning a fresh random example of it."""

    def phone_digits():
        return f"{2000000 + rng.randint(100, customers):07d}"

    def dashed_phone():
        digits = phone_digits()
        return {"query": f"512-{digits[:3]}-{digits[3:]}"}

    def third_page():
        # Pages are keyset cursors: walk to page 3 (untimed) the way "Next" does, then time it.
        query, status, after = "maria", "paid", None
        for _ in range(2):
            after = invoices.search(session, employee, query=query, status=status, after=after).next_cursor
        return {"query": query, "status": status, "after": after}

    return {
        "list, first page": lambda: {},
        "status filter": lambda: {"status": rng.choice(["open", "paid", "draft", "void"])},
        "invoice number": lambda: {"query": str(1000000 + rng.randint(1, invoices_count))},
        "customer name prefix": lambda: {"query": rng.choice(["maria", "james r", "jason hall 1", "lin"])},
        "last name": lambda: {"query": rng.choice(["garcia", "hall", "nguyen", "wil"])},
        "last, first": lambda: {"query": rng.choice(["garcia, maria", "hall jas", "lee, mich"])},
        "phone with dashes": dashed_phone,
        "phone last 4": lambda: {"query": phone_digits()[-4:]},
        "name + status, page 3": third_page,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200, help="timed searches per query kind")
    args = parser.parse_args()
    rng = random.Random(1)
    with fresh_database("smslinks_bench") as url:
        print(f"Seeding {args.invoices:,} invoices for {args.customers:,} customers...", flush=True)
        seconds = bigdata.seed(url, invoices=args.invoices, customers=args.customers)
        print(f"  seeded in {seconds:.0f} s")
        engine = make_engine(url)
        with Session(engine) as session:
            employee = session.exec(select(Employee).where(Employee.email == "office@example.com")).one()
            print(f"\n{'query':<24}{'p50 ms':>9}{'p95 ms':>9}{'rows':>7}")
            worst = 0.0
            for name, make_query in _query_makers(rng, args.invoices, args.customers, session, employee).items():
                timings, rows = [], 0
                for run in range(args.runs + 10):
                    kwargs = make_query()
                    started = time.perf_counter()
                    page = invoices.search(session, employee, **kwargs)
                    elapsed = (time.perf_counter() - started) * 1000
                    if run >= 10:  # the first runs warm the cache and the connection
                        timings.append(elapsed)
                    rows = len(page.rows)
                p95 = percentile(timings, 0.95)
                worst = max(worst, p95)
                print(f"{name:<24}{statistics.median(timings):>9.1f}{p95:>9.1f}{rows:>7}")
        engine.dispose()
    verdict = "meets" if worst < TARGET_P95_MS else "MISSES"
    print(f"\nworst p95 {worst:.1f} ms: {verdict} the target of p95 < {TARGET_P95_MS} ms")


if __name__ == "__main__":
    main()
