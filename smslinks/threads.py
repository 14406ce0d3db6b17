"""Thread pools for blocking work awaited on a worker's event loop, which serves every page.

Each kind of work has threads of its own, sized for it: provider calls wait seconds on the network
and must not take the threads that page visits read the database in; pay-page reads are quick but
come in bursts (a batch of texts, 200 customers at once), and a few threads serve such a burst with less
CPU than many: every thread past the few only waits for the GIL, and handing it round costs
(bench.load: 10 -> 7 ms of backend CPU per server-drawn page with 4 threads instead of anyio's 40).
"""

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

# Provider calls one backend worker waits on at once; each holds a database connection meanwhile
# (the engine's pool has 30), and the providers' own timeouts bound how long.
PROVIDER_THREADS = 16
# Pay-page database work (the server-drawn page, the app's on_load and refreshes) one worker runs at once.
PAY_PAGE_THREADS = 4

provider_calls = ThreadPoolExecutor(max_workers=PROVIDER_THREADS, thread_name_prefix="provider-call")
pay_pages = ThreadPoolExecutor(max_workers=PAY_PAGE_THREADS, thread_name_prefix="pay-page")

P = ParamSpec("P")
R = TypeVar("R")


async def run_in(pool: ThreadPoolExecutor, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """work(*args, **kwargs) in one of the pool's threads, with this task's context variables; the
    coroutine waits without blocking the loop."""
    call = functools.partial(contextvars.copy_context().run, work, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(pool, call)
