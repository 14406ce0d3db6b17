"""Importing this package registers every page."""

from smslinks.pages import (  # noqa: F401
    employees,
    home,
    invoice_detail,
    invoices,
    invite,
    online_payments,
    pay,
    settings,
    signin,
    tech,
)
