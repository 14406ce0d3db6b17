"""A server with no business prints a one-time setup code at start (the app's lifespan task);
with a business (or the demo, as `smslinks dev` loads it) it prints nothing."""

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from smslinks import demo
from smslinks.core import company, setup_codes
from smslinks.db import get_engine, upgrade_to_head
from smslinks.first_run import setup_code_announcer
from smslinks.models import SetupCode

PRINTED = re.compile(r"No business yet: open (\S+)/setup and enter the setup code ([A-Z0-9]{4}-[A-Z0-9]{4})")


def _start(capsys) -> str:
    # A thread of its own: after the browser tests, Playwright's event loop runs in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, setup_code_announcer()).result()
    return capsys.readouterr().err


def test_a_clean_install_prints_a_code_that_opens_setup_once(app_env, capsys):
    upgrade_to_head(app_env)
    printed = PRINTED.search(_start(capsys))
    assert printed, "no setup code printed"
    code = printed.group(2)
    # Another process prints its own code; both are valid until setup succeeds.
    other = PRINTED.search(_start(capsys)).group(2)
    assert other != code
    with Session(get_engine(), expire_on_commit=False) as session:
        assert setup_codes.is_valid(session, code) and setup_codes.is_valid(session, other)
        company.set_up_with_code(
            session,
            code.lower(),
            company.CompanyProfile(
                name="Bluebonnet Plumbing", phone="5125550142", email="office@bluebonnet.example", postal_code="78701"
            ),
            admin_name="Rosa Diaz",
            admin_email="rosa@bluebonnet.example",
            admin_password="long-enough-pass",
            admin_password_again="long-enough-pass",
            client="127.0.0.1",
        )
        session.commit()
        assert session.exec(select(SetupCode)).first() is None
    assert "No business yet" not in _start(capsys)


def test_the_demo_server_prints_no_code(app_env, capsys):
    upgrade_to_head(app_env)
    with Session(get_engine()) as session:
        demo.load(session)
        session.commit()
    assert "setup code" not in _start(capsys)
    with Session(get_engine()) as session:
        assert session.exec(select(SetupCode)).first() is None


def test_an_unmigrated_database_does_not_stop_the_app(app_env, capsys, caplog):
    _start(capsys)  # no tables yet: logged, not raised
    assert "could not check for a business" in caplog.text
