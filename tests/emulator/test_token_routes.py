"""Routes an installation token authenticates: revoking it, listing its repositories."""

from __future__ import annotations

import requests

from github_app_emulator import Emulator

from ..support.github import (
    error_body,
    new_token,
    token_auth,
)
from ..support.openapi import validate_response


def test_revoke_with_the_token_itself(gh: Emulator, http_session: requests.Session) -> None:
    token, other = new_token(gh, http_session), new_token(gh, http_session)
    response = http_session.delete(f"{gh.base_url}/installation/token", headers=token_auth(token))
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response.headers
    validate_response("DELETE", "/installation/token", 204, None)
    assert gh.token_state(token) == "revoked" and gh.token_state(other) == "live"
    again = http_session.get(f"{gh.base_url}/installation/repositories", headers=token_auth(token))
    assert (again.status_code, again.json()) == (401, error_body("Bad credentials"))
    assert gh.live_tokens() == [other]
    assert gh.token_state("ghs_" + "0" * 36) == "unknown"


def test_revoke_all(gh: Emulator, http_session: requests.Session) -> None:
    tokens = [new_token(gh, http_session) for _ in range(2)]
    assert gh.revoke_all() == 2
    assert gh.revoke_all() == 0
    for token in tokens:
        response = http_session.get(
            f"{gh.base_url}/installation/repositories", headers=token_auth(token)
        )
        assert response.status_code == 401
        assert gh.token_state(token) == "revoked"


def test_list_repositories_paginates_with_link_headers(
    gh: Emulator, http_session: requests.Session
) -> None:
    names = [f"repo-{i}" for i in range(5)]
    installation = gh.add_installation("paged-org", repositories=names)
    token = new_token(gh, http_session, installation_id=installation)
    url = f"{gh.base_url}/installation/repositories"
    seen: list[str] = []
    next_url: str | None = f"{url}?per_page=2"
    pages = 0
    while next_url:
        response = http_session.get(next_url, headers=token_auth(token))
        assert response.status_code == 200
        body = response.json()
        validate_response("GET", "/installation/repositories", 200, body)
        assert body["total_count"] == 5 and body["repository_selection"] == "selected"
        seen += [r["name"] for r in body["repositories"]]
        pages += 1
        next_url = response.links.get("next", {}).get("url")
        if pages == 1:
            assert response.links["last"]["url"] == f"{url}?per_page=2&page=3"
            assert "prev" not in response.links
    assert pages == 3 and seen == names
    assert set(response.links) == {"prev", "first"}
    single = http_session.get(url, headers=token_auth(token))
    assert "Link" not in single.headers and len(single.json()["repositories"]) == 5


def test_conditional_get_returns_304(gh: Emulator, http_session: requests.Session) -> None:
    token = new_token(gh, http_session)
    url = f"{gh.base_url}/installation/repositories"
    first = http_session.get(url, headers=token_auth(token))
    assert first.headers["Cache-Control"] == "private, max-age=60, s-maxage=60"
    again = http_session.get(
        url, headers={**token_auth(token), "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.content == b""
