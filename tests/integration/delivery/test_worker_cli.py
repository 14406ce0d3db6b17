"""`smslinks worker` in its own process sends what is queued and stops cleanly on SIGTERM."""

import os
import signal
import subprocess
import sys

from smslinks.config import PROJECT_ROOT
from tests.integration.delivery.support import enqueue, load, wait_for


def test_the_worker_process_sends_queued_texts(env, business, delivery_db_url):
    message_id = enqueue(env, business, "+15125550188")
    worker = subprocess.Popen(
        [sys.executable, "-m", "smslinks.cli", "worker"],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "DATABASE_URL": delivery_db_url,
            "SMSLINKS_PUBLIC_URL": env.settings.public_url,
            "SMSLINKS_SANDBOX_TWILIO_PORT": env.sandbox_url.rsplit(":", 1)[1],
            "SMSLINKS_DISPATCHER_POLL_SECONDS": "0.1",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: load(env, message_id).status == "delivered", timeout=30, what="delivered")
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0, output
    assert "outbox worker stopped" in output
    [at_twilio] = env.sandbox_messages_to("+15125550188")
    assert at_twilio.sid == load(env, message_id).provider_id
