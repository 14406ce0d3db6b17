"""`smslinks`: the admin command line for support staff and operators."""

import argparse
import getpass
import os
import sys

from pydantic import ValidationError

from smslinks.config import describe, get_settings
from smslinks.core import accounts, company
from smslinks.core.errors import DomainError
from smslinks.core.permissions import parse_permission
from smslinks.db import session_scope, upgrade_to_head
from smslinks.models import InvoiceStatus

# Errors listed at the terminal after an import (--errors-csv writes them all).
_ERRORS_SHOWN = 30
# Passwords never come from a flag (shell history, the process list): a prompt, or these variables.
SETUP_PASSWORD_VARIABLE = "SMSLINKS_SETUP_PASSWORD"
USER_PASSWORD_VARIABLE = "SMSLINKS_USER_PASSWORD"
# `smslinks setup` flags by the profile field they fill (for asking and for naming what is wrong).
_SETUP_FIELDS = {
    "name": ("--business", "Business name"),
    "phone": ("--phone", "Business phone (shown to customers)"),
    "email": ("--email", "Business email (customers' replies go there)"),
    "street": ("--street", "Street address"),
    "city": ("--city", "City"),
    "region": ("--state", "State or province"),
    "postal_code": ("--postal-code", "ZIP or postal code"),
    "time_zone": ("--time-zone", "Time zone (empty: from the postal code)"),
}


def _password(variable: str, who: str) -> str:
    """From the environment variable, else asked twice at the terminal."""
    if password := os.environ.get(variable):
        return password
    if not sys.stdin.isatty():
        raise DomainError(f"Give {who} password in {variable} (or run this in a terminal to be asked).")
    first = getpass.getpass(f"Password for {who}: ")
    if getpass.getpass("Again: ") != first:
        raise DomainError("The two passwords differ.")
    return first


def _ask(value: str | None, label: str, flag: str, required: bool = True) -> str:
    if value is not None:
        return value
    if sys.stdin.isatty():
        return input(f"{label}: ")
    if required:
        raise DomainError(f"Give {flag} (or run this in a terminal to be asked).")
    return ""


def _users_create(args) -> str:
    with session_scope() as session:
        business = accounts.the_business(session, args.business)
        password = _password(USER_PASSWORD_VARIABLE, args.email)
        employee = accounts.create_employee(session, business, args.email, password, args.name, args.role)
        return f"Created {employee.role} {employee.name} <{employee.email}>."


def _setup(args) -> str:
    upgrade_to_head()
    with session_scope() as session:
        if company.is_set_up(session):
            raise DomainError(company.ALREADY_SET_UP)
        optional = {"street", "city", "region", "postal_code", "time_zone"}
        profile = company.CompanyProfile(
            **{
                field: _ask(getattr(args, field), label, flag, required=field not in optional)
                for field, (flag, label) in _SETUP_FIELDS.items()
            }
        )
        try:
            company.checked(profile)
        except company.FieldErrors as errors:
            raise DomainError(
                "\n".join(f"{_SETUP_FIELDS[field][0]}: {why}" for field, why in errors.fields.items())
            ) from None
        admin_email = _ask(args.admin_email, "Administrator's email (their sign-in)", "--admin-email")
        admin_name = _ask(args.admin_name, "Administrator's name", "--admin-name")
        business, admin = company.set_up(
            session,
            profile,
            admin_email=admin_email,
            admin_name=admin_name,
            admin_password=_password(SETUP_PASSWORD_VARIABLE, admin_email.strip() or "the administrator"),
        )
        return (
            f"Set up {business.name} ({business.time_zone}). {admin.name} <{admin.email}> can sign in as its "
            "administrator; Settings > Invoicing > Online Payments switches texting on."
        )


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
    zones = (
        f" {result.zones_corrected} locations' time zones set from their addresses." if result.zones_corrected else ""
    )
    return f"Demo data was already loaded; {result.jobs_moved_to_today} technician jobs moved to today.{zones}"


def _db_upgrade(_args) -> str:
    upgrade_to_head()
    return "Database is at the latest migration."


def _invoice_numbers(args) -> list[str] | None:
    """The numbers given with --invoice-numbers (comma or space separated) and --from-file."""
    if args.invoice_numbers is None and args.from_file is None:
        return None
    numbers = (args.invoice_numbers or "").replace(",", " ").split()
    if args.from_file is not None:
        try:
            with open(args.from_file, encoding="utf-8") as lines:
                numbers += [line.split(",")[0].strip() for line in lines if line.strip() and not line.startswith("#")]
        except OSError as error:
            raise DomainError(f"Could not read {args.from_file}: {error.strerror}.") from None
    return numbers


def _send_links(args) -> str:
    from smslinks.core import bulk_send

    with session_scope() as session:
        employee = accounts.employee_by_email(session, args.as_email)
        pay_by = bulk_send.check_sender(session, employee, args.pay_by)
        numbers = bulk_send.select_invoices(
            session, employee, status=args.status, numbers=_invoice_numbers(args), limit=args.limit
        )
        if not numbers:
            return "No invoices match; nothing to send."
        results = bulk_send.send_links(session, employee, numbers, pay_by=pay_by)
        return _with_progress(results, len(numbers), f"Texting payment links as {employee.email}", args.skipped_csv)


def _with_progress(results, total: int, title: str, skipped_csv: str | None) -> str:
    """Drain the bulk send's results under a progress bar, then show the counts and skip reasons.
    Ctrl+C stops at once: the invoice in hand is rolled back (SystemExit leaves session_scope
    that way), those already texted stay texted."""
    import csv
    from collections import Counter

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Table

    from smslinks.core.bulk_send import Outcome

    console = Console()
    sent, skipped = 0, []
    interrupted = False
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sent {task.fields[sent]} · skipped {task.fields[skipped]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(title, total=total, sent=0, skipped=0)
        try:
            for result in results:
                if result.outcome is Outcome.SENT:
                    sent += 1
                else:
                    skipped.append(result)
                progress.update(task, advance=1, sent=sent, skipped=len(skipped))
        except KeyboardInterrupt:
            interrupted = True
    done = sent + len(skipped)
    console.print(
        f"{done} invoices: {sent} texted, {len(skipped)} skipped"
        + (f" ({total - done} not reached)" if done < total else "")
    )
    if skipped:
        table = Table()
        table.add_column("Skipped because")
        table.add_column("Invoices", justify="right")
        reasons = Counter(result.detail for result in skipped).most_common()
        for reason, count in reasons[:15]:
            table.add_row(reason, str(count))
        if len(reasons) > 15:
            table.add_row(f"({len(reasons) - 15} other reasons)", str(sum(count for _, count in reasons[15:])))
        console.print(table)
    if skipped_csv:
        with open(skipped_csv, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["invoice", "reason"])
            writer.writerows((result.number, result.detail) for result in skipped)
    if interrupted:
        console.print("Interrupted. Run the same command again to go on: invoices already texted are skipped.")
        raise SystemExit(130)
    return ""


def _export(args) -> str:
    """Stream the CSV to the file (UTF-8 with a BOM, as spreadsheets like it) or to standard output."""
    from smslinks.core import audit, exports

    date_range = exports.parse_range(args.start, args.end)
    kind = exports.ExportKind(args.kind)
    with session_scope() as session:
        business = accounts.the_business(session, args.business)
        if args.output is None:
            try:
                exports.write_export(session, business, kind, date_range, sys.stdout, actor=audit.SUPPORT_ACTOR)
                sys.stdout.flush()
            except BrokenPipeError:  # `| head`: the reader has what it wanted
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return ""
        try:
            with open(args.output, "w", newline="", encoding="utf-8-sig") as out:
                rows = exports.write_export(session, business, kind, date_range, out, actor=audit.SUPPORT_ACTOR)
        except OSError as error:
            raise DomainError(f"Could not write {args.output}: {error.strerror}.") from None
    print(f"Wrote {rows} {kind.value} to {args.output}.", file=sys.stderr)
    return ""


def _import(args) -> str:
    """Check and import a customers-and-invoices CSV with a progress bar; exit 1 when rows had errors."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from smslinks.core import imports

    try:
        with open(args.file, "rb") as source:
            data = source.read()
    except OSError as error:
        raise DomainError(f"Could not read {args.file}: {error.strerror}.") from None
    parsed = imports.parse(data)
    console = Console()
    with session_scope() as session:
        employee = imports.importer(session, accounts.the_business(session, args.business), args.as_email)
        employee_id, who = employee.id, f"{employee.name} <{employee.email}>"
        verb = "Checking" if args.dry_run else "Importing"
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
        )
        try:
            with Progress(*columns, console=console) as progress:
                task = progress.add_task(f"{verb} as {who}", total=parsed.rows)
                for outcome in imports.run(session, employee_id, parsed, write=not args.dry_run):
                    progress.update(task, completed=outcome.rows_done)
        except KeyboardInterrupt:
            console.print(
                "Interrupted: the batch in hand was rolled back. Run the same command again to go on "
                "(what was imported already stays as it is)."
            )
            raise SystemExit(130) from None
    _print_import(console, outcome, args)
    if outcome.errors:
        raise SystemExit(1)
    return ""


def _print_import(console, outcome, args) -> None:
    from rich.table import Table

    from smslinks.core import imports

    imported = outcome.rows - outcome.rows_with_errors
    if outcome.written:
        console.print(f"{outcome.rows} rows: {imported} imported, {outcome.rows_with_errors} with errors.")
    else:
        console.print(
            f"Dry run, nothing written. {outcome.rows} rows: {imported} would be imported, "
            f"{outcome.rows_with_errors} have errors."
        )
    counts = Table()
    for heading in ("", "created", "updated", "unchanged", "skipped (errors)"):
        counts.add_column(heading, justify="right" if heading else "left")
    for label, numbers in (("customers", outcome.customers), ("invoices", outcome.invoices)):
        counts.add_row(label, *(str(n) for n in (numbers.created, numbers.updated, numbers.unchanged, numbers.skipped)))
    console.print(counts)
    if outcome.errors:
        errors = Table(title="Errors (row 1 is the header)")
        for heading in ("row", "column", "error"):
            errors.add_column(heading)
        for error in outcome.errors[:_ERRORS_SHOWN]:
            errors.add_row(str(error.row), error.column, error.message)
        console.print(errors)
        if len(outcome.errors) > _ERRORS_SHOWN:
            console.print(
                f"{len(outcome.errors) - _ERRORS_SHOWN} more errors"
                + ("" if args.errors_csv else "; --errors-csv FILE writes them all.")
            )
    if args.errors_csv:
        try:
            with open(args.errors_csv, "w", newline="", encoding="utf-8") as out:
                out.write(imports.errors_csv(outcome.errors))
        except OSError as error:  # the import itself is done: say so, and keep its exit status
            console.print(f"Could not write {args.errors_csv}: {error.strerror}.")


def _dev(_args) -> str:
    from smslinks.sandbox.runner import run_dev

    run_dev()
    return ""


def _sandbox(_args) -> str:
    from smslinks.sandbox.runner import run_sandbox_only

    run_sandbox_only()
    return ""


def _api_keys_create(args) -> str:
    from smslinks.core import api_keys

    with session_scope() as session:
        new = api_keys.create_for_support(session, accounts.the_business(session, args.business), args.name)
        # The key alone on the last line, for scripts: it is not shown again.
        return f'Created API key "{new.name}" (id {new.id}). Keep it now; it is not shown again:\n{new.key}'


def _api_keys_list(args) -> str:
    from smslinks.core import api_keys

    with session_scope() as session:
        rows = api_keys.list_for_support(session, accounts.the_business(session, args.business))
        lines = [
            f"{row.id}\t{row.name}\t{row.prefix}\tcreated {row.created_at:%Y-%m-%d %H:%M}Z by {row.created_by}\t"
            + (
                f"revoked {row.revoked_at:%Y-%m-%d %H:%M}Z"
                if row.revoked_at
                else f"last used {row.last_used_at:%Y-%m-%d %H:%M}Z"
                if row.last_used_at
                else "never used"
            )
            for row in rows
        ]
        return "\n".join(lines) or "No API keys."


def _api_keys_revoke(args) -> str:
    from smslinks.core import api_keys

    with session_scope() as session:
        row = api_keys.revoke_for_support(session, accounts.the_business(session, args.business), args.id)
        return f'Revoked API key "{row.name}" ({row.prefix}…): requests with it now answer 401.'


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
    create = users.add_parser("create", help=f"add an employee (password: asked, or {USER_PASSWORD_VARIABLE})")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, help='e.g. Administrator, "Office employee", Technician')
    create.set_defaults(handler=_users_create)
    for action in ("grant", "revoke"):
        change = users.add_parser(action, help=f"{action} one permission to one employee")
        change.add_argument("--email", required=True)
        change.add_argument("--permission", required=True, help='e.g. "Enable Invoice SMS Text Link"')
        change.set_defaults(handler=_users_permission, action=action)

    setup = commands.add_parser(
        "setup",
        help="create the business and its first administrator on a new installation",
        description="Creates the business and its first administrator. Missing details are asked for at a "
        f"terminal; the administrator's password is asked for, or read from {SETUP_PASSWORD_VARIABLE}. "
        "Refuses when a business already exists.",
    )
    for field, (flag, label) in _SETUP_FIELDS.items():
        setup.add_argument(flag, dest=field, help=label)
    setup.add_argument("--admin-email", help="the administrator's sign-in email")
    setup.add_argument("--admin-name", help="the administrator's name")
    setup.set_defaults(handler=_setup)

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

    invoices = commands.add_parser("invoices", help="invoices").add_subparsers(dest="invoices_command", required=True)
    send_links = invoices.add_parser(
        "send-links",
        help="text payment links for many invoices, as one employee",
        description="Text each selected invoice's payment link to the first Mobile number on its customer's "
        "record, through the same rules as the office. Invoices that cannot be texted are skipped and "
        "counted with the reason. Safe to run again after an interruption: an invoice texted to that "
        "number in the last 24 hours is skipped.",
    )
    send_links.add_argument(
        "--as", dest="as_email", required=True, metavar="EMAIL", help="the employee sending (their permissions apply)"
    )
    send_links.add_argument(
        "--status", choices=[status.value for status in InvoiceStatus], help="only invoices in this status"
    )
    send_links.add_argument("--invoice-numbers", metavar="LIST", help='e.g. "1001,1002 1003"')
    send_links.add_argument("--from-file", metavar="PATH", help="invoice numbers, one per line (first CSV column)")
    send_links.add_argument("--limit", type=int, help="at most this many invoices")
    send_links.add_argument(
        "--pay-by", choices=["card", "ach"], help="what the link opens on (default: card if accepted)"
    )
    send_links.add_argument("--skipped-csv", metavar="PATH", help="write each skipped invoice and why to this file")
    send_links.set_defaults(handler=_send_links)

    keys = commands.add_parser("api-keys", help="keys for the REST API (/api/v1)").add_subparsers(
        dest="api_keys_command", required=True
    )
    create_key = keys.add_parser("create", help="make a key; it is printed once, alone on the last line")
    create_key.add_argument("--name", required=True, help='the system that will use it, e.g. "Accounting sync"')
    create_key.set_defaults(handler=_api_keys_create)
    keys.add_parser("list", help="the business's keys (never the keys themselves)").set_defaults(handler=_api_keys_list)
    revoke_key = keys.add_parser("revoke", help="stop a key at once")
    revoke_key.add_argument("id", type=int, help="the key's id (from list)")
    revoke_key.set_defaults(handler=_api_keys_revoke)

    export = commands.add_parser("export", help="payments or messages as CSV").add_subparsers(
        dest="export_command", required=True
    )
    for kind, what in (("payments", "payments started"), ("messages", "texts and emails queued")):
        one = export.add_parser(
            kind,
            help=f"{what} in a date range, as CSV",
            description=f"Writes the {what} from the first day to the last (the business's days, both "
            "included) as CSV, times in ISO 8601 with the business's UTC offset. Rows stream: any range fits.",
        )
        one.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD", help="first day")
        one.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD", help="last day (included)")
        one.add_argument("--output", metavar="FILE", help="write here (default: standard output)")
        one.set_defaults(handler=_export, kind=kind)

    importing = commands.add_parser(
        "import",
        help="customers and invoices from a CSV file",
        description="Checks every row of a customers-and-invoices CSV (one row per invoice line; the "
        "columns are in Settings > Data > Import, which offers a template), then imports the good rows in "
        "batches through the office's rules. Importing the same file again changes nothing. Exit status: "
        "0 every row imported, 1 some rows had errors (the others were imported), 2 the file or the "
        "command could not be used.",
    )
    importing.add_argument("file", metavar="FILE.csv")
    importing.add_argument("--dry-run", action="store_true", help="check every row and write nothing")
    importing.add_argument(
        "--as",
        dest="as_email",
        metavar="EMAIL",
        help="the employee importing (default: the first active administrator)",
    )
    importing.add_argument("--errors-csv", metavar="PATH", help="write every error (row, column, error) to this file")
    importing.set_defaults(handler=_import)

    commands.add_parser("dev", help="sandbox servers + app with demo data (make run)").set_defaults(handler=_dev)
    commands.add_parser("sandbox", help="only the sandbox Twilio/Stripe/mail servers").set_defaults(handler=_sandbox)
    commands.add_parser(
        "worker", help="send queued texts and emails (run several on PostgreSQL if you like)"
    ).set_defaults(handler=_worker)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "invoices" and args.status is None and args.invoice_numbers is None and args.from_file is None:
        parser.error("invoices send-links: choose invoices with --status, --invoice-numbers or --from-file")
    if getattr(args, "limit", None) is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    try:
        get_settings()  # half-set secrets stop every command before it starts
    except ValidationError as error:
        for line in describe(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2
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
