"""Importing this package registers every page."""

from smslinks.pages import home, invoices, signin, tech  # noqa: F401
