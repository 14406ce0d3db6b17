"""The sandbox servers take card numbers and answer anyone: they listen on this machine's loopback
only, and so does the app they serve when it runs in sandbox mode at a loopback address."""

import psutil

from smslinks.config import Settings
from smslinks.sandbox.runner import free_port, free_ports_env, sandbox_app_command, sandbox_servers

LOOPBACK = {"127.0.0.1", "::1"}


def _listening(ports: set[int]) -> set[str]:
    return {
        connection.laddr.ip
        for connection in psutil.net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port in ports
    }


def test_the_sandbox_servers_listen_on_loopback_only(monkeypatch):
    for name, value in free_ports_env(free_port()).items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    ports = {settings.sandbox_stripe_port, settings.sandbox_twilio_port, settings.sandbox_smtp_port}
    with sandbox_servers(settings):
        addresses = _listening(ports)
    assert "127.0.0.1" in addresses and addresses <= LOOPBACK


def test_the_app_listens_on_loopback_in_sandbox_mode_at_a_loopback_address(monkeypatch):
    monkeypatch.setenv("SMSLINKS_PUBLIC_URL", "http://localhost:3000")
    assert sandbox_app_command(Settings())[-2:] == ["--backend-host", "127.0.0.1"]
    # A phone on the office Wi-Fi trying the sandbox needs the app on the network; live keys too.
    monkeypatch.setenv("SMSLINKS_PUBLIC_URL", "http://192.168.1.20:3000")
    assert "--backend-host" not in sandbox_app_command(Settings())
