"""Every route in one place, so pages, states and tests agree."""

SIGN_IN = "/signin"
HOME = "/"
INVOICES = "/invoices"
INVOICE = "/invoices/[invoice_id]"
TECH_JOBS = "/tech"
TECH_JOB = "/tech/jobs/[job_id]"
SETTINGS = "/settings"
SETTINGS_ONLINE_PAYMENTS = "/settings/invoicing/online-payments"
SETTINGS_EMPLOYEES = "/settings/employees"
PAY = "/pay/[token]"
# A clean install: the first-run page, then the business's own records.
SETUP = "/setup"
SETTINGS_COMPANY = "/settings/company"
CUSTOMERS = "/customers"
CUSTOMER = "/customers/[customer_id]"
JOBS = "/jobs"
# New (?customer=ID, ?job=ID) or changing one (?invoice=ID).
INVOICE_EDITOR = "/invoices/editor"
# A new employee's invitation link, and the first password after a temporary one.
INVITE = "/invite/[token]"
CHOOSE_PASSWORD = "/account/password"
# Keys other systems use on the REST API.
SETTINGS_API_KEYS = "/settings/integrations/api-keys"
# Settings > Integrations > Webhooks (administrators only).
SETTINGS_WEBHOOKS = "/settings/integrations/webhooks"
# Data in and out: CSV exports for the books, CSV import of customers and invoices.
SETTINGS_EXPORT = "/settings/data/export"
SETTINGS_IMPORT = "/settings/data/import"
# Customers' replies to texts, for office staff (?number=+1... opens a thread).
INBOX = "/inbox"
# Figures for administrators, managers and accountants.
INSIGHTS = "/insights"

# Starlette routes (smslinks/api) that providers call.
TWILIO_STATUS_WEBHOOK = "/webhooks/twilio/status"
TWILIO_INBOUND_WEBHOOK = "/webhooks/twilio/inbound"
STRIPE_WEBHOOK = "/webhooks/stripe"
# Sets (POST) and clears (DELETE) the staff session cookie, HttpOnly (smslinks/api/session_cookie.py).
AUTH_SESSION = "/auth/session"
SESSION_COOKIE = "smslinks_session"
# The REST API for other systems (FastAPI, smslinks/api/v1).
API_V1 = "/api/v1"


def invoice(invoice_id: int) -> str:
    return f"/invoices/{invoice_id}"


def tech_job(job_id: int) -> str:
    return f"/tech/jobs/{job_id}"


def invite(token: str) -> str:
    return f"/invite/{token}"


def pay(token: str) -> str:
    return f"/pay/{token}"
