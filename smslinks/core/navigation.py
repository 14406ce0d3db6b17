"""What each signed-in person may open, derived from their permissions."""

from dataclasses import dataclass

from smslinks import routes
from smslinks.core.permissions import IMPORT_PERMISSIONS, Permission


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    icon: str


@dataclass(frozen=True)
class SettingsSection:
    group: str
    label: str
    href: str


def settings_sections(permissions: frozenset[Permission], administrator: bool = False) -> list[SettingsSection]:
    """The settings side panel: only the sections this person may use (`administrator`: those only
    administrators have, see core.webhooks.may_manage)."""
    sections = []
    if Permission.MANAGE_ONLINE_PAYMENTS in permissions:
        sections.append(SettingsSection("Invoicing", "Online Payments", routes.SETTINGS_ONLINE_PAYMENTS))
    if Permission.MANAGE_COMPANY in permissions:
        sections.append(SettingsSection("Company", "Company profile", routes.SETTINGS_COMPANY))
    if Permission.MANAGE_EMPLOYEES in permissions:
        sections.append(SettingsSection("Company", "Employees", routes.SETTINGS_EMPLOYEES))
    if Permission.MANAGE_EMPLOYEES in permissions:  # a key acts like an employee: the same people grant it
        sections.append(SettingsSection("Integrations", "API keys", routes.SETTINGS_API_KEYS))
    if administrator:
        sections.append(SettingsSection("Integrations", "Webhooks", routes.SETTINGS_WEBHOOKS))
    if Permission.EXPORT_DATA in permissions:
        sections.append(SettingsSection("Data", "Export", routes.SETTINGS_EXPORT))
    if set(IMPORT_PERMISSIONS) <= permissions:
        sections.append(SettingsSection("Data", "Import", routes.SETTINGS_IMPORT))
    return sections


def nav_items(permissions: frozenset[Permission]) -> list[NavItem]:
    items = []
    if Permission.VIEW_INVOICES in permissions:
        items.append(NavItem("Invoices", routes.INVOICES, "receipt"))
        items.append(NavItem("Customers", routes.CUSTOMERS, "users"))
        items.append(NavItem("Inbox", routes.INBOX, "inbox"))
    if Permission.SCHEDULE_JOBS in permissions:
        items.append(NavItem("Jobs", routes.JOBS, "calendar"))
    if Permission.VIEW_INSIGHTS in permissions:
        items.append(NavItem("Insights", routes.INSIGHTS, "chart_column"))
    if Permission.VIEW_ASSIGNED_JOBS in permissions:
        items.append(NavItem("My jobs", routes.TECH_JOBS, "wrench"))
    if settings_sections(permissions):
        items.append(NavItem("Settings", routes.SETTINGS, "settings"))
    return items


def home_route(permissions: frozenset[Permission]) -> str:
    """Where a person lands after signing in."""
    if Permission.VIEW_INVOICES in permissions:
        return routes.INVOICES
    if Permission.VIEW_ASSIGNED_JOBS in permissions:
        return routes.TECH_JOBS
    if settings_sections(permissions):
        return routes.SETTINGS
    return routes.SIGN_IN


def safe_next(path: str | None) -> str | None:
    """Only same-site paths may be used as a post-sign-in destination (no open redirect)."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return None
