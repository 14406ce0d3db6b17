"""Crashes lose nothing: `smslinks worker` sends texts on PostgreSQL through the official Twilio SDK to
a slow sandbox Twilio while it is killed with SIGKILL and restarted; every text reaches Twilio
exactly once and ends delivered with its own sid. The run is bench.worker_crashes's (which does it
with 2,000 texts and 20 kills), smaller: a few kills, each soon after the worker starts sending, so
each restarted worker still finds texts to send."""

import time

import pytest

from bench.worker_crashes.harness import crash_stack, run

TEXTS = 200
KILLS = 3
# Seconds after a worker first talks to Twilio. A worker sends at most about 95 texts a second here
# (16 requests at once, 170 ms each on average): three lives this short leave texts queued or
# claimed and unfinished, so each restarted worker has work to do.
KILL_AFTER = (0.05, 0.5)


@pytest.fixture(scope="module")
def stack():
    with crash_stack() as stack:
        yield stack


def test_a_worker_killed_mid_send_loses_no_text_and_sends_none_twice(stack, tmp_path):
    outcome = run(
        stack, texts=TEXTS, kills=KILLS, kill_after=KILL_AFTER, log_path=tmp_path / "workers.log", seed=time.time_ns()
    )
    print("\n" + outcome.summary())
    assert outcome.worker_exit_code == 0, outcome.worker_log[-3000:]
    assert not outcome.lost and not outcome.twice
    assert outcome.wrong == {}
    # The kills hit work in progress.
    assert outcome.reclaimed > 0 and any(outcome.in_flight_at_kills)
