import pytest
from sqlmodel import Session, func, select

from smslinks import cli, demo
from smslinks.core.permissions import Permission, has_permission
from smslinks.db import get_engine
from smslinks.models import AuditEvent, Business, Customer, Employee, Invoice, Job, Location, PhoneNumber, SmsOptOut


def run(*argv):
    return cli.main(list(argv))


@pytest.fixture
def loaded(app_env, capsys):
    assert run("demo", "load") == 0
    capsys.readouterr()
    return app_env


def _count(model) -> int:
    with Session(get_engine()) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_demo_load_is_idempotent(loaded, capsys):
    counts = {model: _count(model) for model in (Business, Employee, Customer, Invoice, Job, PhoneNumber)}
    assert counts[Business] == 1 and counts[Employee] == len(demo.DEMO_STAFF)
    assert counts[Customer] == 50
    assert run("demo", "load") == 0
    assert "already loaded" in capsys.readouterr().out
    assert {model: _count(model) for model in counts} == counts


def test_demo_has_every_invoice_status_and_kind(loaded):
    with Session(get_engine()) as session:
        statuses = set(session.exec(select(Invoice.status).distinct()).all())
        kinds = set(session.exec(select(Invoice.kind).distinct()).all())
        types = set(session.exec(select(PhoneNumber.type).distinct()).all())
        opted_out = session.exec(select(func.count()).select_from(SmsOptOut)).one()
    assert statuses == {"draft", "open", "paid", "void"}
    assert kinds == {"job", "membership", "statement"}
    assert {"Mobile", "Home", "Work"} <= types
    assert opted_out >= 2


def test_demo_locations_take_their_zones_from_their_addresses(loaded, capsys):
    with Session(get_engine()) as session:
        zones = set(session.exec(select(Location.time_zone).distinct()).all())
        assert zones == {"America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
                         "America/New_York", "America/Toronto"}
        for location in session.exec(select(Location)).all():  # as demo data loaded before zones followed addresses
            location.time_zone = "America/Chicago"
            session.add(location)
        session.commit()
    assert run("demo", "load") == 0
    assert "6 locations' time zones set from their addresses" in capsys.readouterr().out
    with Session(get_engine()) as session:
        assert set(session.exec(select(Location.time_zone).distinct()).all()) == zones


def test_users_create_and_grant(loaded, capsys):
    assert run("users", "create", "--email", "New@Example.com", "--password", "long-enough",
               "--name", "Nia New", "--role", "Dispatcher") == 0
    assert "Created Dispatcher Nia New" in capsys.readouterr().out
    assert run("users", "revoke", "--email", "new@example.com", "--permission", "Enable Invoice SMS Text Link") == 0
    with Session(get_engine()) as session:
        nia = session.exec(select(Employee).where(Employee.email == "new@example.com")).one()
        assert not has_permission(session, nia, Permission.SEND_INVOICE_SMS)
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "permission.revoked")).first()
    assert run("users", "grant", "--email", "new@example.com", "--permission", "enable invoice sms text link") == 0
    with Session(get_engine()) as session:
        nia = session.exec(select(Employee).where(Employee.email == "new@example.com")).one()
        assert has_permission(session, nia, Permission.SEND_INVOICE_SMS)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["users", "create", "--email", "x@example.com", "--password", "long-enough", "--name", "X",
          "--role", "Wizard"], "Unknown role"),
        (["users", "create", "--email", "admin@example.com", "--password", "long-enough", "--name", "X",
          "--role", "Manager"], "already exists"),
        (["users", "grant", "--email", "nobody@example.com", "--permission", "Enable Invoice SMS Text Link"],
         "No employee"),
        (["users", "grant", "--email", "admin@example.com", "--permission", "Fly"], "Unknown permission"),
        (["account", "sms-registration", "--status", "approved", "--number", "12345"], "not a valid phone"),
    ],
)
def test_bad_input_is_a_clear_error_and_nonzero_exit(loaded, capsys, argv, message):
    assert run(*argv) != 0
    assert message in capsys.readouterr().err


def test_account_switches(loaded, capsys):
    assert run("account", "sms-links", "disable") == 0
    assert run("account", "sms-registration", "--status", "pending", "--number", "(512) 555-0177") == 0
    with Session(get_engine()) as session:
        business = session.exec(select(Business)).one()
        assert business.sms_links_available is False
        assert business.sms_registration_status == "pending"
        assert business.default_sending_number == "+15125550177"
        actions = set(session.exec(select(AuditEvent.action)).all())
    assert {"account.sms_links_available", "account.sms_registration"} <= actions
    assert run("account", "sms-links", "enable") == 0
    assert "available to Lone Star" in capsys.readouterr().out


def test_unknown_choices_exit_nonzero(loaded):
    with pytest.raises(SystemExit) as exited:
        run("account", "sms-registration", "--status", "maybe")
    assert exited.value.code != 0
