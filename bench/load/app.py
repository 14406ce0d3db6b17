"""The production app (`reflex run --env prod`) with its sandbox servers on free ports, and pay
links to open on it, for the load bench and the websocket test; started as tests/e2e/conftest.py
live_app does."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from urllib.parse import urlsplit

from playwright.sync_api import Request, sync_playwright
from sqlmodel import Session, col, select

from smslinks import routes
from smslinks.config import PROJECT_ROOT, Settings
from smslinks.core import display, links
from smslinks.models import Invoice, InvoiceStatus
from smslinks.sandbox.runner import CHROMIUM, CHROMIUM_ARGS, environ, free_port, free_ports_env, production_app

# bun for the frontend build, where `make setup` put it (the Makefile adds it to PATH likewise).
BUN_DIR = PROJECT_ROOT / ".tools" / "node" / "node_modules" / ".bin"


@dataclass(frozen=True)
class Link:
    token: str
    number: str
    balance: str  # as the page shows it, e.g. $340.96


def mint_links_to_open_invoices(session: Session, count: int) -> list[Link]:
    """A link to each of the first `count` open invoices with a balance (fewer if there are fewer);
    the caller commits."""
    invoices = session.exec(
        select(Invoice)
        .where(Invoice.status == InvoiceStatus.OPEN, Invoice.total_cents > Invoice.amount_paid_cents)
        .order_by(col(Invoice.id))
        .limit(count)
    ).all()
    return [
        Link(links.mint(session, invoice)[1], invoice.number, display.money(invoice.balance_cents))
        for invoice in invoices
    ]


def app_env(database_url: str, redis_url: str | None, work: Path) -> dict[str, str | None]:
    """The app's environment: free ports, and Redis as state manager when given, else the disk one
    (None unsets a variable the calling shell may have)."""
    env = {
        **free_ports_env(free_port()),
        "DATABASE_URL": database_url,
        "PATH": f"{BUN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        "REDIS_URL": redis_url,
    }
    if not redis_url:
        env["REFLEX_STATES_WORKDIR"] = str(work / "states")  # the disk state manager's files, thrown away
    return env


@contextmanager
def running_app(env: dict[str, str | None], log_dir: Path) -> Iterator[tuple[str, Popen]]:
    """Sandbox servers and the production app; yields its URL and process (the root of its tree).
    The environment is this process's meanwhile: settings and children read it."""
    with environ(env):
        settings = Settings()
        with production_app(settings, log_dir) as app:
            yield settings.public_url, app


def page_files(base_url: str, link_token: str) -> tuple[str, ...]:
    """The paths a phone's browser fetches from our server for a pay page, besides the page itself
    and the websocket: opened once in Chromium (390x844) until the app has taken over."""
    origin = urlsplit(base_url).netloc
    fetched: list[str] = []

    def note(request: Request) -> None:
        url = urlsplit(request.url)
        if url.netloc == origin and request.resource_type not in ("document", "websocket"):
            fetched.append(url._replace(scheme="", netloc="").geturl())  # the path and its query

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.on("request", note)
            page.goto(base_url + routes.pay(link_token))
            page.wait_for_selector("#pay-ssr", state="detached", timeout=60_000)  # the app took over
            page.wait_for_load_state("networkidle")
        finally:
            browser.close()
    return tuple(dict.fromkeys(path for path in fetched if not path.startswith("/_event")))  # socket.io's polling
