"""Insights' queries p50/p95 with 1,000,000 invoices on PostgreSQL (target: p95 < 500 ms).

    .venv/bin/python -m bench.insights [--invoices 1000000] [--runs 10]

Builds a throwaway database (bench.bigdata: invoices, then their links, texts and emails, visits,
payments and reminder plans, set-based), rolls up its days as the workers do (the first pass, then
one with nothing changed), then times each of the page's queries (the core.insights functions the
page calls) over several ranges of days, and the whole page.
"""

import argparse
import statistics
import time
from datetime import timedelta

from sqlmodel import Session, select

from bench import bigdata
from smslinks.core import exports, insight_rollups, insights
from smslinks.db import make_engine
from smslinks.models import Business, utcnow
from tests.databases import fresh_database

TARGET_P95_MS = 500


def _queries(session: Session, business: Business, today) -> dict:
    """Each query of the page, as a function of the range."""
    return {
        "time to pay (+ weekday, hour)": lambda r: insight_rollups.pay_durations(session, business, r),
        "links: sent to paid": lambda r: insights.funnel_table(session, business, r),
        "delivery problems": lambda r: insights.delivery_problems_table(session, business, r),
        "failed texts: landline": lambda r: insights.failed_text_invoices(session, business, r, "landline"),
        "open balances by age": lambda r: insights.aging(session, business, today),
        "days sales outstanding": lambda r: insights.days_sales_outstanding(session, business, r, 1),
        "payments by method": lambda r: insights.payments_by_method_table(session, business, r),
        "paid after reminders": lambda r: insights.reminders_table(session, business, r),
        "the whole page": lambda r: insights.build(session, business, r, today),
    }


def _p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20, method="inclusive")[18] if len(timings) > 1 else timings[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10, help="timed runs per query and range")
    args = parser.parse_args()
    with fresh_database("smslinks_bench_insights") as url:
        print(f"Seeding {args.invoices:,} invoices for {args.customers:,} customers...", flush=True)
        print(f"  invoices in {bigdata.seed(url, invoices=args.invoices, customers=args.customers):.0f} s", flush=True)
        print(f"  their links, messages, visits, payments in {bigdata.seed_activity(url):.0f} s", flush=True)
        engine = make_engine(url)
        for name in ("first rollup pass (every day)", "next rollup pass (nothing changed)"):
            started = time.perf_counter()
            days = insight_rollups.roll_up_all(engine, utcnow())
            print(f"  {name}: {days:,} days in {time.perf_counter() - started:.1f} s", flush=True)
        with Session(engine) as session:
            business = session.exec(select(Business)).one()
            insights.skip_jit(session)  # as the page does
            today = exports.business_today(business, utcnow())
            ranges = {
                **insights.quick_ranges(today),
                "last 90 days": exports.DateRange(today - timedelta(days=89), today),
                "last 365 days": exports.DateRange(today - timedelta(days=364), today),
            }
            counts = {
                name: sum(d.count for d in insight_rollups.pay_durations(session, business, r).by_channel.values())
                for name, r in ranges.items()
            }
            print("\nranges (invoices paid in each): " + ", ".join(f"{n} ({c:,})" for n, c in counts.items()))
            labels = list(ranges)
            print(f"\np95 ms by range ({args.runs} runs each; the last column: all ranges' runs together)")
            print(f"{'query':<32}" + "".join(f"{label[:14]:>15}" for label in labels) + f"{'all p95':>10}")
            worst = 0.0
            for name, query in _queries(session, business, today).items():
                every: list[float] = []
                cells = []
                for date_range in ranges.values():
                    query(date_range)  # warm the cache and the plan
                    timings = []
                    for _ in range(args.runs):
                        started = time.perf_counter()
                        query(date_range)
                        timings.append((time.perf_counter() - started) * 1000)
                    cells.append(_p95(timings))
                    every += timings
                if name != "the whole page":
                    worst = max(worst, _p95(every))
                print(f"{name:<32}" + "".join(f"{cell:>15.1f}" for cell in cells) + f"{_p95(every):>10.1f}", flush=True)
        engine.dispose()
    verdict = "meets" if worst < TARGET_P95_MS else "MISSES"
    print(f"\nworst query p95 {worst:.1f} ms: {verdict} the target of p95 < {TARGET_P95_MS} ms")


if __name__ == "__main__":
    main()
