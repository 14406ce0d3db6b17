"""Importing this package registers every page."""

from smslinks.pages import employees, home, invoices, online_payments, settings, signin, tech  # noqa: F401
