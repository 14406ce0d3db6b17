"""Keep a page that shows one invoice current while it is open.

Whatever changes what such a page shows (a status callback, the dispatcher, a payment, another
person) touches invoice.updated_at in the same transaction (core.invoices.touch), possibly in
another process or worker. LiveInvoiceState polls that one column and reloads the page on change.

Use it as a mixin next to SessionState: implement `_reload()` (fill the page, set
`_live_invoice_id` and `_live_version`, return follow-up events), set LIVE_ROUTE to the page's
route, and add `watch` after the page's load in on_load. A watcher stops when the page shows another
invoice or route, and when a newer one starts: every reconnect runs on_load again (possibly on
another backend), and only the newest watcher may keep polling.
"""

import asyncio
import secrets
import time
from datetime import datetime
from typing import ClassVar

import reflex as rx

from smslinks.db import session_scope
from smslinks.models import Invoice

POLL_SECONDS = 1.0
# A page left open past a working day stops watching; a reload starts it again.
WATCH_LIMIT_SECONDS = 12 * 3600


def _changed_at(invoice_id: int) -> datetime | None:
    """invoice.updated_at, read the cheap way (by primary key)."""
    with session_scope() as session:
        invoice = session.get(Invoice, invoice_id)
        return invoice.updated_at if invoice else None


class LiveInvoiceState(rx.State, mixin=True):
    LIVE_ROUTE: ClassVar[str] = ""
    _live_invoice_id: int = 0
    _live_version: datetime | None = None
    _live_watcher: str = ""

    def _reload(self) -> list:
        """Fill the page again (authorizing as on load); return the events that should follow."""
        raise NotImplementedError

    @rx.event(background=True)
    async def watch(self):
        me = secrets.token_hex(8)
        async with self:
            watching, self._live_watcher = self._live_invoice_id, me
        started = time.monotonic()
        while watching and time.monotonic() - started < WATCH_LIMIT_SECONDS:
            await asyncio.sleep(POLL_SECONDS)
            changed = await asyncio.to_thread(_changed_at, watching)
            async with self:
                if (
                    self._live_watcher != me
                    or self._live_invoice_id != watching
                    or self.router.route_id != self.LIVE_ROUTE
                ):
                    return
                if changed == self._live_version:  # what the page shows is current
                    continue
                events = self._reload()
            for event in events:
                yield event
