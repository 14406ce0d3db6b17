"""Run an ASGI app (a sandbox server, the app's API) on a free port in a background thread."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from smslinks.sandbox.runner import free_port


@contextmanager
def serving(app, port: int | None = None) -> Iterator[str]:
    """Yields the base URL while the app serves on 127.0.0.1."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"server on port {port} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
