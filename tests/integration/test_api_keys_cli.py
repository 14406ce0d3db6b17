"""`smslinks api-keys`: a key printed once (alone on the last line, for scripts), listed, revoked."""

from starlette.testclient import TestClient

from smslinks import cli
from smslinks.api import build_api
from smslinks.db import session_scope, upgrade_to_head
from tests import factories


def test_create_list_and_revoke(app_env, capsys):
    upgrade_to_head()
    with session_scope() as session:
        factories.business(session)

    assert cli.main(["api-keys", "create", "--name", "Nightly export"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("smsl_")
    client = TestClient(build_api(), headers={"Authorization": f"Bearer {key}"})
    assert client.get("/api/v1/invoices").status_code == 200

    assert cli.main(["api-keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Nightly export" in listed and key[:12] in listed and key not in listed
    assert "by Technical Support (CLI)" in listed
    key_id = listed.split("\t")[0]

    assert cli.main(["api-keys", "revoke", key_id]) == 0
    assert "requests with it now answer 401" in capsys.readouterr().out
    assert client.get("/api/v1/invoices").status_code == 401
    assert cli.main(["api-keys", "revoke", key_id]) == 2
    assert "revoked already" in capsys.readouterr().err
    assert cli.main(["api-keys", "create", "--name", " "]) == 2
    assert "Name the key" in capsys.readouterr().err
