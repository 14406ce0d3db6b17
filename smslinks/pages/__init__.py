"""Importing this package registers every page."""

from smslinks.pages import (  # noqa: F401
    customers,
    employees,
    home,
    invoice_detail,
    invoice_editor,
    invoices,
    online_payments,
    pay,
    settings,
    signin,
    tech,
)
