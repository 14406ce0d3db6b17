"""How the dispatcher is wired from settings, in the app backend and in `smslinks worker`."""

import asyncio
import fcntl
from concurrent.futures import ThreadPoolExecutor

import pytest

from smslinks import worker
from smslinks.config import Settings, get_settings


def run_for_at_most(seconds: float, coroutine) -> None:
    """Run the coroutine in a thread of its own (Playwright may own this thread's event loop)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, asyncio.wait_for(coroutine, timeout=seconds)).result()


@pytest.fixture
def settings_from_env(monkeypatch):
    def apply(**env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return get_settings()

    yield apply
    get_settings.cache_clear()


def test_the_in_process_dispatcher_can_be_switched_off(settings_from_env):
    settings_from_env(SMSLINKS_INPROCESS_DISPATCHER="false")
    run_for_at_most(5, worker.inprocess_dispatcher())


def test_the_in_process_dispatcher_keeps_running_when_on(settings_from_env, monkeypatch):
    settings_from_env(SMSLINKS_INPROCESS_DISPATCHER="true")
    passes = []

    class CountingDispatcher:
        def run_once(self, limit):
            passes.append(limit)
            return 0

    webhook_passes = []

    class CountingWebhookSender:
        def run_once(self, limit):
            webhook_passes.append(limit)
            return 0

    rollup_passes = []
    monkeypatch.setattr(worker, "rollup_once", lambda limit: rollup_passes.append(limit) or 0)
    monkeypatch.setattr(worker, "build_dispatcher", lambda settings: CountingDispatcher())
    monkeypatch.setattr(worker, "build_webhook_sender", lambda settings: CountingWebhookSender())
    monkeypatch.setattr(worker, "get_settings", lambda: Settings(dispatcher_poll_seconds=0.01))
    with pytest.raises(TimeoutError):
        run_for_at_most(0.5, worker.inprocess_dispatcher())
    assert len(passes) > 3 and set(passes) == {worker.INPROCESS_BATCH}
    # Webhooks have a loop of their own beside the texts'.
    assert len(webhook_passes) > 3 and set(webhook_passes) == {worker.INPROCESS_BATCH}
    # Insights' rollups are brought up to date at once, then every ROLLUP_EVERY.
    assert rollup_passes == [worker.INPROCESS_BATCH]


def test_one_backend_worker_per_machine_sends(monkeypatch, tmp_path):
    """While another worker of the app holds the sending turn, this one only waits for it."""
    settings = Settings(dispatcher_poll_seconds=0.01, database_url=f"sqlite:///{tmp_path / 'app.db'}")
    passes = []

    class CountingDispatcher:
        def run_once(self, limit):
            passes.append(limit)
            return 0

    rollup_passes = []
    monkeypatch.setattr(worker, "rollup_once", lambda limit: rollup_passes.append(limit) or 0)
    monkeypatch.setattr(worker, "build_dispatcher", lambda settings: CountingDispatcher())
    monkeypatch.setattr(worker, "build_webhook_sender", lambda settings: CountingDispatcher())
    monkeypatch.setattr(worker, "get_settings", lambda: settings)
    monkeypatch.setattr(worker, "SENDING_TURN_RETRY_SECONDS", 0.01)
    with open(worker.sending_turn_path(settings.database_url), "a") as other_worker:
        fcntl.flock(other_worker, fcntl.LOCK_EX)
        with pytest.raises(TimeoutError):
            run_for_at_most(0.5, worker.inprocess_dispatcher())
        assert passes == []
    with pytest.raises(TimeoutError):  # the other worker ended: this one takes over
        run_for_at_most(0.5, worker.inprocess_dispatcher())
    assert len(passes) > 3


def test_the_webhook_sender_comes_from_settings():
    sender = worker.build_webhook_sender(
        Settings(
            webhook_timeout_seconds=4,
            webhook_lease_seconds=30,
            webhook_concurrency=3,
            webhook_retry_base_seconds=7,
        )
    )
    policy = sender.policy
    assert (policy.timeout_seconds, policy.lease_seconds, policy.concurrency, policy.retry_base_seconds) == (
        4,
        30,
        3,
        7,
    )
    assert sender.poster.timeout_seconds == 4


def test_policy_comes_from_settings_and_grace_outlasts_the_twilio_timeout():
    settings = Settings(
        public_url="https://pay.example.com",
        twilio_timeout_seconds=90,
        dispatcher_sending_grace_seconds=60,
        twilio_messaging_service_sid="MG1",
        dispatcher_max_attempts=7,
    )
    policy = worker.policy_from(settings)
    assert policy.status_callback_url == "https://pay.example.com/webhooks/twilio/status"
    assert policy.sending_grace_seconds == 180
    assert (policy.messaging_service_sid, policy.max_attempts) == ("MG1", 7)
