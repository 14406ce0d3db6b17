"""Importing this package registers every page."""

from smslinks.pages import (  # noqa: F401
    api_keys,
    company,
    customers,
    employees,
    exports,
    home,
    imports,
    inbox,
    insights,
    invite,
    invoice_detail,
    invoice_editor,
    invoices,
    online_payments,
    pay,
    settings,
    setup,
    signin,
    tech,
    webhooks,
)
