import pytest
from sqlmodel import Session, func, select

from smslinks import cli, demo
from smslinks.core import auth
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
        assert zones == {
            "America/Chicago",
            "America/Denver",
            "America/Phoenix",
            "America/Los_Angeles",
            "America/New_York",
            "America/Toronto",
        }
        for location in session.exec(select(Location)).all():  # as demo data loaded before zones followed addresses
            location.time_zone = "America/Chicago"
            session.add(location)
        session.commit()
    assert run("demo", "load") == 0
    assert "6 locations' time zones set from their addresses" in capsys.readouterr().out
    with Session(get_engine()) as session:
        assert set(session.exec(select(Location.time_zone).distinct()).all()) == zones


@pytest.fixture
def user_password(monkeypatch):
    monkeypatch.setenv(cli.USER_PASSWORD_VARIABLE, "long-enough")


def test_users_create_and_grant(loaded, capsys, user_password):
    assert run("users", "create", "--email", "New@Example.com", "--name", "Nia New", "--role", "Dispatcher") == 0
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
        (["users", "create", "--email", "x@example.com", "--name", "X", "--role", "Wizard"], "Unknown role"),
        (["users", "create", "--email", "admin@example.com", "--name", "X", "--role", "Manager"], "already exists"),
        (
            ["users", "grant", "--email", "nobody@example.com", "--permission", "Enable Invoice SMS Text Link"],
            "No employee",
        ),
        (["users", "grant", "--email", "admin@example.com", "--permission", "Fly"], "Unknown permission"),
        (["account", "sms-registration", "--status", "approved", "--number", "12345"], "not a valid phone"),
    ],
)
def test_bad_input_is_a_clear_error_and_nonzero_exit(loaded, capsys, user_password, argv, message):
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


def test_a_password_never_comes_from_a_flag(loaded, capsys, monkeypatch):
    with pytest.raises(SystemExit):
        run("users", "create", "--email", "p@example.com", "--password", "long-enough", "--name", "P", "--role", "CSR")
    monkeypatch.delenv(cli.USER_PASSWORD_VARIABLE, raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    capsys.readouterr()
    assert run("users", "create", "--email", "p@example.com", "--name", "P", "--role", "Dispatcher") == 2
    assert f"Give p@example.com password in {cli.USER_PASSWORD_VARIABLE}" in capsys.readouterr().err


# ---------------------------------------------------------------- smslinks setup on a clean install

SETUP = [
    "setup",
    "--business",
    "Bluebonnet Plumbing",
    "--phone",
    "(800) 555-0199",
    "--email",
    "Office@Bluebonnet.example",
    "--street",
    "12 Congress Ave",
    "--city",
    "Austin",
    "--state",
    "TX",
    "--postal-code",
    "78701",
    "--admin-email",
    "Owner@Bluebonnet.example",
    "--admin-name",
    "Olive Owner",
]


@pytest.fixture
def setup_password(monkeypatch):
    monkeypatch.setenv(cli.SETUP_PASSWORD_VARIABLE, "a-long-password")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)


def test_setup_creates_the_business_and_its_administrator_once(app_env, capsys, setup_password):
    assert run("db", "upgrade") == 0
    assert run("users", "create", "--email", "x@example.com", "--name", "X", "--role", "CSR") == 2
    assert "There is no business yet. Run `smslinks setup`" in capsys.readouterr().err
    assert run(*SETUP) == 0
    assert (
        "Set up Bluebonnet Plumbing (America/Chicago). Olive Owner <owner@bluebonnet.example>"
        in capsys.readouterr().out
    )
    with Session(get_engine()) as session:
        business = session.exec(select(Business)).one()
        assert (business.phone, business.email, business.postal_code) == (
            "+18005550199",
            "office@bluebonnet.example",
            "78701",
        )
        owner = session.exec(select(Employee)).one()
        assert (owner.email, owner.role) == ("owner@bluebonnet.example", "Administrator")
        assert has_permission(session, owner, Permission.MANAGE_ONLINE_PAYMENTS)
        assert (
            auth.sign_in(session, "Owner@Bluebonnet.example", "a-long-password", client="cli-test").employee_id
            == owner.id
        )
    assert run(*SETUP) == 2
    assert "already has a business" in capsys.readouterr().err
    assert _count(Business) == 1


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"--phone": "12345"}, '--phone: "12345" is not a valid phone number.'),
        ({"--email": "nope"}, "--email: Enter the email address customers can write to."),
        ({"--postal-code": "00000"}, "--time-zone: Choose the time zone"),
        ({"--time-zone": "Mars/Olympus"}, '--time-zone: "Mars/Olympus" is not a time zone.'),
        ({"--admin-email": "owner"}, "'owner' is not an email address."),
    ],
)
def test_setup_refuses_bad_input_naming_the_flag_and_writes_nothing(app_env, capsys, setup_password, changes, message):
    argv = list(SETUP)
    for flag, value in changes.items():
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    assert run(*argv) == 2
    assert message in capsys.readouterr().err
    assert _count(Business) == 0 and _count(Employee) == 0


def test_setup_without_a_terminal_needs_every_detail(app_env, capsys, setup_password):
    assert run("setup", "--business", "Bluebonnet Plumbing") == 2
    assert "Give --phone (or run this in a terminal to be asked)." in capsys.readouterr().err
