"""200 customers open their pay pages as phones do, against the production app.

    .venv/bin/python -m bench.load --ramp 10   # 200 concurrent customers arriving over 10 s
    .venv/bin/python -m bench.load             # the same 200 in one instant
    .venv/bin/python -m bench.load --slow      # 10% of them pay by card meanwhile, Stripe answering at once or after 3 s
    options: [--clients 200] [--runs 3] [--state-manager redis|disk|both] [--ramp SECONDS] [--slow]
             [--parts] [--profile FILE]

A visit (client.py) is what a phone's browser does on a first visit: the server-drawn page, whose
arrival shows the customer the invoice ("invoice shown"); the files it makes the browser fetch from
our server (listed once per app start by a real Chromium visit); then the app over Reflex's websocket
until the app's own copy of the invoice arrives ("app ready"). With --ramp every client stays
connected, so all 200 are connected together at the end; without it all 200 visits start in the
same instant (target: invoice shown p95 < 1 s, and at most 10 ms of backend CPU per visit: the CPU
the app's processes spent during the run, divided by the visits, pages, files and websocket
together).

--parts: each part of a visit on its own, to see where the CPU goes: every client's page at once,
then every client's files, then every client's app (the same visits, in the same order, without
their overlap). Printed per run and as medians: backend CPU per visit and p95 of each part, and
their sum.

--profile FILE: py-spy samples the app's processes (those holding the GIL, so CPU, not waits)
during the first run's visits and writes their stacks, one line per stack with its count
(flamegraph.pl, speedscope), to FILE (named after the state manager; with --parts, one file per part).

--slow: a share of the customers (PAYING_PERCENT) sit on their pay pages and pay by card, all at
once, while the others open their pages; once with the sandbox Stripe answering each confirmation
at once and once with it waiting SLOW_STRIPE_SECONDS (in turn, on the same app, the order swapped
every run). Printed side by side: the page openers' p95 in both, and their ratio (target <= 1.2x):
a customer waiting on Stripe must not hold up anybody else's page.

Setup: a throwaway PostgreSQL database (demo data plus bulk invoices, bench/bigdata.py), one real
payment link per client minted through core (links.mint) for distinct open invoices, the sandbox
servers and `reflex run --env prod` on free ports; Redis (our own db number) as the state manager,
as in production, and optionally the default disk state manager.

Each run starts the app afresh (memory freed by one run's clients would be reused by the next
run's), makes a few warm-up visits, then opens every link at once (or spread over --ramp seconds)
with a fresh client. Printed per run: p50/p95 of invoice shown and of app ready (target with
--ramp: invoice shown p95 < 300 ms), p50 of the files loaded, of the websocket's connect
acknowledgement and of its first delta (the hydrate snapshot, before on_load); the backend's memory per connected client (RSS of the app's whole
process tree with every client connected, minus before, divided by the clients) and, with Redis,
the size of the clients' Redis keys; the CPU seconds the backend, the clients, and PostgreSQL
and Redis spent (all share this machine's cores, and others may too). Then the median of the runs. Every client's invoice is checked against
the link's own invoice (number and balance), so answers crossed between sessions fail the run.

Throttling: only unknown or expired tokens count toward pay_link_max_failures, and every token
here is valid, so 200 clients from 127.0.0.1 are not throttled; no setting is changed.
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis
from sqlmodel import Session

from bench.bigdata import seed
from bench.load.app import Link, app_env, mint_links_to_open_invoices, page_files, running_app
from bench.load.client import Frontend, PayPageClient, Visit
from smslinks.config import SANDBOX_STRIPE_SECRET_KEY
from smslinks.db import make_engine
from tests.databases import fresh_database

REDIS_DB = 6  # our own Redis database; only keys naming our clients' tokens are deleted
TARGET_P95_MS = 300  # clients arriving over --ramp seconds
TARGET_INSTANT_P95_MS = 1000  # all at once
TARGET_CPU_MS_PER_VISIT = 10
PAYING_PERCENT = 10
SLOW_STRIPE_SECONDS = 3.0
TARGET_SLOW_RATIO = 1.2
# Visitors before the measured ones, enough to reach every worker (5 on 2 CPUs with Redis).
WARM_UP_VISITS = 30


@dataclass
class RunResult:
    shown_ms: list[float]  # invoice shown: the server-drawn page arrived
    files_ms: list[float]
    load_ms: list[float]  # app ready
    connect_ms: list[float]
    hydrate_ms: list[float]
    failures: list[str]
    rss_before: int
    rss_connected: int
    processes: int
    redis_bytes: int | None
    backend_cpu: float  # CPU seconds the app's processes spent while the clients opened their pages
    client_cpu: float  # CPU seconds this process (the 200 clients) spent meanwhile: the machine is shared
    services_cpu: float  # and PostgreSQL's and Redis's (the database and the state store)
    load_average: float  # the machine's 1-minute load when the clients were done: others may be busy

    @property
    def clients(self) -> int:
        return len(self.shown_ms) + len(self.failures)

    @property
    def rss_per_client(self) -> float:
        return (self.rss_connected - self.rss_before) / self.clients

    @property
    def cpu_ms_per_visit(self) -> float:
        return self.backend_cpu * 1000 / self.clients


@dataclass
class SlowRun:
    """Page openers while other customers pay, with Stripe answering after `delay` seconds."""

    delay: float
    load_ms: list[float]  # the openers' app-ready times (the websocket, where payments are handled)
    paid_ms: list[float]  # the payers' times from submitting the card to the confirmation
    failures: list[str]
    cpu_ms_per_visit: float  # backend CPU over every opener and payer


@dataclass
class PartsRun:
    """The parts of the same visits, each on its own (--parts)."""

    cpu_ms: dict[str, float]  # backend CPU per visit, by part
    p95_ms: dict[str, float]  # by part, from the part's start
    failures: list[str]


PARTS = ("page", "files", "app")


def mint_links(url: str, count: int) -> list[Link]:
    """One link per open invoice with a balance (demo invoices first, then bulk ones)."""
    seed(url, invoices=count * 5, customers=count)
    engine = make_engine(url)
    with Session(engine) as session:
        minted = mint_links_to_open_invoices(session, count)
        if len(minted) < count:
            raise SystemExit(f"only {len(minted)} open invoices for {count} clients")
        session.commit()
    engine.dispose()
    return minted


def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def tree_rss(pid: int) -> tuple[int, int]:
    """(bytes, processes) of a process and all its descendants."""
    total, count = 0, 0
    for process in tree(pid):
        try:
            total += process.memory_info().rss
            count += 1
        except psutil.NoSuchProcess:
            pass
    return total, count


def cpu_seconds(processes: Iterable[psutil.Process]) -> float:
    """CPU (user and system) the processes have spent; one that has ended meanwhile counts nothing."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def tree_cpu(pid: int) -> float:
    return cpu_seconds(tree(pid))


def services_cpu() -> float:
    """CPU seconds PostgreSQL's and Redis's processes have spent: on this machine they share the
    cores with the app and the clients."""
    names = ("postgres", "redis-server")
    return cpu_seconds(process for process in psutil.process_iter(["name"]) if process.info["name"] in names)


def settle_rss(pid: int, seconds: float = 2.0) -> tuple[int, int]:
    """RSS once the backend has finished what it was doing (writes, garbage)."""
    time.sleep(seconds)
    return tree_rss(pid)


def check(visit: Visit, link: Link) -> str | None:
    """Why this visit's page is wrong, or None: the server-drawn page and the app must show its own
    link's invoice."""
    if visit.error:
        return visit.error
    if link.number not in visit.page or link.balance not in visit.page:
        return f"the server-drawn page does not show invoice {link.number} {link.balance}"
    if visit.loaded is None:
        return "no invoice arrived"
    view = visit.view
    if view.get("screen") != "pay":
        return f"screen {view.get('screen')!r} instead of the pay form"
    if (view.get("number"), view.get("balance")) != (link.number, link.balance):
        return f"shows invoice {view.get('number')} {view.get('balance')}, its link is {link.number} {link.balance}"
    return None


async def arrive(clients: list[PayPageClient], ramp: float = 0) -> list[Visit]:
    """Every client opens its link, all at once or arriving evenly over `ramp` seconds (a visit's
    time starts at its arrival)."""

    async def one(client: PayPageClient, after: float) -> Visit:
        await asyncio.sleep(after)
        return await client.open()

    return await asyncio.gather(*(one(client, ramp * i / len(clients)) for i, client in enumerate(clients)))


def own_redis_bytes(store: redis.Redis | None, client_tokens: set[str], delete: bool = False) -> int | None:
    """Memory of the Redis keys holding our clients' state and socket records (deleted when asked)."""
    if store is None:
        return None
    # Reflex names them <client token>_<state name> and token_manager_socket_record_<client token>.
    mine = [key for key in store.scan_iter(count=1000) if client_tokens & set(key.decode().split("_"))]
    used = sum(store.memory_usage(key) or 0 for key in mine)
    if delete and mine:
        store.delete(*mine)
    return used


async def one_run(
    base_url: str,
    app_pid: int,
    chosen: list[Link],
    files: tuple[str, ...],
    store: redis.Redis | None,
    ramp: float,
    profile: Path | None,
) -> RunResult:
    """Warm-up visitors connect first and stay (as customers already on the site would: every
    worker has served, and the memory they use is in the baseline); then the measured clients."""
    frontend = Frontend.compiled()
    warm = [PayPageClient(base_url, link.token, frontend, files=files) for link in chosen[:WARM_UP_VISITS]]
    clients = [PayPageClient(base_url, link.token, frontend, files=files) for link in chosen]
    try:
        await arrive(warm)
        rss_before, _ = await asyncio.to_thread(settle_rss, app_pid)
        with sampled(app_pid, profile):
            backend_cpu, client_cpu, database_cpu = tree_cpu(app_pid), time.process_time(), services_cpu()
            visits = await arrive(clients, ramp)
            backend_cpu, client_cpu = tree_cpu(app_pid) - backend_cpu, time.process_time() - client_cpu
            database_cpu = services_cpu() - database_cpu
        rss_connected, processes = await asyncio.to_thread(settle_rss, app_pid)
        redis_bytes = await asyncio.to_thread(own_redis_bytes, store, {client.visit.client_token for client in clients})
    finally:
        await asyncio.gather(*(client.close() for client in warm + clients), return_exceptions=True)
        own_redis_bytes(store, {client.visit.client_token for client in warm + clients}, delete=True)
    problems = [check(visit, link) for visit, link in zip(visits, chosen, strict=True)]
    good = [visit for visit, problem in zip(visits, problems, strict=True) if problem is None]
    return RunResult(
        shown_ms=[visit.shown * 1000 for visit in good if visit.shown is not None],
        files_ms=[visit.files_loaded * 1000 for visit in good if visit.files_loaded is not None],
        load_ms=[visit.loaded * 1000 for visit in good if visit.loaded is not None],
        connect_ms=[visit.connected * 1000 for visit in visits if visit.connected is not None],
        hydrate_ms=[visit.hydrated * 1000 for visit in visits if visit.hydrated is not None],
        failures=[
            f"invoice {link.number}: {problem}" for link, problem in zip(chosen, problems, strict=True) if problem
        ],
        rss_before=rss_before,
        rss_connected=rss_connected,
        processes=processes,
        redis_bytes=redis_bytes,
        backend_cpu=backend_cpu,
        client_cpu=client_cpu,
        services_cpu=database_cpu,
        load_average=os.getloadavg()[0],
    )


async def parts_run(
    base_url: str,
    app_pid: int,
    chosen: list[Link],
    files: tuple[str, ...],
    store: redis.Redis | None,
    profile: Path | None,
) -> PartsRun:
    """Warm-up visitors as in one_run; then every client's page at once, then every client's files,
    then every client's app (each part sampled to a file of its own when profile is given)."""
    frontend = Frontend.compiled()
    warm = [PayPageClient(base_url, link.token, frontend, files=files) for link in chosen[:WARM_UP_VISITS]]
    clients = [PayPageClient(base_url, link.token, frontend, files=files) for link in chosen]

    async def page(client: PayPageClient) -> None:
        async with client.connections(60) as http:
            await client.load_page(http)

    async def page_files(client: PayPageClient) -> None:
        async with client.connections(60) as http:
            await client.load_files(http)

    steps = {
        "page": (page, lambda visit: visit.shown),
        "files": (page_files, lambda visit: visit.files_loaded),
        "app": (PayPageClient.take_over, lambda visit: visit.loaded),
    }
    cpu_ms, p95_ms = {}, {}
    try:
        await arrive(warm)
        for part, (step, took) in steps.items():
            going = [client for client in clients if client.visit.error is None]
            for client in going:
                client.begin()
            with sampled(app_pid, profile.with_suffix(f".{part}{profile.suffix}") if profile else None):
                before = tree_cpu(app_pid)
                await asyncio.gather(*(step(client) for client in going))
                cpu_ms[part] = (tree_cpu(app_pid) - before) * 1000 / len(clients)
            p95_ms[part] = percentile([took(c.visit) * 1000 for c in going if took(c.visit) is not None], 95)
    finally:
        await asyncio.gather(*(client.close() for client in warm + clients), return_exceptions=True)
        own_redis_bytes(store, {client.visit.client_token for client in warm + clients}, delete=True)
    problems = [check(client.visit, link) for client, link in zip(clients, chosen, strict=True)]
    return PartsRun(
        cpu_ms, p95_ms, [f"invoice {link.number}: {p}" for link, p in zip(chosen, problems, strict=True) if p]
    )


def report_parts_run(index: int, run: PartsRun) -> None:
    each = ", ".join(f"{part} {run.cpu_ms[part]:.1f} ms (p95 {run.p95_ms[part]:.0f} ms)" for part in PARTS)
    print(
        f"  run {index}, each part alone: {each}; together {sum(run.cpu_ms.values()):.1f} ms of backend CPU per "
        f"visit; load average {os.getloadavg()[0]:.1f}; {len(run.failures)} failed",
        flush=True,
    )
    for failure in run.failures[:5]:
        print(f"    {failure}")


def report_parts(mode: str, runs: list[PartsRun]) -> None:
    cpu = {part: statistics.median(run.cpu_ms[part] for run in runs) for part in PARTS}
    p95 = {part: statistics.median(run.p95_ms[part] for run in runs) for part in PARTS}
    each = ", ".join(f"{part} {cpu[part]:.1f} ms (p95 {p95[part]:.0f} ms)" for part in PARTS)
    failed = sum(len(run.failures) for run in runs)
    print(
        f"{mode}: median of {len(runs)} runs, backend CPU per visit of each part alone: {each}; "
        f"together {sum(cpu.values()):.1f} ms; {failed} wrong or missing invoices",
        flush=True,
    )


@contextmanager
def sampled(app_pid: int, profile: Path | None) -> Iterator[None]:
    """py-spy samples the app's processes meanwhile when a profile file is given (see --profile)."""
    if profile is None:
        yield
        return
    command = [
        str(Path(sys.executable).parent / "py-spy"),
        "record",
        "--pid",
        str(app_pid),
        "--subprocesses",
        "--gil",
        "--format",
        "raw",
    ]
    spy = subprocess.Popen([*command, "--rate", "250", "--output", str(profile)], stdout=subprocess.DEVNULL)
    time.sleep(2)  # py-spy attaches to every process of the tree before it samples
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
        print(f"  profile of run 1's visits written to {profile}", flush=True)


def percentile(values: list[float], percent: int) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * percent // 100) - 1)] if ordered else float("nan")


def report_run(index: int, result: RunResult) -> None:
    redis_part = (
        f", Redis {result.redis_bytes / result.clients / 1024:.1f} KiB/client" if result.redis_bytes is not None else ""
    )
    print(
        f"  run {index}: invoice shown p50 {percentile(result.shown_ms, 50):.0f} ms, p95 {percentile(result.shown_ms, 95):.0f} ms, "
        f"max {max(result.shown_ms, default=float('nan')):.0f} ms; files loaded p50 {percentile(result.files_ms, 50):.0f} ms; "
        f"app ready p50 {percentile(result.load_ms, 50):.0f} ms, p95 {percentile(result.load_ms, 95):.0f} ms "
        f"(websocket connected p50 {percentile(result.connect_ms, 50):.0f} ms, "
        f"first delta p50 {percentile(result.hydrate_ms, 50):.0f} ms); "
        f"memory {result.rss_per_client / 1024:.0f} KiB/client "
        f"({result.rss_before / 2**20:.0f} -> {result.rss_connected / 2**20:.0f} MiB over {result.processes} processes)"
        f"{redis_part}; backend CPU {result.cpu_ms_per_visit:.1f} ms/visit ({result.backend_cpu:.1f} s), "
        f"clients {result.client_cpu:.1f} s, PostgreSQL and Redis {result.services_cpu:.1f} s, "
        f"load average {result.load_average:.1f}; {len(result.failures)} failed",
        flush=True,
    )
    for failure in result.failures[:5]:
        print(f"    {failure}")


def report_mode(mode: str, results: list[RunResult], target_ms: int) -> None:
    p50 = statistics.median(percentile(r.shown_ms, 50) for r in results)
    p95 = statistics.median(percentile(r.shown_ms, 95) for r in results)
    ready_p50 = statistics.median(percentile(r.load_ms, 50) for r in results)
    ready_p95 = statistics.median(percentile(r.load_ms, 95) for r in results)
    cpu = statistics.median(r.cpu_ms_per_visit for r in results)
    memory = statistics.median(r.rss_per_client for r in results)
    redis_part = (
        f" and {statistics.median(r.redis_bytes / r.clients for r in results) / 1024:.1f} KiB in Redis"
        if results[0].redis_bytes is not None
        else ""
    )
    failed = sum(len(r.failures) for r in results)
    verdict = "meets" if p95 < target_ms and not failed else "MISSES"
    cpu_verdict = "meets" if cpu <= TARGET_CPU_MS_PER_VISIT else "MISSES"
    print(
        f"{mode}: median of {len(results)} runs of {results[0].clients} clients: invoice shown p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms ({verdict} the p95 < {target_ms} ms target); app ready p50 {ready_p50:.0f} ms, "
        f"p95 {ready_p95:.0f} ms; "
        f"backend CPU {cpu:.1f} ms per visit ({cpu_verdict} the <= {TARGET_CPU_MS_PER_VISIT} ms target); "
        f"backend memory {memory / 1024:.0f} KiB{redis_part} per connected client; {failed} wrong or missing invoices",
        flush=True,
    )


def card_payment_methods(stripe_url: str, count: int) -> list[str]:
    """PaymentMethods for the test card 4242 4242 4242 4242, as Stripe.js makes them in the browser."""
    form = urllib.parse.urlencode(
        {
            "type": "card",
            "card[number]": "4242424242424242",
            "card[exp_month]": "12",
            "card[exp_year]": "2040",
            "card[cvc]": "123",
        }
    ).encode()
    made = []
    for _ in range(count):
        request = urllib.request.Request(
            f"{stripe_url}/v1/payment_methods",
            data=form,
            headers={"Authorization": f"Bearer {SANDBOX_STRIPE_SECRET_KEY}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            made.append(json.load(answer)["id"])
    return made


def set_stripe_delay(stripe_url: str, seconds: float) -> None:
    form = urllib.parse.urlencode({"seconds": seconds}).encode()
    with urllib.request.urlopen(f"{stripe_url}/_config/confirm_delay", data=form, timeout=10) as answer:
        answer.read()


async def slow_run(
    base_url: str,
    stripe_url: str,
    app_pid: int,
    files: tuple[str, ...],
    openers: list[Link],
    payers: list[Link],
    delay: float,
    store: redis.Redis | None,
) -> SlowRun:
    """Warm-up visitors and the payers open their pages first; then all the payers pay at once while
    the openers arrive."""
    set_stripe_delay(stripe_url, delay)
    methods = await asyncio.to_thread(card_payment_methods, stripe_url, len(payers))
    frontend = Frontend.compiled()
    warm = [PayPageClient(base_url, link.token, frontend, files=files) for link in openers[:WARM_UP_VISITS]]
    paying = [PayPageClient(base_url, link.token, frontend, files=files) for link in payers]
    opening = [PayPageClient(base_url, link.token, frontend, files=files) for link in openers]
    everyone = warm + paying + opening
    try:
        await arrive(warm)
        await arrive(paying)
        backend_cpu = tree_cpu(app_pid)
        payments = asyncio.gather(*(client.pay_by_card(method) for client, method in zip(paying, methods, strict=True)))
        visits = await arrive(opening)
        paid = await payments
        backend_cpu = tree_cpu(app_pid) - backend_cpu
    finally:
        await asyncio.gather(*(client.close() for client in everyone), return_exceptions=True)
        own_redis_bytes(store, {client.visit.client_token for client in everyone}, delete=True)
    problems = [check(visit, link) for visit, link in zip(visits, openers, strict=True)]
    shown = [visit.loaded * 1000 for visit, problem in zip(visits, problems, strict=True) if problem is None]
    problems += [visit.error or (None if visit.paid else "no confirmation") for visit in paid]
    return SlowRun(
        delay=delay,
        load_ms=shown,
        paid_ms=[visit.paid * 1000 for visit in paid if visit.paid is not None],
        failures=[problem for problem in problems if problem],
        cpu_ms_per_visit=backend_cpu * 1000 / (len(openers) + len(payers)),
    )


def report_slow_run(index: int, run: SlowRun) -> None:
    print(
        f"  run {index}, Stripe answering {f'after {run.delay:g} s' if run.delay else 'at once'}: "
        f"{len(run.load_ms)} page openers: app ready p50 {percentile(run.load_ms, 50):.0f} ms, "
        f"p95 {percentile(run.load_ms, 95):.0f} ms; {len(run.paid_ms)} payers confirmed "
        f"p50 {percentile(run.paid_ms, 50):.0f} ms after submitting; "
        f"backend CPU {run.cpu_ms_per_visit:.1f} ms/visit; {len(run.failures)} failed",
        flush=True,
    )
    for failure in run.failures[:5]:
        print(f"    {failure}")


def bench_slow(mode: str, database_url: str, openers: list[Link], payer_links: list[Link], runs: int, work: Path):
    """Per run, on one freshly started app: Stripe answering at once and after SLOW_STRIPE_SECONDS,
    in turn (swapped every run), each with payers of their own (a paid invoice cannot be paid again)."""
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}" if mode == "redis" else None
    store = redis.Redis.from_url(redis_url) if redis_url else None
    payers_per_case = len(payer_links) // (2 * runs)
    print(f"{mode} state manager, slow mode:", flush=True)
    cases: dict[float, list[SlowRun]] = {0.0: [], SLOW_STRIPE_SECONDS: []}
    for index in range(1, runs + 1):
        log_dir = work / f"{mode}-slow-{index}"
        log_dir.mkdir()
        env = app_env(database_url, redis_url, log_dir)
        stripe_url = f"http://127.0.0.1:{env['SMSLINKS_SANDBOX_STRIPE_PORT']}"
        delays = [0.0, SLOW_STRIPE_SECONDS] if index % 2 else [SLOW_STRIPE_SECONDS, 0.0]
        with running_app(env, log_dir) as (base_url, app):
            files = page_files(base_url, openers[0].token)
            for delay in delays:
                payers, payer_links = payer_links[:payers_per_case], payer_links[payers_per_case:]
                run = asyncio.run(slow_run(base_url, stripe_url, app.pid, files, openers, payers, delay, store))
                report_slow_run(index, run)
                cases[delay].append(run)
    return cases


def report_slow(mode: str, cases: dict[float, list[SlowRun]]) -> None:
    at_once, slow = cases[0.0], cases[SLOW_STRIPE_SECONDS]
    p95_at_once = statistics.median(percentile(run.load_ms, 95) for run in at_once)
    p95_slow = statistics.median(percentile(run.load_ms, 95) for run in slow)
    ratio = p95_slow / p95_at_once
    failed = sum(len(run.failures) for run in at_once + slow)
    verdict = "meets" if ratio <= TARGET_SLOW_RATIO and not failed else "MISSES"
    print(
        f"{mode}, slow mode, median of {len(at_once)} runs of {len(at_once[0].load_ms)} page openers while "
        f"{len(at_once[0].paid_ms)} customers pay: app ready p95 {p95_at_once:.0f} ms with Stripe answering "
        f"at once | {p95_slow:.0f} ms with Stripe answering after {SLOW_STRIPE_SECONDS:g} s: "
        f"{ratio:.2f}x ({verdict} the <= {TARGET_SLOW_RATIO}x target); payers confirmed p50 "
        f"{statistics.median(percentile(run.paid_ms, 50) for run in at_once):.0f} | "
        f"{statistics.median(percentile(run.paid_ms, 50) for run in slow):.0f} ms; {failed} failed",
        flush=True,
    )


def app_runs(
    mode: str, database_url: str, chosen: list[Link], runs: int, work: Path
) -> Iterator[tuple[int, str, int, tuple[str, ...], redis.Redis | None]]:
    """Each run on a freshly started app (memory freed by one run's clients would be reused by the
    next run's, hiding what connected clients cost): its number, URL, process id, the files a
    visit fetches and the Redis the state is in (None with the disk state manager)."""
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}" if mode == "redis" else None
    store = redis.Redis.from_url(redis_url) if redis_url else None
    print(f"{mode} state manager:", flush=True)
    for index in range(1, runs + 1):
        log_dir = work / f"{mode}-{index}"
        log_dir.mkdir()
        with running_app(app_env(database_url, redis_url, log_dir), log_dir) as (base_url, app):
            files = page_files(base_url, chosen[0].token)
            if index == 1:
                print(
                    f"  a visit fetches the page and {len(files)} files from our server: {', '.join(files)}", flush=True
                )
            yield index, base_url, app.pid, files, store


def bench_mode(
    mode: str, database_url: str, chosen: list[Link], runs: int, ramp: float, work: Path, profile: Path | None
) -> list[RunResult]:
    results = []
    for index, base_url, app_pid, files, store in app_runs(mode, database_url, chosen, runs, work):
        result = asyncio.run(one_run(base_url, app_pid, chosen, files, store, ramp, profile if index == 1 else None))
        report_run(index, result)
        results.append(result)
    return results


def bench_parts(
    mode: str, database_url: str, chosen: list[Link], runs: int, work: Path, profile: Path | None
) -> list[PartsRun]:
    results = []
    for index, base_url, app_pid, files, store in app_runs(mode, database_url, chosen, runs, work):
        result = asyncio.run(parts_run(base_url, app_pid, chosen, files, store, profile if index == 1 else None))
        report_parts_run(index, result)
        results.append(result)
    return results


def mode_profile(options: argparse.Namespace, mode: str) -> Path | None:
    return options.profile.with_suffix(f".{mode}{options.profile.suffix}") if options.profile else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--state-manager", choices=["redis", "disk", "both"], default="both")
    parser.add_argument(
        "--ramp", type=float, default=0, help="seconds over which the clients arrive (default: all at once)"
    )
    parser.add_argument("--parts", action="store_true", help="each part of a visit on its own: pages, files, apps")
    parser.add_argument("--profile", type=Path, help="py-spy's samples of the first run's visits, written here")
    parser.add_argument(
        "--slow", action="store_true", help=f"{PAYING_PERCENT}%% of the clients pay meanwhile; Stripe at once or slow"
    )
    options = parser.parse_args()
    modes = ["redis", "disk"] if options.state_manager == "both" else [options.state_manager]
    if options.slow:
        return main_slow(options, modes)
    with fresh_database("smslinks_load") as database_url, tempfile.TemporaryDirectory(prefix="bench-load-") as work:
        chosen = mint_links(database_url, options.clients)
        arrival = f"arriving over {options.ramp:g} s" if options.ramp else "all at once"
        print(
            f"{options.clients} clients {arrival}, each with a payment link minted for its own open invoice; "
            f"{os.cpu_count()} CPUs",
            flush=True,
        )
        if options.parts:
            parts = {
                mode: bench_parts(mode, database_url, chosen, options.runs, Path(work), mode_profile(options, mode))
                for mode in modes
            }
            print()
            for mode, runs in parts.items():
                report_parts(mode, runs)
            return
        summaries = {
            mode: bench_mode(
                mode,
                database_url,
                chosen,
                options.runs,
                options.ramp,
                Path(work),
                mode_profile(options, mode),
            )
            for mode in modes
        }
        print()
        for mode, results in summaries.items():
            report_mode(mode, results, TARGET_P95_MS if options.ramp else TARGET_INSTANT_P95_MS)


def main_slow(options: argparse.Namespace, modes: list[str]) -> None:
    payers = options.clients * PAYING_PERCENT // 100
    needed_payers = payers * 2 * options.runs  # each case of each run pays invoices of its own
    with fresh_database("smslinks_load") as database_url, tempfile.TemporaryDirectory(prefix="bench-load-") as work:
        links = mint_links(database_url, options.clients - payers + needed_payers * len(modes))
        openers, payer_links = links[: options.clients - payers], links[options.clients - payers :]
        print(
            f"{len(openers)} customers open their pay pages all at once while {payers} others pay by card; "
            f"{os.cpu_count()} CPUs",
            flush=True,
        )
        summaries = {}
        for number, mode in enumerate(modes):
            own = payer_links[number * needed_payers : (number + 1) * needed_payers]
            summaries[mode] = bench_slow(mode, database_url, openers, own, options.runs, Path(work))
        print()
        for mode, cases in summaries.items():
            report_slow(mode, cases)


if __name__ == "__main__":
    main()
