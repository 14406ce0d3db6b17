"""The Reflex app: staff pages, the customer pay page, the webhook/health routes, and the outbox
dispatcher running in the backend (unless SMSLINKS_INPROCESS_DISPATCHER=false)."""

import reflex as rx

import smslinks.models  # noqa: F401  (tables are registered before anything queries)
from smslinks import pages  # noqa: F401  (each page module registers itself with @rx.page)
from smslinks.api import build_api
from smslinks.first_run import setup_code_announcer
from smslinks.worker import inprocess_dispatcher

app = rx.App(
    stylesheets=["/app.css", "/pay.css"],
    api_transformer=build_api(),
    toaster=None,  # staff pages bring their own (pages/layout.py); the pay page has no toasts
)
# The connection toaster and pulser likewise live on the staff pages, not in every page's wrapper.
app.app_wraps.pop((5, "Overlay"))
app.register_lifespan_task(inprocess_dispatcher)
# A server with no business prints a one-time code for the first-run page (/setup).
app.register_lifespan_task(setup_code_announcer)
