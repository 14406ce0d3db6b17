"""Starts the sandbox servers (localstripe, our Twilio server) as child processes, and the app.

Used by `smslinks dev` (make run) and by the test fixtures; children stop when the parent does.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from smslinks import routes
from smslinks.config import PROJECT_ROOT, Settings, get_settings

# Debian's Chromium for the e2e tests and the benches (Playwright cannot download browsers here).
# Without the background-networking flags it keeps dialling Google's hosts on a closed network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class ChildFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def environ(values: dict[str, str | None]) -> Iterator[None]:
    """Set (None: unset) environment variables for the duration, then put back what was there.
    Settings() read inside, and children started inside, see the new values."""
    previous = {key: os.environ.get(key) for key in values}

    def apply(changes: dict[str, str | None]) -> None:
        for key, value in changes.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    apply(values)
    try:
        yield
    finally:
        apply(previous)


def free_ports_env(public_port: int) -> dict[str, str]:
    """Environment for an app and its sandbox servers on free ports, beside any other instance
    (tests and benchmarks start several), with Reflex kept from phoning home."""
    return {
        "SMSLINKS_PORT": str(public_port),
        "SMSLINKS_PUBLIC_URL": f"http://localhost:{public_port}",
        "SMSLINKS_SANDBOX_TWILIO_PORT": str(free_port()),
        "SMSLINKS_SANDBOX_STRIPE_PORT": str(free_port()),
        "SMSLINKS_SANDBOX_SMTP_PORT": str(free_port()),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
    }


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ChildFailed(f"process {process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise ChildFailed(f"nothing answered on port {port} within {timeout:.0f}s")


def wait_for_http(url: str, process: subprocess.Popen | None = None, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ChildFailed(f"process {process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise ChildFailed(f"{url} did not answer within {timeout:.0f}s")


@contextmanager
def child(argv: list[str], *, env: dict | None = None, log: Path | None = None) -> Iterator[subprocess.Popen]:
    """A child process in its own process group, stopped (with its children) on exit."""
    output = open(log, "ab") if log else None
    process = subprocess.Popen(
        argv,
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        _stop(process)
        if output:
            output.close()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


@contextmanager
def sandbox_servers(settings: Settings, log_dir: Path | None = None) -> Iterator[None]:
    """The sandbox Stripe (localstripe plus our additions), the Twilio sandbox (with the Dev phone)
    and the mail sink, for whichever provider has no live settings."""
    with ExitStack() as stack:
        started = []
        if settings.stripe_sandbox:
            process = stack.enter_context(
                child(
                    [
                        sys.executable,
                        "-m",
                        "smslinks.sandbox.stripe_server",
                        "--port",
                        str(settings.sandbox_stripe_port),
                        "--ach-settle-seconds",
                        str(settings.sandbox_ach_settle_seconds),
                    ],
                    log=log_dir / "localstripe.log" if log_dir else None,
                )
            )
            started.append((process, settings.sandbox_stripe_port))
        if settings.twilio_sandbox or settings.smtp_sandbox:
            process = stack.enter_context(
                child(sandbox_twilio_command(settings), log=log_dir / "sandbox-twilio.log" if log_dir else None)
            )
            started.append((process, settings.sandbox_twilio_port))
            if settings.smtp_sandbox:
                started.append((process, settings.sandbox_smtp_port))
        for process, port in started:
            wait_for_port(port, process)
        if settings.stripe_sandbox:
            register_stripe_webhook(settings)
        yield


def sandbox_twilio_command(settings: Settings) -> list[str]:
    """The Twilio sandbox is told where the app's inbound webhook is (Dev phone replies go there);
    it also runs the SMTP mail sink when email is in sandbox mode (the /mail page lives on it)."""
    argv = [
        sys.executable,
        "-m",
        "smslinks.sandbox.twilio_server",
        "--port",
        str(settings.sandbox_twilio_port),
        "--inbound-url",
        settings.twilio_inbound_url,
        "--step-seconds",
        str(settings.sandbox_twilio_step_seconds),
    ]
    if settings.smtp_sandbox:
        argv += ["--smtp-port", str(settings.sandbox_smtp_port)]
    return argv


STRIPE_WEBHOOK_EVENTS = [
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.payment_failed",
    "charge.refunded",
    "charge.dispute.created",
]


def register_stripe_webhook(settings: Settings) -> None:
    """Point the sandbox Stripe's signed webhooks at our /webhooks/stripe, as a Stripe dashboard
    endpoint does in live mode."""
    body = json.dumps(
        {
            "url": settings.backend_url + routes.STRIPE_WEBHOOK,
            "secret": settings.stripe_keys[2],
            "events": STRIPE_WEBHOOK_EVENTS,
        }
    ).encode()
    request = urllib.request.Request(
        f"{settings.stripe_base_url}/_config/webhooks/smslinks",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def reflex_command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "reflex", "run", "--env", "prod", *extra]


def sandbox_app_command(settings: Settings) -> list[str]:
    """The app as `make run` and the tests start it: in sandbox mode at a loopback address it listens
    on loopback only (nothing real is protected by a sandbox, so nothing should be reachable)."""
    host = urllib.parse.urlsplit(settings.public_url).hostname or ""
    if settings.sandbox and host in LOOPBACK_HOSTS:
        return reflex_command("--backend-host", "127.0.0.1")
    return reflex_command()


@contextmanager
def production_app(
    settings: Settings, log_dir: Path, *, env: dict | None = None, timeout: float = 900
) -> Iterator[subprocess.Popen]:
    """The sandbox servers and `reflex run --env prod` (which first builds the frontend), answering
    /health; for the e2e tests and the benches. If the app never comes up, its log's tail is printed."""
    log = log_dir / "app.log"
    with sandbox_servers(settings, log_dir=log_dir), child(sandbox_app_command(settings), env=env, log=log) as app:
        try:
            wait_for_http(f"{settings.public_url}/health", app, timeout=timeout)
        except Exception:
            print(log.read_text()[-5000:], file=sys.stderr)
            raise
        yield app


def _banner(settings: Settings) -> str:
    from smslinks import demo

    lines = [
        "",
        f"  smslinks is running at {settings.public_url}",
        "",
        f"  Demo sign-ins (password for all: {demo.DEMO_PASSWORD}):",
    ]
    lines += [f"    {email:<26} {role.value}" for email, _name, role in demo.DEMO_STAFF]
    sandbox_pages = []
    if settings.twilio_sandbox:
        sandbox_pages.append(f"  Dev phone (texts sent in sandbox): {settings.sandbox_twilio_url}/dev-phone")
    if settings.smtp_sandbox:
        sandbox_pages.append(f"  Mail (emails sent in sandbox):     {settings.sandbox_twilio_url}/mail")
    if sandbox_pages:
        lines += ["", *sandbox_pages]
    if settings.stripe_sandbox:
        lines += [
            "",
            "  Sandbox Stripe test cards (any future expiry, any CVC): 4242 4242 4242 4242 pays,",
            "  4000 0000 0000 0341 is declined, 4000 0025 0000 3155 asks for 3-D Secure.",
            f"  Bank (ACH) payments settle after {settings.sandbox_ach_settle_seconds:g}s in the sandbox bank.",
        ]
    lines += ["", "  Press Ctrl+C to stop.", ""]
    return "\n".join(lines)


def _exit_on_sigterm() -> None:
    """`kill` (SIGTERM) stops the children too: they run in their own sessions, so only our
    context managers can stop them, and those run when SystemExit unwinds the stack."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def run_dev() -> None:
    """make run: migrate, load the demo once, start the sandbox servers and the app."""
    from smslinks import demo
    from smslinks.db import session_scope, upgrade_to_head

    _exit_on_sigterm()
    settings = get_settings()
    upgrade_to_head()
    with session_scope() as session:
        demo.load(session)
    with sandbox_servers(settings), child(sandbox_app_command(settings)) as app:
        try:
            wait_for_http(f"{settings.public_url}/health", app, timeout=600)
            print(_banner(settings), flush=True)
            app.wait()
        except KeyboardInterrupt:
            pass


def run_sandbox_only() -> None:
    _exit_on_sigterm()
    settings = get_settings()
    with sandbox_servers(settings):
        print("Sandbox servers running. Press Ctrl+C to stop.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
