"""Twilio status callbacks and Stripe events ingested per second, through the app's real webhook
routes on PostgreSQL, with 10% duplicates and shuffled order; then checks nothing was lost or
applied twice.

    .venv/bin/python -m bench.webhooks [--texts 500] [--runs 3] [--concurrency 32] [--workers 2]

See __main__.py for what one run does.
"""
