"""Blocking work of Reflex handlers, run off the event loop that serves every page of this worker.

Reflex runs a synchronous handler on its event loop, so a handler that waits for Stripe or Twilio
there freezes every other customer's page. Provider calls wait on the network for seconds: they
get threads of their own, so a slow Stripe never takes the few threads of asyncio's default pool
(CPU count + 4) that the quick database reads of every page visit use.
"""

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from smslinks.core.errors import DomainError
from smslinks.db import session_scope

# Provider calls one backend worker waits on at once; each holds a database connection meanwhile
# (the engine's pool has 30), and the providers' own timeouts bound how long.
PROVIDER_THREADS = 16

_provider_pool = ThreadPoolExecutor(max_workers=PROVIDER_THREADS, thread_name_prefix="provider-call")

P = ParamSpec("P")
R = TypeVar("R")


async def provider_call(work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """work(*args, **kwargs) in a provider thread; this coroutine waits without blocking the loop."""
    call = functools.partial(contextvars.copy_context().run, work, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_provider_pool, call)


def in_session(work: Callable[..., R], *args, **kwargs) -> R:
    """work(session, *args, **kwargs) in a session of its own, committed also when core refuses
    with a DomainError (what core recorded on its way to the refusal, e.g. a throttle count, stays)."""
    with session_scope() as session:
        try:
            return work(session, *args, **kwargs)
        except DomainError:
            session.commit()
            raise


async def core_with_provider(work: Callable[..., R], *args, **kwargs) -> R:
    """A core function that calls a provider, in a session of its own, off the event loop."""
    return await provider_call(in_session, work, *args, **kwargs)
