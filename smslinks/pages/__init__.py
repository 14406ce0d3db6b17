"""Importing this package registers every page."""

from smslinks.pages import (  # noqa: F401
    company,
    employees,
    home,
    invoice_detail,
    invoices,
    online_payments,
    pay,
    settings,
    setup,
    signin,
    tech,
)
