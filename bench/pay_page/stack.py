"""The real app for measuring: production build, sandbox servers and demo data on free ports, the
way tests/e2e starts it; and one payment link minted through core for a demo invoice."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from smslinks import demo
from smslinks.config import Settings
from smslinks.core import links
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import Business, Invoice, InvoiceLine, InvoiceStatus
from smslinks.sandbox.runner import environ, free_port, free_ports_env, production_app


@dataclass
class RunningApp:
    url: str
    settings: Settings
    engine: object
    log: Path


def app_env(work: Path, port: int) -> dict[str, str]:
    return {**free_ports_env(port), "DATABASE_URL": f"sqlite:///{work / 'smslinks.db'}"}


@contextmanager
def running_app(work: Path, port: int | None = None) -> Iterator[RunningApp]:
    """migrate + demo data + sandbox servers + `reflex run --env prod` (which builds the frontend)."""
    env = app_env(work, port or free_port())
    with environ(env), ExitStack() as stack:  # Settings() and the children read the same values
        settings = Settings()
        upgrade_to_head(env["DATABASE_URL"])
        engine = make_engine(env["DATABASE_URL"])
        stack.callback(engine.dispose)
        with Session(engine) as session:
            demo.load(session)
            session.commit()
        stack.enter_context(production_app(settings, work, env=env))
        yield RunningApp(url=settings.public_url, settings=settings, engine=engine, log=work / "app.log")


def mint_demo_link(app: RunningApp) -> tuple[int, str]:
    """(invoice id, token) for the demo's open invoice with the most line items, through core.links."""
    with Session(app.engine) as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        candidates = session.exec(
            select(Invoice).where(
                Invoice.business_id == business.id, Invoice.status == InvoiceStatus.OPEN, Invoice.amount_paid_cents == 0
            )
        ).all()
        invoice = max(
            candidates,
            key=lambda i: (len(session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == i.id)).all()), -i.id),
        )
        _link, token = links.mint(session, invoice)
        session.commit()
        return invoice.id, token
