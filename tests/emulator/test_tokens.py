"""POST /app/installations/{id}/access_tokens: minted tokens, their formats and scopes."""

from __future__ import annotations

import base64
import json
import re
import threading
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests

from github_app_emulator import Emulator

from ..support.github import (
    CREATE_DOCS,
    MSG_NOT_ACCESSIBLE,
    MSG_NOT_GRANTED,
    REPO_INSTALLATION_DOCS,
    TOKENS,
    bearer,
    epoch,
    error_body,
    mint,
    new_token,
    sign,
    token_auth,
)
from ..support.openapi import validate_response


def _b64url_json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# ---- token formats ---------------------------------------------------------------------------


def test_stateless_tokens_by_default(gh: Emulator, http_session: requests.Session) -> None:
    assert gh.token_format == "stateless"
    tokens = [new_token(gh, http_session) for _ in range(12)]
    prefix = f"ghs_{gh.app_id}_"
    for token in tokens:
        assert token.startswith(prefix)
        header, claims, signature = token[len(prefix) :].split(".")
        assert _b64url_json(header)["alg"] == "RS256"
        assert _b64url_json(claims)["iid"] == gh.installation_id
        assert len(base64.urlsafe_b64decode(signature + "==")) == 256
        assert 450 <= len(token) <= 600
    assert len({len(t) for t in tokens}) > 1  # lengths vary: nothing may assume one
    listed = http_session.get(
        f"{gh.base_url}/installation/repositories", headers=token_auth(tokens[0])
    )
    assert listed.status_code == 200
    revoked = http_session.delete(f"{gh.base_url}/installation/token", headers=bearer(tokens[1]))
    assert revoked.status_code == 204 and gh.token_state(tokens[1]) == "revoked"


def test_legacy_tokens_under_an_option(http_session: requests.Session) -> None:
    with Emulator(token_format="legacy") as gh:
        token = new_token(gh, http_session)
        assert len(token) == 40 and token.startswith("ghs_") and token[4:].isalnum()
        assert gh.info()["token_format"] == "legacy"
        listed = http_session.get(
            f"{gh.base_url}/installation/repositories", headers=token_auth(token)
        )
        assert listed.status_code == 200


def test_token_format_is_checked() -> None:
    with pytest.raises(ValueError):
        Emulator(token_format="short")  # type: ignore[arg-type]


@pytest.mark.parametrize("tamper", ["drop-last", "add-char", "other-app"])
def test_tokens_are_found_by_exact_value(
    gh: Emulator, http_session: requests.Session, tamper: str
) -> None:
    token = new_token(gh, http_session)
    changed = {
        "drop-last": token[:-1],
        "add-char": token + "A",
        "other-app": token.replace(f"ghs_{gh.app_id}_", f"ghs_{gh.app_id + 1}_", 1),
    }[tamper]
    response = http_session.get(
        f"{gh.base_url}/installation/repositories", headers=token_auth(changed)
    )
    # A stateless token is JWT-shaped, but an unknown one is still just bad credentials.
    assert (response.status_code, response.json()) == (401, error_body("Bad credentials"))


@pytest.mark.parametrize("token_format", ["stateless", "legacy"])
def test_the_log_scrubs_both_formats(http_session: requests.Session, token_format: str) -> None:
    with Emulator(token_format=token_format) as gh:  # type: ignore[arg-type]
        token = new_token(gh, http_session)
        jwt_token = sign(gh)
        mint(gh, http_session, {"permissions": {}, "note": f"see {token}.", "jwt": jwt_token})
        http_session.get(f"{gh.base_url}/nope/{token}?t={token}", headers=token_auth(token))
        exported = http_session.get(f"{gh.base_url}/_emulator/log").text
        logged = repr(gh.requests) + exported
        pieces = [token, token[4:], *token[4:].split("."), jwt_token, *jwt_token.split(".")]
        for piece in pieces:
            assert piece not in logged
        scrubbed = {"permissions": {}, "note": "see [REDACTED]", "jwt": "[REDACTED]"}
        assert gh.requests[1].body == scrubbed


# ---- scopes and errors ---------------------------------------------------------------------


def test_token_unscoped_grants_everything(gh: Emulator, http_session: requests.Session) -> None:
    for body in (None, {"permissions": {}}):
        response = mint(gh, http_session, body)
        assert response.status_code == 201
        payload = response.json()
        validate_response("POST", TOKENS, 201, payload)
        assert payload["token"].startswith(f"ghs_{gh.app_id}_")
        assert payload["permissions"] == gh.permissions
        assert payload["repository_selection"] == "selected"
        assert "repositories" not in payload  # docs/github-behaviour.md §2
        assert response.headers["Cache-Control"] == "public, max-age=60, s-maxage=60"
        assert re.fullmatch(r'"[0-9a-f]{64}"', response.headers["ETag"])
        date = int(parsedate_to_datetime(response.headers["Date"]).timestamp())
        assert epoch(payload["expires_at"]) == date + 3600


def test_token_scoped_to_repositories(gh: Emulator, http_session: requests.Session) -> None:
    ids = {r["name"]: r["id"] for r in _installation_repos(gh, http_session)}
    body = {
        "repositories": ["INFRA"],
        "repository_ids": [ids["docs"]],
        "permissions": {"contents": "read", "issues": "write"},
    }
    response = mint(gh, http_session, body)
    assert response.status_code == 201
    payload = response.json()
    validate_response("POST", TOKENS, 201, payload)
    assert sorted(r["name"] for r in payload["repositories"]) == ["docs", "infra"]
    assert payload["permissions"] == {"contents": "read", "issues": "write"}
    assert payload["repository_selection"] == "selected"
    listed = http_session.get(
        f"{gh.base_url}/installation/repositories", headers=token_auth(payload["token"])
    ).json()
    assert sorted(r["full_name"] for r in listed["repositories"]) == [
        "octo-org/docs",
        "octo-org/infra",
    ]


def _installation_repos(gh: Emulator, session: requests.Session) -> list[dict[str, Any]]:
    token = new_token(gh, session)
    response = session.get(f"{gh.base_url}/installation/repositories", headers=token_auth(token))
    return response.json()["repositories"]


def test_repository_names_compare_case_insensitively(
    gh: Emulator, http_session: requests.Session
) -> None:
    installation = gh.add_installation("Case-Org", repositories=["Web-Site"])
    payload = mint(gh, http_session, {"repositories": ["wEB-sITE"]}, installation_id=installation)
    assert payload.status_code == 201, payload.text
    assert [r["full_name"] for r in payload.json()["repositories"]] == ["Case-Org/Web-Site"]
    response = http_session.get(
        f"{gh.base_url}/repos/case-org/WEB-SITE/installation", headers=bearer(sign(gh))
    )
    assert (response.status_code, response.json()["id"]) == (200, installation)


def test_all_repositories_installation(gh: Emulator, http_session: requests.Session) -> None:
    unscoped = mint(gh, http_session, installation_id=gh.user_installation_id).json()
    assert unscoped["repository_selection"] == "all"
    listed = http_session.get(
        f"{gh.base_url}/installation/repositories", headers=token_auth(unscoped["token"])
    ).json()
    validate_response("GET", "/installation/repositories", 200, listed)
    assert listed["repository_selection"] == "all" and listed["total_count"] == 3
    scoped = mint(
        gh, http_session, {"repositories": ["hello-world"]}, installation_id=gh.user_installation_id
    ).json()
    assert scoped["repository_selection"] == "selected"
    assert [r["name"] for r in scoped["repositories"]] == ["hello-world"]


def test_token_lifetime_is_settable(gh: Emulator, http_session: requests.Session) -> None:
    gh.token_lifetime = 120
    response = mint(gh, http_session)
    date = int(parsedate_to_datetime(response.headers["Date"]).timestamp())
    assert epoch(response.json()["expires_at"]) == date + 120
    with pytest.raises(ValueError):
        gh.token_lifetime = 0


def test_tokens_are_unique_under_concurrency(gh: Emulator) -> None:
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        with requests.Session() as session:
            for _ in range(5):
                token = new_token(gh, session)
                with lock:
                    results.append(token)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == len(set(results)) == 30
    assert len({gh.token_id(t) for t in results}) == 30
    assert sorted(gh.live_tokens()) == sorted(results)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        {"permissions": "invalid_data"},  # the recorded case
        {"permissions": {"contents": 1}},
        {"repositories": "infra"},
        {"repositories": [1]},
        {"repository_ids": ["1"]},
        {"repository_ids": [True]},
        ["infra"],
    ],
)
def test_problems_parsing_json(gh: Emulator, http_session: requests.Session, body: Any) -> None:
    response = mint(gh, http_session, body)
    assert response.status_code == 400
    assert response.json() == error_body("Problems parsing JSON", CREATE_DOCS)


def test_unknown_installation(gh: Emulator, http_session: requests.Session) -> None:
    response = mint(gh, http_session, {"permissions": {}}, installation_id=40432121)
    assert response.status_code == 404
    assert response.json() == error_body("Not Found", REPO_INSTALLATION_DOCS)
    validate_response("POST", TOKENS, 404, response.json())


def test_suspended_installation(gh: Emulator, http_session: requests.Session) -> None:
    response = mint(gh, http_session, installation_id=gh.suspended_installation_id)
    assert response.status_code == 403
    assert response.json() == error_body(
        "This installation has been suspended", CREATE_DOCS, status="403"
    )
    validate_response("POST", TOKENS, 403, response.json())
    assert gh.live_tokens() == []


@pytest.mark.parametrize(
    "permissions",
    [
        {"test-permissions": "read"},  # the recorded case: unknown name
        {"administration": "read"},  # known, not granted
        {"actions": "write"},  # granted read only
        {"contents": "admin"},  # above write (and outside the enum)
        {"contents": "execute"},
        {"workflows": "read"},  # spec: workflows takes "write" only
    ],
)
def test_permissions_not_granted(
    gh: Emulator, http_session: requests.Session, permissions: dict[str, str]
) -> None:
    response = mint(gh, http_session, {"permissions": permissions})
    assert response.status_code == 422
    assert response.json() == error_body(MSG_NOT_GRANTED, CREATE_DOCS)
    validate_response("POST", TOKENS, 422, response.json())


def test_set_permissions_changes_what_is_granted(
    gh: Emulator, http_session: requests.Session
) -> None:
    assert mint(gh, http_session, {"permissions": {"issues": "write"}}).status_code == 201
    gh.set_permissions(gh.installation_id, {"issues": "read", "metadata": "read"})
    assert gh.permissions == {"issues": "read", "metadata": "read"}
    assert mint(gh, http_session, {"permissions": {"issues": "write"}}).status_code == 422
    assert mint(gh, http_session).json()["permissions"] == {"issues": "read", "metadata": "read"}
    with pytest.raises(ValueError):
        gh.set_permissions(gh.installation_id, {"no_such_permission": "read"})


@pytest.mark.parametrize(
    "body",
    [
        {"repositories": ["website"]},  # exists in the org, not selected
        {"repositories": ["infra", "nope"]},
        {"repositories": ["octo-org/infra"]},  # names, not full names
        {"repository_ids": [999]},
    ],
)
def test_repository_not_accessible(gh: Emulator, http_session: requests.Session, body: Any) -> None:
    response = mint(gh, http_session, body)
    assert response.status_code == 422
    assert response.json() == error_body(MSG_NOT_ACCESSIBLE, CREATE_DOCS)


@pytest.mark.parametrize("field", ["repositories", "repository_ids"])
def test_more_than_500_repositories(
    gh: Emulator, http_session: requests.Session, field: str
) -> None:
    values: list[Any] = (
        [f"r{i}" for i in range(501)] if field == "repositories" else list(range(501))
    )
    response = mint(gh, http_session, {field: values})
    assert response.status_code == 422
    body = response.json()
    validate_response("POST", TOKENS, 422, body)
    assert body["message"] == "Validation Failed"
    assert body["errors"][0]["field"] == field
    # exactly 500 is allowed by size (then fails on existence, a different 422)
    at_limit = mint(gh, http_session, {field: values[:500]})
    assert at_limit.json()["message"] == MSG_NOT_ACCESSIBLE
