"""JWT-authenticated lookups: GET /app, an installation by id, by account, by repository."""

from __future__ import annotations

import re

import pytest
import requests

from github_app_emulator import Emulator

from ..support.github import (
    REPO_INSTALLATION_DOCS,
    bearer,
    error_body,
    mint,
    new_token,
    sign,
)
from ..support.openapi import validate_response


def test_get_app_is_a_valid_integration(gh: Emulator, http_session: requests.Session) -> None:
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)))
    assert response.status_code == 200
    body = response.json()
    validate_response("GET", "/app", 200, body)
    assert (body["id"], body["client_id"], body["slug"]) == (gh.app_id, gh.client_id, gh.app_slug)
    assert re.fullmatch(r"Iv1\.[0-9a-f]{16}", gh.client_id)
    assert body["installations_count"] == 3  # octo-org, octocat, frozen-org


def test_get_installation_variants_validate(gh: Emulator, http_session: requests.Session) -> None:
    template = "/app/installations/{installation_id}"
    for installation_id in (
        gh.installation_id,
        gh.user_installation_id,
        gh.suspended_installation_id,
    ):
        response = http_session.get(
            f"{gh.base_url}/app/installations/{installation_id}", headers=bearer(sign(gh))
        )
        assert response.status_code == 200
        validate_response("GET", template, 200, response.json())
    default, user, frozen = (
        http_session.get(f"{gh.base_url}/app/installations/{i}", headers=bearer(sign(gh))).json()
        for i in (gh.installation_id, gh.user_installation_id, gh.suspended_installation_id)
    )
    assert default["account"]["login"] == gh.account == "octo-org"
    assert (
        default["target_type"] == "Organization" and default["repository_selection"] == "selected"
    )
    assert default["permissions"] == gh.permissions
    assert user["account"]["type"] == "User" and user["repository_selection"] == "all"
    assert frozen["suspended_at"] is not None and frozen["suspended_by"]["login"] == "octocat"
    assert (
        default["access_tokens_url"]
        == f"{gh.base_url}/app/installations/{gh.installation_id}/access_tokens"
    )


@pytest.mark.parametrize(
    ("path", "template", "expected"),
    [
        ("/orgs/octo-org/installation", "/orgs/{org}/installation", "default"),
        ("/orgs/OCTO-ORG/installation", "/orgs/{org}/installation", "default"),
        ("/users/octocat/installation", "/users/{username}/installation", "user"),
        ("/users/Octo-Org/installation", "/users/{username}/installation", "default"),
        ("/repos/octo-org/Infra/installation", "/repos/{owner}/{repo}/installation", "default"),
        ("/repos/octocat/hello-world/installation", "/repos/{owner}/{repo}/installation", "user"),
    ],
)
def test_account_and_repo_lookups(
    gh: Emulator, http_session: requests.Session, path: str, template: str, expected: str
) -> None:
    response = http_session.get(gh.base_url + path, headers=bearer(sign(gh)))
    assert response.status_code == 200, response.text
    validate_response("GET", template, 200, response.json())
    wanted = gh.installation_id if expected == "default" else gh.user_installation_id
    assert response.json()["id"] == wanted


@pytest.mark.parametrize(
    ("path", "docs"),
    [
        ("/orgs/octocat/installation", REPO_INSTALLATION_DOCS),  # a User is not an org
        ("/orgs/nobody/installation", REPO_INSTALLATION_DOCS),
        (
            "/users/nobody/installation",
            "https://docs.github.com/rest/reference/apps#get-a-user-installation-for-the-authenticated-app",
        ),
        ("/repos/octo-org/website/installation", REPO_INSTALLATION_DOCS),  # not selected
        ("/repos/octo-org/nope/installation", REPO_INSTALLATION_DOCS),
        (
            "/app/installations/999999",
            "https://docs.github.com/rest/reference/apps#get-an-installation-for-the-authenticated-app",
        ),
        (
            "/app/installations/abc",
            "https://docs.github.com/rest/reference/apps#get-an-installation-for-the-authenticated-app",
        ),
    ],
)
def test_lookup_not_found(
    gh: Emulator, http_session: requests.Session, path: str, docs: str
) -> None:
    response = http_session.get(gh.base_url + path, headers=bearer(sign(gh)))
    assert response.status_code == 404
    assert response.json() == error_body("Not Found", docs)


def test_another_apps_installation_is_not_found(
    gh: Emulator, http_session: requests.Session
) -> None:
    other = gh.add_app("Other App")
    other_installation = gh.add_installation("other-org", repositories=["x"], app_id=other.app_id)
    other_jwt = sign(gh, pem=other.private_key_pem, iss=other.app_id)
    url = f"{gh.base_url}/app/installations/{{}}"
    assert (
        http_session.get(url.format(gh.installation_id), headers=bearer(other_jwt)).status_code
        == 404
    )
    assert mint(gh, http_session, jwt_token=other_jwt).status_code == 404
    assert (
        http_session.get(url.format(other_installation), headers=bearer(other_jwt)).status_code
        == 200
    )
    assert mint(gh, http_session, installation_id=other_installation).status_code == 404
    assert new_token(gh, http_session, installation_id=other_installation, jwt_token=other_jwt)
    app = http_session.get(f"{gh.base_url}/app", headers=bearer(other_jwt)).json()
    assert (app["id"], app["installations_count"]) == (other.app_id, 1)


def test_add_installation_for_a_user_with_all_repositories(
    gh: Emulator, http_session: requests.Session
) -> None:
    installation = gh.add_installation("monalisa", "User", permissions={"contents": "read"})
    response = http_session.get(
        f"{gh.base_url}/users/MonaLisa/installation", headers=bearer(sign(gh))
    )
    body = response.json()
    assert (body["id"], body["target_type"], body["repository_selection"]) == (
        installation,
        "User",
        "all",
    )
    assert body["permissions"] == {"contents": "read"}
    assert (
        http_session.get(
            f"{gh.base_url}/orgs/monalisa/installation", headers=bearer(sign(gh))
        ).status_code
        == 404
    )
    with pytest.raises(ValueError):
        gh.add_installation("monalisa", "User")  # one installation per app and account
