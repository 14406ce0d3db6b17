"""The Reflex app: staff pages, the customer pay page, and the webhook/health routes."""

import reflex as rx

import smslinks.models  # noqa: F401  (tables are registered before anything queries)
from smslinks import pages  # noqa: F401  (each page module registers itself with @rx.page)
from smslinks.api import build_api

app = rx.App(
    stylesheets=["/app.css", "/pay.css"],
    api_transformer=build_api(),
)
