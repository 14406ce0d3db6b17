"""Importing this package registers every page."""

from smslinks.pages import home, invoice_detail, invoices, signin, tech  # noqa: F401
