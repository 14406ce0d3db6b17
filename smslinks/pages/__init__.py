"""Importing this package registers every page."""

from smslinks.pages import (  # noqa: F401
    customers,
    employees,
    home,
    invoice_detail,
    invoices,
    online_payments,
    pay,
    settings,
    signin,
    tech,
)
