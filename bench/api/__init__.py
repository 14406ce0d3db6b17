"""Invoices upserted through the REST API (/api/v1) per second, and the time per request, with
concurrent clients on PostgreSQL.

    .venv/bin/python -m bench.api [--invoices 2000] [--clients 16] [--workers 2]

See __main__.py for what a run does.
"""
