"""The GitHub emulator over real HTTP, checked against GitHub's spec and BEHAVIOUR.md.

JWTs are signed here with PyJWT directly: the package's own client is deliberately not used,
so a bug shared by client and emulator cannot hide.
"""

from __future__ import annotations

import calendar
import functools
import http.client
import json
import os
import re
import select
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import jsonschema
import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import github_app_emulator as emulator_package
from github_app_emulator import Emulator, RequestRecord

from .support.openapi import validate_response

REST = "https://docs.github.com/rest"
CREATE_DOCS = (
    "https://docs.github.com/rest/reference/apps#create-an-installation-access-token-for-an-app"
)
REPO_INSTALLATION_DOCS = "https://docs.github.com/rest/reference/apps#get-a-repository-installation-for-the-authenticated-app"
TOKENS = "/app/installations/{installation_id}/access_tokens"
MSG_EXP = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future time "
    "at which the assertion expires"
)
MSG_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future"
MSG_IAT = (
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion "
    "was issued"
)
MSG_UNDECODABLE = "A JSON web token could not be decoded"
MSG_NOT_GRANTED = "The permissions requested are not granted to this installation."
MSG_NOT_ACCESSIBLE = (
    "There is at least one repository that does not exist or is not accessible to the "
    "parent installation."
)


# ---- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture
def gh() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def http_session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def sign(
    gh: Emulator,
    *,
    pem: str | None = None,
    iss: Any = "app",
    iat: float = -60,
    exp: float = 540,
    algorithm: str = "RS256",
    drop: tuple[str, ...] = (),
) -> str:
    """A JWT like a GitHub App client makes; times are offsets from the emulator clock."""
    now = int(gh.now())
    claims: dict[str, Any] = {"iat": now + iat, "exp": now + exp, "iss": str(gh.app_id)}
    if iss != "app":
        claims["iss"] = iss
    for name in drop:
        claims.pop(name)
    key: Any = _private_key(pem or gh.private_key_pem)
    if algorithm.startswith("HS"):
        key = "a-shared-secret-that-is-long-enough-for-hs256"
    elif algorithm == "none":
        key = None
    # PyJWS signs raw claims: PyJWT's encode() refuses a numeric `iss`, which GitHub accepts.
    return jwt.PyJWS().encode(json.dumps(claims).encode(), key, algorithm=algorithm)


@functools.lru_cache(maxsize=64)
def _private_key(pem: str) -> Any:
    # Loading a PEM validates the RSA key (~30 ms); cache it so signing stays cheap.
    return serialization.load_pem_private_key(pem.encode("ascii"), password=None)


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def token_auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


def mint(
    gh: Emulator, session: requests.Session, body: Any = None, **kwargs: Any
) -> requests.Response:
    installation_id = kwargs.pop("installation_id", gh.installation_id)
    url = f"{gh.base_url}/app/installations/{installation_id}/access_tokens"
    headers = bearer(kwargs.pop("jwt_token", None) or sign(gh))
    if isinstance(body, (bytes, str)):
        return session.post(url, data=body, headers=headers, **kwargs)
    return session.post(url, json=body, headers=headers, **kwargs)


def new_token(gh: Emulator, session: requests.Session, body: Any = None, **kwargs: Any) -> str:
    response = mint(gh, session, body, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def error_body(message: str, docs: str = REST, **extra: str) -> dict[str, str]:
    return {"message": message, "documentation_url": docs, **extra}


def epoch(rfc3339: str) -> int:
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


def foreign_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")


# ---- the spec helper itself can fail --------------------------------------------------------


def test_validate_response_rejects_bodies_the_spec_forbids() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate_response("POST", TOKENS, 201, {"expires_at": "2016-07-11T22:14:10Z"})
    with pytest.raises(jsonschema.ValidationError):  # enum of app-permissions
        validate_response(
            "POST",
            TOKENS,
            201,
            {"token": "t", "expires_at": "x", "permissions": {"contents": "admin"}},
        )
    with pytest.raises(LookupError):
        validate_response("POST", TOKENS, 400, {"message": "Problems parsing JSON"})
    with pytest.raises(jsonschema.ValidationError):
        validate_response("DELETE", "/installation/token", 204, {"unexpected": True})


def test_validate_response_turns_nullable_into_null_unions(
    gh: Emulator, http_session: requests.Session
) -> None:
    url = f"{gh.base_url}/app/installations/{gh.installation_id}"
    body = http_session.get(url, headers=bearer(sign(gh))).json()
    assert body["suspended_at"] is None and body["suspended_by"] is None
    validate_response("GET", "/app/installations/{installation_id}", 200, body)
    with pytest.raises(jsonschema.ValidationError):
        validate_response(
            "GET", "/app/installations/{installation_id}", 200, {**body, "suspended_at": 12}
        )


# ---- lookups (JWT) --------------------------------------------------------------------------


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


# ---- POST access_tokens: success ------------------------------------------------------------


def test_token_unscoped_grants_everything(gh: Emulator, http_session: requests.Session) -> None:
    for body in (None, {"permissions": {}}):
        response = mint(gh, http_session, body)
        assert response.status_code == 201
        payload = response.json()
        validate_response("POST", TOKENS, 201, payload)
        assert payload["token"].startswith(f"ghs_{gh.app_id}_")
        assert payload["permissions"] == gh.permissions
        assert payload["repository_selection"] == "selected"
        assert "repositories" not in payload  # BEHAVIOUR.md §2
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


# ---- POST access_tokens: errors -------------------------------------------------------------


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


# ---- JWT checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"drop": ("iss",)}, 401, "Missing 'issuer' claim ('iss') in assertion"),
        ({"iss": "my-app"}, 401, "'Issuer' claim ('iss') must be an Integer"),
        ({"iss": "Iv1.0123456789abcdef"}, 401, "'Issuer' claim ('iss') must be an Integer"),
        ({"iss": 99999}, 404, "Integration not found"),
        ({"iss": "99999"}, 404, "Integration not found"),
        ({"pem": "foreign"}, 401, MSG_UNDECODABLE),
        ({"algorithm": "none"}, 401, MSG_UNDECODABLE),
        ({"algorithm": "HS256"}, 401, MSG_UNDECODABLE),
        ({"exp": -1, "iat": -120}, 401, MSG_EXP),
        ({"drop": ("exp",)}, 401, MSG_EXP),
        ({"exp": 700}, 401, MSG_TOO_FAR),
        ({"iat": 60}, 401, MSG_IAT),
        ({"drop": ("iat",)}, 401, MSG_IAT),
    ],
)
@pytest.mark.parametrize("path", ["/app", "/app/installations/456/access_tokens"])
def test_jwt_rejections(
    gh: Emulator,
    http_session: requests.Session,
    kwargs: dict[str, Any],
    status: int,
    message: str,
    path: str,
) -> None:
    if kwargs.get("pem") == "foreign":
        kwargs = {**kwargs, "pem": foreign_pem()}
    method = "POST" if path.endswith("access_tokens") else "GET"
    response = http_session.request(method, gh.base_url + path, headers=bearer(sign(gh, **kwargs)))
    assert response.status_code == status
    assert response.json() == error_body(message)
    assert parsedate_to_datetime(response.headers["Date"])  # clients use it to measure skew


@pytest.mark.parametrize(
    "garbage", ["a.b.c", "eyJhbGciOiJSUzI1" + "NiJ9.bm90IGpzb24.c2ln", "x.y.z"]
)
def test_garbage_jwt(gh: Emulator, http_session: requests.Session, garbage: str) -> None:
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(garbage))
    assert (response.status_code, response.json()) == (401, error_body(MSG_UNDECODABLE))


def test_jwt_time_limits_and_issuer_forms(gh: Emulator, http_session: requests.Session) -> None:
    url = f"{gh.base_url}/app"
    for kwargs in (
        {"exp": 600, "iat": 0},
        {"iss": gh.client_id},
        {"iss": str(gh.app_id)},
        {"iss": gh.app_id},
    ):
        response = http_session.get(url, headers=bearer(sign(gh, **kwargs)))
        assert response.status_code == 200, (kwargs, response.text)
    # the `token` scheme is accepted for JWTs too
    assert http_session.get(url, headers=token_auth(sign(gh))).status_code == 200
    assert new_token(gh, http_session, jwt_token=sign(gh, iss=gh.client_id))


def test_several_keys_per_app(gh: Emulator, http_session: requests.Session) -> None:
    second = gh.add_key()
    pkcs8, pkcs1 = "PRIVATE KEY", "RSA PRIVATE KEY"  # no key-shaped literals in the repository
    assert second.startswith(f"-----BEGIN {pkcs8}-----")
    assert gh.private_key_pem.startswith(f"-----BEGIN {pkcs1}-----")
    url = f"{gh.base_url}/app"
    assert http_session.get(url, headers=bearer(sign(gh, pem=second))).status_code == 200
    assert http_session.get(url, headers=bearer(sign(gh))).status_code == 200
    gh.remove_key(second)
    removed = http_session.get(url, headers=bearer(sign(gh, pem=second)))
    assert (removed.status_code, removed.json()["message"]) == (401, MSG_UNDECODABLE)
    assert http_session.get(url, headers=bearer(sign(gh))).status_code == 200
    with pytest.raises(ValueError):
        gh.remove_key(second)
    gh.remove_key(gh.private_key_pem)  # no key left at all
    none_left = http_session.get(url, headers=bearer(sign(gh)))
    assert (none_left.status_code, none_left.json()["message"]) == (
        401,
        "Integration must generate a public key",
    )


# ---- the clock ------------------------------------------------------------------------------


def test_shift_clock_moves_date_and_jwt_checks(
    gh: Emulator, http_session: requests.Session
) -> None:
    signed_now = sign(gh)
    before = gh.now()
    gh.shift_clock(3600)
    gh.shift_clock(600)  # cumulative
    assert gh.now() - before == pytest.approx(4200, abs=2)
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(signed_now))
    assert (response.status_code, response.json()["message"]) == (401, MSG_EXP)
    date = parsedate_to_datetime(response.headers["Date"]).timestamp()
    assert date == pytest.approx(time.time() + 4200, abs=3)
    gh.shift_clock(-4200 - 600)  # emulator now 10 min behind real time
    real_now = int(time.time())
    ahead = jwt.encode(
        {"iat": real_now - 60, "exp": real_now + 540, "iss": str(gh.app_id)},
        _private_key(gh.private_key_pem),
        algorithm="RS256",
    )
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(ahead))
    assert (response.status_code, response.json()["message"]) == (401, MSG_TOO_FAR)


def test_token_expires_with_the_clock(gh: Emulator, http_session: requests.Session) -> None:
    token = new_token(gh, http_session)
    url = f"{gh.base_url}/installation/repositories"
    assert http_session.get(url, headers=token_auth(token)).status_code == 200
    gh.shift_clock(3590)
    assert gh.token_state(token) == "live"
    gh.shift_clock(15)
    assert gh.token_state(token) == "expired"
    assert gh.live_tokens() == []
    response = http_session.get(url, headers=token_auth(token))
    assert (response.status_code, response.json()) == (401, error_body("Bad credentials"))
    revoke = http_session.delete(f"{gh.base_url}/installation/token", headers=token_auth(token))
    assert revoke.status_code == 401  # §3: revoking an expired token is a 401 too


# ---- installation-token endpoints -----------------------------------------------------------


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


@pytest.mark.parametrize(
    ("method", "path", "credential", "message"),
    [
        ("GET", "/installation/repositories", None, "Requires authentication"),
        ("GET", "/installation/repositories", "token ghs_" + "a" * 36, "Bad credentials"),
        ("GET", "/installation/repositories", "Basic dXNlcjpwYXNz", "Bad credentials"),
        ("DELETE", "/installation/token", "jwt", "Bad credentials"),  # JWT where a token is needed
        ("GET", "/app", "installation-token", MSG_UNDECODABLE),  # token where a JWT is needed
        ("POST", "/app/installations/456/access_tokens", "installation-token", MSG_UNDECODABLE),
        ("GET", "/app", None, "Requires authentication"),
    ],
)
def test_wrong_or_missing_credentials(
    gh: Emulator,
    http_session: requests.Session,
    method: str,
    path: str,
    credential: str | None,
    message: str,
) -> None:
    headers: dict[str, str] = {}
    if credential == "jwt":
        headers = bearer(sign(gh))
    elif credential == "installation-token":
        headers = token_auth(new_token(gh, http_session))
    elif credential:
        headers = {"Authorization": credential}
    response = http_session.request(method, gh.base_url + path, headers=headers)
    assert response.status_code == 401
    assert response.json() == error_body(message)


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


# ---- transport: routes, headers, keep-alive -------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/app/installations/456/access_tokens"),
        ("POST", "/app"),
        ("GET", "/"),
    ],
)
def test_unknown_routes(
    gh: Emulator, http_session: requests.Session, method: str, path: str
) -> None:
    response = http_session.request(method, gh.base_url + path, headers=bearer(sign(gh)))
    assert response.status_code == 404
    assert response.json() == error_body("Not Found")


def test_every_response_has_github_headers(gh: Emulator, http_session: requests.Session) -> None:
    ok = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)))
    unauthorized = http_session.get(f"{gh.base_url}/app", headers=bearer("a.b.c"))
    missing = http_session.get(f"{gh.base_url}/nope")
    for response in (ok, unauthorized, missing):
        headers = response.headers
        assert parsedate_to_datetime(headers["Date"]).timestamp() == pytest.approx(gh.now(), abs=3)
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert int(headers["Content-Length"]) == len(response.content)
        assert headers["x-github-api-version-selected"] == "2022-11-28"
        assert re.fullmatch(r"[0-9A-F:]+", headers["x-github-request-id"])
        assert headers["x-ratelimit-resource"] == "core"
        assert int(headers["x-ratelimit-reset"]) == (int(gh.now()) // 3600 + 1) * 3600
    assert ok.headers["x-github-request-id"] != missing.headers["x-github-request-id"]
    assert ok.headers["x-ratelimit-limit"] == "5000"
    assert unauthorized.headers["x-ratelimit-limit"] == "60"


def test_rate_limit_counts_per_identity(gh: Emulator, http_session: requests.Session) -> None:
    jwt_token = sign(gh)
    used = [
        http_session.get(f"{gh.base_url}/app", headers=bearer(jwt_token)).headers for _ in range(3)
    ]
    assert [h["x-ratelimit-used"] for h in used] == ["1", "2", "3"]
    assert [h["x-ratelimit-remaining"] for h in used] == ["4999", "4998", "4997"]
    token = mint(gh, http_session, jwt_token=jwt_token).json()["token"]  # app's 4th request
    listed = http_session.get(f"{gh.base_url}/installation/repositories", headers=token_auth(token))
    assert listed.headers["x-ratelimit-used"] == "1"  # the installation has its own budget
    gh.shift_clock(3600)  # a new emulator hour starts a new window
    fresh = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)))
    assert fresh.headers["x-ratelimit-used"] == "1"


def test_keep_alive_reuses_one_connection(gh: Emulator) -> None:
    host, port = gh.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("GET", "/app", headers=bearer(sign(gh)))
        first = conn.getresponse()
        assert first.status == 200 and json.loads(first.read())["id"] == gh.app_id
        sock = conn.sock
        conn.request("GET", "/nope")
        second = conn.getresponse()
        assert second.status == 404 and json.loads(second.read())["message"] == "Not Found"
        assert conn.sock is sock and sock is not None
    finally:
        conn.close()


def test_stop_closes_pooled_connections() -> None:
    with requests.Session() as session:
        with Emulator() as gh:
            url = f"{gh.base_url}/nope"
            assert session.get(url).status_code == 404
        with pytest.raises(requests.ConnectionError):
            session.get(url, timeout=2)


# ---- faults ---------------------------------------------------------------------------------


def test_fault_error_then_recovery(gh: Emulator, http_session: requests.Session) -> None:
    gh.inject("error")
    gh.inject("error", 2, status=500)
    url = f"{gh.base_url}/app"
    statuses = [http_session.get(url, headers=bearer(sign(gh))) for _ in range(4)]
    assert [r.status_code for r in statuses] == [502, 500, 500, 200]
    assert statuses[0].json() == error_body("Bad Gateway")
    assert statuses[1].json() == error_body("Internal Server Error")
    assert "x-ratelimit-limit" in statuses[0].headers and "Date" in statuses[0].headers


def test_fault_path_filter(gh: Emulator, http_session: requests.Session) -> None:
    gh.inject("error", status=503, path="/access_tokens")
    assert http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh))).status_code == 200
    assert mint(gh, http_session).status_code == 503
    assert mint(gh, http_session).status_code == 201


def test_fault_delay_times_out_clients(gh: Emulator, http_session: requests.Session) -> None:
    gh.inject("delay", delay=1.0)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)), timeout=0.3)
    assert time.monotonic() - started < 0.9
    slow_start = time.monotonic()
    gh.inject("delay", delay=0.4)
    response = http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh)), timeout=5)
    assert response.status_code == 200 and time.monotonic() - slow_start >= 0.4


def test_fault_reset_drops_the_connection(gh: Emulator, http_session: requests.Session) -> None:
    gh.inject("reset", path="/access_tokens")
    with pytest.raises(requests.ConnectionError):
        mint(gh, http_session)
    assert mint(gh, http_session).status_code == 201
    records = [r for r in gh.requests if r.path.endswith("/access_tokens")]
    assert [r.status for r in records] == [0, 201]
    assert records[0].token_id is None  # nothing was minted by the reset request


def test_fault_reset_is_a_tcp_rst(gh: Emulator) -> None:
    """A reset, not a polite close: the client's read fails with ECONNRESET, not EOF."""
    gh.inject("reset")
    host, port = gh.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /app HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            data = sock.recv(1024)
            assert data != b"", "the server closed politely (FIN) instead of resetting"
            raise AssertionError(f"got a response: {data[:40]!r}")


@pytest.mark.parametrize("status", [403, 429])
def test_fault_secondary_rate_limit(
    gh: Emulator, http_session: requests.Session, status: int
) -> None:
    gh.inject("secondary", status=status, retry_after=7)
    response = mint(gh, http_session)
    assert response.status_code == status
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {
        "documentation_url": "https://docs.github.com/en/free-pro-team@latest/rest/overview/"
        "resources-in-the-rest-api#secondary-rate-limits",
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
        "you try again.",
    }
    assert int(response.headers["x-ratelimit-remaining"]) > 0
    assert mint(gh, http_session).status_code == 201


def test_fault_primary_rate_limit(gh: Emulator, http_session: requests.Session) -> None:
    token = new_token(gh, http_session)
    gh.inject("primary", retry_after=30)
    gh.inject("primary", status=429)
    url = f"{gh.base_url}/installation/repositories"
    first = http_session.get(url, headers=token_auth(token))
    assert first.status_code == 403
    assert (
        first.json()["message"]
        == f"API rate limit exceeded for installation ID {gh.installation_id}."
    )
    assert first.headers["x-ratelimit-remaining"] == "0"
    reset = int(first.headers["x-ratelimit-reset"])
    assert gh.now() + 29 <= reset <= gh.now() + 32
    second = mint(gh, http_session)  # the installation id comes from the path
    assert second.status_code == 429
    assert (
        second.json()["message"]
        == f"API rate limit exceeded for installation ID {gh.installation_id}."
    )
    assert http_session.get(url, headers=token_auth(token)).status_code == 200


def test_fault_arguments_are_checked(gh: Emulator) -> None:
    for kwargs in (
        {"kind": "meteor"},
        {"kind": "error", "count": 0},
        {"kind": "primary", "status": 500},
        {"kind": "error", "status": 200},
        {"kind": "delay", "delay": -1},
    ):
        with pytest.raises(ValueError):
            gh.inject(**kwargs)


# ---- request log ----------------------------------------------------------------------------


def test_request_log_records_and_redacts(gh: Emulator, http_session: requests.Session) -> None:
    jwt_token = sign(gh)
    token = new_token(gh, http_session, {"permissions": {}}, jwt_token=jwt_token)
    http_session.get(
        f"{gh.base_url}/installation/repositories?per_page=1&page=1", headers=token_auth(token)
    )
    # A body that (wrongly) carries secrets must not bring them into the log.
    mint(gh, http_session, {"permissions": {}, "note": token, "jwt": jwt_token})
    http_session.get(f"{gh.base_url}/nope", headers=token_auth(token))
    http_session.get(f"{gh.base_url}/app", headers=bearer("a.b.c"))
    http_session.get(f"{gh.base_url}/app")
    records = gh.requests
    assert all(isinstance(r, RequestRecord) for r in records)
    assert [(r.method, r.path, r.status, r.auth) for r in records] == [
        ("POST", "/app/installations/456/access_tokens", 201, "jwt"),
        ("GET", "/installation/repositories", 200, "token"),
        ("POST", "/app/installations/456/access_tokens", 201, "jwt"),
        ("GET", "/nope", 404, "token"),
        ("GET", "/app", 401, "invalid"),
        ("GET", "/app", 401, "none"),
    ]
    assert records[0].token_id == records[1].token_id == gh.token_id(token) == 1
    assert records[2].token_id == 2 and records[5].token_id is None
    assert records[0].body == {"permissions": {}} and records[1].query == "per_page=1&page=1"
    assert records[2].body == {"permissions": {}, "note": "[REDACTED]", "jwt": "[REDACTED]"}
    ats = [r.at for r in records]
    assert ats == sorted(ats) and ats[0] == pytest.approx(gh.now(), abs=5)
    with pytest.raises(AttributeError):
        records[0].status = 500  # type: ignore[misc]
    exported = requests.get(f"{gh.base_url}/_emulator/log").text
    for text in (repr(records), exported):
        assert token not in text and jwt_token not in text
        assert token[4:] not in text  # not even the part after the prefix
    gh.clear_log()
    assert gh.requests == []


def test_log_time_follows_the_emulator_clock(gh: Emulator, http_session: requests.Session) -> None:
    gh.shift_clock(86400)
    http_session.get(f"{gh.base_url}/nope")
    assert gh.requests[-1].at == pytest.approx(time.time() + 86400, abs=3)


# ---- control over HTTP ----------------------------------------------------------------------


def test_http_controls(gh: Emulator, http_session: requests.Session) -> None:
    control = f"{gh.base_url}/_emulator"
    before = gh.now()
    assert http_session.post(f"{control}/clock", json={"shift": 120}).status_code == 200
    assert gh.now() - before == pytest.approx(120, abs=2)
    assert http_session.get(f"{control}/clock").json()["shift"] == 120

    assert http_session.post(f"{control}/token-lifetime", json={"seconds": 90}).status_code == 200
    assert gh.token_lifetime == 90
    token = new_token(gh, http_session)
    state = http_session.post(f"{control}/token-state", json={"token": token}).json()
    assert state == {"state": "live", "token_id": gh.token_id(token)}

    assert http_session.post(f"{control}/revoke-all").json() == {"revoked": 1}
    assert (
        http_session.post(f"{control}/token-state", json={"token": token}).json()["state"]
        == "revoked"
    )

    granted = {"contents": "read", "metadata": "read"}
    url = f"{control}/installations/{gh.installation_id}/permissions"
    assert http_session.post(url, json=granted).status_code == 200
    assert gh.permissions == granted
    assert http_session.post(url, json={"contents": "sideways"}).status_code == 400

    fault = {"kind": "error", "count": 1, "status": 504, "path": "/app"}
    assert http_session.post(f"{control}/faults", json=fault).status_code == 200
    assert http_session.get(f"{control}/log").status_code == 200  # controls are never faulted
    assert http_session.get(f"{gh.base_url}/app", headers=bearer(sign(gh))).status_code == 504
    assert http_session.post(f"{control}/faults", json={"kind": "nope"}).status_code == 400
    assert http_session.post(f"{control}/clock", json={"shift": "soon"}).status_code == 400

    log = http_session.get(f"{control}/log").json()
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", "/app/installations/456/access_tokens", 201),
        ("GET", "/app", 504),
    ]
    assert set(log[0]) == {"method", "path", "query", "status", "auth", "token_id", "body", "at"}
    info = http_session.get(f"{control}/info").json()
    assert (info["base_url"], info["installation_id"]) == (gh.base_url, gh.installation_id)


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


# ---- the CLI --------------------------------------------------------------------------------


def _read_line(stream: Any, timeout: float) -> str:
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "the emulator did not announce itself in time"
    return stream.readline()


def test_cli_prints_one_json_line_and_exits_cleanly() -> None:
    # Run the very package under test (wherever it was imported from).
    provider = Path(emulator_package.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(provider)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "github_app_emulator",
            "--port",
            "0",
            "--token-lifetime",
            "900",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        info = json.loads(_read_line(proc.stdout, 20))
        for key in (
            "base_url",
            "app_id",
            "client_id",
            "installation_id",
            "account",
            "private_key_path",
            "permissions",
            "repositories",
        ):
            assert key in info, key
        assert info["account"] == "octo-org" and info["repositories"] == ["infra", "app", "docs"]
        key_path = Path(info["private_key_path"])
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        pem = key_path.read_text()
        now = int(time.time())
        signed = jwt.encode(
            {"iat": now - 60, "exp": now + 540, "iss": info["client_id"]}, pem, algorithm="RS256"
        )
        url = f"{info['base_url']}/app/installations/{info['installation_id']}/access_tokens"
        response = requests.post(url, headers=bearer(signed), timeout=5)
        assert response.status_code == 201
        assert response.json()["permissions"] == info["permissions"]
        token = response.json()["token"]
        assert epoch(response.json()["expires_at"]) - now in range(899, 902)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert out == ""  # nothing after the one line
    assert token not in err and "PRIVATE KEY" not in err
    assert not key_path.exists() and not key_path.parent.exists()


def test_ghes_style_prefix_serves_the_same_api(gh: Emulator, http_session) -> None:
    response = http_session.get(gh.base_url + "/api/v3/app", headers=bearer(sign(gh)))
    assert response.status_code == 200
    assert response.json()["id"] == gh.app_id
