"""Settings > Employees: an administrator adds people (invitation link, temporary password),
changes a role, deactivates and reactivates; the new people's own first steps.

Only employees created here are changed: other modules rely on the demo staff."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, assert_fits, screenshot, sign_in

pytestmark = pytest.mark.e2e

INVITED = ("Ivy Invited", "ivy.invited@example.com")
TECH = ("Theo Temporary", "theo.temporary@example.com")
IVY_PASSWORD = "ivy-chose-this-one"
THEO_PASSWORD = "theo-chose-this-one"


def _employees_page(page: Page) -> None:
    sign_in(page, "admin@example.com")
    page.goto("/settings/employees")
    expect(page.get_by_role("heading", name="Employees")).to_be_visible()


def _add(page: Page, name: str, email: str, role: str, access: str):
    page.get_by_role("button", name="Add employee").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Email").fill(email)
    dialog.get_by_label("Role").click()
    page.get_by_role("option", name=role, exact=True).click()
    dialog.get_by_role("radio", name=re.compile(f"^{access}")).click()
    dialog.get_by_role("button", name="Add employee").click()
    expect(dialog.get_by_role("heading", name=f"{name} is added")).to_be_visible()
    secret = dialog.locator("#new-employee-secret")
    expect(secret).not_to_have_text("")
    return dialog, secret.inner_text().strip()


def _context(browser: Browser, base_url: str, viewport=DESKTOP):
    extra = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2} if viewport == PHONE else {}
    return browser.new_context(viewport=viewport, base_url=base_url, **extra)


def _try_sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_the_add_dialog_names_each_wrong_field_and_adds_nobody(desktop):
    _employees_page(desktop)
    desktop.get_by_role("button", name="Add employee").click()
    dialog = desktop.get_by_role("dialog")
    assert_fits(desktop, "employees-add-dialog-desktop", full_page=False)
    dialog.get_by_label("Name").fill("   ")
    dialog.get_by_label("Email").fill("admin@example.com")
    dialog.get_by_role("button", name="Add employee").click()
    expect(dialog.get_by_text("Give the employee a name.")).to_be_visible()
    expect(dialog.get_by_text("An employee with the email admin@example.com already exists.")).to_be_visible()
    dialog.get_by_label("Name").fill("Nobody Atall")
    dialog.get_by_label("Email").fill("nobody-at-all")
    dialog.get_by_role("button", name="Add employee").click()
    expect(dialog.get_by_text("nobody-at-all is not an email address.")).to_be_visible()
    expect(dialog.get_by_text("Give the employee a name.")).to_have_count(0)
    assert_fits(desktop, "employees-add-dialog-errors-desktop", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()
    expect(desktop.get_by_role("row").filter(has_text="Nobody Atall")).to_have_count(0)


def test_invited_employee_sets_a_password_and_lands_signed_in(desktop, browser, base_url):
    _employees_page(desktop)
    dialog, link = _add(desktop, *INVITED, "Office employee", "Invitation link")
    assert re.fullmatch(rf"{re.escape(base_url)}/invite/[A-Za-z0-9_-]{{22}}", link), link
    expect(dialog).to_contain_text("shown only now")
    assert_fits(desktop, "employees-invitation-link-desktop", full_page=False)
    dialog.get_by_role("button", name="Done").click()
    row = desktop.get_by_role("row").filter(has_text=INVITED[1])
    expect(row.get_by_text("Invited", exact=True)).to_be_visible()
    # Shown once: after a reload nothing on the page holds it.
    desktop.reload()
    expect(row).to_be_visible()
    assert link.rsplit("/", 1)[1] not in desktop.content()

    context = _context(browser, base_url, PHONE)
    new = context.new_page()
    new.goto(link)
    expect(new.get_by_role("heading", name="Welcome, Ivy Invited")).to_be_visible()
    new.get_by_label("New password", exact=True).fill(IVY_PASSWORD)
    new.get_by_label("New password again").fill(IVY_PASSWORD + "x")
    new.get_by_role("button", name="Set password and sign in").click()
    expect(new.get_by_text("The two passwords differ.")).to_be_visible()
    assert_fits(new, "invite-set-password-phone")
    new.get_by_label("New password again").fill(IVY_PASSWORD)
    new.get_by_role("button", name="Set password and sign in").click()
    expect(new).to_have_url(re.compile(r"/invoices$"))
    expect(new.get_by_role("heading", name="Invoices")).to_be_visible()
    context.close()

    # The link worked once.
    again = _context(browser, base_url)
    used = again.new_page()
    used.goto(link)
    expect(used.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    expect(used.get_by_role("alert")).to_contain_text("Ask your administrator for a new one.")
    assert_fits(used, "invite-unusable-desktop")
    used.goto("/invite/not-a-real-invitation-token")
    expect(used.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    again.close()
    desktop.reload()
    expect(row.get_by_text("Invited", exact=True)).to_have_count(0)


def test_technician_with_a_temporary_password_chooses_their_own_first(desktop, phone):
    _employees_page(desktop)
    dialog, password = _add(desktop, *TECH, "Technician", "Temporary password")
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password), password
    assert_fits(desktop, "employees-temporary-password-desktop", full_page=False)
    dialog.get_by_role("button", name="Done").click()
    expect(desktop.get_by_role("row").filter(has_text=TECH[1])).to_contain_text("Technician")

    sign_in(phone, TECH[1], password)
    expect(phone).to_have_url(re.compile(r"/account/password$"))
    expect(phone.get_by_role("heading", name="Choose your password")).to_be_visible()
    # Nothing else opens until then.
    phone.goto("/tech")
    expect(phone).to_have_url(re.compile(r"/account/password$"))
    phone.get_by_label("New password", exact=True).fill(password)
    phone.get_by_label("New password again").fill(password)
    phone.get_by_role("button", name="Save password and continue").click()
    expect(phone.get_by_text("Choose a password other than the temporary one.")).to_be_visible()
    assert_fits(phone, "choose-password-phone")
    phone.get_by_label("New password", exact=True).fill(THEO_PASSWORD)
    phone.get_by_label("New password again").fill(THEO_PASSWORD)
    phone.get_by_role("button", name="Save password and continue").click()
    expect(phone).to_have_url(re.compile(r"/tech$"))
    expect(phone.get_by_role("heading", name="Today's jobs")).to_be_visible()


def test_admin_changes_a_role_then_deactivates_and_reactivates_someone_signed_in(desktop, browser, base_url):
    _employees_page(desktop)
    _dialog, password = _add(
        desktop, "Dana Deactivated", "dana.deactivated@example.com", "Office employee", "Temporary password"
    )
    desktop.get_by_role("button", name="Done").click()
    row = desktop.get_by_role("row").filter(has_text="dana.deactivated@example.com")

    role = row.get_by_role("combobox", name="Role of Dana Deactivated")
    role.click()
    desktop.get_by_role("option", name="Manager", exact=True).click()
    expect(desktop.get_by_text("Dana Deactivated is now Manager.")).to_be_visible()
    expect(role).to_have_text("Manager")
    # Nobody changes their own role here.
    expect(desktop.get_by_role("combobox", name="Role of Avery Admin")).to_have_count(0)
    expect(desktop.get_by_role("button", name="Deactivate Avery Admin")).to_have_count(0)

    context = _context(browser, base_url)
    dana = context.new_page()
    sign_in(dana, "dana.deactivated@example.com", password)
    dana.get_by_label("New password", exact=True).fill("dana-own-password")
    dana.get_by_label("New password again").fill("dana-own-password")
    dana.get_by_role("button", name="Save password and continue").click()
    expect(dana).to_have_url(re.compile(r"/invoices$"))
    expect(dana.get_by_role("heading", name="Invoices")).to_be_visible()

    row.get_by_role("button", name="Deactivate Dana Deactivated").click()
    confirm = desktop.get_by_role("alertdialog")
    expect(confirm).to_contain_text("signed out everywhere at once")
    assert_fits(desktop, "employees-deactivate-confirm-desktop", full_page=False)
    confirm.get_by_role("button", name="Deactivate").click()
    expect(desktop.get_by_text("Dana Deactivated is deactivated and signed out everywhere.")).to_be_visible()
    expect(row.get_by_text("Deactivated", exact=True)).to_be_visible()
    expect(row.get_by_role("button", name="Reactivate Dana Deactivated")).to_be_visible()
    screenshot(desktop, "employees-list-desktop")

    # Dana's open session is over: the next page sends her to sign in, and sign-in says why.
    dana.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
    expect(dana).to_have_url(re.compile(r"/signin"))
    _try_sign_in(dana, "dana.deactivated@example.com", "dana-own-password")
    expect(dana.get_by_role("alert")).to_have_text(
        "Your account has been deactivated. Ask an administrator of your business if you need it back."
    )
    screenshot(dana, "signin-deactivated-desktop")

    row.get_by_role("button", name="Reactivate Dana Deactivated").click()
    expect(desktop.get_by_text("Dana Deactivated is active again and can sign in.")).to_be_visible()
    expect(row.get_by_role("button", name="Deactivate Dana Deactivated")).to_be_visible()
    sign_in(dana, "dana.deactivated@example.com", "dana-own-password")
    expect(dana).to_have_url(re.compile(r"/invoices$"))
    context.close()


def test_employees_page_and_add_dialog_on_a_phone(phone):
    _employees_page(phone)
    expect(phone.get_by_role("combobox", name="Role of Olivia Office")).to_be_visible()
    assert_fits(phone, "employees-list-phone")
    phone.get_by_role("button", name="Add employee").click()
    expect(phone.get_by_role("dialog").get_by_label("Name")).to_be_visible()
    assert_fits(phone, "employees-add-dialog-phone", full_page=False)
