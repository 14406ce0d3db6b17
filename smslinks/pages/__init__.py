"""Importing this package registers every page."""

from smslinks.pages import home, invoices, pay, signin, tech  # noqa: F401
