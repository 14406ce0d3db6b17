"""At start, a server with no business prints a one-time setup code for /setup (a Reflex lifespan task).

Each backend process prints its own code; any of them opens /setup. `smslinks dev` loads the demo
business before the app starts, so it never prints one.
"""

import asyncio
import logging
import sys

from smslinks import routes
from smslinks.config import get_settings
from smslinks.core import company, setup_codes
from smslinks.db import session_scope

log = logging.getLogger(__name__)


def announcement(public_url: str, code: str) -> str:
    return f"No business yet: open {public_url.rstrip('/')}{routes.SETUP} and enter the setup code {code}"


def announce_setup_code() -> str | None:
    """Issue and print a code when there is no business; the code as shown, or None."""
    with session_scope() as session:
        if company.is_set_up(session):
            return None
        code = setup_codes.issue(session)
    message = announcement(get_settings().public_url, code)
    hours = setup_codes.VALID_HOURS
    print(
        f"\n  {message}\n  (valid for {hours} hours; restart the server for a new one)\n", file=sys.stderr, flush=True
    )
    log.warning(message)
    return code


async def setup_code_announcer() -> None:
    try:
        await asyncio.to_thread(announce_setup_code)
    except Exception:  # e.g. the database is not migrated yet: the app still starts
        log.exception("could not check for a business or issue a setup code")
