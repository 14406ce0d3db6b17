"""The running app (production build) with sandbox servers, driven by Playwright in Debian's Chromium."""

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from smslinks import demo
from smslinks.config import PROJECT_ROOT, Settings
from smslinks.core import accounts
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import Business
from smslinks.sandbox.runner import (
    CHROMIUM,
    CHROMIUM_ARGS,
    environ,
    free_port,
    free_ports_env,
    production_app,
    wait_for_http,
)

# Pages load and redirect over the websocket; on a busy 2-core machine that takes more than
# Playwright's default 5 s now and then.
expect.set_options(timeout=10_000)

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


@dataclass
class LiveApp:
    url: str
    env: dict[str, str]
    settings: Settings
    engine: object
    log_dir: Path

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def own_web_dir(work: Path) -> Path:
    """A .web of its own for an app beside live_app (which serves the project's; a build holds its
    app's URL), reusing the shared one's node packages when they are there."""
    web = work / "web"
    shared = PROJECT_ROOT / ".web"
    if (shared / "node_modules").is_dir():
        shutil.copytree(
            shared,
            web,
            symlinks=True,
            ignore=lambda folder, names: [n for n in names if n in ("node_modules", "build", ".react-router")],
        )
        (web / "node_modules").symlink_to(shared / "node_modules")
    return web


@pytest.fixture(scope="package")
def live_app(tmp_path_factory) -> Iterator[LiveApp]:
    """migrate + demo data + sandbox servers + `reflex run --env prod` on free ports. It stops, and its
    environment leaves this process, when the browser tests end: the tests after them would otherwise
    read its DATABASE_URL, and find its in-process sender holding that database's sending turn."""
    work = tmp_path_factory.mktemp("live")
    env = {
        **free_ports_env(free_port()),
        "DATABASE_URL": f"sqlite:///{work / 'smslinks.db'}",
        # Texts move quickly through the sandbox (queued -> sent -> delivered) and through the
        # app's in-process dispatcher. sandbox_servers gives the Twilio sandbox the app's inbound
        # webhook URL (Dev phone replies) and starts the mail sink on the SMTP port.
        "SMSLINKS_SANDBOX_TWILIO_STEP_SECONDS": "0.3",
        "SMSLINKS_DISPATCHER_POLL_SECONDS": "0.5",
        # Bank debits stay "processing" until a test posts the bank's answer as a signed event.
        "SMSLINKS_SANDBOX_ACH_SETTLE_SECONDS": "3600",
    }
    with environ(env):
        settings = Settings()
    upgrade_to_head(env["DATABASE_URL"])
    engine = make_engine(env["DATABASE_URL"])
    with Session(engine) as session:
        demo.load(session)
        session.commit()
    with environ(env), production_app(settings, work, env=env) as app:
        wait_for_http(f"{settings.public_url}/signin", app, timeout=120)
        yield LiveApp(url=settings.public_url, env=env, settings=settings, engine=engine, log_dir=work)
    engine.dispose()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="package")
def base_url(live_app) -> str:
    return live_app.url


FAILURES = SCREENSHOTS.parent / "failures"
_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


@contextmanager
def _evidence_if_failed(request, page: Page, name: str) -> Iterator[None]:
    """What the page showed and logged when its test failed (a flake in CI leaves more than a timeout);
    an uncaught script error fails a test that passed otherwise."""
    console: list[str] = []
    uncaught: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: uncaught.append(f"pageerror: {error}"))
    yield
    report = request.node.stash.get(_CALL_REPORT, None)
    if report is None or not report.failed or page.is_closed():
        assert not uncaught, f"[{name}] a script error on the page: {uncaught}"
        return
    console += uncaught
    FAILURES.mkdir(parents=True, exist_ok=True)
    stem = FAILURES / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}-{name}"
    page.screenshot(path=f"{stem}.png", full_page=True)
    print(f"\n[{name}] {page.url}; screenshot {stem}.png; console:\n" + "\n".join(console[-40:]))


@pytest.fixture(autouse=True)
def no_frontend_exception(request) -> Iterator[None]:
    """A script error in the app's pages (Reflex reports them to the server's log) fails the test that
    caused it: the customer or the office would have been left with a page that stopped working."""
    if "live_app" not in request.fixturenames:
        yield
        return
    log = request.getfixturevalue("live_app").log_dir / "app.log"
    start = log.stat().st_size if log.exists() else 0
    yield
    with log.open("rb") as reading:
        reading.seek(start)
        added = reading.read().decode(errors="replace")
    assert "[Reflex Frontend Exception]" not in added, added[added.index("[Reflex Frontend Exception]") :][:800]


@pytest.fixture
def desktop(request, browser, base_url) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, base_url=base_url)
    page = context.new_page()
    with _evidence_if_failed(request, page, "desktop"):
        yield page
    context.close()


@pytest.fixture
def phone(request, browser, base_url) -> Iterator[Page]:
    context = browser.new_context(
        viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    with _evidence_if_failed(request, page, "phone"):
        yield page
    context.close()


def sign_in(page: Page, email: str, password: str = demo.DEMO_PASSWORD) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/signin" not in url)


_ANIMATIONS_DONE = """() => Promise.all(document.getAnimations()
  .filter(a => a.effect && a.effect.getComputedTiming().iterations !== Infinity)
  .map(a => a.finished.catch(() => null)))"""

_OVERFLOWING = """() => {
  const width = window.innerWidth;
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width < 2 || box.height < 2 || style.visibility === 'hidden') continue;
    const name = `${el.tagName.toLowerCase()}.${el.className} "${(el.textContent || '').trim().slice(0, 40)}"`;
    if (box.left < -0.5 || box.right > width + 0.5) found.push(`sticks out: ${name}`);
    const clips = ['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis';
    if (clips && el.scrollWidth > el.clientWidth + 1) found.push(`cut off: ${name}`);
  }
  return found;
}"""


def settled(page: Page) -> None:
    """Wait for opening animations (a menu or dialog growing into place) before measuring."""
    page.evaluate(_ANIMATIONS_DONE)


def assert_fits(page: Page, name: str, *, full_page: bool = True) -> None:
    """No horizontal scrolling, nothing sticking out of the window or cut off. The screenshot is
    kept to look at: a page whole, a dialog or menu as the screen shows it (full_page=False)."""
    settled(page)
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), name
    assert page.evaluate(_OVERFLOWING) == [], name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def demo_settings(live_app: LiveApp, business: dict | None = None, settings: dict | None = None) -> Iterator[None]:
    """Set some fields of the demo business and of its Online Payments settings for a while, then
    put back what was there: test modules share one app and database."""
    wanted = {"business": business or {}, "settings": settings or {}}

    def apply(values: dict[str, dict]) -> dict[str, dict]:
        with live_app.session() as session:
            row = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
            rows = {"business": row, "settings": accounts.payment_settings(session, row.id)}
            before = {name: {key: getattr(rows[name], key) for key in fields} for name, fields in values.items()}
            for name, fields in values.items():
                for key, value in fields.items():
                    setattr(rows[name], key, value)
                session.add(rows[name])
            session.commit()
        return before

    before = apply(wanted)
    try:
        yield
    finally:
        apply(before)
