"""`smslinks`: the admin command line for support staff and operators."""

import argparse
import sys

from smslinks.core import accounts
from smslinks.core.errors import DomainError
from smslinks.core.permissions import parse_permission
from smslinks.db import session_scope, upgrade_to_head


def _users_create(args) -> str:
    with session_scope() as session:
        business = accounts.the_business(session, args.business)
        employee = accounts.create_employee(
            session, business, args.email, args.password, args.name, args.role
        )
        return f"Created {employee.role} {employee.name} <{employee.email}>."


def _users_permission(args) -> str:
    granted = args.action == "grant"
    try:
        permission = parse_permission(args.permission)
    except ValueError as error:
        raise DomainError(str(error)) from None
    with session_scope() as session:
        employee = accounts.employee_by_email(session, args.email)
        accounts.change_permission(session, employee, permission, granted)
        verb = "Granted" if granted else "Revoked"
        return f'{verb} "{permission.value}" for {employee.email}.'


def _sms_links(args) -> str:
    available = args.state == "enable"
    with session_scope() as session:
        business = accounts.the_business(session, args.business)
        accounts.set_sms_links_available(session, business, available)
        state = "available to" if available else "no longer available to"
        return f"SMS invoice links are {state} {business.name}."


def _sms_registration(args) -> str:
    with session_scope() as session:
        business = accounts.the_business(session, args.business)
        accounts.set_sms_registration(session, business, args.status, args.number)
        number = business.default_sending_number or "no default sending number"
        return f"{business.name}: SMS registration {business.sms_registration_status}, {number}."


def _demo_load(_args) -> str:
    from smslinks import demo

    upgrade_to_head()
    with session_scope() as session:
        result = demo.load(session)
    if result.created:
        return "Demo data loaded. Sign in as admin@example.com (and others) with password " + demo.DEMO_PASSWORD
    return f"Demo data was already loaded; {result.jobs_moved_to_today} technician jobs moved to today."


def _db_upgrade(_args) -> str:
    upgrade_to_head()
    return "Database is at the latest migration."


def _dev(_args) -> str:
    from smslinks.sandbox.runner import run_dev

    run_dev()
    return ""


def _sandbox(_args) -> str:
    from smslinks.sandbox.runner import run_sandbox_only

    run_sandbox_only()
    return ""


def _worker(_args) -> str:
    from smslinks.worker import run_worker

    run_worker()
    return ""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smslinks", description=__doc__)
    parser.add_argument("--business", type=int, help="business id (when there are several)")
    commands = parser.add_subparsers(dest="command", required=True)

    users = commands.add_parser("users", help="employees and their permissions").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser("create", help="add an employee")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, help='e.g. Administrator, "Office employee", Technician')
    create.set_defaults(handler=_users_create)
    for action in ("grant", "revoke"):
        change = users.add_parser(action, help=f"{action} one permission to one employee")
        change.add_argument("--email", required=True)
        change.add_argument("--permission", required=True, help='e.g. "Enable Invoice SMS Text Link"')
        change.set_defaults(handler=_users_permission, action=action)

    account = commands.add_parser("account", help="account switches (Technical Support)").add_subparsers(
        dest="account_command", required=True
    )
    links = account.add_parser("sms-links", help="make SMS invoice links available to the account")
    links.add_argument("state", choices=["enable", "disable"])
    links.set_defaults(handler=_sms_links)
    registration = account.add_parser("sms-registration", help="record the SMS (10DLC) registration")
    registration.add_argument("--status", required=True, choices=["approved", "pending", "not_registered"])
    registration.add_argument("--number", help="default sending number, e.g. +15125550100")
    registration.set_defaults(handler=_sms_registration)

    demo = commands.add_parser("demo", help="demo data").add_subparsers(dest="demo_command", required=True)
    demo.add_parser("load", help="load the demo business (idempotent)").set_defaults(handler=_demo_load)

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply alembic migrations").set_defaults(handler=_db_upgrade)

    commands.add_parser("dev", help="sandbox servers + app with demo data (make run)").set_defaults(handler=_dev)
    commands.add_parser("sandbox", help="only the sandbox Twilio/Stripe/mail servers").set_defaults(
        handler=_sandbox
    )
    commands.add_parser(
        "worker", help="send queued texts and emails (run several on PostgreSQL if you like)"
    ).set_defaults(handler=_worker)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        message = args.handler(args)
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    if message:
        print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
