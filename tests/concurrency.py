"""Races in tests: calls started together, each on a thread of its own."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Result = TypeVar("Result")


def at_once(racers: int, work: Callable[[int, Callable[[], object]], Result], timeout: float = 120) -> list[Result]:
    """work(index, start) on `racers` threads; each calls start() where the race begins (after its own
    setup), and none goes on until all have. Their results in index order; the first error is raised."""
    start = threading.Barrier(racers, timeout=30)
    with ThreadPoolExecutor(max_workers=racers) as pool:
        futures = [pool.submit(work, index, start.wait) for index in range(racers)]
        return [future.result(timeout=timeout) for future in futures]
