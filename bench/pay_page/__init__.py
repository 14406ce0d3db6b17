"""bench/pay_page: the customer pay page against a static copy of itself (see __main__.py)."""
