import pytest
from sqlmodel import Session

from smslinks.core.errors import NotAllowed
from smslinks.core.navigation import home_route, nav_items, safe_next, settings_sections
from smslinks.core.permissions import (
    ROLE_DEFAULTS,
    Permission,
    effective_permissions,
    has_permission,
    parse_permission,
    parse_role,
    require_permission,
    set_permission,
)
from smslinks.models import Employee, Role
from tests import factories


@pytest.mark.parametrize(
    "role, may_text",
    [
        (Role.ADMINISTRATOR, True),
        (Role.MANAGER, True),
        (Role.OFFICE_EMPLOYEE, True),
        (Role.ACCOUNTANT, True),
        (Role.BOOKKEEPER, False),
        (Role.DISPATCHER, True),
        (Role.CSR, True),
        (Role.TECHNICIAN, True),
    ],
)
def test_role_defaults_for_texting(session, role, may_text):
    business = factories.business(session)
    employee = factories.employee(session, business, role.value)
    assert has_permission(session, employee, Permission.SEND_INVOICE_SMS) is may_text


def test_only_admins_manage_online_payments_by_default(session):
    business = factories.business(session)
    for role in Role:
        employee = factories.employee(session, business, role.value)
        expected = role is Role.ADMINISTRATOR
        assert has_permission(session, employee, Permission.MANAGE_ONLINE_PAYMENTS) is expected


def test_technicians_see_assigned_jobs_not_the_invoice_list(session):
    business = factories.business(session)
    technician = factories.employee(session, business, "Technician")
    permissions = effective_permissions(session, technician)
    assert Permission.VIEW_ASSIGNED_JOBS in permissions
    assert Permission.VIEW_INVOICES not in permissions


def test_grant_and_revoke_override_the_role(session):
    business = factories.business(session)
    bookkeeper = factories.employee(session, business, "Bookkeeper")
    set_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS, True)
    assert has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)

    office = factories.employee(session, business, "Office employee")
    set_permission(session, office, Permission.SEND_INVOICE_SMS, False)
    assert not has_permission(session, office, Permission.SEND_INVOICE_SMS)
    # Setting it again is idempotent, and the last word wins.
    set_permission(session, office, Permission.SEND_INVOICE_SMS, False)
    set_permission(session, office, Permission.SEND_INVOICE_SMS, True)
    assert has_permission(session, office, Permission.SEND_INVOICE_SMS)


def test_inactive_employees_have_no_permissions(session):
    business = factories.business(session)
    admin = factories.employee(session, business, "Administrator", active=False)
    assert effective_permissions(session, admin) == frozenset()


def test_require_permission_names_the_missing_permission(session):
    business = factories.business(session)
    bookkeeper = factories.employee(session, business, "Bookkeeper")
    with pytest.raises(NotAllowed, match='"Enable Invoice SMS Text Link"'):
        require_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)


def test_parse_role_and_permission_accept_people_spellings():
    assert parse_role("office employee") is Role.OFFICE_EMPLOYEE
    assert parse_role("CSR") is Role.CSR
    assert parse_permission("enable invoice sms text link") is Permission.SEND_INVOICE_SMS
    with pytest.raises(ValueError, match="Unknown role"):
        parse_role("Wizard")
    with pytest.raises(ValueError, match="Unknown permission"):
        parse_permission("fly")


def test_navigation_follows_permissions():
    office = frozenset({Permission.VIEW_INVOICES, Permission.SEND_INVOICE_SMS})
    assert [i.label for i in nav_items(office)] == ["Invoices", "Customers", "Inbox"]
    assert home_route(office) == "/invoices"
    tech = frozenset({Permission.VIEW_ASSIGNED_JOBS})
    assert [i.label for i in nav_items(tech)] == ["My jobs"]
    assert home_route(tech) == "/tech"
    admin = frozenset(Permission) - {Permission.VIEW_ASSIGNED_JOBS}
    assert [i.label for i in nav_items(admin)] == ["Invoices", "Customers", "Inbox", "Jobs", "Insights", "Settings"]


def test_settings_panel_shows_only_the_sections_a_person_may_use():
    admin = frozenset(Permission) - {Permission.VIEW_ASSIGNED_JOBS}
    assert [(s.group, s.label) for s in settings_sections(admin)] == [
        ("Invoicing", "Online Payments"),
        ("Company", "Company profile"),
        ("Company", "Employees"),
        ("Integrations", "API keys"),
        ("Data", "Export"),
        ("Data", "Import"),
    ]
    employees_only = frozenset({Permission.MANAGE_EMPLOYEES})
    assert [s.href for s in settings_sections(employees_only)] == [
        "/settings/employees",
        "/settings/integrations/api-keys",
    ]
    assert [i.label for i in nav_items(employees_only)] == ["Settings"]
    assert home_route(employees_only) == "/settings"
    assert settings_sections(frozenset({Permission.VIEW_INVOICES})) == []
    assert [s.href for s in settings_sections(frozenset({Permission.MANAGE_COMPANY}))] == ["/settings/company"]
    # Webhooks are for administrators (the role), whatever their permissions.
    assert [(s.group, s.label) for s in settings_sections(admin, administrator=True)][3:5] == [
        ("Integrations", "API keys"),
        ("Integrations", "Webhooks"),
    ]
    assert [s.href for s in settings_sections(frozenset(), administrator=True)] == ["/settings/integrations/webhooks"]


def test_export_and_import_follow_their_permissions():
    assert [s.href for s in settings_sections(frozenset({Permission.EXPORT_DATA}))] == ["/settings/data/export"]
    # Importing creates customers and invoices: it takes both permissions.
    assert settings_sections(frozenset({Permission.MANAGE_CUSTOMERS})) == []
    assert settings_sections(frozenset({Permission.EDIT_INVOICES})) == []
    both = frozenset({Permission.MANAGE_CUSTOMERS, Permission.EDIT_INVOICES})
    assert [s.href for s in settings_sections(both)] == ["/settings/data/import"]


@pytest.mark.parametrize(
    "role, exports",
    [
        (Role.ADMINISTRATOR, True),
        (Role.MANAGER, True),
        (Role.ACCOUNTANT, True),
        (Role.BOOKKEEPER, True),
        (Role.OFFICE_EMPLOYEE, False),
        (Role.DISPATCHER, False),
        (Role.CSR, False),
        (Role.TECHNICIAN, False),
    ],
)
def test_exports_are_for_the_books_by_default(role, exports):
    assert (Permission.EXPORT_DATA in ROLE_DEFAULTS[role]) is exports


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/invoices/3", "/invoices/3"),
        ("//evil.example", None),
        ("https://evil.example", None),
        ("/\\evil", None),
        (None, None),
    ],
)
def test_post_sign_in_redirects_stay_on_site(path, expected):
    assert safe_next(path) == expected


def test_permissions_remembered_within_a_transaction_follow_every_change(session):
    """A send asks for the same permissions several times; what it is told must stay true."""
    business = factories.business(session)
    bookkeeper = factories.employee(session, business, Role.BOOKKEEPER.value)
    assert not has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)
    set_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS, True)  # same transaction
    assert has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)
    bookkeeper.active = False
    assert effective_permissions(session, bookkeeper) == frozenset()
    bookkeeper.active = True
    session.commit()

    # A revocation committed elsewhere is seen by the next transaction.
    assert has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)
    with Session(session.get_bind()) as elsewhere:
        set_permission(elsewhere, elsewhere.get(Employee, bookkeeper.id), Permission.SEND_INVOICE_SMS, False)
        elsewhere.commit()
    assert has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)  # this transaction's answer stands
    session.rollback()
    assert not has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)


def test_charging_saved_cards_is_given_by_default_to_whoever_may_refund():
    may_charge = {role for role, granted in ROLE_DEFAULTS.items() if Permission.CHARGE_SAVED_CARDS in granted}
    assert may_charge == {Role.ADMINISTRATOR, Role.MANAGER, Role.ACCOUNTANT}
    assert may_charge == {role for role, granted in ROLE_DEFAULTS.items() if Permission.REFUND_PAYMENTS in granted}


def test_remembered_permissions_outlive_a_savepoint_and_end_with_the_outer_transaction(session):
    business = factories.business(session)
    bookkeeper = factories.employee(session, business, Role.BOOKKEEPER.value)
    session.commit()
    assert not has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)  # remembered from here on
    with Session(session.get_bind()) as elsewhere:
        set_permission(elsewhere, elsewhere.get(Employee, bookkeeper.id), Permission.SEND_INVOICE_SMS, True)
        elsewhere.commit()
    with session.begin_nested():  # e.g. one row of an import
        factories.customer(session, business)
    assert not has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)  # the savepoint kept the answer
    bookkeeper.role = Role.OFFICE_EMPLOYEE.value
    assert has_permission(session, bookkeeper, Permission.VOID_INVOICES) is False  # a new role is asked afresh
    assert has_permission(session, bookkeeper, Permission.SCHEDULE_JOBS)
    bookkeeper.role = Role.BOOKKEEPER.value
    session.commit()
    assert has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)  # the grant committed elsewhere


def test_a_grant_undone_with_its_savepoint_is_forgotten(session):
    business = factories.business(session)
    bookkeeper = factories.employee(session, business, Role.BOOKKEEPER.value)
    session.commit()
    with pytest.raises(RuntimeError):
        with session.begin_nested():
            set_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS, True)
            assert has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)
            raise RuntimeError("the row failed")
    assert not has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)
