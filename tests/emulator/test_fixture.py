"""A world the user shapes (app, accounts, repositories, installations) and a key that stays."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import requests

from github_app_emulator import Emulator, FixtureError
from github_app_emulator.fixture import DEFAULT
from github_app_emulator.fixture_file import load, override, parse, to_json

from ..support.github import bearer, sign

WORLD = {
    "app": {"id": 9001, "client_id": "Iv23liMyTestApp", "slug": "my-app",
            "permissions": {"contents": "write", "metadata": "read", "issues": "read"}},
    "accounts": [
        {"login": "my-org", "repositories": ["infra", {"name": "site", "private": False}]}
    ],
    "installations": [
        {"account": "my-org", "repositories": ["infra"], "permissions": {"contents": "read"},
         "id": 31337},
        {"account": "me", "type": "User", "repositories": "all"},
    ],
}


def test_a_shaped_world_is_served(http_session: requests.Session) -> None:
    with Emulator(fixture=WORLD) as gh:
        assert (gh.app_id, gh.client_id, gh.app_slug) == (9001, "Iv23liMyTestApp", "my-app")
        assert (gh.installation_id, gh.account, gh.repositories) == (31337, "my-org", ["infra"])
        assert gh.permissions == {"contents": "read"}
        assert gh.user_installation_id == 31338 and gh.suspended_installation_id is None
        info = gh.info()
        assert info["installation_id"] == 31337 and info["suspended_installation_id"] is None
        # The client ID signs as well as the app id (GitHub accepts either as `iss`).
        for issuer in (gh.app_id, gh.client_id):
            jwt_token = sign(gh, iss=issuer)
            found = http_session.get(f"{gh.base_url}/orgs/my-org/installation",
                                     headers=bearer(jwt_token)).json()
            assert found["id"] == 31337
        token = http_session.post(
            f"{gh.base_url}/app/installations/31337/access_tokens", headers=bearer(sign(gh)),
            json={"repositories": ["infra"]}).json()
        assert token["permissions"] == {"contents": "read"}
        site = http_session.get(f"{gh.base_url}/repos/my-org/site/installation",
                                headers=bearer(sign(gh)))
        assert site.status_code == 404  # owned, not given to the installation
        user = http_session.get(f"{gh.base_url}/users/me/installation", headers=bearer(sign(gh)))
        assert user.json()["repository_selection"] == "all"


def test_a_fixture_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    path.write_text(json.dumps(WORLD))
    with Emulator(fixture=path) as gh:
        assert gh.installation_id == 31337
    assert load(path) == parse(WORLD)


def test_left_out_members_keep_the_default() -> None:
    assert parse({}) == DEFAULT
    only_app = parse({"app": {"id": 7}})
    assert only_app.app.id == 7 and only_app.installations == DEFAULT.installations
    # Installations of one's own drop the default accounts (octo-org's repositories).
    own = parse({"installations": [{"account": "solo"}]})
    assert own.accounts == () and [i.account for i in own.installations] == ["solo"]


def test_the_json_form_reads_back() -> None:
    for world in (DEFAULT, parse(WORLD)):
        assert parse(json.loads(json.dumps(to_json(world)))) == world


def test_the_default_world_is_unchanged() -> None:
    """Existing stacks and tests rely on these ids and names."""
    with Emulator() as gh:
        assert (gh.app_id, gh.installation_id, gh.user_installation_id,
                gh.suspended_installation_id) == (123, 456, 457, 458)
        assert (gh.account, gh.repositories) == ("octo-org", ["infra", "app", "docs"])


def test_flags_shape_the_first_installation() -> None:
    shaped = override(DEFAULT, app_id=5, client_id="Iv1.x", account="acme",
                      repositories=("api",), permissions={"contents": "read"})
    assert (shaped.app.id, shaped.app.client_id, shaped.app.permissions) == (
        5, "Iv1.x", {"contents": "read"})
    first = shaped.installations[0]
    assert (first.account, first.repositories, first.permissions) == (
        "acme", ("api",), {"contents": "read"})
    assert shaped.accounts[0].login == "acme"  # renamed everywhere, repositories kept
    assert override(DEFAULT, repositories="all").installations[0].repositories is None
    with Emulator(fixture=override(DEFAULT, account="acme")) as gh:
        assert gh.account == "acme" and gh.repositories == ["infra", "app", "docs"]


@pytest.mark.parametrize(("raw", "where"), [
    ([], "fixture"),
    ({"apps": {}}, "fixture.apps"),
    ({"app": {"id": True}}, "fixture.app.id"),
    ({"app": {"id": 0}}, "fixture.app.id"),
    ({"app": {"client_id": "12345"}}, "fixture.app.client_id"),
    ({"app": {"slug": "My App"}}, "fixture.app.slug"),
    ({"app": {"permissions": {"contnets": "read"}}}, "fixture.app.permissions"),
    ({"app": {"permissions": {"contents": "admin"}}}, "fixture.app.permissions"),
    ({"app": {"permissions": ["contents"]}}, "fixture.app.permissions"),
    ({"app": {"owner": "-bad-"}}, "fixture.app.owner"),
    ({"installations": []}, "fixture.installations"),
    ({"installations": [{}]}, "fixture.installations[0].account"),
    ({"installations": [{"account": "a", "repositories": []}]},
     "fixture.installations[0].repositories"),
    ({"installations": [{"account": "a", "repositories": ["../x"]}]},
     "fixture.installations[0].repositories[0]"),
    ({"installations": [{"account": "a", "type": "Team"}]}, "fixture.installations[0].type"),
    ({"installations": [{"account": "a"}, {"account": "A"}]}, "installations"),
    ({"installations": [{"account": "a", "id": 7}, {"account": "b", "id": 7}]}, "installations"),
    ({"installations": [{"account": "a", "suspended": True}]},
     "fixture.installations[0].suspended"),
    ({"accounts": [{"repositories": []}]}, "fixture.accounts[0].login"),
    ({"accounts": [{"login": "a", "repositories": ["x", "X"]}]},
     "fixture.accounts[0].repositories"),
    ({"accounts": [{"login": "a", "repositories": [{"name": "x", "private": "no"}]}]},
     "fixture.accounts[0].repositories[0].private"),
])
def test_a_mistake_is_one_message_naming_where(raw: Any, where: str) -> None:
    with pytest.raises(FixtureError) as caught:
        parse(raw)
    message = str(caught.value)
    assert message.startswith(f"{where}: ") and "\n" not in message


def test_an_id_taken_by_an_earlier_installation_is_a_fixture_error() -> None:
    with pytest.raises(FixtureError, match="exists already"):
        Emulator(fixture={"installations": [{"account": "a"}, {"account": "b", "id": 456}]})


def test_an_unreadable_or_broken_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="could not be read"):
        load(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"app":\n  {"id": 1,}\n}')
    with pytest.raises(FixtureError, match=r"not JSON \(line 2\)"):
        load(broken)
    broken.write_text("[" * 50_000)  # as deep as the parser would recurse until it failed
    with pytest.raises(FixtureError, match="nests more than 64 levels"):
        load(broken)


# ---- the key file ------------------------------------------------------------------------------


def test_a_key_file_is_made_once_then_kept(tmp_path: Path) -> None:
    path = tmp_path / "app.pem"
    with Emulator(key_file=path) as first:
        pem, client_id = first.private_key_pem, first.client_id
        assert first.key_file == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == pem
    with Emulator(key_file=path) as again:
        assert (again.private_key_pem, again.client_id) == (pem, client_id)
        assert requests.get(f"{again.base_url}/app", headers=bearer(sign(again)),
                            timeout=10).status_code == 200
    with Emulator() as other:  # a new key, so another client ID
        assert other.client_id != client_id


def test_a_pkcs8_key_file_is_used(tmp_path: Path) -> None:
    with Emulator() as source:
        pkcs8 = source.add_key()
    path = tmp_path / "pkcs8.pem"
    path.write_text(pkcs8)
    with Emulator(key_file=path) as gh:
        assert requests.get(f"{gh.base_url}/app", headers=bearer(sign(gh)),
                            timeout=10).status_code == 200
    assert path.read_text() == pkcs8  # never rewritten


@pytest.mark.parametrize("content", [b"not a key", b"\xff\xfe", b""])
def test_a_key_file_that_is_not_a_key_is_refused_without_quoting_it(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "app.pem"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="key file") as caught:
        Emulator(key_file=path)
    assert "not a key" not in str(caught.value)
    assert path.read_bytes() == content


def test_a_key_file_in_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="could not be created"):
        Emulator(key_file=tmp_path / "nope" / "app.pem")
